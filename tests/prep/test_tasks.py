"""prep/tasks.py: the beat task that prepares a draft summary before each session,
shares it for patients who chose that, and tells the others it is ready."""

import logging
from datetime import timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from notifications.models import Message
from prep import summaries, tasks
from prep.emails import SUMMARY_READY
from prep.models import PrepPreference, PreSessionSummary
from tests.factories import AppointmentFactory


def in_hours(hours: int, therapist, patient, **kwargs) -> Appointment:
    return AppointmentFactory(
        therapist=therapist,
        patient=patient,
        starts_at=timezone.now() + timedelta(hours=hours),
        **kwargs,
    )


def summary_ready_rows(appointment):
    return Message.objects.filter(kind=SUMMARY_READY, target_id=appointment.pk)


def test_drafts_are_prepared_for_sessions_within_48_hours(therapist, patient):
    soon = in_hours(47, therapist, patient)
    in_hours(49, therapist, patient)
    in_hours(5, therapist, patient, outcome=Appointment.Outcome.CANCELLED_BY_THERAPIST)
    assert tasks.prepare_upcoming_summaries() == 1
    assert PreSessionSummary.objects.get().appointment == soon
    # Running again prepares nothing new.
    assert tasks.prepare_upcoming_summaries() == 0


def test_patients_who_chose_it_share_automatically(therapist, patient):
    PrepPreference.objects.create(patient=patient, share_automatically=True)
    appointment = in_hours(30, therapist, patient)
    tasks.prepare_upcoming_summaries()
    assert PreSessionSummary.objects.filter(version=1).exists()
    assert not summary_ready_rows(appointment).exists()  # nothing left to review


def test_others_only_get_a_draft(therapist, patient):
    in_hours(30, therapist, patient)
    tasks.prepare_upcoming_summaries()
    assert not PreSessionSummary.objects.filter(version__gt=0).exists()


def test_others_are_emailed_that_their_draft_is_ready_to_review(
    deliver_outbox, settings, therapist, patient
):
    appointment = in_hours(30, therapist, patient)
    tasks.prepare_upcoming_summaries()
    [row] = summary_ready_rows(appointment)
    assert row.recipient == patient
    assert mail.outbox == []  # it waits in the outbox
    assert deliver_outbox() == 1
    [email] = mail.outbox
    assert email.to == [patient.email]
    assert "is ready to look over" in email.subject
    review = reverse("prep:summary_review", args=[appointment.pk])
    assert f"{settings.SITE_URL}{review}" in email.body
    assert "Dana Reyes" in email.body


def test_the_ready_email_is_dropped_once_the_patient_has_shared(deliver_outbox, therapist, patient):
    appointment = in_hours(30, therapist, patient)
    tasks.prepare_upcoming_summaries()
    summaries.share(appointment)
    deliver_outbox()
    assert mail.outbox == []
    assert summary_ready_rows(appointment).get().status == Message.Status.SKIPPED


def test_a_deleted_appointment_is_skipped_quietly(db):
    tasks.prepare_summary(999_999)
    assert not PreSessionSummary.objects.exists()


def test_one_appointment_that_fails_does_not_stop_the_others(
    monkeypatch, caplog, therapist, patient, other_therapist, other_patient
):
    """GIVEN three sessions within 48 hours, one of which cannot be summarised
    WHEN the beat task runs
    THEN the other two are prepared, the failure is logged with its appointment,
    the task counts only the two, and the next run tries the failed one again."""
    first = in_hours(10, therapist, patient)
    broken = in_hours(20, therapist, patient)
    last = in_hours(30, other_therapist, other_patient)
    build = summaries.build

    def build_failing_for_one(appointment, *args, **kwargs):
        if appointment.pk == broken.pk:
            raise RuntimeError("the journal could not be read")
        return build(appointment, *args, **kwargs)

    monkeypatch.setattr("prep.summaries.build", build_failing_for_one)
    with caplog.at_level(logging.ERROR, logger="prep.tasks"):
        assert tasks.prepare_upcoming_summaries() == 2

    prepared = set(PreSessionSummary.objects.values_list("appointment_id", flat=True))
    assert prepared == {first.pk, last.pk}
    assert not summary_ready_rows(broken).exists()  # its transaction rolled back whole
    [failure] = [r for r in caplog.records if r.name == "prep.tasks" and r.levelno >= logging.ERROR]
    assert f"appointment {broken.pk}" in failure.getMessage()
    assert "the journal could not be read" in str(failure.exc_info[1])

    monkeypatch.setattr("prep.summaries.build", build)
    assert tasks.prepare_upcoming_summaries() == 1
    assert summaries.draft_for(broken) is not None
