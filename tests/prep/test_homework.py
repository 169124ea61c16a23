"""Homework: the therapist sets it, optionally for one of the patient's sessions; the
patient ticks it off on their goals page or in the daily log, where a small htmx
checklist lists what is still open."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from appointments.models import Appointment
from prep.models import Homework
from tests.factories import (
    AppointmentFactory,
    CareLinkFactory,
    HomeworkFactory,
    SymptomFactory,
    UserFactory,
)

# A Wednesday; the patient and therapist are both in London (UTC in March).
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 18)
HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def fixed_now():
    with time_machine.travel(NOW, tick=False):
        yield


def add_url(patient) -> str:
    return reverse("prep:add_homework", args=[patient.pk])


def toggle_url(homework) -> str:
    return reverse("prep:toggle_homework", args=[homework.pk])


def checkbox_ids(fragment: str) -> list[int]:
    return [
        int(n)
        for n in re.findall(r'<input class="form-check-input"[^>]*id="homework-(\d+)"', fragment)
    ]


@pytest.fixture
def session(patient, therapist):
    return AppointmentFactory(
        patient=patient, therapist=therapist, starts_at=NOW - timedelta(days=2, hours=2)
    )


# Setting homework


def test_a_therapist_sets_homework_for_a_session_and_the_patient_sees_it(
    client, therapist, patient, session
):
    client.force_login(therapist)
    response = client.post(
        add_url(patient),
        {
            "description": "Write down one worry each evening, then close the notebook",
            "due_on": "2026-03-24",
            "appointment": session.pk,
        },
    )
    assert response.url == f"{reverse('prep:patient_plan', args=[patient.pk])}#homework"
    homework = Homework.objects.get(patient=patient)
    assert homework.set_by == therapist
    assert homework.appointment == session
    assert homework.due_on == date(2026, 3, 24)
    assert homework.done_at is None

    client.force_login(patient)
    page = client.get(reverse("prep:goals")).content.decode()
    assert "Write down one worry each evening" in page
    assert "By Tuesday 24 March" in page
    assert "Linked to your session on 16 March" in page


def test_homework_needs_only_a_description(client, therapist, patient):
    client.force_login(therapist)
    client.post(add_url(patient), {"description": "Walk after lunch"})
    homework = Homework.objects.get(patient=patient)
    assert (homework.due_on, homework.appointment) == (None, None)


def test_the_session_list_offers_this_therapists_sessions_with_this_patient(
    client, therapist, patient, other_patient, session
):
    """GIVEN a past and an upcoming session of this patient with this therapist, and
    sessions that do not belong here: cancelled, long past, with another therapist,
    or another patient's
    WHEN the therapist opens the homework form
    THEN only the two of this patient with them are offered, upcoming ones marked."""
    upcoming = AppointmentFactory(
        patient=patient, therapist=therapist, starts_at=NOW + timedelta(days=5)
    )
    others = [
        AppointmentFactory(
            patient=patient,
            therapist=therapist,
            starts_at=NOW + timedelta(days=3),
            outcome=Appointment.Outcome.CANCELLED_BY_PATIENT,
        ),
        AppointmentFactory(
            patient=patient, therapist=therapist, starts_at=NOW - timedelta(days=200)
        ),
        AppointmentFactory(patient=patient, starts_at=NOW + timedelta(days=1)),
        AppointmentFactory(patient=other_patient, therapist=therapist),
    ]
    client.force_login(therapist)
    page = client.get(reverse("prep:patient_plan", args=[patient.pk])).content.decode()
    select = page[page.index('name="appointment"') : page.index("</select>")]
    offered = [int(n) for n in re.findall(r'<option value="(\d+)"', select)]
    assert offered == [upcoming.pk, session.pk]
    assert "Mon 23 Mar 2026, 12:00 (upcoming)" in select
    assert "Mon 16 Mar 2026, 10:00<" in select
    for appointment in others:
        response = client.post(
            add_url(patient), {"description": "Try it", "appointment": appointment.pk}
        )
        assert response.status_code == 400
        assert "Choose one of this patient’s sessions with you." in response.content.decode()
    assert not Homework.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"description": ""},
        {"description": "   "},
        {"description": "x" * 1001},
        {"description": "Walk", "due_on": "2026-02-30"},
        {"description": "Walk", "due_on": "next week"},
        {"description": "Walk", "due_on": "2026-03-17"},
        {"description": "Walk", "appointment": "999999"},
        {"description": "Walk", "appointment": "first"},
    ],
    ids=[
        "empty",
        "blank",
        "too-long",
        "no-such-date",
        "not-a-date",
        "yesterday",
        "no-such-session",
        "not-an-id",
    ],
)
def test_homework_that_cannot_be_saved_is_sent_back_with_the_reason(
    client, therapist, patient, data
):
    client.force_login(therapist)
    response = client.post(add_url(patient), data)
    assert response.status_code == 400
    assert 'class="invalid-feedback' in response.content.decode()
    assert not Homework.objects.exists()


def test_homework_may_be_due_today_in_the_patients_own_time_zone(client, therapist):
    """At 12:00 UTC on 18 March it is already 19 March in Auckland."""
    patient = UserFactory(timezone="Pacific/Auckland")
    CareLinkFactory(therapist=therapist, patient=patient)
    client.force_login(therapist)
    refused = client.post(add_url(patient), {"description": "Walk", "due_on": "2026-03-18"})
    accepted = client.post(add_url(patient), {"description": "Walk", "due_on": "2026-03-19"})
    assert (refused.status_code, accepted.status_code) == (400, 302)


# Ticking it off on the goals page


def test_the_patient_ticks_homework_done_and_can_take_it_back(client, patient, therapist):
    homework = HomeworkFactory(patient=patient, set_by=therapist, description="Call Mum")
    client.force_login(patient)
    response = client.post(toggle_url(homework), {"done": "1"})
    assert response.url == f"{reverse('prep:goals')}#homework"
    homework.refresh_from_db()
    assert homework.done_at == NOW
    page = client.get(reverse("prep:goals")).content.decode()
    assert "Done (1)" in page
    assert "Done on 18 March" in page

    client.post(toggle_url(homework), {"done": "0"})
    homework.refresh_from_db()
    assert homework.done_at is None


def test_ticking_twice_keeps_the_first_time_it_was_done(client, patient):
    homework = HomeworkFactory(patient=patient)
    client.force_login(patient)
    client.post(toggle_url(homework), {"done": "1"})
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        client.post(toggle_url(homework), {"done": "1"})
    homework.refresh_from_db()
    assert homework.done_at == NOW


def test_without_a_value_the_toggle_flips(client, patient):
    homework = HomeworkFactory(patient=patient)
    client.force_login(patient)
    client.post(toggle_url(homework))
    homework.refresh_from_db()
    assert homework.done_at == NOW
    client.post(toggle_url(homework))
    homework.refresh_from_db()
    assert homework.done_at is None


@pytest.mark.parametrize("headers", [{}, HX], ids=["form", "htmx"])
def test_a_value_that_is_neither_done_nor_undone_changes_nothing(client, patient, headers):
    homework = HomeworkFactory(patient=patient, description="Call Mum")
    client.force_login(patient)
    response = client.post(toggle_url(homework), {"done": "maybe"}, headers=headers)
    assert response.status_code == 400
    homework.refresh_from_db()
    assert homework.done_at is None


def test_the_therapist_sees_what_was_done_and_when(client, patient, therapist):
    HomeworkFactory(patient=patient, description="Call Mum", done_at=NOW - timedelta(days=1))
    HomeworkFactory(patient=patient, description="Walk", due_on=TODAY + timedelta(days=2))
    client.force_login(therapist)
    page = client.get(reverse("prep:patient_plan", args=[patient.pk])).content.decode()
    assert "Done on Tue 17 Mar" in page
    assert "Not done yet · by Fri 20 Mar" in page
    assert page.index("Walk") < page.index("Call Mum")


def test_open_homework_comes_first_soonest_due_first(client, patient):
    HomeworkFactory(patient=patient, description="Undated")
    HomeworkFactory(patient=patient, description="Later", due_on=TODAY + timedelta(days=6))
    HomeworkFactory(patient=patient, description="Sooner", due_on=TODAY + timedelta(days=1))
    HomeworkFactory(patient=patient, description="Finished", done_at=NOW)
    client.force_login(patient)
    page = client.get(reverse("prep:goals")).content.decode()
    positions = [page.index(text) for text in ("Sooner", "Later", "Undated", "Finished")]
    assert positions == sorted(positions)


# The checklist in the daily log


def test_the_daily_log_loads_the_checklist_right_after_sleep_and_homework(client, patient):
    SymptomFactory(patient=patient, name="Worry")  # opening the log creates none
    client.force_login(patient)
    page = client.get(reverse("journal:entry", args=[patient.today()])).content.decode()
    loader = (
        f'<div data-hx-get="{reverse("prep:homework_checklist")}" data-hx-trigger="load" '
        'data-hx-swap="innerHTML"></div>'
    )
    assert page.count(loader) == 1
    assert page.index('name="homework_done"') < page.index(loader) < page.index("Symptoms")


def test_the_checklist_lists_only_open_homework(client, patient, other_patient):
    sooner = HomeworkFactory(patient=patient, description="Sooner", due_on=TODAY)
    undated = HomeworkFactory(patient=patient, description="Undated")
    HomeworkFactory(patient=patient, description="Finished", done_at=NOW)
    HomeworkFactory(patient=other_patient, description="Not mine")
    client.force_login(patient)
    fragment = client.get(reverse("prep:homework_checklist")).content.decode()
    assert checkbox_ids(fragment) == [sooner.pk, undated.pk]
    assert "Finished" not in fragment
    assert "Not mine" not in fragment
    assert "<html" not in fragment
    assert (
        f'data-hx-post="{toggle_url(sooner)}" '
        'data-hx-vals=\'{"done": "1"}\' data-hx-params="done"' in fragment
    )


def test_the_checklist_is_empty_without_open_homework(client, patient):
    HomeworkFactory(patient=patient, done_at=NOW)
    client.force_login(patient)
    response = client.get(reverse("prep:homework_checklist"))
    assert response.status_code == 200
    assert response.content.decode().strip() == ""


def test_ticking_in_the_checklist_returns_the_checklist_with_the_item_still_undoable(
    client, patient
):
    """GIVEN two open pieces of homework
    WHEN the patient ticks one in the daily log (an htmx request)
    THEN it is saved as done, and the fragment comes back in place of a redirect:
    the other one still open, the ticked one shown ticked so a slip can be undone."""
    first = HomeworkFactory(patient=patient, description="Call Mum")
    second = HomeworkFactory(patient=patient, description="Walk")
    client.force_login(patient)
    response = client.post(toggle_url(first), {"done": "1"}, headers=HX)
    assert response.status_code == 200
    fragment = response.content.decode()
    first.refresh_from_db()
    assert first.done_at == NOW
    assert checkbox_ids(fragment) == [second.pk, first.pk]
    ticked = re.search(rf'<input[^>]*id="homework-{first.pk}"[^>]*>', fragment).group(0)
    assert "checked" in ticked
    assert '{"done": "0"}' in ticked

    response = client.post(toggle_url(first), {"done": "0"}, headers=HX)
    first.refresh_from_db()
    assert first.done_at is None
    assert checkbox_ids(response.content.decode()) == [first.pk, second.pk]


def test_ticking_the_last_one_in_the_checklist_keeps_only_that_one(client, patient):
    homework = HomeworkFactory(patient=patient, description="Call Mum")
    client.force_login(patient)
    fragment = client.post(toggle_url(homework), {"done": "1"}, headers=HX).content.decode()
    assert checkbox_ids(fragment) == [homework.pk]
    client.force_login(patient)
    assert client.get(reverse("prep:homework_checklist")).content.decode().strip() == ""


def test_the_checklist_costs_the_same_queries_for_few_and_many(
    client, patient, django_assert_max_num_queries
):
    Homework.objects.bulk_create(HomeworkFactory.build(patient=patient) for _ in range(3))
    client.force_login(patient)
    with django_assert_max_num_queries(3) as few:
        client.get(reverse("prep:homework_checklist"))
    Homework.objects.bulk_create(HomeworkFactory.build(patient=patient) for _ in range(60))
    with django_assert_max_num_queries(len(few.captured_queries)):
        fragment = client.get(reverse("prep:homework_checklist")).content.decode()
    assert len(checkbox_ids(fragment)) == 63


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_signed_out_tick_sends_the_whole_page_to_sign_in(client, patient, method):
    """A session that ended while the daily log was open: htmx must not swap the
    sign-in form into the log, so the whole page goes to sign-in and comes back."""
    homework = HomeworkFactory(patient=patient)
    log = reverse("journal:entry", args=[TODAY])
    url = reverse("prep:homework_checklist") if method == "get" else toggle_url(homework)
    response = getattr(client, method)(
        url, headers={**HX, "HX-Current-URL": f"http://testserver{log}"}
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{reverse('account_login')}?next={log}"
    homework.refresh_from_db()
    assert homework.done_at is None
