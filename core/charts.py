"""Server-rendered SVG charts shared by every app: no JavaScript, print cleanly, and
each comes with a data table for screen readers (templates render it beside the chart)."""

from dataclasses import dataclass
from datetime import date
from html import escape

from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 360, 170
LEFT, RIGHT, TOP, BOTTOM = 26, 8, 8, 22
# The one palette: every line chart takes its colours from here, in this order, so a
# scale keeps its colour from page to page (mood is always the first).
PALETTE = ["#2f6f73", "#c4512f", "#d19a2a", "#5467a8"]
SEVERITY_COLOURS = ["#eef1ef", "#f6d7a7", "#eb9f5c", "#c4512f"]
SEVERITY_NAMES = ["none", "mild", "moderate", "severe"]
SWATCH_CLASSES = {
    **{colour: f"swatch-line-{index}" for index, colour in enumerate(PALETTE)},
    **{colour: f"swatch-severity-{index}" for index, colour in enumerate(SEVERITY_COLOURS)},
}


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    points: list[tuple[date, float | None]]


def legend(entries: list[tuple[str, str]]) -> SafeString:
    """Swatch-and-name pairs shown above a chart; every chart's legend is made here."""
    # A class per colour, not a style attribute: the content security policy allows
    # no inline styles (static/css/app.css holds the same colours).
    items = "".join(
        f'<span class="legend-item"><span class="swatch {SWATCH_CLASSES[colour]}"></span> '
        f"{escape(label)}</span> "
        for label, colour in entries
    )
    return mark_safe(f'<p class="small mb-1 chart-legend">{items.strip()}</p>')  # noqa: S308


def series_legend(series: list[Series]) -> SafeString:
    return legend([(line.name, line.colour) for line in series])


def severity_legend() -> SafeString:
    return legend(list(zip(SEVERITY_NAMES, SEVERITY_COLOURS, strict=True)))


def _x(day: date, start: date, end: date) -> float:
    span = max((end - start).days, 1)
    return LEFT + (day - start).days / span * (WIDTH - LEFT - RIGHT)


def _y(value: float, y_max: float) -> float:
    return TOP + (1 - value / y_max) * (HEIGHT - TOP - BOTTOM)


def _segments(points, start, end, y_max):
    """Runs of consecutive logged values; a missed day breaks the line."""
    run: list[str] = []
    for day, value in points:
        if value is None:
            if run:
                yield run
            run = []
            continue
        run.append(f"{_x(day, start, end):.1f},{_y(float(value), y_max):.1f}")
    if run:
        yield run


def line_chart(
    chart_id: str, title: str, series: list[Series], start: date, end: date, y_max: float
) -> SafeString:
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    for tick in (0, y_max / 2, y_max):
        y = _y(tick, y_max)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{tick:g}</text>'
        )
    middle = start + (end - start) / 2
    for day, anchor in ((start, "start"), (middle, "middle"), (end, "end")):
        parts.append(
            f'<text x="{_x(day, start, end):.1f}" y="{HEIGHT - 6}" text-anchor="{anchor}" '
            f'class="tick">{day.day} {day:%b}</text>'
        )
    for line in series:
        for run in _segments(line.points, start, end, y_max):
            if len(run) > 1:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{line.colour}" '
                    f'stroke-width="2" stroke-linejoin="round"/>'
                )
        for day, value in line.points:
            if value is not None:
                parts.append(
                    f'<circle cx="{_x(day, start, end):.1f}" cy="{_y(float(value), y_max):.1f}" '
                    f'r="2.5" fill="{line.colour}"><title>{escape(line.name)}, '
                    f"{day.day} {day:%b}: {value:g}</title></circle>"
                )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text value is escaped above)


def heat_map(
    chart_id: str, title: str, rows: list[tuple[str, dict[date, int]]], days: list[date]
) -> SafeString:
    """Symptoms down the side, days across; colour is severity, blank is not logged."""
    label_width = 112
    row_height = 18
    cell = (WIDTH - label_width) / max(len(days), 1)
    height = TOP + row_height * len(rows) + BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    for index, (name, severities) in enumerate(rows):
        y = TOP + index * row_height
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end" class="label">'
            f"{escape(name[:18])}</text>"
        )
        for column, day in enumerate(days):
            severity = severities.get(day)
            if severity is None:
                continue
            parts.append(
                f'<rect x="{label_width + column * cell:.1f}" y="{y + 2}" '
                f'width="{max(cell - 1, 1):.1f}" height="{row_height - 4}" '
                f'fill="{SEVERITY_COLOURS[severity]}"><title>{escape(name)}, {day.day} {day:%b}: '
                f"{SEVERITY_NAMES[severity]}</title></rect>"
            )
    if days:
        for day, anchor, x in (
            (days[0], "start", label_width),
            (days[-1], "end", WIDTH),
        ):
            parts.append(
                f'<text x="{x}" y="{height - 6}" text-anchor="{anchor}" class="tick">'
                f"{day.day} {day:%b}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text value is escaped above)
