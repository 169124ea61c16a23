"""What a person chooses to receive: a category turned off is skipped at send time,
every optional email carries a one-click unsubscribe link and List-Unsubscribe
headers, and everyone’s email settings page (the
footer’s "All email settings" link), by role."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

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
    @pytest.mark.parametrize("person", ["patient", "therapist", "manager"])
    def test_everyone_has_them(self, client, request, settings, person):
        settings.REQUIRE_STAFF_MFA = False
        client.force_login(request.getfixturevalue(person))
        assert client.get(reverse("notifications:email_preferences")).status_code == 200

    def test_signed_out_they_ask_you_to_sign_in(self, client):
        response = client.get(reverse("notifications:email_preferences"))
        assert response.url.startswith(reverse("account_login"))

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


SETTINGS = reverse("notifications:email_preferences")
LINK = re.compile(r"https?://[^/\s]+(/email/\S+/)")


@pytest.fixture
def staff_without_mfa(settings):
    settings.REQUIRE_STAFF_MFA = False


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def ask_for_a_new_time(client, therapist, patient, deliver_outbox, traveller) -> Appointment:
    """A missed session, and the patient's press on "ask for a new time" in the kind
    follow-up: the one email a therapist can turn off."""
    starts_at = timezone.now() + timedelta(days=3)
    appointment = booking.save_booking(
        Appointment(therapist=therapist, patient=patient, starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=50), location="Room 2")
    )  # fmt: skip
    traveller.move_to(appointment.starts_at + timedelta(hours=1))
    booking.record_outcome(appointment, Appointment.Outcome.NO_SHOW)
    deliver_outbox()
    follow_up = next(m for m in sent_to(patient.email) if "We missed you" in m.subject)
    client.post(LINK.search(follow_up.body).group(1))
    return appointment


@pytest.mark.usefixtures("staff_without_mfa")
class TestATherapistsEmailSettings:
    @pytest.fixture
    def traveller(self):
        with time_machine.travel(NOW, tick=False) as traveller:
            yield traveller

    def test_the_page_offers_bookings_and_says_alerts_cannot_be_turned_off(self, client, therapist):
        client.force_login(therapist)
        page = client.get(SETTINGS).content.decode()
        assert 'name="bookings"' in page
        assert "When a patient asks for a new time after a missed session." in page
        for patients_only in ("daily", "summaries", "feedback", "reminders", "reminder_time"):
            assert f'name="{patients_only}"' not in page
        assert "Always sent" in page
        assert "Safety alerts" in page
        assert "Feedback to read" in page
        assert "can’t be turned off" in page
        assert not EmailPreference.objects.exists()  # reading saves nothing

    def test_unsubscribed_from_bookings_they_can_turn_them_back_on(
        self, client, therapist, patient, deliver_outbox, traveller
    ):
        """The bug this page fixes: a therapist who turned off booking emails from a
        footer link had no page to turn them on again."""
        ask_for_a_new_time(Client(), therapist, patient, deliver_outbox, traveller)
        deliver_outbox()
        [request] = sent_to(therapist.email)
        assert "because “Booking changes and follow-ups” emails are on." in request.body
        # The footer's two links: turn these off, then all email settings.
        client.post(path_of(request.extra_headers["List-Unsubscribe"][1:-1]))
        assert EmailPreference.objects.get(user=therapist).bookings is False
        settings_link = re.search(r"All email settings: (\S+)", request.body).group(1)
        client.force_login(therapist)
        page = client.get(path_of(settings_link))
        assert page.status_code == 200
        assert 'name="bookings"' in page.content.decode()
        assert "checked" not in page.content.decode().split('name="bookings"')[1].split(">")[0]

        response = client.post(SETTINGS, {"bookings": "on"})
        assert response.url == SETTINGS
        assert EmailPreference.objects.get(user=therapist).bookings is True
        # The next request for a new time reaches them.
        mail.outbox.clear()
        ask_for_a_new_time(Client(), therapist, patient, deliver_outbox, traveller)
        deliver_outbox()
        assert len(sent_to(therapist.email)) == 1

    def test_turned_off_a_request_for_a_new_time_is_skipped(
        self, client, therapist, patient, deliver_outbox, traveller
    ):
        client.force_login(therapist)
        assert client.post(SETTINGS, {}).status_code == 302
        assert EmailPreference.objects.get(user=therapist).bookings is False
        appointment = ask_for_a_new_time(Client(), therapist, patient, deliver_outbox, traveller)
        deliver_outbox()
        assert sent_to(therapist.email) == []
        row = Message.objects.get(kind=emails.REBOOK_REQUEST, target_id=appointment.pk)
        assert row.status == Message.Status.SKIPPED

    def test_saving_touches_only_their_own_categories(self, client, therapist):
        EmailPreference.objects.create(user=therapist, daily=False, summaries=False)
        client.force_login(therapist)
        client.post(SETTINGS, {"bookings": "on", "daily": "on", "summaries": "on"})
        preference = EmailPreference.objects.get(user=therapist)
        assert (preference.bookings, preference.daily, preference.summaries) == (True, False, False)


@pytest.mark.usefixtures("staff_without_mfa")
class TestAManagersEmailSettings:
    def test_the_page_says_what_always_comes_and_offers_nothing_to_turn_off(self, client, manager):
        client.force_login(manager)
        page = client.get(SETTINGS).content.decode()
        assert "Feedback sent to the practice manager" in page
        assert "can’t be turned off" in page
        assert "There are no other emails to turn off." in page
        assert "<form" not in page.split("<main")[1]

    def test_a_post_changes_nothing(self, client, manager):
        client.force_login(manager)
        assert client.post(SETTINGS, {"bookings": ""}).status_code == 405
        assert not EmailPreference.objects.exists()


class TestTheFooter:
    """Every email that can be turned off says which setting sent it, in words that
    read right whatever the setting is called."""

    @pytest.mark.parametrize("category", EmailPreference.Category)
    def test_it_names_the_setting_as_it_reads_on_the_page(self, category):
        context = {"site_name": "Between Sessions", "category": category.label,
                   "unsubscribe_url": "u", "settings_url": "s"}  # fmt: skip
        text = render_to_string("email/_footer.txt", context)
        html = render_to_string("email/_base.html", context)
        sentence = f"You get this because “{category.label}” emails are on."
        assert sentence in text
        assert sentence in html

    def test_a_booking_email_to_a_patient_uses_it(self, therapist, patient, deliver_outbox):
        book(therapist, patient)
        deliver_outbox()
        [message] = sent_to(patient.email)
        sentence = "You get this because “Booking changes and follow-ups” emails are on."
        assert sentence in message.body
        assert sentence in message.alternatives[0][0]
        assert " are on." not in message.body.replace(sentence, "")

    def test_the_settings_link_opens_for_a_patient(
        self, client, therapist, patient, deliver_outbox
    ):
        book(therapist, patient)
        deliver_outbox()
        [message] = sent_to(patient.email)
        link = re.search(r"All email settings: (\S+)", message.body).group(1)
        client.force_login(patient)
        assert client.get(path_of(link)).status_code == 200
