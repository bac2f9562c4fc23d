"""The Retention page's cohort cells and survival explained: a cell (c, k) of the cohort
table (:data:`CELLS_EXPLAINED`, ``period_start`` = a day of cohort c, ``offset`` = k), the
average of the cells k over the cohorts that completed it (``offset`` = k alone), and
the Kaplan-Meier survival at an age (:data:`SURVIVAL_EXPLAINED`, ``offset`` = the age in
days, ``group`` = one-time or repeat customers; ``options["view"]`` = the customers the
curve follows, as :data:`metrics.survival.SURVIVAL_VIEWS` names them). With
``options["by"]`` a segment, each is the number of the ``group`` (a segment value, None
for customers without one) in the split table, from the same query split the same way.
The value and the inputs come from one
query, the one the metric function runs narrowed to the number asked for: the cohort query
of :func:`metrics.retention.cohort_query` narrowed to one cell, or the lifetimes of
:func:`metrics.survival.lifetime_query` the curve is estimated from, with the curve's
product-limit computed in SQL up to that age. The rows behind them come from a second
query whose columns total the count and sum inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from metrics.definitions import COHORT_AVERAGES, COHORT_CELLS, SURVIVAL, Metric
from metrics.errors import InputError
from metrics.explain.base import (
    At,
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
from metrics.query.filters import Filters, orders_span
from metrics.query.orders import orders_query
from metrics.query.run import query_frame
from metrics.query.sql import (
    bind,
    load_sql,
    period_index,
    period_start_of_index,
    period_start_sql,
    piece,
    quote_ident,
    with_ctes,
)
from metrics.retention import cohort_conditions, cohort_group_sql, cohort_query
from metrics.store import Dataset, Store
from metrics.survival import ONE_TIME, REPEAT, SURVIVAL_VIEWS, SurvivalView, lifetime_query

# Which rows stand behind a number (Formula.rows): the cohort's customers, or the
# customers the survival curve follows.
COHORT_ROWS = "cohort_customers"
SURVIVAL_ROWS = "survival_customers"

# The column of the cohort query (sql/cohort_grid.sql) holding each input of a cell.
_CELL_COLUMNS = {
    "cohort_size": "cohort_size",
    "cohort_active_customers": "active_customers",
    "cohort_active_or_later": "active_or_later",
    "cohort_revenue": "revenue",
    "cohort_first_period_revenue": "first_period_revenue",
    "cumulative_revenue": "cumulative_revenue",
}
# The same in every cell of a cohort: explained at offset 0 when no offset is asked for.
_SAME_AT_EVERY_OFFSET = frozenset({"cohort_size", "cohort_first_period_revenue"})
# The curve's groups explain() knows (metrics.survival's one-time vs repeat view); no group
# is the curve of all customers.
SURVIVAL_GROUPS: tuple[str, ...] = (ONE_TIME, REPEAT)


def _cell(metric_id: str, text: str) -> Formula:
    """A count or sum of a cohort cell: its one input, totalled by the cohort's rows."""
    return Formula((metric_id,), same(metric_id), text, rows=COHORT_ROWS,
                   value_sql=f"cohorts.{_CELL_COLUMNS[metric_id]}")


def _cell_ratio(numerator: str, denominator: str, text: str, value_sql: str = "") -> Formula:
    """A cohort cell's ``100 x numerator / denominator`` (or as ``value_sql`` computes it
    from the cohort query's columns)."""
    scale = 1.0 if value_sql else 100.0
    value_sql = value_sql or (f"{scale} * cohorts.{_CELL_COLUMNS[numerator]}"
                              f" / NULLIF(cohorts.{_CELL_COLUMNS[denominator]}, 0)")
    return Formula((numerator, denominator), ratio_of(numerator, denominator, scale), text,
                   rows=COHORT_ROWS, value_sql=value_sql)


def _average(numerator: str, denominator: str, text: str) -> Formula:
    """An average cell: ``100 x numerator / denominator``, each added up over the cohorts
    that completed the cell (``whole_range``: over every cohort of the range)."""
    return Formula((numerator, denominator), ratio_of(numerator, denominator, 100.0), text,
                   rows=COHORT_ROWS, whole_range=True,
                   value_sql=f"100.0 * SUM(cohorts.{_CELL_COLUMNS[numerator]})"
                             f" / NULLIF(SUM(cohorts.{_CELL_COLUMNS[denominator]}), 0)")


def _survival(i: Inputs) -> float | None:
    """Kaplan-Meier (1958): S(t) = S(t-) x (1 - d / n), d of the n still followed leaving on
    day t; S(t-) is the product of the same factors over the days before t."""
    at_risk = value_of(i, "at_risk")
    if not at_risk:
        return None
    return value_of(i, "survival_before") * (1.0 - value_of(i, "events") / at_risk)


FORMULAS: dict[str, Formula] = {
    "cohort_retention": _cell_ratio(
        "cohort_active_customers", "cohort_size",
        "active customers of the cohort in period c + k ÷ cohort size × 100"),
    "cohort_unbounded_retention": _cell_ratio(
        "cohort_active_or_later", "cohort_size",
        "customers of the cohort active in period c + k or later ÷ cohort size × 100"),
    "cohort_revenue_retention": _cell_ratio(
        "cohort_revenue", "cohort_first_period_revenue",
        "the cohort's revenue in period c + k ÷ its revenue in period c × 100"),
    "cumulative_revenue_per_customer": _cell_ratio(
        "cumulative_revenue", "cohort_size",
        "the cohort's revenue from period c to c + k ÷ cohort size",
        value_sql="cohorts.cumulative_revenue_per_customer"),
    "cohort_size": _cell("cohort_size", "the customers of the cohort below"),
    "cohort_active_customers": _cell(
        "cohort_active_customers", "the customers below with a purchase in period c + k"),
    "cohort_active_or_later": _cell(
        "cohort_active_or_later",
        "the customers below whose last purchase is in period c + k or later"),
    "cohort_revenue": _cell("cohort_revenue",
                            "the sum of the customers' revenues in period c + k below"),
    "cohort_first_period_revenue": _cell(
        "cohort_first_period_revenue", "the sum of the customers' revenues in period c below"),
    "cohort_average_retention": _average(
        "cohort_active_customers", "cohort_size",
        "active customers of the cohorts in period c + k ÷ their sizes × 100, over the "
        "cohorts that completed period c + k"),
    "cohort_average_unbounded_retention": _average(
        "cohort_active_or_later", "cohort_size",
        "customers of the cohorts active in period c + k or later ÷ their sizes × 100, over "
        "the cohorts that completed period c + k"),
    "cohort_average_revenue_retention": _average(
        "cohort_revenue", "cohort_first_period_revenue",
        "the cohorts' revenue in period c + k ÷ their revenue in period c × 100, over the "
        "cohorts that completed period c + k"),
    "survival": Formula(
        ("survival_before", "at_risk", "events"), _survival,
        N_("survival just before day t × (1 − customers who left on day t ÷ customers still "
           "followed on day t); the survival before is the product of the same factor over "
           "every earlier day someone left (Kaplan-Meier; SQL computes the inputs, the chart's "
           "curve comes from SciPy)"),
        rows=SURVIVAL_ROWS),
}

CELLS_EXPLAINED: tuple[Metric, ...] = tuple(
    m for m in COHORT_CELLS + COHORT_AVERAGES if m.id in FORMULAS)
SURVIVAL_EXPLAINED: tuple[Metric, ...] = tuple(m for m in SURVIVAL if m.id in FORMULAS)

# The parameters naming the explained cells (the first and last cohort, the offset) or age
# in the narrowed queries.
FIRST_PARAMETER = "explained_first_cohort"
LAST_PARAMETER = "explained_last_cohort"
OFFSET_PARAMETER = "explained_offset"
GROUP_PARAMETER = "explained_group"
AGE_PARAMETER = "age"


# -- cohort cells ------------------------------------------------------------------------


def _cohort_range(dataset: Dataset, filters: Filters) -> tuple[int, int]:
    """The first and last cohort of the filter's range, as the cohort query numbers them."""
    first, last = orders_span(dataset)
    p = filters.period
    return period_index(p, filters.start or first), period_index(p, filters.end or last)


@dataclass(frozen=True)
class _Cells:
    """The cells explained: period ``offset`` since acquisition of the cohorts numbered
    ``first`` to ``last`` (one cohort for a cell, those that completed it for an average)."""

    first: int
    last: int
    offset: int


def _cell_at(dataset: Dataset, filters: Filters, metric: Metric, at: At) -> _Cells:
    """The cohort (its period number) and offset of the cell asked for; a sentence saying
    what exists when the selection has no such cell."""
    p = filters.period
    if at.period_start is None:
        raise InputError(t("Say which cohort to explain (a day of its first {period}): "
                           "{metric} is computed per cohort.", period=p,
                           metric=metric.title()))
    low, high = _cohort_range(dataset, filters)
    cohort = period_index(p, at.period_start)
    if not low <= cohort <= high:
        raise InputError(
            t("There is no cohort of the {period} holding {day} in the selection; its "
              "cohorts run from {first} to {last}.", period=p, day=at.period_start.isoformat(),
              first=period_start_of_index(p, low).isoformat(),
              last=period_start_of_index(p, high).isoformat()))
    offset = at.offset
    if offset is None and metric.id in _SAME_AT_EVERY_OFFSET:
        offset = 0
    if offset is None or not 0 <= offset <= high - cohort:
        raise InputError(
            t("Say how many {period}s after its first one to explain the cohort of {cohort} "
              "at: from 0 to {last} in the selection.", period=p,
              cohort=period_start_of_index(p, cohort).isoformat(), last=high - cohort))
    return _Cells(cohort, cohort, offset)


def _average_at(dataset: Dataset, filters: Filters, at: At) -> _Cells:
    """The cohorts that completed the period since acquisition asked for (the average
    counts only those, as metrics.retention.cohort_average does); a sentence naming the
    periods the average has when it has no such one."""
    p = filters.period
    low, high = _cohort_range(dataset, filters)
    data_last = orders_span(dataset)[1]
    done = period_index(p, data_last)
    if period_start_of_index(p, done + 1) - timedelta(days=1) > data_last:
        done -= 1  # the data stops inside its last period: in progress
    last_offset = min(done, high) - low
    if last_offset < 0:
        raise InputError(t("No cohort has completed a {period} in the selection yet.",
                           period=p))
    if at.offset is None or not 0 <= at.offset <= last_offset:
        raise InputError(t("Say how many {period}s after their first one to explain the "
                           "average at: from 0 to {last} in the selection.", period=p,
                           last=last_offset))
    return _Cells(low, min(done, high) - at.offset, at.offset)


@dataclass(frozen=True)
class _Split:
    """The segment the cohorts are split by (``options["by"]``, None: not split) and the
    group of the cells explained (None: the customers without a value, or everyone)."""

    by: str | None = None
    group: str | None = None

    def condition(self, column: str) -> str:
        """The condition keeping the rows of the group, ``column`` holding their value."""
        if self.group is None:
            return f"{column} IS NULL"
        return f"{column} = ${GROUP_PARAMETER}"

    def parameters(self, sql: str) -> dict[str, Any]:
        """The group's parameter, where ``sql`` uses it."""
        return bind(sql, {GROUP_PARAMETER: self.group})


def _require_group(store: Store, sql: str, params: dict[str, Any], column: str,
                   group: str | None, split: str) -> None:
    """A sentence listing the groups of a split query (its ``column``; None for customers
    without a value, listed as “–”) when ``group`` is not one of them."""
    found = query_frame(store, f"-- the groups of the split\nSELECT DISTINCT {column} AS "
                        f"group_value FROM (\n{piece(sql)}) AS split ORDER BY 1", params)
    named = [None if pd.isna(value) else str(value) for value in found["group_value"]]
    if group not in named:
        raise InputError(t("There is no group “{group}” of {split} in the selection; its "
                           "groups are: {groups}.", group=group, split=split,
                           groups=", ".join("–" if g is None else g for g in named)))


def _split_of(store: Store, dataset: Dataset, filters: Filters, at: At) -> _Split:
    """The split and group asked for; a sentence listing the groups when the split has no
    such group."""
    by = at.options.get("by")
    if by is None:
        if at.group is not None:
            raise InputError(t("Cohort cells are explained for whole cohorts unless they are "
                               "split by a segment: leave out the group “{group}” or say "
                               "the segment.", group=at.group))
        return _Split()
    sql, params = cohort_query(dataset, filters, by)
    _require_group(store, sql, params, "group_value", at.group,
                   t("the cohorts split by {by}", by=by))
    return _Split(by, at.group)


def _cell_value_query(dataset: Dataset, filters: Filters, metric_id: str, formula: Formula,
                      cells: _Cells, split: _Split) -> tuple[str, dict[str, Any]]:
    """The cohort query (split as the chart is) narrowed to one cell's row (or added up
    over the cohorts of an average, that completed the cell): the metric and its inputs."""
    sql, params = cohort_query(dataset, filters, split.by)
    column = "SUM(cohorts.{})" if formula.whole_range else "cohorts.{}"
    select = ", ".join([
        f"{formula.value_sql} AS {quote_ident(metric_id)}",
        *(f"{column.format(_CELL_COLUMNS[name])} AS {quote_ident(name)}"
          for name in formula.inputs)])
    what = ("The cells of every cohort that completed them" if formula.whole_range
            else "One cell")
    narrowed = (f"-- {what} of the cohort table (metrics/retention.py), the value and its "
                f"inputs\nSELECT {select}\nFROM (\n{piece(sql)}) AS cohorts\n"
                f"WHERE cohorts.cohort BETWEEN ${FIRST_PARAMETER} AND ${LAST_PARAMETER}\n"
                f"    AND cohorts.period_offset = ${OFFSET_PARAMETER}\n"
                + ("    AND cohorts.complete\n" if formula.whole_range else "")
                + f"    AND {split.condition('cohorts.group_value')}\n")
    p = filters.period
    return narrowed, params | split.parameters(narrowed) | {
        FIRST_PARAMETER: period_start_of_index(p, cells.first),
        LAST_PARAMETER: period_start_of_index(p, cells.last), OFFSET_PARAMETER: cells.offset}


def _cell_rows_query(dataset: Dataset, filters: Filters, cells: _Cells, split: _Split
                     ) -> tuple[str, dict[str, Any]]:
    """The customers of the cohorts (of the split's group), with the columns that total a
    cell's inputs."""
    template = with_ctes(load_sql("cohort_cells"), load_sql("explain_cohort_customers"))
    groups, group_params = cohort_group_sql(dataset, split.by, filters, "firsts")
    sql, params = orders_query(template, dataset, filters, **cohort_conditions(False),
                               **groups, group_condition=split.condition("m.group_value"),
                               cohort_start=period_start_sql(filters.period, "m.cohort_index"))
    return sql, params | bind(sql, group_params) | split.parameters(sql) | bind(sql, {
        FIRST_PARAMETER: cells.first, LAST_PARAMETER: cells.last,
        OFFSET_PARAMETER: cells.offset})


def _explain_cell(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
                  filters: Filters, at: At) -> Explanation:
    """One cell (c, k) of the cohort table, or the average of the cells k of the cohorts
    that completed it, its inputs, the SQL of both and the cohorts' customers."""
    p = filters.period
    split = _split_of(store, dataset, filters, at)
    cells = (_average_at(dataset, filters, at) if formula.whole_range
             else _cell_at(dataset, filters, metric, at))
    cohort_start = period_start_of_index(p, cells.first)
    sql, params = _cell_value_query(dataset, filters, metric.id, formula, cells, split)
    found = query_frame(store, sql, params)
    if found.empty:
        raise InputError(t("No customer's first purchase falls in the {period} of {day} in "
                           "the selection: that cohort is empty.", period=p,
                           day=cohort_start.isoformat()))
    values = {name: number(found.iloc[0][name]) for name in (metric.id, *formula.inputs)}
    rows_query = _cell_rows_query(dataset, filters, cells, split)
    last_cell = cells.last + cells.offset
    period_end = min(period_start_of_index(p, last_cell + 1) - timedelta(days=1),
                     orders_span(dataset)[1])
    detail: dict[str, Any] = {"offset": cells.offset}
    if not formula.whole_range:
        detail = {"cohort": cohort_start, **detail}
    if split.by is not None:
        detail |= {"by": split.by, "group": split.group}
    span = (period_start_of_index(p, cells.first + cells.offset), period_end)
    return explanation(store, metric, formula, filters, span, values, (sql, params),
                       rows_query, detail=detail)


# -- survival ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Curve:
    """The survival curve a number stands on: the customers it follows (``view``, as
    metrics.survival names them), the segment its curves are split by (``by``) and the
    condition keeping the curve's group among the lifetimes."""

    view: SurvivalView
    by: str | None
    condition: str


def _survival_curve(at: At) -> _Curve:
    """The curve of ``at``: its view and split from the options the chart draws it with
    (``options["view"]``, ``options["by"]``); without a view, a one-time or repeat group
    names the one-time vs repeat view and no group the curve of all customers."""
    by, view = at.options.get("by"), at.options.get("view")
    if view is None:
        view = "one_time_vs_repeat" if by is None and at.group is not None else "all"
    if view not in SURVIVAL_VIEWS:
        raise InputError(t("“{view}” is not a survival view: use one of {views}.",
                           view=view, views=", ".join(SURVIVAL_VIEWS)))
    if view == "one_time_vs_repeat" or (by is None and at.group is not None):
        if view != "one_time_vs_repeat" or at.group not in SURVIVAL_GROUPS:
            raise InputError(t("“{group}” is not a group of the survival curve: use {groups}, "
                               "or no group for all customers.", group=at.group,
                               groups=", ".join(SURVIVAL_GROUPS)))
        # with a split, lifetime_query says why the two do not go together
        return _Curve(view, by, f'"group" = ${GROUP_PARAMETER}')
    if by is None:
        return _Curve(view, None, "TRUE")
    return _Curve(view, by, _Split(by, at.group).condition('"group"'))


def _followed(dataset: Dataset, filters: Filters, at: At, final: str
              ) -> tuple[str, dict[str, Any]]:
    """``final`` over the customers the curve of ``at`` follows (the lifetimes query of
    metrics/survival.py, nested)."""
    curve = _survival_curve(at)
    lifetimes, params = lifetime_query(dataset, filters, by=curve.by, view=curve.view)
    sql = with_ctes(load_sql("explain_survival_followed").format(
        lifetimes=piece(lifetimes), group_condition=curve.condition), load_sql(final))
    return sql, params | bind(sql, {GROUP_PARAMETER: at.group})


def _check_group(store: Store, dataset: Dataset, filters: Filters, at: At) -> None:
    """A sentence listing the groups of a split curve when it has no group ``at.group``."""
    curve = _survival_curve(at)
    if curve.by is None:
        return
    lifetimes, params = lifetime_query(dataset, filters, by=curve.by, view=curve.view)
    _require_group(store, lifetimes, params, '"group"', at.group,
                   t("the survival split by {by}", by=curve.by))


def _age(store: Store, dataset: Dataset, filters: Filters, at: At) -> int:
    """The age asked for; a sentence naming the ages the curve has when it is not one."""
    _check_group(store, dataset, filters, at)
    sql, params = _followed(dataset, filters, at, "explain_survival_customers")
    longest = query_frame(store, f"-- the longest lifetime followed\nSELECT MAX(duration_days) "
                          f"AS days FROM (\n{piece(sql)}) AS followed", params
                          | {AGE_PARAMETER: 0})["days"].iloc[0]
    if number(longest) is None:
        raise InputError(t("No customers match these filters."))
    if at.offset is None or not 0 <= at.offset <= int(longest):
        raise InputError(t("Say the age in days to explain the survival at: the curve runs "
                           "from 0 to {last} days.", last=int(longest)))
    return at.offset


def _data_days(dataset: Dataset, filters: Filters) -> tuple[date, date]:
    """The days whose first purchases (or subscription starts) the curve follows."""
    table = dataset.tables.get("subscriptions") or dataset.tables.get("orders")
    first = table.first_date if table is not None else None
    last = table.last_date if table is not None else None
    if first is None or last is None:
        first, last = orders_span(dataset)  # says there is nothing to follow
    return filters.start or first, filters.end or last


def _curve_detail(at: At) -> dict[str, Any]:
    """Which curve the survival stands on, beyond all customers from their first purchase."""
    curve = _survival_curve(at)
    detail: dict[str, Any] = {"view": curve.view} if curve.view == "repeat_from_second" else {}
    if curve.by is not None:
        return detail | {"by": curve.by, "group": at.group}
    return detail | ({"group": at.group} if at.group else {})


def _explain_survival(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
                      filters: Filters, at: At) -> Explanation:
    """The survival at one age, its inputs, the SQL of both and the customers still
    followed at that age."""
    age = _age(store, dataset, filters, at)
    sql, params = _followed(dataset, filters, at, "explain_survival")
    params = params | {AGE_PARAMETER: age}
    row = query_frame(store, sql, params).iloc[0]
    values = {name: number(row[name]) for name in (metric.id, *formula.inputs)}
    rows_sql, rows_params = _followed(dataset, filters, at, "explain_survival_customers")
    return explanation(store, metric, formula, filters, _data_days(dataset, filters), values,
                       (sql, params), (rows_sql, rows_params | {AGE_PARAMETER: age}),
                       detail={"age_days": age, **_curve_detail(at)})


def _explain(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
             filters: Filters, at: At) -> Explanation:
    """A cohort cell or the survival at an age."""
    if formula.rows == SURVIVAL_ROWS:
        return _explain_survival(store, dataset, metric, formula, filters, at)
    return _explain_cell(store, dataset, metric, formula, filters, at)


# Headers for people of the inputs and rows' columns that are not metrics of the registry.
_COLUMN_LABELS = {
    "customer_id": N_("Customer"),
    "cohort": N_("Cohort"),
    "cumulative_revenue": N_("Cohort revenue to date"),
    "survival_before": N_("Survival just before day t"),
    "at_risk": N_("Customers still followed on day t"),
    "events": N_("Customers who left on day t"),
    "duration_days": N_("Lifetime (days)"),
    "event": N_("Left the base"),
}

def _number_of_row(row: Mapping[str, Any], options: Mapping[str, Any]) -> At:
    """A cohort cell's cohort and offset, an average's offset, or a survival curve's age
    in days (of all customers)."""
    if "days" in row:
        return At(offset=int(row["days"]))
    return At(period_start=row.get("cohort"), offset=int(row["period_offset"]))


COHORTS = Family(
    metrics=CELLS_EXPLAINED + SURVIVAL_EXPLAINED, formulas=FORMULAS, explain=_explain,
    column_labels=_COLUMN_LABELS,
    column_units={"cumulative_revenue": "currency", "survival_before": "percent",
                  "at_risk": "customers", "events": "customers", "duration_days": "ratio"},
    example=first_row(_number_of_row),
)
