"""Reminders planned before outbox rows carried their variant: record which one each
is, once, by the rule the send-time check used until now (due at or before the
first reminder's time: the first; otherwise the second). From here on the variant is
written when a reminder is planned and only read at send time."""

from datetime import timedelta

from django.db import migrations

REMINDER = "appointment_reminder"


def record_variants(apps, schema_editor):
    Message = apps.get_model("notifications", "Message")
    Appointment = apps.get_model("appointments", "Appointment")
    PracticeSettings = apps.get_model("notifications", "PracticeSettings")
    practice = PracticeSettings.objects.order_by("pk").first()
    first_hours = practice.first_reminder_hours if practice else 24
    rows = Message.objects.filter(kind=REMINDER, variant="")
    starts = dict(
        Appointment.objects.filter(pk__in=rows.values("target_id")).values_list("pk", "starts_at")
    )
    for row in rows.iterator():
        starts_at = starts.get(row.target_id)
        if starts_at is None:
            continue
        first = starts_at - timedelta(hours=first_hours)
        row.variant = "first" if row.due_at <= first else "second"
        row.save(update_fields=["variant"])


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0001_initial"),
        ("notifications", "0002_message_variant_and_expired"),
    ]

    operations = [migrations.RunPython(record_variants, migrations.RunPython.noop)]
