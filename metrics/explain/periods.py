"""The period figures explained: every metric of the KPI table (:data:`EXPLAINED`), the
quick ratio computed from it (:data:`DERIVED_EXPLAINED`) and the survey measures
(:data:`SURVEY_EXPLAINED`). The value and the inputs come from one query, its source's
per-period query narrowed to one period (``Explanation.sql``): the KPI query of
:func:`metrics.kpis.kpi_query` or the survey query of
:func:`metrics.satisfaction.survey_query`; the rows behind them from a second one
(``Explanation.rows_sql``) whose 0/1 and amount columns total the inputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from metrics.definitions import (
    BASE_COUNTS,
    KPIS,
    LIFECYCLE_COUNTS,
    QUICK_RATIO,
    SAMPLE_STATISTICS,
    SURVEY,
    SURVEY_SUMMARIES,
    Metric,
)
from metrics.errors import InputError
from metrics.explain.base import (
    KPI_SOURCE,
    SURVEY_SOURCE,
    At,
    Compute,
    Explanation,
    Family,
    Formula,
    Inputs,
    explanation,
    number,
    ratio,
    ratio_of,
    same,
    value_of,
)
from metrics.i18n import N_, t
from metrics.kpis import kpi_query
from metrics.query.filters import Filters, orders_span
from metrics.query.orders import narrowed_orders_query
from metrics.query.run import query_frame, query_row
from metrics.query.sql import (
    Period,
    bind,
    load_sql,
    period_index,
    period_start_of_index,
    piece,
    quote_ident,
    with_ctes,
)
from metrics.retention import subscription_base_query
from metrics.satisfaction import Measure, response_span, responses_cte, survey_query
from metrics.store import Dataset, Store

# The parameter naming the explained period in the narrowed KPI query; the KPI query
# itself does not use it.
PERIOD_PARAMETER = "explained_period_start"

# The rows behind revenue retention: the previous period's buyers with their revenues
# (sql/explain_revenue_retention.sql).
REVENUE_RETENTION_ROWS = "revenue_retention"


def _crr(i: Inputs) -> float | None:
    """Customer retention rate (seed): CRR = (E - N) / S x 100."""
    return ratio(value_of(i, "end_customers") - value_of(i, "new_customers"),
                  i["start_customers"], 100.0)


def _churn(i: Inputs) -> float | None:
    """Customer churn rate (seed): CCR = (S + N - E) / S x 100."""
    return ratio(value_of(i, "start_customers") + value_of(i, "new_customers")
                  - value_of(i, "end_customers"), i["start_customers"], 100.0)


def _quick_ratio(i: Inputs) -> float | None:
    """(new + resurrected) ÷ dormant (metrics.retention.lifecycle_from_kpis)."""
    return ratio(value_of(i, "new_customers") + value_of(i, "resurrected_customers"),
                 i["dormant_customers"])


def _churned(i: Inputs) -> float | None:
    """S + N − E, the churn rate's numerator."""
    return (value_of(i, "start_customers") + value_of(i, "new_customers")
            - value_of(i, "end_customers"))


def _count(name: str, condition: str) -> Formula:
    return Formula((name,), same(name), N_("the number of customers below"),
                   row_condition=condition)


def _sample_sd(i: Inputs) -> float | None:
    """The sample standard deviation from n, Σx and Σx²: √((Σx² − (Σx)² ÷ n) ÷ (n − 1)),
    None for fewer than two orders (as STDDEV_SAMP in sql/kpis.sql)."""
    n = value_of(i, "orders")
    if n < 2:
        return None
    total, squares = value_of(i, "order_value"), value_of(i, "order_value_squared")
    # rounding can take the sum of squared deviations of equal amounts just below 0
    return math.sqrt(max(squares - total * total / n, 0.0) / (n - 1))


def _nps(i: Inputs) -> float | None:
    """NPS = (promoters − detractors) ÷ answers × 100 (metrics.satisfaction)."""
    return ratio(value_of(i, "promoters") - value_of(i, "detractors"), i["responses"], 100.0)


_NPS_TEXT = ("(promoters − detractors) ÷ answers × 100; its 95% margin of error is "
             "1.96 × √((pP + pD − (pP − pD)²) ÷ n) × 100, pP and pD the shares of "
             "promoters and detractors of the n answers")


def _survey(measure: Measure, inputs: tuple[str, ...], compute: Compute,
            text: str, value_sql: str, whole_range: bool = False) -> Formula:
    return Formula(inputs, compute, text, rows=f"{measure}_answers", source=SURVEY_SOURCE,
                   value_sql=value_sql, measure=measure, whole_range=whole_range)


_NPS_SQL = "100.0 * (promoters - detractors) / NULLIF(responses, 0)"
_NPS_INPUTS = ("responses", "promoters", "detractors")

# The lifecycle of sql/explain_customers.sql's 0/1 columns (active in this period and in
# the previous one), as its final SELECT computes them.
_RETURNING = "active_customers * previously_active = 1"
_RESURRECTED = "active_customers * (1 - previously_active) * (1 - new_customers) = 1"
_DORMANT = "(1 - active_customers) * previously_active = 1"

_BASE_ROWS = "start_customers = 1 OR new_customers = 1 OR end_customers = 1"

FORMULAS: dict[str, Formula] = {
    "start_customers": _count("start_customers", "start_customers = 1"),
    "new_customers": _count("new_customers", "new_customers = 1"),
    "end_customers": _count("end_customers", "end_customers = 1"),
    "retained_customers": _count("retained_customers", "start_customers * end_customers = 1"),
    "lost_customers": _count("lost_customers", "start_customers * (1 - end_customers) = 1"),
    "active_customers": _count("active_customers", "active_customers = 1"),
    "repeat_customers": _count("repeat_customers", "repeat_customers = 1"),
    "returning_customers": _count("returning_customers", _RETURNING),
    "resurrected_customers": _count("resurrected_customers", _RESURRECTED),
    "dormant_customers": _count("dormant_customers", _DORMANT),
    "quick_ratio": Formula(
        ("new_customers", "resurrected_customers", "dormant_customers"), _quick_ratio,
        N_("(new + resurrected) ÷ dormant"),
        row_condition=f"new_customers = 1 OR {_RESURRECTED} OR {_DORMANT}",
        value_sql="CAST(new_customers + resurrected_customers AS DOUBLE)"
                  " / NULLIF(dormant_customers, 0)"),
    "churned_customers": Formula(
        ("start_customers", "new_customers", "end_customers"), _churned,
        N_("S + N − E"), row_condition=_BASE_ROWS),
    "orders": Formula(("orders",), same("orders"), N_("the orders below, refunds left out"),
                      rows="orders"),
    "revenue": Formula(("revenue",), same("revenue"),
                       N_("the sum of the amounts below, net of refunds"), rows="orders"),
    "refunds": Formula(("refunds",), same("refunds"), N_("the sum of the refunds below"),
                       rows="orders"),
    "order_value_sd": Formula(
        ("orders", "order_value", "order_value_squared"), _sample_sd,
        N_("√((Σx² − (Σx)² ÷ n) ÷ (n − 1)): n the orders, Σx the sum of their amounts and Σx² "
           "of their squares, refunds left out"), rows="orders",
        row_sums=("order_value", "order_value_squared")),
    "aov": Formula(("revenue", "orders"),
                   ratio_of("revenue", "orders"), N_("revenue ÷ orders"),
                   rows="orders"),
    "repeat_purchase_rate": Formula(
        ("repeat_customers", "active_customers"),
        ratio_of("repeat_customers", "active_customers", 100.0),
        N_("repeat customers ÷ active customers × 100"), row_condition="active_customers = 1"),
    "retention_rate": Formula(("start_customers", "new_customers", "end_customers"), _crr,
                              N_("(E − N) ÷ S × 100"), row_condition=_BASE_ROWS),
    "churn_rate": Formula(("start_customers", "new_customers", "end_customers"), _churn,
                          N_("(S + N − E) ÷ S × 100"), row_condition=_BASE_ROWS),
    "strict_retention_rate": Formula(
        ("retained_customers", "start_customers"),
        ratio_of("retained_customers", "start_customers", 100.0),
        N_("retained ÷ S × 100"), row_condition="start_customers = 1"),
    "base_revenue": Formula(("base_revenue",), same("base_revenue"),
                            N_("the sum of the previous revenues below"),
                            rows=REVENUE_RETENTION_ROWS),
    "retained_revenue": Formula(("retained_revenue",), same("retained_revenue"),
                                N_("the sum of the revenues in this period below"),
                                rows=REVENUE_RETENTION_ROWS),
    "capped_retained_revenue": Formula(
        ("capped_retained_revenue",), same("capped_retained_revenue"),
        N_("the sum of the capped revenues below"), rows=REVENUE_RETENTION_ROWS),
    "net_revenue_retention": Formula(
        ("retained_revenue", "base_revenue"),
        ratio_of("retained_revenue", "base_revenue", 100.0),
        N_("their revenue in this period ÷ their previous revenue × 100"),
        rows=REVENUE_RETENTION_ROWS),
    "gross_revenue_retention": Formula(
        ("capped_retained_revenue", "base_revenue"),
        ratio_of("capped_retained_revenue", "base_revenue", 100.0),
        N_("their revenue in this period, capped, ÷ their previous revenue × 100"),
        rows=REVENUE_RETENTION_ROWS),
    "nps": _survey("nps", _NPS_INPUTS, _nps, _NPS_TEXT, _NPS_SQL),
    "nps_overall": _survey("nps", _NPS_INPUTS, _nps, _NPS_TEXT, _NPS_SQL, whole_range=True),
    "csat": _survey("csat", ("csat_responses", "satisfied"),
                    ratio_of("satisfied", "csat_responses", 100.0),
                    "satisfied answers (4-5) ÷ answers × 100",
                    "100.0 * satisfied / NULLIF(csat_responses, 0)"),
    "cli": _survey("cli", ("cli_responses", "cli"), same("cli"),
                   "the mean of the CLIs of the answers below, each the mean of its "
                   "three answers", "cli"),
}

_KPI_TABLE = tuple(
    m for m in KPIS + BASE_COUNTS + LIFECYCLE_COUNTS + SAMPLE_STATISTICS if m.id in FORMULAS)
# The metrics of the KPI table explain() covers from inputs that are columns of that table,
# in the registry's order: every KPI, base count and lifecycle count, and the repeat
# customers behind the repeat purchase rate.
EXPLAINED: tuple[Metric, ...] = tuple(m for m in _KPI_TABLE if not FORMULAS[m.id].row_sums)
# Those explained from sums over the orders behind the period that the KPI table does not
# hold: the spread of order values (its orders, Σx and Σx²).
ROW_SUMS_EXPLAINED: tuple[Metric, ...] = tuple(
    m for m in _KPI_TABLE if FORMULAS[m.id].row_sums)
# The survey measures explain() covers: NPS, CSAT and CLI per period, the whole-range NPS.
SURVEY_EXPLAINED: tuple[Metric, ...] = tuple(
    m for m in SURVEY + SURVEY_SUMMARIES if m.id in FORMULAS)
# Computed from columns of the KPI table without being one (metrics.retention).
DERIVED_EXPLAINED: tuple[Metric, ...] = (QUICK_RATIO,)
def _period_indexes(filters: Filters, span: tuple[date, date]) -> tuple[int, int]:
    """The first and last period of the filter's range that the data (first and last
    day ``span``) reaches."""
    p, (first, last) = filters.period, span
    return (period_index(p, filters.start or first),
            min(period_index(p, filters.end or last), period_index(p, last)))


def _period_end(p: Period, index: int, last: date) -> date:
    """The last day of a period, or the data's last day in the period it stops inside."""
    return min(period_start_of_index(p, index + 1) - timedelta(days=1), last)


def explained_period(dataset: Dataset, filters: Filters, day: date) -> tuple[date, date]:
    """The first day of the period holding ``day`` and the day its E is measured on (its
    last day, or the data's last day in the period the data stops inside); an error
    naming the periods there are when the filter's range has no such period."""
    return _period_of(orders_span(dataset), filters, day)


def _period_of(span: tuple[date, date], filters: Filters, day: date) -> tuple[date, date]:
    """:func:`explained_period` for data from ``span[0]`` to ``span[1]``."""
    p = filters.period
    low, high = _period_indexes(filters, span)
    index = period_index(p, day)
    if not low <= index <= high:
        raise InputError(
            t("There is no {period} holding {day} in the selection; its {period}s run from "
              "{first} to {last}.", period=p, day=day.isoformat(),
              first=period_start_of_index(p, low).isoformat(),
              last=period_start_of_index(p, high).isoformat()))
    return period_start_of_index(p, index), _period_end(p, index, span[1])


def _kpi_value_query(dataset: Dataset, filters: Filters, metric_id: str, formula: Formula,
                     start: date) -> tuple[str, dict[str, Any]]:
    """The KPI query narrowed to one period's row, the metric's column and its inputs'
    (those of ``formula.row_sums`` added up over the period's rows)."""
    sql, params = kpi_query(dataset, filters)
    value = formula.value_sql or f"kpis.{quote_ident(metric_id)}"
    select = ", ".join([f"{value} AS {quote_ident(metric_id)}",
                        *(f"{'sums' if column in formula.row_sums else 'kpis'}."
                          f"{quote_ident(column)}" for column in formula.inputs)])
    narrowed = (f"-- The KPI row of one period (metrics/kpis.py), the value and its inputs\n"
                f"SELECT {select}\nFROM (\n{piece(sql)}) AS kpis\n")
    if formula.row_sums:
        # the sums the KPI table does not hold, over the rows behind the period
        _, end_day = explained_period(dataset, filters, start)
        rows_sql, rows_params = rows_query(dataset, filters, formula, start, end_day)
        # 0, not NULL, for a period without orders, as the KPI table's sums
        sums = ", ".join(f"COALESCE(SUM({quote_ident(c)}), 0) AS {quote_ident(c)}"
                         for c in formula.row_sums)
        narrowed += (f"CROSS JOIN (\n    SELECT {sums}\n    FROM (\n{piece(rows_sql)})"
                     f" AS period_rows\n) AS sums\n")
        params = params | rows_params
    narrowed += f"WHERE kpis.period_start = ${PERIOD_PARAMETER}\n"
    return narrowed, params | {PERIOD_PARAMETER: start}


def _survey_value_query(dataset: Dataset, filters: Filters, metric_id: str,
                        formula: Formula, start: date) -> tuple[str, dict[str, Any]]:
    """The survey counts narrowed to one period's row (or added up over the whole range),
    the measure computed from them by ``formula.value_sql``, and its inputs."""
    sql, params = survey_query(dataset, filters)
    select = (f"SELECT {formula.value_sql} AS {quote_ident(metric_id)}, "
              + ", ".join(quote_ident(column) for column in formula.inputs))
    if formula.whole_range:
        sums = ", ".join(f"SUM({quote_ident(c)}) AS {quote_ident(c)}" for c in formula.inputs)
        narrowed = (f"-- The survey counts of every period (metrics/satisfaction.py) added "
                    f"up, the value and its inputs\n{select}\n"
                    f"FROM (\n    SELECT {sums}\n    FROM (\n{piece(sql)}) AS periods\n"
                    f") AS survey\n")
        return narrowed, params
    narrowed = (f"-- The survey counts of one period (metrics/satisfaction.py), the value "
                f"and its inputs\n{select}\nFROM (\n{piece(sql)}) AS survey\n"
                f"WHERE survey.period_start = ${PERIOD_PARAMETER}\n")
    return narrowed, params | {PERIOD_PARAMETER: start}


def _survey_rows_query(dataset: Dataset, filters: Filters, formula: Formula, start: date,
                       end_day: date) -> tuple[str, dict[str, Any]]:
    """The query returning every answer behind a survey measure."""
    responses, params = responses_cte(dataset, filters)
    condition = "TRUE" if formula.whole_range else "period_index = $explained_index"
    sql = load_sql(f"explain_{formula.rows}").format(responses=responses,
                                                     period_condition=condition)
    return sql, bind(sql, params | {"explained_index": period_index(filters.period, start)})


def rows_query(dataset: Dataset, filters: Filters, formula: Formula, start: date,
               end_day: date, customers: tuple[str, dict[str, Any]] | None = None
               ) -> tuple[str, dict[str, Any]]:
    """The query returning every customer or order behind the number (only those of the
    customers ``customers``, a condition on ``customer_id`` with its parameters, if
    given)."""
    if formula.rows in ("orders", REVENUE_RETENTION_ROWS):
        template, pieces = load_sql(f"explain_{formula.rows}"), {}
    else:  # the customers: CTEs and the final SELECT
        template = with_ctes(load_sql("explain_customers"))
        pieces = {"row_condition": formula.row_condition}
    sql, params = narrowed_orders_query(template, dataset, filters, customers, pieces)
    index = period_index(filters.period, start)
    days = {"first_day": start, "start_day": start - timedelta(days=1), "end_day": end_day,
            "previous_first_day": period_start_of_index(filters.period, index - 1),
            "inactivity_days": filters.inactivity_days,
            "explained_index": index}
    return sql, params | bind(sql, days)


@dataclass(frozen=True)
class _Source:
    """Where a metric's value, inputs and rows come from: the data's first and last day
    (``span``), the query of the value and its inputs, and the query of the rows."""

    span: Callable[[Dataset, Formula], tuple[date, date]]
    value_query: Callable[[Dataset, Filters, str, Formula, date], tuple[str, dict[str, Any]]]
    rows_query: Callable[[Dataset, Filters, Formula, date, date], tuple[str, dict[str, Any]]]


_SOURCES = {
    KPI_SOURCE: _Source(lambda dataset, _: orders_span(dataset), _kpi_value_query,
                        rows_query),
    SURVEY_SOURCE: _Source(lambda dataset, formula: response_span(dataset, formula.measure),
                           _survey_value_query, _survey_rows_query),
}


def _whole_range(span: tuple[date, date], filters: Filters) -> tuple[date, date]:
    """The first day of the filter's range and its last day with data, in whole periods."""
    low, high = _period_indexes(filters, span)
    return period_start_of_index(filters.period, low), _period_end(filters.period, high,
                                                                    span[1])


def _explain(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
             filters: Filters, at: At) -> Explanation:
    """One period's value of a KPI or survey measure (or a whole-range measure's), with its
    inputs, the SQL of both and the rows behind them; with the option ``base`` =
    ``"subscriptions"``, a figure of the customer base from subscriptions."""
    if at.options.get("base") == "subscriptions":
        return _explain_subscriptions(store, dataset, metric, formula, filters, at)
    source = _SOURCES[formula.source]
    span = source.span(dataset, formula)
    if formula.whole_range:
        start, end_day = _whole_range(span, filters)
    elif at.period_start is None:
        raise InputError(t("Say which period to explain: {metric} is computed per period.",
                           metric=metric.title()))
    else:
        start, end_day = _period_of(span, filters, at.period_start)
    sql, params = source.value_query(dataset, filters, metric.id, formula, start)
    row = query_row(store, sql, params)
    columns = (metric.id, *formula.inputs)
    values = dict(zip(columns, (number(v) for v in row), strict=True))
    return explanation(store, metric, formula, filters, (start, end_day), values,
                       (sql, params),
                       source.rows_query(dataset, filters, formula, start, end_day))


# The figures of the customer base from subscriptions (metrics.retention.retention_table
# with base="subscriptions"): the KPIs' definitions over the subscriptions' base, so the
# same formulas; the rows behind them are the subscribers (sql/explain_subscribers.sql).
SUBSCRIPTION_FIGURES = ("start_customers", "new_customers", "end_customers",
                        "retained_customers", "lost_customers", "churned_customers",
                        "retention_rate", "churn_rate", "strict_retention_rate")


def _explain_subscriptions(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
                           filters: Filters, at: At) -> Explanation:
    """One period's figure of the customer base from subscriptions: the base's query
    narrowed to the period, and the subscribers behind it."""
    if metric.id not in SUBSCRIPTION_FIGURES:
        raise InputError(t("{metric} is not a figure of the customer base from "
                           "subscriptions; those are: {metrics}.", metric=metric.title(),
                           metrics=", ".join(SUBSCRIPTION_FIGURES)))
    if at.period_start is None:
        raise InputError(t("Say which period to explain: {metric} is computed per period.",
                           metric=metric.title()))
    p = filters.period
    index = period_index(p, at.period_start)
    start = period_start_of_index(p, index)
    base_sql, params = subscription_base_query(store, dataset, filters)
    select = ", ".join([f"base.{quote_ident(metric.id)} AS {quote_ident(metric.id)}",
                        *(f"base.{quote_ident(column)}" for column in formula.inputs),
                        "base.period_end"])
    sql = (f"-- One period's row of the customer base from subscriptions "
           f"(metrics/retention.py), the value, its inputs and the period's measuring day\n"
           f"SELECT {select}\nFROM (\n{piece(base_sql)}) AS base\n"
           f"WHERE base.period_start = ${PERIOD_PARAMETER}\n")
    params = params | {PERIOD_PARAMETER: start}
    found = query_frame(store, sql, params)
    if found.empty:
        periods = query_frame(store, base_sql, {k: v for k, v in params.items()
                                                if k != PERIOD_PARAMETER})["period_start"]
        raise InputError(t("There is no {period} holding {day} in the selection; its "
                           "{period}s run from {first} to {last}.", period=p,
                           day=at.period_start.isoformat(),
                           first=str(periods.min()) if len(periods) else "–",
                           last=str(periods.max()) if len(periods) else "–"))
    row = found.iloc[0]
    columns = (metric.id, *formula.inputs)
    values = {column: number(row[column]) for column in columns}
    end_day = pd.Timestamp(row["period_end"]).date()
    rows_sql, _ = subscription_base_query(store, dataset, filters, "explain_subscribers")
    rows_sql = rows_sql.replace("{row_condition}", formula.row_condition)
    return explanation(
        store, metric, formula, filters, (start, end_day), values, (sql, bind(sql, params)),
        (rows_sql, bind(rows_sql, params | {"explained_index": index})),
        detail={"base": "subscriptions"},
        definition=t("{definition} The base here is the subscriptions': a customer is in it "
                     "while one of their subscriptions runs.",
                     definition=metric.describe(filters.inactivity_days)))


# Headers for people of the inputs and rows' columns that are not metrics of the registry.
_COLUMN_LABELS = {
    "responses": N_("Answers"),
    "promoters": N_("Promoters (9-10)"),
    "detractors": N_("Detractors (0-6)"),
    "csat_responses": N_("Answers"),
    "satisfied": N_("Satisfied answers (4-5)"),
    "cli_responses": N_("Answers to all three questions"),
    "response_date": N_("Answered on"),
    "nps_score": N_("Score (0-10)"),
    "score_group": N_("Group"),
    "csat_score": N_("Score (1-5)"),
    "cli_q1": N_("Would recommend (1-6)"),
    "cli_q2": N_("Would buy again (1-6)"),
    "cli_q3": N_("Would try other products (1-6)"),
    "cli_score": N_("CLI of the answer"),
    "customer_id": N_("Customer"),
    "first_start": N_("First subscription"),
    "first_purchase": N_("First purchase"),
    "latest_purchase": N_("Latest purchase"),
    "period_orders": N_("Orders in the period"),
    "orders_to_date": N_("Orders to date"),
    "order_date": N_("Order date"),
    "amount": N_("Amount"),
    "order_value": N_("Order amount (refunds: 0)"),
    "order_value_squared": N_("Order amount squared (refunds: 0)"),
}

PERIODS = Family(
    metrics=EXPLAINED + ROW_SUMS_EXPLAINED + DERIVED_EXPLAINED + SURVEY_EXPLAINED,
    formulas=FORMULAS,
    explain=_explain, column_labels=_COLUMN_LABELS,
    column_units={"period_orders": "orders", "orders_to_date": "orders",
                  "amount": "currency", "cli_score": "score", "order_value": "currency",
                  "order_value_squared": "ratio"},
)
