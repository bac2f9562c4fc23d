"""Page tables that today's queries would compute otherwise (a metric changed since, on an
upgraded server) or that a dataset never had (stored before they existed) are rebuilt in
the background once a page or the CLI opens the dataset (metrics/page_aggregates.py,
``rebuild_stale_page_tables``): the read itself runs the queries meanwhile, one builder at
a time builds the tables of one dataset's orders, and readers holding the old sidecar file
keep reading it.

The small shop's monthly KPIs are those worked out by hand in tests/test_page_aggregates.py
(tests/test_page_tables_sidecar.py: NEW_BY_HAND, ACTIVE_BY_HAND).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import metrics.kpis
import tests.isolation_tasks as tasks
from metrics import page_aggregates
from metrics.catalogue import read_catalogue
from metrics.cli import main
from metrics.errors import InputError
from metrics.files import replace_json
from metrics.ingest import ingest_file
from metrics.isolation import run_isolated
from metrics.kpis import kpi_table
from metrics.page_aggregates import stale_page_tables
from metrics.query.filters import Filters
from metrics.store import Dataset, Store
from tests.builders import SMALL_ORDERS, small_store
from tests.test_app import open_app
from tests.test_page_aggregates import only_page_tables, stored_cohorts, stored_kpis
from tests.test_page_tables_sidecar import (
    ACTIVE_BY_HAND,
    EVERY_TABLE,
    MONTHLY,
    NEW_BY_HAND,
    ROOT,
)

# what a record of an older version of the queries holds: other fingerprints
OLD_FINGERPRINT = "0123456789abcdef"


@pytest.fixture(autouse=True)
def every_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Page tables for a shop of any size (the small shop is under MIN_ORDERS)."""
    monkeypatch.setattr(page_aggregates, "MIN_ORDERS", 0)


class Builders:
    """The builders a read starts (``schedule_page_tables``), recorded to wait for."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started: list[subprocess.Popen[bytes] | None] = []
        real = page_aggregates.schedule_page_tables

        def recording(store: Store, dataset_id: str, when: Any = "now") -> Any:
            process = real(store, dataset_id, when)
            self.started.append(process)
            return process
        monkeypatch.setattr(page_aggregates, "schedule_page_tables", recording)

    def wait(self) -> list[int]:
        return [process.wait(timeout=300) for process in self.started if process]


def a_new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget which datasets this process has looked at (it stored them): as a server
    started anew, or a CLI command, opening them for the first time."""
    monkeypatch.setattr(page_aggregates, "_SEEN", set())


def edit_orders_record(root: Path, dataset_id: str, change: Any) -> None:
    """Change the catalogue record of a dataset's orders as another version of
    LoyaltyLens wrote it (``change`` edits the record in place)."""
    catalogue = read_catalogue(root)
    change(catalogue["datasets"][dataset_id]["tables"]["orders"])
    replace_json(root / "catalogue.json", catalogue)


def reading_the_orders(monkeypatch: pytest.MonkeyPatch, ran: list[str]) -> None:
    """Record the SQL the KPI table runs (``metrics.kpis.query_frame``)."""
    real = metrics.kpis.query_frame

    def recording(store: Store, sql: str, params: dict[str, Any]) -> pd.DataFrame:
        ran.append(sql)
        return real(store, sql, params)
    monkeypatch.setattr(metrics.kpis, "query_frame", recording)


def assert_hand_values(kpis: pd.DataFrame) -> None:
    assert kpis["new_customers"].tolist() == NEW_BY_HAND
    assert kpis["active_customers"].tolist() == ACTIVE_BY_HAND


def test_tables_of_an_older_query_are_rebuilt_after_one_read_and_then_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "store")
    ingest_file(store, SMALL_ORDERS, dataset="Small shop", currency="EUR")
    stored = store.dataset("Small shop")
    assert set(stored.tables["orders"].page_aggregates) == EVERY_TABLE
    sidecar = store.root / "datasets" / stored.id / f"pages-{stored.version}.duckdb"
    old_file = sidecar.stat().st_ino
    # the server is upgraded: every table was computed by another version of the queries
    edit_orders_record(store.root, stored.id, lambda orders: orders.update(
        page_aggregates=dict.fromkeys(orders["page_aggregates"], OLD_FINGERPRINT)))
    a_new_process(monkeypatch)
    builders, ran = Builders(monkeypatch), []
    reading_the_orders(monkeypatch, ran)
    with Store(tmp_path / "store") as reader:
        old_cursor = reader.cursor()  # a reader holding the old sidecar file
        stale = reader.dataset("Small shop")
        assert len(builders.started) == 1 and builders.started[0] is not None
        # the read goes on meanwhile, with the query over the orders, not the old tables
        assert not stored_kpis(stale, MONTHLY) and not stored_cohorts(stale, MONTHLY)
        assert_hand_values(kpi_table(reader, stale, MONTHLY))
        assert len(ran) == 1 and "page_kpis" not in ran[0] and stale.table("orders") in ran[0]
        assert builders.wait() == [0]
        rebuilt = reader.dataset("Small shop")
        assert len(builders.started) == 1  # once per process and orders
        assert set(rebuilt.tables["orders"].page_aggregates) == EVERY_TABLE
        assert OLD_FINGERPRINT not in rebuilt.tables["orders"].page_aggregates.values()
        assert stored_kpis(rebuilt, MONTHLY) and stored_cohorts(rebuilt, MONTHLY)
        assert not stale_page_tables(rebuilt)
        # the sidecar of the same orders replaced in one rename: nothing else is left
        assert sidecar.stat().st_ino != old_file
        assert sorted(path.name for path in sidecar.parent.iterdir()) == sorted(
            [f"{stored.version}.duckdb", sidecar.name])
        assert not list((store.root / "tmp").glob("pages-*"))
        count = f"SELECT count(*) FROM {stale.schema}.page_kpis"
        assert old_cursor.execute(count).fetchone() == reader.cursor().execute(
            count).fetchone()
        only_page_tables(monkeypatch, rebuilt)  # now read from the page tables alone
        assert_hand_values(kpi_table(reader, rebuilt, MONTHLY))
    store.close()


def test_a_dataset_stored_before_the_page_tables_gets_them_from_the_cli(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    store, dataset = small_store(root=tmp_path / "store", page_aggregates="none")
    dataset_id = dataset.id

    def as_before_the_page_tables(orders: dict[str, Any]) -> None:
        orders.pop("page_aggregates", None)
        orders.pop("orders_version", None)
    edit_orders_record(store.root, dataset_id, as_before_the_page_tables)
    a_new_process(monkeypatch)
    builders = Builders(monkeypatch)
    assert main(["--db", str(store.root), "kpis", "--dataset", "Small shop"]) == 0
    printed = json.loads(capsys.readouterr().out)  # the query's rows, printed at once
    assert [row["new_customers"] for row in printed] == NEW_BY_HAND
    assert [row["active_customers"] for row in printed] == ACTIVE_BY_HAND
    assert len(builders.started) == 1 and builders.wait() == [0]
    built = store.dataset("Small shop")
    assert set(built.tables["orders"].page_aggregates) == EVERY_TABLE
    assert (store.root / "datasets" / dataset_id / f"pages-{built.version}.duckdb").exists()
    only_page_tables(monkeypatch, built)
    assert_hand_values(kpi_table(store, built, MONTHLY))
    store.close()


def test_tables_of_todays_queries_start_no_build(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "store")
    ingest_file(store, SMALL_ORDERS, dataset="Small shop", currency="EUR")
    a_new_process(monkeypatch)
    builders = Builders(monkeypatch)
    with Store(tmp_path / "store") as reader:
        assert not stale_page_tables(reader.dataset("Small shop"))
    assert builders.started == []
    store.close()


def test_an_in_memory_store_builds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    store, _ = small_store(page_aggregates="none")
    a_new_process(monkeypatch)
    builders = Builders(monkeypatch)
    dataset = store.dataset("Small shop")
    assert stale_page_tables(dataset) and builders.started == []
    assert store.dataset("Small shop").tables["orders"].page_aggregates == {}
    store.close()


def _builder_that_counts(root: Path, dataset_id: str, counts: Path) -> list[str]:
    """A builder process (``python -m metrics.page_aggregates``) that appends a line to
    ``counts`` for each period it stores."""
    code = textwrap.dedent(f"""
        from metrics import page_aggregates
        store_period = page_aggregates._store_period

        def counted(*args):
            with open({str(counts)!r}, "a") as counts:
                counts.write("period\\n")
            return store_period(*args)

        page_aggregates._store_period = counted
        page_aggregates.main([{str(root)!r}, {dataset_id!r}])
    """)
    return [sys.executable, "-c", code]


def test_two_builders_of_the_same_orders_build_them_once(tmp_path: Path) -> None:
    store, dataset = small_store(root=tmp_path / "store", page_aggregates="none")
    dataset_id = dataset.id
    counts = tmp_path / "counts.txt"
    environment = os.environ | {"PYTHONPATH": str(ROOT)}
    builders = [subprocess.Popen(_builder_that_counts(store.root, dataset_id, counts),
                                 cwd=ROOT, env=environment) for _ in range(2)]
    assert [builder.wait(timeout=300) for builder in builders] == [0, 0]
    # one build: the second found the lock held and exited, or found today's tables
    assert counts.read_text().splitlines() == ["period"] * 3  # week, month, quarter
    assert set(store.dataset("Small shop").tables["orders"].page_aggregates) == EVERY_TABLE
    store.close()


def test_a_builder_holding_the_lock_makes_another_exit_without_building(
        tmp_path: Path) -> None:
    store, dataset = small_store(root=tmp_path / "store", page_aggregates="none")
    counts = tmp_path / "counts.txt"
    with store.building_page_tables(dataset.id) as job:
        assert job is not None and store.page_tables_in_progress(dataset)
        second = subprocess.run(_builder_that_counts(store.root, dataset.id, counts),
                                cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)},
                                timeout=300, check=False)
        assert second.returncode == 0 and not counts.exists()
        job.stored |= page_aggregates._store_period(job, "month", (90,))
    assert not store.page_tables_in_progress(dataset)
    assert set(store.dataset("Small shop").tables["orders"].page_aggregates) == {
        "page_kpis/month/90", "page_cohorts/month"}
    store.close()


def test_a_killed_builder_blocks_no_later_one(tmp_path: Path) -> None:
    store, dataset = small_store(root=tmp_path / "store", page_aggregates="none")
    with pytest.raises(InputError):  # its process died (SIGKILL) holding the lock
        run_isolated(functools.partial(tasks.build_page_tables_and_die, str(store.root),
                                       dataset.id), "page tables")
    assert list((store.root / "tmp").glob("pages-lock-*"))  # left behind, not held
    assert not store.page_tables_in_progress(dataset)
    assert set(page_aggregates.refresh_page_tables(store, dataset.id)) == EVERY_TABLE
    with store.writer():  # a writer's clean-up: no lock file of a dead builder is left
        pass
    assert not list((store.root / "tmp").glob("pages-*"))
    store.close()


def test_other_windows_recorded_are_rebuilt_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, dataset = small_store(root=tmp_path / "store", page_aggregates="none")
    page_aggregates.add_page_aggregates(store, dataset, (30, 90))
    edit_orders_record(store.root, dataset.id, lambda orders: orders.update(
        page_aggregates=dict.fromkeys(orders["page_aggregates"], OLD_FINGERPRINT)))
    assert set(page_aggregates.refresh_page_tables(store, dataset.id)) == EVERY_TABLE | {
        "page_kpis/week/30", "page_kpis/month/30", "page_kpis/quarter/30"}
    rebuilt: Dataset = store.dataset("Small shop")
    assert stored_kpis(rebuilt, Filters(period="month", inactivity_days=30))
    assert page_aggregates.refresh_page_tables(store, dataset.id) == {}  # today's already
    store.close()


def test_the_overview_opening_a_dataset_with_stale_tables_starts_their_rebuild(
        isolated_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store(isolated_db) as store:
        ingest_file(store, SMALL_ORDERS, dataset="Small shop", currency="EUR")
        dataset_id = store.dataset("Small shop").id
    edit_orders_record(isolated_db, dataset_id, lambda orders: orders.update(
        page_aggregates=dict.fromkeys(orders["page_aggregates"], OLD_FINGERPRINT)))
    a_new_process(monkeypatch)  # the server upgraded and started anew
    builders = Builders(monkeypatch)
    open_app({"dataset": dataset_id})
    assert len(builders.started) == 1 and builders.wait() == [0]
    with Store(isolated_db) as store:
        rebuilt = store.dataset("Small shop")
        assert set(rebuilt.tables["orders"].page_aggregates) == EVERY_TABLE
        assert not stale_page_tables(rebuilt)
