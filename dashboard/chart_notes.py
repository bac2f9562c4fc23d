"""A dataset's dated notes (:mod:`metrics.annotations`) on its trend charts: a dotted
vertical line at the note's day with a short label, the whole note on hover.

A chart whose x axis is a run of periods says so with :func:`period_axis` when it is built;
:func:`draw_notes` then places the notes on it. The page's :func:`~dashboard.chart_downloads.
show_chart` and the report draw them, so every trend chart gets them from one place. No
``st.`` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import plotly.graph_objects as go

from dashboard.formatting import format_day, period_tick
from dashboard.safe import chart_text
from metrics.annotations import Annotation
from metrics.query.sql import Period, period_index, period_start_of_index

# The name of every line and label of a note (how a test or the image finds them).
NOTE_NAME = "loyaltylens-note"
NOTE_COLOUR = "#4a5568"
# A label longer than this ends in "…": a 390 px phone shows about this much beside a line.
LABEL_CHARS = 22
# Labels of neighbouring notes go on rows under one another, not over one another (in
# pixels: a fraction of the plot would be less than a line on a phone's short plot).
LABEL_ROWS = 3
LABEL_ROW_PIXELS = 15
# The first row keeps this far under the plot's top, clear of a note printed just above
# it (the trend chart's "Hollow markers: ...").
LABEL_TOP_PIXELS = 8
_AXIS_META = "period_axis"
# At most this many periods are named under a trend's axis: more, and Plotly turns the
# names on their side, which leaves the plot a strip (three years of months, in Romanian).
MAX_TICKS = 8
# How many periods apart the named ones are: steps a calendar reader counts in (every
# quarter or half year of months, every quarter of weeks), the smallest that keeps to
# MAX_TICKS.
TICK_STEPS: dict[Period, tuple[int, ...]] = {
    "week": (1, 2, 4, 13, 26, 52), "month": (1, 2, 3, 6, 12), "quarter": (1, 2, 4),
    "year": (1, 2, 5, 10)}


def period_axis(figure: go.Figure, period: Period, starts: Sequence[date],
                labels: Sequence[str]) -> go.Figure:
    """Mark ``figure``'s x axis as the periods starting on ``starts``, named ``labels``
    (one category each, in that order), so :func:`draw_notes` can place a day on it.

    At most :data:`MAX_TICKS` periods are named under the axis, counting back from the
    latest, each by its short name (:func:`~dashboard.formatting.period_tick`); the hover
    names each point's period in full.
    """
    period_ticks(figure, period, starts, labels)
    meta = dict(figure.layout.meta) if isinstance(figure.layout.meta, dict) else {}
    meta[_AXIS_META] = {"period": period, "starts": [_day(day).isoformat() for day in starts]}
    figure.update_layout(meta=meta)
    return figure


def period_ticks(figure: go.Figure, period: Period, starts: Sequence[date],
                 labels: Sequence[str]) -> go.Figure:
    """Name at most :data:`MAX_TICKS` of the periods of ``figure``'s x axis (the categories
    ``labels``, starting on ``starts``), counting back from the latest, each by its short
    name: :func:`period_axis` without marking the chart a trend for the notes."""
    ticks = range(len(labels) - 1, -1, -tick_step(period, len(labels)))[::-1]
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=list(labels),
                        tickmode="array", tickvals=[labels[i] for i in ticks],
                        ticktext=[period_tick(period, _day(starts[i])) for i in ticks])
    return figure


def tick_step(period: Period, periods: int) -> int:
    """How many periods apart the named ones are on an axis of ``periods`` periods."""
    fewest = -(-periods // MAX_TICKS)  # ceiling division
    return next((step for step in TICK_STEPS[period] if step >= fewest), fewest)


def is_trend_chart(figure: go.Figure) -> bool:
    """Whether ``figure``'s x axis is a run of periods (:func:`period_axis`)."""
    return _axis(figure) is not None


def _day(value: date) -> date:
    """A table's period start as a date (a pandas Timestamp is a datetime)."""
    return value.date() if isinstance(value, datetime) else value


def _axis(figure: go.Figure) -> tuple[Period, list[date]] | None:
    meta = figure.layout.meta
    axis = meta.get(_AXIS_META) if isinstance(meta, dict) else None
    if not axis:
        return None
    return axis["period"], [date.fromisoformat(day) for day in axis["starts"]]


def note_position(period: Period, starts: Sequence[date], day: date) -> float | None:
    """Where ``day`` falls on a category axis of the periods ``starts`` (category ``i``
    spans ``i - 0.5`` to ``i + 0.5``, its first day at the left edge), or None when its
    period is not on the axis."""
    index = period_index(period, day)
    start = period_start_of_index(period, index)
    if start not in starts:
        return None
    length = (period_start_of_index(period, index + 1) - start).days
    return starts.index(start) - 0.5 + (day - start).days / length


def short_label(text: str, limit: int = LABEL_CHARS) -> str:
    """``text``, cut to ``limit`` characters ending in "…" when longer."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def draw_notes(figure: go.Figure, notes: Sequence[Annotation]) -> go.Figure:
    """``figure`` with the notes whose day falls on its periods, when it is a trend chart
    (:func:`period_axis`); else ``figure`` as it is.

    A copy is drawn on: the page's figure may be a cached one. The note's text is escaped,
    since Plotly reads tags in labels and hover texts (a note reading ``<a href=...>`` shows
    as written, no link).
    """
    axis = _axis(figure)
    if axis is None or not notes:
        return figure
    period, starts = axis
    placed = [(x, note) for note in notes
              if (x := note_position(period, starts, note.day)) is not None]
    if not placed:
        return figure
    drawn = go.Figure(figure)
    middle = (len(starts) - 1) / 2
    for row, (x, note) in enumerate(placed):
        drawn.add_shape(type="line", xref="x", yref="paper", x0=x, x1=x, y0=0, y1=1,
                        line={"color": NOTE_COLOUR, "width": 1.5, "dash": "dot"},
                        name=NOTE_NAME, layer="above")
        drawn.add_annotation(
            x=x, xref="x", y=1, yref="paper",
            yshift=-LABEL_TOP_PIXELS - LABEL_ROW_PIXELS * (row % LABEL_ROWS),
            text=chart_text(short_label(note.text)),
            hovertext=chart_text(f"{format_day(note.day)}: {note.text}"),
            showarrow=False, xanchor="left" if x <= middle else "right", yanchor="top",
            xshift=3 if x <= middle else -3, font={"size": 10, "color": NOTE_COLOUR},
            bgcolor="rgba(255,255,255,0.8)", borderpad=1, name=NOTE_NAME)
    return drawn
