"""An ingest in two steps across processes: the file is read, validated and turned into the
tables to store in a child process (:mod:`metrics.isolation`), which leaves them as Parquet
files with the report; :func:`store_staged` then writes them into the store in one
transaction. The CLI, which can open the database in the child, does both there."""

from __future__ import annotations

import dataclasses
import functools
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from metrics.access import ADMIN, Principal
from metrics.errors import InputError
from metrics.i18n import t
from metrics.ingest import CURRENCY_GIVEN, IngestReport, ingest_file
from metrics.isolation import Limits, run_isolated
from metrics.page_aggregates import PageTables, drop_page_tables, schedule_page_tables
from metrics.progress import ProgressCallback, QueryProgress, Step, no_progress
from metrics.query.sql import quote_ident
from metrics.store import Dataset, Store, TableInfo, dataset_schema

SCRATCH_DB = "scratch.duckdb"


@dataclass(frozen=True)
class StagedTable:
    """One table of a staged ingest: its kind, its rows in Parquet, its catalogue entry."""

    kind: str
    path: Path
    info: dict[str, Any]


@dataclass(frozen=True)
class Staged:
    """A validated file ready to store: the report (a dry run's) and the tables to write.

    ``existing`` is the dataset's id and kinds of data when it was staged (None for a new
    dataset); storing refuses when the dataset changed since. ``dropped`` are kinds the
    store removes (the order lines of earlier orders). ``workspace`` is the one the
    dataset was looked up in and a new one goes into (None: the store's).
    """

    report: IngestReport
    folder: Path
    tables: tuple[StagedTable, ...]
    dropped: tuple[str, ...]
    existing: tuple[str, tuple[str, ...]] | None
    workspace: str | None = None


def _state(dataset: Dataset | None) -> tuple[str, tuple[str, ...]] | None:
    """What storing depends on: the dataset's id and the kinds of data it has."""
    return (dataset.id, tuple(sorted(dataset.tables))) if dataset else None


def stage_isolated(store: Store, path: Path, folder: Path, *, dataset: str,
                   limits: Limits | None = None, workspace: str | None = None,
                   progress: ProgressCallback | None = None, every: float | None = None,
                   **arguments: Any) -> Staged:
    """Read and validate a file in a child process; stage its tables in ``folder``.

    Parameters
    ----------
    store
        The store the file is for: only its catalogue is read here (the dataset of that
        name, if any), so the report says what storing would do.
    path
        The file.
    folder
        A private, empty folder for the staged tables (and the child's scratch database).
    dataset
        The dataset's name, as :func:`metrics.ingest.ingest_file` takes it.
    limits
        The child's limits (:class:`metrics.isolation.Limits`).
    workspace
        The workspace the dataset is looked up in and a new one is stored in (default:
        the store's, see :meth:`metrics.store.Store.target_workspace`).
    progress, every
        Called here with the steps of the check as the child reports them (reading,
        checking, preparing the rows to store, done), as :func:`run_isolated` does; an
        error it raises stops the check.
    arguments
        The other options of :func:`metrics.ingest.ingest_file` (kind, mapping, ...),
        but not ``dry_run``, ``store`` nor ``path``.

    Returns
    -------
    Staged
        The report of a dry run (``dry_run`` set, ``dataset_id`` None for a new dataset)
        and the staged tables, for :func:`store_staged`.

    Raises
    ------
    InputError
        The file's own problem, or one sentence when its process died or ran out of time,
        memory or disk; :class:`~metrics.errors.AccessDenied` when the workspace is not
        the user's.
    """
    workspace = workspace or store.workspace
    existing = store.find_dataset(dataset, workspace)
    if existing is None:
        store.target_workspace(workspace)  # refused before the file is read
    name = arguments.get("source") or path.name
    task = functools.partial(stage_file, folder, path, existing, dataset, arguments)
    return dataclasses.replace(run_isolated(task, name, limits, progress, every),
                               workspace=workspace)


def stage_file(folder: Path, path: Path, existing: Dataset | None, dataset: str,
               arguments: dict[str, Any], progress: ProgressCallback = no_progress
               ) -> Staged:
    """The child's side of :func:`stage_isolated`: ingest into a scratch store that knows
    the existing dataset's catalogue, then write the tables it made as Parquet."""
    scratch_path = folder / SCRATCH_DB

    def checking(step: Step) -> None:
        # the rows go into the scratch store: prepared for storing, not stored; done once
        # they are written for storing
        if step.phase != "done":
            progress(dataclasses.replace(step, phase="preparing") if step.phase == "storing"
                     else step)

    try:
        with Store(scratch_path) as scratch:
            if existing is not None:
                _mirror(scratch, existing)
            # the page tables are built for the orders that store_staged stores, not here
            report = ingest_file(scratch, path, dataset=dataset, progress=checking,
                                 page_aggregates="none", **arguments)
            staged = scratch.dataset(report.dataset_name)
            tables = tuple(_stage_table(scratch, staged, info.kind, folder)
                           for info in staged.tables.values()
                           if info.columns)  # a table of the dataset's own is not in here
    finally:  # the scratch store is a folder of its own
        shutil.rmtree(scratch_path, ignore_errors=True)
    dropped = tuple(sorted(set(existing.tables) - set(staged.tables))) if existing else ()
    report = dataclasses.replace(report, dry_run=True,
                                 dataset_id=existing.id if existing else None)
    progress(Step("done", rows=report.rows_stored))
    return Staged(report, folder, tables, dropped, _state(existing))


def _mirror(scratch: Store, dataset: Dataset) -> None:
    """Give the scratch store a dataset of the same name, currency and catalogue (no rows),
    so the ingest decides as it would in the real store (replace or refuse, its currency)."""
    with scratch.transaction() as cursor:
        dataset_id = scratch.register_dataset(cursor, dataset.name, dataset.currency)
        for info in dataset.tables.values():
            scratch.register_table(cursor, dataset_id, info.kind, _catalogue_entry(info))


def _stage_table(scratch: Store, dataset: Dataset, kind: str, folder: Path) -> StagedTable:
    """Write one table of the scratch dataset as Parquet, with its catalogue entry."""
    path = folder / f"{kind}.parquet"
    with scratch.cursor() as cursor:
        cursor.sql(f"SELECT * FROM {dataset.table(kind)}").write_parquet(str(path))
    return StagedTable(kind, path, _catalogue_entry(dataset.tables[kind]))


def _catalogue_entry(info: TableInfo) -> dict[str, Any]:
    """A stored table's catalogue entry as :meth:`Store.register_table` takes it."""
    return {"source": info.source, "rows": info.rows, "mapping": info.mapping,
            "segment_columns": list(info.segment_columns), "first_date": info.first_date,
            "last_date": info.last_date}


def store_staged(store: Store, staged: Staged, currency: str | None = None,
                 progress: ProgressCallback = no_progress, page_tables: PageTables = "now"
                 ) -> IngestReport:
    """Store a staged file's tables in one transaction: all of them, or nothing.

    This is the one write of an upload; the Data page runs it in a child process
    (:func:`store_staged_isolated`).

    Parameters
    ----------
    store
        The store to write into.
    staged
        What :func:`stage_isolated` returned.
    currency
        The currency the user chose for a new dataset, instead of the file's suggestion.
    progress
        Called with the rows stored as they are written, and when done.
    page_tables
        When the page tables of stored orders are built, once they are published
        (:data:`metrics.page_aggregates.PageTables`).

    Returns
    -------
    IngestReport
        The staged report, as stored (``dry_run`` unset, the dataset's id).

    Raises
    ------
    InputError
        The dataset was created, deleted or given data of this kind since the file was
        checked; nothing is stored.
    """
    report = staged.report
    if currency is not None and staged.existing is None:
        report = dataclasses.replace(report, currency=currency, currency_source=CURRENCY_GIVEN)
    storing = Step("storing", total=report.rows_stored)
    progress(storing)  # already while it waits for another writer to finish
    with (store.writer() as cursor, QueryProgress(cursor, progress) as progress,
          store.atomic(cursor)):
        progress(storing)  # the rows are counted from here
        existing = store.find_dataset(report.dataset_name, staged.workspace)
        if _state(existing) != staged.existing:
            raise InputError(t("The dataset “{name}” changed while the file was checked: "
                               "check the file again, then store it.",
                               name=report.dataset_name))
        replacing = {*staged.dropped, *(table.kind for table in staged.tables)}
        dataset_id = (store.edit_dataset(cursor, existing.id, replacing) if existing
                      else store.register_dataset(cursor, report.dataset_name,
                                                  report.currency, staged.workspace))
        for kind in staged.dropped:  # a table the new data replaces
            store.forget_table(cursor, dataset_id, kind)
        for table in staged.tables:
            target = f"{quote_ident(dataset_schema(dataset_id))}.{quote_ident(table.kind)}"
            cursor.execute(f"DROP TABLE IF EXISTS {target}")
            cursor.execute(f"-- the staged rows, in their order\n"
                           f"CREATE TABLE {target} AS SELECT * FROM read_parquet($path)",
                           {"path": str(table.path)})
            store.register_table(cursor, dataset_id, table.kind, table.info)
        stores_orders = any(table.kind == "orders" for table in staged.tables)
        if stores_orders:
            drop_page_tables(cursor, dataset_id)  # of the orders replaced
    discard_staged(staged)
    if stores_orders:  # the dataset is published and usable: its pages run their queries
        schedule_page_tables(store, dataset_id, page_tables)
    progress(Step("done", rows=report.rows_stored))
    return dataclasses.replace(report, dry_run=False, dataset_id=dataset_id)


def store_staged_isolated(store: Store, staged: Staged, currency: str | None = None,
                          limits: Limits | None = None, progress: ProgressCallback | None = None,
                          every: float | None = None) -> IngestReport:
    """:func:`store_staged` in a child process under ``limits``, which opens the store's
    folder itself: a crash, a full disk or a hang there never reaches the server, and
    readers keep reading meanwhile (the store switches to the new version when it is
    written). The page tables of new orders are built afterwards in a process of their
    own (:func:`metrics.page_aggregates.schedule_page_tables`). An in-memory store
    (tests) has no folder to share, so it is written here.

    ``progress`` and ``every`` are :func:`run_isolated`'s: an error ``progress`` raises
    stops the child, and nothing is stored."""
    if store.path == ":memory:":
        return store_staged(store, staged, currency, progress or no_progress)
    task = functools.partial(_store_staged_into, store.path, store.principal, staged,
                             currency)
    return run_isolated(task, staged.report.dataset_name, limits, progress, every)


def _store_staged_into(db: str, principal: Principal, staged: Staged,
                       currency: str | None, progress: ProgressCallback = no_progress
                       ) -> IngestReport:
    """The child's side of :func:`store_staged_isolated`: the same principal's store."""
    with Store(db, principal) as store:
        return store_staged(store, staged, currency, progress, page_tables="background")


def discard_staged(staged: Staged) -> None:
    """Remove a staged file's tables (stored, or abandoned)."""
    shutil.rmtree(staged.folder, ignore_errors=True)


def ingest_isolated(db: Path | str | None, path: Path | str, *, limits: Limits | None = None,
                    principal: Principal = ADMIN, progress: ProgressCallback | None = None,
                    **arguments: Any) -> IngestReport:
    """:func:`metrics.ingest.ingest_file` in a child process, which opens the database
    itself (``db``: a path, or None for the default) for ``principal``: the CLI's ingest,
    reading and storing under the limits; ``progress`` gets its steps here, as the child
    reports them. It returns once the dataset is usable: its page tables are built in a
    process of their own (``page_aggregates="background"``, unless ``arguments`` say
    otherwise). Raises as :func:`stage_isolated` does."""
    arguments = {"page_aggregates": "background"} | arguments
    task = functools.partial(_ingest_into, None if db is None else str(db), principal,
                             Path(path), arguments)
    return run_isolated(task, arguments.get("source") or Path(path).name, limits, progress)


def _ingest_into(db: str | None, principal: Principal, path: Path,
                 arguments: dict[str, Any], progress: ProgressCallback = no_progress
                 ) -> IngestReport:
    """The child's side of :func:`ingest_isolated`."""
    with Store(db, principal) as store:
        return ingest_file(store, path, progress=progress, **arguments)
