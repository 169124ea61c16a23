"""The outbox end to end in one process: planning on booking, moving, cancelling
and attendance; sending by the dispatcher; emailed links; preferences; time zones."""

import re
from datetime import UTC, datetime, time, timedelta
from smtplib import SMTPException
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from prep import appointments, dispatch, reminders
from prep.models import Appointment, EmailPreference, PracticeSettings, Reminder
from tests.factories import DailyEntryFactory

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
Kind, Status = Reminder.Kind, Reminder.Status


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def book(therapist, patient, starts_at=NOW + timedelta(days=3)) -> Appointment:
    appointment = Appointment(
        therapist=therapist, patient=patient, starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=50), location="Room 2",
    )  # fmt: skip
    return appointments.save_booking(appointment)


def sent_to(email: str) -> list:
    return [message for message in mail.outbox if email in message.to]


def ics_of(message) -> Calendar:
    [(_name, content, _type)] = [a for a in message.attachments if a[0].endswith(".ics")]
    return Calendar.from_ical(content)


class TestPlanning:
    def test_booking_plans_a_confirmation_now_and_two_reminders(self, therapist, patient):
        appointment = book(therapist, patient)
        rows = {(r.kind, r.due_at) for r in appointment.reminders.all()}
        assert (Kind.BOOKED, NOW) in rows
        assert (Kind.APPOINTMENT_REMINDER, appointment.starts_at - timedelta(hours=24)) in rows
        assert (Kind.APPOINTMENT_REMINDER, appointment.starts_at - timedelta(hours=2)) in rows

    def test_the_practice_can_change_the_reminder_times(self, therapist, patient):
        PracticeSettings.objects.create(first_reminder_hours=48, second_reminder_hours=1)
        appointment = book(therapist, patient)
        dues = set(
            appointment.reminders.filter(kind=Kind.APPOINTMENT_REMINDER).values_list(
                "due_at", flat=True
            )
        )
        assert dues == {
            appointment.starts_at - timedelta(hours=48),
            appointment.starts_at - timedelta(hours=1),
        }

    def test_moving_reschedules_the_pending_reminders(self, therapist, patient):
        appointment = book(therapist, patient)
        appointment.starts_at += timedelta(days=1)
        appointment.ends_at += timedelta(days=1)
        appointments.save_booking(appointment)
        pending = appointment.reminders.filter(
            kind=Kind.APPOINTMENT_REMINDER, status=Status.PENDING
        )
        assert sorted(pending.values_list("due_at", flat=True)) == [
            appointment.starts_at - timedelta(hours=24),
            appointment.starts_at - timedelta(hours=2),
        ]
        assert appointment.reminders.filter(kind=Kind.MOVED).count() == 1
        assert appointment.reminders.filter(status=Status.CANCELLED).count() == 2

    def test_cancelling_cancels_the_pending_reminders(self, therapist, patient):
        appointment = book(therapist, patient)
        dispatch.dispatch()
        appointments.cancel(appointment, therapist)
        assert not appointment.reminders.filter(
            kind=Kind.APPOINTMENT_REMINDER, status=Status.PENDING
        ).exists()
        assert appointment.reminders.filter(kind=Kind.CANCELLED).exists()

    def test_replanning_never_doubles_a_row(self, therapist, patient):
        appointment = book(therapist, patient)
        reminders.plan_for_booking(appointment)
        reminders.plan_for_booking(appointment)
        assert (
            appointment.reminders.filter(
                kind=Kind.APPOINTMENT_REMINDER, status=Status.PENDING
            ).count()
            == 2
        )


class TestSending:
    def test_each_reminder_is_sent_once_at_its_time_with_an_ics(self, _clock, therapist, patient):
        appointment = book(therapist, patient)
        dispatch.dispatch()
        [booked] = sent_to(patient.email)
        assert "Session booked" in booked.subject
        _clock.move_to(appointment.starts_at - timedelta(hours=24) + timedelta(seconds=30))
        dispatch.dispatch()
        dispatch.dispatch()
        reminder = sent_to(patient.email)[-1]
        assert len(sent_to(patient.email)) == 2
        assert "Reminder: your session" in reminder.subject
        calendar = ics_of(reminder)
        assert calendar["METHOD"] == "REQUEST"
        [event] = calendar.walk("VEVENT")
        assert str(event["UID"]) == f"appointment-{appointment.pk}@127.0.0.1"
        assert int(event["SEQUENCE"]) == 0

    def test_the_email_says_when_and_where_and_nothing_else(self, therapist, patient):
        DailyEntryFactory(patient=patient, thoughts="I feel hopeless", mood=1)
        book(therapist, patient)
        dispatch.dispatch()
        [message] = sent_to(patient.email)
        text = message.body + message.alternatives[0][0]
        assert "Room 2" in text
        assert "Thursday 4 June" in text
        for private in ("hopeless", "mood", "PHQ", "anxiety"):
            assert private not in text

    def test_times_are_in_the_patients_own_zone(self, therapist, patient):
        patient.timezone = "America/New_York"
        patient.save()
        book(therapist, patient, starts_at=datetime(2026, 6, 4, 14, 0, tzinfo=UTC))
        dispatch.dispatch()
        assert "10:00" in sent_to(patient.email)[0].body  # EDT is UTC-4

    def test_a_moved_session_bumps_the_sequence_and_a_cancelled_one_sends_cancel(
        self, therapist, patient
    ):
        appointment = book(therapist, patient)
        dispatch.dispatch()
        appointment.starts_at += timedelta(hours=2)
        appointment.ends_at += timedelta(hours=2)
        appointments.save_booking(appointment)
        dispatch.dispatch()
        appointments.cancel(appointment, therapist)
        dispatch.dispatch()
        moved = ics_of(next(m for m in sent_to(patient.email) if "moved" in m.subject))
        cancelled = ics_of(next(m for m in sent_to(patient.email) if "cancelled" in m.subject))
        assert int(moved.walk("VEVENT")[0]["SEQUENCE"]) == 1
        assert cancelled["METHOD"] == "CANCEL"
        assert int(cancelled.walk("VEVENT")[0]["SEQUENCE"]) == 2
        assert cancelled.walk("VEVENT")[0]["UID"] == moved.walk("VEVENT")[0]["UID"]

    def test_every_email_has_one_click_unsubscribe_headers(self, therapist, patient):
        book(therapist, patient)
        dispatch.dispatch()
        [message] = sent_to(patient.email)
        assert message.extra_headers["List-Unsubscribe"].startswith("<http")
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.extra_headers["List-Unsubscribe"][1:-1] in message.body

    def test_a_category_turned_off_is_skipped_not_sent(self, therapist, patient):
        EmailPreference.objects.create(user=patient, bookings=False)
        appointment = book(therapist, patient)
        dispatch.dispatch()
        assert sent_to(patient.email) == []
        assert appointment.reminders.get(kind=Kind.BOOKED).status == Status.SKIPPED

    def test_the_patient_can_turn_off_one_of_the_two_reminders(self, _clock, therapist, patient):
        EmailPreference.objects.create(user=patient, reminder_second=False)
        appointment = book(therapist, patient)
        _clock.move_to(appointment.starts_at - timedelta(minutes=90))
        dispatch.dispatch()
        subjects = [m.subject for m in sent_to(patient.email)]
        assert sum("Reminder" in s for s in subjects) == 1

    def test_a_refusing_mail_server_means_retries_with_backoff_then_failed(
        self, _clock, settings, therapist, patient
    ):
        settings.REMINDER_MAX_ATTEMPTS = 3
        appointment = book(therapist, patient)
        row = appointment.reminders.get(kind=Kind.BOOKED)
        with mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            side_effect=SMTPException("550 no"),
        ):
            dispatch.dispatch()
            row.refresh_from_db()
            assert (row.status, row.attempts) == (Status.PENDING, 1)
            assert row.next_attempt_at == NOW + timedelta(seconds=60)
            dispatch.dispatch()  # not yet due again
            row.refresh_from_db()
            assert row.attempts == 1
            _clock.move_to(NOW + timedelta(seconds=61))
            dispatch.dispatch()
            row.refresh_from_db()
            assert row.next_attempt_at == NOW + timedelta(seconds=61 + 120)
            _clock.move_to(NOW + timedelta(seconds=200))
            dispatch.dispatch()
        row.refresh_from_db()
        assert (row.status, row.attempts) == (Status.FAILED, 3)
        assert row.sent_at is None
        assert "550" in row.last_error

    def test_failed_emails_are_visible_to_the_therapist(self, client, therapist, patient):
        appointment = book(therapist, patient)
        appointment.reminders.filter(kind=Kind.BOOKED).update(
            status=Status.FAILED, attempts=6, last_error="550 mailbox full"
        )
        client.force_login(therapist)
        page = client.get(reverse("prep:reminder_log")).content.decode()
        assert "could not be delivered" in page
        assert "550 mailbox full" in page

    def test_two_dispatchers_claim_different_rows(self, therapist, patient):
        book(therapist, patient)
        first = dispatch.claim_due(10)
        second = dispatch.claim_due(10)
        assert first and second == []

    def test_a_dead_workers_claims_go_back_to_pending(self, _clock, settings, therapist, patient):
        appointment = book(therapist, patient)
        dispatch.claim_due(10)  # claimed, then the worker died
        _clock.move_to(NOW + timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT + 1))
        dispatch.dispatch()
        assert appointment.reminders.get(kind=Kind.BOOKED).status == Status.SENT
        assert len(sent_to(patient.email)) == 1


class TestEmailedLinks:
    @pytest.fixture
    def booked_email(self, therapist, patient):
        appointment = book(therapist, patient)
        dispatch.dispatch()
        [message] = sent_to(patient.email)
        urls = re.findall(r"https?://[^/\s]+(/email/\S+/)", message.body)
        return appointment, urls[0], urls[1]

    def test_confirm_works_without_signing_in_and_only_once(self, client, booked_email):
        appointment, confirm, _cancel = booked_email
        page = client.get(confirm)
        assert "See you then?" in page.content.decode()
        appointment.refresh_from_db()
        assert appointment.confirmed_at is None  # a GET (a mail scanner) changes nothing
        assert "it’s confirmed" in client.post(confirm).content.decode()
        appointment.refresh_from_db()
        assert appointment.confirmed_at == NOW
        assert "it’s confirmed" in client.get(confirm).content.decode()

    def test_cancel_works_without_signing_in(self, client, booked_email, patient):
        appointment, _confirm, cancel = booked_email
        client.post(cancel)
        appointment.refresh_from_db()
        assert appointment.outcome == Appointment.Outcome.CANCELLED_BY_PATIENT
        again = client.post(cancel)
        assert again.status_code == 410
        assert "This session is cancelled" in again.content.decode()

    def test_a_late_cancellation_gets_a_note(self, client, _clock, booked_email, patient):
        appointment, _confirm, cancel = booked_email
        _clock.move_to(appointment.starts_at - timedelta(hours=5))
        client.post(cancel)
        dispatch.dispatch()
        assert any("cancelled session" in m.subject for m in sent_to(patient.email))

    def test_an_expired_link_gets_a_clear_page(self, client, _clock, booked_email):
        _appointment, confirm, _cancel = booked_email
        _clock.move_to(NOW + timedelta(days=15))
        response = client.get(confirm)
        assert response.status_code == 410
        assert "expired" in response.content.decode()

    def test_a_link_for_the_old_time_of_a_moved_session_says_so(self, client, booked_email):
        appointment, confirm, _cancel = booked_email
        appointment.starts_at += timedelta(days=1)
        appointment.ends_at += timedelta(days=1)
        appointments.save_booking(appointment)
        response = client.post(confirm)
        assert response.status_code == 410
        assert "This session has moved" in response.content.decode()

    def test_a_tampered_link_is_refused(self, client, booked_email):
        _appointment, confirm, _cancel = booked_email
        response = client.get(confirm[:-6] + "xxxxx/")
        assert response.status_code == 404

    def test_a_missed_session_gets_a_kind_follow_up_and_can_ask_for_a_new_time(
        self, client, _clock, therapist, patient
    ):
        appointment = book(therapist, patient)
        _clock.move_to(appointment.starts_at + timedelta(hours=1))
        appointments.record_outcome(appointment, Appointment.Outcome.NO_SHOW)
        dispatch.dispatch()
        follow_up = next(m for m in sent_to(patient.email) if "We missed you" in m.subject)
        rebook = re.search(r"https?://[^/\s]+(/email/\S+/)", follow_up.body).group(1)
        client.post(rebook)
        dispatch.dispatch()
        assert any("asks for a new time" in m.subject for m in sent_to(therapist.email))

    def test_an_attended_session_asks_for_feedback(self, _clock, therapist, patient):
        appointment = book(therapist, patient)
        _clock.move_to(appointment.starts_at + timedelta(hours=1))
        appointments.record_outcome(appointment, Appointment.Outcome.ATTENDED)
        dispatch.dispatch()
        assert any("How did your session feel?" in m.subject for m in sent_to(patient.email))


class TestUnsubscribe:
    def link(self, patient, category="reminders"):
        return re.sub(r"^https?://[^/]+", "", reminders.unsubscribe_link(patient, category))

    def test_one_click_unsubscribe_works_without_a_session_or_csrf(self, patient):
        client = Client(enforce_csrf_checks=True)
        response = client.post(self.link(patient), {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        assert EmailPreference.objects.get(user=patient).reminders is False

    def test_opening_the_link_only_asks(self, client, patient):
        assert "Stop these emails?" in client.get(self.link(patient)).content.decode()
        assert not EmailPreference.objects.filter(user=patient).exists()

    def test_a_forged_link_is_refused(self, client, patient):
        assert client.post(self.link(patient)[:-8] + "abcdefg/").status_code == 404


class TestDailyNudge:
    def test_it_comes_at_the_patients_local_time_and_not_when_logged(self, _clock, patient):
        patient.reminder_time = time(20, 0)
        patient.save()
        row = reminders.plan_daily_nudge(patient)
        assert row.due_at == datetime(2026, 6, 1, 19, 0, tzinfo=UTC)  # 20:00 BST
        _clock.move_to(row.due_at)
        dispatch.dispatch()
        assert any("A minute for today?" in m.subject for m in sent_to(patient.email))

        tomorrow = reminders.plan_daily_nudge(patient)
        DailyEntryFactory(patient=patient, day=tomorrow.due_at.date())
        mail.outbox.clear()
        _clock.move_to(tomorrow.due_at)
        dispatch.dispatch()
        assert sent_to(patient.email) == []
        tomorrow.refresh_from_db()
        assert tomorrow.status == Status.SKIPPED

    @pytest.mark.parametrize(
        ("now", "due_utc"),
        [
            # London, 20:00 local: GMT the day before the clocks go forward, BST after.
            (datetime(2026, 3, 28, 9, 0, tzinfo=UTC), datetime(2026, 3, 28, 20, 0, tzinfo=UTC)),
            (datetime(2026, 3, 29, 9, 0, tzinfo=UTC), datetime(2026, 3, 29, 19, 0, tzinfo=UTC)),
            (datetime(2026, 10, 24, 9, 0, tzinfo=UTC), datetime(2026, 10, 24, 19, 0, tzinfo=UTC)),
            (datetime(2026, 10, 25, 9, 0, tzinfo=UTC), datetime(2026, 10, 25, 20, 0, tzinfo=UTC)),
        ],
    )
    def test_it_follows_daylight_saving(self, _clock, patient, now, due_utc):
        patient.reminder_time = time(20, 0)
        patient.save()
        _clock.move_to(now)
        assert reminders.plan_daily_nudge(patient).due_at == due_utc

    def test_never_at_night(self, patient):
        patient.reminder_time = time(23, 45)
        assert reminders.nudge_time(patient, NOW.date()).time() == time(21, 30)
        patient.reminder_time = time(4, 0)
        assert reminders.nudge_time(patient, NOW.date()).time() == time(7, 0)

    def test_a_paused_nudge_is_not_sent(self, _clock, patient):
        EmailPreference.objects.create(
            user=patient, daily_paused_until=NOW.date() + timedelta(days=3)
        )
        row = reminders.plan_daily_nudge(patient)
        _clock.move_to(row.due_at)
        dispatch.dispatch()
        assert sent_to(patient.email) == []

    def test_changing_the_reminder_time_replans_in_the_same_step(self, client, patient):
        reminders.plan_daily_nudge(patient)
        client.force_login(patient)
        response = client.post(
            reverse("prep:email_preferences"),
            {"reminders": "on", "reminder_first": "on", "reminder_second": "on",
             "bookings": "on", "daily": "on", "summaries": "on", "feedback": "on",
             "reminder_time": "18:30"},
        )  # fmt: skip
        assert response.status_code == 302
        [pending] = Reminder.objects.filter(
            recipient=patient, kind=Kind.DAILY_NUDGE, status=Status.PENDING
        )
        assert pending.due_at == datetime(2026, 6, 1, 17, 30, tzinfo=UTC)

    def test_bad_settings_get_a_message(self, client, patient):
        client.force_login(patient)
        response = client.post(reverse("prep:email_preferences"), {"reminder_time": "7pm"})
        assert response.status_code == 400
        assert "Enter a valid time." in response.content.decode()


def test_a_prepared_draft_tells_the_patient_it_is_ready(therapist, patient):
    from prep import tasks

    book(therapist, patient, starts_at=NOW + timedelta(hours=30))
    tasks.prepare_upcoming_summaries()
    dispatch.dispatch()
    assert any("is ready to look over" in m.subject for m in sent_to(patient.email))


def test_practice_reminder_times_are_validated(client, therapist):
    client.force_login(therapist)
    response = client.post(
        reverse("prep:reminder_log"), {"first_reminder_hours": "2", "second_reminder_hours": "5"}
    )
    assert response.status_code == 400
    assert "The second reminder comes after the first." in response.content.decode()


@pytest.mark.parametrize(
    ("person", "status"), [("patient", 200), ("therapist", 404), ("manager", 404)]
)
def test_email_settings_are_the_patients(client, request, person, status):
    client.force_login(request.getfixturevalue(person))
    assert client.get(reverse("prep:email_preferences")).status_code == status


@pytest.mark.parametrize(
    ("person", "status"), [("therapist", 200), ("patient", 404), ("manager", 404)]
)
def test_the_reminder_log_is_the_therapists(client, request, person, status):
    client.force_login(request.getfixturevalue(person))
    assert client.get(reverse("prep:reminder_log")).status_code == status


def test_the_reminder_log_shows_only_ones_own_sessions(
    client, other_therapist, other_patient, therapist, patient
):
    book(therapist, patient)
    client.force_login(other_therapist)
    page = client.get(reverse("prep:reminder_log")).content.decode()
    assert patient.display_name not in page


def test_one_broken_reminder_does_not_hold_up_the_batch(therapist, patient):
    first = book(therapist, patient)
    book(therapist, patient, starts_at=NOW + timedelta(days=4))
    real_build = reminders.build

    def build(reminder):
        if reminder.appointment_id == first.pk:
            raise ValueError("a broken template")
        return real_build(reminder)

    with mock.patch.object(reminders, "build", side_effect=build):
        totals = dispatch.dispatch()
    assert (totals["sent"], totals["retry"]) == (1, 1)
    assert first.reminders.get(kind=Kind.BOOKED).last_error == "a broken template"


def test_a_row_reclaimed_by_another_dispatcher_is_not_sent_twice(
    _clock, settings, therapist, patient
):
    """GIVEN a slow dispatcher holding a row whose claim went stale and was taken over
    WHEN the slow one finally reaches the row THEN it leaves it to the new owner."""
    from django.core.mail import get_connection

    appointment = book(therapist, patient)
    dispatch.claim_due(10)
    held_by_slow_worker = appointment.reminders.get(kind=Kind.BOOKED)
    _clock.move_to(NOW + timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT + 1))
    dispatch.release_stale_claims()
    fresh_ids = dispatch.claim_due(10)
    assert dispatch._send_one(held_by_slow_worker, get_connection()) == "skipped"
    assert sent_to(patient.email) == []
    assert dispatch.send_claimed(fresh_ids)["sent"] == 1
    assert len(sent_to(patient.email)) == 1
