"""The store shared by processes: the dashboard reads while the CLI reads and writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from dashboard.services import dataset_version
from metrics.benchmarks import save_benchmarks, saved_benchmarks, shipped_benchmarks
from metrics.errors import DatasetNotFound, QueryTimeout
from metrics.ingest import ingest_file
from metrics.kpis import kpi_table
from metrics.query.filters import Filters
from metrics.query.run import query_frame
from metrics.store import DB_ENV_VAR, QUERY_SECONDS_ENV_VAR, Store
from tests.builders import SMALL_ORDERS, write_csv

ROOT = Path(__file__).resolve().parent.parent
# orders_small.csv, by hand: every amount, and January's orders, revenue, new customers
SMALL_AMOUNTS = sorted(Decimal(a) for a in
                       ("100", "50", "200", "90", "30", "80", "-30", "70", "20", "60", "40"))
JANUARY = (4, 440.0, 3)  # A 100 + 50, B 200, E 90; A, B and E first buy then


def cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m metrics.cli`` in a process of its own, on the store ``db``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), DB_ENV_VAR: str(db)}
    return subprocess.run([sys.executable, "-m", "metrics.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300, check=False)


def stored_files(path: Path) -> dict[str, int]:
    """Every file of the store (a folder, or the single file of an older layout) and its
    size."""
    if path.is_file():
        return {path.name: path.stat().st_size}
    return {str(file.relative_to(path)): file.stat().st_size
            for file in path.rglob("*") if file.is_file()}


def test_the_cli_reads_and_writes_while_the_dashboard_reads(db: Path) -> None:
    with Store(db) as dashboard:
        demo = dashboard.dataset("Demo shop")
        with dashboard.cursor() as reading:  # the dashboard mid-way through a read
            reading.execute(f"SELECT customer_id FROM {demo.table('orders')}")
            assert len(reading.fetchmany(10)) == 10
            kpis = cli(db, "kpis", "--dataset", "Small shop", "--period", "month",
                       "--inactivity-days", "30")
            assert kpis.returncode == 0, kpis.stderr
            january = json.loads(kpis.stdout)[0]
            assert (january["orders"], january["revenue"], january["new_customers"]
                    ) == JANUARY
            stored = cli(db, "ingest", str(SMALL_ORDERS), "--dataset", "From the CLI")
            assert stored.returncode == 0, stored.stderr
            assert len(reading.fetchall()) == demo.tables["orders"].rows - 10
        new = dashboard.dataset("From the CLI")  # the open store sees the new dataset
        assert new.tables["orders"].rows == 11
        amounts = query_frame(dashboard, f"SELECT amount FROM {new.table('orders')} "
                                         f"ORDER BY amount", {})
        assert list(amounts["amount"]) == SMALL_AMOUNTS


def test_a_reader_keeps_its_version_while_another_process_replaces_then_deletes_it(
        db: Path, tmp_path: Path) -> None:
    replacement = write_csv(tmp_path / "new.csv", ("customer", "date", "amount"),
                            [("X", "2024-05-01", "5"), ("Y", "2024-05-02", "7")])
    with Store(db) as dashboard:
        small = dashboard.dataset("Small shop")
        reading = dashboard.cursor()
        reading.execute(f"SELECT amount FROM {small.table('orders')} ORDER BY amount")
        first = reading.fetchmany(3)
        replaced = cli(db, "ingest", str(replacement), "--dataset", "Small shop", "--replace")
        assert replaced.returncode == 0, replaced.stderr
        assert [amount for (amount,) in first + reading.fetchall()] == SMALL_AMOUNTS
        reading.close()

        new = dashboard.dataset("Small shop")
        assert new.id == small.id and dataset_version(new) != dataset_version(small)
        assert query_frame(dashboard, f"SELECT sum(amount) AS total FROM "
                                      f"{new.table('orders')}", {})["total"][0] == 12
        reading = dashboard.cursor()
        reading.execute(f"SELECT amount FROM {new.table('orders')} ORDER BY amount")
        assert reading.fetchone() == (5,)
        deleted = cli(db, "delete", "--dataset", "Small shop")
        assert deleted.returncode == 0, deleted.stderr
        assert reading.fetchall() == [(7,)]
        # a view that looked the dataset up before the delete: one sentence
        with pytest.raises(DatasetNotFound, match="was deleted while"):
            kpi_table(dashboard, new, Filters(inactivity_days=30))
        assert dashboard.find_dataset("Small shop") is None


def test_deleting_a_dataset_gives_its_disk_space_back(db: Path) -> None:
    with Store(db) as store:
        demo = store.dataset("Demo shop")
    before = sum(stored_files(db).values())
    deleted = cli(db, "delete", "--dataset", "Demo shop")
    assert deleted.returncode == 0, deleted.stderr
    after = stored_files(db)
    # the demo (thousands of orders) is most of the store; the small shop is 11 rows
    assert sum(after.values()) < before / 2
    assert not any(demo.id in name for name in after)


def test_a_dry_run_or_a_refused_file_leaves_no_file_behind(db: Path, tmp_path: Path
                                                           ) -> None:
    orders = write_csv(tmp_path / "big.csv", ("customer", "date", "amount"),
                       [(f"c{n % 5000}", f"2024-{n % 12 + 1:02d}-{n % 28 + 1:02d}",
                         f"{n % 997}.50") for n in range(300_000)])
    refused = write_csv(tmp_path / "bad.csv", ("customer", "date", "amount"),
                        [("a", "not a date", "1"), ("b", "never", "2")])
    before = stored_files(db)
    assert cli(db, "ingest", str(orders), "--dataset", "Trial", "--dry-run").returncode == 0
    assert cli(db, "ingest", str(orders), "--dataset", "Small shop", "--replace",
               "--dry-run").returncode == 0
    assert cli(db, "ingest", str(refused), "--dataset", "Refused").returncode == 2
    assert stored_files(db) == before


def test_a_single_file_database_is_migrated_with_the_same_data(tmp_path: Path) -> None:
    fresh = Store(tmp_path / "fresh")
    ingest_file(fresh, SMALL_ORDERS, dataset="Small shop", currency="EUR")
    save_benchmarks(fresh, "Ours", shipped_benchmarks()[:2])
    saved = saved_benchmarks(fresh)
    small = fresh.dataset("Small shop")
    expected = kpi_table(fresh, small, Filters(inactivity_days=30))
    legacy = tmp_path / "old.duckdb"
    _write_single_file_database(legacy, fresh)
    fresh.close()

    with Store(legacy) as migrated:
        [moved] = migrated.datasets()
        assert moved == replace(small, version=moved.version)
        table = kpi_table(migrated, migrated.dataset(small.id), Filters(inactivity_days=30))
        january = table.iloc[0]
        assert (january["orders"], float(january["revenue"]), january["new_customers"]
                ) == JANUARY
        assert table.equals(expected)
        assert saved_benchmarks(migrated) == saved
        assert [b.set_name for b in saved] == ["Ours", "Ours"]
    assert (tmp_path / "old.duckdb.before-versions").is_file()
    assert legacy.is_dir()


def _write_single_file_database(path: Path, store: Store) -> None:
    """``store``'s datasets as the single-file layout of earlier versions stored them."""
    with store.cursor() as cursor:
        cursor.execute("ATTACH $path AS single", {"path": str(path)})
        cursor.execute("""
            CREATE TABLE single.loyaltylens_datasets (id VARCHAR PRIMARY KEY,
                name VARCHAR NOT NULL, currency VARCHAR, created_at TIMESTAMP NOT NULL);
            CREATE TABLE single.loyaltylens_tables (dataset_id VARCHAR NOT NULL,
                kind VARCHAR NOT NULL, source VARCHAR, rows BIGINT NOT NULL,
                mapping JSON NOT NULL, segment_columns JSON NOT NULL, first_date DATE,
                last_date DATE, loaded_at TIMESTAMP NOT NULL, PRIMARY KEY (dataset_id, kind));
        """)
        for dataset in store.datasets():
            cursor.execute("INSERT INTO single.loyaltylens_datasets VALUES (?, ?, ?, ?)",
                           [dataset.id, dataset.name, dataset.currency, dataset.created_at])
            cursor.execute(f'CREATE SCHEMA single."ds_{dataset.id}"')
            for kind, info in dataset.tables.items():
                cursor.execute(f'CREATE TABLE single."ds_{dataset.id}"."{kind}" AS '
                               f"SELECT * FROM {dataset.table(kind)}")
                cursor.execute(
                    "INSERT INTO single.loyaltylens_tables VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [dataset.id, kind, info.source, info.rows, json.dumps(info.mapping),
                     json.dumps(list(info.segment_columns)), info.first_date,
                     info.last_date, info.loaded_at])
        cursor.execute("CREATE TABLE single.loyaltylens_benchmarks AS "
                       "SELECT * FROM main.loyaltylens_benchmarks")
        cursor.execute("DETACH single")


def test_a_query_over_the_time_limit_is_stopped_with_one_sentence(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(QUERY_SECONDS_ENV_VAR, "0.2")
    store = Store(":memory:")
    endless = ("SELECT count(*) FROM range(1000000) AS a, range(1000000) AS b "
               "WHERE (a.range * b.range) % 7 = 3")  # 10^12 pairs
    with pytest.raises(QueryTimeout, match=r"longer than 0\.2 seconds and was stopped"):
        query_frame(store, endless, {})
    assert query_frame(store, "SELECT 1 + 1 AS two", {})["two"][0] == 2  # still serving


def test_replacing_a_table_leaves_no_space_of_the_old_one(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    ingest_file(store, SMALL_ORDERS, dataset="Shop")
    sizes = [sum(stored_files(store.root).values())]
    for _ in range(3):  # the same file again: the same data, so the same size
        ingest_file(store, SMALL_ORDERS, dataset="Shop", replace=True)
        sizes.append(sum(stored_files(store.root).values()))
    assert len(set(sizes)) == 1, sizes
    store.close()
