"""The signed links in appointment emails: confirm, cancel and ask for a new time,
without signing in; a GET only shows a page, a POST acts; the pages they lead to."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from appointments import booking, emails
from appointments.models import Appointment
from notifications.models import Message
from tests.factories import book_session

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
LINK = re.compile(r"https?://[^/\s]+(/email/\S+/)")


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def book(therapist, patient, starts_at=NOW + timedelta(days=3)) -> Appointment:
    return book_session(therapist, patient, starts_at)


def sent_to(email: str) -> list:
    return [message for message in mail.outbox if email in message.to]


@pytest.fixture
def booked_email(deliver_outbox, therapist, patient):
    appointment = book(therapist, patient)
    deliver_outbox()
    [message] = sent_to(patient.email)
    confirm, cancel = LINK.findall(message.body)[:2]
    return appointment, confirm, cancel


def test_confirm_works_without_signing_in_and_only_once(client, booked_email):
    appointment, confirm, _cancel = booked_email
    page = client.get(confirm)
    assert "See you then?" in page.content.decode()
    appointment.refresh_from_db()
    assert appointment.confirmed_at is None  # a GET (a mail scanner) changes nothing
    assert "it’s confirmed" in client.post(confirm).content.decode()
    appointment.refresh_from_db()
    assert appointment.confirmed_at == NOW
    assert "it’s confirmed" in client.get(confirm).content.decode()


def test_cancel_works_without_signing_in(client, deliver_outbox, booked_email, patient):
    appointment, _confirm, cancel = booked_email
    client.post(cancel)
    appointment.refresh_from_db()
    assert appointment.outcome == Appointment.Outcome.CANCELLED_BY_PATIENT
    again = client.post(cancel)
    assert again.status_code == 410
    assert "This session is cancelled" in again.content.decode()
    deliver_outbox()
    assert sum("cancelled" in m.subject for m in sent_to(patient.email)) == 1


def test_a_late_cancellation_gets_a_note(client, _clock, deliver_outbox, booked_email, patient):
    appointment, _confirm, cancel = booked_email
    _clock.move_to(appointment.starts_at - timedelta(hours=5))
    client.post(cancel)
    deliver_outbox()
    assert any("cancelled session" in m.subject for m in sent_to(patient.email))


def test_an_expired_link_gets_a_clear_page(client, _clock, booked_email):
    _appointment, confirm, _cancel = booked_email
    _clock.move_to(NOW + timedelta(days=15))
    response = client.get(confirm)
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_a_link_for_the_old_time_of_a_moved_session_says_so(client, booked_email):
    appointment, confirm, _cancel = booked_email
    appointment.starts_at += timedelta(days=1)
    appointment.ends_at += timedelta(days=1)
    booking.save_booking(appointment)
    response = client.post(confirm)
    assert response.status_code == 410
    assert "This session has moved" in response.content.decode()


def test_a_tampered_link_is_refused(client, booked_email):
    _appointment, confirm, _cancel = booked_email
    response = client.get(confirm[:-6] + "xxxxx/")
    assert response.status_code == 404


class TestAskingForANewTime:
    @pytest.fixture
    def missed(self, _clock, deliver_outbox, therapist, patient):
        """A missed session and the link in its kind follow-up."""
        appointment = book(therapist, patient)
        _clock.move_to(appointment.starts_at + timedelta(hours=1))
        booking.record_outcome(appointment, Appointment.Outcome.NO_SHOW)
        deliver_outbox()
        follow_up = next(m for m in sent_to(patient.email) if "We missed you" in m.subject)
        return appointment, LINK.search(follow_up.body).group(1)

    def test_a_missed_session_gets_a_kind_follow_up_and_can_ask_for_a_new_time(
        self, client, deliver_outbox, missed, therapist
    ):
        _appointment, rebook = missed
        assert client.get(rebook).status_code == 200
        assert deliver_outbox() == 0  # opening the link asks nothing of anyone
        client.post(rebook)
        deliver_outbox()
        assert any("asks for a new time" in m.subject for m in sent_to(therapist.email))

    def test_asking_twice_sends_the_therapist_one_email(
        self, client, deliver_outbox, missed, therapist
    ):
        appointment, rebook = missed
        first, second = client.post(rebook), client.post(rebook)
        assert (first.status_code, second.status_code) == (200, 200)
        assert (
            Message.objects.filter(kind=emails.REBOOK_REQUEST, target_id=appointment.pk).count()
            == 1
        )
        assert deliver_outbox() == 1
        requests = [m for m in sent_to(therapist.email) if "asks for a new time" in m.subject]
        assert len(requests) == 1
        assert "You’ve already asked" in second.content.decode()

    def test_the_link_is_single_use(
        self, client, _clock, deliver_outbox, missed, therapist, patient
    ):
        _appointment, rebook = missed
        _clock.shift(timedelta(minutes=5))
        asked_at = timezone.now()
        first = client.post(rebook).content.decode()
        assert "We’ve passed that on" in first
        deliver_outbox()
        _clock.shift(timedelta(days=1))
        again = client.get(rebook)
        page = again.content.decode()
        assert again.status_code == 200
        assert "You’ve already asked" in page
        # When they asked, in their own zone, and no button to ask again.
        assert f"{asked_at.astimezone(patient.zone):%A %-d %B, %H:%M} (Europe/London)" in page
        assert "Ask for a new time</button>" not in page
        client.post(rebook)
        assert deliver_outbox() == 0
        requests = [m for m in sent_to(therapist.email) if "asks for a new time" in m.subject]
        assert len(requests) == 1

    def test_before_asking_the_link_offers_the_button(self, client, missed):
        _appointment, rebook = missed
        page = client.get(rebook).content.decode()
        assert "Ask for a new time</button>" in page
        assert "already asked" not in page
