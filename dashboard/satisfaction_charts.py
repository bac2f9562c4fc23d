"""Chart builders of the Satisfaction page: pure functions from tidy frames to Plotly figures."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import plotly.graph_objects as go

from dashboard.chart_notes import period_axis
from dashboard.charts import add_benchmark, layout
from dashboard.formatting import known, period_label, period_word
from dashboard.retention_charts import PALETTE
from dashboard.safe import chart_text
from metrics.benchmarks import Comparison
from metrics.i18n import N_, t
from metrics.query.sql import Period

GROUP_COLOURS = {"promoter": "#38a169", "passive": "#a0aec0", "detractor": "#e53e3e"}
GROUP_NAMES = {"promoter": N_("Promoters (9-10)"), "passive": N_("Passives (7-8)"),
               "detractor": N_("Detractors (0-6)")}
COUNT_COLOUR = "rgba(113,128,150,0.25)"
BAND_COLOUR = "rgba(43,108,176,0.15)"
FEW_COLOUR = "#bee3f8"


def score_group_name(group: str) -> str:
    """A score group as a reader sees it: “Promoters (9-10)”."""
    return t(GROUP_NAMES[group])


def _number(value: float | None) -> float | None:
    number = known(value)
    return None if number is None else float(number)


def _band(figure: go.Figure, x: Sequence[str], values: pd.Series, margins: pd.Series,
          name: str, low: float, high: float) -> None:
    """A shaded band value ± margin (clipped to the scale), under the line."""
    lower, upper = [], []
    for value, margin in zip(values, margins, strict=True):
        v, m = _number(value), _number(margin)
        lower.append(None if v is None or m is None else max(low, v - m))
        upper.append(None if v is None or m is None else min(high, v + m))
    figure.add_trace(go.Scatter(x=list(x), y=lower, mode="lines", line={"width": 0},
                                showlegend=False, hoverinfo="skip", name=name))
    figure.add_trace(go.Scatter(x=list(x), y=upper, mode="lines", line={"width": 0},
                                fill="tonexty", fillcolor=BAND_COLOUR, name=name,
                                hoverinfo="skip"))


def _markers(frame: pd.DataFrame, colour: str) -> dict[str, object]:
    """Hollow markers for periods the responses start or stop inside."""
    return {"size": 8, "color": colour,
            "symbol": ["circle" if c else "circle-open" for c in frame["complete"]]}


def nps_trend_chart(table: pd.DataFrame, period: Period, benchmark: Comparison | None = None,
                    benchmark_name: str = "") -> go.Figure:
    """NPS per period with its 95% margin-of-error band, the answers per period as bars on
    a second axis, and the industry benchmark as a dashed line or band."""
    x = [period_label(period, day) for day in table["period_start"]]
    figure = go.Figure()
    figure.add_trace(go.Bar(
        x=x, y=table["responses"], name=t("Answers"), marker={"color": COUNT_COLOUR},
        yaxis="y2", hovertemplate=t("Answers") + ": %{y:,}<extra></extra>"))
    _band(figure, x, table["nps"], table["margin_of_error"], t("95% margin of error"),
          -100.0, 100.0)
    figure.add_trace(go.Scatter(
        x=x, y=[_number(v) for v in table["nps"]], name=t("NPS"), mode="lines+markers",
        line={"color": PALETTE[0], "width": 2}, marker=_markers(table, PALETTE[0]),
        customdata=[[_number(m) or 0.0] for m in table["margin_of_error"]],
        hovertemplate=t("NPS") + ": %{y:,.1f} ± %{customdata[0]:,.1f}<extra></extra>"))
    add_benchmark(figure, x, benchmark, benchmark_name, suffix="")
    layout(figure, t("Net Promoter Score by {period}", period=period_word(period)), t("Period"),
           t("NPS (−100 to 100)"))
    # The answer bars use the lower third of the chart, so they stay behind the NPS line.
    most = max([int(n) for n in table["responses"]] + [1])
    figure.update_layout(yaxis={"range": [-100, 100], "zeroline": True},
                         yaxis2={"title": {"text": t("Answers")}, "overlaying": "y",
                                 "side": "right", "showgrid": False, "range": [0, most * 3],
                                 "tickmode": "auto", "nticks": 4, "tickformat": ",d",
                                 "automargin": True})
    return period_axis(figure, period, list(table["period_start"]), x)


def nps_mix_chart(table: pd.DataFrame, period: Period) -> go.Figure:
    """Promoters, passives and detractors per period as shares of its answers (stacked)."""
    x = [period_label(period, day) for day in table["period_start"]]
    figure = go.Figure()
    for group, column in (("detractor", "detractors"), ("passive", "passives"),
                          ("promoter", "promoters")):
        shares = [100.0 * count / n if n else None
                  for count, n in zip(table[column], table["responses"], strict=True)]
        name = score_group_name(group)
        figure.add_trace(go.Bar(
            x=x, y=shares, name=name, marker={"color": GROUP_COLOURS[group]},
            customdata=list(table[column]),
            hovertemplate=f"{name}: %{{y:,.1f}}% (%{{customdata:,}})<extra></extra>"))
    layout(figure, t("Promoters, passives and detractors by {period}", period=period_word(period)),
           t("Period"), t("Share of the answers (%)"))
    figure.update_layout(barmode="stack")
    figure.update_yaxes(range=[0, 100], ticksuffix="%")
    return period_axis(figure, period, list(table["period_start"]), x)


def score_distribution_chart(distribution: pd.DataFrame) -> go.Figure:
    """How many answers gave each score 0-10, coloured by group."""
    figure = go.Figure()
    for group in ("detractor", "passive", "promoter"):
        rows = distribution[distribution["score_group"] == group]
        name = score_group_name(group)
        figure.add_trace(go.Bar(
            x=[str(s) for s in rows["score"]], y=rows["responses"], name=name,
            marker={"color": GROUP_COLOURS[group]},
            customdata=[_number(v) or 0.0 for v in rows["share_pct"]],
            hovertemplate=t("Score") + " %{x}: %{y:,} (%{customdata:,.1f}%)<extra></extra>"))
    layout(figure, t("Distribution of the 0-10 scores"), t("Score"), t("Answers"))
    figure.update_xaxes(type="category", categoryorder="array",
                        categoryarray=[str(s) for s in range(11)])
    figure.update_layout(hovermode="closest")
    return figure


def nps_segment_chart(table: pd.DataFrame, name_of: Callable[[object], str],
                      min_responses: int) -> go.Figure:
    """NPS per segment value, best on top, with 95% error bars; values with too few
    answers in a pale colour and marked †."""
    names = [chart_text(name_of(value)) + (" †" if few else "")
             for value, few in zip(table["group_value"], table["too_few"], strict=True)]
    figure = go.Figure(go.Bar(
        x=[_number(v) for v in table["nps"]], y=names, orientation="h",
        marker={"color": [FEW_COLOUR if few else PALETTE[0] for few in table["too_few"]]},
        error_x={"type": "data", "array": [_number(m) or 0.0 for m in table["margin_of_error"]],
                 "color": "#2d3748", "thickness": 1.5},
        customdata=list(zip(table["responses"], [_number(m) or 0.0 for m in
                                                 table["margin_of_error"]], strict=True)),
        hovertemplate="%{y}: %{x:,.1f} ± %{customdata[1]:,.1f} (n = %{customdata[0]:,})"
                      "<extra></extra>",
        name=t("NPS")))
    layout(figure, t("NPS by segment"), t("NPS (−100 to 100)"), t("Segment"),
           height=max(300, 120 + 36 * len(names)))
    figure.update_yaxes(autorange="reversed", type="category")
    figure.update_xaxes(range=[-100, 100], zeroline=True)
    figure.update_layout(hovermode="closest", showlegend=False,
                         annotations=[{"text": t("† fewer than {n} answers", n=min_responses),
                                       "xref": "paper", "yref": "paper", "x": 1, "y": 1.02,
                                       "showarrow": False, "xanchor": "right",
                                       "yanchor": "bottom", "font": {"size": 11}}]
                         if table["too_few"].any() else [])
    return figure


def csat_chart(table: pd.DataFrame, period: Period, benchmark: Comparison | None = None,
               benchmark_name: str = "") -> go.Figure:
    """CSAT (share of 4-5 answers) per period with its 95% margin-of-error band."""
    x = [period_label(period, day) for day in table["period_start"]]
    figure = go.Figure()
    _band(figure, x, table["csat"], table["margin_of_error"], t("95% margin of error"),
          0.0, 100.0)
    figure.add_trace(go.Scatter(
        x=x, y=[_number(v) for v in table["csat"]], name=t("CSAT"), mode="lines+markers",
        line={"color": PALETTE[2], "width": 2}, marker=_markers(table, PALETTE[2]),
        customdata=list(table["responses"]),
        hovertemplate=t("CSAT") + ": %{y:,.1f}% (n = %{customdata:,})<extra></extra>"))
    add_benchmark(figure, x, benchmark, benchmark_name)
    layout(figure, t("Customer satisfaction (CSAT) by {period}", period=period_word(period)),
           t("Period"), t("Answers of 4 or 5 (%)"))
    figure.update_yaxes(range=[0, 100], ticksuffix="%")
    return period_axis(figure, period, list(table["period_start"]), x)


CLI_QUESTIONS = (("recommend", N_("Would recommend")), ("buy_again", N_("Would buy again")),
                 ("other_products", N_("Would try other products")))


def cli_chart(table: pd.DataFrame, period: Period) -> go.Figure:
    """CLI per period (mean of the three 1-6 answers) with its 95% band, and each
    question's mean as a dotted line."""
    x = [period_label(period, day) for day in table["period_start"]]
    figure = go.Figure()
    _band(figure, x, table["cli"], table["margin_of_error"], t("95% margin of error"),
          1.0, 6.0)
    figure.add_trace(go.Scatter(
        x=x, y=[_number(v) for v in table["cli"]], name=t("CLI"), mode="lines+markers",
        line={"color": PALETTE[3], "width": 2.5}, marker=_markers(table, PALETTE[3]),
        customdata=list(table["responses"]),
        hovertemplate=t("CLI") + ": %{y:,.2f} (n = %{customdata:,})<extra></extra>"))
    for n, (column, label) in enumerate(CLI_QUESTIONS):
        name = t(label)
        figure.add_trace(go.Scatter(
            x=x, y=[_number(v) for v in table[column]], name=name, mode="lines",
            line={"color": PALETTE[(n + 4) % len(PALETTE)], "width": 1.5, "dash": "dot"},
            hovertemplate=f"{name}: %{{y:,.2f}}<extra></extra>"))
    layout(figure, t("Customer loyalty index (CLI) by {period}", period=period_word(period)),
           t("Period"), t("Mean answer (1 to 6)"))
    figure.update_yaxes(range=[1, 6])
    return period_axis(figure, period, list(table["period_start"]), x)


def behaviour_chart(table: pd.DataFrame, column: str, title: str, axis: str,
                    currency: str | None = None) -> go.Figure:
    """Promoters, passives and detractors side by side, one bar per follow-up window:
    ``column`` is ``retention_pct`` (percent) or ``revenue_per_respondent``."""
    figure = go.Figure()
    percent = column == "retention_pct"
    unit = "%" if percent else (f" {currency}" if currency else "")
    for n, months in enumerate(sorted(table["window_months"].unique())):
        rows = table[table["window_months"] == months]
        name = t("{months} months after answering", months=int(months))
        figure.add_trace(go.Bar(
            x=[score_group_name(g) for g in rows["score_group"]],
            y=[_number(v) for v in rows[column]], name=name,
            marker={"color": PALETTE[n % len(PALETTE)]},
            customdata=list(rows["followed"]),
            hovertemplate=f"{name}: %{{y:,.{1 if percent else 2}f}}{chart_text(unit)} "
                          f"(n = %{{customdata:,}})<extra></extra>"))
    layout(figure, title, t("Answer group"), axis)
    figure.update_layout(barmode="group", hovermode="closest")
    if percent:
        figure.update_yaxes(range=[0, 100], ticksuffix="%")
    return figure
