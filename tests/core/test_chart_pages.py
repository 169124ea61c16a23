"""Every page that draws a chart (core/charts.py): each chart is an image with a name
and a summary a screen reader can read, holds at most two series, ticks its values
on whole numbers and keeps its labels inside it. The browser measures the same pages
at phone size in tests/e2e/test_charts_on_a_phone.py."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from prep import summaries
from tests.factories import (
    AppointmentFactory,
    DailyEntryFactory,
    MeasureResponseFactory,
    SessionFeedbackFactory,
    SymptomFactory,
    SymptomRatingFactory,
)


@pytest.fixture
def history(patient, therapist):
    """Two weeks of days (one of 24 hours' sleep), two PHQ-9s, a session tomorrow
    with its summary shared, and feedback on three sessions."""
    today = patient.today()
    worry = SymptomFactory(patient=patient, name="Trouble concentrating")
    for days_ago in range(14):
        entry = DailyEntryFactory(
            patient=patient,
            day=today - timedelta(days=days_ago),
            mood=days_ago % 11,
            sleep_hours=Decimal("24.0") if days_ago == 3 else Decimal("7.5"),
        )
        SymptomRatingFactory(entry=entry, symptom=worry, severity=days_ago % 4)
    now = timezone.now()
    for weeks_ago, total in ((2, 14), (0, 9)):
        MeasureResponseFactory(
            patient=patient, total=total, taken_at=now - timedelta(weeks=weeks_ago, hours=1)
        )
    appointment = AppointmentFactory(therapist=therapist, patient=patient)
    summaries.share(appointment)
    for days_ago in (15, 8, 1):
        SessionFeedbackFactory(
            patient=patient, therapist=therapist, goals=days_ago % 10,
            session_at=now - timedelta(days=days_ago),
        )  # fmt: skip
    return appointment


PAGES = {
    # name: (who opens it, the URL, how many charts it draws)
    "trends": ("patient", lambda a: reverse("journal:trends"), 5),
    "questionnaires": ("patient", lambda a: reverse("journal:measures"), 1),
    "summary review": ("patient", lambda a: reverse("prep:summary_review", args=[a.pk]), 3),
    "shared summary": ("therapist", lambda a: reverse("prep:summary_read", args=[a.pk]), 3),
    "my feedback": ("patient", lambda a: reverse("feedback:mine"), 4),
    "patient's feedback": (
        "therapist",
        lambda a: reverse("feedback:patient_feedback", args=[a.patient.pk]),
        4,
    ),
}


@pytest.fixture(params=PAGES)
def charts_on_page(request, client, history, patient, therapist):
    who, url, expected = PAGES[request.param]
    client.force_login(patient if who == "patient" else therapist)
    response = client.get(url(history))
    assert response.status_code == 200
    found = re.findall(r'<svg class="chart" .*?</svg>', response.content.decode(), re.S)
    assert len(found) == expected, request.param
    return found


def test_every_chart_is_an_image_with_a_name_and_a_summary(charts_on_page):
    for svg in charts_on_page:
        chart_id = re.search(r'aria-labelledby="([\w-]+)-title"', svg).group(1)
        assert 'role="img"' in svg
        assert f'aria-describedby="{chart_id}-desc"' in svg
        assert re.search(rf'<title id="{chart_id}-title">[^<]+</title>', svg)
        summary = re.search(rf'<desc id="{chart_id}-desc">([^<]+)</desc>', svg).group(1)
        assert " answered" in summary or "rated on" in summary


def test_no_chart_draws_more_than_two_series(charts_on_page):
    for svg in charts_on_page:
        lines = set(re.findall(r'<polyline [^>]*stroke="(#\w+)"', svg))
        marks = set(re.findall(r'<(?:circle|rect) [^>]*fill="(#\w+)"><title>[^<]*, ', svg))
        if "severe" not in svg:  # the heat map's colours are severities, not series
            assert len(lines | marks) <= 2


def test_value_ticks_are_whole_numbers_and_labels_stay_inside(charts_on_page):
    for svg in charts_on_page:
        width, height = (
            float(n) for n in re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).groups()
        )
        for x, y, anchor, text in re.findall(
            r'<text x="([\d.]+)" y="([\d.]+)"(?: text-anchor="(\w+)")?[^>]*>([^<]*)', svg
        ):
            assert 0 < float(x) <= width and 0 < float(y) <= height, text
            if anchor == "end":
                assert text.isdigit(), text


def test_no_chart_uses_inline_style(charts_on_page):
    assert not any("style=" in svg for svg in charts_on_page)


def test_the_sleep_chart_reaches_the_longest_night(client, history, patient):
    client.force_login(patient)
    page = client.get(reverse("journal:trends")).content.decode()
    sleep = re.search(r'<svg [^>]*aria-labelledby="sleep-title".*?</svg>', page, re.S).group(0)
    ticks = re.findall(r'text-anchor="end" class="tick">(\d+)<', sleep)
    assert ticks[-1] == "25"
    assert "Sleep (hours), " in sleep and ": 24</title>" in sleep


def test_the_summary_draws_one_small_chart_per_scale(client, history, patient):
    client.force_login(patient)
    page = client.get(reverse("prep:summary_review", args=[history.pk])).content.decode()
    captions = re.findall(r'<figcaption class="chart-caption">([^<]*)<', page)
    assert captions == ["Mood", "Anxiety", "Energy"]
    assert 'aria-label="Mood, anxiety and energy (0 to 10)"' in page
