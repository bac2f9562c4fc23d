"""Page tables of a dataset's orders: the KPI and cohort tables of the common filter
states, computed by the pages' own queries, so that a page reads a few hundred rows
instead of scanning every order (README, "Performance").

The common filter states are the weeks, months and quarters with the default inactivity
window W and no segment filter, over any date range of whole periods inside the data
(metrics/query/stored_pages.py says which ranges each table answers). They are built once
the orders are stored and published (the dataset is usable meanwhile, its pages running
their queries), into a sidecar file of the orders that readers attach once it is complete
(:meth:`metrics.store.Store.building_page_tables`): they change exactly when the orders
do, and a new version of the dataset that keeps its orders keeps them. The ingest builds
them in the same process or, from the CLI and the Data page, in a process of its own
that outlives the upload (``python -m metrics.page_aggregates``). Each is recorded with
the fingerprint of the query that computed it, so a page never reads a table that
today's query would compute otherwise. Any other filter state runs the pages' queries.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Literal

import duckdb

from metrics.errors import InputError
from metrics.isolation import Limits, apply_limits
from metrics.kpis import kpi_query
from metrics.query.cohorts import cohort_query
from metrics.query.filters import DEFAULT_INACTIVITY_DAYS, Filters
from metrics.query.sql import Period, bind, load_sql, period_index_sql, quote_ident
from metrics.query.stored_pages import STORED_COHORTS, STORED_KPIS, fingerprint, page_key
from metrics.store import Dataset, PagesJob, Store, dataset_schema

# The periods and inactivity windows stored: the dashboard's granularities but the year
# (a handful of rows, yet each stored table costs a query over every order),
# and its default W (a link or the sidebar may set any other, which runs the KPI query).
STORED_PERIODS: tuple[Period, ...] = ("week", "month", "quarter")
STORED_WINDOWS: tuple[int, ...] = (DEFAULT_INACTIVITY_DAYS,)
# Under this many orders a dataset gets no page tables: the pages' queries take tens of
# milliseconds there, and the tables would cost every upload more than they save (on the
# CDNOW sample's 6,919 orders they took the ingest from 0.13 to 0.30 s).
MIN_ORDERS = 200_000
# When the page tables of new orders are built: in the storing process once the orders
# are published ("now"), in a process of their own that outlives it ("background"), or
# not at all ("none": a file only checked in a scratch store).
PageTables = Literal["now", "background", "none"]
_ROOT = Path(__file__).resolve().parent.parent
logger = logging.getLogger(__name__)


def worth_page_tables(dataset: Dataset, min_orders: int | None = None) -> bool:
    """Whether a dataset gets page tables: its orders carry the purchase history, and
    there are at least ``min_orders`` of them (by default :data:`MIN_ORDERS`)."""
    orders = dataset.tables.get("orders")
    return (orders is not None and dataset.has_purchase_history
            and orders.rows >= (MIN_ORDERS if min_orders is None else min_orders))


def schedule_page_tables(store: Store, dataset_id: str, when: PageTables = "now"
                         ) -> subprocess.Popen[bytes] | None:
    """Build the page tables of a dataset's newly published orders as ``when`` says
    (:data:`PageTables`), if it gets any (:func:`worth_page_tables`); return the process
    building them in the background (a throw-away in-memory store builds them now)."""
    if when == "none":
        return None
    dataset = store.find_dataset(dataset_id)
    if dataset is None or not worth_page_tables(dataset):
        return None
    if when == "now" or store.path == ":memory:":
        build_page_tables(store, dataset_id, min_orders=0)
        return None
    # a session of its own: neither the CLI's exit nor the upload's process ending stops it
    path = os.pathsep.join(filter(None, (str(_ROOT), os.environ.get("PYTHONPATH"))))
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "metrics.page_aggregates", str(store.root), dataset_id],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,  # stderr: a failure's line
            start_new_session=True, cwd=_ROOT, env=os.environ | {"PYTHONPATH": path})
    except OSError:  # the dataset is stored all the same: its pages run their queries
        logger.exception("Could not start building the page tables of %s", dataset_id)
        return None


def build_page_tables(store: Store, dataset_id: str,
                      windows: tuple[int, ...] = STORED_WINDOWS,
                      min_orders: int | None = None) -> dict[str, str]:
    """Compute the page tables of a dataset's current orders for each period of
    :data:`STORED_PERIODS` and inactivity window of ``windows``, and publish them
    (:meth:`~metrics.store.Store.building_page_tables`); return their record
    (:func:`~metrics.query.stored_pages.page_key`, each with the fingerprint of its
    query).

    A dataset that does not get them (:func:`worth_page_tables` with ``min_orders``)
    gets none, and so does a period whose view would hold too many periods (the page
    refuses it with its own sentence). Writers and readers go on meanwhile; the tables
    are dropped when the orders changed before they were complete.
    """
    dataset = store.find_dataset(dataset_id)
    if dataset is None or not worth_page_tables(dataset, min_orders):
        return {}
    with store.building_page_tables(dataset_id) as job:
        if job is None:
            return {}
        for period in STORED_PERIODS:
            try:
                job.stored |= _store_period(job, period, windows)
            except InputError:  # too many periods for one view: the page says so
                continue
        return dict(job.stored)


def _store_period(job: PagesJob, period: Period, windows: tuple[int, ...]
                  ) -> dict[str, str]:
    """The page tables of one period: the cohort table, and the KPI table of each
    window, for the whole data and no segment filter, by the pages' own queries."""
    cohorts = cohort_query(job.dataset, Filters(period))
    _store_rows(job, STORED_COHORTS, "cohort_index",
                period_index_sql(period, "page.cohort"), cohorts,
                {"stored_period": period, "stored_window": None})
    stored = {page_key(STORED_COHORTS, period): fingerprint(cohorts[0])}
    for days in windows:
        kpis = kpi_query(job.dataset, Filters(period, inactivity_days=days),
                         stored_pieces=False)  # what the fingerprint names
        _store_rows(job, STORED_KPIS, "period_index",
                    period_index_sql(period, "page.period_start"), kpis,
                    {"stored_period": period, "stored_window": days})
        stored[page_key(STORED_KPIS, period, days)] = fingerprint(kpis[0])
    return stored


def _store_rows(job: PagesJob, table: str, index_column: str, row_period_index: str,
                query: tuple[str, dict[str, Any]], tags: dict[str, Any]) -> None:
    """Add the rows of ``query`` to the page table ``table`` (created by the first)."""
    sql, params = query
    exists = job.connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = $database "
        "AND table_name = $table", {"database": job.database, "table": table}).fetchone()
    target = f"{quote_ident(job.database)}.{quote_ident(table)}"
    statement = (f"INSERT INTO {target}" if exists and exists[0]
                 else f"CREATE TABLE {target} AS")
    sql = load_sql("stored_page_table").format(
        statement=statement, row_period_index=row_period_index, index_column=index_column,
        query=sql)
    job.connection.execute(sql, bind(sql, params | tags))


def drop_page_tables(cursor: duckdb.DuckDBPyConnection, dataset_id: str) -> None:
    """Drop the page tables an older version stored in the dataset's own file (its new
    version copied them) once the job replaces its orders: they held the old ones."""
    for table in (STORED_KPIS, STORED_COHORTS):
        cursor.execute(f"DROP TABLE IF EXISTS {quote_ident(dataset_schema(dataset_id))}."
                       f"{quote_ident(table)}")


def add_page_aggregates(store: Store, dataset: Dataset,
                        windows: tuple[int, ...] = STORED_WINDOWS) -> dict[str, str]:
    """Build the page tables of a stored dataset anew: for a dataset stored before they
    existed, or for other ``windows``. Return their record (:func:`build_page_tables`);
    asked for, they are built whatever the number of orders."""
    return build_page_tables(store, dataset.id, windows, min_orders=0)


def main(argv: list[str] | None = None) -> None:
    """Build a dataset's page tables in a process of its own (:func:`schedule_page_tables`):
    ``python -m metrics.page_aggregates STORE_FOLDER DATASET_ID``, under an upload's
    limits (:class:`metrics.isolation.Limits`). A failure is one line on standard error
    (the server's log, or the terminal of the CLI that stored the dataset) and exit code
    1: the dataset stays as stored and its pages run their queries."""
    root, dataset_id = argv if argv is not None else sys.argv[1:]
    apply_limits(Limits())
    try:
        with Store(root) as store:
            build_page_tables(store, dataset_id, min_orders=0)
    except Exception as error:  # whatever it was, the dataset is intact
        print(f"LoyaltyLens: the page tables of dataset {dataset_id} were not built "
              f"({type(error).__name__}: {error}); its pages run their queries instead.",
              file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
