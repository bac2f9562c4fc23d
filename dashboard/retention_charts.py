"""Chart builders of the Retention page: pure functions from tidy frames to Plotly figures
(and its rates table as shown)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.chart_notes import period_axis
from dashboard.charts import add_benchmark, layout
from dashboard.formatting import (
    format_value,
    group_name,
    period_label,
    period_labels,
    period_word,
)
from dashboard.safe import chart_text
from metrics.benchmarks import Comparison
from metrics.definitions import METRICS
from metrics.i18n import N_, format_number, t
from metrics.query.sql import Period
from metrics.retention import with_change_tests
from metrics.significance import format_p_value
from metrics.survival import ONE_TIME, REPEAT

PALETTE = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#319795", "#b7791f",
           "#4a5568", "#e53e3e", "#3182ce")
AVERAGE_COLOUR = "#1a202c"
IN_PROGRESS_COLOUR = "#e2e8f0"
# The heatmap's top axis, tick labels and axis title, under the title's margin.
TOP_AXIS_HEIGHT = 40

# The axis of the periods since a cohort's first purchase, one text a period (a plural
# made with "s" holds in English only).
PERIODS_SINCE = {"week": N_("Weeks since the first purchase"),
                 "month": N_("Months since the first purchase"),
                 "quarter": N_("Quarters since the first purchase"),
                 "year": N_("Years since the first purchase")}


def rates_chart(frame: pd.DataFrame, period: Period,
                benchmarks: Sequence[tuple[Comparison, str]] = ()) -> go.Figure:
    """CRR, strict retention and churn per period; hollow markers for incomplete periods;
    each industry benchmark as a dashed line or band."""
    labels = period_labels(period, frame)
    figure = go.Figure()
    series = (("retention_rate", t("Retention rate (CRR)"), PALETTE[0]),
              ("strict_retention_rate", t("Strict retention rate"), PALETTE[1]),
              ("churn_rate", t("Churn rate"), PALETTE[8]))
    for column, name, colour in series:
        figure.add_trace(go.Scatter(
            x=labels, y=frame[column], name=name, mode="lines+markers",
            line={"color": colour, "width": 2},
            marker={"size": 8, "color": colour,
                    "symbol": ["circle" if c else "circle-open" for c in frame["complete"]]},
            hovertemplate=f"{name}: %{{y:,.1f}}%<extra></extra>",
        ))
    layout(figure, t("Retention and churn by {period}", period=period_word(period)), t("Period"),
            t("Share of the starting base (%)"))
    figure.update_yaxes(ticksuffix="%", tickformat=",")
    period_axis(figure, period, list(frame["period_start"]), labels)
    for found, name in benchmarks:
        add_benchmark(figure, labels, found, name)
    return figure


def cohort_heatmap(cohorts: pd.DataFrame, average: pd.DataFrame, period: Period,
                   count_column: str | None, metric: str, currency: str | None) -> go.Figure:
    """Cohorts down, periods since acquisition across; the size-weighted average on top.

    Cells of periods in progress are grey and say so; cells of small cohorts carry a
    dagger (†) in their text. Colours are always the percentage; the text is the
    percentage, or the ``count_column`` (customers, or revenue in ``currency``).
    """
    offsets = sorted(cohorts["period_offset"].unique()) if not cohorts.empty else []
    cohort_days = sorted(cohorts["cohort"].unique()) if not cohorts.empty else []
    sizes = cohorts.groupby("cohort")["cohort_size"].first() if not cohorts.empty else {}
    # Short row names leave the cells the width (the caption says what the average is).
    row_names = [t("Average")] + [
        f"{period_label(period, day)} · n={sizes[day]:,}" for day in cohort_days]
    z = np.full((len(row_names), len(offsets)), np.nan)
    text = np.full(z.shape, "", dtype=object)
    progress = np.full(z.shape, np.nan)
    column_of = {offset: n for n, offset in enumerate(offsets)}
    # Many columns leave no room for text: fewer digits, then hover only.
    digits = "{:,.1f}%" if len(offsets) <= 12 else "{:,.0f}%"
    with_text = len(offsets) <= 24
    for row in average.itertuples():
        if row.period_offset in column_of and pd.notna(row.retention_pct):
            z[0, column_of[row.period_offset]] = row.retention_pct
            text[0, column_of[row.period_offset]] = digits.format(row.retention_pct)
    row_of = {day: n + 1 for n, day in enumerate(cohort_days)}
    for row in cohorts.itertuples():
        r, c = row_of[row.cohort], column_of[row.period_offset]
        if not row.complete:
            progress[r, c] = 1
            continue
        value = row.retention_pct
        z[r, c] = value
        if count_column == "revenue":
            shown = format_value(row.revenue, "currency", currency, whole=True)
        elif count_column:
            shown = f"{getattr(row, count_column):,}"
        else:
            shown = "–" if pd.isna(value) else digits.format(value)
        text[r, c] = shown + (" †" if row.small_cohort else "")
    x_labels = [str(offset) for offset in offsets]
    figure = go.Figure()
    figure.add_trace(go.Heatmap(
        z=progress, x=x_labels, y=row_names, showscale=False,
        colorscale=[[0, IN_PROGRESS_COLOUR], [1, IN_PROGRESS_COLOUR]], xgap=2, ygap=2,
        hovertemplate=t("Cohort %{y}<br>Period %{x}: in progress (the data stops inside it)")
        + "<extra></extra>",
    ))
    # Offset 0 is 100% by definition: the colours spread over the later periods.
    later = z[:, 1:] if z.shape[1] > 1 else z
    top = float(np.nanmax(later)) if np.isfinite(later).any() else 100.0
    figure.add_trace(go.Heatmap(
        # No font size: Plotly sizes the cell text to the cells, so it shrinks rather than
        # spilling over its neighbours on a narrow screen.
        z=z, x=x_labels, y=row_names, text=text,
        texttemplate="%{text}" if with_text else None,
        colorscale="Blues", zmin=0, zmax=max(5.0, min(100.0, np.ceil(top / 5) * 5)),
        # The colour scale lies under the cells, across: at the side it took a quarter of a
        # phone's width from the cells.
        colorbar={"title": {"text": t("% of cohort"), "side": "top"}, "ticksuffix": "%",
                  "orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yanchor": "top",
                  "ypad": 12, "thickness": 12, "len": 1}, xgap=2, ygap=2,
        customdata=text,
        hovertemplate=t("Cohort %{y}<br>Periods since acquisition: %{x}<br>%{z:,.1f}% "
                        "(%{customdata})") + "<extra></extra>",
    ))
    what = t("revenue retention") if metric == "revenue" else t("customer retention")
    layout(figure, t("Cohorts by {period}: {what}", period=period_word(period), what=what),
            t(PERIODS_SINCE[period]),
            "", height=max(360, 160 + 28 * len(row_names)))
    figure.update_yaxes(autorange="reversed", type="category")
    # The periods since acquisition read across the top, under the title: the top margin
    # holds both (an axis's automargin makes room for the axis alone).
    figure.update_xaxes(type="category", side="top")
    figure.update_layout(hovermode="closest", showlegend=False,
                         margin={"t": figure.layout.margin.t + TOP_AXIS_HEIGHT, "b": 70})
    return figure


def curves_chart(curves: pd.DataFrame, period: Period, overall: pd.DataFrame,
                 name_of: Callable[[object], str]) -> go.Figure:
    """One retention curve per group (``group_value``) and the weighted average."""
    figure = go.Figure()
    for n, (group, frame) in enumerate(curves.groupby("group_value", dropna=False, sort=True)):
        name = chart_text(name_of(group))
        figure.add_trace(go.Scatter(
            x=frame["period_offset"], y=frame["retention_pct"], name=name, mode="lines+markers",
            line={"color": PALETTE[n % len(PALETTE)], "width": 2},
            customdata=frame["customers"],
            hovertemplate=f"{name}: %{{y:,.1f}}% "
            + t("(%{customdata:,} customers)") + "<extra></extra>",
        ))
    figure.add_trace(go.Scatter(
        x=overall["period_offset"], y=overall["retention_pct"], name=t("Weighted average"),
        mode="lines", line={"color": AVERAGE_COLOUR, "width": 3, "dash": "dash"},
        hovertemplate=t("Average") + ": %{y:,.1f}%<extra></extra>",
    ))
    layout(figure, t("Retention curves"),
            t(PERIODS_SINCE[period]),
            t("Customers active (% of cohort)"))
    figure.update_yaxes(ticksuffix="%", rangemode="tozero")
    return figure


REPEAT_GROUP_NAMES = {ONE_TIME: N_("One-time customers"), REPEAT: N_("Repeat customers")}


def survival_group_name(survival_view: str, by: str | None, group: object) -> str:
    """A survival curve's name: one-time or repeat customers, a segment value, or all
    customers. A module's function, so that a figure naming its curves with it can be
    cached (dashboard.figures)."""
    if survival_view == "one_time_vs_repeat":
        return t(REPEAT_GROUP_NAMES[str(group)])
    return group_name(group) if by else t("All customers")


LIFECYCLE_SERIES = (
    ("new_customers", "New", "#38a169", 1),
    ("returning_customers", "Returning", "#2b6cb0", 1),
    ("resurrected_customers", "Resurrected", "#805ad5", 1),
    ("dormant_customers", "Dormant", "#e53e3e", -1),
)


def lifecycle_chart(frame: pd.DataFrame, period: Period) -> go.Figure:
    """Stacked bars: new, returning and resurrected up, dormant down."""
    labels = period_labels(period, frame)
    figure = go.Figure()
    for column, name, colour, sign in LIFECYCLE_SERIES:
        figure.add_trace(go.Bar(
            x=labels, y=sign * frame[column], name=t(name), marker_color=colour,
            customdata=frame[column],
            hovertemplate=f"{t(name)}: %{{customdata:,}}<extra></extra>",
        ))
    layout(figure, t("Customer lifecycle by {period}", period=period_word(period)), t("Period"),
            t("Customers (dormant below zero)"))
    figure.update_layout(barmode="relative")
    figure.update_yaxes(tickformat=",")
    return period_axis(figure, period, list(frame["period_start"]), labels)


def survival_chart(curve: pd.DataFrame, name_of: Callable[[object], str]) -> go.Figure:
    """Kaplan-Meier step curves with their 95% bands, one per group."""
    figure = go.Figure()
    for n, (group, frame) in enumerate(curve.groupby("group", dropna=False, sort=True)):
        colour = PALETTE[n % len(PALETTE)]
        name = chart_text(name_of(group))
        band = frame.dropna(subset=["lower", "upper"])
        figure.add_trace(go.Scatter(
            x=list(band["days"]) + list(band["days"])[::-1],
            y=list(100 * band["upper"]) + list(100 * band["lower"])[::-1],
            fill="toself", fillcolor=colour, opacity=0.15, line={"width": 0, "shape": "hv"},
            hoverinfo="skip", showlegend=False, name=name,
        ))
        figure.add_trace(go.Scatter(
            x=frame["days"], y=100 * frame["survival"], name=name, mode="lines",
            line={"color": colour, "width": 2, "shape": "hv"}, customdata=frame["at_risk"],
            hovertemplate=f"{name}: %{{y:,.1f}}% " + t("still customers after %{x:,} days "
                                                     "(%{customdata:,} at risk)")
            + "<extra></extra>",
        ))
    figure.add_hline(y=50, line={"color": "#a0aec0", "dash": "dot", "width": 1})
    layout(figure, t("Customer survival (Kaplan-Meier, 95% band)"),
            t("Days since the first purchase"), t("Still customers (%)"))
    figure.update_yaxes(range=[0, 101], ticksuffix="%")
    figure.update_layout(hovermode="closest")
    return figure


# The rates table's columns, the metrics of the registry among them explained.
RATES_COLUMNS = ("period", "retention_rate", "strict_retention_rate", "change_pp", "p_value",
                 "verdict", "churn_rate", "start_customers", "new_customers", "end_customers",
                 "churned_customers", "retained_customers", "lost_customers")


def rates_table(table: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The rates table as the page shows it: the latest period first, the change against
    the previous period with its test, the columns named in the session's language."""
    shown = with_change_tests(table).iloc[::-1]  # the latest period first
    shown["verdict"] = [
        (t("A real change") if verdict else t("Within normal variation"))
        if verdict is not None
        else t("Not tested: {reason}", reason=t(reason))
        for verdict, reason in zip(shown["significant"], shown["change_test"], strict=True)]
    shown["change_pp"] = ["–" if pd.isna(v) else t("{sign}{points} pp", sign="+" if v >= 0
                                                     else "−",
                                                     points=format_number(abs(v), "#,##0.0"))
                          for v in shown["change_pp"]]
    shown["p_value"] = ["–" if pd.isna(v) else format_p_value(v) for v in shown["p_value"]]
    shown.insert(0, "period", [label + ("" if c else " *") for label, c in
                               zip(period_labels(period, shown), shown["complete"],
                                   strict=True)])
    shown = shown[list(RATES_COLUMNS)]
    change_columns = {"change_pp": t("Strict retention change"),
                      "p_value": t("p-value"), "verdict": t("Change")}
    return shown.rename(columns={"period": t("Period")} | change_columns | {
        c: METRICS[c].title() for c in shown.columns if c in METRICS})
