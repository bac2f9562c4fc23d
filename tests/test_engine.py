"""The engine's share of the machine: threads and memory from settings, read back from
DuckDB itself; the dashboard's store gets them."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import duckdb
import pytest

from dashboard import services
from metrics.engine import (
    DEFAULT_WORKER_NICENESS,
    MEMORY_ENV_VAR,
    NICENESS_ENV_VAR,
    THREADS_ENV_VAR,
    available_cores,
    engine_settings,
    workers_below,
)
from metrics.errors import StoreUnavailable
from metrics.ingest import ingest_file
from metrics.store import Store
from tests.builders import SMALL_ORDERS

SETTINGS = "SELECT current_setting('threads'), current_setting('memory_limit')"


def test_a_store_runs_every_query_with_the_settings(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    # the CLI's store, not only the dashboard's: 500 MB is 476.8 MiB as DuckDB writes it
    monkeypatch.setenv(THREADS_ENV_VAR, "3")
    monkeypatch.setenv(MEMORY_ENV_VAR, "500MB")
    with Store(tmp_path / "store") as store, store.cursor() as cursor:
        assert cursor.execute(SETTINGS).fetchone() == (3, "476.8 MiB")


def test_the_settings_hold_after_another_process_wrote(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    # a reader opens a new snapshot once another store (another process) stored a dataset:
    # that snapshot's connection has the settings too
    monkeypatch.setenv(THREADS_ENV_VAR, "3")
    monkeypatch.setenv(MEMORY_ENV_VAR, "500MB")
    with Store(tmp_path / "store") as reader:
        with reader.cursor() as cursor:
            cursor.execute("SELECT 1").fetchone()
        with Store(tmp_path / "store") as writer:
            ingest_file(writer, SMALL_ORDERS, dataset="Small shop", currency="EUR")
        with reader.cursor() as cursor:
            assert [d.name for d in reader.datasets()] == ["Small shop"]
            assert cursor.execute(SETTINGS).fetchone() == (3, "476.8 MiB")


def test_threads_default_to_the_cores_this_process_may_use(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_ENV_VAR, raising=False)
    assert engine_settings().threads == available_cores()


@pytest.mark.parametrize("value", ["two", "0", "-1", "1.5"])
def test_a_thread_count_that_is_no_whole_number_says_so(monkeypatch: pytest.MonkeyPatch,
                                                       value: str) -> None:
    monkeypatch.setenv(THREADS_ENV_VAR, value)
    with pytest.raises(StoreUnavailable) as raised:
        engine_settings()
    assert str(raised.value) == (
        f"LOYALTYLENS_THREADS = “{value}” is not a number of threads; write a whole number "
        "such as 2, or leave it unset to use every core.")


def test_a_memory_size_duckdb_cannot_read_says_so(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setenv(MEMORY_ENV_VAR, "lots")
    with pytest.raises(StoreUnavailable) as raised:
        Store(tmp_path / "store")
    assert str(raised.value) == ("LOYALTYLENS_MEMORY_LIMIT = “lots” is not a memory size; "
                                 "write it like 2GB or 500MB.")


@pytest.mark.parametrize("size", ["2GB", "500MB", "3 GiB", "1tb", " 12 mib ", "1MB", "64TB"])
def test_a_plain_memory_limit_is_one_duckdb_takes(monkeypatch: pytest.MonkeyPatch,
                                                   size: str) -> None:
    """What ``datasets`` accepts without starting DuckDB, DuckDB accepts too."""
    monkeypatch.setenv(MEMORY_ENV_VAR, size)
    settings = engine_settings()
    assert settings.plain_memory_limit
    duckdb.connect(":memory:", config={"memory_limit": settings.memory_limit}).close()


@pytest.mark.parametrize("size", ["lots", "100", "0GB", "1kb", "80%", "2GBs", "1.5GB"])
def test_any_other_memory_limit_is_left_to_duckdb(monkeypatch: pytest.MonkeyPatch,
                                                  size: str) -> None:
    # some of these DuckDB takes (80%, 1.5GB), some it refuses ("lots", 0GB): it decides
    monkeypatch.setenv(MEMORY_ENV_VAR, size)
    assert not engine_settings().plain_memory_limit


@pytest.mark.parametrize(("cpu_max", "cores"), [
    ("50000 100000\n", 1),      # half a core: at least one thread
    ("100000 100000\n", 1),
    ("150000 100000\n", 2),     # one and a half cores: the half counts
    ("max 100000\n", None),     # no quota: every core it may run on
    ("9900000 100000\n", None),  # a quota above the cores: the cores
])
def test_a_container_quota_limits_the_cores(tmp_path: Path, cpu_max: str,
                                            cores: int | None) -> None:
    runnable = len(os.sched_getaffinity(0))
    quota_file = tmp_path / "cpu.max"
    quota_file.write_text(cpu_max, encoding="utf-8")
    assert available_cores(quota_file) == (runnable if cores is None else min(cores, runnable))
    assert available_cores(tmp_path / "missing") == runnable


def test_the_dashboards_store_runs_with_the_settings(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setenv(THREADS_ENV_VAR, "3")
    monkeypatch.setenv(MEMORY_ENV_VAR, "700MB")
    store = services._open_store(str(tmp_path / "settings.duckdb"))
    try:
        with store.cursor() as cursor:  # 700 MB is 667.5 MiB
            assert cursor.execute(SETTINGS).fetchone() == (3, "667.5 MiB")
    finally:
        store.close()
        services._open_store.clear()


def _nice(thread: int) -> int:
    """A thread's niceness as the kernel reports it (field 19 of its stat line), read
    apart from the os.getpriority the code sets it with."""
    with open(f"/proc/self/task/{thread}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[16])


def _threads() -> set[int]:
    return {int(name) for name in os.listdir("/proc/self/task")}


def test_duckdbs_worker_threads_run_below_the_store_that_opened_it(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # 2 threads: DuckDB starts a worker beside the caller; 7, not the default, shows the
    # setting is read
    monkeypatch.setenv(THREADS_ENV_VAR, "2")
    monkeypatch.setenv(NICENESS_ENV_VAR, "7")
    before = _threads()
    me = threading.get_native_id()
    with Store(tmp_path / "store") as store:
        started = _threads() - before - {t.native_id for t in threading.enumerate()}
        assert started, "DuckDB started no thread of its own"
        assert {_nice(thread) for thread in started} == {_nice(me) + 7}
        assert _nice(me) == os.getpriority(os.PRIO_PROCESS, 0)  # the caller keeps its own
        with store.cursor() as cursor:  # and the workers still answer queries
            assert cursor.execute("SELECT sum(i) FROM range(1000001) t(i)").fetchone() == (
                500000500000,)


def test_python_threads_started_meanwhile_keep_their_priority() -> None:
    # a session's run starting while another opens a database is not a DuckDB worker
    release = threading.Event()
    session = threading.Thread(target=release.wait)
    before = _threads()
    with workers_below(5):
        session.start()
        connection = duckdb.connect(":memory:", config={"threads": 2})
    try:
        assert session.native_id is not None
        assert _nice(session.native_id) == _nice(threading.get_native_id())
        duckdbs = _threads() - before - {session.native_id}
        assert duckdbs and {_nice(thread) for thread in duckdbs} == {
            _nice(threading.get_native_id()) + 5}
    finally:
        release.set()
        session.join()
        connection.close()


def test_niceness_0_leaves_every_thread_as_it_was() -> None:
    before = _threads()
    with workers_below(0):
        connection = duckdb.connect(":memory:", config={"threads": 2})
    try:
        mine = _nice(threading.get_native_id())
        assert {_nice(thread) for thread in _threads() - before} == {mine}
    finally:
        connection.close()


@pytest.mark.parametrize("raw", ["high", "20", "-5", "1.5"])
def test_a_niceness_that_is_not_0_to_19_is_logged_and_the_default_used(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, raw: str) -> None:
    monkeypatch.setenv(NICENESS_ENV_VAR, raw)
    with caplog.at_level(logging.WARNING, logger="metrics.engine"):
        assert engine_settings().worker_niceness == DEFAULT_WORKER_NICENESS == 10
    assert NICENESS_ENV_VAR in caplog.text and repr(raw) in caplog.text
