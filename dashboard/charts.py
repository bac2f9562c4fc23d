"""Chart builders: pure functions from a tidy DataFrame to a Plotly figure (no ``st.``)."""

from __future__ import annotations

import textwrap

import pandas as pd
import plotly.graph_objects as go

from dashboard.chart_notes import period_axis
from dashboard.formatting import chart_separators, period_labels, period_word
from dashboard.safe import chart_text
from metrics.benchmarks import Comparison
from metrics.definitions import METRICS, Metric
from metrics.i18n import t
from metrics.query.sql import Period

COMPLETE_COLOUR = "#2b6cb0"
SECOND_COLOUR = "#dd6b20"
BENCHMARK_COLOUR = "#718096"


# Plotly never wraps a title, and a 360 px phone (many Android phones) shows about this many
# characters of one, Cyrillic included (44 fitted 390 px; at 360 px Russian titles were cut).
TITLE_LINE_CHARS = 38
TITLE_LINE_HEIGHT = 22
CHART_HEIGHT = 420  # pixels, a chart's height unless it says otherwise
# Nor a note above the plot: at 11 px a 390 px phone's plot (right of its y axis title)
# holds about 50 characters of one line, Cyrillic included.
NOTE_LINE_CHARS = 46
NOTE_LINE_HEIGHT = 14
# The most of a chart's height its legend may take before it scrolls (Plotly's default for a
# legend under the plot: half). The cohorts' retention curves name 13 lines; on a phone
# their legend falls to one column (two fit only while the plot is wider than twice the
# longest name: not at 360 px) and took half the chart, leaving the plot 85 px of 420.
LEGEND_MAX_HEIGHT = 0.25


def title_lines(text: str, width: int = TITLE_LINE_CHARS) -> list[str]:
    """``text`` broken at spaces into lines of at most ``width`` characters, since Plotly
    never wraps a title or an annotation (join them with ``<br>``)."""
    return textwrap.wrap(text, width, break_on_hyphens=False) or [""]


def balanced_lines(text: str, width: int = TITLE_LINE_CHARS) -> list[str]:
    """:func:`title_lines` of ``text``, as many, as even in length as they can be: a title
    broken for a phone reads "Customer survival / (Kaplan-Meier, 95% band)" on a desktop
    too, not "Customer survival (Kaplan-Meier, 95% / band)"."""
    lines = title_lines(text, width)
    narrowest = next(narrower for narrower in range(1, width + 1)
                     if len(title_lines(text, narrower)) == len(lines))
    return title_lines(text, narrowest)


def layout(figure: go.Figure, title: str, x_title: str, y_title: str,
           height: int = CHART_HEIGHT) -> go.Figure:
    """The layout every chart shares, made to read at 360 px as well as on a desktop.

    The title keeps the top of the figure and the legend its bottom, horizontal, under the
    axis titles: a legend that wraps into rows on a narrow screen, or tick labels turned
    sideways, push the plot smaller instead of covering the title, the axes or the data.
    Margins grow with what the axes need (``automargin``) rather than being sized for a
    desktop. A long title is broken into lines at spaces, and the top margin holds them.
    """
    lines = balanced_lines(title)
    figure.update_layout(
        title={"text": "<br>".join(lines), "yref": "container", "y": 1, "yanchor": "top",
               "pad": {"t": 12}},
        xaxis_title=x_title, yaxis_title=y_title, height=height,
        legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom",
                "x": 0, "xanchor": "left", "maxheight": LEGEND_MAX_HEIGHT},
        margin={"t": 60 + TITLE_LINE_HEIGHT * (len(lines) - 1), "l": 10, "r": 10, "b": 10},
        hovermode="x unified",
        separators=chart_separators(),
    )
    figure.update_xaxes(automargin=True)
    figure.update_yaxes(automargin=True)
    return figure


def axis_title(metric: Metric, currency: str | None) -> str:
    unit = {"percent": "%", "currency": currency or t("amount"), "customers": t("customers"),
            "orders": t("orders")}[metric.unit]
    return f"{metric.title()} ({unit})"


def y_hover(metric: Metric, currency: str | None) -> str:
    """Plotly's hover format of a metric's value (the y of a trace)."""
    if metric.unit == "percent":
        return "%{y:,.1f}%"
    if metric.unit == "currency":
        return "%{y:,.2f} " + chart_text(currency or "")
    return "%{y:,.0f}"


def add_benchmark(figure: go.Figure, x: list[str], found: Comparison | None, name: str,
                  suffix: str = "%") -> go.Figure:
    """The industry figure as a dashed line across the chart, or a shaded band for a range
    of figures; hovering it names the sources and years."""
    if found is None or not x:
        return figure
    sources = "<br>".join(
        chart_text(f"{row.value} {row.unit} — {row.source.split(' [')[0]}, {row.year}")
        for row in found.rows)
    hover = f"{chart_text(name)}: %{{y:,.1f}}{suffix}<br>{sources}<extra></extra>"
    # the sources in words, for the chart's image (dashboard.chart_images) to print
    meta = {"sources": [t("{name}: {value} {unit}, {source}, {year}", name=name,
                          value=row.value, unit=row.unit, source=row.source.split(" [")[0],
                          year=row.year) for row in found.rows]}
    line = {"color": BENCHMARK_COLOUR, "width": 1.5, "dash": "dash"}
    if found.low == found.high:
        figure.add_trace(go.Scatter(x=x, y=[found.low] * len(x), name=chart_text(name),
                                    mode="lines", line=line, hovertemplate=hover, meta=meta))
    else:
        figure.add_trace(go.Scatter(x=x, y=[found.low] * len(x), mode="lines", line=line,
                                    name=chart_text(name), showlegend=False,
                                    hovertemplate=hover, meta=meta))
        figure.add_trace(go.Scatter(x=x, y=[found.high] * len(x), mode="lines", line=line,
                                    fill="tonexty", fillcolor="rgba(113,128,150,0.15)",
                                    name=chart_text(name), hovertemplate=hover))
    figure.update_layout(showlegend=True)
    return figure


def trend_chart(frame: pd.DataFrame, metric_id: str, period: Period,
                currency: str | None, benchmark: Comparison | None = None,
                benchmark_name: str = "") -> go.Figure:
    """One metric per period; periods the data starts or stops inside are hollow markers.

    For the retention rate the strict retention rate is drawn beside it, since the two
    differ by the customers who lapsed and came back.
    """
    metric = METRICS[metric_id]
    labels = period_labels(period, frame)
    figure = go.Figure()
    series = [metric]
    if metric_id == "retention_rate":
        series.append(METRICS["strict_retention_rate"])
    for number, shown in enumerate(series):
        colour = COMPLETE_COLOUR if number == 0 else SECOND_COLOUR
        figure.add_trace(go.Scatter(
            x=labels, y=frame[shown.id], name=shown.title(), mode="lines+markers",
            line={"color": colour, "width": 2},
            marker={
                "size": 8, "color": colour,
                "symbol": ["circle" if c else "circle-open" for c in frame["complete"]],
            },
            hovertemplate=f"%{{x}}<br>{shown.title()}: {y_hover(shown, currency)}<extra></extra>",
        ))
    note = title_lines(t("Hollow markers: the data starts or stops inside that period"),
                       NOTE_LINE_CHARS) if not frame["complete"].all() else []
    if note:
        figure.add_annotation(
            text="<br>".join(note), xref="paper", yref="paper", x=0, y=1, yshift=6,
            showarrow=False, font={"size": 11, "color": "#555"}, xanchor="left",
            yanchor="bottom", align="left",
        )
    layout(figure, t("{metric} by {period}", metric=metric.title(), period=period_word(period)),
           t("Period"), axis_title(metric, currency))
    if len(note) > 1:  # the top margin holds the note's further lines too
        figure.update_layout(margin_t=figure.layout.margin.t + NOTE_LINE_HEIGHT * (len(note) - 1))
    figure.update_layout(showlegend=len(series) > 1)
    figure.update_yaxes(rangemode="tozero", tickformat=",")
    period_axis(figure, period, list(frame["period_start"]), labels)
    return add_benchmark(figure, labels, benchmark, benchmark_name,
                         "%" if metric.unit == "percent" else "")
