"""One active symptom of each name per patient, kept by the keyed hash of the name
(computed by the previous migration, in its own transaction)."""

from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    dependencies = [
        ("journal", "0003_symptom_name_encrypted"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="symptom",
            constraint=models.UniqueConstraint(
                condition=Q(retired_at__isnull=True),
                fields=("patient", "name_key"),
                name="journal_symptom_unique_active_name",
            ),
        ),
    ]
