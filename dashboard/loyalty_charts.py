"""Chart builders of the Segments page's loyalty views (loyalty types, upsell, the loyalty
programme, the retention uplift simulator): pure functions from tidy frames to figures."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.chart_notes import period_axis
from dashboard.charts import layout, title_lines
from dashboard.formatting import period_label, period_word
from dashboard.retention_charts import AVERAGE_COLOUR, PALETTE
from dashboard.safe import chart_text
from metrics.i18n import N_, t
from metrics.query.sql import Period


def _money(currency: str | None) -> str:
    return chart_text(currency or t("amount"))


def loyalty_types_chart(summary: pd.DataFrame, name_of: Callable[[str], str]) -> go.Figure:
    """Each loyalty type's share of the customers and the share of its customers still in
    the base at the end of the date range, side by side."""
    names = [chart_text(name_of(v)) for v in summary["loyalty_type"]]
    figure = go.Figure()
    figure.add_trace(go.Bar(
        x=names, y=summary["share_pct"], name=t("Share of customers"),
        marker_color=PALETTE[0], customdata=summary["customers"],
        hovertemplate="%{x}: %{y:,.1f}% " + t("of customers (%{customdata:,})")
        + "<extra></extra>"))
    figure.add_trace(go.Bar(
        x=names, y=summary["retention_pct"], name=t("Still in the base at the end"),
        marker_color=PALETTE[2],
        hovertemplate="%{x}: %{y:,.1f}% " + t("still in the base") + "<extra></extra>"))
    layout(figure, t("Loyalty types: size and retention"), t("Loyalty type"),
           t("Share (%)"))
    figure.update_layout(barmode="group", hovermode="closest")
    figure.update_yaxes(ticksuffix="%", rangemode="tozero")
    return figure


def type_value_chart(summary: pd.DataFrame, name_of: Callable[[str], str],
                     currency: str | None) -> go.Figure:
    """Revenue per customer (CLV to date) and AOV of each loyalty type."""
    names = [chart_text(name_of(v)) for v in summary["loyalty_type"]]
    money = _money(currency)
    figure = go.Figure()
    for column, name, colour in (("revenue_per_customer", t("Revenue per customer"),
                                  PALETTE[3]),
                                 ("aov", t("Average order value"), PALETTE[1])):
        figure.add_trace(go.Bar(x=names, y=summary[column], name=name, marker_color=colour,
                                hovertemplate=f"%{{x}}: %{{y:,.2f}} {money}<extra></extra>"))
    layout(figure, t("Loyalty types: what a customer is worth"), t("Loyalty type"),
           t("Amount ({currency})", currency=money))
    figure.update_layout(barmode="group", hovermode="closest")
    figure.update_yaxes(tickformat=",", rangemode="tozero")
    return figure


def upsell_chart(table: pd.DataFrame, period: Period, name_of: Callable[[object], str]
                 ) -> go.Figure:
    """The upsell ratio per period, one line per segment value (``group_value``)."""
    figure = go.Figure()
    for n, (group, frame) in enumerate(table.groupby("group_value", dropna=False,
                                                     sort=True)):
        name = chart_text(name_of(group))
        figure.add_trace(go.Scatter(
            x=[period_label(period, d) for d in frame["period_start"]],
            y=frame["upsell_ratio"], name=name, mode="lines+markers",
            line={"color": PALETTE[n % len(PALETTE)], "width": 2},
            customdata=frame[["several_products_customers", "one_product_customers"]],
            hovertemplate=f"{name}: %{{y:,.2f}} "
            + t("(%{customdata[0]:,} with several products, %{customdata[1]:,} with one)")
            + "<extra></extra>"))
    layout(figure, t("Upsell ratio by {period}", period=period_word(period)), t("Period"),
           t("Customers with several products ÷ with one"))
    figure.update_yaxes(rangemode="tozero")
    # each segment value's line has the periods it has: the axis holds them all, in order
    starts = sorted(set(table["period_start"]))
    return period_axis(figure, period, starts, [period_label(period, d) for d in starts])


def next_products_chart(top: pd.DataFrame) -> go.Figure:
    """Per first product: the share of returning customers who bought it again and the
    share who bought the most frequent other product (named in the bar)."""
    products = [chart_text(p) for p in top["first_product"]][::-1]
    figure = go.Figure()
    figure.add_trace(go.Bar(
        y=products, x=top["same_share_pct"][::-1], orientation="h",
        name=t("Bought the same product again"), marker_color=PALETTE[7],
        hovertemplate="%{y}: %{x:,.1f}% " + t("bought it again") + "<extra></extra>"))
    others = [chart_text(p) if isinstance(p, str) else "" for p in top["other_product"]][::-1]
    figure.add_trace(go.Bar(
        y=products, x=top["other_share_pct"][::-1], orientation="h",
        name=t("Most frequent other product"), marker_color=PALETTE[1], text=others,
        textposition="auto", customdata=others,
        hovertemplate="%{y} → %{customdata}: %{x:,.1f}%<extra></extra>"))
    layout(figure, t("What customers buy next after their first purchase"),
           t("Share of the customers who came back (%)"), t("First product"),
           height=max(320, 60 + 34 * len(products)))
    figure.update_layout(barmode="group", hovermode="closest")
    figure.update_xaxes(ticksuffix="%", rangemode="tozero")
    return figure


PANEL_TITLE_CHARS = 15
PANEL_LINE_HEIGHT = 21  # pixels, a line of a panel's title
PROGRAMME_PANELS = (
    ("retention_pct", N_("Still in the base at the end (%)")),
    ("aov", N_("Average order value ({currency})")),
    ("purchase_frequency", N_("Purchases per customer")),
    ("revenue_per_customer", N_("Revenue per customer ({currency})")),
)


def programme_chart(groups: pd.DataFrame, currency: str | None) -> go.Figure:
    """Members against non-members: retention, AOV, purchase frequency and revenue per
    customer, one panel each."""
    money = _money(currency)
    titles = [t(title, currency=money) for _, title in PROGRAMME_PANELS]
    # Two panels side by side leave each about half a phone's width for its title: at 360 px
    # lines of 20 characters (17 in Russian) ran into the next panel's.
    panel_titles = ["<br>".join(title_lines(title, PANEL_TITLE_CHARS)) for title in titles]
    figure = make_subplots(rows=2, cols=2, vertical_spacing=0.22, subplot_titles=panel_titles)
    names = [t("Members") if member else t("Non-members") for member in groups["member"]]
    colours = [PALETTE[0] if member else PALETTE[7] for member in groups["member"]]
    for n, (column, _) in enumerate(PROGRAMME_PANELS):
        figure.add_trace(go.Bar(
            x=names, y=groups[column], marker_color=colours, showlegend=False,
            name=titles[n], hovertemplate="%{x}: %{y:,.2f}<extra></extra>"),
            row=n // 2 + 1, col=n % 2 + 1)
    layout(figure, t("Loyalty programme: members against non-members"), "", "",
           height=560)
    # A top panel's title of three lines (Russian) reaches up into the chart's own title
    further = max(title.count("<br>") for title in panel_titles[:2]) - 1
    figure.update_layout(hovermode="closest",
                         margin_t=figure.layout.margin.t + PANEL_LINE_HEIGHT * max(further, 0))
    figure.update_yaxes(rangemode="tozero", tickformat=",")
    return figure


def enrolment_chart(enrolment: pd.DataFrame, name_of: Callable[[object], str],
                    segment: str) -> go.Figure:
    """The share of each segment value's customers who are members."""
    names = [chart_text(name_of(v)) for v in enrolment["group_value"]]
    figure = go.Figure(go.Bar(
        x=names, y=enrolment["enrolment_pct"], marker_color=PALETTE[0],
        customdata=enrolment[["members", "customers"]],
        hovertemplate="%{x}: %{y:,.1f}% "
        + t("(%{customdata[0]:,} members of %{customdata[1]:,} customers)")
        + "<extra></extra>"))
    layout(figure, t("Enrolment by {segment}", segment=chart_text(segment)),
           chart_text(segment), t("Members (% of customers)"))
    figure.update_layout(hovermode="closest")
    figure.update_yaxes(ticksuffix="%", rangemode="tozero")
    return figure


def points_aov_chart(points_aov: pd.DataFrame, currency: str | None) -> go.Figure:
    """Average order value of purchases with and without points redeemed."""
    money = _money(currency)
    names = [t("With points redeemed") if redeemed else t("Without points")
             for redeemed in points_aov["points_redeemed"]]
    figure = go.Figure(go.Bar(
        x=names, y=points_aov["aov"], marker_color=[PALETTE[1], PALETTE[7]],
        customdata=points_aov["purchases"],
        hovertemplate=f"%{{x}}: %{{y:,.2f}} {money} "
        + t("(%{customdata:,} purchases)") + "<extra></extra>"))
    layout(figure, t("Average order value with and without points"), "",
           t("Average order value ({currency})", currency=money))
    figure.update_layout(hovermode="closest")
    figure.update_yaxes(tickformat=",", rangemode="tozero")
    return figure


def simulator_chart(rows: pd.DataFrame, column: str, title: str, y_title: str) -> go.Figure:
    """One figure of the simulation by year: today's retention against the scenario."""
    figure = go.Figure()
    for scenario, name, colour, dash in (
            ("baseline", t("Today's retention"), AVERAGE_COLOUR, "dash"),
            ("scenario", t("With the retention gain"), PALETTE[2], "solid")):
        frame = rows[rows["scenario"] == scenario]
        figure.add_trace(go.Scatter(
            x=frame["year"], y=frame[column], name=name, mode="lines+markers",
            line={"color": colour, "width": 2, "dash": dash},
            hovertemplate=f"{name}: %{{y:,.0f}}<extra></extra>"))
    layout(figure, title, t("Years from today"), y_title)
    figure.update_xaxes(tickmode="linear", dtick=1)
    figure.update_yaxes(tickformat=",")
    return figure
