"""What a person chooses to receive: a category turned off is skipped at send time,
every optional email carries a one-click unsubscribe link and List-Unsubscribe
headers, and the patient's email settings page."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from appointments import booking, emails
from appointments.models import Appointment
from notifications import dispatch
from notifications.links import unsubscribe_link
from notifications.models import EmailPreference, Message

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def book(therapist, patient) -> Appointment:
    starts_at = NOW + timedelta(days=3)
    appointment = Appointment(
        therapist=therapist, patient=patient, starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=50), location="Room 2",
    )  # fmt: skip
    return booking.save_booking(appointment)


def sent_to(email: str) -> list:
    return [message for message in mail.outbox if email in message.to]


def test_a_category_turned_off_is_skipped_not_sent(therapist, patient):
    EmailPreference.objects.create(user=patient, bookings=False)
    appointment = book(therapist, patient)
    dispatch.dispatch()
    assert sent_to(patient.email) == []
    row = Message.objects.get(kind=emails.BOOKED, target_id=appointment.pk)
    assert row.status == Message.Status.SKIPPED


def test_a_category_turned_off_after_planning_is_skipped_too(therapist, patient):
    appointment = book(therapist, patient)
    EmailPreference.objects.create(user=patient, bookings=False)
    dispatch.dispatch()
    assert sent_to(patient.email) == []
    row = Message.objects.get(kind=emails.BOOKED, target_id=appointment.pk)
    assert row.status == Message.Status.SKIPPED


def test_every_email_has_one_click_unsubscribe_headers(therapist, patient):
    book(therapist, patient)
    dispatch.dispatch()
    [message] = sent_to(patient.email)
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"][1:-1] in message.body


def test_the_emailed_link_turns_off_that_category(client, therapist, patient):
    book(therapist, patient)
    dispatch.dispatch()
    [message] = sent_to(patient.email)
    link = re.sub(r"^https?://[^/]+", "", message.extra_headers["List-Unsubscribe"][1:-1])
    client.post(link)
    preference = EmailPreference.objects.get(user=patient)
    assert preference.bookings is False
    assert preference.reminders is True


class TestUnsubscribe:
    def link(self, patient, category="reminders"):
        return re.sub(r"^https?://[^/]+", "", unsubscribe_link(patient, category))

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
        assert not EmailPreference.objects.filter(user=patient).exists()

    def test_unsubscribing_twice_at_once_is_fine(self, client, patient):
        link = self.link(patient, "daily")
        client.post(link)
        client.post(link)
        assert EmailPreference.objects.get(user=patient).daily is False


class TestEmailSettings:
    @pytest.mark.parametrize(
        ("person", "status"), [("patient", 200), ("therapist", 404), ("manager", 404)]
    )
    def test_they_are_the_patients(self, client, request, person, status):
        client.force_login(request.getfixturevalue(person))
        assert client.get(reverse("notifications:email_preferences")).status_code == status

    def test_reading_them_saves_nothing(self, client, patient):
        client.force_login(patient)
        client.get(reverse("notifications:email_preferences"))
        assert not EmailPreference.objects.exists()

    def test_a_category_unticked_is_saved(self, client, patient):
        client.force_login(patient)
        response = client.post(
            reverse("notifications:email_preferences"),
            {"reminders": "on", "reminder_first": "on", "bookings": "on", "daily": "on",
             "summaries": "on", "reminder_time": "20:00"},
        )  # fmt: skip
        assert response.status_code == 302
        preference = EmailPreference.objects.get(user=patient)
        assert (preference.reminder_second, preference.feedback) == (False, False)
        assert preference.reminders is True

    def test_bad_settings_get_a_message(self, client, patient):
        client.force_login(patient)
        response = client.post(reverse("notifications:email_preferences"), {"reminder_time": "7pm"})
        assert response.status_code == 400
        assert "Enter a valid time." in response.content.decode()
        assert not EmailPreference.objects.exists()
