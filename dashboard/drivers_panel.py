"""The "Why did it move?" panel (Overview and Retention pages): a rate KPI's change between
two periods split by the values of a segment, as a waterfall, a table and one sentence,
each value's figures explained down to its customers. No SQL: it calls metrics.drivers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
import streamlit as st

from dashboard import services
from dashboard.chart_downloads import show_chart
from dashboard.drivers_charts import drivers_waterfall, value_name
from dashboard.explain_panel import chart_explainer
from dashboard.figures import figure
from dashboard.filters import seed_from_url, segment_label
from dashboard.formatting import period_label, table_number_format
from dashboard.safe import plain, show_error
from dashboard.url_state import parse_choice, parse_flag
from dashboard.widgets import data_table
from metrics.definitions import DRIVER_FIGURES, REGISTRY
from metrics.drivers import (
    ALL_SEGMENTS,
    DRIVER_METRICS,
    Drivers,
    all_drivers,
    amount_text,
    cohort_summary,
    driver_segments,
    drivers,
    summary,
)
from metrics.errors import LoyaltyLensError
from metrics.i18n import t
from metrics.query.filters import Filters
from metrics.query.segments import COHORT_SPLIT
from metrics.satisfaction import measures
from metrics.store import Dataset

# The panel's widgets, in the URL like every view setting (the same on both pages).
KEYS = ("why", "why_kpi", "why_by", "why_after", "why_before")


def kpis_of(dataset: Dataset) -> list[str]:
    """The rate KPIs the dataset has data for: the orders' and, with survey answers, NPS
    and CSAT."""
    survey = set(measures(dataset)) if "responses" in dataset.tables else set()
    return [m for m in DRIVER_METRICS if m not in ("nps", "csat") or m in survey]


def drivers_panel(dataset: Dataset, filters: Filters, periods: Sequence[date],
                  default_period: date) -> None:
    """The panel for the selection ``filters``; ``periods`` are the first days of the
    periods offered (oldest first), ``default_period`` the one explained by default."""
    st.subheader(t("Why did it move?"))
    # computed on demand: a split runs the KPI's query over every customer's segment
    # values, more work than the rest of the page, which every view would otherwise pay
    seed_from_url("why", False, parse_flag, t("Why did it move?"))
    if not st.toggle(t("Split a KPI's change by segment"), key="why",
                     help=t("Shows which segment values a change between two periods comes "
                            "from: their share of the base, or their own rate.")):
        return
    kpis = kpis_of(dataset)
    if len(periods) < 2 or not kpis:
        st.caption(t("Two periods are needed to explain a change."))
        return
    names = [day.isoformat() for day in periods]
    columns = st.columns(4)
    seed_from_url("why_kpi", "churn_rate" if "churn_rate" in kpis else kpis[0],
                  parse_choice(kpis), t("KPI"), options=kpis)
    columns[0].selectbox(t("KPI"), kpis, key="why_kpi",
                         format_func=lambda m: REGISTRY[m].title())
    kpi = st.session_state["why_kpi"]
    splits = [ALL_SEGMENTS, *driver_segments(dataset, kpi)]
    # one segment by default: ranking every column computes one split per column
    seed_from_url("why_by", splits[1], parse_choice(splits), t("segment"), options=splits)
    columns[1].selectbox(t("Split by"), splits, key="why_by",
                         format_func=lambda k: t("All segment columns") if k == ALL_SEGMENTS
                         else split_label(k))
    after_default = default_period.isoformat() if default_period.isoformat() in names[1:] \
        else names[-1]
    seed_from_url("why_after", after_default, parse_choice(names[1:]), t("period"),
                  options=names[1:])
    columns[2].selectbox(t("Period"), names[1:], key="why_after",
                         format_func=lambda d: _name(filters, d))
    after = st.session_state["why_after"]
    earlier = names[:names.index(after)]
    seed_from_url("why_before", earlier[-1], parse_choice(earlier), t("period compared"),
                  options=earlier)
    columns[3].selectbox(t("Compared with"), earlier, key="why_before",
                         format_func=lambda d: _name(filters, d))
    before = st.session_state["why_before"]
    try:
        found = _split(dataset, filters, kpi, st.session_state["why_by"],
                       date.fromisoformat(after), date.fromisoformat(before))
    except LoyaltyLensError as error:
        show_error(error)
        return
    if not found:
        st.caption(t("The dataset has no segment columns to split by."))
        return
    if len(found) > 1:
        _columns_ranking(found, dataset.currency)
    _show(found[0], dataset, filters)


def split_label(key: str) -> str:
    """A split's name on screen: the acquisition cohort, or the segment's label."""
    return t("Acquisition cohort") if key == COHORT_SPLIT else segment_label(key)


def _name(filters: Filters, day: str) -> str:
    return period_label(filters.period, date.fromisoformat(day))


def _split(dataset: Dataset, filters: Filters, kpi: str, by: str, after: date,
           before: date) -> list[Drivers]:
    """The split for one segment, or every segment's (the one explaining most first),
    under a spinner: at millions of orders it takes seconds the first time (the metric's
    name as it is: lowercased, NPS and (CRR) would read nps and (crr))."""
    with st.spinner(t("Working out what moved {metric}…",
                      metric=t(REGISTRY[kpi].label))):
        if by == ALL_SEGMENTS:
            return services.compute(all_drivers, dataset, filters, metric_id=kpi,
                                    period=after, against=before)
        return [services.compute(drivers, dataset, filters, metric_id=kpi, by=by,
                                 period=after, against=before)]


def _columns_ranking(found: list[Drivers], currency: str | None) -> None:
    """Which segment column explains most: each column's top value and its part."""
    metric = REGISTRY[found[0].metric_id]
    rows = [{t("Segment"): split_label(f.segment),
             t("Top value"): value_name(f.records["value"].iloc[0]) if len(f.records)
             else "",
             t("Its contribution"): amount_text(
                 float(f.records["contribution"].iloc[0]) if len(f.records) else None,
                 metric, currency, change=True, signed=True)}
            for f in found]
    st.caption(t("Segment columns by how much their top value explains:"))
    data_table(pd.DataFrame(rows), hide_index=True, width="stretch")


def _show(found: Drivers, dataset: Dataset, filters: Filters) -> None:
    """One segment's split: the sentence, the waterfall, the table and the explainer."""
    currency = dataset.currency
    st.info(plain(summary(found, currency)), icon=":material/insights:")
    if found.segment == COHORT_SPLIT:  # cohort or calendar?
        st.info(plain(cohort_summary(found, filters.period, currency)),
                icon=":material/calendar_month:")
    before = period_label(filters.period, found.period_before)
    after = period_label(filters.period, found.period_after)
    show_chart(figure(drivers_waterfall, found, split_label(found.segment), before, after,
                      currency), key="why_waterfall")
    _table(found, currency)
    groups = [f"{found.segment}={'' if v is None else v}" for v in found.records["value"]]
    chart_explainer("why", [m.id for m in DRIVER_FIGURES], dataset, filters, currency,
                    periods=[found.period_after],
                    period_name=lambda day: period_label(filters.period, day),
                    groups=groups, group_name=lambda g: value_name(g.split("=", 1)[1] or None),
                    options={"metric_id": found.metric_id, "by": found.segment,
                             "against": found.period_before},
                    empty=t("No customers stand behind it in this period."))


def _table(found: Drivers, currency: str | None) -> None:
    """The values' figures: shares in percent, rates in the KPI's unit, effects in its
    change unit (percentage points for a rate in percent)."""
    metric = REGISTRY[found.metric_id]
    records = found.records
    table = pd.DataFrame({
        split_label(found.segment): [value_name(v) for v in records["value"]],
        **{REGISTRY[f"driver_{c}"].title(): 100.0 * records[c]
           for c in ("share_before", "share_after")},
        **{REGISTRY[f"driver_{c}"].title(): pd.to_numeric(records[c])
           for c in ("rate_before", "rate_after", "mix_effect", "rate_effect",
                     "contribution")},
        t("p-value"): pd.to_numeric(records["p_value"]),
        t("Real change"): records["significant"],
        t("Test"): [t(text) if text else "" for text in records["change_test"]],
    })
    rate_format = (table_number_format(metric.unit, currency)
                   if metric.unit in ("percent", "currency") else "%,.1f")
    change_format = {"percent": t("{value} pp", value="%+,.2f"),
                     "currency": table_number_format("currency", currency)
                     }.get(metric.unit, "%+,.1f")
    formats = {"share_before": "%,.1f%%", "share_after": "%,.1f%%",
               "rate_before": rate_format, "rate_after": rate_format,
               "mix_effect": change_format, "rate_effect": change_format,
               "contribution": change_format}
    config = {REGISTRY[f"driver_{c}"].title(): st.column_config.NumberColumn(format=f)
              for c, f in formats.items()}
    config[t("p-value")] = st.column_config.NumberColumn(format="%.3f")
    data_table(table, hide_index=True, width="stretch", column_config=config)
