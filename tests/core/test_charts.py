"""core/charts.py: ticks on whole numbers, an axis that fits the data, at most two
series a chart, labels that fit and do not collide, a text alternative for each
chart, and one palette that keeps its contrast."""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from core import charts

ROOT = Path(__file__).resolve().parents[2]
START = date(2026, 3, 1)
PAGE = "#fbfaf7"


def days(count: int, start: date = START) -> list[date]:
    return [start + timedelta(days=n) for n in range(count)]


def line(name: str, values, colour: str = charts.PALETTE[0], start: date = START):
    return charts.Series(name, colour, list(zip(days(len(values), start), values, strict=True)))


def labels(svg: str) -> list[tuple[float, float, str, str]]:
    """Each label: x, baseline y, anchor and text (a wrapped name's <title> left out)."""
    return [
        (float(x), float(y), anchor, text)
        for x, y, anchor, text in re.findall(
            r'<text x="([\d.]+)" y="([\d.]+)"(?: text-anchor="(\w+)")?[^>]*>([^<]*)', svg
        )
    ]


def boxes(svg: str) -> list[tuple[float, float, float, float, str]]:
    """Each label's estimated box: left, top, right, bottom, text."""
    found = []
    for x, y, anchor, text in labels(svg):
        width = charts.text_width(text)
        left = {"end": x - width, "middle": x - width / 2}.get(anchor, x)
        # The em box a browser measures: DejaVu Sans rises 0.93 em, falls 0.24 em.
        found.append((left, y - 0.93 * charts.FONT, left + width, y + 0.24 * charts.FONT, text))
    return found


def view_box(svg: str) -> tuple[float, float]:
    width, height = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).groups()
    return float(width), float(height)


def assert_labels_fit_and_never_collide(svg: str) -> None:
    width, height = view_box(svg)
    placed = boxes(svg)
    for left, top, right, bottom, text in placed:
        assert left >= 0 and right <= width and top >= 0 and bottom <= height, text
    for index, (left, top, right, bottom, text) in enumerate(placed):
        for other in placed[index + 1 :]:
            apart = right <= other[0] or other[2] <= left or bottom <= other[1] or other[3] <= top
            assert apart, (text, other[4])


def value_ticks(svg: str) -> list[str]:
    return [text for _, _, anchor, text in labels(svg) if anchor == "end"]


def contrast(one: str, other: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


class TestTicks:
    @pytest.mark.parametrize(
        ("top", "ticks"),
        [
            (10, [0, 2, 4, 6, 8, 10]),
            (27, [0, 5, 10, 15, 20, 25]),  # PHQ-9: no 13.5
            (21, [0, 5, 10, 15, 20]),  # GAD-7
            (3, [0, 1, 2, 3]),
            (24, [0, 5, 10, 15, 20]),
        ],
    )
    def test_ticks_fall_on_whole_numbers(self, top, ticks):
        assert charts.whole_ticks(top) == ticks

    @pytest.mark.parametrize("top", [1, 3, 7, 10, 13, 21, 27, 99, 250])
    @pytest.mark.parametrize("most", [2, 3, 6])
    def test_never_more_ticks_than_asked_and_none_above_the_top(self, top, most):
        ticks = charts.whole_ticks(top, most)
        assert 2 <= len(ticks) <= most
        assert ticks[0] == 0 and ticks[-1] <= top
        assert all(isinstance(tick, int) for tick in ticks)

    @pytest.mark.parametrize(
        ("highest", "top"), [(24, 25), (12, 12), (9.5, 10), (7, 8), (0.5, 1), (0, 1), (13.5, 15)]
    )
    def test_an_axis_top_is_the_highest_value_rounded_up_to_a_whole_tick(self, highest, top):
        assert charts.axis_top(highest) == top
        assert top in charts.whole_ticks(top)

    def test_phq9_chart_has_no_half_ticks(self):
        svg = charts.line_chart("p", "PHQ-9", [line("PHQ-9", [14, 9, 5])], START, START, 27)
        assert value_ticks(svg) == ["0", "5", "10", "15", "20", "25"]


class TestTheAxisFitsTheData:
    def test_a_24_hour_night_is_inside_the_sleep_chart(self):
        sleep = line("Sleep", [7, 24, None, 6.5])
        svg = charts.line_chart("s", "Sleep", [sleep], START, START + timedelta(days=3), None)
        assert value_ticks(svg)[-1] == "25"
        tops = [float(cy) for cy in re.findall(r'cy="([\d.]+)"', svg)]
        assert min(tops) >= charts.TOP  # the longest night is drawn inside the plot

    def test_the_axis_is_as_tall_as_the_longest_night_not_a_fixed_12(self):
        svg = charts.line_chart("s", "Sleep", [line("Sleep", [6, 8.5])], START, START, None)
        assert value_ticks(svg)[-1] == "10"

    def test_a_value_above_a_fixed_top_lifts_the_axis(self):
        svg = charts.line_chart("s", "Sleep", [line("Sleep", [6, 14])], START, START, 12)
        assert int(value_ticks(svg)[-1]) >= 14

    def test_small_multiples_share_one_scale(self):
        panels = [
            charts.Panel("Sleep", [line("Sleep", [6, 7])]),
            charts.Panel("Naps", [line("Naps", [1, 18])]),
        ]
        html = charts.small_multiples("m", panels, START, START + timedelta(days=1), None)
        first, second = re.findall(r"<svg class=\"chart\".*?</svg>", html)
        assert value_ticks(first) == value_ticks(second)
        assert value_ticks(first)[-1] == "20"


class TestAtMostTwoSeries:
    def test_a_third_series_is_refused(self):
        three = [line(name, [1, 2]) for name in ("Mood", "Anxiety", "Energy")]
        with pytest.raises(ValueError, match="small_multiples"):
            charts.line_chart("c", "Three", three, START, START + timedelta(days=1), 10)

    def test_two_series_differ_by_dash_and_marker_as_well_as_colour(self):
        mood = line("Mood", [3, 5, 7], charts.PALETTE[0])
        anxiety = line("Anxiety", [6, 4, 2], charts.PALETTE[1])
        svg = charts.line_chart("c", "Two", [mood, anxiety], START, START + timedelta(days=2), 10)
        solid, dashed = re.findall(r"<polyline [^>]*>", svg)
        assert "stroke-dasharray" not in solid and 'stroke-dasharray="6 4"' in dashed
        assert len(re.findall(r"<circle [^>]*><title>Mood, ", svg)) == 3
        assert len(re.findall(r"<rect [^>]*><title>Anxiety, ", svg)) == 3
        legend = charts.series_legend([mood, anxiety])
        assert legend.count("stroke-dasharray") == 1
        assert "<circle" in legend and "<rect" in legend

    def test_small_multiples_draw_each_panel_as_its_own_chart(self):
        panels = [
            charts.Panel(name, [line(name, [4, 6], colour)])
            for name, colour in zip(("Mood", "Anxiety", "Energy"), charts.PALETTE, strict=False)
        ]
        html = charts.small_multiples(
            "scales", panels, START, START + timedelta(days=1), 10, title="Scales"
        )
        assert 'role="group" aria-label="Scales"' in html
        svgs = re.findall(r"<svg class=\"chart\".*?</svg>", html)
        assert len(svgs) == 3
        assert [svg.count("<polyline") for svg in svgs] == [1, 1, 1]
        assert re.findall(r'<figcaption class="chart-caption">([^<]*)<', html) == [
            "Mood",
            "Anxiety",
            "Energy",
        ]
        assert len(set(re.findall(r'id="([^"]+)"', html))) == 6  # a title and desc each


class TestLabels:
    @pytest.mark.parametrize("span", [0, 1, 2, 6, 13, 27, 83, 400])
    def test_date_labels_fit_and_never_collide(self, span):
        mood = line("Mood", [5] * (span + 1))
        svg = charts.line_chart("c", "Mood", [mood], START, START + timedelta(days=span), 10)
        assert_labels_fit_and_never_collide(svg)
        dates = [text for _, _, anchor, text in labels(svg) if anchor == "middle"]
        assert dates[0] == ("1 Mar" if span <= 330 else "Mar 2026")
        assert len(dates) == len(set(dates))

    def test_a_two_week_summary_has_no_crowded_dates(self):
        # Was "26 N26 Nov": three labels drawn over each other on a phone.
        start = date(2025, 11, 13)
        mood = line("Mood", [5] * 14, start=start)
        svg = charts.line_chart("c", "Mood", [mood], start, start + timedelta(days=13), 10)
        assert_labels_fit_and_never_collide(svg)

    def test_a_few_sessions_are_labelled_with_their_own_dates(self):
        sessions = [(START, 8), (START + timedelta(days=9), 6), (START + timedelta(days=21), 9)]
        svg = charts.line_chart(
            "f", "Overall", [charts.Series("Overall", charts.PALETTE[0], sessions)],
            START, START + timedelta(days=21), 10,
        )  # fmt: skip
        dates = [text for _, _, anchor, text in labels(svg) if anchor == "middle"]
        assert dates == ["1 Mar", "10 Mar", "22 Mar"]

    def test_small_multiples_label_the_same_dates_in_every_panel(self):
        answered = line("Bond", [8, 8, 8])
        gap = line("Approach", [7, None, 7])
        html = charts.small_multiples(
            "f", [charts.Panel("Bond", [answered]), charts.Panel("Approach", [gap])],
            START, START + timedelta(days=2), 10,
        )  # fmt: skip
        first, second = re.findall(r"<svg class=\"chart\".*?</svg>", html)
        assert [t for *_, t in labels(first)] == [t for *_, t in labels(second)]

    def test_value_labels_fit_at_every_height(self):
        for height in (charts.PANEL_HEIGHT, charts.HEIGHT):
            svg = charts.line_chart(
                "c", "PHQ-9", [line("PHQ-9", [20, 3])], START, START + timedelta(days=14), 27,
                height=height,
            )  # fmt: skip
            assert_labels_fit_and_never_collide(svg)

    def test_long_symptom_names_are_wrapped_whole_not_cut(self):
        rows = [
            ("Trouble concentrating", {START: 2}),
            ("Feeling restless or on edge, unable to settle down at all", {START: 3}),
            ("Worry", {START + timedelta(days=1): 0}),
        ]
        svg = charts.heat_map("h", "Symptoms", rows, days(28))
        assert_labels_fit_and_never_collide(svg)
        shown = [text for _, _, _, text in labels(svg)]
        assert "Trouble concentrating" in shown
        assert "…" not in "".join(shown)
        assert " ".join(shown[1:3]) == "Feeling restless or on edge, unable to settle down at all"

    def test_a_name_too_long_for_two_lines_ends_in_an_ellipsis_and_keeps_its_whole_name(self):
        name = "Overwhelming " * 8
        svg = charts.heat_map("h", "Symptoms", [(name.strip(), {START: 1})], days(2))
        assert_labels_fit_and_never_collide(svg)
        assert "…" in svg
        assert f"<title>{name.strip()}</title>" in svg

    def test_the_heat_map_says_severity_by_height_as_well_as_colour(self):
        rows = [("Worry", {day: severity for severity, day in enumerate(days(4))})]
        svg = charts.heat_map("h", "Symptoms", rows, days(4))
        heights = [int(h) for h in re.findall(r'<rect [^>]*height="(\d+)"', svg)]
        assert heights == list(charts.SEVERITY_HEIGHTS)
        assert heights == sorted(set(heights))


class TestTextAlternatives:
    def test_a_line_chart_is_an_image_named_by_its_title_and_described(self):
        mood = line("Mood", [3, None, 7, 5])
        svg = charts.line_chart(
            "mood", "Mood, 4 days", [mood], START, START + timedelta(days=3), 10
        )
        assert 'role="img" aria-labelledby="mood-title" aria-describedby="mood-desc"' in svg
        assert '<title id="mood-title">Mood, 4 days</title>' in svg
        assert (
            '<desc id="mood-desc">Mood: 3 of 4 answered, from 3 to 7, latest 5 on 4 Mar.</desc>'
        ) in svg

    def test_a_series_with_nothing_to_show_says_so(self):
        svg = charts.line_chart("e", "E", [line("Energy", [None, None])], START, START, 10)
        assert "Energy: nothing to show." in svg

    def test_the_heat_map_describes_each_symptom(self):
        rows = [("Worry", {START: 2, START + timedelta(days=1): 2, START + timedelta(days=2): 0})]
        svg = charts.heat_map("h", "Symptoms", rows, days(7))
        assert "Worry: rated on 3 of 7 days (none 1, moderate 2)." in svg
        assert charts.severity_counts(rows[0][1]) == [1, 0, 2, 0]

    def test_text_is_escaped(self):
        svg = charts.heat_map("h", "<b>", [("<script>", {START: 1})], days(1))
        assert "<script>" not in svg and "&lt;script&gt;" in svg


class TestOnePalette:
    @pytest.mark.parametrize("colour", [*charts.PALETTE, charts.INK])
    def test_lines_and_labels_have_text_contrast_against_the_page(self, colour):
        assert contrast(colour, PAGE) >= 4.5
        assert contrast(colour, "#ffffff") >= 4.5

    @pytest.mark.parametrize("colour", charts.SEVERITY_COLOURS)
    def test_severity_bars_have_graphic_contrast_against_the_page(self, colour):
        assert contrast(colour, PAGE) >= 3

    @pytest.mark.parametrize("colour", charts.MOOD_COLOURS)
    def test_calendar_numbers_are_legible_on_every_mood_colour(self, colour):
        assert contrast(colour, "#212529") >= 4.5

    def test_the_stylesheet_draws_the_calendar_in_the_palette_colours(self):
        css = (ROOT / "static" / "css" / "app.css").read_text()
        for css_class, colour in charts.CSS_COLOURS.items():
            assert re.search(rf"\.{css_class} \{{ --mood: {colour}; \}}", css), css_class
