"""The therapist's full list of sessions: those to come soonest first, earlier ones
latest first, a page at a time, for everyone or for one patient; each row says
whether the patient confirmed. It costs the same queries for few and many."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from appointments.models import Appointment
from prep.views import SESSIONS_PER_PAGE
from tests.conftest import PEOPLE, assert_access
from tests.factories import AppointmentFactory, AttendedAppointmentFactory

SESSIONS = reverse("prep:appointment_list")
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def at(days: float) -> datetime:
    return NOW + timedelta(days=days)


def times_listed(page: str) -> list[str]:
    return re.findall(r'<li class="list-group-item session-row">\s*<div class="session-when">'
                      r"\s*<strong>([^<]+)</strong>", page)  # fmt: skip


def test_sessions_to_come_soonest_first_and_earlier_ones_latest_first(client, therapist, patient):
    for days in (3, 1, -1, -5):
        AppointmentFactory(therapist=therapist, patient=patient, starts_at=at(days))
    client.force_login(therapist)
    assert times_listed(client.get(SESSIONS).content.decode()) == [
        "Wed 11 Mar 2026, 09:00",
        "Fri 13 Mar 2026, 09:00",
    ]
    assert times_listed(client.get(SESSIONS, {"show": "past"}).content.decode()) == [
        "Mon 9 Mar 2026, 09:00",
        "Thu 5 Mar 2026, 09:00",
    ]


def test_every_row_says_whether_the_patient_confirmed(client, therapist, patient):
    AppointmentFactory(therapist=therapist, patient=patient, starts_at=at(1), confirmed_at=NOW)
    AppointmentFactory(therapist=therapist, patient=patient, starts_at=at(2))
    AttendedAppointmentFactory(
        therapist=therapist, patient=patient, starts_at=at(-2), confirmed_at=at(-3)
    )
    AttendedAppointmentFactory(therapist=therapist, patient=patient, starts_at=at(-4))
    client.force_login(therapist)
    coming = client.get(SESSIONS).content.decode()
    assert coming.count("Confirmed they’ll be there") == 1
    assert coming.count("Not confirmed yet") == 1
    earlier = client.get(SESSIONS, {"show": "past"}).content.decode()
    assert earlier.count("Had confirmed") == 1
    assert earlier.count("Had not confirmed") == 1
    assert earlier.count("Attended") == 2


def test_a_page_at_a_time(client, therapist, patient):
    for hours in range(SESSIONS_PER_PAGE + 3):
        AppointmentFactory(therapist=therapist, patient=patient, starts_at=at(1 + hours / 24))
    client.force_login(therapist)
    first = client.get(SESSIONS).content.decode()
    assert len(times_listed(first)) == SESSIONS_PER_PAGE
    assert "Page 1 of 2" in first
    second = client.get(SESSIONS, {"page": 2}).content.decode()
    assert len(times_listed(second)) == 3
    # A page past the end, or no number at all, shows a real page.
    assert client.get(SESSIONS, {"page": 99}).status_code == 200
    assert client.get(SESSIONS, {"page": "x"}).status_code == 200


def test_one_patients_sessions(client, therapist, patient, other_patient):
    mine = AppointmentFactory(therapist=therapist, patient=patient, starts_at=at(1))
    client.force_login(therapist)
    page = client.get(SESSIONS, {"patient": patient.pk}).content.decode()
    assert f"Sessions with {patient.display_name}" in page
    assert reverse("appointments:appointment_edit", args=[mine.pk]) in page
    # Another therapist's patient, a made-up id or nonsense: nothing to see.
    for value in (other_patient.pk, 999999, "²", "1e3", "9" * 30):
        assert client.get(SESSIONS, {"patient": value}).status_code == 404, value


@pytest.mark.parametrize("person", PEOPLE)
def test_one_patients_sessions_are_their_therapists_alone(client, people, patient, person):
    url = f"{SESSIONS}?patient={patient.pk}"
    assert_access(client, people[person], "get", url, 200 if person == "therapist" else 404)


def test_the_list_costs_the_same_queries_for_few_and_many(
    client, therapist, patient, django_assert_max_num_queries
):
    client.force_login(therapist)
    AppointmentFactory(therapist=therapist, patient=patient, starts_at=at(1))
    with django_assert_max_num_queries(8) as few:
        client.get(SESSIONS, {"patient": patient.pk})
    for days in range(2, 80):
        AppointmentFactory(therapist=therapist, patient=patient, starts_at=at(days))
        AppointmentFactory(
            therapist=therapist,
            patient=patient,
            starts_at=at(-days),
            outcome=Appointment.Outcome.ATTENDED,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(SESSIONS, {"patient": patient.pk})
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(SESSIONS, {"show": "past", "page": 2})
