"""Retention: retention and churn by period, cohort heatmap, retention curves, lifecycle
and survival, all for the sidebar's filters."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import services
from dashboard.benchmark_overlay import chart_notes, comparison
from dashboard.chart_downloads import show_chart
from dashboard.drivers_panel import KEYS as DRIVER_KEYS
from dashboard.drivers_panel import drivers_panel
from dashboard.explain_panel import chart_explainer
from dashboard.figures import figure, shared
from dashboard.filters import (
    View,
    capped_suggestion,
    group_name,
    page_data,
    publish,
    seed_from_url,
    segment_split,
)
from dashboard.formatting import format_value, period_label, period_labels
from dashboard.guard import callback
from dashboard.retention_charts import (
    RATES_COLUMNS,
    cohort_heatmap,
    curves_chart,
    lifecycle_chart,
    rates_chart,
    rates_table,
    survival_chart,
    survival_group_name,
)
from dashboard.safe import show_error
from dashboard.url_state import parse_choice
from dashboard.widgets import data_table, download_buttons
from metrics.definitions import COHORT_CELLS, CRR_EXPLANATION, LIFECYCLE, METRICS
from metrics.errors import LoyaltyLensError
from metrics.explain.cohorts import SURVIVAL_GROUPS
from metrics.i18n import N_, t
from metrics.query.filters import Filters
from metrics.retention import (
    MIN_COHORT_SIZE,
    Base,
    cohort_average,
    cohort_curves,
    cohort_table,
    default_base,
    lifecycle_from_kpis,
)
from metrics.store import Dataset
from metrics.survival import SURVIVAL_VIEWS, survival_curves

MAX_HEATMAP_COHORTS = 36
# Columns of the heatmap: the first N periods since acquisition, so that the cells keep
# room for their text (on a phone too); "all" shows every period.
HEATMAP_PERIODS = ["6", "12", "24", "all"]
DEFAULT_HEATMAP_PERIODS = "12"
MAX_COHORT_CURVES = 12
BASE_NAMES = {"orders": N_("Orders (inactivity window W)"),
              "subscriptions": N_("Subscriptions (start and end dates)")}
SURVIVAL_VIEW_NAMES = {"all": N_("All customers"),
                       "one_time_vs_repeat": N_("One-time vs repeat customers"),
                       "repeat_from_second": N_("Repeat customers, from their second purchase")}
MEDIAN_MEANING = (N_("The median lifetime is the day by which half of the customers followed had "
                     "left the base; a customer who buys once leaves exactly W = {w} days after "
                     "that purchase, so when half of them buy once the median is W itself."))


def _use_window(days: int) -> None:
    st.session_state["w"] = days


def _rates(view: View, dataset: Dataset, filters: Filters, base: Base,
           kpis: pd.DataFrame) -> None:
    st.subheader(t("Retention and churn by period"))
    if base == "orders":
        suggested = services.suggested_window(dataset)
        line = t("A customer is in the base while their latest order is at most W = {w} days "
                 "old (change W in the sidebar).", w=filters.inactivity_days)
        if suggested and suggested.capped:
            line += " " + capped_suggestion(suggested)
        elif suggested:
            line += " " + t("Suggested for this data: {days} days, the 90th percentile of the "
                            "gaps between a customer's purchase days (9 in 10 repeat "
                            "purchases come sooner).", days=suggested.days)
        columns = st.columns([5, 1])
        columns[0].caption(line)
        if suggested and suggested.days != filters.inactivity_days:
            columns[1].button(t("Use {days} days", days=suggested.days),
                              on_click=callback(_use_window), args=(suggested.days,),
                              key="use_suggested_w")
    else:
        st.caption(t("A customer is in the base while one of their subscriptions runs: from "
                     "its start date to its end date, both included."))
    table = services.retention_by_period(dataset, filters, base, kpis)
    if table.empty or table["start_customers"].sum() + table["new_customers"].sum() == 0:
        st.info(t("No customers match these filters."))
        return
    benchmarks = [(found, t("Industry {metric}: {sector}", metric=label,
                            sector=view.industry or ""))
                  for metric_id, label in (("retention_rate", t("retention")),
                                           ("churn_rate", t("churn")))
                  if (found := comparison(view, metric_id)) is not None]
    show_chart(figure(rates_chart, table, filters.period, benchmarks), width="stretch",
               key="rates_chart")
    for found, _ in benchmarks:
        chart_notes(found)
    st.caption(t(CRR_EXPLANATION))
    # made once for the table and the language, shared by every session (read only)
    shown = shared(rates_table, table, filters.period)
    config = {METRICS[c].title(): st.column_config.NumberColumn(
        format="%.1f%%" if METRICS[c].unit == "percent" else "localized")
        for c in RATES_COLUMNS if c in METRICS}
    data_table(shown, hide_index=True, width="stretch", column_config=config)
    st.caption(t("S = base the day before the period, N = new customers, E = base on its "
                 "last day; churned = S + N − E. * the data starts or stops inside that "
                 "period. The change against the previous period is tested with a "
                 "two-proportion z-test on retained customers of S (5% level); consecutive "
                 "periods share customers, so read p-values near 0.05 as borderline."))
    # on the subscriptions' base, the same figures over that base (the subscribers)
    chart_explainer("rates" if base == "orders" else "rates_subscriptions",
                    [c for c in RATES_COLUMNS if c in METRICS], dataset, filters,
                    dataset.currency, periods=list(table["period_start"]),
                    period_name=partial(period_label, filters.period),
                    empty=t("No customers stand behind it in this period."),
                    options={"base": base} if base == "subscriptions" else None)
    download_buttons(shown, "retention", key="retention_download")


def _cohorts(dataset: Dataset, filters: Filters
             ) -> tuple[str, bool, pd.DataFrame, pd.DataFrame | None]:
    """The heatmap; returns its metric, whether active means unbounded, its table and
    its average row over every period (None when the table is empty)."""
    st.subheader(t("Cohorts"))
    for key, options, what in (("cohort_metric", ["customers", "revenue"], t("cohort metric")),
                               ("cohort_mode", ["classic", "unbounded"], t("cohort counting")),
                               ("cohort_show", ["percent", "counts"], t("cohort cells"))):
        seed_from_url(key, options[0], parse_choice(options), what, options=options)
    columns = st.columns(3)
    columns[0].radio(t("Retention of"), ["customers", "revenue"], key="cohort_metric",
                     horizontal=True, format_func=lambda m: {"customers": t("Customers"),
                                                             "revenue": t("Revenue")}[m])
    metric = st.session_state["cohort_metric"]
    columns[1].radio(
        t("Active means"), ["classic", "unbounded"], key="cohort_mode", horizontal=True,
        disabled=metric == "revenue",
        format_func=lambda m: {"classic": t("Bought in that period"),
                               "unbounded": t("Bought then or later")}[m],
        help=t("Classic: the share of the cohort with a purchase in period k. Unbounded: "
               "the share whose last purchase is in period k or later (never rises)."))
    columns[2].radio(t("Cells show"), ["percent", "counts"], key="cohort_show",
                     horizontal=True, format_func=lambda m: {"percent": t("% of cohort"),
                                                             "counts": t("Counts")}[m])
    seed_from_url("cohort_periods", DEFAULT_HEATMAP_PERIODS, parse_choice(HEATMAP_PERIODS),
                  t("heatmap columns"), options=HEATMAP_PERIODS)
    st.radio(t("Periods since acquisition shown"), HEATMAP_PERIODS, key="cohort_periods",
             horizontal=True,
             format_func=lambda n: t("All") if n == "all" else t("First {n}", n=n))
    unbounded = metric == "customers" and st.session_state["cohort_mode"] == "unbounded"
    cohorts = services.compute(cohort_table, dataset, filters, metric=metric, unbounded=unbounded)
    if cohorts.empty:
        st.info(t("No cohort has a first purchase in these filters."))
        return metric, unbounded, cohorts, None
    # every period's average: the curves' dashed line too, when they are customers'
    average = every_period = services.derive(
        cohort_average, cohort_table, dataset, filters,
        {"metric": metric, "unbounded": unbounded}, metric=metric, unbounded=unbounded)
    days = sorted(cohorts["cohort"].unique())
    shown = cohorts
    if len(days) > MAX_HEATMAP_COHORTS:
        shown = cohorts[cohorts["cohort"].isin(days[-MAX_HEATMAP_COHORTS:])]
        st.caption(t("Showing the latest {shown} of {total} cohorts; narrow the date range to "
                     "see older ones. The average row uses all of them.",
                     shown=MAX_HEATMAP_COHORTS, total=len(days)))
    periods = st.session_state["cohort_periods"]
    total_periods = int(cohorts["period_offset"].max()) + 1
    if periods != "all" and int(periods) < total_periods:
        shown = shown[shown["period_offset"] < int(periods)]
        average = average[average["period_offset"] < int(periods)]
        st.caption(t("Showing the first {shown} of {total} periods since acquisition; choose "
                     "All to see every one (the data below downloads whole).",
                     shown=periods, total=total_periods))
    counts = None
    if st.session_state["cohort_show"] == "counts":
        counts = ("revenue" if metric == "revenue"
                  else "active_or_later" if unbounded else "active_customers")
    show_chart(figure(cohort_heatmap, shown, average, filters.period, counts, metric,
                      dataset.currency), width="stretch", key="cohort_heatmap")
    rule = (t("Revenue retention: the cohort's net revenue in period k ÷ its revenue in its "
              "first period.") if metric == "revenue" else
            t("Customer retention: customers of the cohort active in period k ÷ cohort size."))
    st.caption(rule + " " + t(
        "Grey cells: the data stops inside that period, so it is in progress, not a drop. "
        "† cohorts under {n} customers: one customer more or less moves them a lot. The "
        "average weights each cohort by its size and uses only cohorts that completed "
        "the period.", n=MIN_COHORT_SIZE))
    table = cohorts.drop(columns=["group_value"]).rename(columns={
        "cohort": t("Cohort"), "period_offset": t("Periods since acquisition"),
        "period_start": t("Period start"), "period_end": t("Period end"),
        "cohort_size": t("Cohort size"), "active_customers": t("Active customers"),
        "active_or_later": t("Active then or later"), "revenue": t("Revenue"),
        "first_period_revenue": t("Revenue in the first period"),
        "cumulative_revenue_per_customer": t("Cumulative revenue per customer"),
        "retention_pct": t("Retention (%)"), "complete": t("Period complete"),
        "small_cohort": t("Small cohort")})
    drawn = _drawn(metric, unbounded)
    chart_explainer("cohorts", [*drawn, *(m.id for m in COHORT_CELLS if m.id not in drawn)],
                    dataset, filters, dataset.currency,
                    periods=sorted(shown["cohort"].unique()),
                    period_name=partial(period_label, filters.period),
                    offsets=sorted(int(k) for k in shown["period_offset"].unique()),
                    empty=t("No customers stand behind it in this cohort."))
    download_buttons(table, "cohorts", key="cohorts_download")
    return metric, unbounded, cohorts, every_period


def _drawn(metric: str, unbounded: bool) -> tuple[str, str]:
    """The registry ids of the cohort cells the heatmap and curves draw and of their
    average (the heatmap's average row, the curves' dashed line)."""
    if metric == "revenue":
        return "cohort_revenue_retention", "cohort_average_revenue_retention"
    if unbounded:
        return "cohort_unbounded_retention", "cohort_average_unbounded_retention"
    return "cohort_retention", "cohort_average_retention"


def _curves(view: View, dataset: Dataset, filters: Filters, unbounded: bool,
            everyone: pd.DataFrame | None, overall: pd.DataFrame | None) -> None:
    """The retention curves; ``everyone`` is the customers' cohort table and ``overall``
    its average when the heatmap read them already (a cached table is a copy each read:
    not read twice a run)."""
    st.subheader(t("Retention curves"))
    by = segment_split("curve_by", t("One line per"),
                       t("Cohort (the latest {n})", n=MAX_COHORT_CURVES), view, t("curve split"))
    if everyone is None:
        everyone = services.compute(cohort_table, dataset, filters, metric="customers",
                                    unbounded=unbounded)
    if everyone.empty:
        st.info(t("No cohort has a first purchase in these filters."))
        return
    cohorts = {"metric": "customers", "unbounded": unbounded}
    if overall is None:  # the same key as the heatmap's average of customers
        overall = services.derive(cohort_average, cohort_table, dataset, filters, cohorts,
                                  metric="customers", unbounded=unbounded)
    if by is None:
        curves = services.derive(cohort_curves, cohort_table, dataset, filters, cohorts,
                                 unbounded=unbounded)
        latest = sorted(curves["group_value"].unique())[-MAX_COHORT_CURVES:]
        curves = curves[curves["group_value"].isin(latest)]
        # a cohort: the first day of its period (a function the figure cache can key)
        name_of: Callable[[Any], str] = partial(period_label, filters.period)
    else:
        curves = services.derive(cohort_average, cohort_table, dataset, filters,
                                 {**cohorts, "by": by}, unbounded=unbounded)
        name_of = group_name
    show_chart(figure(curves_chart, curves, filters.period, overall, name_of), width="stretch",
               key="curves_chart")
    st.caption(t("Each line: customers active k periods after their first purchase, as a "
                 "share of their cohort, over complete periods only; segments are split by "
                 "the value on the customer's first order. Dashed: all cohorts, weighted by "
                 "size."))
    offsets = sorted(int(k) for k in curves["period_offset"].unique())
    if by is None:
        # each line is a cohort's cells, the dashed one their average
        counted = "cohort_active_or_later" if unbounded else "cohort_active_customers"
        chart_explainer("curves", [*_drawn("customers", unbounded), counted, "cohort_size"],
                        dataset, filters, dataset.currency,
                        periods=sorted(curves["group_value"].unique()),
                        period_name=partial(period_label, filters.period), offsets=offsets,
                        empty=t("No customers stand behind it in this cohort."))
    else:
        # each line is the average of one segment value's cohorts
        chart_explainer("curves_split", [_drawn("customers", unbounded)[1]], dataset, filters,
                        dataset.currency, offsets=offsets,
                        groups=_groups(curves["group_value"]), group_name=group_name,
                        options={"by": by},
                        empty=t("No customers stand behind it in this segment."))
    table = curves.assign(group_value=[name_of(v) for v in curves["group_value"]]).rename(
        columns={"group_value": t("Line"), "period_offset": t("Periods since acquisition"),
                 "cohorts": t("Cohorts"), "customers": t("Customers"),
                 "retention_pct": t("Retention (%)")})
    download_buttons(table, "retention-curves", key="curves_download")


def _groups(values: pd.Series) -> list[str | None]:
    """The segment values of a split chart's lines, once each (None: customers without a
    value), in the order of its legend."""
    named = sorted({str(value) for value in values if not pd.isna(value)})
    return [*named, *([None] if values.isna().any() else [])]


def _lifecycle(dataset: Dataset, filters: Filters, kpis: pd.DataFrame) -> None:
    st.subheader(t("Lifecycle"))
    # made once for the KPI table, shared by every session (read only): a few pandas
    # steps, yet milliseconds on every run of every session
    table = shared(lifecycle_from_kpis, kpis)
    if table.empty:
        return
    show_chart(figure(lifecycle_chart, table, filters.period), width="stretch",
               key="lifecycle_chart")
    st.caption(" ".join(t("{metric}: {definition}", metric=metric.title(),
                          definition=metric.describe()) for metric in LIFECYCLE))
    chart_explainer("lifecycle", [metric.id for metric in LIFECYCLE], dataset, filters,
                    dataset.currency, periods=list(table["period_start"]),
                    period_name=partial(period_label, filters.period),
                    empty=t("No customers stand behind it in this period."))
    shown = table.copy()
    shown.insert(0, "period", period_labels(filters.period, shown))
    shown = shown.drop(columns=["period_start", "period_end"]).rename(columns={
        "period": t("Period"), "new_customers": t("New"),
        "returning_customers": t("Returning"), "resurrected_customers": t("Resurrected"),
        "dormant_customers": t("Dormant"), "quick_ratio": t("Quick ratio"),
        "complete": t("Period complete")})
    download_buttons(shown, "lifecycle", key="lifecycle_download")


def _survival(view: View, dataset: Dataset, filters: Filters, base: str) -> None:
    st.subheader(t("Survival"))
    # one-time and repeat customers are told apart by purchases, not subscription dates
    views = list(SURVIVAL_VIEWS) if "subscriptions" not in dataset.tables else ["all"]
    seed_from_url("survival_view", "all", parse_choice(views), t("survival customers"),
                  options=views)
    if len(views) > 1:
        st.radio(t("Customers followed"), views, key="survival_view", horizontal=True,
                 format_func=lambda v: t(SURVIVAL_VIEW_NAMES[v]))
    survival_view = st.session_state["survival_view"]
    by = segment_split("survival_by", t("Split by"), t("Nothing: all customers"), view,
                       t("survival split"))
    if survival_view == "one_time_vs_repeat":
        by = None  # the split is one-time vs repeat itself
    curve, summary = services.compute(survival_curves, dataset, filters, by=by, view=survival_view)
    if summary.empty:
        st.info(t("No customers match these filters."))
        return

    curve_name = partial(survival_group_name, survival_view, by)
    show_chart(figure(survival_chart, curve, curve_name), width="stretch", key="survival_chart")
    if base == "subscriptions":
        rule = t("A lifetime runs from the first subscription start to the last end date; "
                 "customers with a running subscription are still customers (censored).")
    elif survival_view == "repeat_from_second":
        rule = t("Repeat customers only (purchases on two days or more): a lifetime runs "
                 "from the second purchase to the last purchase + W = {w} days; customers "
                 "still in the base when the data ends are censored.",
                 w=filters.inactivity_days)
    else:
        rule = t("A lifetime runs from the first purchase to the last purchase + W = {w} "
                 "days, so no one leaves before W days; customers still in the base when the "
                 "data ends are censored.",
                 w=filters.inactivity_days)
    st.caption(rule + " " + t("Kaplan-Meier estimate with a 95% band (Greenwood, log-log)."))
    st.caption(t(MEDIAN_MEANING, w=filters.inactivity_days))
    groups: list[str | None] = list(SURVIVAL_GROUPS) if survival_view == "one_time_vs_repeat" \
        else _groups(curve["group"]) if by is not None else []
    chart_explainer("survival", ["survival"], dataset, filters, dataset.currency,
                    offsets=sorted(int(day) for day in curve["days"].unique()),
                    offset_label=t("Age (days)"), groups=groups, group_name=curve_name,
                    options={"view": survival_view, **({"by": by} if by else {})},
                    empty=t("No customer is still followed at that age."))

    def days(value: float | None) -> str:
        return t("not reached") if value is None or pd.isna(value) else \
            format_value(value, "customers", None)

    table = pd.DataFrame({
        t("Group"): [curve_name(g) for g in summary["group"]],
        t("Customers"): summary["customers"],
        t("Left"): summary["events"],
        t("Still customers"): summary["censored"],
        t("Median lifetime (days)"): [days(v) for v in summary["median_days"]],
        t("95% interval (days)"): [f"{days(lo)} – {days(hi)}" for lo, hi in
                                   zip(summary["median_lower"], summary["median_upper"],
                                       strict=True)],
    })
    data_table(table, hide_index=True, width="stretch", column_config={
        column: st.column_config.NumberColumn(format="localized")
        for column in (t("Customers"), t("Left"), t("Still customers"))})
    download_buttons(table, "survival", key="survival_download")


def main() -> None:
    selected = page_data(t("Retention"), needs="orders")
    if selected is None:
        return
    view, dataset, filters = selected
    bases: list[Base] = (["orders", "subscriptions"] if "subscriptions" in dataset.tables
                         else ["orders"])
    seed_from_url("base", default_base(dataset), parse_choice(bases), t("customer base"),
                  options=bases)
    if len(bases) > 1:
        st.radio(t("Customer base from"), bases, key="base", horizontal=True,
                 format_func=lambda b: t(BASE_NAMES[b]))
    base = st.session_state["base"]
    try:
        # read once a run: each read of a cached result unpickles a copy of it
        kpis = services.kpis(dataset, filters)
        _rates(view, dataset, filters, base, kpis)
        if base == "orders":  # the drivers split the orders' KPIs
            _why(dataset, filters, kpis)
        metric, unbounded, cohorts, average = _cohorts(dataset, filters)
        customers = metric == "customers"
        _curves(view, dataset, filters, unbounded, cohorts if customers else None,
                average if customers else None)
        _lifecycle(dataset, filters, kpis)
        _survival(view, dataset, filters, base)
    except LoyaltyLensError as error:
        show_error(error)
    publish(["base", "cohort_metric", "cohort_mode", "cohort_show", "cohort_periods",
             "curve_by", "survival_by", "survival_view", *DRIVER_KEYS])


def _why(dataset: Dataset, filters: Filters, kpis: pd.DataFrame) -> None:
    """The "Why did it move?" panel over the complete periods of the KPI table ``kpis``,
    the latest by default."""
    complete = list(kpis.loc[kpis["complete"].astype(bool), "period_start"])
    if complete:
        drivers_panel(dataset, filters, complete, complete[-1])


main()
