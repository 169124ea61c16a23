"""Charts a phone can read, measured in Chromium at 390×844: every label of every
chart at least 12 px, wholly inside its chart and clear of every other label; the
calendar readable without colour; nothing wider than the screen."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from prep import summaries
from tests.e2e.test_invitation_journey import sign_in
from tests.factories import (
    AppointmentFactory,
    DailyEntryFactory,
    MeasureResponseFactory,
    SessionFeedbackFactory,
    SymptomFactory,
    SymptomRatingFactory,
)

SYMPTOMS = (
    "Trouble concentrating",
    "Feeling restless or on edge, unable to settle down at all",
    "Worry",
    "Low mood",
)

# Every chart on the page, as drawn: each label's rendered font size (the SVG's font
# size times the scale its viewBox is drawn at) and its box on the screen.
CHARTS = """() => [...document.querySelectorAll("svg.chart")].map(svg => {
  const box = svg.getBoundingClientRect();
  const scale = box.width / svg.viewBox.baseVal.width;
  return {
    name: svg.querySelector("title").textContent,
    summary: svg.querySelector("desc").textContent,
    role: svg.getAttribute("role"),
    box: {left: box.left, top: box.top, right: box.right, bottom: box.bottom},
    labels: [...svg.querySelectorAll("text")].map(text => {
      const r = text.getBoundingClientRect();
      return {
        text: text.firstChild.textContent,
        px: parseFloat(getComputedStyle(text).fontSize) * scale,
        box: {left: r.left, top: r.top, right: r.right, bottom: r.bottom},
      };
    }),
  };
})"""

# The text around the charts: captions, legends, the calendar and its key.
HTML_TEXT = """selector => [...document.querySelectorAll(selector)].filter(
  element => element.getClientRects().length && element.textContent.trim()
).map(element => ({
  text: element.textContent.trim(), px: parseFloat(getComputedStyle(element).fontSize)
}))"""

SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"


def overlap(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"] - 0.5
        and b["left"] < a["right"] - 0.5
        and a["top"] < b["bottom"] - 0.5
        and b["top"] < a["bottom"] - 0.5
    )


def inside(inner: dict, outer: dict) -> bool:
    return (
        inner["left"] >= outer["left"] - 0.5
        and inner["right"] <= outer["right"] + 0.5
        and inner["top"] >= outer["top"] - 0.5
        and inner["bottom"] <= outer["bottom"] + 0.5
    )


def assert_charts_readable(page: Page, expected: int) -> list[dict]:
    charts = page.evaluate(CHARTS)
    assert len(charts) == expected, [chart["name"] for chart in charts]
    for chart in charts:
        where = chart["name"]
        assert chart["role"] == "img" and chart["summary"], where
        labels = chart["labels"]
        assert labels, where
        for label in labels:
            assert label["px"] >= 12, (where, label)
            assert inside(label["box"], chart["box"]), ("clipped", where, label)
        for index, label in enumerate(labels):
            for other in labels[index + 1 :]:
                assert not overlap(label["box"], other["box"]), ("collide", where, label, other)
    for text in page.evaluate(
        HTML_TEXT, ".chart-caption, .chart-legend li, .mood-key li, .mood-calendar .day span"
    ):
        assert text["px"] >= 12, text
    assert page.evaluate(SIDEWAYS) <= 0
    return charts


@pytest.fixture
def history(patient, therapist, other_therapist):
    """Four weeks of a patient's days (a night of 24 hours among them, some days
    missed, symptoms with long names), three PHQ-9s, a session tomorrow with its
    summary drafted, and feedback on sessions with two therapists."""
    today = patient.today()
    symptoms = [SymptomFactory(patient=patient, name=name) for name in SYMPTOMS]
    for days_ago in range(28):
        if days_ago % 5 == 3:
            continue  # missed days
        entry = DailyEntryFactory(
            patient=patient,
            day=today - timedelta(days=days_ago),
            mood=(days_ago * 3) % 11,
            anxiety=(days_ago * 7) % 11,
            energy=(days_ago * 5) % 11,
            sleep_hours=Decimal("24.0") if days_ago == 6 else Decimal(5 + days_ago % 5),
        )
        for index, symptom in enumerate(symptoms):
            SymptomRatingFactory(entry=entry, symptom=symptom, severity=(days_ago + index) % 4)
    now = timezone.now()
    for weeks_ago, total in ((4, 14), (2, 9), (0, 5)):
        MeasureResponseFactory(
            patient=patient, answers=[total // 9 + (n < total % 9) for n in range(9)],
            total=total, taken_at=now - timedelta(weeks=weeks_ago, hours=1),
        )  # fmt: skip
    appointment = AppointmentFactory(therapist=therapist, patient=patient)
    summaries.generate_draft(appointment)
    for who, days in ((other_therapist, (40, 33, 26)), (therapist, (19, 12, 5))):
        for days_ago in days:
            SessionFeedbackFactory(
                patient=patient, therapist=who, bond=8, goals=days_ago % 4 + 6,
                approach=None if days_ago == 12 else 7, overall=9,
                session_at=(now - timedelta(days=days_ago)).replace(minute=0, second=0),
            )  # fmt: skip
    return appointment


def test_every_chart_label_is_readable_on_a_phone(live_server, page: Page, patient, history):
    """GIVEN a month of history with long symptom names and a 24-hour night
    WHEN the patient opens each page with a chart on a 390 px phone
    THEN every label is at least 12 px, none is cut off or overlaps another, no chart
    has more than two lines, the sleep axis reaches 24 hours, and the calendar shows
    each logged day's mood as a number with a key to all five colours."""
    base = live_server.url
    page.set_default_timeout(10_000)
    assert page.viewport_size == {"width": 390, "height": 844}
    sign_in(page, base, patient.email)

    page.goto(f"{base}/journal/trends/")
    charts = assert_charts_readable(page, 5)  # mood, anxiety, energy, sleep, symptoms
    sleep = next(chart for chart in charts if chart["name"].startswith("Hours slept"))
    assert max(int(label["text"]) for label in sleep["labels"] if label["text"].isdigit()) >= 24
    assert page.locator("svg.chart polyline[stroke-dasharray]").count() == 0  # one line each
    shown = " ".join(label["text"] for label in charts[-1]["labels"])
    for name in SYMPTOMS:  # whole names, on lines of their own, wrapped if need be
        assert name in shown
    for weeks in (2, 12):
        page.goto(f"{base}/journal/trends/?weeks={weeks}")
        assert_charts_readable(page, 5)

    # The month of two weeks ago holds at least a fortnight of the four weeks logged.
    page.goto(f"{base}/journal/calendar/?month={patient.today() - timedelta(days=14):%Y-%m}")
    assert_charts_readable(page, 0)
    logged = page.locator(".mood-calendar .day:has(a) .day-mood:not(:empty)")
    assert logged.count() >= 10
    for cell in page.locator(".mood-calendar .day:has(.day-mood:not(:empty))").all():
        box = cell.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, box
    assert page.locator(".mood-key .mood-swatch").count() == 6  # five moods, and no mood

    page.goto(f"{base}/sessions/{history.pk}/summary/")
    assert_charts_readable(page, 3)  # mood, anxiety, energy

    page.goto(f"{base}/journal/measures/")
    charts = assert_charts_readable(page, 1)  # PHQ-9 only: one GAD-7 is no trend
    ticks = [label["text"] for label in charts[0]["labels"] if label["text"].isdigit()]
    assert ticks == ["0", "5", "10", "15", "20", "25"]

    page.goto(f"{base}/feedback/")
    assert_charts_readable(page, 8)  # four ratings, for each of two therapists
