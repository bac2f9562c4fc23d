"""The loyalty views and the retention uplift simulator explained (:data:`LOYALTY`): the
loyalty types, the upsell ratio, the next-product pairs, the programme (members against
non-members, redemption, enrolment, AOV with and without points) and the simulator's
figures.

Each figure's value and inputs come from one query, the query of its metric function
(:mod:`metrics.loyalty`, :mod:`metrics.simulator`) narrowed to the number asked for (a
loyalty type, a period and segment value, a product pair, members or non-members, ...);
the rows behind it from a second query whose 0/1 and sum columns total the inputs. The
simulator's figures are computed in Python from the baseline's SQL-computed figures and
the scenario the user chose: its inputs are both, its SQL the baseline's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

from metrics.clv.simple import clv_window
from metrics.definitions import LOYALTY, Metric
from metrics.errors import InputError
from metrics.explain.base import (
    At,
    Compute,
    Explanation,
    Family,
    Formula,
    Inputs,
    explanation,
    first_row,
    number,
    ratio_of,
    same,
    value_of,
)
from metrics.i18n import N_, t
from metrics.loyalty import (
    LOYALTY_TYPES,
    loyalty_types_query,
    next_products,
    next_products_query,
    points_aov_query,
    programme_query,
    selection_window,
    upsell_query,
    upsell_table,
)
from metrics.query.filters import Filters
from metrics.query.run import query_frame, query_row
from metrics.query.segments import segment_dimensions
from metrics.query.sql import bind, load_sql, period_index, period_start_of_index, piece
from metrics.simulator import Baseline, baseline_of, baseline_query, simulate
from metrics.store import Dataset, Store

# The views (Formula.rows) of the loyalty figures: which query a figure narrows.
TYPES, UPSELL, NEXT, PROGRAMME, ENROLMENT, POINTS, SIMULATOR = (
    "loyalty_types", "upsell", "next_products", "programme", "enrolment", "points",
    "simulator")

# The groups of the programme view and of the AOV with and without points, as explain()'s
# ``group`` names them.
MEMBERS, NON_MEMBERS = "members", "non-members"
WITH_POINTS, WITHOUT_POINTS = "with points", "without points"
# A product pair as ``group``: "first product → next product".
PAIR_SEPARATOR = " → "
# A segment value as ``group``: "<segment key>=<value>" (an empty value: not set).
SEGMENT_SEPARATOR = "="
# The simulator's years (explain()'s ``offset``): 0 (today) to the most it projects.
MAX_SIMULATED_YEARS = 10
# The parameters of a simulator scenario as ``group``, e.g. "gain=5,margin=30,cost=0": the
# retention gain in points, the gross margin in percent and the programme's cost a year.
SCENARIO_KEYS = ("gain", "margin", "cost")


# -- formulas ------------------------------------------------------------------------------


def _type(inputs: tuple[str, ...], compute: Compute, text: str, value_sql: str,
          everyone: bool = False) -> Formula:
    return Formula(inputs, compute, text, rows=TYPES, value_sql=value_sql,
                   row_condition="TRUE" if everyone else "loyalty_type = $explained_group")


def _group(view: str, inputs: tuple[str, ...], compute: Compute, text: str,
           value_sql: str, row_condition: str) -> Formula:
    return Formula(inputs, compute, text, rows=view, value_sql=value_sql,
                   row_condition=row_condition)


_MEMBER_ROWS = "member = $explained_member"
_SEGMENT_ROWS = "group_value IS NOT DISTINCT FROM CAST($explained_group AS VARCHAR)"
_MEMBERS_ONLY = "member"


def _ratio_sql(numerator: str, denominator: str, scale: str = "") -> str:
    return f"{scale}CAST({numerator} AS DOUBLE) / NULLIF({denominator}, 0)"


def _simulated(column: str, inputs: Inputs) -> float | None:
    """One figure of the simulator's year ``inputs["year"]`` for the scenario of the
    inputs, by :func:`metrics.simulator.simulate` from the baseline's inputs."""
    year = int(value_of(inputs, "year"))
    rows = simulate(_baseline(inputs), value_of(inputs, "retention_gain_pp"),
                    value_of(inputs, "gross_margin_pct") / 100,
                    value_of(inputs, "programme_cost"), years=max(year, 1))
    row = rows[(rows["scenario"] == "scenario") & (rows["year"] == year)].iloc[0]
    value = 100 * row["retention_rate"] if column == "retention_pct" else row[column]
    return number(value)


def _baseline_figure(attribute: str, inputs: Inputs) -> float | None:
    """A figure of today's baseline derived from its measured inputs."""
    return number(getattr(_baseline(inputs), attribute))


def _baseline(inputs: Inputs) -> Baseline:
    """The :class:`metrics.simulator.Baseline` of the inputs (its window's dates do not
    enter any figure)."""
    count = partial(value_of, inputs)
    return Baseline(date.min, date.min, count("years_covered"), int(count("end_customers")),
                    int(count("start_customers")), int(count("retained_customers")),
                    int(count("new_customers")), count("revenue"))


_BASELINE_INPUTS = ("start_customers", "retained_customers", "end_customers",
                    "new_customers", "revenue", "years_covered")
_SCENARIO_INPUTS = ("retention_gain_pp", "gross_margin_pct", "programme_cost", "year")
_SIMULATION_TEXT = (
    "computed from the inputs by the simulator's model: annual retention r = "
    "(retained ÷ S) ^ (1 ÷ years covered) + the gain (at most 99%); customers joining a "
    "year n = (E − retained) ÷ years covered; revenue per customer a year v = revenue ÷ "
    "years covered ÷ ((S + E) ÷ 2); customers(t) = customers(t−1) × r + n from E; "
    "revenue(t) = (customers(t−1) + customers(t)) ÷ 2 × v; profit = margin × revenue − "
    "cost; CLV = margin × v × min(1 ÷ (1 − r), 10). This figure: {figure}")


def _simulation(column: str, figure: str) -> Formula:
    return Formula(_BASELINE_INPUTS + _SCENARIO_INPUTS, partial(_simulated, column),
                   _SIMULATION_TEXT.replace("{figure}", figure), rows=SIMULATOR)


def _baseline_formula(attribute: str, text: str) -> Formula:
    return Formula(_BASELINE_INPUTS, partial(_baseline_figure, attribute), text,
                   rows=SIMULATOR)


_TYPE_SHARE = _ratio_sql("type_customers", "typed_customers", "100.0 * ")
_GROUP_RATES = {
    "programme_retention": _ratio_sql("group_retained", "programme_customers", "100.0 * "),
    "programme_purchase_frequency": _ratio_sql("group_purchases", "programme_customers"),
    "programme_aov": _ratio_sql("group_revenue", "group_purchases"),
    "programme_revenue_per_customer": _ratio_sql("group_revenue", "programme_customers"),
}

FORMULAS: dict[str, Formula] = {
    "loyalty_type_customers": _type(("type_customers",), same("type_customers"),
                                    "the number of the type's customers below",
                                    "type_customers"),
    "loyalty_type_share": _type(("type_customers", "typed_customers"),
                                ratio_of("type_customers", "typed_customers", 100.0),
                                "the type's customers ÷ every typed customer × 100",
                                _TYPE_SHARE, everyone=True),
    "loyalty_type_retention": _type(
        ("type_retained", "type_customers"),
        ratio_of("type_retained", "type_customers", 100.0),
        "the type's customers still in the base ÷ the type's customers × 100",
        _ratio_sql("type_retained", "type_customers", "100.0 * ")),
    "loyalty_type_purchase_frequency": _type(
        ("type_purchases", "type_customers"), ratio_of("type_purchases", "type_customers"),
        "the type's purchases ÷ the type's customers",
        _ratio_sql("type_purchases", "type_customers")),
    "loyalty_type_aov": _type(
        ("type_revenue", "type_purchases"), ratio_of("type_revenue", "type_purchases"),
        "the type's revenue ÷ the type's purchases",
        _ratio_sql("type_revenue", "type_purchases")),
    "loyalty_type_revenue_per_customer": _type(
        ("type_revenue", "type_customers"), ratio_of("type_revenue", "type_customers"),
        "the type's revenue ÷ the type's customers",
        _ratio_sql("type_revenue", "type_customers")),
    "upsell_ratio": _group(
        UPSELL, ("upsell_several_products_customers", "upsell_one_product_customers"),
        ratio_of("upsell_several_products_customers", "upsell_one_product_customers"),
        "customers with several products ÷ customers with one product", "upsell_ratio",
        "TRUE"),
    **{metric_id: _group(UPSELL, (metric_id,), same(metric_id),
                         "the number of customers below with a 1 in its column", column,
                         "TRUE")
       for metric_id, column in (
           ("upsell_active_customers", "active_customers"),
           ("upsell_one_product_customers", "one_product_customers"),
           ("upsell_several_products_customers", "several_products_customers"))},
    "next_product_share": _group(
        NEXT, ("next_product_customers", "first_product_returning"),
        ratio_of("next_product_customers", "first_product_returning", 100.0),
        "customers with the pair ÷ customers with the first product who came back × 100",
        "share_pct", "TRUE"),
    **{metric_id: _group(NEXT, (metric_id,), same(metric_id),
                         "the number of customers below with a 1 in its column", column,
                         "TRUE")
       for metric_id, column in (("next_product_customers", "customers"),
                                 ("first_product_customers", "first_customers"),
                                 ("first_product_returning", "returning_customers"))},
    "programme_customers": _group(PROGRAMME, ("programme_customers",),
                                  same("programme_customers"),
                                  "the number of the group's customers below",
                                  "programme_customers", _MEMBER_ROWS),
    "programme_retention": _group(
        PROGRAMME, ("group_retained", "programme_customers"),
        ratio_of("group_retained", "programme_customers", 100.0),
        "the group's customers still in the base ÷ the group's customers × 100",
        _GROUP_RATES["programme_retention"], _MEMBER_ROWS),
    "programme_purchase_frequency": _group(
        PROGRAMME, ("group_purchases", "programme_customers"),
        ratio_of("group_purchases", "programme_customers"),
        "the group's purchases ÷ the group's customers",
        _GROUP_RATES["programme_purchase_frequency"], _MEMBER_ROWS),
    "programme_aov": _group(
        PROGRAMME, ("group_revenue", "group_purchases"),
        ratio_of("group_revenue", "group_purchases"),
        "the group's revenue ÷ the group's purchases", _GROUP_RATES["programme_aov"],
        _MEMBER_ROWS),
    "programme_revenue_per_customer": _group(
        PROGRAMME, ("group_revenue", "programme_customers"),
        ratio_of("group_revenue", "programme_customers"),
        "the group's revenue ÷ the group's customers",
        _GROUP_RATES["programme_revenue_per_customer"], _MEMBER_ROWS),
    "redemption_rate": _group(
        PROGRAMME, ("redeemed_purchases", "group_purchases"),
        ratio_of("redeemed_purchases", "group_purchases", 100.0),
        "members' purchases with points redeemed ÷ members' purchases × 100",
        _ratio_sql("redeemed_purchases", "group_purchases", "100.0 * "), _MEMBERS_ONLY),
    "redeemers_share": _group(
        PROGRAMME, ("group_redeemers", "programme_customers"),
        ratio_of("group_redeemers", "programme_customers", 100.0),
        "members who redeemed points ÷ members × 100",
        _ratio_sql("group_redeemers", "programme_customers", "100.0 * "), _MEMBERS_ONLY),
    "redeemed_purchases": _group(
        PROGRAMME, ("redeemed_purchases",), same("redeemed_purchases"),
        "the sum of the members' purchases with points below", "redeemed_purchases",
        _MEMBERS_ONLY),
    "enrolment_share": _group(
        ENROLMENT, ("enrolment_members", "enrolment_customers"),
        ratio_of("enrolment_members", "enrolment_customers", 100.0),
        "the segment value's members ÷ its customers × 100",
        _ratio_sql("enrolment_members", "enrolment_customers", "100.0 * "), _SEGMENT_ROWS),
    "enrolment_members": _group(ENROLMENT, ("enrolment_members",), same("enrolment_members"),
                                "the number of members below", "enrolment_members",
                                _SEGMENT_ROWS),
    "enrolment_customers": _group(ENROLMENT, ("enrolment_customers",),
                                  same("enrolment_customers"),
                                  "the number of customers below", "enrolment_customers",
                                  _SEGMENT_ROWS),
    "points_aov": _group(POINTS, ("points_revenue", "points_purchases"),
                         ratio_of("points_revenue", "points_purchases"),
                         "revenue ÷ purchases of the orders below",
                         _ratio_sql("points_revenue", "points_purchases"), "TRUE"),
    "points_purchases": _group(POINTS, ("points_purchases",), same("points_purchases"),
                               "the purchases below, refunds left out", "points_purchases",
                               "TRUE"),
    "points_revenue": _group(POINTS, ("points_revenue",), same("points_revenue"),
                             "the sum of the amounts below, net of refunds",
                             "points_revenue", "TRUE"),
    "simulated_retention_rate": _simulation("retention_pct", "r × 100"),
    "simulated_customers": _simulation("customers", "customers(t)"),
    "simulated_revenue": _simulation("revenue", "revenue(t)"),
    "simulated_gross_profit": _simulation("gross_profit", "margin × revenue(t)"),
    "simulated_programme_cost": _simulation("programme_cost", "the cost (0 in year 0)"),
    "simulated_profit": _simulation("profit", "profit(t)"),
    "simulated_profit_uplift": _simulation(
        "profit_uplift_pct", "(profit(t) − profit(t) without the gain and the cost) ÷ the "
        "latter × 100"),
    "simulated_cumulative_profit_uplift": _simulation(
        "cumulative_profit_uplift_pct", "as the profit uplift, for the profit summed over "
        "years 1 to t"),
    "simulated_clv": _simulation("clv", "CLV"),
    "baseline_joining_per_year": _baseline_formula(
        "joining_per_year", "(E − retained) ÷ years covered"),
    "baseline_revenue_per_customer": _baseline_formula(
        "revenue_per_customer", "revenue ÷ years covered ÷ ((S + E) ÷ 2)"),
}


# -- which number: the group, period, pair or scenario ---------------------------------


def _one_of(group: str | None, options: tuple[str, ...], what: str) -> str:
    if group is None or group not in options:
        raise InputError(t("Say which {what} to explain: one of {options}.", what=what,
                           options=", ".join(options)))
    return group


def _segment(dataset: Dataset, group: str) -> tuple[str, str | None]:
    """The segment key and value of a group written "<key>=<value>" (an empty value: the
    customers whose value is not set)."""
    for key in sorted(segment_dimensions(dataset), key=len, reverse=True):
        if group.startswith(key + SEGMENT_SEPARATOR):
            return key, group[len(key) + 1:] or None
    raise InputError(t(
        "“{group}” names no segment value: write it as segment=value, the segment one of "
        "{segments}.", group=group, segments=", ".join(sorted(segment_dimensions(dataset)))))


def segment_group(key: str, value: object) -> str:
    """The ``group`` of :func:`metrics.explain.explain` naming a segment value of the
    segment ``key`` (None or empty: not set)."""
    return f"{key}{SEGMENT_SEPARATOR}{'' if value is None else value}"


def pair_group(first_product: str, next_product: str | None = None) -> str:
    """The ``group`` naming a product pair (or a first product alone)."""
    return first_product if next_product is None else (
        f"{first_product}{PAIR_SEPARATOR}{next_product}")


def scenario_group(gain: float, margin_pct: float, cost: float = 0.0) -> str:
    """The ``group`` naming a simulator scenario: the retention gain in points, the gross
    margin in percent and the programme's cost a year (gain and cost 0: today's
    retention)."""
    return f"gain={gain:.15g},margin={margin_pct:.15g},cost={cost:.15g}"


def _scenario(group: str | None) -> dict[str, float]:
    """The gain, margin and cost of a scenario written as :func:`scenario_group` does."""
    example = scenario_group(5, 30)
    if not group:
        raise InputError(t("Say which scenario to explain, for example {example}.",
                           example=example))
    values: dict[str, float] = {"cost": 0.0}
    for part in group.split(","):
        key, _, text = part.partition("=")
        try:
            values[key.strip()] = float(text)
        except ValueError:
            values[key.strip()] = float("nan")
    if (set(values) - set(SCENARIO_KEYS) or not {"gain", "margin"} <= set(values)
            or any(value != value for value in values.values())):
        raise InputError(t("“{group}” is not a scenario: write it as {example} (retention "
                           "gain in points, gross margin in %, programme cost a year).",
                           group=group, example=example))
    return values


# -- the narrowed queries ---------------------------------------------------------------


@dataclass(frozen=True)
class _Narrowed:
    """A view's query narrowed to one number: the ``FROM`` clause its value and inputs
    are selected from (``source``, with ``params``), the query of the rows behind it and
    the days it covers."""

    source: str
    params: dict[str, Any]
    rows_sql: str
    rows_params: dict[str, Any]
    start: date
    end: date
    detail: dict[str, Any]


def _over(subquery: tuple[str, dict[str, Any]], template: str, extra: dict[str, Any],
          **pieces: str) -> tuple[str, dict[str, Any]]:
    """``template`` (a file of metrics/sql) with ``{customers}`` = the metric function's
    query, and the parameters both use."""
    sql, params = subquery
    text = load_sql(template).format(customers=piece(sql), **pieces)
    return text, params | bind(text, extra)


def _types(store: Store, dataset: Dataset, filters: Filters, formula: Formula,
           at: At) -> _Narrowed:
    group = _one_of(at.group, LOYALTY_TYPES, t("loyalty type"))
    query = loyalty_types_query(dataset, filters)
    extra = {"explained_group": group}
    source, params = _over(query, "explain_loyalty_type", extra)
    rows_sql, rows_params = _over(query, "explain_loyalty_type_customers", extra,
                                  row_condition=formula.row_condition)
    start, end = selection_window(dataset, filters)
    return _Narrowed(f"FROM (\n{piece(source)}) AS figures\n", params, rows_sql, rows_params,
                     start, end, {"group": group})


def _programme(store: Store, dataset: Dataset, filters: Filters, formula: Formula,
               at: At) -> _Narrowed:
    by = value = None
    if formula.rows == ENROLMENT:
        if not at.group:
            raise InputError(t("Say which segment value to explain, as segment=value."))
        by, value = _segment(dataset, at.group)
        member = True
    elif formula.row_condition == _MEMBERS_ONLY:
        member = _one_of(at.group or MEMBERS, (MEMBERS,), t("group")) == MEMBERS
    else:
        member = _one_of(at.group, (MEMBERS, NON_MEMBERS), t("group")) == MEMBERS
    query = programme_query(dataset, filters, by)
    extra = {"explained_member": member, "explained_group": value}
    source, params = _over(query, "explain_programme_group", extra)
    condition = _MEMBER_ROWS if formula.row_condition == _MEMBERS_ONLY else (
        formula.row_condition)
    rows_sql, rows_params = _over(query, "explain_programme_customers", extra,
                                  row_condition=condition)
    start, end = selection_window(dataset, filters)
    if by is not None and not query_row(store, f"SELECT enrolment_customers FROM (\n"
                                        f"{piece(source)}) AS figures", params)[0]:
        raise InputError(t("No customer of {group} bought in these filters.",
                           group=at.group))
    return _Narrowed(f"FROM (\n{piece(source)}) AS figures\n", params, rows_sql, rows_params,
                     start, end, {"group": at.group or MEMBERS})


def _points(store: Store, dataset: Dataset, filters: Filters, formula: Formula,
            at: At) -> _Narrowed:
    if "points_redeemed" not in (dataset.tables["orders"].columns
                                 if "orders" in dataset.tables else ()):
        raise InputError(t("The orders have no Points redeemed column, so there are no "
                           "purchases with points to explain."))
    redeemed = _one_of(at.group, (WITH_POINTS, WITHOUT_POINTS), t("group")) == WITH_POINTS
    sql, params = points_aov_query(dataset, filters)
    source = (f"-- The purchases with and without points redeemed (sql/points_aov.sql), "
              f"those of one flag\nSELECT COALESCE(SUM(purchases), 0) AS points_purchases,\n"
              f"    COALESCE(SUM(revenue), 0) AS points_revenue\nFROM (\n{piece(sql)}"
              f") AS points\nWHERE points_redeemed = $explained_redeemed\n")
    rows_sql, rows_params = points_aov_query(dataset, filters, "explain_points_orders")
    extra = {"explained_redeemed": redeemed}
    start, end = selection_window(dataset, filters)
    return _Narrowed(f"FROM (\n{piece(source)}) AS figures\n", params | extra, rows_sql,
                     rows_params | extra, start, end, {"group": at.group})


def _upsell(store: Store, dataset: Dataset, filters: Filters, formula: Formula,
            at: At) -> _Narrowed:
    by, value = _segment(dataset, at.group) if at.group else (None, None)
    whole_range = at.period_start is None
    start, end = selection_window(dataset, filters)
    index = 0
    if at.period_start is not None:
        index = period_index(filters.period, at.period_start)
        start = max(start, period_start_of_index(filters.period, index))
        end = min(end, period_start_of_index(filters.period, index + 1) - timedelta(days=1))
    sql, params = upsell_query(dataset, filters, by, whole_range)
    extra = {"explained_index": index, "explained_group": value}
    source = (f"FROM (\n{piece(sql)}) AS upsell\nWHERE upsell.period_index = $explained_index"
              f"\n    AND upsell.group_value IS NOT DISTINCT FROM "
              f"CAST($explained_group AS VARCHAR)\n")
    rows_sql, rows_params = upsell_query(dataset, filters, by, whole_range,
                                         final="explain_upsell_customers")
    return _Narrowed(source, params | extra, rows_sql, rows_params | extra, start, end,
                     {"group": at.group} if at.group else {})


def _missing_upsell(store: Store, dataset: Dataset, filters: Filters, at: At) -> str:
    """Which periods and groups the upsell table has, for the sentence of a missing one."""
    by = _segment(dataset, at.group)[0] if at.group else None
    table = upsell_table(store, dataset, filters, by=by, whole_range=at.period_start is None)
    periods = sorted({day.isoformat() for day in table["period_start"]})
    groups = sorted({segment_group(by, v) for v in table["group_value"]}) if by else []
    return t("No customer with a purchase naming a product stands behind that number; the "
             "table has the periods {periods}{groups}.", periods=", ".join(periods) or "–",
             groups=t(" and the groups {groups}", groups=", ".join(groups)) if groups else "")


def _next(store: Store, dataset: Dataset, filters: Filters, formula: Formula,
          at: At) -> _Narrowed:
    if not at.group:
        raise InputError(t("Say which product pair to explain, as first product{arrow}next "
                           "product.", arrow=PAIR_SEPARATOR))
    first, _, following = at.group.partition(PAIR_SEPARATOR)
    pair = formula.inputs[0] == "next_product_customers"
    if pair and not following:
        raise InputError(t("Say which product pair to explain, as first product{arrow}next "
                           "product.", arrow=PAIR_SEPARATOR))
    sql, params = next_products_query(dataset, filters)
    extra = {"explained_first": first, "explained_next": following or None}
    condition = "pairs.next_product = $explained_next" if following else "pairs.rank = 1"
    source = (f"FROM (\n{piece(sql)}) AS pairs\nWHERE pairs.first_product = $explained_first "
              f"AND {condition}\n")
    rows_sql, rows_params = next_products_query(dataset, filters,
                                                final="explain_next_product_customers")
    start, end = selection_window(dataset, filters)
    return _Narrowed(source, params | bind(source, extra), rows_sql,
                     rows_params | bind(rows_sql, extra), start, end, {"group": at.group})


def _missing_pair(store: Store, dataset: Dataset, filters: Filters, at: At) -> str:
    pairs = next_products(store, dataset, filters)
    named = [pair_group(a, b) for a, b in zip(pairs["first_product"], pairs["next_product"],
                                              strict=True)][:20]
    return t("No customer bought that pair; the pairs there are include {pairs}.",
             pairs=", ".join(named) or "–")


@dataclass(frozen=True)
class _View:
    """How a view narrows its query (``narrow``), which of its columns holds a figure
    (``columns``: a metric or input id -> its column, when not the id itself), and the
    sentence for a number it does not have (``missing``)."""

    narrow: Callable[[Store, Dataset, Filters, Formula, At], _Narrowed]
    columns: Mapping[str, str]
    missing: Callable[[Store, Dataset, Filters, At], str] | None = None


_VIEWS: dict[str, _View] = {
    TYPES: _View(_types, {}),
    PROGRAMME: _View(_programme, {}),
    ENROLMENT: _View(_programme, {}),
    POINTS: _View(_points, {}),
    UPSELL: _View(_upsell, {"upsell_active_customers": "active_customers",
                            "upsell_one_product_customers": "one_product_customers",
                            "upsell_several_products_customers":
                                "several_products_customers"}, _missing_upsell),
    NEXT: _View(_next, {"next_product_customers": "customers",
                        "first_product_customers": "first_customers",
                        "first_product_returning": "returning_customers"}, _missing_pair),
}


def _explain_view(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
                  filters: Filters, at: At) -> Explanation:
    view = _VIEWS[formula.rows]
    narrowed = view.narrow(store, dataset, filters, formula, at)
    select = ", ".join([f"{formula.value_sql} AS {metric.id}",
                        *(f"{view.columns.get(name, name)} AS {name}"
                          for name in formula.inputs)])
    sql = (f"-- {metric.name}: one number of its table (metrics/loyalty.py), the value and "
           f"its inputs\nSELECT {select}\n{narrowed.source}")
    found = query_frame(store, sql, narrowed.params)
    if found.empty:
        assert view.missing is not None  # the other views aggregate: always one row
        raise InputError(view.missing(store, dataset, filters, at))
    values = dict(zip((metric.id, *formula.inputs),
                      (number(v) for v in found.iloc[0]), strict=True))
    return _explanation(store, metric, formula, filters, narrowed, sql, values)


def _explanation(store: Store, metric: Metric, formula: Formula, filters: Filters,
                 narrowed: _Narrowed, sql: str, values: dict[str, float | None]
                 ) -> Explanation:
    return explanation(store, metric, formula, filters, (narrowed.start, narrowed.end),
                       values, (sql, narrowed.params),
                       (narrowed.rows_sql, narrowed.rows_params), detail=narrowed.detail)


def _explain_simulator(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
                       filters: Filters, at: At) -> Explanation:
    """A simulator figure: the baseline's figures from its query, the scenario's from
    ``at`` (``group`` the scenario, ``offset`` the year), the value computed from both."""
    window = clv_window(dataset, filters)
    sql, params = baseline_query(dataset, filters)
    row = query_row(store, sql, params)
    baseline_of(window.start, window.end, window.years, row)  # S = 0: say so
    values: dict[str, float | None] = dict(zip(
        ("start_customers", "retained_customers", "end_customers", "new_customers",
         "revenue"), (number(v) for v in row), strict=True))
    values["years_covered"] = window.years
    detail: dict[str, Any] = {}
    if "year" in formula.inputs:
        scenario = _scenario(at.group)
        if at.offset is None or not 0 <= at.offset <= MAX_SIMULATED_YEARS:
            raise InputError(t("Say which year to explain: 0 (today) to {years}.",
                               years=MAX_SIMULATED_YEARS))
        values |= {"retention_gain_pp": scenario["gain"],
                   "gross_margin_pct": scenario["margin"],
                   "programme_cost": scenario["cost"], "year": float(at.offset)}
        detail = {"offset": at.offset, "group": at.group}
    values[metric.id] = formula.compute(values)
    rows_sql, rows_params = baseline_query(dataset, filters,
                                           final="explain_simulator_customers")
    narrowed = _Narrowed("", params, rows_sql, rows_params, window.start, window.end, detail)
    return _explanation(store, metric, formula, filters, narrowed, sql, values)


def _explain(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
             filters: Filters, at: At) -> Explanation:
    """One loyalty figure with its inputs, the SQL of both and the rows behind them."""
    if formula.rows == SIMULATOR:
        return _explain_simulator(store, dataset, metric, formula, filters, at)
    return _explain_view(store, dataset, metric, formula, filters, at)


# Headers for people of the inputs and rows' columns that are not metrics of the registry.
_COLUMN_LABELS = {
    "type_customers": N_("Customers of the type"),
    "typed_customers": N_("Customers with a purchase in the range"),
    "type_purchases": N_("The type's purchases"),
    "type_revenue": N_("The type's revenue"),
    "type_retained": N_("The type's customers still in the base"),
    "loyalty_type": N_("Type"),
    "discounted_orders": N_("With a discount"),
    "redeemed_orders": N_("With points"),
    "full_price_orders": N_("At full price"),
    "last_purchase": N_("Latest purchase"),
    "group_value": N_("Segment value"),
    "products": N_("Products so far"),
    "group_purchases": N_("The group's purchases"),
    "group_revenue": N_("The group's revenue"),
    "group_retained": N_("The group's customers still in the base"),
    "group_redeemers": N_("Customers who redeemed points"),
    "years_covered": N_("Years covered"),
    "retention_gain_pp": N_("Retention gain (points)"),
    "gross_margin_pct": N_("Gross margin (%)"),
    "programme_cost": N_("Programme cost a year"),
    "year": N_("Year"),
}

def _number_of_row(row: Mapping[str, Any], options: Mapping[str, Any]) -> At | None:
    """A loyalty table's number as its ``group`` names it (a simulator year by its scenario,
    the scenario rows only); the whole range for a table of one row."""
    if "loyalty_type" in row:
        return At(group=row["loyalty_type"])
    if "first_product" in row:
        return At(group=pair_group(row["first_product"], row["next_product"]))
    if "member" in row:
        return At(group=MEMBERS if row["member"] else NON_MEMBERS)
    if "points_redeemed" in row:
        return At(group=WITH_POINTS if row["points_redeemed"] else WITHOUT_POINTS)
    if "scenario" in row:
        if row["scenario"] == "baseline":
            return None
        return At(offset=int(row["year"]), group=scenario_group(
            options["retention_gain_pp"], 100 * options["gross_margin"]))
    if "by" in options:
        return At(group=segment_group(options["by"], row["group_value"]))
    return At()


LOYALTY_FAMILY = Family(
    metrics=LOYALTY, formulas=FORMULAS, explain=_explain, column_labels=_COLUMN_LABELS,
    column_units={"type_purchases": "orders", "type_revenue": "currency",
                  "group_purchases": "orders", "group_revenue": "currency",
                  "programme_cost": "currency", "products": "ratio"},
    example=first_row(_number_of_row),
)
