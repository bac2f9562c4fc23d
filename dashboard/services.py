"""The dashboard's access to ``metrics``: one cached store per process, cached results.

Results are cached on small hashable arguments (dataset id and version, the frozen filter
state); the store itself is left out of the cache key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Concatenate, ParamSpec, TypeVar

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

P = ParamSpec("P")
R = TypeVar("R")

# The metric functions the pages may call through :func:`compute`: each takes (store,
# dataset, filters, **options) and returns what the page shows. The cache keys them by
# their module and name (a small hashable key, like the arguments).
_METRICS: tuple[Callable[..., Any], ...] = (
    retention.retention_table,
    retention.cohort_table,
    survival.survival_curves,
    simple.simple_clv,
    historic.historic_clv,
    predictive.predictive_clv,
    predictive.holdout_validation,
    cac.customer_acquisition_cost,
    loyalty.loyalty_types,
    loyalty.upsell_table,
    loyalty.next_products,
    loyalty.programme_comparison,
    simulator.baseline,
    satisfaction.nps_table,
    satisfaction.nps_by_segment,
    satisfaction.nps_latest_answers,
    satisfaction.nps_overall,
    satisfaction.score_distribution,
    satisfaction.csat_table,
    satisfaction.cli_table,
    satisfaction.comments,
    satisfaction.behaviour_by_group,
    satisfaction.response_coverage,
    rfm.rfm_table,
    rfm.rfm_summary,
    segment_summary,
)


def _key(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__qualname__}"


_BY_KEY: dict[str, Callable[..., Any]] = {_key(function): function for function in _METRICS}

@st.cache_resource(show_spinner=False)
def _open_store(path: str) -> Store:
    return Store(path)


def get_store() -> Store:
    """The process's store for the configured data folder (shared by the sessions: it
    hands out a cursor per query and follows the catalogue other processes write)."""
    return _open_store(str(default_db_path()))


def dataset_version(dataset: Dataset) -> str:
    """Changes whenever the dataset is stored again (any of its tables (re)loaded, by
    this process or another): the name of its stored version, then its tables' times."""
    return "|".join([dataset.version, *(f"{kind}@{info.loaded_at.isoformat()}"
                                        for kind, info in sorted(dataset.tables.items()))])


@st.cache_data(show_spinner=False, max_entries=512)
def _kpis(_store: Store, db: str, dataset_id: str, version: str, filters: Filters
          ) -> pd.DataFrame:
    return kpi_table(_store, _store.dataset(dataset_id), filters)


def kpis(dataset: Dataset, filters: Filters) -> pd.DataFrame:
    store = get_store()
    return _kpis(store, store.path, dataset.id, dataset_version(dataset), filters)


def retention_by_period(dataset: Dataset, filters: Filters, base: retention.Base
                        ) -> pd.DataFrame:
    """Retention and churn by period: with the orders as the base, the columns of the
    cached KPI table (the Overview's query, not a second one); else the subscriptions'."""
    if base == "orders":
        return kpis(dataset, filters)[list(retention.RETENTION_COLUMNS)]
    return compute(retention.retention_table, dataset, filters, base=base)


def lifecycle(dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """The customer lifecycle by period, from the cached KPI table."""
    return retention.lifecycle_from_kpis(kpis(dataset, filters))


@st.cache_data(show_spinner=False, max_entries=512)
def _compute(_store: Store, db: str, dataset_id: str, version: str, name: str,
             filters: Filters, options: tuple[tuple[str, Any], ...]) -> Any:
    return _BY_KEY[name](_store, _store.dataset(dataset_id), filters, **dict(options))


def compute(function: Callable[Concatenate[Store, Dataset, Filters, P], R], dataset: Dataset,
            filters: Filters, *args: P.args, **options: P.kwargs) -> R:
    """``function``'s result (one of the metric functions of :data:`_METRICS`) for this
    filter state, cached on small hashable keys; ``options`` by keyword (they are part of
    the key), checked against ``function``'s signature by mypy."""
    name = _key(function)
    if name not in _BY_KEY:
        raise ValueError(f"{name} is not a metric function the dashboard caches")
    if args:
        raise TypeError("pass a metric function's options by keyword")
    store = get_store()
    result: R = _compute(store, store.path, dataset.id, dataset_version(dataset), name,
                         filters, tuple(sorted(options.items())))
    return result


@st.cache_data(show_spinner=False, max_entries=256)
def _explanation(_store: Store, db: str, dataset_id: str, version: str, metric_id: str,
                 filters: Filters, period_start: date | None, offset: int | None,
                 group: str | None) -> Explanation:
    return explain(_store, _store.dataset(dataset_id), metric_id, filters, period_start,
                   offset=offset, group=group)


def explanation(dataset: Dataset, metric_id: str, filters: Filters,
                period_start: date | None = None, *, offset: int | None = None,
                group: str | None = None) -> Explanation:
    """How one number is computed (:func:`metrics.explain.explain`), cached: a page asks
    for it only when a user opens a "How is this computed?"."""
    store = get_store()
    return _explanation(store, store.path, dataset.id, dataset_version(dataset), metric_id,
                        filters, period_start, offset, group)


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
