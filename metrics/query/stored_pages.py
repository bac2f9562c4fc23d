"""Which filter states the page tables stored with a dataset at ingest answer, and the
query reading them (metrics/page_aggregates.py builds them)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from metrics.query.filters import DEFAULT_INACTIVITY_DAYS, Filters, orders_span, period_range
from metrics.query.sql import bind, load_sql, period_index, quote_ident
from metrics.store import Dataset

# The page tables in a dataset's file: the KPI table (lifecycle included) per period and
# inactivity window, the cohort table per period.
STORED_KPIS = "page_kpis"
STORED_COHORTS = "page_cohorts"


def page_key(table: str, period: str, days: int | None = None) -> str:
    """The name of one stored page table's rows in the catalogue: the table, the period
    and (KPIs) the inactivity window."""
    return f"{table}/{period}" if days is None else f"{table}/{period}/{days}"


def fingerprint(sql: str) -> str:
    """Names the query that computed a page table: rows stored by another version of the
    query (a metric changed since, or a column added) no longer answer a page."""
    return hashlib.sha256(sql.encode("utf-8")).hexdigest()[:16]


def recorded_windows(dataset: Dataset, period: str) -> list[int]:
    """The inactivity windows whose KPI table of ``period`` a dataset's record holds."""
    orders = dataset.tables.get("orders")
    prefix = page_key(STORED_KPIS, period) + "/"
    return [int(key.removeprefix(prefix))
            for key in (orders.page_aggregates if orders else {}) if key.startswith(prefix)]


def whole_data(filters: Filters) -> Filters:
    """The filter state a page table is stored for: the period and window of ``filters``,
    the whole data, no segment filter."""
    return Filters(period=filters.period, inactivity_days=filters.inactivity_days)


def _stored(dataset: Dataset, filters: Filters, key: str,
            definition: Callable[[Filters], str]) -> bool:
    """Whether the page table ``key`` is stored, computed by today's query for the whole
    data, for a filter state that keeps every order (no segment filter)."""
    orders = dataset.tables.get("orders")
    found = orders.page_aggregates.get(key) if orders else None
    return (found is not None and dataset.has_purchase_history and not filters.segments
            and found == fingerprint(definition(whole_data(filters))))


def stored_kpi_query(dataset: Dataset, filters: Filters, columns: Sequence[str],
                     definition: Callable[[Filters], str]) -> tuple[str, dict[str, Any]] | None:
    """The query reading the KPI table of ``filters`` (its ``columns``) from the stored
    page table, or None when none answers it: a segment filter, a period and inactivity
    window not stored or stored by another ``definition`` (the KPI query's text for a
    filter state), or a range starting before the data (whose periods before the first
    order the KPI query shows as rows of zeros)."""
    if not _stored(dataset, filters, page_key(STORED_KPIS, filters.period,
                                              filters.inactivity_days), definition):
        return None
    first, last = orders_span(dataset)
    first_index, last_index = period_range(filters, first, last)
    if first_index < period_index(filters.period, first):
        return None
    return _query("stored_kpis", STORED_KPIS, dataset, columns, {
        "stored_period": filters.period, "inactivity_days": filters.inactivity_days,
        "first_index": first_index, "last_index": last_index})


def stored_pieces_query(dataset: Dataset, filters: Filters, columns: Sequence[str],
                        definition: Callable[[Filters], str]
                        ) -> tuple[str, dict[str, Any]] | None:
    """The CTE ``stored_pieces`` reading ``columns`` of the KPI table (KPIs that do not
    depend on the inactivity window) by period from a KPI table stored for the period of
    ``filters`` at any window (the default first), or None when none answers it: a
    segment filter, no stored window of the period, or tables stored by another
    ``definition`` (the KPI query's text for a filter state)."""
    windows = sorted(recorded_windows(dataset, filters.period),
                     key=lambda days: (days != DEFAULT_INACTIVITY_DAYS, days))
    for days in windows:
        stored = replace(filters, inactivity_days=days)
        if _stored(dataset, stored, page_key(STORED_KPIS, filters.period, days), definition):
            sql = load_sql("stored_kpi_pieces").format(
                columns=", ".join(quote_ident(column) for column in columns),
                stored_table=_stored_table(dataset, STORED_KPIS))
            return sql, {"stored_period": filters.period, "stored_window": days}
    return None


def stored_cohort_query(dataset: Dataset, filters: Filters, columns: Sequence[str],
                        definition: Callable[[Filters], str]
                        ) -> tuple[str, dict[str, Any]] | None:
    """The query reading the cohort table of ``filters`` (its ``columns``) from the stored
    page table, or None when none answers it: a segment filter, a period not stored or
    stored by another ``definition`` (the cohort query's text for a filter state), or a
    range not ending in the data's last period (its last period decides who is "active in
    c + k or later")."""
    if not _stored(dataset, filters, page_key(STORED_COHORTS, filters.period), definition):
        return None
    first, last = orders_span(dataset)
    first_index, last_index = period_range(filters, first, last)
    if last_index != period_index(filters.period, last):
        return None
    return _query("stored_cohorts", STORED_COHORTS, dataset, columns, {
        "stored_period": filters.period, "first_index": first_index,
        "last_index": last_index})


def _query(template: str, table: str, dataset: Dataset, columns: Sequence[str],
           params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    sql = load_sql(template).format(
        columns=", ".join(quote_ident(column) for column in columns),
        stored_table=_stored_table(dataset, table))
    return sql, bind(sql, params)


def _stored_table(dataset: Dataset, table: str) -> str:
    return f"{quote_ident(dataset.schema)}.{quote_ident(table)}"
