"""Customer lifetime value: simple (seed), historic, predictive (BG/NBD + Gamma-Gamma) with
its holdout validation, and CLV:CAC, all for the sidebar's filters."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboard import services
from dashboard.chart_downloads import show_chart
from dashboard.clv_charts import clv_cac_chart, clv_histogram, historic_chart, validation_chart
from dashboard.explain_panel import chart_explainer
from dashboard.filters import (
    group_name,
    page_data,
    publish,
    seed_from_url,
    segment_label,
    segment_split,
)
from dashboard.formatting import format_day, format_value, period_label, period_word
from dashboard.safe import plain, show_error, show_warning
from dashboard.url_state import parse_date, parse_int
from dashboard.widgets import data_table, download_buttons
from metrics.clv.cac import RULE_OF_THUMB, clv_cac_table, customer_acquisition_cost
from metrics.clv.historic import MILESTONE_MONTHS, historic_clv, historic_clv_milestones
from metrics.clv.lifetime_value import DEFAULT_ANNUAL_DISCOUNT_RATE, DEFAULT_HORIZON_MONTHS
from metrics.clv.predictive import default_calibration_end, holdout_validation, predictive_clv
from metrics.clv.simple import simple_clv
from metrics.definitions import REGISTRY
from metrics.errors import LoyaltyLensError
from metrics.explain.clv import (
    CAC_ROWS,
    CLV_CAC_ROWS,
    HISTORIC_ROWS,
    HOLDOUT_PREDICTED_ROWS,
    HOLDOUT_ROWS,
    PREDICTED_ROWS,
    PREDICTION_SUM_ROWS,
    SIMPLE_ROWS,
    explained_ids,
)
from metrics.i18n import format_number, t
from metrics.query.filters import Filters
from metrics.store import Dataset

MAX_COHORT_LINES = 12


def _money(value: float | None, currency: str | None, whole: bool = False) -> str:
    return format_value(value, "currency", currency, whole=whole)


def _simple(dataset: Dataset, filters: Filters, by: str | None) -> None:
    st.subheader(t("Simple CLV"))
    seed_from_url("margin", 0, parse_int(0, 100), t("gross margin"))
    st.number_input(t("Gross margin (%)"), min_value=0, max_value=100, step=1, key="margin",
                    help=t("0 leaves the margin out: the CLV is in revenue."))
    margin = st.session_state["margin"] / 100 or None
    table = services.compute(simple_clv, dataset, filters, by=by, gross_margin=margin)
    if table.empty:
        st.info(t("No customer bought in these filters."))
        return
    window = table.iloc[0]
    st.caption(t("AOV × purchases per year × expected lifespan (1 ÷ annual churn){margin}, "
                 "measured over {start} to {end} (the last 12 months of the date range). "
                 "Annual churn = customers in the base at the start who are not at the end "
                 "(W = {w} days), ÷ the base at the start, i.e. 1 − strict retention over "
                 "these 12 months; not the Overview's churn rate, (S + N − E) ÷ S per period, "
                 "which counts customers who left and came back as kept. Lifespans are "
                 "capped at 10 years.",
                 margin=t(" × gross margin") if margin else "",
                 start=format_day(window["window_start"]), end=format_day(window["window_end"]),
                 w=filters.inactivity_days))
    if table["clv"].isna().all():
        st.info(t("The date range starts with the data, so no one was in the base at its "
                  "start and churn cannot be measured: choose a later start date."))
    currency = dataset.currency
    shown = pd.DataFrame({
        t("Group"): [group_name(g) if by else t("All customers") for g in table["group_value"]],
        t("Customers"): [format_value(v, "customers", None) for v in table["customers"]],
        t("AOV"): [_money(v, currency) for v in table["aov"]],
        t("Purchases per year"): [format_number(v, "#,##0.00")
                                  for v in table["purchases_per_year"]],
        t("Annual churn"): [format_value(v, "percent", None) for v in table["annual_churn_pct"]],
        t("Lifespan (years)"): ["–" if pd.isna(v)
                                else format_number(v, "#,##0.0") + (" ⁺" if c else "")
                                for v, c in zip(table["lifespan_years"],
                                                table["lifespan_capped"], strict=True)],
        t("CLV"): [_money(v, currency) for v in table["clv"]],
    })
    data_table(shown, hide_index=True, width="stretch")
    if table["lifespan_capped"].any():
        st.caption(t("⁺ no measurable churn: the lifespan is capped at 10 years."))
    download_buttons(table, "simple-clv", key="simple_clv_download")
    chart_explainer("simple_clv", [m for m in explained_ids(SIMPLE_ROWS)
                                   if m != "clv_gross_margin" or margin],
                    dataset, filters, currency,
                    groups=list(table["group_value"]) if by else (), group_name=group_name,
                    options={"by": by, "gross_margin": margin})


def _historic(dataset: Dataset, filters: Filters, by: str | None) -> None:
    st.subheader(t("Historic CLV"))
    curves = services.compute(historic_clv, dataset, filters, by=by)
    if curves.empty:
        st.info(t("No cohort has completed its first month in these filters."))
        return
    milestones = historic_clv_milestones(curves)
    if by is None:
        latest = sorted(curves["cohort"].unique())[-MAX_COHORT_LINES:]
        curves = curves[curves["cohort"].isin(latest)].assign(line=lambda f: f["cohort"])

        def name_of(value: object) -> str:
            assert isinstance(value, date)  # a cohort: the first day of its month
            return period_label("month", value)
    else:
        curves = curves.assign(line=curves["group_value"].fillna(""))
        name_of = group_name
    show_chart(historic_chart(curves, name_of, dataset.currency), width="stretch",
               key="historic_chart")
    st.caption(t("Net revenue (refunds subtracted) the customers brought from their first "
                 "purchase to the end of month k, ÷ customers; only cohorts that have "
                 "completed month k count."))
    ages = sorted({int(k) for k in curves["months_since_acquisition"]})
    if by is None:
        chart_explainer("historic_clv", explained_ids(HISTORIC_ROWS), dataset, filters,
                        dataset.currency, periods=sorted(set(curves["cohort"])),
                        period_name=name_of, offsets=ages)
    else:
        chart_explainer("historic_clv", explained_ids(HISTORIC_ROWS), dataset, filters,
                        dataset.currency, offsets=ages,
                        groups=list(dict.fromkeys(curves["group_value"])),
                        group_name=group_name, options={"by": by})
    shown = pd.DataFrame({
        t("Cohort") if by is None else t("Group"):
            [name_of(c if by is None else g) for c, g in
             zip(milestones["cohort"], milestones["group_value"], strict=True)],
        t("Customers"): [format_value(v, "customers", None) for v in milestones["customers"]],
        **{t("After {n} months", n=n): [_money(v, dataset.currency) if pd.notna(v) else
                                         t("not yet") for v in milestones[f"month_{n}"]]
           for n in MILESTONE_MONTHS},
    })
    data_table(shown, hide_index=True, width="stretch")
    download_buttons(milestones, "historic-clv", key="historic_download")


def _predictive(dataset: Dataset, filters: Filters, by: str | None) -> float | None:
    st.subheader(t("Predictive CLV"))
    seed_from_url("horizon", DEFAULT_HORIZON_MONTHS, parse_int(1, 60), t("horizon"))
    seed_from_url("discount", round(DEFAULT_ANNUAL_DISCOUNT_RATE * 100), parse_int(0, 50),
          t("discount rate"))
    columns = st.columns(2)
    columns[0].slider(t("Horizon (months)"), 1, 60, key="horizon")
    columns[1].slider(t("Discount rate (% a year)"), 0, 50, key="discount")
    result = services.compute(predictive_clv, dataset, filters, by=by,
                              horizon_months=st.session_state["horizon"],
                              annual_discount_rate=st.session_state["discount"] / 100)
    currency = dataset.currency
    customers = result.customers
    purchases, spend = result.models.purchases.params_, result.models.spend.params_
    st.caption(t(
        "Learnt from {n} customers' purchases up to {end}: how often each customer buys, "
        "how likely they are to still be a customer, and how much they spend per purchase. "
        "CLV = expected purchases in each month of the horizon × expected spend per "
        "purchase, discounted at {d}% a year.",
        n=format_number(len(customers)), end=format_day(result.calibration_end),
        d=st.session_state["discount"]))
    # The fitted parameters mean something to an analyst only: kept out of the way.
    with st.expander(t("Advanced: model parameters")):
        st.caption(t(
            "Purchases: BG/NBD (Fader, Hardie & Lee 2005) on repeat purchase days, recency "
            "and age in weeks: r = {r:.3f}, α = {alpha:.3f}, a = {a:.3f}, b = {b:.3f}. Spend "
            "per purchase: Gamma-Gamma (Fader & Hardie 2013): p = {p:.3f}, q = {q:.3f}, "
            "γ = {v:.3f}.", **purchases, **spend))
    figures = {  # the figures of metrics.clv.predictive.predicted_totals, of everyone
        "clv_predicted_total": customers["clv"].sum(),
        "clv_predicted_mean": customers["clv"].mean(),
        "clv_expected_purchases_total": customers["expected_purchases"].sum(),
        "clv_probability_alive_mean": 100 * customers["probability_alive"].mean(),
    }
    for card, (metric_id, value) in zip(st.columns(len(figures)), figures.items(),
                                        strict=True):
        metric = REGISTRY[metric_id]
        card.metric(metric.title(), format_value(value, metric.unit, currency, whole=True),
                    help=metric.describe())
    options = {"horizon_months": st.session_state["horizon"],
               "annual_discount_rate": st.session_state["discount"] / 100,
               "calibration_end": result.calibration_end}
    # the cards: every customer's prediction added up, the customers beside it
    chart_explainer("predictive_totals", explained_ids(PREDICTION_SUM_ROWS), dataset, filters,
                    currency, options=options)
    show_chart(clv_histogram(customers, currency), width="stretch", key="clv_histogram")
    # the cards and the histogram add up every customer's figures: one customer's is
    # explained, the most valuable first
    chart_explainer("predictive_clv", explained_ids(PREDICTED_ROWS), dataset, filters,
                    currency, groups=list(result.top_customers()["customer_id"]),
                    options=options)
    if by is not None:
        groups = result.by_group()
        data_table(pd.DataFrame({
            plain(segment_label(by)): [group_name(g) for g in groups["group_value"]],
            t("Customers"): [format_value(v, "customers", None) for v in groups["customers"]],
            t("Total CLV"): [_money(v, currency) for v in groups["total_clv"]],
            t("Average CLV"): [_money(v, currency) for v in groups["mean_clv"]],
            t("Average P(alive)"): [format_value(100 * v, "percent", None)
                                    for v in groups["mean_probability_alive"]],
        }), hide_index=True, width="stretch")
    names = {"customer_id": t("Customer"), "past_value": t("Revenue so far"),
             "frequency": t("Repeat purchases"), "probability_alive": t("P(alive)"),
             "expected_purchases": t("Expected purchases"),
             "expected_average_spend": t("Expected spend per purchase"),
             "clv": t("Predicted CLV"), "group_value": t("Group")}
    columns_shown = [c for c in names if c != "group_value" or by]
    amounts = {names[c]: "currency" for c in ("past_value", "expected_average_spend", "clv")}
    config = {names["probability_alive"]: st.column_config.ProgressColumn(
                  min_value=0.0, max_value=1.0, format="percent"),
              names["expected_purchases"]: st.column_config.NumberColumn(format="%.1f")}
    tabs = st.tabs([t("Top customers"), t("Most at risk")])
    with tabs[0]:
        top = result.top_customers()[columns_shown].rename(columns=names)
        data_table(top, hide_index=True, width="stretch", column_config=config,
                   currency=currency, units=amounts)
        download_buttons(result.customers.rename(columns=names), "clv-customers",
                         key="clv_customers_download")
    with tabs[1]:
        st.caption(t("The top fifth by revenue so far whose probability of still being a "
                     "customer is under 50%: worth a win-back campaign."))
        risky = result.at_risk()[columns_shown].rename(columns=names)
        data_table(risky, hide_index=True, width="stretch", column_config=config,
                   currency=currency, units=amounts)
        download_buttons(risky, "clv-at-risk", key="clv_at_risk_download")
    return float(customers["clv"].mean()) if len(customers) else None


def _validation(dataset: Dataset, filters: Filters) -> None:
    st.subheader(t("Does the forecast hold? Holdout validation"))
    first, last = dataset.tables["orders"].first_date, dataset.tables["orders"].last_date
    assert first is not None and last is not None
    default = default_calibration_end(dataset)
    latest = last - timedelta(days=7)
    if not first <= st.session_state.get("calibration", first) <= latest:
        st.session_state.pop("calibration")  # another dataset's day
    seed_from_url("calibration", default, parse_date, t("calibration end"))
    if not first <= st.session_state["calibration"] <= latest:
        show_warning(t("The calibration end must be between {first} and {last}, so the "
                       "default is shown.", first=format_day(first), last=format_day(latest)))
        st.session_state["calibration"] = default
    st.date_input(t("Calibration end"), key="calibration", min_value=first,
                  max_value=latest, format="DD.MM.YYYY",
                  help=t("The models learn from the orders up to this day and predict the "
                         "weeks after it, which the data already holds."))
    calibration: date = st.session_state["calibration"]
    result = services.compute(holdout_validation, dataset, filters, calibration_end=calibration)
    error = result.error_pct
    st.caption(t("Fitted on the orders up to {end}; compared over {weeks} weeks to {last}. "
                 "Error of the total: {error}.", end=format_day(result.calibration_end),
                 weeks=len(result.weeks), last=format_day(result.holdout_end),
                 error="–" if error is None
                 else format_number(error, "+#,##0.0;-#,##0.0") + "%"))
    columns = st.columns(2)
    with columns[0]:
        show_chart(validation_chart(result.weeks, cumulative=False), width="stretch",
                   key="validation_weekly")
    with columns[1]:
        show_chart(validation_chart(result.weeks, cumulative=True), width="stretch",
                   key="validation_cumulative")
    download_buttons(result.weeks, "clv-validation", key="validation_download")
    # the charts' two lines: the actual purchase days, the model's expected purchases
    chart_explainer("holdout", explained_ids(HOLDOUT_ROWS)
                    + explained_ids(HOLDOUT_PREDICTED_ROWS), dataset, filters,
                    dataset.currency, periods=list(result.weeks["week_start"]),
                    options={"calibration_end": result.calibration_end})


def _cac(dataset: Dataset, filters: Filters, margin: float | None) -> None:
    st.subheader(t("CLV:CAC"))
    if "spend" not in dataset.tables:
        st.info(t("Upload a marketing spend file (date, amount, channel) on the Data page to "
                  "see the cost of acquiring a customer and CLV:CAC against the 3:1 rule "
                  "of thumb."))
        return
    table = services.compute(customer_acquisition_cost, dataset, filters)
    # each channel's own simple CLV, and the overall one for the all-channels row
    ratios = services.compute(clv_cac_table, dataset, filters, gross_margin=margin)
    st.caption(t("CAC = marketing spend ÷ new customers (by their first order's channel), "
                 "over the date range. CLV:CAC uses each channel's simple CLV above{margin}; "
                 "3:1 is the common rule of thumb (David Skok, SaaS Metrics 2.0).",
                 margin=t(" (after the gross margin)") if margin else ""))

    def channel_name(channel: object) -> str:
        return t("All channels") if channel is None else str(channel)

    shown_ratios = ratios.dropna(subset=["clv_cac_ratio"])
    if not shown_ratios.empty:
        show_chart(clv_cac_chart(shown_ratios, channel_name, RULE_OF_THUMB),
                   width="stretch", key="clv_cac_chart")
        chart_explainer("clv_cac", explained_ids(CLV_CAC_ROWS), dataset, filters,
                        dataset.currency, groups=list(shown_ratios["channel"]),
                        group_name=channel_name, options={"gross_margin": margin})
    currency = dataset.currency
    data_table(pd.DataFrame({
        t("Channel"): [channel_name(c) for c in ratios["channel"]],
        t("Spend"): [_money(v, currency, whole=True) for v in ratios["spend"]],
        t("New customers"): [format_value(v, "customers", None)
                             for v in ratios["new_customers"]],
        t("CAC"): [_money(v, currency) for v in ratios["cac"]],
        t("CLV"): [_money(v, currency) for v in ratios["clv"]],
        t("CLV:CAC"): ["–" if pd.isna(v) else f"{v:,.1f} : 1" for v in ratios["clv_cac_ratio"]],
    }), hide_index=True, width="stretch")
    with st.expander(t("CAC by {period}", period=period_word(filters.period))):
        by_period = table.assign(
            period=[period_label(filters.period, d) for d in table["period_start"]],
            channel=[channel_name(c) for c in table["channel"]])
        data_table(pd.DataFrame({
            t("Period"): by_period["period"], t("Channel"): by_period["channel"],
            t("Spend"): [_money(v, currency, whole=True) for v in by_period["spend"]],
            t("New customers"): by_period["new_customers"],
            t("CAC"): [_money(v, currency) for v in by_period["cac"]]}),
            hide_index=True, width="stretch")
    chart_explainer("cac", explained_ids(CAC_ROWS), dataset, filters, currency,
                    periods=sorted(set(table["period_start"])),
                    period_name=lambda d: period_label(filters.period, d),
                    groups=list(dict.fromkeys(table["channel"])), group_name=channel_name)
    download_buttons(table, "cac", key="cac_download")


def main() -> None:
    selected = page_data(t("Customer lifetime value"), needs="orders")
    if selected is None:
        return
    view, dataset, filters = selected
    by = segment_split("clv_by", t("Split by"), t("Nothing (cohorts for historic CLV)"), view,
                       t("CLV split"))
    try:
        _simple(dataset, filters, by)
        _historic(dataset, filters, by)
    except LoyaltyLensError as error:
        show_error(error)
    try:
        _predictive(dataset, filters, by)
        _validation(dataset, filters)
    except LoyaltyLensError as error:
        show_error(error)
    try:
        _cac(dataset, filters, st.session_state["margin"] / 100 or None)
    except LoyaltyLensError as error:
        show_error(error)
    publish(["clv_by", "margin", "horizon", "discount", "calibration"])


main()
