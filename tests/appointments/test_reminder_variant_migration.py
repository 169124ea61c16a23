"""Reminders planned before rows carried their variant are given one, once, by the
rule the send-time check used until then, so none changes meaning on upgrade."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("appointments", "0001_initial"), ("notifications", "0001_initial")]
AFTER = [("appointments", "0002_reminder_variants")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_old_reminders_are_told_apart_once_on_upgrade():
    old = migrate(BEFORE)
    try:
        User = old.get_model("accounts", "User")
        Appointment = old.get_model("appointments", "Appointment")
        Message = old.get_model("notifications", "Message")
        therapist = User.objects.create(email="t@example.com", role="therapist")
        patient = User.objects.create(email="p@example.com", role="patient")
        starts_at = datetime(2027, 3, 28, 9, 0, tzinfo=UTC)
        appointment = Appointment.objects.create(
            therapist=therapist,
            patient=patient,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=50),
        )
        for hours in (24, 2):
            Message.objects.create(
                key=f"appointment_reminder:{appointment.pk}:{hours}",
                kind="appointment_reminder",
                target_id=appointment.pk,
                recipient=patient,
                due_at=starts_at - timedelta(hours=hours),
            )
        Message.objects.create(
            key="booked:x", kind="booked", target_id=appointment.pk, due_at=starts_at
        )
        new = migrate(AFTER)
        rows = new.get_model("notifications", "Message").objects.order_by("due_at")
        assert [(row.kind, row.variant) for row in rows] == [
            ("appointment_reminder", "first"),
            ("appointment_reminder", "second"),
            ("booked", ""),
        ]
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
