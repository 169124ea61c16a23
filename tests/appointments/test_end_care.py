from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import CareLink
from appointments import booking, emails
from appointments.models import Appointment
from notifications.models import EmailPreference, Message
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
    assert "no longer Sam Patel’s therapist; 1 session cancelled. To work together again" in (
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
    assert client.get(reverse("prep:patient_detail", args=[patient.pk])).status_code == 404


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


def test_the_patient_page_asks_first_on_a_page_of_its_own(client, therapist, patient):
    client.force_login(therapist)
    page = client.get(reverse("prep:patient_detail", args=[patient.pk])).content.decode()
    end_care = reverse("appointments:end_care", args=[patient.pk])
    assert f'href="{end_care}"' in page
    assert f'action="{end_care}"' not in page


def test_the_confirmation_lists_what_is_cancelled_and_who_is_emailed(
    client, therapist, patient, upcoming
):
    """GIVEN two sessions to come, one past, and one with another patient
    WHEN the therapist opens "End care"
    THEN the page names each session to be cancelled, and the patient as the only
    person emailed, at their address; nothing has changed yet."""
    second = booking.save_booking(
        AppointmentFactory.build(
            therapist=therapist, patient=patient,
            starts_at=upcoming.starts_at + timedelta(days=7),
            ends_at=upcoming.ends_at + timedelta(days=7),
        )
    )  # fmt: skip
    past = AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() - timedelta(days=7),
        outcome=Appointment.Outcome.ATTENDED,
    )  # fmt: skip
    client.force_login(therapist)
    response = client.get(reverse("appointments:end_care", args=[patient.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "End your care of Sam Patel?" in page
    for session in (upcoming, second):
        assert f"{session.starts_at.astimezone(therapist.zone):%A %-d %B %Y, %H:%M}" in page
    assert f"{past.starts_at.astimezone(therapist.zone):%A %-d %B %Y}" not in page
    assert f"Sam Patel gets one email about each cancelled session, at {patient.email}" in page
    assert "Nobody else is emailed." in page
    assert "This can’t be undone here." in page
    assert "End care and cancel 2 sessions" in page
    assert CareLink.objects.active().filter(patient=patient).exists()
    assert Appointment.objects.filter(outcome="").count() == 2


def test_with_booking_emails_off_it_says_nobody_is_emailed(client, therapist, patient, upcoming):
    EmailPreference.objects.create(user=patient, bookings=False)
    client.force_login(therapist)
    page = client.get(reverse("appointments:end_care", args=[patient.pk])).content.decode()
    assert "has turned off emails about bookings" in page
    assert patient.email not in page.split("Who is emailed")[1]


def test_with_nothing_booked_it_says_nothing_is_cancelled(client, therapist, patient):
    client.force_login(therapist)
    page = client.get(reverse("appointments:end_care", args=[patient.pk])).content.decode()
    assert "None: no sessions are booked." in page
    assert "Nobody: there is nothing to cancel." in page
    assert ">End care</button>" in page


@pytest.mark.parametrize("person", PEOPLE)
def test_only_the_patients_own_therapist_sees_the_confirmation(client, people, patient, person):
    assert_access(
        client,
        people[person],
        "get",
        reverse("appointments:end_care", args=[patient.pk]),
        200 if person == "therapist" else 404,
    )
    assert CareLink.objects.active().filter(patient=patient).exists()


def test_the_patient_is_asked_first_too_with_their_late_notes_named(
    client, therapist, patient, upcoming
):
    tomorrow = booking.save_booking(
        AppointmentFactory.build(
            therapist=therapist, patient=patient,
            starts_at=timezone.now() + timedelta(hours=20),
            ends_at=timezone.now() + timedelta(hours=21),
        )
    )  # fmt: skip
    client.force_login(patient)
    home = client.get(reverse("prep:patient_home")).content.decode()
    leave = reverse("appointments:leave_care", args=[therapist.pk])
    assert f'href="{leave}"' in home and f'action="{leave}"' not in home
    response = client.get(leave)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Stop seeing Dana Reyes here?" in page
    assert f"Only you: one email about each cancelled session, at {patient.email}" in page
    assert "1 of them is less than a day away" in page
    assert "Dana Reyes isn’t emailed." in page
    assert "Stop seeing Dana and cancel 2 sessions" in page
    assert CareLink.objects.active().filter(patient=patient).exists()
    tomorrow.refresh_from_db()
    assert tomorrow.outcome == ""


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


def test_the_confirmation_costs_the_same_queries_for_few_and_many_sessions(
    client, therapist, patient, django_assert_max_num_queries
):
    def book(count: int, start: int) -> None:
        for day in range(start, start + count):
            booking.save_booking(
                AppointmentFactory.build(
                    therapist=therapist, patient=patient,
                    starts_at=timezone.now() + timedelta(days=day),
                    ends_at=timezone.now() + timedelta(days=day, minutes=50),
                )
            )  # fmt: skip

    client.force_login(therapist)
    url = reverse("appointments:end_care", args=[patient.pk])
    book(2, start=1)
    with django_assert_max_num_queries(10) as few:
        client.get(url)
    book(30, start=3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "End care and cancel 32 sessions" in page
