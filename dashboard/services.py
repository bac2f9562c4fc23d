"""The dashboard's access to ``metrics``: one cached store per process, cached results.

Results are cached on small hashable arguments (dataset id and version, the frozen filter
state); the store itself is left out of the cache key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from metrics import loyalty, retention, rfm, satisfaction, simulator, survival
from metrics.benchmarks import Benchmark, all_benchmarks
from metrics.clv import cac, historic, predictive, simple
from metrics.explain import Explanation, explain
from metrics.kpis import SuggestedWindow, kpi_table, suggest_inactivity_days
from metrics.query.filters import Filters
from metrics.query.segments import segment_values
from metrics.segments import segment_summary
from metrics.store import Dataset, Store, default_db_path

# The metric functions the pages call, by name: each takes (store, dataset, filters,
# **options) and returns what the page shows.
_METRICS: dict[str, Callable[..., Any]] = {
    "retention": retention.retention_table,
    "cohorts": retention.cohort_table,
    "survival": survival.survival_curves,
    "simple_clv": simple.simple_clv,
    "historic_clv": historic.historic_clv,
    "predictive_clv": predictive.predictive_clv,
    "holdout": predictive.holdout_validation,
    "cac": cac.customer_acquisition_cost,
    "loyalty_types": loyalty.loyalty_types,
    "upsell": loyalty.upsell_table,
    "next_products": loyalty.next_products,
    "programme": loyalty.programme_comparison,
    "simulator_baseline": simulator.baseline,
    "nps": satisfaction.nps_table,
    "nps_by_segment": satisfaction.nps_by_segment,
    "nps_latest": satisfaction.nps_latest_answers,
    "nps_overall": satisfaction.nps_overall,
    "nps_distribution": satisfaction.score_distribution,
    "csat": satisfaction.csat_table,
    "cli": satisfaction.cli_table,
    "comments": satisfaction.comments,
    "survey_behaviour": satisfaction.behaviour_by_group,
    "survey_coverage": satisfaction.response_coverage,
    "rfm": rfm.rfm_table,
    "rfm_summary": rfm.rfm_summary,
    "segment_summary": segment_summary,
}


@st.cache_resource(show_spinner=False)
def _open_store(path: str) -> Store:
    return Store(path)


def get_store() -> Store:
    """The process's store for the configured database file (one connection, shared)."""
    return _open_store(str(default_db_path()))


def dataset_version(dataset: Dataset) -> str:
    """Changes whenever any of the dataset's tables is (re)loaded."""
    return "|".join(f"{kind}@{info.loaded_at.isoformat()}"
                    for kind, info in sorted(dataset.tables.items()))


@st.cache_data(show_spinner=False, max_entries=512)
def _kpis(_store: Store, db: str, dataset_id: str, version: str, filters: Filters
          ) -> pd.DataFrame:
    return kpi_table(_store, _store.dataset(dataset_id), filters)


def kpis(dataset: Dataset, filters: Filters) -> pd.DataFrame:
    store = get_store()
    return _kpis(store, store.path, dataset.id, dataset_version(dataset), filters)


def retention_by_period(dataset: Dataset, filters: Filters, base: str) -> pd.DataFrame:
    """Retention and churn by period: with the orders as the base, the columns of the
    cached KPI table (the Overview's query, not a second one); else the subscriptions'."""
    if base == "orders":
        return kpis(dataset, filters)[list(retention.RETENTION_COLUMNS)]
    return compute("retention", dataset, filters, base=base)


def lifecycle(dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """The customer lifecycle by period, from the cached KPI table."""
    return retention.lifecycle_from_kpis(kpis(dataset, filters))


@st.cache_data(show_spinner=False, max_entries=512)
def _compute(_store: Store, db: str, dataset_id: str, version: str, name: str,
             filters: Filters, options: tuple[tuple[str, Any], ...]) -> Any:
    return _METRICS[name](_store, _store.dataset(dataset_id), filters, **dict(options))


def compute(name: str, dataset: Dataset, filters: Filters, **options: Any) -> Any:
    """A metric function's result for this filter state, cached on small hashable keys."""
    store = get_store()
    return _compute(store, store.path, dataset.id, dataset_version(dataset), name, filters,
                    tuple(sorted(options.items())))


@st.cache_data(show_spinner=False, max_entries=256)
def _explanation(_store: Store, db: str, dataset_id: str, version: str, metric_id: str,
                 filters: Filters, period_start: date) -> Explanation:
    return explain(_store, _store.dataset(dataset_id), metric_id, filters, period_start)


def explanation(dataset: Dataset, metric_id: str, filters: Filters, period_start: date
                ) -> Explanation:
    """How one KPI of one period is computed (:func:`metrics.explain.explain`), cached:
    the Overview asks for it only when a user opens a card's "How is this computed?"."""
    store = get_store()
    return _explanation(store, store.path, dataset.id, dataset_version(dataset), metric_id,
                        filters, period_start)


@st.cache_data(show_spinner=False, max_entries=64)
def _segments(_store: Store, db: str, dataset_id: str, version: str) -> dict[str, list[str]]:
    return segment_values(_store, _store.dataset(dataset_id))


def segments(dataset: Dataset) -> dict[str, list[str]]:
    store = get_store()
    return _segments(store, store.path, dataset.id, dataset_version(dataset))


@st.cache_data(show_spinner=False, max_entries=64)
def _suggested_window(_store: Store, db: str, dataset_id: str, version: str
                      ) -> SuggestedWindow | None:
    return suggest_inactivity_days(_store, _store.dataset(dataset_id))


def suggested_window(dataset: Dataset) -> SuggestedWindow | None:
    store = get_store()
    return _suggested_window(store, store.path, dataset.id, dataset_version(dataset))


def benchmarks() -> list[Benchmark]:
    """Every benchmark figure: the shipped ones and the sets users saved (a small table,
    read afresh so a set saved on the Data page shows at once)."""
    return all_benchmarks(get_store())
