"""The Segments page's RFM view: the score rules, the segments' sizes and revenue, each
segment's customers for a campaign, and a comparison of the values of any segment."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import services
from dashboard.chart_downloads import show_chart
from dashboard.explain_panel import chart_explainer
from dashboard.filters import (
    SEGMENT_PREFIX,
    View,
    group_name,
    publish,
    seed_from_url,
    segment_label,
)
from dashboard.formatting import format_day, format_value
from dashboard.guard import callback
from dashboard.safe import plain, show_error
from dashboard.segments_charts import rfm_treemap
from dashboard.url_state import parse_choice
from dashboard.widgets import data_table, download_buttons
from metrics.errors import LoyaltyLensError
from metrics.explain.rfm import RFM_EXPLAINED
from metrics.explain.segments import SEGMENT_EXPLAINED
from metrics.i18n import format_number, t
from metrics.query.filters import Filters
from metrics.query.rfm import RFM_RULES, RFM_SEGMENTS, rfm_window
from metrics.query.segments import RFM_SEGMENT
from metrics.rfm import SCORE_RULE, rfm_customers, rfm_summary, rfm_table
from metrics.segments import segment_summary
from metrics.store import Dataset

PICK_KEY = "rfm_pick"
COMPARE_KEY = "compare_by"
RFM_FILTER_KEY = SEGMENT_PREFIX + RFM_SEGMENT


def _money(value: float | None, currency: str | None) -> str:
    return format_value(value, "currency", currency)


def _number(value: float | None) -> str:
    if value is None or pd.isna(value):
        return "–"
    return format_number(float(value), "#,##0.0")


def _use_as_filter(segment: str) -> None:
    # A callback runs before the sidebar is drawn again, so it may set the sidebar's widget.
    st.session_state[RFM_FILTER_KEY] = [segment]


def _rules(dataset: Dataset, filters: Filters) -> None:
    window = rfm_window(dataset, filters)
    st.caption(plain(t(SCORE_RULE, day=format_day(window.reference_day))))
    with st.expander(t("How each segment is defined (R and FM = (F + M) ÷ 2)")):
        st.markdown("\n".join(f"- {plain(rule.text())}" for rule in RFM_RULES))


def _summary(summary: pd.DataFrame, dataset: Dataset, filters: Filters) -> None:
    currency = dataset.currency
    show_chart(rfm_treemap(summary, currency), width="stretch", key="rfm_treemap")
    data_table(pd.DataFrame({
        t("Segment"): [t(s) for s in summary["segment"]],
        t("Customers"): [format_value(v, "customers", None) for v in summary["customers"]],
        t("Share of customers"): [format_value(v, "percent", None) for v in summary["share"]],
        t("Revenue"): [_money(v, currency) for v in summary["revenue"]],
        t("Share of revenue"): [format_value(v, "percent", None)
                                for v in summary["revenue_share"]],
        t("Avg. days since last purchase"): [_number(v) for v in summary["avg_recency_days"]],
        t("Avg. purchase days"): [_number(v) for v in summary["avg_frequency"]],
        t("Avg. revenue per customer"): [_money(v, currency) for v in summary["avg_monetary"]],
    }), hide_index=True, width="stretch")
    download_buttons(summary, "rfm-segments", key="rfm_summary_download")
    # the treemap and the table draw the same figures of the same segments
    chart_explainer("rfm_summary", [m.id for m in RFM_EXPLAINED], dataset, filters, currency,
                    groups=list(summary["segment"]), group_name=t)


def _customers(table: pd.DataFrame, summary: pd.DataFrame, currency: str | None) -> None:
    st.subheader(t("Customers of a segment"))
    counts = dict(zip(summary["segment"], summary["customers"], strict=True))
    seed_from_url(PICK_KEY, RFM_SEGMENTS[0], parse_choice(RFM_SEGMENTS), t("RFM segment"))
    columns = st.columns([3, 1])
    segment = columns[0].selectbox(
        t("Segment"), RFM_SEGMENTS, key=PICK_KEY,
        format_func=lambda s: t("{segment} ({customers} customers)", segment=t(s),
                                customers=format_value(counts.get(s, 0), "customers", None)))
    columns[1].button(t("Use as filter"), key="rfm_use_as_filter",
                      on_click=callback(_use_as_filter), args=(segment,),
                      icon=":material/filter_alt:",
                      help=t("Show every page for these customers only (the sidebar's RFM "
                             "segment filter)."))
    chosen = rfm_customers(table, segment)
    if chosen.empty:
        st.info(t("No customer is in this segment in these filters."))
        return
    names = {"customer_id": t("Customer"), "recency_days": t("Days since last purchase"),
             "frequency": t("Purchase days"), "monetary": t("Revenue"), "r": "R", "f": "F",
             "m": "M", "segment": t("Segment")}
    data_table(chosen.rename(columns=names), hide_index=True, width="stretch",
               currency=currency, units={names["monetary"]: "currency"})
    slug = segment.lower().replace(" ", "-")
    download_buttons(chosen, f"rfm-{slug}", key="rfm_customers_download")


def _comparison(view: View, dataset: Dataset, filters: Filters) -> None:
    st.subheader(t("Compare the values of a segment"))
    options = list(view.segment_options)
    if not options:
        return
    default = RFM_SEGMENT if RFM_SEGMENT in options else options[0]
    seed_from_url(COMPARE_KEY, default, parse_choice(options), t("segment to compare"),
                  options=options)
    by = st.selectbox(t("Segment"), options, key=COMPARE_KEY,
                      format_func=lambda k: segment_label(k))
    table = services.compute(segment_summary, dataset, filters, by=by)
    st.caption(t("Each value with the segment filter set to it, every figure over the same "
                 "days ({start} to {end}): customers with a purchase, net revenue, retention "
                 "rate (CRR pooled over the complete periods: Σ(E − N) ÷ ΣS), AOV, repeat "
                 "purchase rate (customers with two or more purchases ÷ customers), annual "
                 "churn (1 − strict retention Σretained ÷ ΣS over the same periods, per year) "
                 "and the simple CLV with that churn (revenue, lifespan capped at 10 years).",
                 start=format_day(table["window_start"].min()),
                 end=format_day(table["window_end"].max())) if not table.empty else "")
    currency = dataset.currency

    def value_name(value: object) -> str:
        return t(str(value)) if by == RFM_SEGMENT else group_name(value)

    data_table(pd.DataFrame({
        plain(segment_label(by)): [value_name(v) for v in table["value"]],
        t("Customers"): [format_value(v, "customers", None) for v in table["customers"]],
        t("Revenue"): [_money(v, currency) for v in table["revenue"]],
        t("Retention rate (CRR)"): [format_value(v, "percent", None)
                                    for v in table["retention_rate"]],
        t("AOV"): [_money(v, currency) for v in table["aov"]],
        t("Repeat purchase rate"): [format_value(v, "percent", None)
                                    for v in table["repeat_purchase_rate"]],
        t("Annual churn"): [format_value(v, "percent", None)
                            for v in table["annual_churn_pct"]],
        t("Simple CLV"): [_money(v, currency) for v in table["clv"]],
    }), hide_index=True, width="stretch")
    download_buttons(table.rename(columns={"value": by}), "segment-comparison",
                     key="segment_comparison_download")
    # a value is explained as "segment=value": the same value can be in two segments
    chart_explainer("segment_comparison", [m.id for m in SEGMENT_EXPLAINED], dataset,
                    filters, currency, groups=[f"{by}={v}" for v in table["value"]],
                    group_name=lambda group: value_name(group.split("=", 1)[1]))


def rfm_view(view: View, dataset: Dataset, filters: Filters) -> None:
    """Draw the RFM view for the sidebar's filters (the RFM filter itself narrows the
    segments shown, not the scores: those are over the whole selection)."""
    try:
        _rules(dataset, filters)
        summary = services.compute(rfm_summary, dataset, filters)
        if summary.empty:
            st.info(t("No customer bought in these filters."))
        else:
            chosen = dict(filters.segments).get(RFM_SEGMENT)
            shown = summary
            if chosen:
                st.caption(t("The sidebar's RFM segment filter is on: only its segments are "
                             "shown; shares are of all customers of the selection."))
                shown = summary[summary["segment"].isin(chosen)]
            _summary(shown, dataset, filters)
            _customers(services.compute(rfm_table, dataset, filters), summary, dataset.currency)
        _comparison(view, dataset, filters)
    except LoyaltyLensError as error:
        show_error(error)
    publish([PICK_KEY, COMPARE_KEY])
