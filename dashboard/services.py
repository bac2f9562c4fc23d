"""The dashboard's access to ``metrics``: one cached store per signed-in user, cached results.

Results are cached on small hashable arguments (the store's folder and the workspaces its
user sees, dataset id and version, the frozen filter state); the store itself is left out
of the cache key. Keyed by the workspaces, a result computed for one user reaches only
users who may see the same datasets. Sessions asking for the same uncached result at once
share one computation (:mod:`dashboard.flights`).
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard.decoded import DecodedFrames
from dashboard.figures import call_key
from dashboard.flights import Flights
from dashboard.run_slots import RUN_SLOTS
from metrics import drivers, loyalty, retention, rfm, satisfaction, simulator, survival
from metrics.access import ADMIN, Principal, workspaces
from metrics.benchmarks import Benchmark, all_benchmarks
from metrics.clv import predictive
from metrics.digest import Digest, Rule, build_digest, digest_filters, saved_rules
from metrics.engines import Engine
from metrics.engines.spark import open_spark_store, spark_settings
from metrics.errors import AccessDenied
from metrics.explain import Explanation, explain
from metrics.i18n import N_, t
from metrics.kpis import (
    SuggestedWindow,
    covering_filters,
    kpi_table,
    rows_in_range,
    suggest_inactivity_days,
)
from metrics.query.filters import Filters
from metrics.query.segments import segment_values
from metrics.query.sql import Period
from metrics.registry import metric_functions
from metrics.store import Dataset, Store, default_db_path

P = ParamSpec("P")
R = TypeVar("R")

# The metric functions the pages may call through :func:`compute`: each takes (store,
# dataset, filters, **options) and returns what the page shows. Every function of the metric
# registry, and the page functions returning several of its figures at once (a model's
# result, a survival curve with its table) or the answers' comments. The cache keys them by
# their module and name (a small hashable key, like the arguments).
_PAGE_FUNCTIONS: tuple[Callable[..., Any], ...] = (
    retention.retention_table,
    survival.survival_curves,
    predictive.predictive_clv,
    predictive.holdout_validation,
    loyalty.loyalty_types,
    loyalty.programme_comparison,
    simulator.baseline,
    satisfaction.comments,
    satisfaction.response_coverage,
    rfm.rfm_table,
    drivers.drivers,
    drivers.all_drivers,
)
_METRICS: tuple[Callable[..., Any], ...] = tuple(dict.fromkeys(
    (*metric_functions(), *_PAGE_FUNCTIONS)))


def _key(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__qualname__}"


_BY_KEY: dict[str, Callable[..., Any]] = {_key(function): function for function in _METRICS}
# What a page says it is computing while a computation that takes seconds on a big shop
# runs (model fits, curves over every customer's history). Streamlit shows a spinner only
# after half a second, so a cached result never flashes one. The drivers have their own.
_SLOW: dict[str, str] = {
    _key(predictive.predictive_clv): N_(
        "Fitting the CLV models (BG/NBD and Gamma-Gamma) to every customer's purchases…"),
    _key(predictive.holdout_validation): N_(
        "Fitting the CLV models on the calibration months and checking them on the months "
        "after…"),
    _key(survival.survival_curves): N_(
        "Computing the survival curves from every customer's purchases…"),
}

# Every result is keyed by its dataset's version, so it never goes stale: the time to live
# only gives back the memory of views nobody has looked at for a while (a view opened
# again after that is recomputed, in seconds). The sizes bound the cache in memory
# whatever the data (pickled bytes, least recently used dropped first): the metric
# results include per-customer frames (RFM, CLV, loyalty types), the others are small.
CACHE_TTL = timedelta(hours=2)
_FLIGHTS = Flights()
# The data frames read lately, decoded once and shared (their pickled bytes stay in the
# cache): the frames the pages read are tables of periods and cohorts, from kilobytes to a
# few megabytes (a per-customer frame, tens of megabytes, is kept while it is read).
_DECODED = DecodedFrames(max_bytes=64 * 2**20, ttl=CACHE_TTL.total_seconds())


def clear_results() -> None:
    """Forgets every cached result, decoded ones included (tests that count computations
    start from none): ``st.cache_data.clear()`` alone leaves the decoded frames."""
    st.cache_data.clear()
    _DECODED.clear()


def _shared(*, max_entries: int, max_size: str
            ) -> Callable[[Callable[Concatenate[Store, P], R]],
                          Callable[Concatenate[Store, P], R]]:
    """``st.cache_data`` for results every session shares (bounded by ``max_entries``,
    ``max_size`` and :data:`CACHE_TTL`), with a failure shared by the calls that waited
    for it rather than repeated by each of them.

    The session's language is part of the key: a result may hold texts written in it (an
    explanation's definition and headers, an error's sentence), and a session in another
    language must not be handed them.
    """
    def decorate(function: Callable[Concatenate[Store, P], R]
                 ) -> Callable[Concatenate[Store, P], R]:
        @functools.wraps(function)  # the cache keys by the function's name and source
        def computation(_store: Store, key: str, others: list[object], _args: tuple[Any, ...],
                        _kwargs: dict[str, Any]) -> R:
            # not cached: queries, maybe seconds of them, so the run lets the next one have
            # its turn at Python rather than hold up the sessions whose views are cached
            RUN_SLOTS.step_aside()
            # the others by their own equality, as Streamlit keys them by their hash
            return _FLIGHTS.compute((key, *others), lambda: function(_store, *_args, **_kwargs))

        cached = st.cache_data(show_spinner=False, max_entries=max_entries,
                               max_size=max_size, ttl=CACHE_TTL)(computation)

        @functools.wraps(function)
        def call(_store: Store, *args: P.args, **kwargs: P.kwargs) -> R:
            _FLIGHTS.arrive()
            # keyed by one text of the function, the language and the arguments' content:
            # Streamlit hashing each argument itself (the filter state is a dataclass,
            # which it pickles) cost more than reading the result; it hashes only
            # ``others``, the values that text cannot hold (none, as the pages call)
            others: list[object] = []
            key = call_key(function, args, kwargs, others)
            if not others:  # a frame read before, not unpickled again (dashboard.decoded)
                frame = _DECODED.get(key)
                if frame is not None:
                    return cast(R, frame)
            if _FLIGHTS.computing((key, *others)):
                RUN_SLOTS.step_aside()  # it waits for another session's computation
            result = cached(_store, key, others, args, kwargs)
            if not others and isinstance(result, pd.DataFrame):
                return cast(R, _DECODED.keep(key, result))
            return result
        return call
    return decorate


# The session-state key dashboard.signin keeps the session's principal under.
PRINCIPAL = "_principal"
# What a cached result is keyed by besides its own arguments: the store's folder, and
# whether its user sees every workspace or which ones.
Scope = tuple[str, bool, tuple[str, ...]]


@st.cache_resource(show_spinner=False)
def _open_store(path: str, user: str | None = None, workspaces: tuple[str, ...] = (),
                is_admin: bool = True) -> Store:
    # with the engine's threads and memory (metrics.engine)
    return Store(path, principal=Principal(user, frozenset(workspaces), is_admin))


def session_principal() -> Principal:
    """Who uses this session, as :mod:`dashboard.signin` found; nobody signed in is
    refused (a page never opens data for an unknown user). Outside a Streamlit session
    (a benchmark or script on the server, as the CLI without ``--user``): the local
    administrator."""
    if get_script_run_ctx() is None:
        return ADMIN
    principal = st.session_state.get(PRINCIPAL)
    if not isinstance(principal, Principal):
        raise AccessDenied()
    return principal


@st.cache_resource(show_spinner=False)
def _open_spark_store(source: str, remote: str | None) -> Store:
    store = open_spark_store(source, remote)
    store.engine = SpinningEngine(store.engine)
    return store


class SpinningEngine:
    """An engine showing a spinner while a query runs (on a cluster a query takes seconds
    where DuckDB takes milliseconds); the results, and so their caching, are unchanged."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def frame(self, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
        with st.spinner(t("Computing on Spark…")):
            return self.engine.frame(sql, params)

    def arrow(self, sql: str, params: Mapping[str, Any]) -> Any:
        with st.spinner(t("Computing on Spark…")):
            return self.engine.arrow(sql, params)

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        with st.spinner(t("Computing on Spark…")):
            return self.engine.rows(sql, params)

    def columns_rows(self, sql: str, params: Mapping[str, Any]
                     ) -> tuple[list[str], list[tuple[Any, ...]]]:
        with st.spinner(t("Computing on Spark…")):
            return self.engine.columns_rows(sql, params)


def get_store() -> Store:
    """The store of the configured data folder as this session's user sees it: only
    their workspaces' datasets (one per user, shared by their sessions; it hands out a
    cursor per query and follows the catalogue other processes write). With
    ``LOYALTYLENS_ENGINE=spark``: the Spark export of ``LOYALTYLENS_SPARK_SOURCE``."""
    spark = spark_settings(os.environ)
    if spark is not None:
        return _open_spark_store(*spark)
    principal = session_principal()
    return _open_store(str(default_db_path()), principal.name,
                       tuple(sorted(principal.workspaces)), principal.is_admin)


def own_workspaces() -> list[str]:
    """The workspaces this session's user may store into: theirs, or every one for an
    administrator (``default`` first)."""
    principal = session_principal()
    every = workspaces(default_db_path())
    return [name for name in every if principal.can_see(name)]


def cache_scope(store: Store) -> Scope:
    """The part of a cache key that keeps one user's results from another who may not
    see the same workspaces."""
    principal = store.principal
    return store.path, principal.is_admin, tuple(sorted(principal.workspaces))


def dataset_version(dataset: Dataset) -> str:
    """Changes whenever the dataset is stored again (any of its tables (re)loaded, by
    this process or another): the name of its stored version, then its tables' times."""
    return "|".join([dataset.version, *(f"{kind}@{info.loaded_at.isoformat()}"
                                        for kind, info in sorted(dataset.tables.items()))])


@_shared(max_entries=512, max_size="64MB")
def _kpis(_store: Store, scope: Scope, dataset_id: str, version: str, filters: Filters
          ) -> pd.DataFrame:
    return kpi_table(_store, _store.dataset(dataset_id), filters)


def kpis(dataset: Dataset, filters: Filters) -> pd.DataFrame:
    return _kpi_rows(get_store(), dataset, filters)


def _kpi_rows(store: Store, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """The KPI table of ``filters`` as rows of the cached table that covers it: one KPI
    query for every view of a period and window (metrics.kpis.covering_filters)."""
    covering = covering_filters(dataset, filters)
    table = _kpis(store, cache_scope(store), dataset.id, dataset_version(dataset), covering)
    return table if covering == filters else rows_in_range(table, dataset, filters)


def retention_by_period(dataset: Dataset, filters: Filters, base: retention.Base,
                        table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Retention and churn by period: with the orders as the base, the columns of the
    cached KPI table (the Overview's query, not a second one; ``table`` when the caller
    read it already); else the subscriptions'."""
    if base == "orders":
        found = kpis(dataset, filters) if table is None else table
        return found[list(retention.RETENTION_COLUMNS)]
    return compute(retention.retention_table, dataset, filters, base=base)


def lifecycle(dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """The customer lifecycle by period, from the cached KPI table."""
    return retention.lifecycle_from_kpis(kpis(dataset, filters))


@_shared(max_entries=512, max_size="512MB")
def _compute(_store: Store, scope: Scope, dataset_id: str, version: str, name: str,
             filters: Filters, options: tuple[tuple[str, Any], ...]) -> Any:
    return _BY_KEY[name](_store, _store.dataset(dataset_id), filters, **dict(options))


# Tables a page derives from a cached result (in pandas, no query): cached too, since with
# many sessions on one view every run of the page would otherwise repeat the work.
_DERIVED: dict[str, Callable[..., Any]] = {_key(function): function for function in (
    retention.cohort_average, retention.cohort_curves)}


@_shared(max_entries=512, max_size="128MB")
def _derive(_store: Store, scope: Scope, dataset_id: str, version: str, name: str,
            source: str, filters: Filters, source_options: tuple[tuple[str, Any], ...],
            options: tuple[tuple[str, Any], ...]) -> Any:
    table = _compute(_store, scope, dataset_id, version, source, filters, source_options)
    return _DERIVED[name](table, **dict(options))


def derive(derived: Callable[..., R], source: Callable[..., Any], dataset: Dataset,
           filters: Filters, source_options: dict[str, Any], **options: Any) -> R:
    """``derived(table, **options)`` of ``compute(source, dataset, filters,
    **source_options)``'s table (``derived`` one of :data:`_DERIVED`), cached like it."""
    name = _key(derived)
    if name not in _DERIVED:
        raise ValueError(f"{name} is not a derived table the dashboard caches")
    store = get_store()
    result: R = _derive(store, cache_scope(store), dataset.id, dataset_version(dataset), name,
                        _key(source), filters, tuple(sorted(source_options.items())),
                        tuple(sorted(options.items())))
    return result


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
    slow = _SLOW.get(name)
    with st.spinner(t(slow), show_time=True) if slow else contextlib.nullcontext():
        result: R = _compute(store, cache_scope(store), dataset.id, dataset_version(dataset),
                             name, filters, tuple(sorted(options.items())))
    return result


@_shared(max_entries=256, max_size="128MB")
def _explanation(_store: Store, scope: Scope, dataset_id: str, version: str, metric_id: str,
                 filters: Filters, period_start: date | None, offset: int | None,
                 group: str | None, options: tuple[tuple[str, Any], ...] = ()
                 ) -> Explanation:
    return explain(_store, _store.dataset(dataset_id), metric_id, filters, period_start,
                   offset=offset, group=group, options=dict(options))


def explanation(dataset: Dataset, metric_id: str, filters: Filters,
                period_start: date | None = None, *, offset: int | None = None,
                group: str | None = None, options: Mapping[str, Any] | None = None
                ) -> Explanation:
    """How one number is computed (:func:`metrics.explain.explain`), cached: a page asks
    for it only when a user opens a "How is this computed?". ``options`` are the metric
    function's options the page shows the number with."""
    store = get_store()
    return _explanation(store, cache_scope(store), dataset.id, dataset_version(dataset), metric_id,
                        filters, period_start, offset, group,
                        tuple(sorted((options or {}).items())))


@_shared(max_entries=64, max_size="16MB")
def _segments(_store: Store, scope: Scope, dataset_id: str, version: str
              ) -> dict[str, list[str]]:
    return segment_values(_store, _store.dataset(dataset_id))


def segments(dataset: Dataset) -> dict[str, list[str]]:
    store = get_store()
    return _segments(store, cache_scope(store), dataset.id, dataset_version(dataset))


@_shared(max_entries=64, max_size="1MB")
def _suggested_window(_store: Store, scope: Scope, dataset_id: str, version: str
                      ) -> SuggestedWindow | None:
    return suggest_inactivity_days(_store, _store.dataset(dataset_id))


def suggested_window(dataset: Dataset) -> SuggestedWindow | None:
    store = get_store()
    return _suggested_window(store, cache_scope(store), dataset.id, dataset_version(dataset))


_BENCHMARKS: dict[Scope, tuple[object, list[Benchmark]]] = {}


def benchmarks() -> list[Benchmark]:
    """Every benchmark figure: the shipped ones and the sets users saved, read again once
    the store changed (so a set saved on the Data page shows at once), not on every run of
    every session's sidebar."""
    store = get_store()
    scope, state = cache_scope(store), store.state()
    known = _BENCHMARKS.get(scope)
    if known is None or known[0] != state:
        known = (state, all_benchmarks(store))
        _BENCHMARKS[scope] = known  # one entry per user scope; a race reads twice
    return list(known[1])


@_shared(max_entries=256, max_size="16MB")
def _digest(_store: Store, scope: Scope, dataset_id: str, version: str, as_of: date,
            rules: tuple[Rule, ...], period: Period, inactivity_days: int) -> Digest:
    dataset = _store.dataset(dataset_id)
    # the KPI table the Overview computed for its own range covers the digest's
    kpi_frame = _kpi_rows(_store, dataset, digest_filters(as_of, period, inactivity_days))
    return build_digest(_store, dataset, as_of, rules, period=period,
                        inactivity_days=inactivity_days, kpi_frame=kpi_frame)


def digest(dataset: Dataset, as_of: date, period: Period, inactivity_days: int) -> Digest:
    """The digest with the dataset's alert rules (saved, else the default ones), cached on
    the rules themselves so an edit shows at once."""
    store = get_store()
    return _digest(store, cache_scope(store), dataset.id, dataset_version(dataset), as_of,
                   saved_rules(store, dataset), period, inactivity_days)
