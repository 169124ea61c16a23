"""The calendar and trend pages: what they show, how they survive odd query strings,
and that a year of history costs no more queries than a week and a half."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from journal.models import DailyEntry, MeasureResponse, SymptomRating
from tests.factories import (
    DailyEntryFactory,
    MeasureResponseFactory,
    SymptomFactory,
    SymptomRatingFactory,
)

# Mid-month, so "today" and the days before it share one calendar page.
TODAY = date(2026, 3, 18)


@pytest.fixture(autouse=True)
def fixed_today():
    with time_machine.travel(datetime(2026, 3, 18, 12, 0, tzinfo=UTC)):
        yield


@pytest.fixture
def signed_in(client, patient):
    client.force_login(patient)
    return client


def calendar_cells(page: str) -> dict[int, tuple[str, str]]:
    """Each day of the shown month: its CSS classes and what it tells a screen reader
    ("mood 7" or "not logged")."""
    cells = {}
    for classes, inner in re.findall(r'<div class="(day\b[^"]*)">(.*?)</div>', page, re.S):
        number = re.search(r"<span[^>]*>(\d+)</span>", inner).group(1)
        spoken = re.search(r'<span class="visually-hidden">([^<]*)</span>', inner).group(1)
        cells[int(number)] = (" ".join(classes.split()), spoken.rsplit(",", 1)[-1].strip())
    return cells


def daily_table(page: str) -> str:
    """The trends page's table of each logged day."""
    start = page.index("<caption>Each logged day")
    return page[start : page.index("</table>", start)]


def test_the_calendar_colours_logged_days_by_mood(signed_in, patient):
    assert patient.today() == TODAY
    DailyEntryFactory(patient=patient, day=TODAY, mood=9)
    DailyEntryFactory(patient=patient, day=TODAY - timedelta(days=3), mood=1)
    page = signed_in.get(reverse("journal:calendar")).content.decode()
    assert "March 2026" in page
    cells = calendar_cells(page)
    assert len(cells) == 31
    assert cells[18] == ("day mood-4 is-today", "mood 9")
    assert cells[15] == ("day mood-0", "mood 1")
    assert cells[16] == ("day", "not logged")
    assert [spoken for _, spoken in cells.values()].count("not logged") == 31 - 2


def test_the_calendar_shows_each_days_mood_as_a_number_not_colour_alone(signed_in, patient):
    DailyEntryFactory(patient=patient, day=TODAY, mood=9)
    DailyEntryFactory(patient=patient, day=TODAY - timedelta(days=1), mood=None)
    page = signed_in.get(reverse("journal:calendar")).content.decode()
    moods = dict(
        (int(day), mood)
        for day, mood in re.findall(
            r'<span class="day-number"[^>]*>(\d+)</span><span class="day-mood"[^>]*>([^<]*)<', page
        )
    )
    assert moods[18] == "9"
    assert moods[17] == "✓"  # logged without a mood
    assert moods[16] == ""  # not logged


def test_the_calendar_key_shows_every_mood_colour_with_its_numbers(signed_in):
    page = signed_in.get(reverse("journal:calendar")).content.decode()
    key = re.findall(r'<span class="mood-swatch (mood-\d|logged-no-mood)">([^<]*)<', page)
    assert key == [
        ("mood-0", "0–1"),
        ("mood-1", "2–3"),
        ("mood-2", "4–5"),
        ("mood-3", "6–7"),
        ("mood-4", "8–10"),
        ("logged-no-mood", "✓"),
    ]


def test_the_month_links_are_named_by_the_month_they_show(signed_in):
    page = signed_in.get(reverse("journal:calendar"), {"month": "2026-02"}).content.decode()
    links = re.findall(r'<a class="[^"]*month-step" href="\?month=([\d-]+)"[^>]*>(.*?)</a>', page)
    spoken = [(month, re.sub(r'<span aria-hidden="true">[^<]*</span>|<[^>]+>', "", inner))
              for month, inner in links]  # fmt: skip
    assert spoken == [("2026-01", "Jan, previous month"), ("2026-03", "Mar, next month")]
    assert 'aria-label="Previous month"' not in page


def test_the_calendar_links_the_loggable_week_and_every_logged_day(signed_in, patient):
    DailyEntryFactory(patient=patient, day=TODAY - timedelta(days=12), mood=4)
    page = signed_in.get(reverse("journal:calendar")).content.decode()
    assert reverse("journal:entry", args=[TODAY]) in page
    assert reverse("journal:entry", args=[TODAY - timedelta(days=7)]) in page
    assert reverse("journal:entry", args=[TODAY - timedelta(days=8)]) not in page
    assert reverse("journal:entry", args=[TODAY + timedelta(days=1)]) not in page
    old = reverse("journal:entry", args=[TODAY - timedelta(days=12)])
    assert old in page
    # The link opens the day to read.
    assert signed_in.get(old).status_code == 200


def test_an_earlier_months_logged_days_are_linked(signed_in, patient):
    DailyEntryFactory(patient=patient, day=date(2025, 11, 5), mood=None)
    page = signed_in.get(reverse("journal:calendar"), {"month": "2025-11"}).content.decode()
    assert page.count('href="/journal/2025-') == 1
    assert reverse("journal:entry", args=[date(2025, 11, 5)]) in page


def test_a_day_logged_without_a_mood_is_marked_logged_but_not_coloured(signed_in, patient):
    DailyEntryFactory(patient=patient, day=TODAY - timedelta(days=2), mood=None)
    cells = calendar_cells(signed_in.get(reverse("journal:calendar")).content.decode())
    assert cells[16] == ("day logged-no-mood", "mood not answered")


def test_the_calendar_shows_an_earlier_month(signed_in, patient):
    DailyEntryFactory(patient=patient, day=date(2025, 11, 5), mood=5)
    page = signed_in.get(reverse("journal:calendar"), {"month": "2025-11"}).content.decode()
    assert "November 2025" in page
    cells = calendar_cells(page)
    assert len(cells) == 30
    assert cells[5] == ("day mood-2", "mood 5")
    assert cells[6] == ("day", "not logged")
    assert 'href="?month=2025-10"' in page
    assert 'href="?month=2025-12"' in page


def test_the_calendar_offers_no_month_after_this_one(signed_in):
    page = signed_in.get(reverse("journal:calendar")).content.decode()
    assert 'href="?month=2026-02"' in page
    assert "?month=2026-04" not in page


def test_the_calendar_shows_only_my_own_days(signed_in, patient, other_patient):
    DailyEntryFactory(patient=other_patient, day=TODAY, mood=9)
    page = signed_in.get(reverse("journal:calendar")).content.decode()
    assert calendar_cells(page)[18] == ("day is-today", "not logged")
    assert "mood 9" not in page


@pytest.mark.parametrize("month", ["nonsense", "", "2026", "2026-13", "2026-00", "2026-1-1"])
def test_a_nonsense_month_falls_back_to_this_month(signed_in, month):
    response = signed_in.get(reverse("journal:calendar"), {"month": month})
    assert response.status_code == 200
    assert "March 2026" in response.content.decode()


@pytest.mark.parametrize(
    ("month", "shown"), [("0001-01", "January 2020"), ("9999-12", "March 2026")]
)
def test_a_month_at_the_edge_of_the_calendar_is_clamped(signed_in, month, shown):
    response = signed_in.get(reverse("journal:calendar"), {"month": month})
    assert response.status_code == 200
    assert shown in response.content.decode()


def test_trends_draw_charts_with_a_table_of_the_logged_values(signed_in, patient):
    worry = SymptomFactory(patient=patient, name="Worry")
    entry = DailyEntryFactory(
        patient=patient, day=TODAY, mood=7, anxiety=3, energy=8, sleep_hours=Decimal("6.5")
    )
    SymptomRatingFactory(entry=entry, symptom=worry, severity=2)
    DailyEntryFactory(patient=patient, day=TODAY - timedelta(days=2), mood=2, anxiety=9)
    page = signed_in.get(reverse("journal:trends")).content.decode()

    charts = re.findall(r'<svg class="chart" [^>]*>', page)
    assert len(charts) == 5  # mood, anxiety, energy, sleep, symptom heat map
    assert all('role="img"' in svg for svg in charts)
    assert "Worry, 18 Mar: moderate" in page
    assert "2 of 28 days logged" in page

    table = daily_table(page)
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", table)
    assert rows == [
        ("Wed 18 Mar", "<td>7</td><td>3</td><td>8</td><td>6.5</td>"),
        ("Mon 16 Mar", "<td>2</td><td>9</td><td>5</td><td>7.0</td>"),
    ]


def test_trends_show_symptoms_whole_with_a_table_of_severities(signed_in, patient):
    focus = SymptomFactory(patient=patient, name="Trouble concentrating")
    for days_ago, severity in ((0, 3), (1, 3), (2, 0)):
        entry = DailyEntryFactory(patient=patient, day=TODAY - timedelta(days=days_ago))
        SymptomRatingFactory(entry=entry, symptom=focus, severity=severity)
    page = signed_in.get(reverse("journal:trends")).content.decode()
    assert '<text x="2" y="13.0" class="label">Trouble concentrating</text>' in page
    table = page[page.index("<caption>Days you rated each symptom") :]
    row = re.search(r"<tr><th scope=\"row\">Trouble concentrating</th>(.*?)</tr>", table)
    assert row.group(1) == "<td>1</td><td>0</td><td>0</td><td>2</td>"
    assert "Trouble concentrating: rated on 3 of 28 days (none 1, severe 2)." in page


def test_trends_draw_mood_anxiety_and_energy_as_one_small_chart_each(signed_in, patient):
    DailyEntryFactory(patient=patient, day=TODAY, mood=7, anxiety=3, energy=8)
    DailyEntryFactory(
        patient=patient, day=TODAY - timedelta(days=1), mood=6, anxiety=4, energy=None
    )
    page = signed_in.get(reverse("journal:trends")).content.decode()
    captions = re.findall(r'<figcaption class="chart-caption">([^<]*)<', page)
    assert captions == ["Mood (average 6.5)", "Anxiety (average 3.5)", "Energy (average 8.0)"]
    panels = re.findall(r'<svg [^>]*aria-labelledby="scales-\d-title".*?</svg>', page, re.S)
    assert [panel.count("<polyline") for panel in panels] == [1, 1, 0]  # one energy day


def test_trends_average_only_answered_days_and_say_how_many(signed_in, patient):
    DailyEntryFactory(
        patient=patient, day=TODAY, mood=8, anxiety=None, energy=None, sleep_hours=None
    )
    DailyEntryFactory(
        patient=patient, day=TODAY - timedelta(days=1), mood=None, anxiety=None, energy=4,
        sleep_hours=Decimal("6.0"),
    )  # fmt: skip
    DailyEntryFactory(
        patient=patient, day=TODAY - timedelta(days=2), mood=None, anxiety=None, energy=None,
        sleep_hours=None,
    )  # fmt: skip
    page = signed_in.get(reverse("journal:trends")).content.decode()
    assert "3 of 28 days logged" in page
    assert (
        "mood 1 of 28 days answered, anxiety 0 of 28, energy 1 of 28" in page
    )  # averages rest on these alone
    assert "Mood (average 8.0)" in page
    assert "Anxiety (average" not in page
    assert "Energy (average 4.0)" in page
    assert "(average 6.0 h)" in page
    assert "1 of 28 days answered." in page  # sleep
    table = daily_table(page)
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", table)
    assert rows == [
        ("Wed 18 Mar", "<td>8</td><td>–</td><td>–</td><td>–</td>"),
        ("Tue 17 Mar", "<td>–</td><td>–</td><td>4</td><td>6.0</td>"),
        ("Mon 16 Mar", "<td>–</td><td>–</td><td>–</td><td>–</td>"),
    ]


@pytest.mark.parametrize(("weeks", "days"), [("2", 14), ("4", 28), ("12", 84)])
def test_trends_cover_the_chosen_number_of_weeks(signed_in, patient, weeks, days):
    DailyEntryFactory(patient=patient, day=TODAY - timedelta(days=days - 1))
    DailyEntryFactory(patient=patient, day=TODAY - timedelta(days=days))  # just outside
    page = signed_in.get(reverse("journal:trends"), {"weeks": weeks}).content.decode()
    assert f"1 of {days} days logged" in page
    assert f'href="?weeks={weeks}" aria-current="page"' in page


@pytest.mark.parametrize("weeks", ["99", "0", "-4", "nonsense", "4.5", ""])
def test_an_unknown_number_of_weeks_falls_back_to_four(signed_in, weeks):
    response = signed_in.get(reverse("journal:trends"), {"weeks": weeks})
    assert response.status_code == 200
    assert "0 of 28 days logged" in response.content.decode()


def test_trends_with_nothing_logged_invite_a_first_log(signed_in):
    response = signed_in.get(reverse("journal:trends"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "No days logged in this period yet" in page
    assert reverse("journal:today") in page
    assert "<svg" not in page


def test_trends_leave_out_another_patients_days(signed_in, other_patient):
    DailyEntryFactory(patient=other_patient, day=TODAY, mood=10)
    page = signed_in.get(reverse("journal:trends")).content.decode()
    assert "0 of 28 days logged" in page


# Query counts: the same page with 10 and with 365 days logged costs the same.


QUESTIONNAIRE_TIME = datetime(2026, 3, 18, 9, 0, tzinfo=UTC)


@pytest.fixture
def symptoms(patient):
    return [SymptomFactory(patient=patient, name=name) for name in ("Worry", "Low mood")]


def log_ten_days(patient, symptoms):
    """Today and the nine days before it, each rating both symptoms; a PHQ-9 and a
    GAD-7 today and two weeks ago."""
    for n in range(10):
        entry = DailyEntryFactory(patient=patient, day=TODAY - timedelta(days=n), mood=n)
        for symptom in symptoms:
            SymptomRatingFactory(entry=entry, symptom=symptom, severity=n % 4)
    for weeks in (0, 2):
        for kind in ("phq9", "gad7"):
            MeasureResponseFactory(
                patient=patient, kind=kind, taken_at=QUESTIONNAIRE_TIME - timedelta(weeks=weeks)
            )


def log_the_rest_of_the_year(patient, symptoms):
    """Every earlier day back to a year ago (365 entries in all), each rating both
    symptoms; questionnaires every fortnight."""
    entries = DailyEntry.objects.bulk_create(
        DailyEntryFactory.build(patient=patient, day=TODAY - timedelta(days=n), mood=n % 11)
        for n in range(10, 365)
    )
    SymptomRating.objects.bulk_create(
        SymptomRatingFactory.build(entry=entry, symptom=symptom, severity=entry.mood % 4)
        for entry in entries
        for symptom in symptoms
    )
    MeasureResponse.objects.bulk_create(
        MeasureResponseFactory.build(
            patient=patient, kind=kind, taken_at=QUESTIONNAIRE_TIME - timedelta(weeks=weeks)
        )
        for weeks in range(4, 52, 2)
        for kind in ("phq9", "gad7")
    )


def test_the_calendar_costs_the_same_queries_for_a_week_and_a_year(
    signed_in, patient, symptoms, django_assert_max_num_queries
):
    log_ten_days(patient, symptoms)
    with django_assert_max_num_queries(3) as few:
        signed_in.get(reverse("journal:calendar"))
    log_the_rest_of_the_year(patient, symptoms)
    assert DailyEntry.objects.filter(patient=patient).count() == 365
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = signed_in.get(reverse("journal:calendar")).content.decode()
    assert [spoken for _, spoken in calendar_cells(page).values()].count("not logged") == 13
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = signed_in.get(reverse("journal:calendar"), {"month": "2025-04"}).content.decode()
    assert "not logged" not in {spoken for _, spoken in calendar_cells(page).values()}


def test_trends_cost_the_same_queries_for_a_week_and_a_year(
    signed_in, patient, symptoms, django_assert_max_num_queries
):
    log_ten_days(patient, symptoms)
    with django_assert_max_num_queries(5) as few:
        page = signed_in.get(reverse("journal:trends"), {"weeks": 12}).content.decode()
    assert "10 of 84 days logged" in page
    log_the_rest_of_the_year(patient, symptoms)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = signed_in.get(reverse("journal:trends"), {"weeks": 12}).content.decode()
    assert "84 of 84 days logged" in page
    assert daily_table(page).count('<tr><th scope="row">') == 84
    heat_map = re.search(r'<svg [^>]*aria-labelledby="symptoms-title".*?</svg>', page, re.S)
    assert heat_map.group(0).count("<rect ") == 2 * 84


def test_the_questionnaire_list_costs_the_same_queries_for_few_and_many(
    signed_in, patient, symptoms, django_assert_max_num_queries
):
    log_ten_days(patient, symptoms)
    with django_assert_max_num_queries(5) as few:
        page = signed_in.get(reverse("journal:measures")).content.decode()
    assert page.count('<th scope="row"><a href="/journal/measures/') == 4
    log_the_rest_of_the_year(patient, symptoms)
    assert MeasureResponse.objects.filter(patient=patient).count() == 52
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = signed_in.get(reverse("journal:measures")).content.decode()
    assert page.count('<th scope="row"><a href="/journal/measures/') == 52


def test_a_huge_calendar_year_falls_back(client, patient):
    client.force_login(patient)
    response = client.get(reverse("journal:calendar"), {"month": "99999999999999999999-1"})
    assert response.status_code == 200
