"""Page tables stored with a dataset's orders when they are stored: the KPI and cohort
tables of the common filter states, computed by the pages' own queries, so that a page
reads a few hundred rows instead of scanning every order (README, "Performance").

The common filter states are the weeks, months and quarters with the default inactivity
window W and no segment filter, over any date range of whole periods inside the data
(metrics/query/stored_pages.py says which ranges each table answers). The tables live in
the dataset version's own file, written in the same job as the orders: they change
exactly when the orders do, and a new version of the dataset that keeps its orders
(another kind of data uploaded) copies them with the orders. Each is recorded with the
fingerprint of the query that computed it, so a page never reads a table that today's
query would compute otherwise. Any other filter state runs the pages' queries as before.
"""

from __future__ import annotations

from typing import Any

import duckdb

from metrics.errors import InputError
from metrics.kpis import kpi_query
from metrics.query.filters import DEFAULT_INACTIVITY_DAYS, Filters
from metrics.query.sql import Period, bind, load_sql, period_index_sql, quote_ident
from metrics.query.stored_pages import STORED_COHORTS, STORED_KPIS, fingerprint, page_key
from metrics.retention import cohort_query
from metrics.store import Dataset, Store

# The periods and inactivity windows stored: the dashboard's granularities but the year
# (a handful of rows, yet each stored table costs a query over every order at ingest),
# and its default W (a link or the sidebar may set any other, which runs the KPI query).
STORED_PERIODS: tuple[Period, ...] = ("week", "month", "quarter")
STORED_WINDOWS: tuple[int, ...] = (DEFAULT_INACTIVITY_DAYS,)
# Under this many orders an upload stores no page tables: the pages' queries take tens of
# milliseconds there, and the tables would cost every upload more than they save (on the
# CDNOW sample's 6,919 orders they took the ingest from 0.13 to 0.30 s).
MIN_ORDERS = 200_000


def store_page_aggregates(store: Store, cursor: duckdb.DuckDBPyConnection, dataset_id: str,
                          windows: tuple[int, ...] = STORED_WINDOWS,
                          min_orders: int | None = None) -> dict[str, str]:
    """Compute and store the page tables of a dataset's orders in the caller's writing job
    (after the orders are written and registered) for each period of
    :data:`STORED_PERIODS` and inactivity window of ``windows``, and record them in the
    catalogue (:func:`~metrics.query.stored_pages.page_key`, each with the fingerprint of
    its query); return that record.

    A dataset whose orders lack the purchase history gets none (its pages run their
    queries), and so does one with fewer orders than ``min_orders`` (by default
    :data:`MIN_ORDERS`) and a period whose view would hold too many periods (the page
    refuses it with its own sentence).
    """
    dataset = store.job_dataset(cursor, dataset_id)
    stored: dict[str, str] = {}
    for table in (STORED_KPIS, STORED_COHORTS):
        cursor.execute(f"DROP TABLE IF EXISTS {_table(dataset, table)}")
    orders = dataset.tables.get("orders")
    enough = orders is not None and orders.rows >= (MIN_ORDERS if min_orders is None
                                                    else min_orders)
    if dataset.has_purchase_history and enough:
        for period in STORED_PERIODS:
            try:
                stored |= _store_period(cursor, dataset, period, windows)
            except InputError:  # too many periods for one view: the page says so
                continue
    store.record_page_aggregates(dataset_id, "orders", stored)
    return stored


def _store_period(cursor: duckdb.DuckDBPyConnection, dataset: Dataset, period: Period,
                  windows: tuple[int, ...]) -> dict[str, str]:
    """The page tables of one period: the cohort table, and the KPI table of each
    window, for the whole data and no segment filter, by the pages' own queries."""
    cohorts = cohort_query(dataset, Filters(period))
    _store_rows(cursor, dataset, STORED_COHORTS, "cohort_index",
                period_index_sql(period, "page.cohort"), cohorts,
                {"stored_period": period, "stored_window": None})
    stored = {page_key(STORED_COHORTS, period): fingerprint(cohorts[0])}
    for days in windows:
        kpis = kpi_query(dataset, Filters(period, inactivity_days=days))
        _store_rows(cursor, dataset, STORED_KPIS, "period_index",
                    period_index_sql(period, "page.period_start"), kpis,
                    {"stored_period": period, "stored_window": days})
        stored[page_key(STORED_KPIS, period, days)] = fingerprint(kpis[0])
    return stored


def _table(dataset: Dataset, table: str) -> str:
    return f"{quote_ident(dataset.schema)}.{quote_ident(table)}"


def _store_rows(cursor: duckdb.DuckDBPyConnection, dataset: Dataset, table: str,
                index_column: str, row_period_index: str,
                query: tuple[str, dict[str, Any]], tags: dict[str, Any]) -> None:
    """Add the rows of ``query`` to the page table ``table`` (created by the first)."""
    sql, params = query
    exists = cursor.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = $database "
        "AND table_name = $table", {"database": dataset.schema, "table": table}).fetchone()
    statement = (f"INSERT INTO {_table(dataset, table)}" if exists and exists[0]
                 else f"CREATE TABLE {_table(dataset, table)} AS")
    sql = load_sql("stored_page_table").format(
        statement=statement, row_period_index=row_period_index, index_column=index_column,
        query=sql)
    cursor.execute(sql, bind(sql, params | tags))


def add_page_aggregates(store: Store, dataset: Dataset,
                        windows: tuple[int, ...] = STORED_WINDOWS) -> dict[str, str]:
    """Store the page tables of a stored dataset anew (in a new version of it, its other
    tables copied): for a dataset stored before they existed, or for other ``windows``.
    Return their record (:func:`store_page_aggregates`); asked for, they are stored
    whatever the number of orders."""
    with store.writer() as cursor, store.atomic(cursor):
        store.edit_dataset(cursor, dataset.id)
        return store_page_aggregates(store, cursor, dataset.id, windows, min_orders=0)
