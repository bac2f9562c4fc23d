"""Small tasks for the isolated-ingest tests: each misbehaves in one way in its child."""

from __future__ import annotations

import ctypes
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from metrics.errors import InputError
from metrics.i18n import t
from metrics.parsing import AmbiguousDates
from metrics.progress import Step
from metrics.store import Store

if TYPE_CHECKING:  # the other tasks' children start without the ingest's imports
    from metrics.staging import Staged


def answer(value: int) -> int:
    return value * 2


def refuse_in_the_users_language() -> None:
    raise InputError(t("Choose a dataset"))


def sleep_past_the_timeout() -> None:
    time.sleep(600)


def spin_past_the_cpu_limit() -> None:
    while True:
        pass


def allocate_past_the_memory_limit() -> bytes:
    return bytes(4 * 2**30)


def duckdb_past_the_memory_limit() -> int:
    # DuckDB's own limit left at its default (80% of the machine): the address space ends
    # first, inside DuckDB
    with duckdb.connect() as connection:
        row = connection.execute("SELECT length(list(repeat('x', 1000000))::VARCHAR) "
                                 "FROM range(5000)").fetchone()
    return int(row[0]) if row else 0


def kill_itself() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def segfault() -> None:
    ctypes.string_at(0)


def write_past_the_file_limit(folder: str) -> None:
    with (Path(folder) / "big.bin").open("wb") as file:
        for _ in range(64):
            file.write(bytes(2**20))


def duckdb_write_past_the_file_limit(folder: str) -> None:
    with duckdb.connect(str(Path(folder) / "big.duckdb")) as connection:
        connection.execute("CREATE TABLE t AS SELECT i, i::VARCHAR || repeat('x', 100) AS s "
                           "FROM range(2000000) AS r(i)")
        connection.execute("CHECKPOINT")


def refuse() -> None:
    raise InputError("The file is wrong: fix it.")


def ambiguous() -> None:
    raise AmbiguousDates("Day or month first?", "Order date", ("dd/mm/yyyy", "mm/dd/yyyy"))


def in_a_transaction(db: str, misbehave: Callable[[], object]) -> object:
    """Start storing a dataset in ``db``, then misbehave before the transaction ends."""
    with Store(db) as store, store.transaction() as cursor:
        store.register_dataset(cursor, "Half stored", None)
        return misbehave()


def report_progress_forever(progress: Callable[[Step], None]) -> None:
    """A child that keeps its parent busy with progress and never ends."""
    rows = 0
    while True:
        rows += 1
        progress(Step("checking", rows=rows, total=10**9))
        time.sleep(0.01)


def store_and_stop_midway(db: str, staged: Staged, progress: Callable[[Step], None]) -> None:
    """Store ``staged`` in ``db`` and stop for good once its first table is written into
    the new version, before anything is published: the parent then cancels."""
    from metrics.staging import store_staged

    register_table = Store.register_table

    def register_then_wait(store: Store, cursor: duckdb.DuckDBPyConnection, dataset_id: str,
                           kind: str, info: dict[str, Any]) -> None:
        register_table(store, cursor, dataset_id, kind, info)
        progress(Step("storing", rows=info["rows"], total=info["rows"]))
        time.sleep(600)

    Store.register_table = register_then_wait  # type: ignore[method-assign]
    with Store(db) as store:
        store_staged(store, staged, progress=progress)


def report_once_then_go_quiet(progress: Callable[[Step], None]) -> None:
    """A child that reports one step, then works on without a word."""
    progress(Step("reading"))
    time.sleep(600)


def build_page_tables_and_die(db: str, dataset_id: str) -> None:
    """Build a dataset's page tables and die (SIGKILL) once the first period's are
    written into the file being built, before anything is published."""
    from metrics import page_aggregates

    store_period = page_aggregates._store_period

    def store_then_die(*args: Any) -> dict[str, str]:
        store_period(*args)
        os.kill(os.getpid(), signal.SIGKILL)
        return {}

    page_aggregates._store_period = store_then_die  # type: ignore[assignment]
    with Store(db) as store:
        page_aggregates.build_page_tables(store, dataset_id, min_orders=0)
