"""Which filter states the page tables stored with a dataset at ingest answer, and the
query reading them (metrics/page_aggregates.py builds them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from metrics.query.filters import Filters, orders_span, period_range
from metrics.query.sql import bind, load_sql, period_index, quote_ident
from metrics.store import Dataset

# The page tables in a dataset's file: the KPI table (lifecycle included) per period and
# inactivity window, the cohort table per period.
STORED_KPIS = "page_kpis"
STORED_COHORTS = "page_cohorts"


def stored_periods(dataset: Dataset) -> set[str]:
    """The periods whose cohort table is stored with the dataset's orders."""
    orders = dataset.tables.get("orders")
    return {period for period, _ in orders.page_aggregates} if orders else set()


def _stored_for(dataset: Dataset, filters: Filters) -> bool:
    """Whether the filter state keeps every order (no segment filter) of a dataset whose
    stored page tables were computed with its purchase history."""
    return dataset.has_purchase_history and not filters.segments


def stored_kpi_query(dataset: Dataset, filters: Filters, columns: Sequence[str]
                     ) -> tuple[str, dict[str, Any]] | None:
    """The query reading the KPI table of ``filters`` (its ``columns``) from the stored
    page table, or None when none answers it: a segment filter, a period and inactivity
    window not stored, or a range starting before the data (whose periods before the
    first order the KPI query shows as rows of zeros)."""
    orders = dataset.tables.get("orders")
    if (orders is None or not _stored_for(dataset, filters)
            or (filters.period, filters.inactivity_days) not in orders.page_aggregates):
        return None
    first, last = orders_span(dataset)
    first_index, last_index = period_range(filters, first, last)
    if first_index < period_index(filters.period, first):
        return None
    return _query("stored_kpis", STORED_KPIS, dataset, columns, {
        "stored_period": filters.period, "inactivity_days": filters.inactivity_days,
        "first_index": first_index, "last_index": last_index})


def stored_cohort_query(dataset: Dataset, filters: Filters, columns: Sequence[str]
                        ) -> tuple[str, dict[str, Any]] | None:
    """The query reading the cohort table of ``filters`` (its ``columns``) from the stored
    page table, or None when none answers it: a segment filter, a period not stored, or
    a range not ending in the data's last period (its last period decides who is
    "active in c + k or later")."""
    if not _stored_for(dataset, filters) or filters.period not in stored_periods(dataset):
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
        stored_table=f"{quote_ident(dataset.schema)}.{quote_ident(table)}")
    return sql, bind(sql, params)
