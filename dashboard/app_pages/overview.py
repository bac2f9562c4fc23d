"""Overview: KPI cards for one period against the previous one (with whether each change is
statistically significant), and a trend of any KPI."""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd
import streamlit as st

from dashboard import services
from dashboard.alerts import alert_banner
from dashboard.benchmark_overlay import card_line, chart_notes, comparison, legend_name
from dashboard.chart_downloads import chart_slot, show_chart
from dashboard.charts import trend_chart
from dashboard.drivers_panel import KEYS as DRIVER_KEYS
from dashboard.drivers_panel import drivers_panel
from dashboard.explain_panel import chart_explainer, how_computed
from dashboard.figures import figure
from dashboard.filters import View, page_data, publish, seed_from_url
from dashboard.formatting import (
    format_change,
    format_day,
    format_value,
    is_missing,
    period_label,
    period_labels,
)
from dashboard.report import default_period, history_start
from dashboard.safe import plain, show_error
from dashboard.url_state import parse_choice
from dashboard.widgets import change_style, data_table
from metrics.definitions import CRR_EXPLANATION, KPIS, METRICS, Metric
from metrics.errors import LoyaltyLensError
from metrics.export import to_csv, to_excel
from metrics.i18n import format_number, t
from metrics.query.filters import Filters, orders_span
from metrics.query.sql import Period, period_index
from metrics.significance import NotTested, caption, change_test, verdict_details
from metrics.store import Dataset

CARDS_PER_ROW = 5


def _card(metric: Metric, row: pd.Series, previous: pd.Series | None, currency: str | None,
          view: View, dataset: Dataset, filters: Filters) -> None:
    window = filters.inactivity_days
    value = row[metric.id]
    # Amounts carry their currency in the label, so the number fits the card.
    in_label = metric.unit == "currency" and currency
    change = None
    if previous is not None and row["complete"] and previous["complete"]:
        change = format_change(value, previous[metric.id], metric,
                               None if in_label else currency, whole=True)
    with st.container(border=True):
        st.metric(
            f"{metric.title()} ({currency})" if in_label else metric.title(),
            format_value(value, metric.unit, None if in_label else currency, whole=True),
            delta=change,
            **change_style(change, metric.higher_is_better),
            help=metric.describe(window),
        )
        if change is not None and previous is not None:
            _significance(metric, row, previous)
        card_line(view, metric.id, value, metric.unit)
        st.caption(metric.describe(window))
        if metric.denominator == "start_customers":
            st.caption(t("S = {s} · N = {n} · E = {e}",
                         s=format_value(row["start_customers"], "customers", None),
                         n=format_value(row["new_customers"], "customers", None),
                         e=format_value(row["end_customers"], "customers", None)))
        elif is_missing(value):
            st.caption(t("No value: the denominator is zero in this period."))
        panel = st.expander(t("How is this computed?"), key=f"explain_{metric.id}_open",
                            on_change="rerun")
        with panel:
            if panel.open:  # closed, it draws nothing (see explain_panel.chart_explainer)
                how_computed(
                    metric.id, dataset, filters, row["period_start"], currency,
                    lambda name, value: format_value(value, METRICS[name].unit, currency),
                    t("No customers or orders stand behind it in this period."))


def _significance(metric: Metric, row: pd.Series, previous: pd.Series) -> None:
    """Under the change: whether it is a real change, with the test and p-value as help."""
    result = change_test(metric, row, previous)
    details = None
    if not isinstance(result, NotTested):
        details = verdict_details(result)
        if metric.test is not None and metric.test.note:
            details += " " + t(metric.test.note)
    st.caption(caption(result), help=details)


def main() -> None:
    selected = page_data(t("Overview"), needs="orders")
    if selected is None:
        return
    view, dataset, filters = selected
    # Laid out top to bottom, the trend's chart slot drawn before the data is there (see
    # chart_slot: the browser starts plotly.js while the server computes).
    cards, trend_head = st.container(), st.container()
    trend_slot = chart_slot()
    trend_rest = st.container()
    try:
        first_order, last_order = orders_span(dataset)
        # the filters of the cards' numbers: their explanations use the same
        history_filters = dataclasses.replace(filters, start=history_start(
            filters.period, filters.start or first_order, first_order))
        history = services.kpis(dataset, history_filters)
    except LoyaltyLensError as error:
        trend_slot.empty()
        with cards:
            show_error(error)
        return
    with cards:
        alert_banner(dataset, filters)
    first_shown = period_index(filters.period, filters.start) if filters.start else None
    shown = history[[first_shown is None or period_index(filters.period, d) >= first_shown
                     for d in history["period_start"]]].reset_index(drop=True)
    if shown.empty or (shown["orders"].sum() == 0 and shown["end_customers"].sum() == 0):
        trend_slot.empty()
        with cards:
            st.info(t("No orders match these filters. Widen the date range or clear a "
                      "segment filter in the sidebar."))
        return

    labels = {
        day.isoformat(): label + ("" if complete else " " + t("(incomplete)"))
        for day, label, complete in zip(shown["period_start"],
                                        period_labels(filters.period, shown),
                                        shown["complete"], strict=True)
    }
    with cards:
        at = _cards(view, dataset, history, shown, labels, first_order, last_order,
                    history_filters)
    with trend_head:
        st.subheader(t("Trend"))
        metric_ids = [m.id for m in KPIS]
        seed_from_url("metric", "retention_rate", parse_choice(metric_ids), t("metric"))
        st.selectbox(t("Metric"), metric_ids, key="metric",
                     format_func=lambda m: METRICS[m].title())
    metric_id = st.session_state["metric"]
    currency = dataset.currency
    benchmark = comparison(view, metric_id)
    show_chart(figure(trend_chart, shown, metric_id, filters.period, currency, benchmark,
                      legend_name(view)),
               width="stretch", key="trend", container=trend_slot.container())
    with trend_rest:
        chart_notes(benchmark)
        chart_explainer("trend", [metric_id], dataset, history_filters, currency,
                        periods=list(shown["period_start"]),
                        period_name=lambda day: period_label(filters.period, day),
                        empty=t("No customers or orders stand behind it in this period."))
        _downloads(shown, filters.period, currency)
    complete = shown[shown["complete"].astype(bool)]
    drivers_panel(dataset, filters, list(complete["period_start"]),
                  date.fromisoformat(at))
    publish(["at", "metric", *DRIVER_KEYS])


def _cards(view: View, dataset: Dataset, history: pd.DataFrame, shown: pd.DataFrame,
           labels: dict[str, str], first_order: date, last_order: date,
           history_filters: Filters) -> str:
    """The dataset's line, the period box and the KPI cards of the chosen period against
    the one before; the chosen period's first day (ISO)."""
    period, currency = history_filters.period, dataset.currency
    seed_from_url("at", default_period(shown).isoformat(), parse_choice(labels), t("period"),
                  options=labels)

    top = st.columns([3, 2])
    with top[0]:
        st.caption(plain(t("{dataset} · {count} orders from {first} to {last}",
                     dataset=dataset.name,
                     count=format_value(dataset.tables["orders"].rows, "orders", None),
                     first=format_day(first_order), last=format_day(last_order))))
    with top[1]:
        st.selectbox(t("Period"), list(labels), key="at", format_func=lambda day: labels[day])
    at: str = st.session_state["at"]
    position = next(i for i, d in enumerate(history["period_start"]) if d.isoformat() == at)
    row = history.iloc[position]
    previous = history.iloc[position - 1] if position > 0 else None

    if not row["complete"]:
        # The plain name: the option's "(incomplete)" would say it twice.
        st.warning(t("{period} is incomplete: the data covers {first} to {last}, so its "
                     "numbers are not compared with the previous period.",
                     period=period_label(period, row["period_start"]),
                     first=format_day(first_order), last=format_day(last_order)),
                   icon=":material/hourglass_top:")
    elif previous is not None:
        st.caption(t("Changes are against {previous}.",
                     previous=period_label(period, previous["period_start"])))

    for start in range(0, len(KPIS), CARDS_PER_ROW):
        for column, metric in zip(st.columns(CARDS_PER_ROW), KPIS[start:start + CARDS_PER_ROW],
                                  strict=False):
            with column:
                _card(metric, row, previous if previous is not None and
                      previous["complete"] else None, currency, view, dataset,
                      history_filters)

    crr, strict = row["retention_rate"], row["strict_retention_rate"]
    if not is_missing(crr) and not is_missing(strict):
        returned = int(row["end_customers"] - row["new_customers"] - row["retained_customers"])
        st.info(t(CRR_EXPLANATION) + " " + t(
            "In {period}: CRR {crr} against a strict retention rate of {strict}; {returned} "
            "customers who had left the base came back.",
            period=labels[at], crr=format_value(crr, "percent", None),
            strict=format_value(strict, "percent", None), returned=format_number(returned)),
            icon=":material/info:")
    return at


def _downloads(frame: pd.DataFrame, period: Period, currency: str | None) -> None:
    """The chart's data as CSV and Excel, with readable column names."""
    table = frame.copy()
    table.insert(0, "period", period_labels(period, table))
    table = table.rename(columns={m: METRICS[m].title() for m in table.columns if m in METRICS}
                         | {"period": t("Period"), "period_start": t("First day"),
                            "period_end": t("Last day"), "complete": t("Complete period")})
    row = st.container(horizontal=True)  # one element, as in widgets.download_buttons
    # written when clicked, not on every run (see dashboard.widgets.download_buttons)
    row.download_button(t("Data as CSV"), lambda: to_csv(table), "loyaltylens-kpis.csv",
                        mime="text/csv", icon=":material/download:")
    row.download_button(t("Data as Excel"), lambda: to_excel(table, "KPIs"),
                        "loyaltylens-kpis.xlsx", icon=":material/download:",
                        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    panel = st.expander(t("All KPIs by period"), key="kpi_table_open", on_change="rerun")
    with panel:
        if panel.open:  # closed, its table is neither converted nor sent on every run
            data_table(table, hide_index=True, width="stretch", currency=currency,
                       units={METRICS[m].title(): METRICS[m].unit for m in frame.columns
                              if m in METRICS})


main()
