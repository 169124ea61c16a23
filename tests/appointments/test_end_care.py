from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import CareLink
from appointments import booking, emails
from appointments.models import Appointment
from notifications.models import Message
from tests.conftest import PEOPLE, assert_access
from tests.factories import AppointmentFactory


@pytest.fixture
def upcoming(therapist, patient):
    appointment = Appointment(
        therapist=therapist, patient=patient, starts_at=timezone.now() + timedelta(days=3),
        ends_at=timezone.now() + timedelta(days=3, minutes=50),
    )  # fmt: skip
    return booking.save_booking(appointment)


def test_ending_care_closes_the_link_and_cancels_what_is_to_come(
    client, deliver_outbox, therapist, patient, upcoming
):
    past = AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() - timedelta(days=7),
        outcome=Appointment.Outcome.ATTENDED,
    )  # fmt: skip
    deliver_outbox()
    client.force_login(therapist)
    response = client.post(reverse("appointments:end_care", args=[patient.pk]), follow=True)
    assert "no longer Sam Patel’s therapist; 1 upcoming session(s) cancelled" in (
        response.content.decode()
    )
    assert not CareLink.objects.active().filter(therapist=therapist, patient=patient).exists()
    upcoming.refresh_from_db()
    past.refresh_from_db()
    assert upcoming.outcome == Appointment.Outcome.CANCELLED_BY_THERAPIST
    assert past.outcome == Appointment.Outcome.ATTENDED
    assert not (
        Message.objects.pending().filter(kind=emails.REMINDER, target_id=upcoming.pk).exists()
    )
    deliver_outbox()
    assert any("Session cancelled" in m.subject for m in mail.outbox)
    assert client.get(reverse("accounts:patient_detail", args=[patient.pk])).status_code == 404


ALLOWED = {"therapist": 302}


@pytest.mark.parametrize("person", PEOPLE)
def test_only_the_patients_own_therapist_can_end_care(client, people, patient, person):
    assert_access(
        client,
        people[person],
        "post",
        reverse("appointments:end_care", args=[patient.pk]),
        ALLOWED.get(person, 404),
    )
    still_linked = CareLink.objects.active().filter(patient=patient).exists()
    assert still_linked is (person != "therapist")


def test_it_needs_a_post(client, therapist, patient):
    client.force_login(therapist)
    assert client.get(reverse("appointments:end_care", args=[patient.pk])).status_code == 405
    assert CareLink.objects.active().filter(patient=patient).exists()


def test_a_patient_can_leave_their_therapists_care(client, therapist, patient, upcoming):
    client.force_login(patient)
    response = client.post(reverse("appointments:leave_care", args=[therapist.pk]), follow=True)
    assert "is no longer your therapist here" in response.content.decode()
    assert not CareLink.objects.active().filter(therapist=therapist, patient=patient).exists()
    upcoming.refresh_from_db()
    assert upcoming.outcome == Appointment.Outcome.CANCELLED_BY_PATIENT
    client.force_login(therapist)
    assert (
        patient.display_name not in client.get(reverse("prep:therapist_dashboard")).content.decode()
    )


@pytest.mark.parametrize("person", ["other_patient", "therapist", "manager"])
def test_nobody_else_can_end_a_patients_care_for_them(client, people, therapist, person):
    client.force_login(people[person])
    response = client.post(reverse("appointments:leave_care", args=[therapist.pk]))
    assert response.status_code == 404
    assert CareLink.objects.active().filter(therapist=therapist).exists()
