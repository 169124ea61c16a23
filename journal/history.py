"""A patient's history for the calendar and trend pages. Each function costs a fixed
number of queries, however many days are logged."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Avg, Count

from core import charts

from .models import DailyEntry, SymptomRating

TREND_WEEKS = (2, 4, 12)
# Each scale keeps its colour from the one palette on every page.
SCALE_COLOURS = dict(zip(("mood", "anxiety", "energy", "sleep"), charts.PALETTE, strict=True))


def mood_level(mood: int) -> int:
    """Five colour steps for the calendar, 0 (lowest) to 4 (best)."""
    return min(mood // 2, 4) if mood < 10 else 4


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
    scales_legend: str
    sleep_chart: str
    heat_map: str
    heat_map_legend: str
    symptom_rows: list[tuple[str, dict[date, int]]]
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
    # Avg and Count of a column skip nulls: unanswered days count for nothing.
    fields = {"mood": "mood", "anxiety": "anxiety", "energy": "energy", "sleep": "sleep_hours"}
    totals = entries.aggregate(
        **{f"average_{name}": Avg(field) for name, field in fields.items()},
        **{f"answered_{name}": Count(field) for name, field in fields.items()},
    )
    averages = {name: totals[f"average_{name}"] for name in fields}
    answered = {name: totals[f"answered_{name}"] for name in fields}

    def series(name, field, colour):
        return charts.Series(
            name, colour, [(day, (by_day.get(day) or {}).get(field)) for day in days]
        )

    def named(label, field):
        average = averages[field]
        return label if average is None else f"{label} (average {average:.1f})"

    scales = [
        series(named("Mood", "mood"), "mood", SCALE_COLOURS["mood"]),
        series(named("Anxiety", "anxiety"), "anxiety", SCALE_COLOURS["anxiety"]),
        series(named("Energy", "energy"), "energy", SCALE_COLOURS["energy"]),
    ]
    scales_chart = charts.line_chart(
        "scales", f"Mood, anxiety and energy, last {weeks} weeks (0 to 10)", scales, start, end, 10
    )
    sleep_chart = charts.line_chart(
        "sleep",
        f"Hours slept, last {weeks} weeks",
        [series("Sleep", "sleep_hours", SCALE_COLOURS["sleep"])],
        start,
        end,
        12,
    )

    symptoms: dict[str, dict[date, int]] = {}
    for name, day, severity in SymptomRating.objects.filter(
        entry__patient=patient, entry__day__range=(start, end)
    ).values_list("symptom__name", "entry__day", "severity"):
        symptoms.setdefault(name, {})[day] = severity
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
        charts.series_legend(scales),
        sleep_chart,
        heat,
        charts.severity_legend(),
        symptom_rows,
        averages,
        answered,
    )
