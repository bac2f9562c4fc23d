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

Tables that today's queries would compute otherwise (a metric changed since, on an
upgraded server) or none at all (a dataset stored before they existed) are rebuilt in the
background once a page or the CLI opens the dataset (:func:`rebuild_stale_page_tables`,
from :meth:`metrics.store.Store.dataset`); one builder at a time builds the tables of
one dataset's orders.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb

from metrics.errors import InputError
from metrics.kpis import kpi_query
from metrics.lazy import lazy_functions
from metrics.query.cohorts import cohort_query
from metrics.query.filters import DEFAULT_INACTIVITY_DAYS, Filters
from metrics.query.sql import Period, bind, load_sql, period_index_sql, quote_ident
from metrics.query.stored_pages import (
    STORED_COHORTS,
    STORED_KPIS,
    fingerprint,
    page_key,
    recorded_windows,
)
from metrics.store import Dataset, PagesJob, Store, dataset_schema

if TYPE_CHECKING:
    from metrics.isolation import Limits, apply_limits
else:
    # imported by the builder's process alone: the pages and the CLI import this module to
    # check their page tables (metrics.store.Store.dataset), and start faster without it
    Limits, apply_limits = lazy_functions("metrics.isolation", "Limits", "apply_limits")

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
# How much lower than the server's the priority of a rebuild a read started is (nice): on
# a 2-core machine at equal priority it took half the cores from the reads it speeds up.
REBUILD_NICENESS = 10
_ROOT = Path(__file__).resolve().parent.parent
logger = logging.getLogger(__name__)
# The orders (store folder, dataset id, orders version) whose page tables this process has
# scheduled or checked already: a page or a CLI command opening a dataset starts at most
# one rebuild of its tables per process (whatever comes of it), and checks them once.
_SEEN: set[tuple[str, str, str]] = set()
_SEEN_LOCK = threading.Lock()


@dataclass(frozen=True)
class _PageTable:
    """One page table of a period: its record's key, the table its rows go into, the
    column and expression numbering their period, the query computing them and the tags
    (period, window) stored with them."""

    key: str
    table: str
    index_column: str
    row_period_index: str
    query: tuple[str, dict[str, Any]]
    tags: dict[str, Any]


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
    building them in the background (a throw-away in-memory store builds them now).

    Whatever ``when`` says, opening the dataset in this process starts no other build of
    these orders' tables (:func:`rebuild_stale_page_tables`): the process storing them
    decided."""
    dataset = store.find_dataset(dataset_id)
    if dataset is None:
        return None
    _first_look(store, dataset)
    if when == "none" or not worth_page_tables(dataset):
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


def rebuild_stale_page_tables(store: Store, dataset: Dataset
                              ) -> subprocess.Popen[bytes] | None:
    """Start rebuilding in the background (:func:`schedule_page_tables`) the page tables
    of a dataset that gets them (:func:`worth_page_tables`) when those recorded are stale
    or missing (:func:`stale_page_tables`); return the process building them.

    Called where a page or the CLI opens a dataset (:meth:`metrics.store.Store.dataset`),
    it never holds up nor fails the read, which runs the queries meanwhile: it looks at
    a dataset's orders once per process (their first opening), starts nothing while
    another builder builds their tables
    (:meth:`~metrics.store.Store.page_tables_in_progress`; a second one started at once
    by another process finds their lock held and exits), and a failed start is logged.
    An in-memory store builds nothing.
    """
    if store.path == ":memory:" or not worth_page_tables(dataset):
        return None
    if not _first_look(store, dataset) or not stale_page_tables(dataset):
        return None
    try:
        if store.page_tables_in_progress(dataset):
            return None
    except OSError:  # no lock to take (a store folder read-only to this process)
        logger.exception("Could not check the page tables of %s", dataset.id)
        return None
    logger.info("The page tables of dataset %s are stale or missing for this version: "
                "rebuilding them in the background", dataset.id)
    builder = schedule_page_tables(store, dataset.id, "background")
    if builder is not None:  # a cache: the pages' own queries come first for the cores
        _lower_priority(builder.pid)
    return builder


def _lower_priority(pid: int) -> None:
    """Run the process ``pid`` (a session of its own) at :data:`REBUILD_NICENESS`: its
    own priority, and its session's share of the cores against other sessions (Linux
    shares them between sessions first, whatever a process's nice value says)."""
    with contextlib.suppress(OSError):  # it may have found them built and exited
        os.setpriority(os.PRIO_PROCESS, pid, REBUILD_NICENESS)
        Path(f"/proc/{pid}/autogroup").write_text(str(REBUILD_NICENESS))


def _first_look(store: Store, dataset: Dataset) -> bool:
    """Whether this process has not looked at the page tables of the dataset's current
    orders before (:data:`_SEEN`); it has from now on."""
    seen = (str(store.root), dataset.id, str(dataset.orders_version))
    with _SEEN_LOCK:
        if seen in _SEEN:
            return False
        _SEEN.add(seen)
        return True


def stale_page_tables(dataset: Dataset) -> bool:
    """Whether the page tables recorded for a dataset's orders are not those today's
    queries compute: one missing (none at all, for a dataset stored before they
    existed), or one recorded with the fingerprint of another version of its query (a
    metric changed since), for the stored periods and every window of
    :func:`page_windows`. A dataset without orders has none to be stale."""
    orders = dataset.tables.get("orders")
    return orders is not None and orders.page_aggregates != _todays_page_tables(
        dataset, page_windows(dataset))


def page_windows(dataset: Dataset) -> tuple[int, ...]:
    """The inactivity windows of a dataset's KPI page tables: those of
    :data:`STORED_WINDOWS`, and any other its record holds (:func:`add_page_aggregates`)."""
    recorded = {days for period in STORED_PERIODS
                for days in recorded_windows(dataset, period)}
    return tuple(sorted(recorded.union(STORED_WINDOWS)))


def refresh_page_tables(store: Store, dataset_id: str) -> dict[str, str]:
    """Build now the page tables of a dataset whose recorded ones are stale or missing
    (:func:`stale_page_tables`: new orders have none), whatever its number of orders,
    for every window of :func:`page_windows`; return their record, or ``{}`` when they
    were built already (or are being built by another builder)."""
    dataset = store.find_dataset(dataset_id)
    if dataset is None:
        return {}
    return build_page_tables(store, dataset_id, page_windows(dataset), min_orders=0,
                             only_stale=True)


def build_page_tables(store: Store, dataset_id: str,
                      windows: tuple[int, ...] = STORED_WINDOWS,
                      min_orders: int | None = None, *, only_stale: bool = False
                      ) -> dict[str, str]:
    """Compute the page tables of a dataset's current orders for each period of
    :data:`STORED_PERIODS` and inactivity window of ``windows``, and publish them
    (:meth:`~metrics.store.Store.building_page_tables`); return their record
    (:func:`~metrics.query.stored_pages.page_key`, each with the fingerprint of its
    query).

    A dataset that does not get them (:func:`worth_page_tables` with ``min_orders``)
    gets none, and so does a period whose view would hold too many periods (the page
    refuses it with its own sentence). With ``only_stale``, a dataset whose recorded
    tables are today's (:func:`stale_page_tables`, seen once the orders' lock is held)
    gets none either. So do orders whose tables another builder is building (it
    publishes them). Writers and readers go on meanwhile; the tables are dropped when
    the orders changed before they were complete.
    """
    dataset = store.find_dataset(dataset_id)
    if dataset is None or not worth_page_tables(dataset, min_orders):
        return {}
    wanted = stale_page_tables if only_stale else None
    with store.building_page_tables(dataset_id, wanted) as job:
        if job is None:
            return {}
        for period in STORED_PERIODS:
            try:
                job.stored |= _store_period(job, period, windows)
            except InputError:  # too many periods for one view: the page says so
                continue
        return dict(job.stored)


def _todays_page_tables(dataset: Dataset, windows: tuple[int, ...]) -> dict[str, str]:
    """The record :func:`build_page_tables` would write for the dataset today: each
    page table of the stored periods and ``windows`` with its query's fingerprint."""
    todays: dict[str, str] = {}
    for period in STORED_PERIODS:
        try:
            todays |= {table.key: fingerprint(table.query[0])
                       for table in _period_tables(dataset, period, windows)}
        except InputError:  # too many periods for one view: not stored
            continue
    return todays


def _period_tables(dataset: Dataset, period: Period, windows: tuple[int, ...]
                   ) -> list[_PageTable]:
    """The page tables of one period: the cohort table, and the KPI table of each
    window, for the whole data and no segment filter, by the pages' own queries.

    Raises :class:`~metrics.errors.InputError` when the period's view would hold too
    many periods."""
    tables = [_PageTable(page_key(STORED_COHORTS, period), STORED_COHORTS, "cohort_index",
                         period_index_sql(period, "page.cohort"),
                         cohort_query(dataset, Filters(period)),
                         {"stored_period": period, "stored_window": None})]
    for days in windows:
        tables.append(_PageTable(
            page_key(STORED_KPIS, period, days), STORED_KPIS, "period_index",
            period_index_sql(period, "page.period_start"),
            kpi_query(dataset, Filters(period, inactivity_days=days),
                      stored_pieces=False),  # what the fingerprint names
            {"stored_period": period, "stored_window": days}))
    return tables


def _store_period(job: PagesJob, period: Period, windows: tuple[int, ...]
                  ) -> dict[str, str]:
    """Store the page tables of one period (:func:`_period_tables`); return their record."""
    stored: dict[str, str] = {}
    for table in _period_tables(job.dataset, period, windows):
        _store_rows(job, table)
        stored[table.key] = fingerprint(table.query[0])
    return stored


def _store_rows(job: PagesJob, table: _PageTable) -> None:
    """Add the rows of a page table's query to its table (created by the first)."""
    sql, params = table.query
    exists = job.connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = $database "
        "AND table_name = $table", {"database": job.database, "table": table.table}
    ).fetchone()
    target = f"{quote_ident(job.database)}.{quote_ident(table.table)}"
    statement = (f"INSERT INTO {target}" if exists and exists[0]
                 else f"CREATE TABLE {target} AS")
    sql = load_sql("stored_page_table").format(
        statement=statement, row_period_index=table.row_period_index,
        index_column=table.index_column, query=sql)
    job.connection.execute(sql, bind(sql, params | table.tags))


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
    limits (:class:`metrics.isolation.Limits`), unless they are today's already or
    another builder is building them (:func:`refresh_page_tables`: it exits at once). A
    failure is one line on standard error (the server's log, or the terminal of the CLI
    that stored the dataset) and exit code 1: the dataset stays as stored and its pages
    run their queries."""
    root, dataset_id = argv if argv is not None else sys.argv[1:]
    apply_limits(Limits())
    try:
        with Store(root) as store:
            refresh_page_tables(store, dataset_id)
    except Exception as error:  # whatever it was, the dataset is intact
        print(f"LoyaltyLens: the page tables of dataset {dataset_id} were not built "
              f"({type(error).__name__}: {error}); its pages run their queries instead.",
              file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
