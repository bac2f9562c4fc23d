"""Benchmark: the KPI, cohort and CLV summary queries on DuckDB and on Spark local[2], side
by side, on the 10-million-order shop (bench.generate.orders_frame(3_000_000)).

The store is copied to a temporary folder (the shared one is only read), exported as
Parquet there (``loyaltylens export``: the orders in a folder per month), and each query
runs through the same metric function on both engines (median of the repeats), its
results compared. Per month partition: its orders, bytes and Spark's seconds per million
orders, the figures the README's estimate of a cluster at one billion orders starts from.
Writes bench/results/spark.json.

Settings: BENCH_SPARK_STORE (default /work/bigdata/store10m.duckdb), BENCH_SPARK_DATASET
(shop10m), BENCH_REPEATS (3 on DuckDB; Spark runs min(2, it) times).
Run with ``make bench`` (or ``.venv/bin/python -m bench.bench_spark``).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.timing import median_seconds
from metrics.clv.summary import customer_summary
from metrics.engines.parquet import PARTITION_COLUMN, export_parquet
from metrics.engines.spark import SparkStore
from metrics.engines.spark_session import spark_session
from metrics.kpis import kpi_table
from metrics.query.filters import Filters
from metrics.retention import cohort_table
from metrics.store import Dataset, Store

RESULTS = Path(__file__).parent / "results"
STORE = Path(os.environ.get("BENCH_SPARK_STORE", "/work/bigdata/store10m.duckdb"))
DATASET = os.environ.get("BENCH_SPARK_DATASET", "shop10m")
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))


def queries(dataset: Dataset) -> dict[str, Callable[[Store], pd.DataFrame]]:
    """The three summaries, each a metric function the pages call."""
    last = dataset.tables["orders"].last_date
    assert last is not None
    return {
        "kpis (month)": lambda store: kpi_table(store, dataset, Filters(period="month")),
        "cohorts (month)": lambda store: cohort_table(store, dataset, Filters(period="month")),
        "clv summary": lambda store: customer_summary(store, dataset, last)
        .sort_values("customer_id", ignore_index=True),
    }


def same_numbers(left: pd.DataFrame, right: pd.DataFrame) -> bool:
    """Every column equal: numbers to 1e-9 (relative), the rest exactly."""
    if list(left.columns) != list(right.columns) or len(left) != len(right):
        return False
    for column in left.columns:
        a, b = left[column], right[column]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            if not np.allclose(a.astype(float), b.astype(float), rtol=1e-9, atol=1e-9,
                               equal_nan=True):
                return False
        elif not a.astype(str).equals(b.astype(str)):
            return False
    return True


def partitions(folder: Path) -> list[dict[str, Any]]:
    """Each month folder of the exported orders: its bytes (its orders are counted by
    Spark below)."""
    return [{"month": path.name.split("=", 1)[1],
             "bytes": sum(f.stat().st_size for f in path.glob("*.parquet"))}
            for path in sorted((folder / "orders").iterdir())]


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    # DuckDB and the Spark driver (a JVM of its own) side by side: about 4 GB together
    os.environ.setdefault("LOYALTYLENS_MEMORY_LIMIT", "2GB")
    work = Path(tempfile.mkdtemp(prefix="bench-spark-"))
    try:
        shutil.copytree(STORE, work / "store")  # the shared store is read only
        report = run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (RESULTS / "spark.json").write_text(json.dumps(report, indent=2), encoding="utf-8")


def run(work: Path) -> dict[str, Any]:
    with Store(work / "store") as store:
        dataset = store.dataset(DATASET)
        export_seconds, _ = median_seconds(
            lambda: export_parquet(store, dataset, work / "export"), repeats=1)
        orders = dataset.tables["orders"].rows
        print(f"{orders:,} orders ({platform.processor() or platform.machine()}); "
              f"export to Parquet {export_seconds:.1f} s")
        session = spark_session(master="local[2]", config={"spark.driver.memory": "2g"})
        spark_store = SparkStore(session, str(work / "export"))
        rows = []
        for name, query in queries(dataset).items():
            duckdb_seconds, on_duckdb = median_seconds(lambda q=query: q(store), REPEATS)
            spark_seconds, on_spark = median_seconds(lambda q=query: q(spark_store),
                                                     min(2, REPEATS))
            rows.append({"query": name, "duckdb_s": round(duckdb_seconds, 3),
                         "spark_local2_s": round(spark_seconds, 3),
                         "ratio": round(spark_seconds / duckdb_seconds, 1),
                         "same_numbers": same_numbers(on_duckdb, on_spark),
                         "result_rows": len(on_duckdb)})
            print(f"{name:18} DuckDB {duckdb_seconds:8.2f} s  Spark local[2] "
                  f"{spark_seconds:8.2f} s  x{spark_seconds / duckdb_seconds:6.1f}  "
                  f"same numbers: {rows[-1]['same_numbers']}")
        months = partitions(work / "export")
        counts = dict(session.read.parquet(str(work / "export" / "orders"))
                      .groupBy(PARTITION_COLUMN).count().collect())
        for month in months:
            month["orders"] = int(counts.get(month["month"], 0))
        per_partition = {
            "partitions": len(months),
            "median_orders": statistics.median(m["orders"] for m in months),
            "median_bytes": statistics.median(m["bytes"] for m in months),
            "max_orders": max(m["orders"] for m in months),
            "spark_seconds_per_million_orders": {
                row["query"]: round(row["spark_local2_s"] / (orders / 1e6), 3) for row in rows},
        }
        print(json.dumps(per_partition, indent=2))
        return {"orders": orders, "export_s": round(export_seconds, 1), "queries": rows,
                "per_partition": per_partition, "months": months,
                "spark": {"master": "local[2]", "shuffle_partitions": 2}}


if __name__ == "__main__":
    main()
