"""The agenda: what the patient wants to talk about and ask next session, and the
journal days they flagged "bring this up next session" since their last attended
session (prep/plans.py)."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from appointments.models import Appointment
from journal.models import DailyEntry
from prep import plans
from prep.models import AgendaItem
from tests.factories import AgendaItemFactory, AppointmentFactory, DailyEntryFactory

# A Wednesday; London is on UTC in March, so local days are UTC days.
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 18)


@pytest.fixture(autouse=True)
def fixed_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def signed_in(client, patient):
    client.force_login(patient)
    return client


def attended(patient, therapist, day: date, hour=15, outcome=Appointment.Outcome.ATTENDED):
    return AppointmentFactory(
        patient=patient,
        therapist=therapist,
        starts_at=datetime(day.year, day.month, day.day, hour, tzinfo=UTC),
        outcome=outcome,
    )


def flag(patient, day: date, thoughts: str = "", flagged: bool = True) -> DailyEntry:
    return DailyEntryFactory(
        patient=patient, day=day, thoughts=thoughts, discuss_next_session=flagged
    )


# Adding, closing and removing items


def test_the_patient_adds_a_topic_and_a_question(signed_in, patient):
    signed_in.post(reverse("prep:agenda"), {"kind": "topic", "text": "My sister's wedding"})
    response = signed_in.post(
        reverse("prep:agenda"), {"kind": "question", "text": "Is it normal to feel worse first?"}
    )
    assert response.url == reverse("prep:agenda")
    assert [(i.kind, i.text) for i in AgendaItem.objects.filter(patient=patient)] == [
        ("topic", "My sister's wedding"),
        ("question", "Is it normal to feel worse first?"),
    ]
    page = signed_in.get(reverse("prep:agenda")).content.decode()
    assert "Added to your list for next session." in page
    assert "My sister&#x27;s wedding" in page
    assert "Is it normal to feel worse first?" in page
    assert page.index(">To talk about<") < page.index(">Question<")


def test_five_hundred_characters_fit(signed_in, patient):
    response = signed_in.post(reverse("prep:agenda"), {"kind": "topic", "text": "x" * 500})
    assert response.status_code == 302
    assert AgendaItem.objects.get(patient=patient).text == "x" * 500


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "topic", "text": ""},
        {"kind": "topic", "text": "   "},
        {"kind": "topic", "text": "x" * 501},
        {"kind": "rant", "text": "Work"},
        {"text": "Work"},
    ],
    ids=["empty", "blank", "too-long", "unknown-kind", "no-kind"],
)
def test_an_item_that_cannot_be_saved_is_sent_back_with_the_reason(signed_in, data):
    response = signed_in.post(reverse("prep:agenda"), data)
    assert response.status_code == 400
    assert 'class="invalid-feedback' in response.content.decode()
    assert not AgendaItem.objects.exists()


def test_agenda_text_is_stored_encrypted(patient):
    item = AgendaItemFactory(patient=patient, text="The panic on the train")
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM prep_agendaitem WHERE id = %s", [item.pk])
        assert "panic" not in cursor.fetchone()[0]


def test_an_item_talked_about_moves_down_and_can_come_back(signed_in, patient):
    item = AgendaItemFactory(patient=patient, text="Sleep")
    response = signed_in.post(reverse("prep:agenda_done", args=[item.pk]), {"done": "1"})
    assert response.url == reverse("prep:agenda")
    item.refresh_from_db()
    assert item.done_at == NOW
    page = signed_in.get(reverse("prep:agenda")).content.decode()
    assert "Nothing on your list yet." in page
    assert "Talked about (1)" in page

    signed_in.post(reverse("prep:agenda_done", args=[item.pk]), {"done": "0"})
    item.refresh_from_db()
    assert item.done_at is None


def test_marking_done_twice_keeps_the_first_time(signed_in, patient):
    item = AgendaItemFactory(patient=patient)
    signed_in.post(reverse("prep:agenda_done", args=[item.pk]))
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        signed_in.post(reverse("prep:agenda_done", args=[item.pk]))
    item.refresh_from_db()
    assert item.done_at == NOW


def test_a_done_value_that_makes_no_sense_changes_nothing(signed_in, patient):
    item = AgendaItemFactory(patient=patient)
    response = signed_in.post(reverse("prep:agenda_done", args=[item.pk]), {"done": "yes"})
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.done_at is None


def test_the_patient_removes_an_item(signed_in, patient):
    item = AgendaItemFactory(patient=patient)
    keep = AgendaItemFactory(patient=patient)
    response = signed_in.post(reverse("prep:agenda_delete", args=[item.pk]))
    assert response.url == reverse("prep:agenda")
    assert list(AgendaItem.objects.all()) == [keep]


def test_private_feedback_that_asks_to_talk_adds_no_agenda_line(client, therapist, patient):
    session = attended(patient, therapist, TODAY, hour=9)
    client.force_login(patient)
    response = client.post(
        reverse("feedback:give_feedback", args=[session.pk]),
        {"bond": 4, "goals": 8, "approach": 8, "overall": 8, "discuss_next_time": "on",
         "visibility": "private"},
    )  # fmt: skip
    assert response.status_code == 302  # saved
    assert not AgendaItem.objects.filter(patient=patient).exists()


# Flagged journal days since the last session


def test_the_period_starts_on_the_day_of_the_last_attended_session(patient, therapist):
    """GIVEN an attended session on Tuesday 10 March, a later no-show and a later
    cancellation, a session "attended" in the future, and another patient's session
    WHEN the agenda asks where "since last time" begins
    THEN it is Tuesday 10 March itself (that evening's log belongs to "since")."""
    session = attended(patient, therapist, date(2026, 3, 10))
    attended(patient, therapist, date(2026, 3, 3), outcome=Appointment.Outcome.LATE)
    attended(patient, therapist, date(2026, 3, 16), outcome=Appointment.Outcome.NO_SHOW)
    attended(
        patient, therapist, date(2026, 3, 17), outcome=Appointment.Outcome.CANCELLED_BY_THERAPIST
    )
    attended(patient, therapist, date(2026, 3, 19))
    AppointmentFactory(
        therapist=therapist,
        starts_at=datetime(2026, 3, 17, 9, tzinfo=UTC),
        outcome=Appointment.Outcome.ATTENDED,
    )
    assert plans.last_attended_session(patient, NOW) == session
    assert plans.period_start(patient) == (date(2026, 3, 10), session)


def test_a_late_arrival_counts_as_attended(patient, therapist):
    session = attended(patient, therapist, date(2026, 3, 12), outcome=Appointment.Outcome.LATE)
    assert plans.last_attended_session(patient, NOW) == session
    assert plans.last_attended_session(patient, session.starts_at) is None


def test_a_session_is_dated_in_the_patients_own_time_zone(patient, therapist):
    """23:00 UTC on 10 March is already 11 March in Tokyo."""
    patient.timezone = "Asia/Tokyo"
    patient.save()
    attended(patient, therapist, date(2026, 3, 10), hour=23)
    assert plans.period_start(patient)[0] == date(2026, 3, 11)


def test_without_an_attended_session_the_period_is_the_last_fourteen_days(patient):
    assert plans.last_attended_session(patient, NOW) is None
    assert plans.period_start(patient) == (date(2026, 3, 5), None)


def test_flagged_entries_are_the_flagged_days_from_the_given_date_newest_first(
    patient, other_patient
):
    for day in (5, 6, 9, 12):
        flag(patient, date(2026, 3, day))
    flag(patient, date(2026, 3, 10), flagged=False)
    flag(other_patient, date(2026, 3, 11))
    days = [e.day.day for e in plans.flagged_entries_since(patient, date(2026, 3, 6))]
    assert days == [12, 9, 6]


def test_the_agenda_lists_flagged_days_since_the_last_session_with_their_words(
    signed_in, patient, therapist
):
    """GIVEN a session attended on Tuesday 10 March, and flagged days before, on and
    after it, one unflagged day, one flagged day without thoughts
    WHEN the patient opens the agenda
    THEN the flagged days from the session on are listed newest first with their
    words, each linking to that day's log while it can still be edited."""
    attended(patient, therapist, date(2026, 3, 10))
    flag(patient, date(2026, 3, 9), "Before the session")
    flag(patient, date(2026, 3, 10), "On the day of the session")
    flag(patient, date(2026, 3, 11), "The first day after")
    flag(patient, date(2026, 3, 14), "Argument with Chris")
    flag(patient, date(2026, 3, 15), "Not flagged", flagged=False)
    flag(patient, date(2026, 3, 17))
    page = signed_in.get(reverse("prep:agenda")).content.decode()
    assert "Since your session on Tuesday 10 March." in page
    assert "Before the session" not in page
    assert "Not flagged" not in page
    newest_first = [
        "Tuesday 17 March",
        "Saturday 14 March",
        "Argument with Chris",
        "Wednesday 11 March",
        "The first day after",
        "On the day of the session",
    ]
    positions = [page.index(text) for text in newest_first]
    assert positions == sorted(positions)
    assert "No thoughts written that day." in page
    for day in (11, 14, 17):
        assert f'href="{reverse("journal:entry", args=[date(2026, 3, day)])}"' in page


def test_days_too_old_to_edit_are_listed_without_a_link(signed_in, patient):
    flag(patient, date(2026, 3, 5), "Nearly two weeks ago")
    flag(patient, date(2026, 3, 4), "Just too long ago")
    page = signed_in.get(reverse("prep:agenda")).content.decode()
    assert "From the last 14 days." in page
    assert "Nearly two weeks ago" in page
    assert "Thursday 5 March" in page
    assert reverse("journal:entry", args=[date(2026, 3, 5)]) not in page
    assert "Just too long ago" not in page


def test_with_nothing_flagged_the_patient_learns_how_to_flag_a_day(signed_in):
    page = signed_in.get(reverse("prep:agenda")).content.decode()
    assert "tick “Bring this up next session”" in page


def test_the_agenda_costs_the_same_queries_for_ten_and_a_years_flagged_days(
    signed_in, patient, therapist, django_assert_max_num_queries
):
    attended(patient, therapist, TODAY - timedelta(days=400))

    def flag_days(first: int, last: int) -> None:
        DailyEntry.objects.bulk_create(
            DailyEntryFactory.build(
                patient=patient,
                day=TODAY - timedelta(days=n),
                thoughts=f"Thought {n}",
                discuss_next_session=True,
            )
            for n in range(first, last)
        )
        AgendaItem.objects.bulk_create(
            AgendaItemFactory.build(patient=patient, done_at=NOW if n % 2 else None)
            for n in range(first, last)
        )

    flag_days(0, 10)
    with django_assert_max_num_queries(6) as few:
        page = signed_in.get(reverse("prep:agenda")).content.decode()
    assert page.count("Thought ") == 10
    flag_days(10, 365)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = signed_in.get(reverse("prep:agenda")).content.decode()
    assert page.count("Thought ") == 365
    assert "Talked about (182)" in page
