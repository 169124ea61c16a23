"""Server-rendered SVG charts shared by every app, laid out for a phone.

Every chart is plain SVG (no JavaScript, prints cleanly, no inline style) named by its
title and described by one sentence per series, for screen readers; pages add a data
table beside it. The viewBox is a phone's width (320 units) and text is 13 units, so
labels show at 12 px or more on any screen from 320 px up (static/css/app.css caps how
far a chart grows on a wide one). Labels are placed here with an estimate of their
width, so none is clipped or collides with another; the estimate uses DejaVu Sans,
wider than the usual phone fonts, so it errs on the side of room. Value ticks fall on
whole numbers and the axis always reaches the highest value drawn. A chart holds at
most two series, told apart by dash and marker as well as colour; more scales are
drawn as small multiples, one small chart each."""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape
from itertools import count, pairwise

from django.utils.safestring import SafeString, mark_safe

# The one palette. Lines take their colours from PALETTE in this order, so a scale
# keeps its colour from page to page (mood is always the first); each is at least
# 4.5:1 against the page (#fbfaf7) and white, as a line or as text.
PALETTE = ["#2f6f73", "#b04a26", "#8a6500", "#5467a8"]
INK = "#5f5d57"  # labels and ticks, 6.3:1
GRID = "#e2dfd7"  # gridlines carry no meaning of their own
# Symptom severity, none to severe: told by a bar's height and by its colour, each
# colour at least 3:1 against the page.
SEVERITY_NAMES = ("none", "mild", "moderate", "severe")
SEVERITY_COLOURS = ("#8a877f", "#c0711f", "#9c4a14", "#7a2e0e")
SEVERITY_HEIGHTS = (3, 8, 16, 24)
# The calendar's five mood steps (journal/history.py), lowest to best: orange to teal
# rather than red to green, each light enough for dark text at 7:1. Every coloured day
# also shows its mood as a number. The calendar is HTML, so the colours reach it as CSS
# classes (the CSP allows no inline style); a test keeps app.css in step with these.
MOOD_COLOURS = ("#f1a07e", "#f8cdb3", "#e9e4d8", "#b7dcd8", "#7cc0ba")
CSS_COLOURS = {f"mood-{level}": colour for level, colour in enumerate(MOOD_COLOURS)}

# Within one chart the first series is a solid line with round markers, the second a
# dashed line with square ones: never colour alone.
MAX_SERIES = 2
DASHES = ("", "6 4")
MARKERS = ("circle", "square")

WIDTH = 320
FONT = 13
GAP = 6  # between a label and what it labels
INSET = 2  # between a label and the chart's edge: a glyph's box may overhang its advance
HEIGHT = 170  # a chart of its own
PANEL_HEIGHT = 124  # one of several small multiples
TOP, RIGHT, BOTTOM = 10, 8, 30
LABEL_LINE = 16  # one line of a heat map's row label
STRIP = SEVERITY_HEIGHTS[-1]  # a heat map row's bars
ROW_GAP = 10

# Advance widths in DejaVu Sans, in ems; anything not listed counts as a wide letter.
_EM = {
    **dict.fromkeys("0123456789", 0.636),
    **dict.fromkeys(" ,.:;", 0.318),
    **dict.fromkeys("ijlI'|!", 0.3),
    **dict.fromkeys("frt()-/", 0.41),
    **dict.fromkeys("mwMW", 1.0),
    "–": 0.5,
    "…": 1.0,
}


def text_width(text: str, size: float = FONT) -> float:
    """How wide `text` is drawn, in the units of its font size (an upper estimate)."""
    return size * sum(_EM.get(char, 0.78 if char.isupper() else 0.64) for char in text)


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    points: list[tuple[date, float | None]]


@dataclass(frozen=True)
class Panel:
    """One small multiple: its caption and its one or two series."""

    title: str
    series: list[Series]


# Axes ------------------------------------------------------------------------------


def _step(top: float, max_ticks: int, rounding=math.floor) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50… giving at most max_ticks ticks to top."""
    for magnitude in count():
        for base in (1, 2, 5):
            step = base * 10**magnitude
            if rounding(top / step) + 1 <= max_ticks:
                return step
    raise AssertionError("unreachable")


def whole_ticks(top: float, max_ticks: int = 7) -> list[int]:
    """Ticks from 0 on whole, evenly spaced numbers, none above top."""
    step = _step(top, max_ticks)
    return list(range(0, math.floor(top) + 1, step))


def axis_top(highest: float, max_ticks: int = 7) -> int:
    """The top of an axis that fits the highest value: rounded up to a whole tick."""
    highest = max(float(highest), 1)
    step = _step(highest, max_ticks, math.ceil)
    return math.ceil(highest / step) * step


def _max_ticks(plot_height: float) -> int:
    # Labels at least one and a half lines apart, and never more than seven.
    return max(2, min(7, math.floor(plot_height / (FONT * 1.5)) + 1))


def _day(day: date) -> str:
    return f"{day.day} {day:%b}"


def _date_label(start: date, end: date):
    return (lambda day: f"{day:%b %Y}") if (end - start).days > 330 else _day


def _text(x: float, y: float, text: str, anchor: str = "middle", css: str = "tick") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{css}">{escape(text)}</text>'
    )


def _date_ticks(
    start: date, end: date, x_of, baseline: float, dated: frozenset[date] = frozenset()
) -> list[str]:
    """Date labels with a letter's space between them, each wholly inside the chart:
    the days that have values when there are few (sessions, questionnaires) and all
    fit, else as many evenly spaced days as fit, the first and last always."""
    span = (end - start).days
    label = _date_label(start, end)

    def place(days):
        placed = []
        for day in sorted(days):
            text = label(day)
            half = text_width(text) / 2
            centre = min(max(x_of(day), half + INSET), WIDTH - half - INSET)
            placed.append((text, centre - half, centre + half))
        if all(right + FONT <= left for (_, _, right), (_, left, _) in pairwise(placed)):
            return placed
        return None

    choices = [dated] if 1 < len(dated) <= 7 else []
    choices += [
        {start + timedelta(days=round(n * span / max(wanted - 1, 1))) for n in range(wanted)}
        for wanted in range(min(span, 7) + 1, 0, -1)
    ]
    for days in choices:  # a single label always fits
        placed = place(days)
        if placed:
            break
    return [_text((left + right) / 2, baseline, text) for text, left, right in placed]


@dataclass(frozen=True)
class _Frame:
    """Where the plot sits in the viewBox, and how a day and a value map into it."""

    left: float
    top: float
    right: float
    bottom: float
    start: date
    end: date
    y_max: float

    def x(self, day: date) -> float:
        span = max((self.end - self.start).days, 1)
        return self.left + (day - self.start).days / span * (self.right - self.left)

    def y(self, value: float) -> float:
        return self.top + (1 - float(value) / self.y_max) * (self.bottom - self.top)


# Text alternatives -----------------------------------------------------------------


def _number(value) -> str:
    return f"{float(value):g}"


def describe(series: list[Series]) -> str:
    """One sentence per series: how many values, their range and the latest."""
    sentences = []
    for line in series:
        given = [(day, value) for day, value in line.points if value is not None]
        if not given:
            sentences.append(f"{line.name}: nothing to show.")
            continue
        values = [value for _, value in given]
        last_day, last = given[-1]
        sentences.append(
            f"{line.name}: {len(given)} of {len(line.points)} answered, from "
            f"{_number(min(values))} to {_number(max(values))}, latest {_number(last)} "
            f"on {_day(last_day)}."
        )
    return " ".join(sentences)


def _svg(chart_id: str, title: str, summary: str, height: float, body: list[str]) -> str:
    # width and height give the size without CSS (print, a reader view); app.css
    # makes it fluid. Presentation attributes, never style: the CSP forbids inline style.
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:g}" width="{WIDTH}" '
        f'height="{height:g}" font-size="{FONT}" role="img" aria-labelledby="{chart_id}-title" '
        f'aria-describedby="{chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>'
        f'<g fill="{INK}">{"".join(body)}</g></svg>'
    )


# Line charts -----------------------------------------------------------------------


def _dated(series: list[Series]) -> frozenset[date]:
    return frozenset(day for line in series for day, value in line.points if value is not None)


def _segments(points, frame: _Frame):
    """Runs of consecutive values; a missing one breaks the line."""
    run: list[str] = []
    for day, value in points:
        if value is None:
            if run:
                yield run
            run = []
            continue
        run.append(f"{frame.x(day):.1f},{frame.y(value):.1f}")
    if run:
        yield run


def _marker(shape: str, x: float, y: float, size: float, colour: str, title: str = "") -> str:
    tip = f"<title>{escape(title)}</title>" if title else ""
    if shape == "square":
        return (
            f'<rect x="{x - size:.1f}" y="{y - size:.1f}" width="{2 * size:.1f}" '
            f'height="{2 * size:.1f}" fill="{colour}">{tip}</rect>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size:.1f}" fill="{colour}">{tip}</circle>'


def line_chart(
    chart_id: str,
    title: str,
    series: list[Series],
    start: date,
    end: date,
    y_max: float | None,
    *,
    height: float = HEIGHT,
    dated: frozenset[date] | None = None,
) -> SafeString:
    """Values by day from 0 to y_max (None: to the highest value, rounded up to a whole
    tick; a higher value than y_max also lifts the axis). One or two series. `dated`:
    the days worth a date label if few (default: the days with a value)."""
    if len(series) > MAX_SERIES:
        raise ValueError(f"At most {MAX_SERIES} series in one chart; use small_multiples.")
    plot_height = height - TOP - BOTTOM
    highest = max((v for line in series for _, v in line.points if v is not None), default=0)
    if y_max is None or highest > y_max:
        y_max = axis_top(max(highest, y_max or 0), _max_ticks(plot_height))
    ticks = whole_ticks(y_max, _max_ticks(plot_height))
    left = max(text_width(str(tick)) for tick in ticks) + GAP + 2
    frame = _Frame(left, TOP, WIDTH - RIGHT, height - BOTTOM, start, end, y_max)

    body = []
    for tick in ticks:
        y = frame.y(tick)
        body.append(
            f'<line x1="{frame.left:.1f}" x2="{frame.right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(_text(frame.left - GAP, y + FONT * 0.35, str(tick), "end"))
    if dated is None:
        dated = _dated(series)
    body += _date_ticks(start, end, frame.x, height - 5, dated)
    # Markers shrink as days crowd together, so a 12-week line stays a line.
    spacing = (frame.right - frame.left) / max((end - start).days, 1)
    size = min(3.5, max(1.5, spacing * 0.4))
    for position, line in enumerate(series):
        dash = f' stroke-dasharray="{DASHES[position]}"' if DASHES[position] else ""
        for run in _segments(line.points, frame):
            if len(run) > 1:
                body.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{line.colour}" '
                    f'stroke-width="2.5" stroke-linejoin="round"{dash}/>'
                )
        for day, value in line.points:
            if value is not None:
                body.append(
                    _marker(
                        MARKERS[position],
                        frame.x(day),
                        frame.y(value),
                        size,
                        line.colour,
                        f"{line.name}, {_day(day)}: {_number(value)}",
                    )
                )
    return mark_safe(_svg(chart_id, title, describe(series), height, body))  # noqa: S308


def small_multiples(
    chart_id: str,
    panels: list[Panel],
    start: date,
    end: date,
    y_max: float | None,
    *,
    height: float = PANEL_HEIGHT,
    title: str = "",
) -> SafeString:
    """Several small line charts on one shared scale, side by side where there is room
    and stacked on a phone: easier to read than one chart of overlapping lines. Each
    panel is captioned, and named and described for screen readers, on its own; the
    title, if any, names the group they form."""
    highest = max(
        (v for panel in panels for line in panel.series for _, v in line.points if v is not None),
        default=0,
    )
    if y_max is None or highest > y_max:
        y_max = axis_top(max(highest, y_max or 0), _max_ticks(height - TOP - BOTTOM))
    # Every panel labels the same dates, so they line up.
    dated = _dated([line for panel in panels for line in panel.series])
    figures = []
    for index, panel in enumerate(panels):
        legend = series_legend(panel.series) if len(panel.series) > 1 else ""
        chart = line_chart(
            f"{chart_id}-{index}",
            panel.title,
            panel.series,
            start,
            end,
            y_max,
            height=height,
            dated=dated,
        )
        figures.append(
            f'<figure class="chart-panel"><figcaption class="chart-caption">'
            f"{escape(panel.title)}</figcaption>{legend}{chart}</figure>"
        )
    group = f' role="group" aria-label="{escape(title)}"' if title else ""
    return mark_safe(f'<div class="chart-panels"{group}>{"".join(figures)}</div>')  # noqa: S308


# Heat map --------------------------------------------------------------------------


def _wrap(text: str, width: float, max_lines: int = 2) -> list[str]:
    """Whole words on lines no wider than width; what still does not fit ends in …"""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    lines = lines or [""]
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
    for index, line in enumerate(lines):
        if text_width(line) > width:
            while line and text_width(f"{line}…") > width:
                line = line[:-1]
            lines[index] = f"{line.rstrip()}…"
    return lines


def severity_counts(severities: dict[date, int]) -> list[int]:
    """How many days at each severity, none to severe."""
    return [sum(1 for s in severities.values() if s == level) for level in range(4)]


def heat_map(
    chart_id: str, title: str, rows: list[tuple[str, dict[date, int]]], days: list[date]
) -> SafeString:
    """One strip per symptom, days across, its name on a line of its own above (never
    cut short to fit beside it). A rated day is a bar whose height and colour both say
    the severity, a low stub for none; a day not rated is left empty."""
    cell = WIDTH / max(len(days), 1)
    column = {day: index for index, day in enumerate(days)}
    body, summary, y = [], [], 0.0
    for name, severities in rows:
        lines = _wrap(name, WIDTH - 2 * INSET)
        tip = f"<title>{escape(name)}</title>" if " ".join(lines) != name else ""
        for line in lines:
            y += LABEL_LINE
            body.append(
                f'<text x="{INSET}" y="{y - 3:.1f}" class="label">{escape(line)}{tip}</text>'
            )
        y += 4 + STRIP
        body.append(
            f'<line x1="0" x2="{WIDTH}" y1="{y + 0.5:.1f}" y2="{y + 0.5:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        for day, severity in sorted(severities.items()):
            if day not in column:
                continue
            bar = SEVERITY_HEIGHTS[severity]
            body.append(
                f'<rect x="{column[day] * cell + 0.5:.1f}" y="{y - bar:.1f}" '
                f'width="{max(cell - 1, 1):.1f}" height="{bar}" '
                f'fill="{SEVERITY_COLOURS[severity]}"><title>{escape(name)}, {_day(day)}: '
                f"{SEVERITY_NAMES[severity]}</title></rect>"
            )
        counts = ", ".join(
            f"{SEVERITY_NAMES[level]} {number}"
            for level, number in enumerate(severity_counts(severities))
            if number
        )
        summary.append(f"{name}: rated on {len(severities)} of {len(days)} days ({counts}).")
        y += ROW_GAP
    if days:

        def x_of(day):
            return ((day - days[0]).days + 0.5) * cell

        body += _date_ticks(days[0], days[-1], x_of, y + FONT)
    height = y + FONT + 6
    return mark_safe(_svg(chart_id, title, " ".join(summary), height, body))  # noqa: S308


# Legends ---------------------------------------------------------------------------


def _sample(width: int, height: int, body: str) -> str:
    return (
        f'<svg class="legend-sample" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" aria-hidden="true" focusable="false">{body}</svg>'
    )


def _legend(items: list[tuple[str, str]]) -> SafeString:
    entries = "".join(
        f'<li class="legend-item">{sample}{escape(label)}</li>' for label, sample in items
    )
    return mark_safe(f'<ul class="chart-legend">{entries}</ul>')  # noqa: S308


def series_legend(series: list[Series]) -> SafeString:
    """Each series' name beside a short stretch of its line: colour, dash and marker."""
    items = []
    for position, line in enumerate(series):
        dash = f' stroke-dasharray="{DASHES[position]}"' if DASHES[position] else ""
        mark = _marker(MARKERS[position], 16, 7, 3.5, line.colour)
        stroke = f'stroke="{line.colour}" stroke-width="2.5"{dash}'
        items.append(
            (line.name, _sample(32, 14, f'<line x1="1" x2="31" y1="7" y2="7" {stroke}/>{mark}'))
        )
    return _legend(items)


def severity_legend() -> SafeString:
    """The heat map's bars, none to severe, at their heights and in their colours."""
    return _legend(
        [
            (
                name,
                _sample(
                    10,
                    STRIP,
                    f'<rect x="1" y="{STRIP - bar}" width="8" height="{bar}" fill="{colour}"/>',
                ),
            )
            for name, colour, bar in zip(
                SEVERITY_NAMES, SEVERITY_COLOURS, SEVERITY_HEIGHTS, strict=True
            )
        ]
    )
