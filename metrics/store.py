"""The store: each dataset version an immutable DuckDB file, named by a small JSON catalogue.

A store is a folder. ``catalogue.json`` names every dataset (name, currency, tables) and
the file holding its current version, ``datasets/<id>/<version>.duckdb``; saved benchmark
sets live in ``benchmarks/<version>.duckdb``. Readers open those files read-only, so any
number of processes (dashboards, the CLI) read at once. A writer, one at a time across
processes (``write.lock``), writes a new version file beside the old one and then replaces
the catalogue in one rename: readers see the old state or the new one, never half of it
(:mod:`metrics.catalogue` reads it, and defines :class:`Dataset`, named here too).
The superseded file is removed at once; a reader still scanning it keeps its open handle
(Linux frees the space when the last one closes).

The page tables of a dataset's orders (metrics/page_aggregates.py) are built after the
orders are published, into a sidecar file ``datasets/<id>/pages-<orders version>.duckdb``
named after the version that wrote the orders (a later version that keeps the orders
keeps it). It is built in a locked folder under ``tmp/`` and renamed into place, and the
catalogue records it, under the write lock and only while the catalogue still has those
orders: readers attach it once it is complete, never half of it.

In a reading connection each dataset file is attached read-only and its tables shown as
views in a schema ``ds_<id>`` (a writer attaches the new file as ``ds_<id>``), so the
metric SQL names a dataset's tables ``ds_<id>.orders`` as it always did. The id is random
and stable, so a shared link keeps pointing at the same data.

Each dataset belongs to a workspace (a team or a brand; ``default`` for those stored before
workspaces existed). A store is opened for a :class:`~metrics.principal.Principal`, and shows
and attaches only the datasets of that principal's workspaces: every reader, writer and
link goes through here, so the dashboard and the CLI obey the same access.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import json
import os
import re
import secrets
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from metrics import audit
from metrics.annotations import forget_dataset as forget_annotations
from metrics.catalogue import CATALOGUE_FILE as CATALOGUE_FILE
from metrics.catalogue import CATALOGUE_FORMAT as CATALOGUE_FORMAT
from metrics.catalogue import DB_ENV_VAR as DB_ENV_VAR
from metrics.catalogue import DEFAULT_DB_PATH as DEFAULT_DB_PATH
from metrics.catalogue import PURCHASE_HISTORY_COLUMNS as PURCHASE_HISTORY_COLUMNS
from metrics.catalogue import Dataset as Dataset
from metrics.catalogue import TableInfo as TableInfo
from metrics.catalogue import (
    catalogue_stamp,
    datasets_of,
    empty_catalogue,
    entry_workspace,
    make_store_folder,
    read_catalogue,
    visible_entries,
)
from metrics.catalogue import dataset_of_entry as dataset_of_entry
from metrics.catalogue import dataset_schema as dataset_schema
from metrics.catalogue import default_db_path as default_db_path
from metrics.catalogue import workspace_dataset_count as workspace_dataset_count
from metrics.engine import MEMORY_ENV_VAR, engine_settings, workers_below
from metrics.engines import Engine
from metrics.engines.duckdb_engine import DuckDBEngine
from metrics.errors import (
    AccessDenied,
    DatasetNotFound,
    InputError,
    QueryTimeout,
    StoreUnavailable,
)
from metrics.files import replace_json
from metrics.i18n import format_number, t
from metrics.lazy import lazy_functions
from metrics.principal import ADMIN, DEFAULT_WORKSPACE, Principal, check_workspace, is_shared
from metrics.query.sql import quote_ident

QUERY_SECONDS_ENV_VAR = "LOYALTYLENS_QUERY_SECONDS"
# A query running longer is interrupted: it holds a core another user may be waiting for.
DEFAULT_QUERY_SECONDS = 300.0
LOCK_FILE = "write.lock"
# A single-file database of an older LoyaltyLens is kept under this suffix once migrated.
MIGRATED_SUFFIX = ".before-versions"
# The attached file of saved benchmark sets; its table is copied into ``main`` (tiny).
_SAVED_ALIAS = "loyaltylens_saved"
_BENCHMARKS_TABLE = "loyaltylens_benchmarks"
# A reading connection retries this often when a writer removes a file it was attaching.
_ATTACH_TRIES = 5
# The folder under tmp/ where page tables are built, locked by their builder meanwhile.
_PAGES_BUILD = "pages-build-"
# The lock file under tmp/ of the page tables of one dataset's orders: one builder at a time.
_PAGES_LOCK = "pages-lock-"
# Rebuilds the stale or missing page tables of a dataset a page or the CLI opens, in the
# background (metrics.page_aggregates builds on this module: imported on first call).
(_rebuild_stale_page_tables,) = lazy_functions("metrics.page_aggregates",
                                               "rebuild_stale_page_tables")


# -- the catalogue file ----------------------------------------------------------------------


def _write_catalogue(root: Path, catalogue: dict[str, Any]) -> None:
    """Replace the catalogue in one rename, so a reader reads the old or the new one."""
    replace_json(root / CATALOGUE_FILE, catalogue)


def _dataset_path(root: Path, dataset_id: str, version: str) -> Path:
    return root / "datasets" / dataset_id / f"{version}.duckdb"


def _pages_path(root: Path, dataset_id: str, entry: dict[str, Any]) -> Path | None:
    """The page tables' sidecar file of a catalogue entry's orders, or None (no orders)."""
    orders = entry["tables"].get("orders")
    if orders is None:
        return None
    orders_version = orders.get("orders_version") or entry["version"]
    return root / "datasets" / dataset_id / f"pages-{orders_version}.duckdb"


def _benchmarks_path(root: Path, version: str) -> Path:
    return root / "benchmarks" / f"{version}.duckdb"


def _new_version() -> str:
    return secrets.token_hex(6)


def _table_columns(cursor: duckdb.DuckDBPyConnection, database: str) -> dict[str, list[str]]:
    rows = cursor.execute(
        "-- each table of an attached dataset file and its columns, in order\n"
        "SELECT table_name, list(column_name ORDER BY column_index) FROM duckdb_columns() "
        "WHERE database_name = $database AND schema_name = 'main' GROUP BY ALL",
        {"database": database}).fetchall()
    return {table: list(columns) for table, columns in rows}


# -- reading ---------------------------------------------------------------------------------


@dataclass
class _Snapshot:
    """One state of the catalogue, with every dataset file attached read-only."""

    stamp: tuple[int, int, int] | None
    datasets: list[Dataset]
    connection: duckdb.DuckDBPyConnection


@dataclass
class _Edit:
    """A dataset version being written by the current job (invisible until published)."""

    path: Path
    entry: dict[str, Any]


@dataclass
class PagesJob:
    """Page tables being built for a dataset's published orders
    (:meth:`Store.building_page_tables`): a connection where the dataset's file is
    attached read-only as ``ds_<id>`` and the new sidecar file as :attr:`database`; the
    builder fills ``stored`` with the record of what it wrote."""

    connection: duckdb.DuckDBPyConnection
    dataset: Dataset
    database: str
    stored: dict[str, str] = field(default_factory=dict)


@dataclass
class _Job:
    """A writing job: its connection, the versions it writes, whether it saves benchmarks."""

    connection: duckdb.DuckDBPyConnection
    catalogue: dict[str, Any]
    edits: dict[str, _Edit] = field(default_factory=dict)
    saves_benchmarks: bool = False


def alert_rules_path(root: Path, dataset_id: str) -> Path:
    """Where a dataset's alert rules are saved (:mod:`metrics.digest`): beside the
    catalogue, kept across its versions, deleted with the dataset."""
    return Path(root) / "alert_rules" / f"{dataset_id}.toml"


class Store:
    """The datasets of one store folder; hand out a cursor per query (thread-safe use).

    Parameters
    ----------
    path
        The store's folder, created when missing. A single-file database of an older
        LoyaltyLens found there is migrated on first open (the old file is kept beside it
        with the suffix ``.before-versions``). ``":memory:"`` gives a throw-away store in
        a temporary folder (tests). A new folder is made readable by its owner only.
    principal
        Who uses it: only the datasets of their workspaces are listed, attached, opened,
        changed or deleted; any other is refused with
        :class:`~metrics.errors.AccessDenied` as if it did not exist.
    workspace
        Where a new dataset is stored when the call storing it names none (the CLI's
        ``--workspace``): see :meth:`target_workspace`.
    """

    def __init__(self, path: Path | str | None = None, principal: Principal = ADMIN,
                 workspace: str | None = None) -> None:
        self.path = str(path) if path is not None else str(default_db_path())
        self.principal = principal
        self.workspace = workspace
        self._finalizer: weakref.finalize[Any, Store] | None = None
        if self.path == ":memory:":
            root = Path(tempfile.mkdtemp(prefix="loyaltylens-memory-"))
            self._finalizer = weakref.finalize(self, shutil.rmtree, root, ignore_errors=True)
        else:
            root = Path(self.path)
            if root.is_file():
                _migrate(root)
        self.root = root
        # the engine's threads and memory (metrics.engine), for every connection it opens:
        # the CLI's, and each snapshot opened anew after another process wrote
        self._settings = engine_settings()
        self.query_seconds = _query_seconds()
        make_store_folder(root, self.path)
        self._write_lock = threading.Lock()
        self._snapshot_lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._job: _Job | None = None
        # what the metric queries run on (metrics.query.run): DuckDB on these files, or
        # Spark (metrics.engines.spark.SparkStore)
        self.engine: Engine = DuckDBEngine(self)
        self._current()  # checks the memory limit and every file now, not on first query

    def close(self) -> None:
        with self._snapshot_lock:
            if self._snapshot is not None:
                self._snapshot.connection.close()
                self._snapshot = None
        if self._finalizer is not None:
            self._finalizer()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        """A new in-memory DuckDB (not shared: each snapshot and job has its own)."""
        try:
            # a folder of its own: DuckDB creates it when it spills and removes it on close;
            # its worker threads give way to the threads serving pages (metrics.engine)
            with workers_below(self._settings.worker_niceness):
                connection = duckdb.connect(":memory:", config={
                    **self._settings.as_config(),
                    "temp_directory": str(self.root / "tmp" / secrets.token_hex(6))})
        except (duckdb.ParserException, duckdb.InvalidInputException) as error:
            raise StoreUnavailable(t("{var} = “{value}” is not a memory size; write it like "
                                     "2GB or 500MB.", var=MEMORY_ENV_VAR,
                                     value=self._settings.memory_limit)) from error
        # DuckDB draws a progress bar of its own on standard output for a query over two
        # seconds (its cursors too): in the CLI's ingest it would come before the JSON
        connection.execute("SET enable_progress_bar = false")
        return connection

    def _current(self) -> _Snapshot:
        """The snapshot of the newest catalogue, opened anew when a writer replaced it."""
        with self._snapshot_lock:
            stamp = catalogue_stamp(self.root)
            if self._snapshot is None or self._snapshot.stamp != stamp:
                # the old snapshot is not closed: cursors still reading it keep it alive
                self._snapshot = self._open_snapshot()
            return self._snapshot

    def _open_snapshot(self) -> _Snapshot:
        for _ in range(_ATTACH_TRIES):
            stamp = catalogue_stamp(self.root)
            catalogue = read_catalogue(self.root)
            connection = self._connect()
            try:
                self._attach_all(connection, catalogue)
            except duckdb.IOException:  # a writer removed a file after we read the catalogue
                connection.close()
                continue
            return _Snapshot(stamp, datasets_of(visible_entries(catalogue, self.principal)),
                             connection)
        raise StoreUnavailable(t("The LoyaltyLens data in {path} keeps changing while it is "
                                 "read; try again in a moment.", path=self.path))

    def _attach_all(self, connection: duckdb.DuckDBPyConnection,
                    catalogue: dict[str, Any]) -> None:
        # another workspace's files are not even attached: no query can read them
        for dataset_id, entry in visible_entries(catalogue, self.principal).items():
            self._attach_dataset(connection, dataset_id, entry)
        if catalogue.get("benchmarks"):
            _copy_saved_benchmarks(connection,
                                   _benchmarks_path(self.root, catalogue["benchmarks"]))

    def _attach_dataset(self, connection: duckdb.DuckDBPyConnection, dataset_id: str,
                        entry: dict[str, Any]) -> None:
        """Attach a dataset's file read-only and show its tables as ``ds_<id>.<kind>``
        (views in the reading connection's own schema, so the name is the one a writer
        uses and a dataset is one schema, as the metric SQL and its tests expect), and
        its page tables' sidecar file the same way when it is there (complete)."""
        connection.execute(f"CREATE SCHEMA {quote_ident(dataset_schema(dataset_id))}")
        self._attach_views(connection, dataset_id, "file_",
                           _dataset_path(self.root, dataset_id, entry["version"]))
        pages = _pages_path(self.root, dataset_id, entry)
        if pages is not None and pages.exists():
            # its tables replace those an older version stored in the dataset's own file
            self._attach_views(connection, dataset_id, "pages_", pages)

    @staticmethod
    def _attach_views(connection: duckdb.DuckDBPyConnection, dataset_id: str, prefix: str,
                      path: Path) -> None:
        """Attach ``path`` read-only as ``<prefix><id>``, each table a view in ``ds_<id>``."""
        alias = quote_ident(prefix + dataset_id)
        schema = quote_ident(dataset_schema(dataset_id))
        connection.execute(f"ATTACH $path AS {alias} (READ_ONLY)", {"path": str(path)})
        for (table,) in connection.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = $database",
                {"database": prefix + dataset_id}).fetchall():
            connection.execute(f"CREATE OR REPLACE VIEW {schema}.{quote_ident(table)} AS "
                               f"SELECT * FROM {alias}.{quote_ident(table)}")

    def state(self) -> tuple[int, int, int] | None:
        """Changes whenever a dataset or a saved benchmark set is stored or deleted (by this
        process or another): a key for what is read from the store as a whole."""
        return self._current().stamp

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor on the newest state: use one per query or thread.

        A cursor keeps reading the state it was made on, even once a writer replaced it.
        """
        return self._current().connection.cursor()

    @contextmanager
    def reader(self, sql: str = "") -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for one query, interrupted after :attr:`query_seconds`.

        Raises :class:`~metrics.errors.QueryTimeout` when interrupted, and
        :class:`~metrics.errors.DatasetNotFound` when a dataset ``sql`` reads was deleted
        by someone else since the caller looked it up.
        """
        with self.cursor() as cursor:
            timer = threading.Timer(self.query_seconds, cursor.interrupt)
            timer.daemon = True
            timer.start()
            try:
                yield cursor
            except duckdb.InterruptException as error:
                raise QueryTimeout(t("The computation took longer than {seconds} seconds and "
                                     "was stopped: narrow the date range or the filters, or "
                                     "raise {var}.",
                                     seconds=format_number(self.query_seconds, "0.######"),
                                     var=QUERY_SECONDS_ENV_VAR)) from error
            except duckdb.CatalogException as error:
                self._raise_if_deleted(sql, error)
                raise
            finally:
                timer.cancel()

    def _raise_if_deleted(self, sql: str, error: duckdb.Error) -> None:
        known = {dataset.id for dataset in self.datasets()}
        if any(found not in known for found in re.findall(r"ds_([0-9a-f]{16})\b", sql)):
            if not self.principal.is_admin:  # not attached for them, or deleted: the same
                raise AccessDenied() from error
            raise DatasetNotFound(t("The dataset was deleted while this was being computed: "
                                    "pick another dataset.")) from error

    # -- reading the catalogue -------------------------------------------------------

    def datasets(self) -> list[Dataset]:
        """Every dataset of the principal's workspaces, newest first."""
        return list(self._current().datasets)

    def dataset(self, id_or_name: str, workspace: str | None = None) -> Dataset:
        """The dataset with this id, or else with this name (case-insensitive), among
        the principal's (of ``workspace`` only, when given): the one place every page and
        CLI command opens a dataset, so page tables that are stale or missing for this
        version of the code start being rebuilt in the background here
        (:func:`metrics.page_aggregates.rebuild_stale_page_tables`), once per process.

        Raises
        ------
        AccessDenied
            For a user: there is no such dataset in their workspaces, whether it is in
            another one or nowhere (the same sentence, naming neither).
        DatasetNotFound
            For the administrator: there is no such dataset.
        InputError
            Several datasets of different workspaces have this name: name it by its id.
        """
        dataset = self._named(id_or_name, workspace)
        _rebuild_stale_page_tables(self, dataset)
        return dataset

    def _named(self, id_or_name: str, workspace: str | None = None) -> Dataset:
        """The dataset :meth:`dataset` finds, for the store's own work (no rebuild)."""
        datasets = [d for d in self.datasets() if workspace in (None, d.workspace)]
        for dataset in datasets:
            if dataset.id == id_or_name:
                return dataset
        named = [d for d in datasets if d.name.casefold() == id_or_name.strip().casefold()]
        if len(named) > 1:
            raise InputError(t("Several datasets are named “{name}” (in the workspaces "
                               "{workspaces}): name the one you mean by its id ({ids}).",
                               name=id_or_name, workspaces=", ".join(d.workspace for d in named),
                               ids=", ".join(d.id for d in named)))
        if named:
            return named[0]
        if not self.principal.is_admin:
            raise AccessDenied()
        raise DatasetNotFound(
            t(
                "There is no dataset “{name}”. Run `loyaltylens datasets` or open the Data "
                "page to see the datasets there are.",
                name=id_or_name,
            )
        )

    def find_dataset(self, id_or_name: str, workspace: str | None = None) -> Dataset | None:
        """The dataset as :meth:`dataset` finds it, or None when the principal has none of
        that id or name (so a user's new dataset may share a name with another
        workspace's, unseen)."""
        try:
            return self._named(id_or_name, workspace)
        except (DatasetNotFound, AccessDenied):
            return None

    def target_workspace(self, workspace: str | None = None) -> str:
        """The workspace a new dataset is stored in: ``workspace``, else the store's, else
        the user's only one (the administrator's: ``default``).

        Raises
        ------
        AccessDenied
            It is not one of the user's workspaces.
        InputError
            It does not exist, or the user has several and none was named.
        """
        chosen = workspace or self.workspace
        if chosen is None:
            if self.principal.is_admin:
                return DEFAULT_WORKSPACE
            if len(self.principal.workspaces) != 1:
                raise InputError(t("You have several workspaces ({names}): say which one "
                                   "the new dataset goes into (--workspace).",
                                   names=", ".join(sorted(self.principal.workspaces))))
            (chosen,) = self.principal.workspaces
        if not self.principal.can_see(chosen):
            raise AccessDenied(t("You cannot store into that workspace: it is not one of "
                                 "yours."))
        return check_workspace(self.root, chosen)

    def _check_visible(self, entry: dict[str, Any] | None) -> dict[str, Any]:
        """A catalogue entry the principal may change: else refused as if missing."""
        if entry is None or not self.principal.can_see(entry_workspace(entry)):
            if not self.principal.is_admin:
                raise AccessDenied()
            raise DatasetNotFound(t("The dataset was deleted meanwhile; nothing was "
                                    "stored."))
        return entry

    # -- writing ---------------------------------------------------------------------

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One writer at a time: across threads (a lock) and processes (``write.lock``)."""
        with self._write_lock, open(self.root / LOCK_FILE, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for a writing job, one job at a time; pair it with :meth:`atomic`.

        Its ``main`` database is private and in memory (temporary tables, a file being
        read); :meth:`register_dataset` and :meth:`edit_dataset` attach the new version
        file of a dataset under ``ds_<id>``. Nothing is visible to readers until
        :meth:`atomic` publishes it. Works the same from any process (the dashboard, the
        CLI, a child process running an ingest).
        """
        with self._exclusive():
            catalogue = read_catalogue(self.root)
            self._remove_unreferenced(catalogue)
            job = _Job(self._connect(), catalogue)
            self._job = job
            try:
                yield job.connection
            finally:
                self._job = None
                self._discard(job)
                job.connection.close()

    @contextmanager
    def atomic(self, cursor: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
        """Publish what the job inside writes in one catalogue switch, or nothing at all."""
        job = self._active_job()
        try:
            yield cursor
        except BaseException:
            self._discard(job)
            raise
        self._publish(job)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A writing job that also edits the saved benchmark sets (``main``'s
        ``loyaltylens_benchmarks`` table): everything is published, or nothing."""
        with self.writer() as cursor:
            job = self._active_job()
            job.saves_benchmarks = True
            if job.catalogue.get("benchmarks"):
                _copy_saved_benchmarks(cursor,
                                       _benchmarks_path(self.root, job.catalogue["benchmarks"]))
            with self.atomic(cursor):
                yield cursor

    def _active_job(self) -> _Job:
        if self._job is None:
            raise RuntimeError("write inside `with store.writer() as cursor:`")
        return self._job

    @contextmanager
    def building_page_tables(self, dataset_id: str,
                             wanted: Callable[[Dataset], bool] | None = None
                             ) -> Iterator[PagesJob | None]:
        """Build the page tables of a dataset's current orders without holding up any
        writer or reader: yield a :class:`PagesJob` to write them into, then publish them;
        or None when the dataset or its orders are gone, another builder is building
        the page tables of the same orders (one at a time, across processes: it holds
        their lock, :meth:`page_tables_in_progress`), or ``wanted`` says the dataset
        needs none (it is asked once the lock is held, so a builder that just finished
        is seen).

        The sidecar file is written in a folder of its own under ``tmp/`` that its lock
        keeps from writers' clean-up while this process lives (a builder that dies leaves
        it to the next writer, and nothing a reader sees). Publishing renames it into
        place, replacing any earlier sidecar of the same orders (readers that attached it
        keep reading it), and records it in the catalogue in one step under the write
        lock, only if the catalogue still holds the same orders (a version that kept them
        gets them; a deleted dataset or replaced orders get nothing, and the file goes).
        """
        entry = read_catalogue(self.root)["datasets"].get(dataset_id)
        if entry is None or "orders" not in entry["tables"]:
            yield None
            return
        orders_version = _orders_version(entry)
        connection = self._connect()
        try:
            with _page_tables_lock(self.root, dataset_id, orders_version) as held:
                # read (and attached) again under the lock: a builder may have just finished
                entry = self._attach_orders_version(connection, dataset_id) if held else None
                dataset = (dataset_of_entry(dataset_id, entry) if entry is not None
                           and _orders_version(entry) == orders_version else None)
                if dataset is None or (wanted is not None and not wanted(dataset)):
                    yield None
                    return
                with self._pages_build_folder() as folder:
                    built = folder / "pages.duckdb"
                    connection.execute("ATTACH $path AS loyaltylens_pages",
                                       {"path": str(built)})
                    job = PagesJob(connection, dataset, "loyaltylens_pages")
                    yield job
                    connection.execute("DETACH loyaltylens_pages")  # checkpoints the file
                    _fsync_file(built)
                    self._publish_page_tables(dataset_id, orders_version, built, job.stored)
        finally:
            connection.close()

    def page_tables_in_progress(self, dataset: Dataset) -> bool:
        """Whether a builder (of any process) is building the page tables of the
        dataset's current orders now (:meth:`building_page_tables`)."""
        if dataset.orders_version is None:
            return False
        with _page_tables_lock(self.root, dataset.id, dataset.orders_version) as held:
            return not held

    @contextmanager
    def _pages_build_folder(self) -> Iterator[Path]:
        """A new folder under ``tmp/`` to build page tables in, locked while it is used
        (:func:`_remove_if_unlocked`), removed after."""
        with self._exclusive():  # no writer's clean-up between making it and locking it
            folder = self.root / "tmp" / f"{_PAGES_BUILD}{secrets.token_hex(6)}"
            folder.mkdir()
            lock = os.open(folder, os.O_RDONLY)
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            os.close(lock)

    def _attach_orders_version(self, connection: duckdb.DuckDBPyConnection,
                               dataset_id: str) -> dict[str, Any] | None:
        """Attach the current version of a dataset read-only as ``ds_<id>``; return its
        catalogue entry, or None when it has no orders (or no longer exists)."""
        for _ in range(_ATTACH_TRIES):
            entry = read_catalogue(self.root)["datasets"].get(dataset_id)
            if entry is None or "orders" not in entry["tables"]:
                return None
            try:
                connection.execute(f"ATTACH $path AS {quote_ident(dataset_schema(dataset_id))} "
                                   f"(READ_ONLY)", {"path": str(
                                       _dataset_path(self.root, dataset_id, entry["version"]))})
            except duckdb.IOException:  # a writer replaced the version meanwhile
                continue
            return entry
        return None

    def _publish_page_tables(self, dataset_id: str, orders_version: str, built: Path,
                             stored: dict[str, str]) -> None:
        """Move a built sidecar file into place and record it, if the catalogue still
        holds the orders it was built from."""
        with self._exclusive():
            catalogue = read_catalogue(self.root)
            entry = catalogue["datasets"].get(dataset_id)
            if entry is None or "orders" not in entry["tables"] or (
                    _orders_version(entry) != orders_version):
                return
            orders = entry["tables"]["orders"]
            orders["orders_version"] = orders_version
            target = _pages_path(self.root, dataset_id, entry)
            assert target is not None
            os.replace(built, target)
            orders["page_aggregates"] = dict(stored)
            _write_catalogue(self.root, catalogue)

    @staticmethod
    def new_dataset_id() -> str:
        """A random, URL-safe, unguessable id (64 bits)."""
        return secrets.token_hex(8)

    def register_dataset(
        self,
        cursor: duckdb.DuckDBPyConnection,
        name: str,
        currency: str | None,
        workspace: str | None = None,
    ) -> str:
        """Create an empty dataset in the caller's job, attached as ``ds_<id>``, in
        :meth:`target_workspace` of ``workspace``; return its id."""
        job = self._active_job()
        dataset_id = self.new_dataset_id()
        entry: dict[str, Any] = {"name": name, "currency": currency,
                                 "workspace": self.target_workspace(workspace),
                                 "created_at": datetime.now().isoformat(), "tables": {}}
        self._attach_new_version(cursor, job, dataset_id, entry)
        return dataset_id

    def edit_dataset(self, cursor: duckdb.DuckDBPyConnection, dataset_id: str,
                     replacing: Collection[str] = ()) -> str:
        """Attach a new version of a stored dataset as ``ds_<id>``, to change in the
        caller's job; return its id.

        It holds the current version's tables except those of the kinds in ``replacing``
        (copied table by table, so the new file holds no space of a replaced table).
        """
        job = self._active_job()
        if dataset_id in job.edits:
            return dataset_id
        entry = self._check_visible(job.catalogue["datasets"].get(dataset_id))
        self._attach_new_version(cursor, job, dataset_id, copy.deepcopy(entry))
        cursor.execute("ATTACH $path AS loyaltylens_previous (READ_ONLY)",
                       {"path": str(_dataset_path(self.root, dataset_id, entry["version"]))})
        try:
            for (table,) in cursor.execute(
                    "SELECT table_name FROM duckdb_tables() "
                    "WHERE database_name = 'loyaltylens_previous'").fetchall():
                if table not in replacing:  # a plain scan keeps the stored row order
                    cursor.execute(f"CREATE TABLE {quote_ident(dataset_schema(dataset_id))}."
                                   f"{quote_ident(table)} AS SELECT * FROM "
                                   f"loyaltylens_previous.{quote_ident(table)}")
        finally:
            cursor.execute("DETACH loyaltylens_previous")
        return dataset_id

    def _attach_new_version(self, cursor: duckdb.DuckDBPyConnection, job: _Job,
                            dataset_id: str, entry: dict[str, Any]) -> None:
        path = _dataset_path(self.root, dataset_id, _new_version())
        path.parent.mkdir(parents=True, exist_ok=True)
        job.edits[dataset_id] = _Edit(path, entry)
        cursor.execute(f"ATTACH $path AS {quote_ident(dataset_schema(dataset_id))}",
                       {"path": str(path)})

    def register_table(
        self,
        cursor: duckdb.DuckDBPyConnection,
        dataset_id: str,
        kind: str,
        info: dict[str, Any],
    ) -> None:
        """Record a stored table of a dataset in the caller's job."""
        edit = self._edit(dataset_id)
        edit.entry["tables"][kind] = {
            "source": info.get("source"),
            "rows": int(info["rows"]),
            "mapping": dict(info["mapping"]),
            "segment_columns": list(info["segment_columns"]),
            "first_date": _iso(info.get("first_date")),
            "last_date": _iso(info.get("last_date")),
            "loaded_at": datetime.now().isoformat(),
        }
        if kind == "orders":  # names the page tables' sidecar of these orders
            edit.entry["tables"][kind]["orders_version"] = edit.path.stem

    def job_dataset(self, cursor: duckdb.DuckDBPyConnection, dataset_id: str) -> Dataset:
        """A dataset as the caller's job has written it so far (its registered tables
        with the columns they have now), to query its new version before it is
        published."""
        edit = self._edit(dataset_id)
        columns = _table_columns(cursor, dataset_schema(dataset_id))
        tables = {kind: info | {"columns": columns.get(kind, [])}
                  for kind, info in edit.entry["tables"].items()}
        return datasets_of({dataset_id: edit.entry | {"tables": tables,
                                                     "version": edit.path.stem}})[0]

    def forget_table(self, cursor: duckdb.DuckDBPyConnection, dataset_id: str,
                     kind: str) -> None:
        """Drop a dataset's table of ``kind`` (if any) in the caller's job."""
        self._edit(dataset_id).entry["tables"].pop(kind, None)
        cursor.execute(f"DROP TABLE IF EXISTS {quote_ident(dataset_schema(dataset_id))}."
                       f"{quote_ident(kind)}")

    def _edit(self, dataset_id: str) -> _Edit:
        edit = self._active_job().edits.get(dataset_id)
        if edit is None:
            raise RuntimeError("register_dataset or edit_dataset the dataset first")
        return edit

    def _publish(self, job: _Job) -> None:
        """Close the new files, then switch the catalogue to them in one rename."""
        catalogue = job.catalogue
        superseded: list[Path] = []
        for dataset_id, edit in job.edits.items():
            alias = dataset_schema(dataset_id)
            columns = _table_columns(job.connection, alias)
            for kind, table in edit.entry["tables"].items():
                table["columns"] = columns.get(kind, [])
            job.connection.execute(f"DETACH {quote_ident(alias)}")  # checkpoints the file
            _fsync_file(edit.path)
            old = catalogue["datasets"].get(dataset_id)
            new = edit.entry | {"version": edit.path.stem}
            if old is not None:
                superseded.append(_dataset_path(self.root, dataset_id, old["version"]))
                old_pages = _pages_path(self.root, dataset_id, old)
                if old_pages is not None and old_pages != _pages_path(self.root, dataset_id,
                                                                      new):
                    superseded.append(old_pages)  # other orders: their page tables go
            catalogue["datasets"][dataset_id] = new
        if job.saves_benchmarks and _has_saved_benchmarks(job.connection):
            version = _new_version()
            _save_benchmarks_file(job.connection, _benchmarks_path(self.root, version))
            if catalogue.get("benchmarks"):
                superseded.append(_benchmarks_path(self.root, catalogue["benchmarks"]))
            catalogue["benchmarks"] = version
        _write_catalogue(self.root, catalogue)
        for dataset_id, edit in job.edits.items():
            self._audit("store", entry_workspace(edit.entry), dataset_id)
        job.edits = {}
        for path in superseded:  # readers still holding it keep their open handle
            path.unlink(missing_ok=True)

    @staticmethod
    def _discard(job: _Job) -> None:
        """Forget the unpublished versions of a failed or dry-run job: no file remains."""
        for dataset_id, edit in job.edits.items():
            # the connection may be unusable after the error that got us here
            with contextlib.suppress(duckdb.Error):
                job.connection.execute(f"DETACH {quote_ident(dataset_schema(dataset_id))}")
            for path in (edit.path, edit.path.with_name(edit.path.name + ".wal")):
                path.unlink(missing_ok=True)
            _remove_empty(edit.path.parent)
        job.edits = {}

    def _remove_unreferenced(self, catalogue: dict[str, Any]) -> None:
        """Remove files a writer that crashed left behind (no reader can be using them:
        no catalogue ever named them, or a newer catalogue no longer does)."""
        keep = {_dataset_path(self.root, i, e["version"])
                for i, e in catalogue["datasets"].items()}
        keep |= {path for i, e in catalogue["datasets"].items()
                 if (path := _pages_path(self.root, i, e)) is not None}
        if catalogue.get("benchmarks"):
            keep.add(_benchmarks_path(self.root, catalogue["benchmarks"]))
        for path in [*(self.root / "datasets").glob("*/*"),
                     *(self.root / "benchmarks").glob("*")]:
            if path not in keep and path.is_file():
                path.unlink(missing_ok=True)
        for folder in (self.root / "datasets").iterdir():
            _remove_empty(folder)
        for leftover in self.root.glob(".catalogue-*.json"):
            leftover.unlink(missing_ok=True)
        for folder in (self.root / "tmp").glob(_PAGES_BUILD + "*"):
            _remove_if_unlocked(folder)  # the page tables of a builder that died
        for lock in (self.root / "tmp").glob(_PAGES_LOCK + "*"):
            with _page_tables_lock_file(lock):  # removed unless a builder holds it
                pass

    def delete_dataset(self, id_or_name: str) -> Dataset:
        """Delete a dataset, its file (which gives the disk space back), its notes
        (:mod:`metrics.annotations`) and its alert rules; return what was deleted."""
        dataset = self._named(id_or_name)
        with self._exclusive():
            catalogue = read_catalogue(self.root)
            entry = catalogue["datasets"].pop(dataset.id, None)
            if entry is None:  # someone else deleted it first: the outcome they wanted
                return dataset
            _write_catalogue(self.root, catalogue)
            path = _dataset_path(self.root, dataset.id, entry["version"])
            path.unlink(missing_ok=True)
            pages = _pages_path(self.root, dataset.id, entry)
            if pages is not None:
                pages.unlink(missing_ok=True)
            _remove_empty(path.parent)
            forget_annotations(self.root, dataset.id)  # once the catalogue no longer has it
            alert_rules_path(self.root, dataset.id).unlink(missing_ok=True)
        self._audit("delete", dataset.workspace, dataset.id)
        return dataset

    def move_dataset(self, id_or_name: str, workspace: str) -> Dataset:
        """Move a dataset into another workspace (the administrator only); its id, and so
        every link to it, stays. Return it as it was before the move.

        Raises
        ------
        AccessDenied
            The principal is not an administrator.
        InputError
            The workspace does not exist.
        """
        if not self.principal.is_admin:
            raise AccessDenied(t("Only the administrator can move a dataset to another "
                                 "workspace."))
        dataset = self._named(id_or_name)
        check_workspace(self.root, workspace)
        with self._exclusive():
            catalogue = read_catalogue(self.root)
            entry = self._check_visible(catalogue["datasets"].get(dataset.id))
            entry["workspace"] = workspace
            _write_catalogue(self.root, catalogue)
        self._audit("move", workspace, dataset.id, subject=dataset.workspace)
        return dataset

    def _audit(self, action: str, workspace: str, dataset_id: str,
               subject: str | None = None) -> None:
        """Log a change of a dataset, once the store is shared (:func:`is_shared`)."""
        if is_shared(self.root):
            audit.record(self.root, action, user=self.principal.name, workspace=workspace,
                         dataset=dataset_id, subject=subject)


def _query_seconds() -> float:
    value = os.environ.get(QUERY_SECONDS_ENV_VAR)
    if not value:
        return DEFAULT_QUERY_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise StoreUnavailable(t("{var} = “{value}” is not a number of seconds; write it "
                                 "like 300.", var=QUERY_SECONDS_ENV_VAR, value=value))
    return seconds


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def _orders_version(entry: dict[str, Any]) -> str:
    """The version that wrote a catalogue entry's orders (before it was recorded: its
    own version)."""
    return str(entry["tables"]["orders"].get("orders_version") or entry["version"])


def _remove_if_unlocked(folder: Path) -> None:
    """Remove a page tables' build folder unless its builder still holds its lock."""
    try:
        lock = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return  # still being built
    finally:
        os.close(lock)
    shutil.rmtree(folder, ignore_errors=True)


def _page_tables_lock(root: Path, dataset_id: str, orders_version: str
                      ) -> contextlib.AbstractContextManager[bool]:
    """The lock of the page tables of a dataset's orders (:func:`_page_tables_lock_file`)."""
    return _page_tables_lock_file(root / "tmp" / f"{_PAGES_LOCK}{dataset_id}-{orders_version}")


@contextmanager
def _page_tables_lock_file(path: Path) -> Iterator[bool]:
    """Hold the lock file ``path`` if no one else does: yield whether it is held.

    The system lets go of it when its holder's process dies (a killed builder blocks no
    one); its holder removes the file when done, so a process that opened it just before
    takes a new one (it checks that the file it locked is still the one at ``path``).
    """
    while True:
        lock = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)
            yield False
            return
        try:
            current = os.stat(path).st_ino
        except FileNotFoundError:
            current = None
        if current == os.fstat(lock).st_ino:
            break
        os.close(lock)  # removed by the holder before us: lock the file there now
    try:
        yield True
    finally:
        path.unlink(missing_ok=True)
        os.close(lock)


def _remove_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not empty (or already gone): nothing to give back
        folder.rmdir()


def _copy_saved_benchmarks(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
    """The saved benchmark sets into ``main.loyaltylens_benchmarks`` (a few rows)."""
    connection.execute(f"ATTACH $path AS {_SAVED_ALIAS} (READ_ONLY)", {"path": str(path)})
    try:
        connection.execute(f"-- the saved benchmark sets\nCREATE OR REPLACE TABLE "
                           f"main.{_BENCHMARKS_TABLE} AS SELECT * FROM "
                           f"{_SAVED_ALIAS}.{_BENCHMARKS_TABLE}")
    finally:
        connection.execute(f"DETACH {_SAVED_ALIAS}")


def _has_saved_benchmarks(connection: duckdb.DuckDBPyConnection) -> bool:
    """Whether the job holds saved benchmark sets (a job that saved none, in a store that
    has none, has no table to save)."""
    found = connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'memory' "
        "AND schema_name = 'main' AND table_name = $name",
        {"name": _BENCHMARKS_TABLE}).fetchone()
    return bool(found and found[0])


def _save_benchmarks_file(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
    connection.execute(f"ATTACH $path AS {_SAVED_ALIAS}_new", {"path": str(path)})
    try:
        connection.execute(f"-- the saved benchmark sets, as the job left them\n"
                           f"CREATE TABLE {_SAVED_ALIAS}_new.{_BENCHMARKS_TABLE} AS "
                           f"SELECT * FROM main.{_BENCHMARKS_TABLE}")
    finally:
        connection.execute(f"DETACH {_SAVED_ALIAS}_new")
    _fsync_file(path)


# -- migrating a single-file database of an older LoyaltyLens ------------------------------


def _migrate(legacy: Path) -> None:
    """Turn the single-file database ``legacy`` into a store folder at the same path.

    The folder is built beside it and swapped in with two renames; the old file is kept
    as ``<name>.before-versions``. Another process migrating at the same time waits.
    """
    with open(legacy.with_name(legacy.name + ".migrate-lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not legacy.is_file():
            return  # another process migrated it while we waited
        staging = legacy.with_name(f"{legacy.name}.migrating-{secrets.token_hex(4)}")
        try:
            staging.mkdir(mode=0o700)  # the data folder it becomes: its owner's only
            _copy_legacy(legacy, staging)
            for path in (legacy, legacy.with_name(legacy.name + ".wal")):
                if path.exists():
                    os.rename(path, path.with_name(path.name + MIGRATED_SUFFIX))
            os.rename(staging, legacy)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _copy_legacy(legacy: Path, staging: Path) -> None:
    source = duckdb.connect(":memory:")
    try:
        source.execute("ATTACH $path AS legacy (READ_ONLY)", {"path": str(legacy)})
    except duckdb.Error as error:
        source.close()
        raise StoreUnavailable(t("Cannot open the LoyaltyLens database {path} to move it to "
                                 "the new layout: another program (an older dashboard or "
                                 "CLI) may be using it. Close it and try again.",
                                 path=legacy)) from error
    with source:
        tables = {name for (name,) in source.execute(
            "-- the catalogue tables of a single-file database\n"
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'legacy' "
            "AND schema_name = 'main'").fetchall()}
        catalogue = empty_catalogue()
        if "loyaltylens_datasets" in tables:
            catalogue["datasets"] = _copy_legacy_datasets(source, staging)
        (staging / "benchmarks").mkdir(parents=True, exist_ok=True)
        if _BENCHMARKS_TABLE in tables:
            version = _new_version()
            source.execute(f"CREATE TABLE main.{_BENCHMARKS_TABLE} AS "
                           f"SELECT * FROM legacy.main.{_BENCHMARKS_TABLE}")
            _save_benchmarks_file(source, _benchmarks_path(staging, version))
            catalogue["benchmarks"] = version
    _write_catalogue(staging, catalogue)


def _copy_legacy_datasets(source: duckdb.DuckDBPyConnection, staging: Path
                          ) -> dict[str, Any]:
    datasets: dict[str, Any] = {}
    for dataset_id, name, currency, created_at in source.execute(
            "-- every dataset of a single-file database\n"
            "SELECT id, name, currency, created_at FROM legacy.loyaltylens_datasets"
            ).fetchall():
        version = _new_version()
        path = _dataset_path(staging, dataset_id, version)
        path.parent.mkdir(parents=True)
        schema = f"legacy.{quote_ident(dataset_schema(dataset_id))}"
        source.execute("ATTACH $path AS migrated", {"path": str(path)})
        for (table,) in source.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'legacy' "
                "AND schema_name = $schema",
                {"schema": dataset_schema(dataset_id)}).fetchall():
            # a plain scan keeps the row order (sorted by customer and date at ingest)
            source.execute(f"CREATE TABLE migrated.{quote_ident(table)} AS "
                           f"SELECT * FROM {schema}.{quote_ident(table)}")
        columns = _table_columns(source, "migrated")
        source.execute("DETACH migrated")
        datasets[dataset_id] = {
            "name": name, "currency": currency, "workspace": DEFAULT_WORKSPACE,
            "created_at": created_at.isoformat(),
            "version": version, "tables": _legacy_tables(source, dataset_id, columns)}
    return datasets


def _legacy_tables(source: duckdb.DuckDBPyConnection, dataset_id: str,
                   columns: dict[str, list[str]]) -> dict[str, Any]:
    rows = source.execute(
        "-- the stored tables of one dataset of a single-file database\n"
        "SELECT kind, source, rows, mapping, segment_columns, first_date, last_date, "
        "loaded_at FROM legacy.loyaltylens_tables WHERE dataset_id = $id", {"id": dataset_id}
    ).fetchall()
    return {kind: {"source": origin, "rows": int(n), "mapping": json.loads(mapping),
                   "segment_columns": json.loads(segments), "first_date": _iso(first),
                   "last_date": _iso(last), "loaded_at": loaded.isoformat(),
                   "columns": columns.get(kind, [])}
            for kind, origin, n, mapping, segments, first, last, loaded in rows}
