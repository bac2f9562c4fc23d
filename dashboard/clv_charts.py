"""Chart builders of the CLV page: pure functions from tidy frames to Plotly figures."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import layout
from dashboard.retention_charts import AVERAGE_COLOUR, PALETTE
from dashboard.safe import chart_text
from metrics.i18n import format_number, t


def _money(currency: str | None) -> str:
    return chart_text(currency or t("amount"))


def historic_chart(curves: pd.DataFrame, name_of: Callable[[object], str],
                   currency: str | None) -> go.Figure:
    """Cumulative net revenue per customer by months since acquisition, one line per
    cohort or segment value (``line`` column)."""
    figure = go.Figure()
    for n, (line, frame) in enumerate(curves.groupby("line", dropna=False, sort=True)):
        name = chart_text(name_of(line))
        figure.add_trace(go.Scatter(
            x=frame["months_since_acquisition"], y=frame["cumulative_revenue_per_customer"],
            name=name, mode="lines+markers", line={"color": PALETTE[n % len(PALETTE)]},
            customdata=frame["customers"],
            hovertemplate=f"{name}: %{{y:,.2f}} {_money(currency)} "
            + t("after %{x} months (%{customdata:,} customers)") + "<extra></extra>",
        ))
    layout(figure, t("Historic CLV: cumulative revenue per customer"),
           t("Months since the first purchase"),
           t("Revenue per customer ({currency})", currency=_money(currency)))
    figure.update_yaxes(rangemode="tozero", tickformat=",")
    return figure


def clv_histogram(customers: pd.DataFrame, currency: str | None) -> go.Figure:
    """How predicted CLV is spread over the customers."""
    figure = go.Figure(go.Histogram(
        x=customers["clv"], nbinsx=40, marker_color=PALETTE[0],
        hovertemplate=t("%{y:,} customers with a CLV of %{x}") + "<extra></extra>"))
    layout(figure, t("Predicted CLV per customer"),
           t("Predicted CLV ({currency})", currency=_money(currency)), t("Customers"))
    figure.update_layout(hovermode="closest", bargap=0.05)
    figure.update_xaxes(tickformat=",")
    return figure


def validation_chart(weeks: pd.DataFrame, cumulative: bool) -> go.Figure:
    """Predicted against actual repeat purchases in the holdout weeks."""
    suffix = "_cumulative" if cumulative else ""
    figure = go.Figure()
    figure.add_trace(go.Scatter(
        x=weeks["week"], y=weeks[f"actual{suffix}"], name=t("Actual"), mode="lines+markers",
        line={"color": PALETTE[0], "width": 2},
        hovertemplate=t("Actual") + ": %{y:,.0f}<extra></extra>"))
    figure.add_trace(go.Scatter(
        x=weeks["week"], y=weeks[f"predicted{suffix}"], name=t("Predicted (BG/NBD)"),
        mode="lines", line={"color": AVERAGE_COLOUR, "width": 2, "dash": "dash"},
        hovertemplate=t("Predicted") + ": %{y:,.1f}<extra></extra>"))
    title = (t("Cumulative repeat purchases after the calibration end") if cumulative
             else t("Repeat purchases per week after the calibration end"))
    layout(figure, title, t("Weeks after the calibration end"), t("Repeat purchases"))
    figure.update_yaxes(rangemode="tozero", tickformat=",")
    return figure


def clv_cac_chart(ratios: pd.DataFrame, name_of: Callable[[object], str],
                  rule_of_thumb: float) -> go.Figure:
    """CLV:CAC per channel against the 3:1 rule of thumb."""
    names = [chart_text(name_of(c)) for c in ratios["channel"]]
    colours = [PALETTE[2] if ok else PALETTE[8] for ok in ratios["meets_rule_of_thumb"]]
    figure = go.Figure(go.Bar(
        x=names, y=ratios["clv_cac_ratio"], marker_color=colours,
        hovertemplate="%{x}: %{y:,.2f} : 1<extra></extra>"))
    # On a white ground at the left end of the line: at the right end a phone's last bar
    # covered it.
    figure.add_hline(y=rule_of_thumb, line={"color": "#4a5568", "dash": "dash"},
                     annotation_text=t("{ratio}:1 rule of thumb",
                                       ratio=format_number(rule_of_thumb, "0.######")),
                     annotation_position="top left",
                     annotation_bgcolor="rgba(255, 255, 255, 0.85)")
    layout(figure, t("CLV:CAC by channel"), t("Acquisition channel"), t("CLV ÷ CAC"))
    figure.update_layout(hovermode="closest", showlegend=False)
    return figure
