"""Every form that changes something carries a one-time token, and its view acts on
each token once: a replayed or doubled POST (the same page sent again) returns the
first result and creates, changes and emails nothing more."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import Invitation
from appointments.models import Appointment
from core.submissions import ALREADY_SENT, FIELD
from feedback.emails import ESCALATION
from feedback.models import Escalation, SessionFeedback
from journal.emails import SAFETY_ALERT
from journal.models import DailyEntry, MeasureResponse, SafetyAlert
from notifications.emails import INVITATION
from notifications.models import Message
from prep import summaries
from prep.models import AgendaItem
from tests.factories import AppointmentFactory, AttendedAppointmentFactory

TOKEN = re.compile(rf'name="{FIELD}" value="([A-Za-z0-9_-]+)"')


def token_on(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    [token] = TOKEN.findall(response.content.decode())
    return token


def messages_shown(client, url: str) -> str:
    return client.get(url, follow=True).content.decode()


class TestThePatientsForms:
    @pytest.fixture(autouse=True)
    def _signed_in(self, client, patient):
        client.force_login(patient)

    def test_the_daily_log_sent_again_does_not_undo_a_later_change(self, client, patient):
        url = reverse("journal:entry", args=[patient.today()])
        first_page = {"mood": "7", FIELD: token_on(client, url)}
        first = client.post(url, first_page)
        assert client.post(url, {"mood": "8", FIELD: token_on(client, url)}).status_code == 302
        # Back twice and Save on the first page again.
        again = client.post(url, first_page)
        assert again.status_code == 302
        assert again.url == first.url
        assert DailyEntry.objects.get(patient=patient).mood == 8
        assert ALREADY_SENT in messages_shown(client, again.url)

    @pytest.mark.parametrize("kind", ["phq9", "gad7"])
    def test_a_questionnaire_sent_twice_is_saved_once(self, client, kind):
        url = reverse("journal:measure_new", args=[kind])
        count = 9 if kind == "phq9" else 7
        # The last answer at 0, so PHQ-9 item 9 does not lead to the support page.
        data = {f"item_{n}": "2" for n in range(1, count)} | {f"item_{count}": "0"}
        data[FIELD] = token_on(client, url)
        first, again = client.post(url, data), client.post(url, data)
        saved = MeasureResponse.objects.get(kind=kind)
        assert again.url == first.url == reverse("journal:measure_detail", args=[saved.pk])

    def test_phq9_with_item_nine_sent_twice_alerts_and_emails_once(
        self, client, therapist, deliver_outbox
    ):
        url = reverse("journal:measure_new", args=["phq9"])
        data = {f"item_{n}": "1" for n in range(1, 10)} | {FIELD: token_on(client, url)}
        first, again = client.post(url, data), client.post(url, data)
        assert again.url == first.url
        assert first.url.startswith(reverse("journal:support"))
        assert MeasureResponse.objects.count() == 1
        assert SafetyAlert.objects.count() == 1
        assert Message.objects.filter(kind=SAFETY_ALERT).count() == 1
        assert deliver_outbox() == 1
        assert [message.to for message in mail.outbox] == [[therapist.email]]

    def test_feedback_with_an_escalation_sent_again_changes_and_emails_nothing(
        self, client, patient, therapist, manager, deliver_outbox
    ):
        session = AttendedAppointmentFactory(therapist=therapist, patient=patient)
        url = reverse("feedback:give_feedback", args=[session.pk])
        first_page = {"bond": "9", "goals": "9", "approach": "9", "overall": "9"} | {
            "visibility": "private",
            "escalate": "on",
            "escalation_message": "I would like to talk to someone else",
            FIELD: token_on(client, url),
        }
        first = client.post(url, first_page)
        assert first.status_code == 302
        changed = first_page | {"bond": "3", FIELD: token_on(client, url)}
        assert client.post(url, changed).status_code == 302
        again = client.post(url, first_page)
        assert again.url == first.url
        feedback = SessionFeedback.objects.get()
        assert feedback.bond == 3
        assert Escalation.objects.filter(feedback=feedback).count() == 1
        assert Message.objects.filter(kind=ESCALATION).count() == 1
        deliver_outbox()
        assert [m.to for m in mail.outbox if m.to == [manager.email]] == [[manager.email]]

    def test_the_agenda_form_sent_twice_adds_one_line(self, client, patient):
        url = reverse("prep:agenda")
        data = {
            "kind": "question",
            "text": "Can we meet fortnightly?",
            FIELD: token_on(client, url),
        }
        first, again = client.post(url, data), client.post(url, data)
        assert again.url == first.url == url
        assert AgendaItem.objects.filter(patient=patient).count() == 1

    def test_the_summarys_agenda_box_sent_twice_adds_one_line(self, client, patient, therapist):
        appointment = AppointmentFactory(therapist=therapist, patient=patient)
        summaries.generate_draft(appointment)
        review = reverse("prep:summary_review", args=[appointment.pk])
        url = reverse("prep:summary_add_agenda", args=[appointment.pk])
        data = {"kind": "topic", "text": "Sleep", FIELD: token_on(client, review)}
        first, again = client.post(url, data), client.post(url, data)
        assert again.url == first.url == review
        assert AgendaItem.objects.filter(patient=patient).count() == 1


NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


class TestTheTherapistsForms:
    @pytest.fixture(autouse=True)
    def _signed_in(self, client, therapist):
        with time_machine.travel(NOW, tick=False):
            client.force_login(therapist)
            yield

    def booking(self, patient, **overrides) -> dict:
        return {
            "patient": patient.pk,
            "day": "2026-03-23",
            "start": "14:00",
            "duration": "50",
            "kind": "in_person",
            "location": "Room 2",
        } | overrides

    def test_a_booking_sent_twice_books_once_and_says_so(self, client, patient):
        url = reverse("appointments:appointment_new")
        data = self.booking(patient) | {FIELD: token_on(client, url)}
        first, again = client.post(url, data), client.post(url, data)
        assert first.status_code == again.status_code == 302
        assert again.url == first.url
        assert Appointment.objects.count() == 1
        # Not "you already have a session then": the first one was this one.
        assert ALREADY_SENT in messages_shown(client, again.url)

    def test_a_move_sent_again_does_not_undo_a_later_move(self, client, therapist, patient):
        appointment = AppointmentFactory(
            therapist=therapist,
            patient=patient,
            starts_at=datetime(2026, 3, 23, 14, 0, tzinfo=UTC),
            ends_at=datetime(2026, 3, 23, 14, 50, tzinfo=UTC),
        )
        url = reverse("appointments:appointment_edit", args=[appointment.pk])
        first_page = self.booking(patient, start="15:00") | {FIELD: token_on(client, url)}
        first = client.post(url, first_page)
        second_page = self.booking(patient, start="16:00") | {FIELD: token_on(client, url)}
        assert client.post(url, second_page).status_code == 302
        again = client.post(url, first_page)
        assert again.url == first.url
        appointment.refresh_from_db()
        assert appointment.starts_at == datetime(2026, 3, 23, 16, 0, tzinfo=UTC)

    def test_an_invitation_sent_again_later_writes_one_email(
        self, client, therapist, deliver_outbox
    ):
        url = reverse("accounts:invite_patient")
        data = {"email": "robin@example.com", "first_name": "Robin", FIELD: token_on(client, url)}
        first = client.post(url, data)
        with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
            again = client.post(url, data)
        assert again.url == first.url == reverse("accounts:patient_list")
        assert Invitation.objects.count() == 1
        assert Message.objects.filter(kind=INVITATION).count() == 1
        assert deliver_outbox() == 1
        assert [message.to for message in mail.outbox] == [["robin@example.com"]]
