"""The emails about a session: planned in the outbox on booking, moving, cancelling
and attendance; reminders at the practice's times with an .ics file; the therapist's
log of them and the practice's reminder settings."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from appointments import booking, emails
from appointments.models import Appointment
from notifications import dispatch
from notifications.models import EmailPreference, Message, PracticeSettings
from tests.factories import AppointmentFactory, DailyEntryFactory, book_session

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
Status = Message.Status


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def book(therapist, patient, starts_at=NOW + timedelta(days=3)) -> Appointment:
    return book_session(therapist, patient, starts_at)


def outbox_about(appointment, *kinds):
    """The outbox rows about this session (of these kinds, or of any session kind)."""
    return Message.objects.about(
        kinds or (*emails.ABOUT_A_SESSION, emails.CANCELLED), appointment.pk
    )


def sent_to(email: str) -> list:
    return [message for message in mail.outbox if email in message.to]


def ics_of(message) -> Calendar:
    [(_name, content, _type)] = [a for a in message.attachments if a[0].endswith(".ics")]
    return Calendar.from_ical(content)


class TestPlanning:
    def test_booking_plans_a_confirmation_now_and_two_reminders(self, therapist, patient):
        appointment = book(therapist, patient)
        rows = {(m.kind, m.variant, m.due_at) for m in outbox_about(appointment)}
        assert rows == {
            (emails.BOOKED, "", NOW),
            (emails.REMINDER, "first", appointment.starts_at - timedelta(hours=24)),
            (emails.REMINDER, "second", appointment.starts_at - timedelta(hours=2)),
        }
        assert {m.recipient for m in outbox_about(appointment)} == {patient}

    def test_the_practice_can_change_the_reminder_times(self, therapist, patient):
        PracticeSettings.objects.create(first_reminder_hours=48, second_reminder_hours=1)
        appointment = book(therapist, patient)
        dues = set(outbox_about(appointment, emails.REMINDER).values_list("due_at", flat=True))
        assert dues == {
            appointment.starts_at - timedelta(hours=48),
            appointment.starts_at - timedelta(hours=1),
        }

    def test_moving_reschedules_the_pending_reminders(self, therapist, patient):
        appointment = book(therapist, patient)
        appointment.starts_at += timedelta(days=1)
        appointment.ends_at += timedelta(days=1)
        booking.save_booking(appointment)
        pending = outbox_about(appointment, emails.REMINDER).pending()
        assert sorted(pending.values_list("due_at", flat=True)) == [
            appointment.starts_at - timedelta(hours=24),
            appointment.starts_at - timedelta(hours=2),
        ]
        assert outbox_about(appointment, emails.MOVED).count() == 1
        assert outbox_about(appointment).filter(status=Status.CANCELLED).count() == 2

    def test_cancelling_cancels_the_pending_reminders(self, deliver_outbox, therapist, patient):
        appointment = book(therapist, patient)
        deliver_outbox()
        booking.cancel(appointment, therapist)
        assert not outbox_about(appointment, emails.REMINDER).pending().exists()
        assert outbox_about(appointment, emails.CANCELLED).exists()

    def test_replanning_never_doubles_a_row(self, therapist, patient):
        appointment = book(therapist, patient)
        emails.plan_for_booking(appointment)
        emails.plan_for_booking(appointment)
        assert outbox_about(appointment, emails.REMINDER).pending().count() == 2
        assert outbox_about(appointment, emails.BOOKED).count() == 1


class TestSending:
    def test_each_reminder_is_sent_once_at_its_time_with_an_ics(
        self, _clock, deliver_outbox, therapist, patient
    ):
        appointment = book(therapist, patient)
        deliver_outbox()
        [booked] = sent_to(patient.email)
        assert "Session booked" in booked.subject
        _clock.move_to(appointment.starts_at - timedelta(hours=24) + timedelta(seconds=30))
        deliver_outbox()
        deliver_outbox()
        reminder = sent_to(patient.email)[-1]
        assert len(sent_to(patient.email)) == 2
        assert "Reminder: your session" in reminder.subject
        calendar = ics_of(reminder)
        assert calendar["METHOD"] == "REQUEST"
        [event] = calendar.walk("VEVENT")
        assert str(event["UID"]) == f"appointment-{appointment.pk}@127.0.0.1"
        assert int(event["SEQUENCE"]) == 0

    def test_the_email_says_when_and_where_and_nothing_else(
        self, deliver_outbox, therapist, patient
    ):
        DailyEntryFactory(patient=patient, thoughts="I feel hopeless", mood=1)
        book(therapist, patient)
        deliver_outbox()
        [message] = sent_to(patient.email)
        text = message.body + message.alternatives[0][0]
        assert "Room 2" in text
        assert "Thursday 4 June" in text
        for private in ("hopeless", "mood", "PHQ", "anxiety"):
            assert private not in text

    def test_times_are_in_the_patients_own_zone(self, deliver_outbox, therapist, patient):
        patient.timezone = "America/New_York"
        patient.save()
        book(therapist, patient, starts_at=datetime(2026, 6, 4, 14, 0, tzinfo=UTC))
        deliver_outbox()
        assert "10:00" in sent_to(patient.email)[0].body  # EDT is UTC-4

    def test_a_moved_session_bumps_the_sequence_and_a_cancelled_one_sends_cancel(
        self, deliver_outbox, therapist, patient
    ):
        appointment = book(therapist, patient)
        deliver_outbox()
        appointment.starts_at += timedelta(hours=2)
        appointment.ends_at += timedelta(hours=2)
        booking.save_booking(appointment)
        deliver_outbox()
        booking.cancel(appointment, therapist)
        deliver_outbox()
        moved = ics_of(next(m for m in sent_to(patient.email) if "moved" in m.subject))
        cancelled = ics_of(next(m for m in sent_to(patient.email) if "cancelled" in m.subject))
        assert int(moved.walk("VEVENT")[0]["SEQUENCE"]) == 1
        assert cancelled["METHOD"] == "CANCEL"
        assert int(cancelled.walk("VEVENT")[0]["SEQUENCE"]) == 2
        assert cancelled.walk("VEVENT")[0]["UID"] == moved.walk("VEVENT")[0]["UID"]

    def test_the_patient_can_turn_off_one_of_the_two_reminders(
        self, _clock, deliver_outbox, therapist, patient
    ):
        EmailPreference.objects.create(user=patient, reminder_second=False)
        appointment = book(therapist, patient)
        _clock.move_to(appointment.starts_at - timedelta(minutes=90))
        deliver_outbox()
        subjects = [m.subject for m in sent_to(patient.email)]
        assert sum("Reminder" in s for s in subjects) == 1

    def test_a_reminder_for_a_session_cancelled_since_is_not_sent(
        self, _clock, deliver_outbox, therapist, patient
    ):
        appointment = book(therapist, patient)
        deliver_outbox()
        # Cancelled behind the outbox's back: the send-time check still drops it.
        Appointment.objects.filter(pk=appointment.pk).update(
            outcome=Appointment.Outcome.CANCELLED_BY_THERAPIST
        )
        _clock.move_to(appointment.starts_at - timedelta(hours=2))
        deliver_outbox()
        assert not any("Reminder" in m.subject for m in sent_to(patient.email))
        assert set(outbox_about(appointment, emails.REMINDER).values_list("status", flat=True)) == {
            Status.SKIPPED
        }


def test_the_first_and_second_reminder_follow_their_own_preference(therapist, patient):
    PracticeSettings.objects.create(first_reminder_hours=6, second_reminder_hours=2)
    EmailPreference.objects.create(user=patient, reminder_first=False)
    appointment = book(therapist, patient, starts_at=NOW + timedelta(hours=10))
    rows = outbox_about(appointment, emails.REMINDER).order_by("due_at")
    assert [(row.variant, dispatch.still_wanted(row)) for row in rows] == [
        ("first", False),
        ("second", True),
    ]


def test_which_reminder_a_row_is_comes_from_its_variant_not_its_time(therapist, patient):
    EmailPreference.objects.create(user=patient, reminder_first=False)
    appointment = AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() + timedelta(hours=10)
    )
    same_time = timezone.now() + timedelta(hours=1)
    rows = [
        Message.objects.create(
            key=variant,
            kind=emails.REMINDER,
            variant=variant,
            recipient=patient,
            target_id=appointment.pk,
            due_at=same_time,
        )
        for variant in ("first", "second")
    ]
    assert [dispatch.still_wanted(row) for row in rows] == [False, True]


class TestFollowUps:
    @pytest.fixture
    def past(self, therapist, patient):
        return AppointmentFactory(
            therapist=therapist, patient=patient, starts_at=timezone.now() - timedelta(hours=2)
        )

    def test_an_attended_session_asks_for_feedback(
        self, _clock, deliver_outbox, therapist, patient
    ):
        appointment = book(therapist, patient)
        _clock.move_to(appointment.starts_at + timedelta(hours=1))
        booking.record_outcome(appointment, Appointment.Outcome.ATTENDED)
        deliver_outbox()
        assert any("How did your session feel?" in m.subject for m in sent_to(patient.email))

    def test_a_corrected_outcome_sends_only_the_email_that_fits(
        self, deliver_outbox, past, patient
    ):
        booking.record_outcome(past, Appointment.Outcome.NO_SHOW)
        booking.record_outcome(past, Appointment.Outcome.ATTENDED)
        deliver_outbox()
        subjects = [m.subject for m in mail.outbox if m.to == [patient.email]]
        assert any("How did your session feel?" in s for s in subjects)
        assert not any("We missed you" in s for s in subjects)
        booking.record_outcome(past, Appointment.Outcome.LATE)
        deliver_outbox()
        assert sum("How did your session feel?" in m.subject for m in mail.outbox) == 1

    def test_a_cancelled_session_cannot_be_marked_missed(self, past):
        Appointment.objects.filter(pk=past.pk).update(
            outcome=Appointment.Outcome.CANCELLED_BY_PATIENT
        )
        past.refresh_from_db()
        with pytest.raises(booking.BookingError):
            booking.record_outcome(past, Appointment.Outcome.NO_SHOW)
        assert not Message.objects.filter(kind=emails.NO_SHOW, target_id=past.pk).exists()


def test_a_prepared_draft_tells_the_patient_it_is_ready(deliver_outbox, therapist, patient):
    from prep import tasks

    book(therapist, patient, starts_at=NOW + timedelta(hours=30))
    tasks.prepare_upcoming_summaries()
    deliver_outbox()
    assert any("is ready to look over" in m.subject for m in sent_to(patient.email))


class TestTheTherapistsLog:
    def test_it_lists_the_emails_about_their_sessions(self, client, therapist, patient):
        book(therapist, patient)
        client.force_login(therapist)
        page = client.get(reverse("appointments:reminder_log")).content.decode()
        assert "Booking confirmation" in page
        assert "Appointment reminder" in page
        assert patient.display_name in page

    def test_it_shows_only_ones_own_sessions(
        self, client, other_therapist, other_patient, therapist, patient
    ):
        book(therapist, patient)
        client.force_login(other_therapist)
        page = client.get(reverse("appointments:reminder_log")).content.decode()
        assert patient.display_name not in page

    @pytest.mark.parametrize(
        ("person", "status"), [("therapist", 200), ("patient", 404), ("manager", 404)]
    )
    def test_it_is_the_therapists(self, client, request, person, status):
        client.force_login(request.getfixturevalue(person))
        assert client.get(reverse("appointments:reminder_log")).status_code == status

    def test_it_shows_the_practice_reminder_times_as_text(self, client, therapist):
        PracticeSettings.objects.create(first_reminder_hours=48, second_reminder_hours=1)
        client.force_login(therapist)
        page = client.get(reverse("appointments:reminder_log")).content.decode()
        assert "48 hours before each session" in page
        assert "1 hour before" in page
        assert 'name="first_reminder_hours"' not in page
        assert '<form method="post" novalidate' not in page

    def test_a_therapist_cannot_change_the_practice_reminder_times(self, client, therapist):
        client.force_login(therapist)
        response = client.post(
            reverse("appointments:reminder_log"),
            {"first_reminder_hours": "48", "second_reminder_hours": "3"},
        )
        assert response.status_code == 405
        assert not PracticeSettings.objects.exists()


class TestThePracticeReminderTimes:
    """The practice-wide schedule reaches every patient: the practice manager's."""

    @pytest.mark.parametrize(
        ("person", "status"),
        [("manager", 200), ("therapist", 404), ("other_therapist", 404), ("patient", 404)],
    )
    def test_only_the_practice_manager_opens_it(self, client, request, person, status):
        client.force_login(request.getfixturevalue(person))
        assert client.get(reverse("notifications:practice_settings")).status_code == status

    @pytest.mark.parametrize("person", ["therapist", "patient"])
    def test_no_one_else_can_change_it(self, client, request, person):
        client.force_login(request.getfixturevalue(person))
        response = client.post(
            reverse("notifications:practice_settings"),
            {"first_reminder_hours": "48", "second_reminder_hours": "3"},
        )
        assert response.status_code == 404
        assert not PracticeSettings.objects.exists()

    def test_signed_out_it_asks_for_sign_in(self, client, db):
        response = client.post(
            reverse("notifications:practice_settings"),
            {"first_reminder_hours": "48", "second_reminder_hours": "3"},
        )
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
        assert not PracticeSettings.objects.exists()

    def test_the_manager_sets_the_times(self, client, manager):
        client.force_login(manager)
        response = client.post(
            reverse("notifications:practice_settings"),
            {"first_reminder_hours": "48", "second_reminder_hours": "3"},
        )
        assert response.status_code == 302
        practice = PracticeSettings.current()
        assert (practice.first_reminder_hours, practice.second_reminder_hours) == (48, 3)
        page = client.get(response.url).content.decode()
        assert "Reminder times saved" in page

    def test_new_times_apply_to_sessions_booked_after(self, client, manager, therapist, patient):
        client.force_login(manager)
        client.post(
            reverse("notifications:practice_settings"),
            {"first_reminder_hours": "48", "second_reminder_hours": "3"},
        )
        appointment = book(therapist, patient, starts_at=timezone.now() + timedelta(days=5))
        due = sorted(
            Message.objects.filter(kind=emails.REMINDER, target_id=appointment.pk).values_list(
                "due_at", flat=True
            )
        )
        assert [appointment.starts_at - when for when in due] == [
            timedelta(hours=48),
            timedelta(hours=3),
        ]

    @pytest.mark.parametrize(
        ("first", "second", "error"),
        [
            ("2", "5", "The second reminder comes after the first."),
            ("0", "", "Choose between 1 and 168 hours."),
            ("500", "2", "Choose between 1 and 168 hours."),
            ("99999999999999999999", "2", ""),
            ("soon", "2", ""),
        ],
    )
    def test_times_are_checked(self, client, manager, first, second, error):
        client.force_login(manager)
        response = client.post(
            reverse("notifications:practice_settings"),
            {"first_reminder_hours": first, "second_reminder_hours": second},
        )
        assert response.status_code == 400
        assert error in response.content.decode()
        assert not PracticeSettings.objects.exists()
