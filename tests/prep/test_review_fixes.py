"""Rules found in review: what a shared summary may hold after the journal changes,
whose sessions a therapist sees, and which follow-up emails still fit."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from prep import appointments, dispatch, reminders, summaries
from prep.models import Appointment, EmailPreference, PracticeSettings, Reminder
from tests.factories import (
    AgendaItemFactory,
    AppointmentFactory,
    CareLinkFactory,
    DailyEntryFactory,
)


def test_sharing_uses_the_journal_as_it_is_now_not_the_old_draft(therapist, patient):
    appointment = AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() + timedelta(days=2)
    )
    worry = AgendaItemFactory(patient=patient, text="my secret worry")
    entry = DailyEntryFactory(patient=patient, discuss_next_session=True, thoughts="x")
    summaries.generate_draft(appointment)
    worry.delete()
    entry.discuss_next_session = False
    entry.save()
    shared = summaries.share(appointment)
    assert "my secret worry" not in str(shared.snapshot)
    assert shared.snapshot["flagged"] == []


def test_the_review_page_shows_the_current_journal(client, therapist, patient):
    appointment = AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() + timedelta(days=2)
    )
    summaries.generate_draft(appointment)
    AgendaItemFactory(patient=patient, text="added after the draft")
    client.force_login(patient)
    page = client.get(reverse("prep:summary_review", args=[appointment.pk])).content.decode()
    assert "added after the draft" in page


def test_a_summary_lists_only_sessions_with_its_own_therapist(therapist, other_therapist, patient):
    CareLinkFactory(therapist=other_therapist, patient=patient)
    AppointmentFactory(
        therapist=other_therapist, patient=patient, outcome=Appointment.Outcome.NO_SHOW,
        starts_at=timezone.now() - timedelta(days=3),
    )  # fmt: skip
    appointment = AppointmentFactory(therapist=therapist, patient=patient)
    assert summaries.build(appointment)["attendance"] == []


def test_a_former_patient_leaves_the_therapists_pages(client, therapist, patient):
    AppointmentFactory(therapist=therapist, patient=patient)
    AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() - timedelta(hours=2)
    )
    patient.therapist_links.update(ended_at=timezone.now())
    client.force_login(therapist)
    for name in ("prep:therapist_dashboard", "prep:appointment_list", "prep:reminder_log"):
        assert patient.display_name not in client.get(reverse(name)).content.decode(), name


@pytest.mark.parametrize("value", ["²", "١", "9999999999999999999999999"])
def test_odd_digits_in_the_booking_link_are_ignored(client, therapist, value):
    client.force_login(therapist)
    response = client.get(reverse("prep:appointment_new"), {"patient": value})
    assert response.status_code == 200


def test_odd_digits_in_a_summary_choice_are_ignored(client, therapist, patient):
    appointment = AppointmentFactory(therapist=therapist, patient=patient)
    summaries.generate_draft(appointment)
    client.force_login(patient)
    response = client.post(
        reverse("prep:summary_choices", args=[appointment.pk]), {"thought": ["²"]}
    )
    assert response.status_code == 302


def test_a_huge_calendar_year_falls_back(client, patient):
    client.force_login(patient)
    response = client.get(reverse("journal:calendar"), {"month": "99999999999999999999-1"})
    assert response.status_code == 200


class TestFollowUps:
    @pytest.fixture
    def past(self, therapist, patient):
        return AppointmentFactory(
            therapist=therapist, patient=patient, starts_at=timezone.now() - timedelta(hours=2)
        )

    def test_a_corrected_outcome_sends_only_the_email_that_fits(self, past, patient):
        appointments.record_outcome(past, Appointment.Outcome.NO_SHOW)
        appointments.record_outcome(past, Appointment.Outcome.ATTENDED)
        dispatch.dispatch()
        subjects = [m.subject for m in mail.outbox if m.to == [patient.email]]
        assert any("How did your session feel?" in s for s in subjects)
        assert not any("We missed you" in s for s in subjects)
        appointments.record_outcome(past, Appointment.Outcome.LATE)
        dispatch.dispatch()
        assert sum("How did your session feel?" in m.subject for m in mail.outbox) == 1

    def test_a_cancelled_session_cannot_be_marked_missed(self, past):
        Appointment.objects.filter(pk=past.pk).update(
            outcome=Appointment.Outcome.CANCELLED_BY_PATIENT
        )
        past.refresh_from_db()
        with pytest.raises(appointments.BookingError):
            appointments.record_outcome(past, Appointment.Outcome.NO_SHOW)
        assert not Reminder.objects.filter(kind=Reminder.Kind.NO_SHOW).exists()


class TestNudgePlanning:
    NOW = datetime(2026, 6, 1, 19, 30, tzinfo=UTC)  # 20:30 in London, after the 20:00 nudge

    def test_an_overdue_nudge_is_not_cancelled_by_replanning(self, patient):
        patient.reminder_time = time(20, 0)
        patient.save()
        with time_machine.travel(self.NOW - timedelta(hours=2)):
            today = reminders.plan_daily_nudge(patient)
        with time_machine.travel(self.NOW):
            reminders.plan_daily_nudge(patient)
        today.refresh_from_db()
        assert today.status == Reminder.Status.PENDING

    def test_changing_the_time_away_and_back_keeps_a_nudge(self, patient):
        with time_machine.travel(self.NOW - timedelta(hours=6)):
            for hour in (20, 19, 20):
                patient.reminder_time = time(hour, 0)
                patient.save()
                reminders.plan_daily_nudge(patient)
            pending = Reminder.objects.filter(recipient=patient, status="pending")
            assert [r.due_at.astimezone(patient.zone).hour for r in pending] == [20]


def test_the_first_and_second_reminder_follow_their_own_preference(therapist, patient):
    PracticeSettings.objects.create(first_reminder_hours=6, second_reminder_hours=2)
    EmailPreference.objects.create(user=patient, reminder_first=False)
    appointment = AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() + timedelta(hours=10)
    )
    first, second = reminders.reminder_times(appointment)
    rows = [
        Reminder.objects.create(
            key=f"t{n}",
            kind="appointment_reminder",
            recipient=patient,
            appointment=appointment,
            due_at=due,
        )
        for n, due in enumerate((first, second))
    ]
    assert [reminders.still_wanted(row) for row in rows] == [False, True]


def test_private_feedback_adds_no_agenda_line(client, therapist, patient):
    from prep.models import AgendaItem

    session = AppointmentFactory(
        therapist=therapist, patient=patient, outcome="attended",
        starts_at=timezone.now() - timedelta(hours=3),
    )  # fmt: skip
    client.force_login(patient)
    client.post(
        reverse("prep:give_feedback", args=[session.pk]),
        {"bond": 4, "goals": 8, "approach": 8, "overall": 8, "discuss_next_time": "on",
         "visibility": "private"},
    )  # fmt: skip
    assert not AgendaItem.objects.filter(patient=patient).exists()


def test_unsubscribing_twice_at_once_is_fine(client, patient):
    import re

    link = re.sub(r"^https?://[^/]+", "", reminders.unsubscribe_link(patient, "daily"))
    client.post(link)
    client.post(link)
    assert EmailPreference.objects.get(user=patient).daily is False
