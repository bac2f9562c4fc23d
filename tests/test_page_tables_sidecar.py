"""The page tables are built after the orders are published (metrics/page_aggregates.py):
the dataset is usable at once and its pages run their queries until the tables are
complete, then read them; a builder that dies, a dataset deleted or orders replaced
meanwhile leave nothing that is read and no file behind.

The small shop's monthly KPIs, worked out by hand in tests/test_page_aggregates.py:
new customers 3, 1, 1, 0 (Jan A B E, Feb C, Mar D) and active customers 3, 2, 2, 1.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import tests.isolation_tasks as tasks
from metrics import page_aggregates
from metrics.errors import InputError
from metrics.ingest import ingest_file
from metrics.isolation import run_isolated
from metrics.kpis import kpi_table
from metrics.page_aggregates import build_page_tables, schedule_page_tables
from metrics.query.filters import Filters
from metrics.store import Store
from tests.builders import SMALL_ORDERS, small_store, write_csv
from tests.test_page_aggregates import only_page_tables, stored_kpis, without_page_tables

ROOT = Path(__file__).resolve().parents[1]

MONTHLY = Filters(period="month")
NEW_BY_HAND = [3, 1, 1, 0]
ACTIVE_BY_HAND = [3, 2, 2, 1]
EVERY_TABLE = {"page_kpis/week/90", "page_kpis/month/90", "page_kpis/quarter/90",
               "page_cohorts/week", "page_cohorts/month", "page_cohorts/quarter"}


@pytest.fixture(autouse=True)
def every_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Page tables for a shop of any size (the small shop is under MIN_ORDERS)."""
    monkeypatch.setattr(page_aggregates, "MIN_ORDERS", 0)


def files_of(store: Store, dataset_id: str) -> list[str]:
    """The files of a dataset's folder, and the page tables' build folders under tmp/."""
    folder = store.root / "datasets" / dataset_id
    return sorted([path.name for path in folder.glob("*")] if folder.exists() else []) + [
        path.name for path in (store.root / "tmp").glob("pages-build-*")]


def during_the_build(monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> None:
    """Run ``action`` once, when the builder has written its first page table."""
    original = page_aggregates._store_period
    done: list[bool] = []

    def period_then_action(*args: Any) -> dict[str, str]:
        stored = original(*args)
        if not done:
            done.append(True)
            action()
        return stored
    monkeypatch.setattr(page_aggregates, "_store_period", period_then_action)


def assert_hand_values(store: Store, dataset_name: str) -> None:
    kpis = kpi_table(store, store.dataset(dataset_name), MONTHLY)
    assert kpis["new_customers"].tolist() == NEW_BY_HAND
    assert kpis["active_customers"].tolist() == ACTIVE_BY_HAND


def test_the_dataset_is_usable_before_its_page_tables_and_reads_them_once_complete(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, str]] = []

    def read_from_another_process() -> None:
        # a reader of its own, as the dashboard's process: the dataset is published, its
        # pages run the queries, no page table is there to read
        with Store(tmp_path / "store") as reader:
            dataset = reader.dataset("Small shop")
            seen.append(dataset.tables["orders"].page_aggregates)
            assert not stored_kpis(dataset, MONTHLY)
            assert not list((reader.root / "datasets" / dataset.id).glob("pages-*"))
            assert_hand_values(reader, "Small shop")
    during_the_build(monkeypatch, read_from_another_process)
    store = Store(tmp_path / "store")
    ingest_file(store, SMALL_ORDERS, dataset="Small shop", currency="EUR")
    assert seen == [{}]
    dataset = store.dataset("Small shop")
    assert set(dataset.tables["orders"].page_aggregates) == EVERY_TABLE
    assert [path.name for path in (store.root / "datasets" / dataset.id).glob("pages-*")
            ] == [f"pages-{dataset.version}.duckdb"]
    only_page_tables(monkeypatch, dataset)  # now read from the page tables alone
    assert_hand_values(store, "Small shop")
    store.close()


def test_a_build_in_a_process_of_its_own_publishes_tables_equal_to_the_queries(
        tmp_path: Path) -> None:
    store, dataset = small_store(root=tmp_path / "store", page_aggregates="none")
    assert dataset.tables["orders"].page_aggregates == {}
    builder = schedule_page_tables(store, dataset.id, "background")
    assert builder is not None and builder.wait(timeout=300) == 0
    built = store.dataset("Small shop")
    assert set(built.tables["orders"].page_aggregates) == EVERY_TABLE
    assert stored_kpis(built, MONTHLY)
    for period in ("week", "month", "quarter"):
        filters = Filters(period=period)  # type: ignore[arg-type]
        pd.testing.assert_frame_equal(kpi_table(store, built, filters),
                                      kpi_table(store, without_page_tables(built), filters))
    assert files_of(store, dataset.id) == sorted([f"{dataset.version}.duckdb",
                                                  f"pages-{dataset.version}.duckdb"])
    store.close()


def test_a_builder_killed_midway_leaves_nothing_that_is_read(tmp_path: Path) -> None:
    store, dataset = small_store(root=tmp_path / "store", page_aggregates="none")
    with pytest.raises(InputError):  # its process died (SIGKILL) after a first table
        run_isolated(functools.partial(tasks.build_page_tables_and_die, str(store.root),
                                       dataset.id), "page tables")
    after = store.dataset("Small shop")
    assert after.tables["orders"].page_aggregates == {}
    assert not stored_kpis(after, MONTHLY)
    assert_hand_values(store, "Small shop")
    # its half-built file was never where a reader looks; the next writer removes it
    assert files_of(store, dataset.id)[0] == f"{dataset.version}.duckdb"
    assert files_of(store, dataset.id)[1].startswith("pages-build-")
    with store.writer():
        pass
    assert files_of(store, dataset.id) == [f"{dataset.version}.duckdb"]
    assert set(build_page_tables(store, dataset.id)) == EVERY_TABLE  # built again
    store.close()


def test_a_dataset_deleted_during_the_build_leaves_no_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, dataset = small_store(root=tmp_path / "store", page_aggregates="none")
    dataset_id = dataset.id

    def delete() -> None:
        with Store(tmp_path / "store") as other:
            other.delete_dataset("Small shop")
    during_the_build(monkeypatch, delete)
    assert build_page_tables(store, dataset_id) != {}  # built, but for nothing
    assert store.find_dataset("Small shop") is None
    assert files_of(store, dataset_id) == []
    assert not (store.root / "datasets" / dataset_id).exists()
    store.close()


def test_orders_replaced_during_the_build_get_none_of_the_old_tables(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, dataset = small_store("Shop", root=tmp_path / "store", page_aggregates="none")
    dataset_id = dataset.id
    # one customer, two orders: January and March
    two = write_csv(tmp_path / "two.csv", ("customer_id", "date", "amount"),
                    [("Z", "2024-01-10", 5), ("Z", "2024-03-10", 7)])

    def replace_orders() -> None:
        with Store(tmp_path / "store") as other:
            ingest_file(other, two, dataset="Shop", replace=True, page_aggregates="none")
    during_the_build(monkeypatch, replace_orders)
    build_page_tables(store, dataset_id)
    replaced = store.dataset("Shop")
    assert replaced.tables["orders"].page_aggregates == {}
    assert files_of(store, dataset_id) == [f"{replaced.version}.duckdb"]
    kpis = kpi_table(store, replaced, MONTHLY)  # the new orders' queries
    assert kpis["orders"].tolist() == [1, 0, 1]
    assert kpis["revenue"].tolist() == [5.0, 0.0, 7.0]
    store.close()


def test_a_version_keeping_the_orders_during_the_build_gets_the_tables(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, first = small_store("Shop", root=tmp_path / "store", page_aggregates="none")
    customers = write_csv(tmp_path / "customers.csv", ("customer_id", "segment"),
                          [("A", "gold")])

    def add_customers() -> None:
        with Store(tmp_path / "store") as other:
            ingest_file(other, customers, dataset="Shop", kind="customers")
    during_the_build(monkeypatch, add_customers)
    build_page_tables(store, first.id)
    kept = store.dataset("Shop")
    assert kept.version != first.version and "customers" in kept.tables
    assert set(kept.tables["orders"].page_aggregates) == EVERY_TABLE
    # the sidecar is the orders' (named after the version that wrote them), not copied
    assert files_of(store, first.id) == sorted([f"{kept.version}.duckdb",
                                                f"pages-{first.version}.duckdb"])
    only_page_tables(monkeypatch, kept)
    assert_hand_values(store, "Shop")
    store.close()


def test_a_builder_that_fails_says_so_in_one_line_and_leaves_the_dataset(tmp_path: Path) -> None:
    # the folder holds a file where the store's catalogue folder would be: opening fails
    root = tmp_path / "not-a-store"
    root.write_text("a file, not a store folder", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "metrics.page_aggregates", str(root), "d1"],
                          capture_output=True, text=True, timeout=120,
                          env=os.environ | {"PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith("LoyaltyLens: the page tables of dataset d1 were not built (")
    assert root.read_text(encoding="utf-8") == "a file, not a store folder"
