"""Openings of shared summaries move to the access log every read now goes to
(accounts.AccessRecord, kind "summary", the summary's id), then the old table goes."""

from django.db import migrations


def copy_openings(apps, schema_editor):
    AccessEvent = apps.get_model("prep", "AccessEvent")
    AccessRecord = apps.get_model("accounts", "AccessRecord")
    AccessRecord.objects.bulk_create(
        AccessRecord(
            viewer_id=event.viewer_id,
            patient_id=event.summary.appointment.patient_id,
            kind="summary",
            object_id=str(event.summary_id),
            at=event.opened_at,
        )
        for event in AccessEvent.objects.select_related("summary__appointment").iterator()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_access_record"),
        ("appointments", "0001_initial"),
        ("prep", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_openings, migrations.RunPython.noop),
        migrations.DeleteModel(name="AccessEvent"),
    ]
