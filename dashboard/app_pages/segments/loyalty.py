"""The Segments page's loyalty views: loyalty types, the upsell ratio, the loyalty
programme and the retention uplift simulator, each drawn in its own tab."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard import services
from dashboard.chart_downloads import show_chart
from dashboard.explain_panel import chart_explainer
from dashboard.filters import View, group_name, publish, seed_from_url, segment_label
from dashboard.formatting import format_day, format_value, period_label
from dashboard.loyalty_charts import (
    enrolment_chart,
    loyalty_types_chart,
    next_products_chart,
    points_aov_chart,
    programme_chart,
    simulator_chart,
    type_value_chart,
    upsell_chart,
)
from dashboard.safe import plain, show_error, show_warning
from dashboard.url_state import parse_choice, parse_int
from dashboard.widgets import change_style, data_table, download_buttons
from metrics.errors import LoyaltyLensError
from metrics.explain.loyalty import (
    MEMBERS,
    NON_MEMBERS,
    WITH_POINTS,
    WITHOUT_POINTS,
    pair_group,
    scenario_group,
    segment_group,
)
from metrics.i18n import format_number, t
from metrics.loyalty import (
    LOYALTY_TYPE_RULES,
    LOYALTY_TYPES,
    incentive_columns,
    loyalty_type_rule,
    loyalty_type_summary,
    loyalty_types,
    membership_source,
    next_products,
    product_source,
    programme_comparison,
    selection_window,
    top_next_products,
    upsell_table,
)
from metrics.query.filters import Filters
from metrics.significance import Significance, difference_caption, verdict_details
from metrics.simulator import (
    MAX_RETENTION_RATE,
    SEED_PROFIT_UPLIFT_PCT,
    SEED_RETENTION_GAIN_PP,
    Baseline,
    baseline,
    simulate,
)
from metrics.store import Dataset

MEMBER_SEGMENT = "loyalty_member"
DEFAULT_GROSS_MARGIN_PCT = 30
MAX_PROGRAMME_COST = 1_000_000_000


def _money(value: float | None, currency: str | None) -> str:
    return format_value(value, "currency", currency)


def _percent(value: float | None) -> str:
    return format_value(value, "percent", None)


def _count(value: float | None) -> str:
    return format_value(value, "customers", None)


def _number(value: float | None, digits: int = 2) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:,.{digits}f}"


def type_name(loyalty_type: str) -> str:
    """A loyalty type id as the page names it."""
    return t(loyalty_type_rule(loyalty_type).label)


def _segment_value_name(by: str) -> Callable[[str], str]:
    """A segment value's group of explain() (``<segment>=<value>``) as the page names it."""
    return lambda group: group_name(group[len(by) + 1:] or None)


def _programme_group_name(group: str) -> str:
    return {MEMBERS: t("Members"), NON_MEMBERS: t("Non-members"),
            WITH_POINTS: t("With points redeemed"),
            WITHOUT_POINTS: t("Without points")}[group]


def _range_text(dataset: Dataset, filters: Filters) -> tuple[str, str]:
    start, end = selection_window(dataset, filters)
    return format_day(start), format_day(end)


def _test_line(name: str, result: Significance | None) -> str:
    return t("{name}: {verdict}", name=name,
             verdict=difference_caption(result) if result is not None
             else t("not tested (too few customers)"))


def _test_help(tests: dict[str, Significance | None]) -> str | None:
    """The tests and p-values behind the verdicts of :func:`_test_line`, for a tooltip."""
    lines = [t("{name}: {details}", name=name, details=verdict_details(result))
             for name, result in tests.items() if result is not None]
    return "  \n".join(lines) or None


# -- loyalty types ---------------------------------------------------------------------


def loyalty_type_view(view: View, dataset: Dataset, filters: Filters) -> None:
    """Each customer's loyalty type (seed: value-, price-, reward-, discount-based), the
    rules that assign it, and each type's size, retention, AOV and revenue per customer."""
    st.subheader(t("Loyalty types"))
    if not incentive_columns(dataset):
        st.info(t("Loyalty types are read from which orders had a discount or points "
                  "redeemed. Upload the orders on the Data page with a Discount or a Points "
                  "redeemed column (mapped to those roles) to see them."),
                icon=":material/info:")
        return
    try:
        customers = services.compute(loyalty_types, dataset, filters)
    except LoyaltyLensError as error:
        show_error(error)
        return
    start, end = _range_text(dataset, filters)
    st.caption(t("Each customer with a purchase from {start} to {end} gets one type, by the "
                 "first rule below that matches their purchases in that range.", start=start,
                 end=end))
    data_table(pd.DataFrame({
        t("Type"): [t(rule.label) for rule in LOYALTY_TYPE_RULES],
        t("Rule"): [rule.rule_text() for rule in LOYALTY_TYPE_RULES],
        t("What it means"): [t(rule.meaning) for rule in LOYALTY_TYPE_RULES],
    }), hide_index=True, width="stretch")
    if customers.empty:
        st.info(t("No customer bought in these filters."))
        return
    if len(incentive_columns(dataset)) < 2:
        st.caption(t("The orders have only one of the two columns (discount, points), so "
                     "the other share is 0 for everyone."))
    summary = loyalty_type_summary(customers)
    columns = st.columns(2)
    with columns[0]:
        show_chart(loyalty_types_chart(summary, type_name), width="stretch",
                   key="loyalty_types_chart")
    with columns[1]:
        show_chart(type_value_chart(summary, type_name, dataset.currency),
                   width="stretch", key="loyalty_value_chart")
    currency = dataset.currency
    columns = st.columns(2)
    with columns[0]:
        chart_explainer("loyalty_types", ["loyalty_type_share", "loyalty_type_retention",
                                          "loyalty_type_customers"], dataset, filters,
                        currency, groups=LOYALTY_TYPES, group_name=type_name)
    with columns[1]:
        chart_explainer("loyalty_value", ["loyalty_type_revenue_per_customer",
                                          "loyalty_type_aov",
                                          "loyalty_type_purchase_frequency"], dataset,
                        filters, currency, groups=LOYALTY_TYPES, group_name=type_name)
    data_table(pd.DataFrame({
        t("Type"): [type_name(v) for v in summary["loyalty_type"]],
        t("Customers"): [_count(v) for v in summary["customers"]],
        t("Share of customers"): [_percent(v) for v in summary["share_pct"]],
        t("Still in the base at the end"): [_percent(v) for v in summary["retention_pct"]],
        t("Purchases per customer"): [_number(v) for v in summary["purchase_frequency"]],
        t("Average order value"): [_money(v, currency) for v in summary["aov"]],
        t("Revenue per customer (CLV to date)"): [_money(v, currency)
                                                  for v in summary["revenue_per_customer"]],
    }), hide_index=True, width="stretch")
    st.caption(t("Still in the base at the end: the share of the type's customers whose "
                 "latest purchase is at most W = {w} days before {end}. Revenue per "
                 "customer: their revenue from {start} to {end}, refunds subtracted, ÷ "
                 "customers (the CLV to date). Purchases are orders with an amount of 0 or "
                 "more.", w=filters.inactivity_days, start=start, end=end))
    download_buttons(summary.assign(loyalty_type=[type_name(v) for v in
                                                  summary["loyalty_type"]]),
                     "loyalty-types", key="loyalty_types_download")
    with st.expander(t("Customers and their type")):
        named = customers.assign(loyalty_type=[type_name(v) for v in
                                               customers["loyalty_type"]])
        named = named.rename(columns={
            "customer_id": t("Customer"), "orders": t("Purchases"), "revenue": t("Revenue"),
            "discounted_orders": t("With a discount"), "redeemed_orders": t("With points"),
            "full_price_orders": t("At full price"),
            "discount_share_pct": t("With a discount (%)"),
            "points_share_pct": t("With points (%)"),
            "full_price_share_pct": t("At full price (%)"),
            "last_purchase": t("Latest purchase"),
            "in_base_at_end": t("Still in the base at the end"), "loyalty_type": t("Type")})
        data_table(named, hide_index=True, width="stretch", currency=dataset.currency,
                   units={t("Revenue"): "currency"} | {
                       t(name): "percent" for name in ("With a discount (%)",
                                                       "With points (%)", "At full price (%)")})
        download_buttons(named, "loyalty-type-customers", key="loyalty_customers_download")


# -- upsell ----------------------------------------------------------------------------


def upsell_view(view: View, dataset: Dataset, filters: Filters) -> None:
    """The upsell ratio (seed) over the date range and per period, optionally by segment,
    and what customers buy next after their first purchase."""
    st.subheader(t("Upsell ratio"))
    if product_source(dataset) is None:
        st.info(t("The upsell ratio counts the distinct products each customer bought. "
                  "Upload the orders on the Data page with a Product column (one row per "
                  "order, or one row per order line) to see it."), icon=":material/info:")
        return
    splits = ["", *view.segment_options]
    seed_from_url("upsell_by", "", parse_choice(splits), t("upsell split"), options=splits)
    st.selectbox(t("Split by"), splits, key="upsell_by",
                 format_func=lambda k: t("Nothing") if k == "" else segment_label(k))
    by = st.session_state["upsell_by"] or None
    try:
        _upsell(dataset, filters, by)
        _next_products(dataset, filters)
    except LoyaltyLensError as error:
        show_error(error)
    publish(["upsell_by"])


def _upsell(dataset: Dataset, filters: Filters, by: str | None) -> None:
    overall = services.compute(upsell_table, dataset, filters, by=None, whole_range=True)
    if overall.empty:
        st.info(t("No customer bought a product in these filters."))
        return
    row = overall.iloc[0]
    cards = st.columns(3)
    cards[0].metric(t("Upsell ratio"), _number(row["upsell_ratio"]))
    cards[1].metric(t("Customers with several products"),
                    _count(row["several_products_customers"]))
    cards[2].metric(t("Customers with one product"), _count(row["one_product_customers"]))
    chart_explainer("upsell_cards", ["upsell_ratio", "upsell_several_products_customers",
                                     "upsell_one_product_customers"], dataset, filters,
                    dataset.currency)
    start, end = format_day(row["period_start"]), format_day(row["period_end"])
    st.caption(t("Upsell ratio = customers who have bought more than one product ÷ "
                 "customers who have bought exactly one. The customers of a period are "
                 "those with a purchase in it; each counts the distinct products bought from "
                 "their first purchase up to the period's last day. Above: everyone with a "
                 "purchase from {start} to {end}.", start=start, end=end))
    table = services.compute(upsell_table, dataset, filters, by=by)
    show_chart(upsell_chart(table, filters.period, group_name if by else
                            (lambda _: t("All customers"))),
               width="stretch", key="upsell_chart")
    chart_explainer("upsell_chart", ["upsell_ratio", "upsell_active_customers",
                                     "upsell_one_product_customers",
                                     "upsell_several_products_customers"], dataset, filters,
                    dataset.currency, periods=sorted(set(table["period_start"])),
                    period_name=lambda day: period_label(filters.period, day),
                    groups=sorted({segment_group(by, v) for v in table["group_value"]})
                    if by else (), group_name=_segment_value_name(by or ""))
    shown = table.iloc[::-1]
    frame = {t("Period"): [period_label(filters.period, d) for d in shown["period_start"]]}
    if by:
        frame[plain(segment_label(by))] = [group_name(v) for v in shown["group_value"]]
    frame |= {
        t("Customers with a purchase"): [_count(v) for v in shown["active_customers"]],
        t("With one product"): [_count(v) for v in shown["one_product_customers"]],
        t("With several products"): [_count(v) for v in shown["several_products_customers"]],
        t("Upsell ratio"): [_number(v) for v in shown["upsell_ratio"]],
    }
    data_table(pd.DataFrame(frame), hide_index=True, width="stretch")
    download_buttons(table, "upsell", key="upsell_download")


def _next_products(dataset: Dataset, filters: Filters) -> None:
    st.subheader(t("What customers buy next"))
    pairs = services.compute(next_products, dataset, filters)
    if pairs.empty:
        st.info(t("No customer whose first purchase is in the date range has come back "
                  "yet."))
        return
    top = top_next_products(pairs)
    show_chart(next_products_chart(top), width="stretch", key="next_products_chart")
    chart_explainer("next_products", ["next_product_share", "next_product_customers",
                                      "first_product_customers", "first_product_returning"],
                    dataset, filters, dataset.currency,
                    groups=_drawn_pairs(top))
    data_table(pd.DataFrame({
        t("First product"): top["first_product"],
        t("New customers"): [_count(v) for v in top["first_customers"]],
        t("Came back"): [_count(v) for v in top["returning_customers"]],
        t("Most frequent next product"): top["next_product"],
        t("Share of the next product"): [_percent(v) for v in top["next_share_pct"]],
        t("Bought the same again"): [_percent(v) for v in top["same_share_pct"]],
        t("Most frequent other product"): [v if isinstance(v, str) else "–"
                                           for v in top["other_product"]],
        t("Share of the other product"): [_percent(v) for v in top["other_share_pct"]],
    }), hide_index=True, width="stretch")
    st.caption(t("Customers whose first purchase falls in the date range: the products of "
                 "their second purchase day (up to the range's end), as a share of those who "
                 "came back. A second purchase with several products counts for each."))
    download_buttons(pairs, "next-products", key="next_products_download")


def _drawn_pairs(top: pd.DataFrame) -> list[str]:
    """The pairs the next-products chart draws, as explain() names them: each first
    product bought again (when someone did), and its most frequent other product."""
    pairs = []
    for record in top.to_dict(orient="records"):
        first = record["first_product"]
        if record["same_share_pct"]:
            pairs.append(pair_group(first, first))
        if isinstance(record["other_product"], str):
            pairs.append(pair_group(first, record["other_product"]))
    return pairs


# -- the loyalty programme -------------------------------------------------------------


def programme_view(view: View, dataset: Dataset, filters: Filters) -> None:
    """Members against non-members, enrolment by segment, redemption, and AOV with and
    without points."""
    st.subheader(t("Loyalty programme"))
    if membership_source(dataset) is None:
        st.info(t("This view compares loyalty-programme members with everyone else. Upload "
                  "the orders on the Data page with a Loyalty member (yes/no) or Points "
                  "redeemed column, or a customers file with a Loyalty tier, to see it."),
                icon=":material/info:")
        return
    splits = [k for k in view.segment_options if k != MEMBER_SEGMENT]
    default = "channel" if "channel" in splits else (splits[0] if splits else "")
    options = ["", *splits]
    seed_from_url("enrol_by", default, parse_choice(options), t("enrolment split"),
                  options=options)
    try:
        _programme(dataset, filters, options)
    except LoyaltyLensError as error:
        show_error(error)
    publish(["enrol_by"])


def _programme(dataset: Dataset, filters: Filters, options: list[str]) -> None:
    by = st.session_state["enrol_by"] or None
    result = services.compute(programme_comparison, dataset, filters, by=by)
    groups = result.groups
    start, end = format_day(result.selection_start), format_day(result.selection_end)
    st.caption(plain(result.membership_rule))
    if result.unrecognised_orders:
        show_warning(t("{n} orders in the date range have a member value that is neither yes "
                       "nor no (for example “{value}”): they count as not a member.",
                       n=format_number(result.unrecognised_orders),
                       value=result.unrecognised_example))
    if groups["customers"].sum() == 0:
        st.info(t("No customer bought in these filters."))
        return
    currency = dataset.currency
    show_chart(programme_chart(groups, currency), width="stretch",
               key="programme_chart")
    chart_explainer("programme", ["programme_retention", "programme_aov",
                                  "programme_purchase_frequency",
                                  "programme_revenue_per_customer", "programme_customers"],
                    dataset, filters, currency, groups=[MEMBERS, NON_MEMBERS],
                    group_name=_programme_group_name)
    data_table(pd.DataFrame({
        t("Group"): [t("Members") if m else t("Non-members") for m in groups["member"]],
        t("Customers"): [_count(v) for v in groups["customers"]],
        t("Still in the base at the end"): [_percent(v) for v in groups["retention_pct"]],
        t("Average order value"): [_money(v, currency) for v in groups["aov"]],
        t("Purchases per customer"): [_number(v) for v in groups["purchase_frequency"]],
        t("Revenue per customer (CLV to date)"): [_money(v, currency)
                                                  for v in groups["revenue_per_customer"]],
    }), hide_index=True, width="stretch")
    st.caption(t("Customers with a purchase from {start} to {end}. Still in the base: their "
                 "latest purchase is at most W = {w} days before {end}. Purchases per "
                 "customer = purchases ÷ customers; revenue per customer = revenue (refunds "
                 "subtracted) ÷ customers.", start=start, end=end, w=filters.inactivity_days))
    tests = {t("Retention"): result.tests["retention"],
             t("Average order value"): result.tests["aov"],
             t("Purchases per customer"): result.tests["purchase_frequency"]}
    st.caption("  \n".join(_test_line(name, test) for name, test in tests.items()),
               help=_test_help(tests))
    download_buttons(groups.assign(member=[t("Members") if m else t("Non-members")
                                           for m in groups["member"]]),
                     "loyalty-programme", key="programme_download")

    st.subheader(t("Enrolment by segment"))
    st.selectbox(t("Enrolment by"), options, key="enrol_by",
                 format_func=lambda k: t("Nothing") if k == "" else segment_label(k))
    enrolment = result.enrolment
    if by is None or enrolment is None:
        st.caption(t("Choose a segment to see which share of its customers are members."))
    elif not enrolment.empty:
        label = segment_label(by)
        show_chart(enrolment_chart(enrolment, group_name, label), width="stretch",
                   key="enrolment_chart")
        chart_explainer("enrolment", ["enrolment_share", "enrolment_members",
                                      "enrolment_customers"], dataset, filters, currency,
                        groups=[segment_group(by, v) for v in enrolment["group_value"]],
                        group_name=_segment_value_name(by))
        data_table(pd.DataFrame({
            plain(label): [group_name(v) for v in enrolment["group_value"]],
            t("Customers"): [_count(v) for v in enrolment["customers"]],
            t("Members"): [_count(v) for v in enrolment["members"]],
            t("Enrolment"): [_percent(v) for v in enrolment["enrolment_pct"]],
        }), hide_index=True, width="stretch")
        download_buttons(enrolment, "enrolment", key="enrolment_download")

    st.subheader(t("Points redeemed"))
    redemption, points_aov = result.redemption, result.points_aov
    if redemption is None or points_aov is None:
        st.info(t("Upload the orders with a Points redeemed column to see how members use "
                  "their points."), icon=":material/info:")
        return
    cards = st.columns(3)
    cards[0].metric(t("Redemption rate"), _percent(redemption.redemption_rate_pct),
                    help=t("Members' purchases with points redeemed ÷ members' purchases."))
    cards[1].metric(t("Members who redeemed"), _percent(redemption.redeemers_pct),
                    help=t("Members who redeemed points at least once in the date range ÷ "
                           "members."))
    cards[2].metric(t("Members' purchases with points"),
                    _count(redemption.redeemed_purchases))
    chart_explainer("redemption", ["redemption_rate", "redeemers_share",
                                   "redeemed_purchases"], dataset, filters, currency)
    show_chart(points_aov_chart(points_aov, currency), width="stretch",
               key="points_aov_chart")
    chart_explainer("points_aov", ["points_aov", "points_purchases", "points_revenue"],
                    dataset, filters, currency, groups=[WITH_POINTS, WITHOUT_POINTS],
                    group_name=_programme_group_name)
    data_table(pd.DataFrame({
        t("Purchases"): [t("With points redeemed") if r else t("Without points")
                         for r in points_aov["points_redeemed"]],
        t("Count"): [_count(v) for v in points_aov["purchases"]],
        t("Revenue"): [_money(v, currency) for v in points_aov["revenue"]],
        t("Average order value"): [_money(v, currency) for v in points_aov["aov"]],
    }), hide_index=True, width="stretch")
    name = t("Difference in average order value")
    st.caption(t("Every purchase from {start} to {end}, members' and others'. ", start=start,
                 end=end) + _test_line(name, result.points_aov_test),
               help=_test_help({name: result.points_aov_test}))
    download_buttons(points_aov, "points-aov", key="points_aov_download")


# -- the retention uplift simulator ----------------------------------------------------


def simulator_view(view: View, dataset: Dataset, filters: Filters) -> None:
    """What a retention gain does to customers, revenue, profit and CLV over 1-3 years,
    from today's figures (the last 12 months of the date range)."""
    st.subheader(t("Retention uplift simulator"))
    seed_from_url("sim_gain", int(SEED_RETENTION_GAIN_PP), parse_int(0, 20),
                  t("retention gain"))
    seed_from_url("sim_margin", DEFAULT_GROSS_MARGIN_PCT, parse_int(0, 100),
                  t("gross margin"))
    seed_from_url("sim_cost", 0, parse_int(0, MAX_PROGRAMME_COST), t("programme cost"))
    seed_from_url("sim_years", 3, parse_int(1, 3), t("years"))
    columns = st.columns(4)
    columns[0].slider(t("Retention gain (points)"), 0, 20, key="sim_gain",
                      help=t("Points added to the annual retention rate."))
    columns[1].slider(t("Gross margin (%)"), 0, 100, key="sim_margin")
    columns[2].number_input(t("Programme cost a year ({currency})",
                              currency=dataset.currency or t("amount")),
                            min_value=0, max_value=MAX_PROGRAMME_COST, step=1000,
                            key="sim_cost")
    columns[3].slider(t("Years"), 1, 3, key="sim_years")
    try:
        _simulate(dataset, filters)
    except LoyaltyLensError as error:
        show_error(error)
    publish(["sim_gain", "sim_margin", "sim_cost", "sim_years"])


def _simulate(dataset: Dataset, filters: Filters) -> None:
    today = services.compute(baseline, dataset, filters)
    gain, margin = st.session_state["sim_gain"], st.session_state["sim_margin"] / 100
    cost, years = float(st.session_state["sim_cost"]), int(st.session_state["sim_years"])
    rows = simulate(today, gain, margin, cost, years=years)
    currency = dataset.currency
    base = rows[rows["scenario"] == "baseline"].set_index("year")
    scenario = rows[rows["scenario"] == "scenario"].set_index("year")
    last = scenario.loc[years]
    cards = st.columns(4)
    cards[0].metric(t("Profit uplift in year {year}", year=years),
                    _percent(last["profit_uplift_pct"]))
    cards[1].metric(t("Profit uplift over {years} years", years=years),
                    _percent(last["cumulative_profit_uplift_pct"]))
    clv_change = _money(last["clv"] - base.loc[years, "clv"], currency)
    cards[2].metric(t("CLV per customer"), _money(last["clv"], currency), delta=clv_change,
                    **change_style(clv_change))
    customers_change = _count(round(last["customers"] - base.loc[years, "customers"]))
    cards[3].metric(t("Customers in the base in year {year}", year=years),
                    _count(round(last["customers"])), delta=customers_change,
                    **change_style(customers_change))
    scenarios = _scenarios(gain, margin, cost)
    _simulator_explainer("simulator_cards", ["simulated_profit_uplift",
                                             "simulated_cumulative_profit_uplift",
                                             "simulated_clv", "simulated_customers"],
                         dataset, filters, scenarios, [years])
    st.caption(t(
        "Today, measured from {start} to {end} (W = {w} days): {customers} customers in "
        "the base, annual retention {retention} ({retained} of the {start_customers} in "
        "the base a year before are still in it), {joining} customers joining the base a "
        "year ({new} of them new), revenue per customer {revenue} a year.",
        start=format_day(today.window_start), end=format_day(today.window_end),
        w=filters.inactivity_days, customers=_count(today.customers),
        retention=_percent(100 * today.retention_rate),
        retained=_count(today.retained_customers),
        start_customers=_count(today.start_customers),
        joining=_count(round(today.joining_per_year)), new=_count(today.new_customers),
        revenue=_money(today.revenue_per_customer, currency)))
    columns = st.columns(2)
    money = currency or t("amount")
    with columns[0]:
        show_chart(simulator_chart(rows, "profit", t("Profit a year"),
                                   t("Profit ({currency})", currency=money)),
                   width="stretch", key="simulator_profit_chart")
        _simulator_explainer("simulator_profit", [
            "simulated_profit", "simulated_revenue", "simulated_gross_profit",
            "simulated_programme_cost", "simulated_profit_uplift"], dataset, filters,
            scenarios, list(range(years + 1)))
    with columns[1]:
        show_chart(simulator_chart(rows, "customers", t("Customers in the base"),
                                   t("Customers")),
                   width="stretch", key="simulator_customers_chart")
        _simulator_explainer("simulator_customers", [
            "simulated_customers", "simulated_retention_rate", "simulated_clv",
            "baseline_joining_per_year", "baseline_revenue_per_customer"], dataset, filters,
            scenarios, list(range(years + 1)))
    shown = rows[rows["year"] > 0]
    data_table(pd.DataFrame({
        t("Year"): shown["year"],
        t("Scenario"): [t("Today's retention") if s == "baseline" else
                        t("With the retention gain") for s in shown["scenario"]],
        t("Retention"): [_percent(100 * v) for v in shown["retention_rate"]],
        t("Customers"): [_count(round(v)) for v in shown["customers"]],
        t("Revenue"): [_money(v, currency) for v in shown["revenue"]],
        t("Gross profit"): [_money(v, currency) for v in shown["gross_profit"]],
        t("Programme cost"): [_money(v, currency) for v in shown["programme_cost"]],
        t("Profit"): [_money(v, currency) for v in shown["profit"]],
        t("Profit uplift"): [_percent(v) for v in shown["profit_uplift_pct"]],
        t("CLV"): [_money(v, currency) for v in shown["clv"]],
    }), hide_index=True, width="stretch")
    download_buttons(rows, "retention-simulator", key="simulator_download")
    st.markdown(plain(t(
        "Assumptions: each year the base keeps a share r of itself (annual retention, "
        "{retention} today, {scenario} with the gain, at most {cap}) and gains {joining} "
        "customers, as today: customers(t) = customers(t−1) × r + {joining}. Revenue of a "
        "year = the average of the base at its start and end × {revenue} per customer, as "
        "today. Profit = revenue × gross margin {margin} − the programme cost {cost} a year "
        "(scenario only). CLV = gross margin × revenue per customer a year × expected "
        "lifetime 1 ÷ (1 − r), capped at 10 years. Customers who stay longer are assumed "
        "to spend as much a year as today's.",
        retention=_percent(100 * base.loc[0, "retention_rate"]),
        scenario=_percent(100 * last["retention_rate"]),
        cap=_percent(100 * MAX_RETENTION_RATE),
        joining=_count(round(today.joining_per_year)),
        revenue=_money(today.revenue_per_customer, currency),
        margin=_percent(100 * margin), cost=_money(cost, currency))))
    _seed_claim(today, margin, years)


def _scenarios(gain: float, margin: float, cost: float) -> dict[str, str]:
    """The simulator's two lines as explain() names them (one when they are the same)."""
    return {scenario_group(gain, 100 * margin, cost): t("With the retention gain"),
            scenario_group(0, 100 * margin, 0): t("Today's retention")}


def _simulator_explainer(key: str, metric_ids: list[str], dataset: Dataset,
                         filters: Filters, scenarios: dict[str, str], years: list[int]
                         ) -> None:
    chart_explainer(key, metric_ids, dataset, filters, dataset.currency, offsets=years,
                    groups=list(scenarios), group_name=scenarios.__getitem__,
                    offset_label=t("Year"))


def _seed_claim(today: Baseline, margin: float, years: int) -> None:
    """The seed's claim beside the user's own number for the same gain."""
    claim = simulate(today, SEED_RETENTION_GAIN_PP, margin, 0.0, years=years)
    scenario = claim[claim["scenario"] == "scenario"].set_index("year").loc[years]
    baseline_clv = claim[claim["scenario"] == "baseline"].set_index("year").loc[years, "clv"]
    clv_uplift = (100 * (scenario["clv"] - baseline_clv) / baseline_clv
                  if baseline_clv else None)
    low, high = SEED_PROFIT_UPLIFT_PCT
    st.info(plain(t(
        "Bain & Company's claim: {gain} points more retention raise profit by {low}% to "
        "{high}% (marketing articles quote 25%, and 25% to 35%). With your data and no "
        "programme cost, {gain} points more raise profit by {year_uplift} in year {years} "
        "({total_uplift} over {years} years) "
        "and the CLV by {clv_uplift}. Bain's figure is the profit of a customer over a "
        "longer relationship, in which loyal customers also buy more and cost less to "
        "serve; this model keeps spending per customer as it is today, so it shows less.",
        gain=format_number(SEED_RETENTION_GAIN_PP, "0.######"),
        low=format_number(low, "0.######"), high=format_number(high, "0.######"),
        year_uplift=_percent(scenario["profit_uplift_pct"]), years=years,
        total_uplift=_percent(scenario["cumulative_profit_uplift_pct"]),
        clv_uplift=_percent(clv_uplift))), icon=":material/lightbulb:")
