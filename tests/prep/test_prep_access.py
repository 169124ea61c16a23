"""Appointments and summaries against every role and every other patient or
therapist. A therapist never reaches a draft; nobody reaches another's summary."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments import emails
from appointments.models import Appointment
from prep import summaries
from prep.models import PreSessionSummary
from tests.conftest import PEOPLE
from tests.factories import AppointmentFactory


@pytest.fixture
def appointment(therapist, patient):
    appointment = AppointmentFactory(therapist=therapist, patient=patient)
    summaries.generate_draft(appointment)
    return appointment


def url(name, appointment):
    return reverse(name, args=[appointment.pk])


CASES = {
    # name: (method, data, {person: status}); everyone else signed in gets 404.
    "appointments:appointment_edit": ("get", None, {"therapist": 200}),
    "appointments:appointment_cancel": ("post", {}, {"therapist": 302}),
    "appointments:appointment_outcome": ("post", {"outcome": "attended"}, {"therapist": 302}),
    "prep:summary_read": ("get", None, {"therapist": 200}),
    "prep:summary_review": ("get", None, {"patient": 200}),
    "prep:summary_print": ("get", None, {"patient": 200}),
    "prep:summary_generate": ("post", {}, {"patient": 302}),
    "prep:summary_choices": ("post", {"action": "share"}, {"patient": 302}),
    "prep:summary_add_agenda": ("post", {"text": "x", "kind": "topic"}, {"patient": 302}),
}


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("name", list(CASES))
def test_object_urls(client, people, appointment, person, name):
    method, data, allowed = CASES[name]
    if people[person]:
        client.force_login(people[person])
    response = getattr(client, method)(url(name, appointment), data)
    if person == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    else:
        assert response.status_code == allowed.get(person, 404), (name, person)


PAGES = {
    "prep:therapist_dashboard": {"therapist": 200, "other_therapist": 200},
    "prep:appointment_list": {"therapist": 200, "other_therapist": 200},
    "appointments:appointment_new": {"therapist": 200, "other_therapist": 200},
    "prep:session_list": {"patient": 200, "other_patient": 200},
    "prep:patient_home": {"patient": 200, "other_patient": 200},
}


@pytest.mark.parametrize("person", PEOPLE[1:])
@pytest.mark.parametrize("name", list(PAGES))
def test_role_pages(client, people, person, name):
    client.force_login(people[person])
    response = client.get(reverse(name))
    assert response.status_code == PAGES[name].get(person, 404)


def test_other_people_change_nothing(client, people, appointment):
    for person in ("other_patient", "other_therapist", "manager"):
        client.force_login(people[person])
        client.post(url("appointments:appointment_cancel", appointment))
        client.post(url("prep:summary_choices", appointment), {"action": "share"})
    appointment.refresh_from_db()
    assert appointment.outcome == ""
    assert not PreSessionSummary.objects.filter(version__gt=0).exists()


def test_a_therapist_whose_care_link_ended_loses_the_summary(
    client, therapist, patient, appointment
):
    summaries.share(appointment)
    patient.therapist_links.update(ended_at=timezone.now())
    client.force_login(therapist)
    assert client.get(url("prep:summary_read", appointment)).status_code == 404


def test_sessions_lists_show_only_ones_own(client, people, appointment, other_patient):
    theirs = AppointmentFactory(patient=other_patient, location="Their secret room")
    client.force_login(people["patient"])
    assert "Their secret room" not in client.get(reverse("prep:session_list")).content.decode()
    client.force_login(people["therapist"])
    page = client.get(reverse("prep:appointment_list")).content.decode()
    assert str(theirs.patient) not in page
    assert Appointment.objects.count() == 2


def test_a_former_patient_leaves_the_therapists_pages(client, therapist, patient):
    upcoming = AppointmentFactory(therapist=therapist, patient=patient)
    emails.plan_for_booking(upcoming)  # the booking notice and reminders, for the log
    AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() - timedelta(hours=2)
    )
    client.force_login(therapist)
    pages = ("prep:therapist_dashboard", "prep:appointment_list", "appointments:reminder_log")
    for name in pages:  # shown while the care lasts
        assert patient.display_name in client.get(reverse(name)).content.decode(), name
    patient.therapist_links.update(ended_at=timezone.now())
    for name in pages:
        assert patient.display_name not in client.get(reverse(name)).content.decode(), name


@pytest.mark.parametrize("value", ["²", "١", "9999999999999999999999999"])
def test_odd_digits_in_the_booking_link_are_ignored(client, therapist, value):
    client.force_login(therapist)
    response = client.get(reverse("appointments:appointment_new"), {"patient": value})
    assert response.status_code == 200
