"""The engine seam and the Parquet export: metric functions run every query through
``store.engine`` (DuckDB by default, Spark as another), and ``loyaltylens export`` writes a
dataset's tables as Parquet, the orders split by month, with its description."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from metrics.cli import main
from metrics.clv.summary import customer_summary
from metrics.engines.duckdb_engine import DuckDBEngine
from metrics.engines.parquet import MANIFEST, PARTITION_COLUMN
from metrics.kpis import kpi_table
from metrics.query.filters import Filters
from metrics.query.segments import segment_values
from metrics.store import Store
from tests.builders import SMALL_ORDERS, small_store


class RecordingEngine(DuckDBEngine):
    """DuckDB, noting each query it is handed."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.queries: list[str] = []

    def frame(self, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
        self.queries.append(sql)
        return super().frame(sql, params)

    def arrow(self, sql: str, params: Mapping[str, Any]) -> Any:
        self.queries.append(sql)
        return super().arrow(sql, params)

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        self.queries.append(sql)
        return super().rows(sql, params)


def test_metric_functions_run_their_sql_on_the_stores_engine() -> None:
    store, dataset = small_store()
    before = kpi_table(store, dataset, Filters())
    engine = RecordingEngine(store)
    store.engine = engine
    # the KPI table, the CLV models' customer summary and the segment values: each read
    # the store through the engine, and the numbers are those of the default engine
    pd.testing.assert_frame_equal(kpi_table(store, dataset, Filters()), before)
    assert any(dataset.schema in sql for sql in engine.queries)
    count = len(engine.queries)
    summary = customer_summary(store, dataset, dataset.tables["orders"].last_date)
    assert len(engine.queries) == count + 1
    with SMALL_ORDERS.open(encoding="utf-8") as file:
        customers = {row["Customer ID"] for row in csv.DictReader(file)}
    assert set(summary["customer_id"]) == customers
    count = len(engine.queries)
    segment_values(store, dataset)
    assert len(engine.queries) > count


def test_export_writes_every_table_with_the_orders_by_month(tmp_path: Path) -> None:
    db, folder = tmp_path / "db", tmp_path / "export"
    with Store(db) as store:
        main(["--db", str(db), "ingest", "--dataset", "Small shop", str(SMALL_ORDERS)])
        dataset = store.dataset("Small shop")
    assert main(["--db", str(db), "export", "--dataset", "Small shop",
                 "--parquet", str(folder)]) == 0
    with SMALL_ORDERS.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    months = {row["Order date"][:7] for row in rows}
    assert {p.name for p in (folder / "orders").iterdir()} == {
        f"{PARTITION_COLUMN}={month}" for month in months}
    # read back by another reader: every order, with the purchase-history columns
    orders = duckdb.connect().execute(
        "SELECT * FROM read_parquet($files, hive_partitioning = true)",
        {"files": str(folder / "orders" / "*" / "*.parquet")}).df()
    assert len(orders) == len(rows)
    assert {"first_purchase_on", "previous_purchase_on", "next_purchase_on"} <= set(orders)
    assert sorted(orders["amount"].astype(float)) == pytest.approx(
        sorted(float(row["Amount"]) for row in rows))
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert (manifest["id"], manifest["name"]) == (dataset.id, "Small shop")
    assert manifest["tables"]["orders"]["rows"] == len(rows)
    assert manifest["tables"]["orders"]["columns"] == list(dataset.tables["orders"].columns)


def test_export_refuses_a_folder_that_holds_something(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, folder = tmp_path / "db", tmp_path / "export"
    main(["--db", str(db), "ingest", "--dataset", "Small shop", str(SMALL_ORDERS)])
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    capsys.readouterr()
    assert main(["--db", str(db), "export", "--dataset", "Small shop",
                 "--parquet", str(folder)]) == 2
    assert "already exists and is not empty" in capsys.readouterr().err
    # nothing written, nothing harmed, no half-written folder beside it
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db", "export"]


def test_the_engine_setting_of_the_dashboard() -> None:
    from metrics.engines.spark import spark_settings
    from metrics.errors import InputError

    assert spark_settings({}) is None
    assert spark_settings({"LOYALTYLENS_ENGINE": "DuckDB"}) is None
    assert spark_settings({"LOYALTYLENS_ENGINE": "spark",
                           "LOYALTYLENS_SPARK_SOURCE": "/data/shop"}) == ("/data/shop", None)
    assert spark_settings({"LOYALTYLENS_ENGINE": "spark", "LOYALTYLENS_SPARK_SOURCE": "s3a://x",
                           "LOYALTYLENS_SPARK_REMOTE": "sc://spark:15002"}) == (
        "s3a://x", "sc://spark:15002")
    with pytest.raises(InputError, match="needs LOYALTYLENS_SPARK_SOURCE"):
        spark_settings({"LOYALTYLENS_ENGINE": "spark"})
    with pytest.raises(InputError, match="is not an engine"):
        spark_settings({"LOYALTYLENS_ENGINE": "postgres"})
