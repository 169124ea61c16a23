from datetime import timedelta

from django.utils import timezone

from prep import tasks
from prep.models import Appointment, PrepPreference, PreSessionSummary
from tests.factories import AppointmentFactory


def test_drafts_are_prepared_for_sessions_within_48_hours(therapist, patient):
    soon = AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() + timedelta(hours=47)
    )
    AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() + timedelta(hours=49)
    )
    AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() + timedelta(hours=5),
        outcome=Appointment.Outcome.CANCELLED_BY_THERAPIST,
    )  # fmt: skip
    assert tasks.prepare_upcoming_summaries() == 1
    assert PreSessionSummary.objects.get().appointment == soon
    # Running again prepares nothing new.
    assert tasks.prepare_upcoming_summaries() == 0


def test_patients_who_chose_it_share_automatically(therapist, patient):
    PrepPreference.objects.create(patient=patient, share_automatically=True)
    AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() + timedelta(hours=30)
    )
    tasks.prepare_upcoming_summaries()
    assert PreSessionSummary.objects.filter(version=1).exists()


def test_others_only_get_a_draft(therapist, patient):
    AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() + timedelta(hours=30)
    )
    tasks.prepare_upcoming_summaries()
    assert not PreSessionSummary.objects.filter(version__gt=0).exists()


def test_a_deleted_appointment_is_skipped_quietly(db):
    tasks.prepare_summary(999_999)
    assert not PreSessionSummary.objects.exists()
