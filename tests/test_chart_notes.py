"""Notes on trend charts (dashboard/chart_notes.py): where a day falls, short labels, escaping
(checked in the SVG Plotly draws), and charts that are not trends left alone."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from datetime import UTC, date, datetime, timedelta

import plotly.graph_objects as go

from dashboard.chart_images import chart_image
from dashboard.chart_notes import NOTE_NAME, draw_notes, note_position, period_axis, short_label
from dashboard.charts import trend_chart
from metrics.annotations import Annotation
from metrics.i18n import language
from tests.test_chart_images import _frame  # January to March 2024, by month

SVG = "{http://www.w3.org/2000/svg}"
EVIL = '<a href="https://evil.example">x</a>'


def _note(day: date, text: str) -> Annotation:
    return Annotation("n" + day.isoformat(), day, text, None, datetime(2024, 6, 1, tzinfo=UTC))


def _notes_of(figure: go.Figure) -> tuple[list[float], list[dict[str, object]]]:
    shapes = [s.x0 for s in figure.layout.shapes if s.name == NOTE_NAME]
    labels = [a.to_plotly_json() for a in figure.layout.annotations if a.name == NOTE_NAME]
    return shapes, labels


def test_a_day_falls_inside_its_periods_category() -> None:
    months = [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    # category i spans i - 0.5 .. i + 0.5; 15 Feb 2024 is day 14 of February's 29
    assert note_position("month", months, date(2024, 2, 15)) == 1 - 0.5 + 14 / 29
    assert note_position("month", months, date(2024, 1, 1)) == -0.5
    assert note_position("month", months, date(2024, 4, 1)) is None  # not on the axis
    weeks = [date(2024, 1, 1), date(2024, 1, 8)]  # Mondays
    assert note_position("week", weeks, date(2024, 1, 10)) == 1 - 0.5 + 2 / 7
    years = [date(2023, 1, 1), date(2024, 1, 1)]
    assert note_position("year", years, date(2024, 7, 2)) == 1 - 0.5 + 183 / 366


def test_a_long_label_is_cut_with_an_ellipsis() -> None:
    assert short_label("Price increase") == "Price increase"
    assert short_label("a" * 22) == "a" * 22
    assert short_label("Loyalty programme launched in all shops") == "Loyalty programme lau…"
    assert len(short_label("x" * 200)) == 22


def test_a_trend_chart_draws_the_notes_in_its_range_with_the_whole_text_on_hover() -> None:
    figure = trend_chart(_frame(), "retention_rate", "month", "EUR")
    notes = [_note(date(2023, 12, 31), "Before the chart"),
             _note(date(2024, 2, 15), "Loyalty programme launched in all shops"),
             _note(date(2024, 3, 31), "Price increase"),
             _note(date(2024, 4, 1), "After the chart")]
    drawn = draw_notes(figure, notes)
    positions, labels = _notes_of(drawn)
    assert positions == [0.5 + 14 / 29, 2 - 0.5 + 30 / 31]
    assert [label["text"] for label in labels] == ["Loyalty programme lau…", "Price increase"]
    assert [label["hovertext"] for label in labels] == [
        "Feb 15, 2024: Loyalty programme launched in all shops", "Mar 31, 2024: Price increase"]
    assert all(s.line.dash == "dot" and s.yref == "paper" for s in drawn.layout.shapes
               if s.name == NOTE_NAME)
    assert _notes_of(figure) == ([], [])  # the page's figure is left as it was


def test_a_chart_that_is_not_a_trend_draws_no_note() -> None:
    # months since the first purchase: numbers on x, no period axis
    figure = go.Figure(go.Scatter(x=[0, 1, 2], y=[100.0, 60.0, 40.0]))
    assert draw_notes(figure, [_note(date(2024, 1, 15), "Launch")]) is figure


def _svg_links_and_text(figure: go.Figure) -> tuple[list[str], str]:
    svg = ElementTree.fromstring(chart_image(figure.update_layout(width=800, height=420),
                                             "svg"))
    links = [node.get("{http://www.w3.org/1999/xlink}href") or node.get("href") or ""
             for node in svg.iter(f"{SVG}a")]
    return links, " ".join("".join(node.itertext()) for node in svg.iter(f"{SVG}text"))


def test_a_note_that_looks_like_a_link_is_drawn_as_plain_text() -> None:
    figure = trend_chart(_frame(), "retention_rate", "month", "EUR")
    # what Plotly makes of the raw text: a live link (so the check below can see one)
    raw = go.Figure(figure).add_annotation(x=1, xref="x", y=0.5, yref="paper", text=EVIL)
    links, _ = _svg_links_and_text(raw)
    assert "https://evil.example" in links
    # the note: no link, and its label reads as the user typed it (cut to 22 characters)
    links, text = _svg_links_and_text(draw_notes(figure, [_note(date(2024, 2, 1), EVIL)]))
    assert links == []
    assert '<a href="https://evil…' in text


def test_three_years_of_months_name_every_sixth_counting_back_from_the_latest() -> None:
    # November 2023 to November 2026: 37 months; more than 8 names would be turned on their
    # side, so every 6th (the first step of 1, 2, 3, 6, 12 giving at most 8), from the last.
    months = [date(2023 + (10 + i) // 12, (10 + i) % 12 + 1, 1) for i in range(37)]
    labels = [f"month {i}" for i in range(37)]
    token = language.set("ro")
    try:
        figure = period_axis(go.Figure(), "month", months, labels)
    finally:
        language.reset(token)
    axis = figure.layout.xaxis
    assert list(axis.tickvals) == ["month 0", "month 6", "month 12", "month 18", "month 24",
                                   "month 30", "month 36"]
    assert list(axis.ticktext) == ["nov. 2023", "mai 2024", "nov. 2024", "mai 2025",
                                   "nov. 2025", "mai 2026", "nov. 2026"]
    assert list(axis.categoryarray) == labels  # the points and the hover keep every name


def test_a_short_axis_names_every_period() -> None:
    quarters = [date(2024, 1, 1), date(2024, 4, 1), date(2024, 7, 1)]
    figure = period_axis(go.Figure(), "quarter", quarters, ["a", "b", "c"])
    assert list(figure.layout.xaxis.tickvals) == ["a", "b", "c"]
    assert list(figure.layout.xaxis.ticktext) == ["Q1 2024", "Q2 2024", "Q3 2024"]
    # ten weeks: every 2nd, the latest named
    weeks = [date(2024, 1, 1) + timedelta(weeks=i) for i in range(10)]
    figure = period_axis(go.Figure(), "week", weeks, [str(i) for i in range(10)])
    assert list(figure.layout.xaxis.tickvals) == ["1", "3", "5", "7", "9"]
