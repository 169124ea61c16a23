"""A patient's history for the calendar and trend pages. Each function costs a fixed
number of queries, however many days are logged."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from core import charts

from .models import DailyEntry, Symptom, SymptomRating

TREND_WEEKS = (2, 4, 12)
# Each scale keeps its colour from the one palette on every page.
SCALE_COLOURS = dict(zip(("mood", "anxiety", "energy", "sleep"), charts.PALETTE, strict=True))


def mood_level(mood: int) -> int:
    """Five colour steps for the calendar, 0 (lowest) to 4 (best)."""
    return min(mood // 2, 4) if mood < 10 else 4


# The calendar's key: each colour step and the moods it stands for ("0–1" … "8–10").
MOOD_LEVELS = [
    (level, f"{moods[0]}–{moods[-1]}")
    for level in range(5)
    for moods in [[mood for mood in range(11) if mood_level(mood) == level]]
]


@dataclass(frozen=True)
class CalendarDay:
    day: date
    in_month: bool
    logged: bool
    mood: int | None  # None when not logged, or logged without a mood
    loggable: bool

    @property
    def level(self) -> int | None:
        """A colour only where the patient answered the mood question."""
        return None if self.mood is None else mood_level(self.mood)

    @property
    def linked(self) -> bool:
        """Days that can be filled in, and every logged day (read-only once old)."""
        return self.loggable or self.logged


def month_calendar(patient, year: int, month: int, loggable: tuple[date, date]):
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    moods = dict(
        DailyEntry.objects.filter(
            patient=patient, day__range=(weeks[0][0], weeks[-1][-1])
        ).values_list("day", "mood")
    )
    first, last = loggable
    return [
        [
            CalendarDay(day, day.month == month, day in moods, moods.get(day), first <= day <= last)
            for day in week
        ]
        for week in weeks
    ]


@dataclass
class Trends:
    start: date
    end: date
    days: list[date]
    rows: list[dict]
    scales_chart: str
    sleep_chart: str
    heat_map: str
    heat_map_legend: str
    symptom_rows: list[tuple[str, dict[date, int]]]
    # Each symptom's days at each severity, none to severe: the heat map as a table.
    symptom_counts: list[tuple[str, list[int]]]
    averages: dict
    # How many days each scale was answered on; averages rest on these alone.
    answered: dict


def trends(patient, weeks: int) -> Trends:
    end = patient.today()
    start = end - timedelta(days=weeks * 7 - 1)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    entries = DailyEntry.objects.filter(patient=patient, day__range=(start, end))
    by_day = {
        row["day"]: row for row in entries.values("day", "mood", "anxiety", "energy", "sleep_hours")
    }
    # Unanswered days count for nothing: each average rests on the days answered.
    # Worked out from the rows already read, in Decimal as the database would.
    fields = {"mood": "mood", "anxiety": "anxiety", "energy": "energy", "sleep": "sleep_hours"}
    given = {
        name: [row[field] for row in by_day.values() if row[field] is not None]
        for name, field in fields.items()
    }
    averages = {
        name: Decimal(sum(values)) / len(values) if values else None
        for name, values in given.items()
    }
    answered = {name: len(values) for name, values in given.items()}

    def series(name, field, colour):
        return charts.Series(
            name, colour, [(day, (by_day.get(day) or {}).get(field)) for day in days]
        )

    def named(label, field):
        average = averages[field]
        return label if average is None else f"{label} (average {average:.1f})"

    # One small chart per scale: three lines on one chart would cross and hide each other.
    scales_chart = charts.small_multiples(
        "scales",
        [
            charts.Panel(named(label, field), [series(label, field, SCALE_COLOURS[field])])
            for field, label in (("mood", "Mood"), ("anxiety", "Anxiety"), ("energy", "Energy"))
        ],
        start,
        end,
        10,
        title=f"Mood, anxiety and energy, last {weeks} weeks",
    )
    # Up to 24 hours may be logged: the axis reaches the longest night, rounded up.
    sleep_chart = charts.line_chart(
        "sleep",
        f"Hours slept, last {weeks} weeks",
        [series("Sleep (hours)", "sleep_hours", SCALE_COLOURS["sleep"])],
        start,
        end,
        None,
    )

    by_symptom: dict[int, dict[date, int]] = {}
    for symptom_id, day, severity in SymptomRating.objects.filter(
        entry__patient=patient, entry__day__range=(start, end)
    ).values_list("symptom", "entry__day", "severity"):
        by_symptom.setdefault(symptom_id, {})[day] = severity
    # Each name is decrypted once, not once per rating (12 weeks of 10 symptoms is 840).
    names = dict(Symptom.objects.filter(pk__in=by_symptom).values_list("pk", "name"))
    symptoms: dict[str, dict[date, int]] = {}
    for symptom_id, severities in by_symptom.items():
        symptoms.setdefault(names[symptom_id], {}).update(severities)
    # By name in Python: names are encrypted, so the database cannot order them.
    symptom_rows = sorted(symptoms.items())
    heat = charts.heat_map("symptoms", f"Symptom severity, last {weeks} weeks", symptom_rows, days)
    rows = [by_day[day] for day in reversed(days) if day in by_day]
    return Trends(
        start,
        end,
        days,
        rows,
        scales_chart,
        sleep_chart,
        heat,
        charts.severity_legend(),
        symptom_rows,
        [(name, charts.severity_counts(severities)) for name, severities in symptom_rows],
        averages,
        answered,
    )
