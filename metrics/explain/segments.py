"""The segment comparison's figures explained (:data:`SEGMENT_EXPLAINED`): for one value
of a segment (``group``, written ``segment=value``, or the value alone where only one
segment has it), each figure of its row of :func:`metrics.segments.segment_summary`.

The value and the inputs come from one query: the row's own queries, the selection's
figures (sql/segment_figures.sql) and its KPI table (metrics/kpis.py) summed over the
complete periods, side by side (``Explanation.sql``). The rows behind them are the
selection's customers with their purchases and revenue, whose columns total the
customers, purchases, revenue and repeat customers; the pooled S, N, E and retained
counts are sums of the KPI table's periods (each explained by the KPI explainer).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from metrics.clv.simple import MAX_LIFESPAN_YEARS, lifespan_years
from metrics.definitions import SEGMENT_FIGURES, Metric
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
    ratio,
    ratio_of,
    same,
    value_of,
)
from metrics.i18n import N_, t
from metrics.kpis import kpi_query
from metrics.query.filters import Filters, orders_span
from metrics.query.orders import orders_query
from metrics.query.rfm import rfm_window
from metrics.query.run import query_row
from metrics.query.segments import segment_dimensions, segment_values
from metrics.query.sql import (
    bind,
    days_between_sql,
    load_sql,
    piece,
    quote_ident,
    with_ctes,
)
from metrics.segments import (
    DAYS_PER_YEAR,
    PERIODS_PER_YEAR,
    compared_values,
    figures_query,
    value_selection,
)
from metrics.store import Dataset, Store

_POOLED = ("pooled_start", "pooled_new", "pooled_end")
_CHURN = ("pooled_retained", "pooled_start", "periods_per_year")


def _pooled_retention(i: Inputs) -> float | None:
    """Σ(E − N) ÷ ΣS × 100 (metrics.segments.pooled_retention_rate)."""
    return ratio(value_of(i, "pooled_end") - value_of(i, "pooled_new"), i["pooled_start"],
                 100.0)


def _churn_share(i: Inputs) -> float | None:
    """1 − (Σretained ÷ ΣS) ^ periods per year (metrics.segments.pooled_annual_churn)."""
    kept = ratio(i["pooled_retained"], i["pooled_start"])
    return None if kept is None else 1.0 - kept ** value_of(i, "periods_per_year")


def _annual_churn(i: Inputs) -> float | None:
    churn = _churn_share(i)
    return None if churn is None else 100.0 * churn


def _clv(i: Inputs) -> float | None:
    """AOV × purchases per customer per year × lifespan (metrics.segments.segment_summary,
    the revenue CLV: no gross margin)."""
    aov = ratio(i["revenue"], i["orders"])
    per_customer = ratio(i["orders"], i["customers"])
    lifespan, _ = lifespan_years(_churn_share(i), MAX_LIFESPAN_YEARS)
    if aov is None or per_customer is None or lifespan is None or not i["window_days"]:
        return None
    return aov * per_customer / (value_of(i, "window_days") / DAYS_PER_YEAR) * lifespan


_CHURN_SQL = "100.0 * annual_churn"
_CLV_SQL = ("CAST(revenue AS DOUBLE) / NULLIF(orders, 0)"
            " * (CAST(orders AS DOUBLE) / NULLIF(customers, 0) / (window_days / $days_per_year))"
            " * CASE WHEN annual_churn * $max_lifespan_years <= 1 THEN $max_lifespan_years"
            " ELSE 1 / annual_churn END")

FORMULAS: dict[str, Formula] = {
    "segment_customers": Formula(("customers",), same("customers"),
                                 N_("the customers below with a purchase"), value_sql="customers"),
    "segment_orders": Formula(("orders",), same("orders"), N_("the purchases of the customers "
                              "below"), value_sql="orders"),
    "segment_revenue": Formula(("revenue",), same("revenue"), N_("the net revenue of the "
                               "customers below"), value_sql="revenue"),
    "segment_retention_rate": Formula(
        _POOLED, _pooled_retention,
        N_("(ΣE − ΣN) ÷ ΣS × 100, summed over the complete periods of the KPI table"),
        value_sql="100.0 * (pooled_end - pooled_new) / NULLIF(pooled_start, 0)"),
    "segment_aov": Formula(("revenue", "orders"), ratio_of("revenue", "orders"),
                           N_("revenue ÷ purchases"),
                           value_sql="CAST(revenue AS DOUBLE) / NULLIF(orders, 0)"),
    "segment_repeat_purchase_rate": Formula(
        ("repeat_customers", "customers"), ratio_of("repeat_customers", "customers", 100.0),
        N_("repeat customers ÷ customers × 100"),
        value_sql="100.0 * repeat_customers / NULLIF(customers, 0)"),
    "segment_annual_churn": Formula(
        _CHURN, _annual_churn,
        N_("(1 − (Σretained ÷ ΣS) ^ periods per year) × 100, summed over the complete periods"),
        value_sql=_CHURN_SQL),
    "segment_clv": Formula(
        ("revenue", "orders", "customers", "window_days", *_CHURN), _clv,
        N_("revenue ÷ purchases × purchases ÷ customers ÷ (days ÷ 365.25) × lifespan, the "
           "lifespan 1 ÷ annual churn (annual churn = 1 − (Σretained ÷ ΣS) ^ periods per "
           "year), at most 10 years"), value_sql=_CLV_SQL),
}

# The segment comparison's figures explain() covers, in the registry's order.
SEGMENT_EXPLAINED: tuple[Metric, ...] = tuple(m for m in SEGMENT_FIGURES if m.id in FORMULAS)


def _listed(values: dict[str, list[str]]) -> str:
    return ", ".join(f"{by}={value}" for by, kept in values.items() for value in kept)


def segment_value(store: Store, dataset: Dataset, filters: Filters, group: str | None
                  ) -> tuple[str, str]:
    """The segment and value ``group`` names (``segment=value``, or a value only one
    segment compared has); an error listing them when it names none, or several."""
    if group and "=" in group and group.split("=", 1)[0] in segment_dimensions(dataset):
        by, value = group.split("=", 1)
        values = compared_values(store, dataset, filters, by)
        if value in values:
            return by, value
        raise InputError(t("“{value}” is not a value of the segment “{segment}” in this "
                           "selection; its values are: {values}.", value=value, segment=by,
                           values=", ".join(values)))
    chosen = dict(filters.segments)
    every = {by: [v for v in kept if by not in chosen or v in chosen[by]]
             for by, kept in segment_values(store, dataset).items()}
    matches = [(by, group) for by, kept in every.items() if group in kept]
    if len(matches) == 1:
        return matches[0]
    raise InputError(t("Say which segment value to explain as segment=value (“{group}” "
                       "names {count} of them); they are: {values}.", group=group or "",
                       count=len(matches), values=_listed(every)))


def value_query(dataset: Dataset, filters: Filters, metric_id: str, formula: Formula,
                selection: Filters) -> tuple[str, dict[str, Any]]:
    """The row's figures query beside its KPI table summed over the complete periods: the
    metric's value, then its inputs."""
    figures, figure_params = figures_query(dataset, selection)
    kpis, kpi_params = kpi_query(dataset, selection)
    window = days_between_sql("GREATEST(MIN(period_start), CAST($data_first_day AS DATE))",
                              "LEAST(MAX(period_end), CAST($data_last_day AS DATE))")
    sql = load_sql("explain_segment_value").format(
        value=formula.value_sql, metric=quote_ident(metric_id), figures=piece(figures),
        kpis=piece(kpis), window_days=window,
        inputs=", ".join(quote_ident(name) for name in formula.inputs))
    constants = {"periods_per_year": PERIODS_PER_YEAR[filters.period],
                 "days_per_year": DAYS_PER_YEAR, "max_lifespan_years": MAX_LIFESPAN_YEARS}
    return sql, bind(sql, figure_params | kpi_params | constants)


def rows_query(dataset: Dataset, selection: Filters) -> tuple[str, dict[str, Any]]:
    """The query returning the selection's customers with their purchases and revenue."""
    return orders_query(with_ctes(load_sql("segment_purchases"),
                                  query=load_sql("explain_segment_customers")),
                        dataset, selection)


def _explain(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
             filters: Filters, at: At) -> Explanation:
    """One segment value's figure with its inputs, the SQL of both and its customers."""
    by, value = segment_value(store, dataset, filters, at.group)
    selection = value_selection(filters, by, value)
    sql, params = value_query(dataset, filters, metric.id, formula, selection)
    values = dict(zip((metric.id, *formula.inputs),
                      (number(v) for v in query_row(store, sql, params)), strict=True))
    window, (first, _) = rfm_window(dataset, filters), orders_span(dataset)
    return explanation(store, metric, formula, filters,
                       (max(window.start, first), window.reference_day), values,
                       (sql, params), rows_query(dataset, selection),
                       detail={"group": f"{by}={value}"})


def _number_of_row(row: Mapping[str, Any], options: Mapping[str, Any]) -> At:
    """A segment value's figure, as segment=value."""
    return At(group=f"{options['by']}={row['value']}")


SEGMENTS = Family(
    metrics=SEGMENT_EXPLAINED, formulas=FORMULAS, explain=_explain,
    column_labels={
        "customers": N_("Customers with a purchase"),
        "pooled_start": N_("ΣS over the complete periods"),
        "pooled_new": N_("ΣN over the complete periods"),
        "pooled_end": N_("ΣE over the complete periods"),
        "pooled_retained": N_("Σ retained customers over the complete periods"),
        "window_days": N_("Days of the selection"),
        "periods_per_year": N_("Periods per year"),
    },
    column_units={"customers": "customers", "window_days": "ratio",
                  "periods_per_year": "ratio"},
    example=first_row(_number_of_row),
)
