"""The two-tap log: a row of mood buttons on the patient's home page saves today's
mood on one tap, changes nothing else, and offers the full form for the rest."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from journal.models import DailyEntry, SafetyAlert, SymptomRating
from tests.factories import DailyEntryFactory, SymptomFactory, SymptomRatingFactory

HOME = reverse("prep:patient_home")
QUICK = reverse("journal:quick_mood")


@pytest.fixture
def signed_in(client, patient):
    client.force_login(patient)
    return client


def tap(client, patient, mood, day=None):
    return client.post(QUICK, {"day": str(day or patient.today()), "mood": str(mood)})


def test_home_shows_eleven_mood_buttons_in_one_form_that_works_without_javascript(
    signed_in, patient
):
    page = signed_in.get(HOME).content.decode()
    form = page[page.index(f'<form method="post" action="{QUICK}"') :].split("</form>")[0]
    buttons = re.findall(r'<button type="submit" name="mood" value="(\d+)"', form)
    assert buttons == [str(n) for n in range(11)]
    assert f'name="day" value="{patient.today().isoformat()}"' in form
    assert "csrfmiddlewaretoken" in form
    assert "How is your mood today? One tap saves it." in form


def test_one_tap_saves_todays_mood_and_nothing_else(signed_in, patient):
    SymptomFactory(patient=patient, name="Worry")
    response = tap(signed_in, patient, 6)
    assert response.status_code == 302
    assert response.url == HOME
    entry = DailyEntry.objects.get(patient=patient)
    assert entry.day == patient.today()
    assert (entry.mood, entry.anxiety, entry.energy, entry.sleep_hours) == (6, None, None, None)
    assert (entry.homework_done, entry.thoughts, entry.self_harm_thoughts) == (None, "", False)
    assert not SymptomRating.objects.exists()
    assert not SafetyAlert.objects.exists()


def test_after_the_tap_home_says_saved_and_offers_the_full_form_for_the_same_day(
    signed_in, patient
):
    page = signed_in.post(
        QUICK, {"day": str(patient.today()), "mood": "6"}, follow=True
    ).content.decode()
    assert "Saved: mood 6 for today." in page
    assert "Your mood today: 6." in page
    add_more = reverse("journal:entry", args=[patient.today()])
    assert re.search(rf'<a [^>]*href="{add_more}">Add more', page)
    assert '<span class="visually-hidden"> (saved)</span>' in page
    # The full form then shows the mood chosen and everything else not answered.
    form = signed_in.get(add_more).content.decode()
    checked = re.findall(r'<input type="radio"[^>]*id="([^"]+)"[^>]*checked>', form)
    assert checked == ["id_mood_6"]


def test_a_second_tap_changes_the_mood_of_the_same_entry_and_keeps_the_rest(signed_in, patient):
    worry = SymptomFactory(patient=patient, name="Worry")
    entry = DailyEntryFactory(patient=patient, mood=3, anxiety=7, thoughts="A long day")
    SymptomRatingFactory(entry=entry, symptom=worry, severity=2)
    tap(signed_in, patient, 5)
    tap(signed_in, patient, 5)
    entry.refresh_from_db()
    assert DailyEntry.objects.count() == 1
    assert (entry.mood, entry.anxiety, entry.thoughts) == (5, 7, "A long day")
    assert SymptomRating.objects.get().severity == 2


@pytest.mark.parametrize(
    "data",
    [
        {"mood": "11"},
        {"mood": "-1"},
        {"mood": "happy"},
        {"mood": ""},
        {"mood": "5.5"},
        {"day": "2026-02-30"},
        {"day": "tomorrow"},
    ],
)
def test_a_bad_tap_saves_nothing_and_says_so(signed_in, patient, data):
    response = signed_in.post(
        QUICK, {"day": str(patient.today()), "mood": "5", **data}, follow=True
    )
    assert "That mood couldn’t be saved" in response.content.decode()
    assert not DailyEntry.objects.exists()


@pytest.mark.parametrize("days_from_today", [1, -8])
def test_a_day_outside_the_editing_window_is_refused(signed_in, patient, days_from_today):
    tap(signed_in, patient, 5, day=patient.today() + timedelta(days=days_from_today))
    assert not DailyEntry.objects.exists()


def test_a_day_in_the_last_week_may_be_tapped(signed_in, patient):
    yesterday = patient.today() - timedelta(days=1)
    response = tap(signed_in, patient, 4, day=yesterday)
    assert DailyEntry.objects.get().day == yesterday
    assert "Saved: mood 4 for yesterday." in signed_in.get(response.url).content.decode()


def test_the_tap_only_answers_a_post(signed_in):
    assert signed_in.get(QUICK).status_code == 405
    assert not DailyEntry.objects.exists()


@pytest.mark.parametrize(
    ("zone", "shown_at", "tapped_at", "shown_day"),
    [
        # London's clocks go forward at 01:00 UTC on 28 March 2027.
        (
            "Europe/London",
            datetime(2027, 3, 27, 23, 59, tzinfo=UTC),
            datetime(2027, 3, 28, 0, 1, tzinfo=UTC),
            date(2027, 3, 27),
        ),
        # New York's go back early on 7 November 2027: shown at 23:59 the night before.
        (
            "America/New_York",
            datetime(2027, 11, 7, 3, 59, tzinfo=UTC),
            datetime(2027, 11, 7, 4, 1, tzinfo=UTC),
            date(2027, 11, 6),
        ),
    ],
)
def test_a_tap_just_after_midnight_lands_on_the_day_the_page_showed(
    client, patient, zone, shown_at, tapped_at, shown_day
):
    patient.timezone = zone
    patient.save()
    with time_machine.travel(shown_at, tick=False):
        client.force_login(patient)
        page = client.get(HOME).content.decode()
        assert f'name="day" value="{shown_day.isoformat()}"' in page
    with time_machine.travel(tapped_at, tick=False):
        client.force_login(patient)
        assert patient.today() == shown_day + timedelta(days=1)
        client.post(QUICK, {"day": shown_day.isoformat(), "mood": "7"})
    assert DailyEntry.objects.get().day == shown_day


def test_the_home_page_costs_the_same_queries_before_and_after_a_tap(
    signed_in, patient, django_assert_max_num_queries
):
    with django_assert_max_num_queries(30) as before:
        signed_in.get(HOME)
    # Read now: the next request clears the query log.
    counted = len(before.captured_queries)
    tap(signed_in, patient, 8)
    signed_in.get(HOME)  # shows (and clears) the "Saved" message
    with django_assert_max_num_queries(counted):
        signed_in.get(HOME)


def test_a_tap_sent_again_does_not_undo_a_later_one(signed_in, patient):
    def token() -> str:
        page = signed_in.get(HOME).content.decode()
        return re.search(r'name="submission_token" value="([^"]+)"', page).group(1)

    day = str(patient.today())
    first = token()
    signed_in.post(QUICK, {"day": day, "mood": "3", "submission_token": first})
    signed_in.post(QUICK, {"day": day, "mood": "8", "submission_token": token()})
    replay = signed_in.post(
        QUICK, {"day": day, "mood": "3", "submission_token": first}, follow=True
    )
    assert "You had already sent this" in replay.content.decode()
    assert DailyEntry.objects.get().mood == 8
