"""What the practice page reads, indexed (feedback/practice.py): each alliance alert
names its therapist (copied from its feedback), indexed with the columns the counts
read, so they come from one index instead of a join with every feedback; and
escalations are indexed in the order the page lists them, a page at a time."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_therapist_from_feedback(apps, schema_editor):
    AllianceAlert = apps.get_model("feedback", "AllianceAlert")
    SessionFeedback = apps.get_model("feedback", "SessionFeedback")
    AllianceAlert.objects.update(
        therapist_id=Subquery(
            SessionFeedback.objects.filter(pk=OuterRef("feedback_id")).values("therapist_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0002_unanswered_ratings_are_null"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="alliancealert",
            name="therapist",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(copy_therapist_from_feedback, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="alliancealert",
            name="therapist",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="alliancealert",
            index=models.Index(
                fields=["therapist", "created_at", "acknowledged_at"],
                name="feedback_alert_therapist_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="escalation",
            index=models.Index(
                fields=["-handled_at", "-created_at"], name="feedback_escalation_order_idx"
            ),
        ),
    ]
