"""Reminders by absolute time: "24 h before" and "2 h before" are exact durations
before the session's instant, whatever the clocks do in between; each outbox row
says which reminder it is; every email and emailed-link page shows times in its
reader's own zone. Across the 2027 clock changes in London (28 March, 31 October)
and New York (14 March, 7 November), and for a New York patient of a London
therapist."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from appointments import emails
from appointments.models import Appointment
from notifications.models import EmailPreference, Message
from tests.appointments.form_page import submit
from tests.factories import book_session

Status = Message.Status
LINK = re.compile(r"https?://[^/\s]+(/email/\S+/)")


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2027, 1, 4, 9, 0, tzinfo=UTC), tick=False) as traveller:
        yield traveller


def book_through_the_form(client, therapist, patient, day: str, start: str) -> Appointment:
    """The therapist books on the form, in their own zone, as they would."""
    client.force_login(therapist)
    response = submit(
        client,
        reverse("appointments:appointment_new"),
        patient=str(patient.pk),
        day=day,
        start=start,
        location="Room 2",
    )
    assert response.status_code == 302, response.content.decode()
    client.logout()
    return Appointment.objects.filter(patient=patient).latest("pk")


def reminders(appointment) -> dict[str, datetime]:
    rows = Message.objects.about([emails.REMINDER], appointment.pk).pending()
    return {row.variant: row.due_at for row in rows}


def reminders_sent_to(person) -> list:
    return [m for m in mail.outbox if person.email in m.to and "Reminder" in m.subject]


def zone_for(person, name: str) -> None:
    person.timezone = name
    person.save()


# (therapist's zone, the day and time typed on the form, that instant in UTC)
SESSIONS = [
    # London springs forward at 01:00 UTC on 28 March: the day before has 23 hours.
    ("Europe/London", "2027-03-28", "10:00", datetime(2027, 3, 28, 9, 0, tzinfo=UTC)),
    # Just after the jump: two hours before 02:30 BST is 23:30 GMT the night before.
    ("Europe/London", "2027-03-28", "02:30", datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),
    ("Europe/London", "2027-03-29", "09:00", datetime(2027, 3, 29, 8, 0, tzinfo=UTC)),
    # London falls back at 01:00 UTC on 31 October: that day has 25 hours.
    ("Europe/London", "2027-10-31", "10:00", datetime(2027, 10, 31, 10, 0, tzinfo=UTC)),
    ("Europe/London", "2027-10-31", "02:30", datetime(2027, 10, 31, 2, 30, tzinfo=UTC)),
    ("Europe/London", "2027-11-01", "09:00", datetime(2027, 11, 1, 9, 0, tzinfo=UTC)),
    # New York springs forward on 14 March and falls back on 7 November.
    ("America/New_York", "2027-03-14", "03:30", datetime(2027, 3, 14, 7, 30, tzinfo=UTC)),
    ("America/New_York", "2027-03-14", "10:00", datetime(2027, 3, 14, 14, 0, tzinfo=UTC)),
    ("America/New_York", "2027-11-07", "10:00", datetime(2027, 11, 7, 15, 0, tzinfo=UTC)),
    # On London's change days New York's clock stays put; the gap between them moves.
    ("America/New_York", "2027-03-28", "10:00", datetime(2027, 3, 28, 14, 0, tzinfo=UTC)),
    ("America/New_York", "2027-10-31", "10:00", datetime(2027, 10, 31, 14, 0, tzinfo=UTC)),
]


@pytest.mark.parametrize(("zone", "day", "start", "instant"), SESSIONS)
def test_the_reminders_land_exactly_24_and_2_hours_before(
    client, clock, deliver_outbox, therapist, patient, zone, day, start, instant
):
    zone_for(therapist, zone)
    zone_for(patient, zone)
    clock.move_to(instant - timedelta(days=5))
    appointment = book_through_the_form(client, therapist, patient, day, start)
    assert appointment.starts_at == instant
    assert reminders(appointment) == {
        "first": instant - timedelta(hours=24),
        "second": instant - timedelta(hours=2),
    }
    deliver_outbox()  # the booking notice
    for hours in (24, 2):
        due = instant - timedelta(hours=hours)
        clock.move_to(due - timedelta(minutes=1))
        before = len(reminders_sent_to(patient))
        deliver_outbox()
        assert len(reminders_sent_to(patient)) == before, "not a minute early"
        clock.move_to(due)
        deliver_outbox()
        assert len(reminders_sent_to(patient)) == before + 1


@pytest.mark.parametrize(
    ("local", "first", "second"),
    [
        (
            datetime(2027, 3, 28, 10, 0, tzinfo=ZoneInfo("Europe/London")),
            datetime(2027, 3, 27, 9, 0, tzinfo=UTC),
            datetime(2027, 3, 28, 7, 0, tzinfo=UTC),
        ),
        (
            datetime(2027, 3, 28, 2, 30, tzinfo=ZoneInfo("Europe/London")),
            datetime(2027, 3, 27, 1, 30, tzinfo=UTC),
            datetime(2027, 3, 27, 23, 30, tzinfo=UTC),
        ),
        (
            datetime(2027, 11, 7, 10, 0, tzinfo=ZoneInfo("America/New_York")),
            datetime(2027, 11, 6, 15, 0, tzinfo=UTC),
            datetime(2027, 11, 7, 13, 0, tzinfo=UTC),
        ),
    ],
)
def test_a_start_time_that_carries_its_zone_is_counted_back_in_real_hours(
    clock, therapist, patient, local, first, second
):
    """Subtracting hours from a time in its own zone counts on the wall clock; the
    planning must not."""
    clock.move_to(local - timedelta(days=5))
    appointment = book_session(therapist, patient, local)
    assert reminders(appointment) == {"first": first, "second": second}


def test_a_session_over_the_autumn_change_lasts_its_length(client, clock, therapist, patient):
    # 01:30 on 31 October happens twice in London; the form takes the first (BST).
    clock.move_to(datetime(2027, 10, 25, 9, 0, tzinfo=UTC))
    appointment = book_through_the_form(client, therapist, patient, "2027-10-31", "01:30")
    assert appointment.starts_at == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=50)


def test_moving_a_session_across_the_change_replans_both_by_the_instant(
    client, clock, therapist, patient
):
    clock.move_to(datetime(2027, 3, 22, 9, 0, tzinfo=UTC))
    appointment = book_through_the_form(client, therapist, patient, "2027-03-27", "10:00")
    assert reminders(appointment) == {
        "first": datetime(2027, 3, 26, 10, 0, tzinfo=UTC),
        "second": datetime(2027, 3, 27, 8, 0, tzinfo=UTC),
    }
    client.force_login(therapist)
    url = reverse("appointments:appointment_edit", args=[appointment.pk])
    assert submit(client, url, day="2027-03-28", start="02:30").status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert reminders(appointment) == {
        "first": datetime(2027, 3, 27, 1, 30, tzinfo=UTC),
        "second": datetime(2027, 3, 27, 23, 30, tzinfo=UTC),
    }


@pytest.mark.parametrize(
    "instant",
    [datetime(2027, 3, 28, 9, 0, tzinfo=UTC), datetime(2027, 10, 31, 10, 0, tzinfo=UTC)],
    ids=["spring", "autumn"],
)
def test_day_before_on_same_day_off_keeps_the_day_before_reminder(
    client, clock, deliver_outbox, therapist, patient, instant
):
    EmailPreference.objects.create(user=patient, reminder_first=True, reminder_second=False)
    clock.move_to(instant - timedelta(days=5))
    local = instant.astimezone(therapist.zone)
    appointment = book_through_the_form(
        client, therapist, patient, f"{local:%Y-%m-%d}", f"{local:%H:%M}"
    )
    clock.move_to(instant - timedelta(hours=24))
    deliver_outbox()
    clock.move_to(instant - timedelta(hours=2))
    deliver_outbox()
    assert len(reminders_sent_to(patient)) == 1
    statuses = dict(
        Message.objects.about([emails.REMINDER], appointment.pk).values_list("variant", "status")
    )
    assert statuses == {"first": Status.SENT, "second": Status.SKIPPED}


def test_day_before_off_same_day_on_keeps_the_same_day_reminder(
    client, clock, deliver_outbox, therapist, patient
):
    EmailPreference.objects.create(user=patient, reminder_first=False, reminder_second=True)
    clock.move_to(datetime(2027, 3, 23, 9, 0, tzinfo=UTC))
    appointment = book_through_the_form(client, therapist, patient, "2027-03-28", "02:30")
    for due in reminders(appointment).values():
        clock.move_to(due)
        deliver_outbox()
    [reminder] = reminders_sent_to(patient)
    assert "Sunday 28 March, 02:30" in reminder.subject


class TestANewYorkPatientOfALondonTherapist:
    """Monday 29 March 2027, 10:00 in London (BST) is 09:00 UTC and 05:00 in New York
    (EDT): New York changed its clocks two weeks before London."""

    INSTANT = datetime(2027, 3, 29, 9, 0, tzinfo=UTC)

    @pytest.fixture
    def session(self, client, clock, deliver_outbox, therapist, patient):
        zone_for(patient, "America/New_York")
        clock.move_to(datetime(2027, 3, 24, 12, 0, tzinfo=UTC))
        appointment = book_through_the_form(client, therapist, patient, "2027-03-29", "10:00")
        deliver_outbox()
        return appointment

    def test_the_reminders_are_exact_and_say_the_patients_time(
        self, clock, deliver_outbox, session, patient
    ):
        assert session.starts_at == self.INSTANT
        assert reminders(session) == {
            "first": datetime(2027, 3, 28, 9, 0, tzinfo=UTC),
            "second": datetime(2027, 3, 29, 7, 0, tzinfo=UTC),
        }
        for due in reminders(session).values():
            clock.move_to(due)
            deliver_outbox()
        for email in reminders_sent_to(patient):
            text = email.body + email.alternatives[0][0]
            assert "Monday 29 March 2027, 05:00–05:50 (America/New_York)" in text
            assert "10:00" not in text
            assert "Monday 29 March, 05:00" in email.subject
        assert len(reminders_sent_to(patient)) == 2

    def test_the_booking_email_says_the_patients_time(self, session, patient):
        [booked] = [m for m in mail.outbox if patient.email in m.to]
        assert "Monday 29 March 2027, 05:00–05:50 (America/New_York)" in booked.body

    def test_the_therapist_reads_their_own_time(
        self, client, clock, deliver_outbox, session, therapist, patient
    ):
        """A missed session: the patient asks for a new time in New York's hours, the
        therapist's email about it says London's."""
        from appointments import booking

        clock.move_to(self.INSTANT + timedelta(hours=1))
        booking.record_outcome(session, Appointment.Outcome.NO_SHOW)
        deliver_outbox()
        follow_up = next(m for m in mail.outbox if "We missed you" in m.subject)
        rebook = LINK.search(follow_up.body).group(1)
        page = client.get(rebook).content.decode()
        assert "Monday 29 March, 05:00" in page
        client.post(rebook)
        deliver_outbox()
        [request] = [m for m in mail.outbox if therapist.email in m.to]
        assert "Monday 29 March, 10:00" in request.body
        assert "05:00" not in request.body

    def test_every_emailed_link_page_shows_the_patients_time(
        self, client, deliver_outbox, session, therapist, patient
    ):
        [booked] = [m for m in mail.outbox if patient.email in m.to]
        confirm, cancel = LINK.findall(booked.body)[:2]
        when = "Monday 29 March, 05:00"
        assert when in client.get(confirm).content.decode()
        assert when in client.post(confirm).content.decode()
        assert when in client.get(cancel).content.decode()

        # Moved by the therapist to 11:00 London, 06:00 New York: the old link says so.
        client.force_login(therapist)
        url = reverse("appointments:appointment_edit", args=[session.pk])
        assert submit(client, url, start="11:00").status_code == 302
        client.logout()
        moved = client.post(confirm)
        assert moved.status_code == 410
        page = moved.content.decode()
        assert "This session has moved" in page
        assert "Monday 29 March, 06:00" in page and "America/New_York" in page
        assert "10:00" not in page and "11:00" not in page

        deliver_outbox()
        moved_email = next(m for m in mail.outbox if "moved" in m.subject)
        _confirm, new_cancel = LINK.findall(moved_email.body)[:2]
        page = client.post(new_cancel).content.decode()
        assert "The session is cancelled" in page
        assert "Monday 29 March, 06:00 (America/New_York)" in page
