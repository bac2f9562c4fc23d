"""Every number a user reads, bound to the function that computes it: the definitions of
:mod:`metrics.definitions` (id, label, unit, definition, direction, significance test,
benchmark) joined with the metric function whose table holds the number and the column
holding it. :mod:`metrics.definitions` stays free of the metric modules (which read it);
this module joins the two."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import Any

import pandas as pd

from metrics import loyalty, retention, rfm, satisfaction, segments, simulator, survival
from metrics.clv.cac import clv_cac_table, customer_acquisition_cost
from metrics.clv.historic import historic_clv
from metrics.clv.predictive import holdout_weeks, predicted_customers, predicted_totals
from metrics.clv.simple import simple_clv
from metrics.definitions import (
    BASE_COUNTS,
    CLI_QUESTION_MEANS,
    COHORT_CELLS,
    DRIVER_FIGURES,
    KPIS,
    LIFECYCLE_COUNTS,
    LOYALTY,
    NPS_MIX,
    QUICK_RATIO,
    REGISTRY,
    RFM_FIGURES,
    SAMPLE_STATISTICS,
    SEGMENT_FIGURES,
    SURVIVAL,
    Metric,
)
from metrics.drivers import driver_table
from metrics.kpis import kpi_table
from metrics.query.filters import Filters
from metrics.query.segments import RFM_SEGMENT
from metrics.store import Dataset, Store

# A metric function: (store, dataset, filters, **options) -> the table holding the number.
MetricFunction = Callable[..., pd.DataFrame]


@dataclass(frozen=True)
class Entry:
    """A registry entry: the metric's definition, the function computing the table that
    holds it and the column of that table (its id unless said otherwise)."""

    metric: Metric
    compute: MetricFunction
    column: str = ""
    # Options the function needs to compute the table (e.g. the segment compared), for
    # callers that compute it without a page's choices (the contract test, a report).
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.metric.id

    @property
    def value_column(self) -> str:
        return self.column or self.metric.id

    def table(self, store: Store, dataset: Dataset, filters: Filters, **options: Any
              ) -> pd.DataFrame:
        """The table holding the metric (its column :attr:`value_column`); ``options``
        override the entry's :attr:`options`."""
        return self.compute(store, dataset, filters, **{**self.options, **options})


# The columns of metrics.segments.segment_summary holding SEGMENT_FIGURES, in their order.
_SEGMENT_COLUMNS = ("customers", "orders", "revenue", "retention_rate", "aov",
                    "repeat_purchase_rate", "annual_churn_pct", "clv")


def _entries(metrics: tuple[Metric, ...], compute: MetricFunction) -> dict[str, Entry]:
    return {metric.id: Entry(metric, compute) for metric in metrics}


def _cohort_cells(columns: dict[str, str]) -> dict[str, Entry]:
    """Cohort cells held by a column of :func:`metrics.retention.cohort_table` named
    otherwise than the metric."""
    return {metric_id: Entry(REGISTRY[metric_id], retention.cohort_table, column)
            for metric_id, column in columns.items()}


# Cohort retention held by the column retention_pct of the cohort table (or of its average
# row) computed with other options than the defaults.
_RETENTION_PCT: dict[str, MetricFunction] = {
    "cohort_unbounded_retention": partial(retention.cohort_table, unbounded=True),
    "cohort_revenue_retention": partial(retention.cohort_table, metric="revenue"),
    "cohort_average_retention": retention.cohort_average_table,
    "cohort_average_unbounded_retention": partial(retention.cohort_average_table,
                                                  unbounded=True),
    "cohort_average_revenue_retention": partial(retention.cohort_average_table,
                                                metric="revenue"),
}

# The CLV page's numbers (metrics.clv): the function computing each one's table and its
# column there.
_CLV_TABLES: dict[str, tuple[MetricFunction, str]] = {
    "clv_simple": (simple_clv, "clv"),
    "clv_aov": (simple_clv, "aov"),
    "clv_purchases_per_year": (simple_clv, "purchases_per_year"),
    "clv_annual_churn": (simple_clv, "annual_churn_pct"),
    "clv_lifespan": (simple_clv, "lifespan_years"),
    "clv_gross_margin": (simple_clv, "gross_margin"),
    "clv_historic": (historic_clv, "cumulative_revenue_per_customer"),
    "clv_predicted": (predicted_customers, "clv"),
    "clv_expected_purchases": (predicted_customers, "expected_purchases"),
    "clv_probability_alive": (predicted_customers, "probability_alive"),
    "clv_predicted_total": (predicted_totals, "total_clv"),
    "clv_predicted_mean": (predicted_totals, "mean_clv"),
    "clv_expected_purchases_total": (predicted_totals, "expected_purchases"),
    "clv_probability_alive_mean": (predicted_totals, "probability_alive_pct"),
    "clv_holdout_actual": (holdout_weeks, "actual"),
    "clv_holdout_predicted": (holdout_weeks, "predicted"),
    "cac_spend": (customer_acquisition_cost, "spend"),
    "cac_new_customers": (customer_acquisition_cost, "new_customers"),
    "cac": (customer_acquisition_cost, "cac"),
    "clv_cac": (clv_cac_table, "clv_cac_ratio"),
}

_COMPUTED: dict[str, Entry] = {
    **_entries(KPIS + BASE_COUNTS + LIFECYCLE_COUNTS + SAMPLE_STATISTICS, kpi_table),
    **_entries((QUICK_RATIO,), retention.lifecycle_table),
    "nps": Entry(REGISTRY["nps"], satisfaction.nps_table),
    "csat": Entry(REGISTRY["csat"], satisfaction.csat_table),
    "cli": Entry(REGISTRY["cli"], satisfaction.cli_table),
    "nps_overall": Entry(REGISTRY["nps_overall"], satisfaction.nps_overall, "nps"),
    "nps_latest": Entry(REGISTRY["nps_latest"], satisfaction.nps_latest_answers, "nps"),
    **_entries(COHORT_CELLS, retention.cohort_table),
    **_cohort_cells({
        "cohort_retention": "retention_pct", "cohort_active_customers": "active_customers",
        "cohort_active_or_later": "active_or_later", "cohort_revenue": "revenue",
        "cohort_first_period_revenue": "first_period_revenue"}),
    **{metric_id: Entry(REGISTRY[metric_id], compute, "retention_pct")
       for metric_id, compute in _RETENTION_PCT.items()},
    **{m.id: Entry(m, survival.survival_curve, "survival_pct") for m in SURVIVAL},
    **{metric_id: Entry(REGISTRY[metric_id], compute, column)
       for metric_id, (compute, column) in _CLV_TABLES.items()},
    # the margin is the user's own input (none by default: then the figure does not
    # exist); a caller without the page's choice gets the simulator's default 30%
    "clv_gross_margin": Entry(REGISTRY["clv_gross_margin"], simple_clv, "gross_margin",
                              MappingProxyType({"gross_margin": 0.3})),
    # one row per RFM segment; the column is the metric id without its "rfm_"
    **{m.id: Entry(m, rfm.rfm_summary, m.id.removeprefix("rfm_")) for m in RFM_FIGURES},
    # one row per value of a segment; every orders dataset has the RFM segment
    **{m.id: Entry(m, segments.segment_summary, column,
                   MappingProxyType({"by": RFM_SEGMENT}))
       for m, column in zip(SEGMENT_FIGURES, _SEGMENT_COLUMNS, strict=True)},
    **_entries(NPS_MIX, satisfaction.nps_mix),
    # cli_table names the questions' means without the "cli_"
    **{m.id: Entry(m, satisfaction.cli_table, m.id.removeprefix("cli_"))
       for m in CLI_QUESTION_MEANS},
    "score_answers": Entry(REGISTRY["score_answers"], satisfaction.score_distribution,
                           "responses"),
    "score_share": Entry(REGISTRY["score_share"], satisfaction.score_distribution,
                         "share_pct"),
    "nps_segment": Entry(REGISTRY["nps_segment"], satisfaction.nps_by_segment, "nps",
                         MappingProxyType({"by": RFM_SEGMENT})),
    "behaviour_ordered_again": Entry(REGISTRY["behaviour_ordered_again"],
                                     satisfaction.behaviour_by_group, "retention_pct"),
    "behaviour_revenue_per_answer": Entry(REGISTRY["behaviour_revenue_per_answer"],
                                          satisfaction.behaviour_by_group,
                                          "revenue_per_respondent"),
}

# The loyalty views' and the simulator's figures: (the metric function, the column) by
# registry id.
_LOYALTY_COLUMNS: dict[str, tuple[MetricFunction, str]] = {
    "loyalty_type_customers": (loyalty.loyalty_type_table, "customers"),
    "loyalty_type_share": (loyalty.loyalty_type_table, "share_pct"),
    "loyalty_type_retention": (loyalty.loyalty_type_table, "retention_pct"),
    "loyalty_type_purchase_frequency": (loyalty.loyalty_type_table, "purchase_frequency"),
    "loyalty_type_aov": (loyalty.loyalty_type_table, "aov"),
    "loyalty_type_revenue_per_customer": (loyalty.loyalty_type_table,
                                          "revenue_per_customer"),
    "upsell_ratio": (loyalty.upsell_table, "upsell_ratio"),
    "upsell_active_customers": (loyalty.upsell_table, "active_customers"),
    "upsell_one_product_customers": (loyalty.upsell_table, "one_product_customers"),
    "upsell_several_products_customers": (loyalty.upsell_table,
                                          "several_products_customers"),
    "next_product_customers": (loyalty.next_products, "customers"),
    "next_product_share": (loyalty.next_products, "share_pct"),
    "first_product_customers": (loyalty.next_products, "first_customers"),
    "first_product_returning": (loyalty.next_products, "returning_customers"),
    "programme_customers": (loyalty.programme_table, "customers"),
    "programme_retention": (loyalty.programme_table, "retention_pct"),
    "programme_purchase_frequency": (loyalty.programme_table, "purchase_frequency"),
    "programme_aov": (loyalty.programme_table, "aov"),
    "programme_revenue_per_customer": (loyalty.programme_table, "revenue_per_customer"),
    "redemption_rate": (loyalty.redemption_table, "redemption_rate_pct"),
    "redeemers_share": (loyalty.redemption_table, "redeemers_pct"),
    "redeemed_purchases": (loyalty.redemption_table, "redeemed_purchases"),
    "enrolment_share": (loyalty.enrolment_table, "enrolment_pct"),
    "enrolment_members": (loyalty.enrolment_table, "members"),
    "enrolment_customers": (loyalty.enrolment_table, "customers"),
    "points_aov": (loyalty.points_aov_table, "aov"),
    "points_purchases": (loyalty.points_aov_table, "purchases"),
    "points_revenue": (loyalty.points_aov_table, "revenue"),
    "simulated_retention_rate": (simulator.simulation_table, "retention_pct"),
    "simulated_customers": (simulator.simulation_table, "customers"),
    "simulated_revenue": (simulator.simulation_table, "revenue"),
    "simulated_gross_profit": (simulator.simulation_table, "gross_profit"),
    "simulated_programme_cost": (simulator.simulation_table, "programme_cost"),
    "simulated_profit": (simulator.simulation_table, "profit"),
    "simulated_profit_uplift": (simulator.simulation_table, "profit_uplift_pct"),
    "simulated_cumulative_profit_uplift": (simulator.simulation_table,
                                           "cumulative_profit_uplift_pct"),
    "simulated_clv": (simulator.simulation_table, "clv"),
    "baseline_joining_per_year": (simulator.baseline_table, "joining_per_year"),
    "baseline_revenue_per_customer": (simulator.baseline_table, "revenue_per_customer"),
}
# The options those functions need, for callers without a page's choices (the contract
# test): the enrolment split by the RFM segment (every orders dataset has it), the
# simulator's seed scenario (+5 retention points) at the page's default 30% margin.
_LOYALTY_OPTIONS: dict[MetricFunction, Mapping[str, Any]] = {
    loyalty.enrolment_table: MappingProxyType({"by": RFM_SEGMENT}),
    simulator.simulation_table: MappingProxyType({"retention_gain_pp": 5.0,
                                                  "gross_margin": 0.3}),
}
_COMPUTED |= {
    metric.id: Entry(metric, *_LOYALTY_COLUMNS[metric.id],
                     _LOYALTY_OPTIONS.get(_LOYALTY_COLUMNS[metric.id][0], {}))
    for metric in LOYALTY}

# The drivers' figures: one row per segment value of metrics.drivers.driver_table, the
# column the id without "driver_"; by default churn split by the RFM segment (every orders
# dataset has it) in the latest complete period.
_COMPUTED |= {
    metric.id: Entry(metric, driver_table, metric.id.removeprefix("driver_"),
                     MappingProxyType({"metric_id": "churn_rate", "by": RFM_SEGMENT}))
    for metric in DRIVER_FIGURES}

# Every entry, in the order of metrics.definitions.ALL_METRICS.
ENTRIES: dict[str, Entry] = {metric_id: _COMPUTED[metric_id] for metric_id in REGISTRY}


def entry(metric_id: str) -> Entry:
    """The registry entry of a metric id (a KeyError for an unknown id is a bug)."""
    return ENTRIES[metric_id]


def metric_functions() -> tuple[MetricFunction, ...]:
    """Every function computing a table of the registry, once each (a partial by its
    function: its options are the caller's)."""
    functions = (entry.compute for entry in ENTRIES.values())
    return tuple(dict.fromkeys(
        function.func if isinstance(function, partial) else function
        for function in functions))
