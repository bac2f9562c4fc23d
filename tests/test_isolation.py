"""The isolated runner: a child that hangs, spins, runs out of memory or disk, is killed or
crashes gives one sentence, the parent goes on, and the database keeps what it had."""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from metrics.errors import InputError
from metrics.i18n import language, t
from metrics.ingest import ingest_file
from metrics.isolation import Limits, run_isolated
from metrics.parsing import AmbiguousDates
from metrics.store import Store
from tests import isolation_tasks as tasks
from tests.builders import SMALL_ORDERS
from tests.corpus import stored_orders

# Small limits, so each case ends in seconds (a spawned child takes about two to start).
SMALL = Limits(memory_bytes=2 * 2**30, wall_seconds=6, cpu_seconds=60, file_bytes=8 * 2**20)
STOPPED = ("Reading orders.csv was stopped by the server (it may have run out of memory); "
           "nothing was stored. Upload a smaller file (fewer rows or columns).")
CRASHED = ("Reading orders.csv failed and was stopped; nothing was stored and the datasets "
           "are unchanged. Check that it is a CSV or .xlsx export; if it is, send it to "
           "whoever runs LoyaltyLens.")
OUT_OF_MEMORY = ("Reading orders.csv needed more memory than an upload may use (2.0 GB), and "
                 "was stopped; nothing was stored. Upload a smaller file (fewer rows or "
                 "columns).")
DISK_FULL = ("There is not enough disk space to read orders.csv; nothing was stored. Free "
             "some disk space on the server, or upload a smaller file.")


def too_long(limit: str) -> str:
    return (f"Reading orders.csv took longer than the {limit} an upload may take, and was "
            f"stopped; nothing was stored. Upload a smaller file (fewer rows or columns).")


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A database file holding the small shop (closed: the child opens it)."""
    path = tmp_path / "shop.duckdb"
    with Store(path) as store:
        ingest_file(store, SMALL_ORDERS, dataset="Small shop", currency="EUR")
    return path


def assert_intact(db: Path) -> None:
    """Only the small shop, as orders_small.csv has it: 11 rows, customers A to E, 10
    orders and a refund of 30."""
    with Store(db) as store:
        assert [d.name for d in store.datasets()] == ["Small shop"]
        assert stored_orders(store, store.dataset("Small shop")) == (
            11, 5, 10, Decimal("710.00"))


CASES: dict[str, tuple[Callable[..., object], Limits, str]] = {
    "sleeps past the timeout": (tasks.sleep_past_the_timeout, SMALL, too_long("6 seconds")),
    "spins past the CPU limit": (tasks.spin_past_the_cpu_limit,
                                 Limits(memory_bytes=SMALL.memory_bytes, wall_seconds=120,
                                        cpu_seconds=1), too_long("2 minutes")),
    "allocates past the memory limit": (tasks.allocate_past_the_memory_limit, SMALL,
                                        OUT_OF_MEMORY),
    "runs DuckDB past the memory limit": (tasks.duckdb_past_the_memory_limit, SMALL,
                                          OUT_OF_MEMORY),
    "kills itself": (tasks.kill_itself, SMALL, STOPPED),
    "segfaults": (tasks.segfault, SMALL, CRASHED),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_child_that_dies_gives_one_sentence_and_stores_nothing(shop: Path, case: str
                                                                 ) -> None:
    misbehave, limits, sentence = CASES[case]
    with pytest.raises(InputError) as stopped:
        run_isolated(functools.partial(tasks.in_a_transaction, str(shop), misbehave),
                     "orders.csv", limits)
    assert stopped.value.message == sentence
    assert_intact(shop)
    # the parent goes on: the next child works
    assert run_isolated(functools.partial(tasks.answer, 21), "orders.csv", SMALL) == 42


@pytest.mark.parametrize("write", [tasks.write_past_the_file_limit,
                                   tasks.duckdb_write_past_the_file_limit])
def test_a_child_that_fills_the_disk_gives_one_sentence_and_stores_nothing(
        shop: Path, tmp_path: Path, write: Callable[[str], None]) -> None:
    # the file size limit (8 MB here) stands for a full disk: the write fails where it is
    with pytest.raises(InputError) as stopped:
        run_isolated(functools.partial(tasks.in_a_transaction, str(shop),
                                       functools.partial(write, str(tmp_path))),
                     "orders.csv", SMALL)
    assert stopped.value.message == DISK_FULL
    assert_intact(shop)


def test_the_tasks_own_errors_come_back_as_they_were_raised() -> None:
    with pytest.raises(InputError) as refused:
        run_isolated(tasks.refuse, "orders.csv", SMALL)
    assert refused.value.message == "The file is wrong: fix it."
    with pytest.raises(AmbiguousDates) as ambiguous:
        run_isolated(tasks.ambiguous, "orders.csv", SMALL)
    assert (ambiguous.value.message, ambiguous.value.column, ambiguous.value.options) == (
        "Day or month first?", "Order date", ("dd/mm/yyyy", "mm/dd/yyyy"))


@pytest.mark.parametrize("lang", ["ro", "ru"])
def test_the_child_speaks_the_users_language(lang: str) -> None:
    # a spawned child starts in English; its sentences (rejected rows, refusals) must not
    token = language.set(lang)
    try:
        expected = t("Choose a dataset")  # the catalogue's, read in this process
        with pytest.raises(InputError) as refused:
            run_isolated(tasks.refuse_in_the_users_language, "orders.csv", SMALL)
    finally:
        language.reset(token)
    assert expected != "Choose a dataset"
    assert refused.value.message == expected
