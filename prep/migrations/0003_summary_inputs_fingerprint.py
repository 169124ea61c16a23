from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("prep", "0002_access_log_moves_to_accounts"),
    ]

    operations = [
        migrations.AddField(
            model_name="presessionsummary",
            name="inputs",
            field=models.CharField(blank=True, max_length=64),
        ),
    ]
