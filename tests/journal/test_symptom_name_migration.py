"""Upgrading encrypts what was stored in plain text: symptom names (with the keyed
hash that keeps them unique) and appointment locations."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("journal", "0002_unanswered_scales_are_null"),
    ("appointments", "0002_reminder_variants"),
]
AFTER = [("journal", "0004_symptom_name_unique"), ("appointments", "0003_location_encrypted")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def raw(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_plain_names_and_locations_are_encrypted_on_upgrade():
    old = migrate(BEFORE)
    try:
        User = old.get_model("accounts", "User")
        Symptom = old.get_model("journal", "Symptom")
        Appointment = old.get_model("appointments", "Appointment")
        therapist = User.objects.create(email="t@example.com", role="therapist")
        patient = User.objects.create(email="p@example.com", role="patient")
        other = User.objects.create(email="o@example.com", role="patient")
        Symptom.objects.create(patient=patient, name="Low mood")
        # Told apart by the old rule (case only), one name once spacing is ignored.
        Symptom.objects.create(patient=patient, name="Poor  sleep")
        Symptom.objects.create(patient=patient, name="poor sleep")
        Symptom.objects.create(patient=other, name="Low mood")
        starts_at = datetime(2027, 3, 28, 9, 0, tzinfo=UTC)
        Appointment.objects.create(
            therapist=therapist,
            patient=patient,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=50),
            location="14 Harbour Street",
        )

        new = migrate(AFTER)
        names = raw("SELECT name, name_key FROM journal_symptom ORDER BY id")
        assert not any("mood" in name or "sleep" in name for name, _ in names)
        assert names[0][1] == names[3][1]  # the same name, the same key
        assert "Harbour" not in raw("SELECT location FROM appointments_appointment")[0][0]

        from journal.models import Symptom as Current

        rows = list(Current.objects.order_by("pk"))
        assert [s.name for s in rows] == ["Low mood", "Poor  sleep", "poor sleep", "Low mood"]
        # The older stays on the daily log; the newer is retired, ratings kept.
        assert [s.retired_at is None for s in rows] == [True, True, False, True]
        assert (
            Current.objects.active().filter(patient_id=patient.pk).named("POOR SLEEP").count() == 1
        )
        from appointments.models import Appointment as CurrentAppointment

        # Only the column this step knows: later migrations add others.
        assert CurrentAppointment.objects.only("location").get().location == "14 Harbour Street"

        NewSymptom = new.get_model("journal", "Symptom")
        with pytest.raises(IntegrityError), transaction.atomic():
            NewSymptom.objects.create(patient_id=patient.pk, name="LOW MOOD")
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
