"""Every number a user reads, bound to the function that computes it: the definitions of
:mod:`metrics.definitions` (id, label, unit, definition, direction, significance test,
benchmark) joined with the metric function whose table holds the number and the column
holding it. :mod:`metrics.definitions` stays free of the metric modules (which read it);
this module joins the two."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pandas as pd

from metrics import retention, rfm, satisfaction, segments
from metrics.definitions import (
    BASE_COUNTS,
    CLI_QUESTION_MEANS,
    KPIS,
    LIFECYCLE_COUNTS,
    NPS_MIX,
    QUICK_RATIO,
    REGISTRY,
    RFM_FIGURES,
    SAMPLE_STATISTICS,
    SEGMENT_FIGURES,
    Metric,
)
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


_COMPUTED: dict[str, Entry] = {
    **_entries(KPIS + BASE_COUNTS + LIFECYCLE_COUNTS + SAMPLE_STATISTICS, kpi_table),
    **_entries((QUICK_RATIO,), retention.lifecycle_table),
    "nps": Entry(REGISTRY["nps"], satisfaction.nps_table),
    "csat": Entry(REGISTRY["csat"], satisfaction.csat_table),
    "cli": Entry(REGISTRY["cli"], satisfaction.cli_table),
    "nps_overall": Entry(REGISTRY["nps_overall"], satisfaction.nps_overall, "nps"),
    "nps_latest": Entry(REGISTRY["nps_latest"], satisfaction.nps_latest_answers, "nps"),
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

# Every entry, in the order of metrics.definitions.ALL_METRICS.
ENTRIES: dict[str, Entry] = {metric_id: _COMPUTED[metric_id] for metric_id in REGISTRY}


def entry(metric_id: str) -> Entry:
    """The registry entry of a metric id (a KeyError for an unknown id is a bug)."""
    return ENTRIES[metric_id]
