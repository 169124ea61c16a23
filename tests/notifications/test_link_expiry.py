"""Unsubscribe links expire after a year with a clear page; a moved session asks
for its confirmation again."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import time_machine
from django.urls import reverse

from appointments import booking
from appointments.models import Appointment
from notifications.links import unsubscribe_link
from notifications.models import EmailPreference
from tests.factories import AppointmentFactory

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def path_of(link: str) -> str:
    return urlsplit(link).path


def test_an_unsubscribe_link_works_for_a_year(client, patient):
    with time_machine.travel(NOW, tick=False):
        link = path_of(unsubscribe_link(patient, "daily"))
    with time_machine.travel(NOW + timedelta(days=364), tick=False):
        assert client.get(link).status_code == 200
        assert client.post(link).status_code == 200
    assert EmailPreference.objects.get(user=patient).daily is False


def test_an_unsubscribe_link_older_than_a_year_says_so_and_changes_nothing(client, patient):
    with time_machine.travel(NOW, tick=False):
        link = path_of(unsubscribe_link(patient, "daily"))
    with time_machine.travel(NOW + timedelta(days=366), tick=False):
        page = client.get(link)
        posted = client.post(link)
    assert page.status_code == posted.status_code == 410
    assert "This link has expired" in page.content.decode()
    assert not EmailPreference.objects.filter(user=patient, daily=False).exists()


def test_moving_a_session_asks_for_its_confirmation_again(therapist, patient):
    with time_machine.travel(NOW, tick=False):
        appointment = AppointmentFactory(
            therapist=therapist, patient=patient, starts_at=NOW + timedelta(days=3)
        )
        Appointment.objects.filter(pk=appointment.pk).update(confirmed_at=NOW)
        moved = Appointment.objects.get(pk=appointment.pk)
        moved.starts_at += timedelta(hours=2)
        moved.ends_at += timedelta(hours=2)
        booking.save_booking(moved)
    assert Appointment.objects.get(pk=appointment.pk).confirmed_at is None


def test_saving_a_session_unchanged_keeps_its_confirmation(therapist, patient):
    with time_machine.travel(NOW, tick=False):
        appointment = AppointmentFactory(
            therapist=therapist, patient=patient, starts_at=NOW + timedelta(days=3)
        )
        Appointment.objects.filter(pk=appointment.pk).update(confirmed_at=NOW)
        booking.save_booking(Appointment.objects.get(pk=appointment.pk))
    assert Appointment.objects.get(pk=appointment.pk).confirmed_at == NOW


def test_the_unsubscribe_path_is_the_one_emails_hold(patient):
    assert path_of(unsubscribe_link(patient, "daily")).startswith("/unsubscribe/")
    assert reverse("notifications:unsubscribe", args=["x"]) == "/unsubscribe/x/"
