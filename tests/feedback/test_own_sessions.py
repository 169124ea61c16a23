"""Feedback on the patient's own session (their therapist isn't on the app): it is
never asked for, and the page says plainly that no one here receives it, with no
form that would promise an alert, a reply or a practice manager. A form posted
anyway saves nothing and writes no email."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from appointments import booking
from appointments.models import Appointment
from feedback.models import AllianceAlert, Escalation, SessionFeedback
from feedback.questions import RATINGS
from notifications.models import Message
from tests.factories import AppointmentFactory, UserFactory

NO_ONE = "Your therapist isn’t on Between Sessions,"


@pytest.fixture
def solo(db):
    return UserFactory(first_name="Robin", last_name="Hale")


@pytest.fixture
def own_session(solo):
    starts = (timezone.now() - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    return AppointmentFactory(
        patient=solo,
        therapist=None,
        therapist_name="Dr Ines Vale",
        starts_at=starts,
        outcome=Appointment.Outcome.ATTENDED,
    )


def url(appointment):
    return reverse("feedback:give_feedback", args=[appointment.pk])


def low_scores():
    return {name: 2 for name in RATINGS} | {
        "comment": "I felt rushed",
        "visibility": "shared",
        "escalate": "on",
        "escalation_message": "Please call me",
        "therapist_may_know": "on",
    }


def test_the_page_says_no_one_here_receives_it_and_offers_no_form(client, solo, own_session):
    client.force_login(solo)
    response = client.get(url(own_session))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Feedback isn’t available for this session" in page
    assert NO_ONE in page
    assert "so no one here receives feedback about this session" in page
    assert "With Dr Ines Vale" in page
    assert "<form" not in page.split("<main", 1)[1]
    assert 'name="escalate"' not in page
    assert "Also send this to the practice manager" not in page


def test_posting_anyway_saves_nothing_and_writes_no_email(
    client, solo, own_session, manager, deliver_outbox
):
    client.force_login(solo)
    response = client.post(url(own_session), low_scores())
    assert response.status_code == 409
    assert NO_ONE in response.content.decode()
    assert not SessionFeedback.objects.exists()
    assert not AllianceAlert.objects.exists()
    assert not Escalation.objects.exists()
    assert not Message.objects.exists()
    assert deliver_outbox() == 0
    assert mail.outbox == []


def test_an_attended_own_session_is_never_asked_about(client, solo, own_session, settings):
    booking.record_outcome(own_session, Appointment.Outcome.ATTENDED)
    assert not Message.objects.filter(kind="feedback_request").exists()
    client.force_login(solo)
    home = client.get(reverse("prep:patient_home")).content.decode()
    assert url(own_session) not in home


def test_a_session_with_a_therapist_on_the_app_still_asks(
    client, patient, therapist, deliver_outbox
):
    starts = (timezone.now() - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    session = AppointmentFactory(patient=patient, therapist=therapist, starts_at=starts)
    booking.record_outcome(session, Appointment.Outcome.ATTENDED)
    assert Message.objects.filter(kind="feedback_request", recipient=patient).count() == 1
    client.force_login(patient)
    page = client.get(url(session)).content.decode()
    assert "Also send this to the practice manager" in page
    assert NO_ONE not in page


@pytest.mark.parametrize("person", ["other_patient", "therapist", "manager"])
def test_nobody_else_can_open_it(client, request, own_session, person, settings):
    settings.REQUIRE_STAFF_MFA = False
    client.force_login(request.getfixturevalue(person))
    response = client.get(url(own_session))
    assert response.status_code == 404
    assert "Dr Ines Vale" not in response.content.decode()


def test_a_solo_patients_feedback_page_promises_no_request(client, solo, own_session):
    client.force_login(solo)
    page = client.get(reverse("feedback:mine")).content.decode()
    assert "Your therapist isn’t on Between Sessions, so there is no one here" in page
    assert "After a session you’ll be asked how it felt." not in page
