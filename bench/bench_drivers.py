"""Benchmark: "Why did it move?" over every segment column (metrics.drivers.all_drivers),
churn of the latest complete month against the month before, as the panel runs it.

``BENCH_CUSTOMERS`` customers (default 2,400,000: about 10 million orders, the issue's
target of 2 s) from bench.generate; prints the median of a few runs and writes
bench/results/drivers-<customers>.json. Run with ``make bench`` (or
``BENCH_CUSTOMERS=20000 .venv/bin/python -m bench.bench_drivers`` for a small run).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from bench.generate import orders_frame, write
from bench.timing import median_seconds
from metrics.drivers import all_drivers, latest_period
from metrics.ingest import ingest_file
from metrics.query.filters import Filters
from metrics.store import Store

RESULTS = Path(__file__).parent / "results"
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "2400000"))
REPEATS = 3
TARGET_SECONDS = 2.0


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    name = f"drivers-{CUSTOMERS}"
    database = RESULTS / f"{name}.duckdb"
    if not database.exists():
        csv_path, _ = write(orders_frame(CUSTOMERS), RESULTS, name)
        with Store(database) as store:
            ingest_file(store, csv_path, dataset="bench", currency="EUR")
    with Store(database) as store:
        dataset = store.dataset("bench")
        filters = Filters(period="month")
        period = latest_period(dataset, filters, "churn_rate")
        seconds, found = median_seconds(
            lambda: all_drivers(store, dataset, filters, "churn_rate", period), REPEATS)
        orders = dataset.tables["orders"].rows
    result = {"orders": orders, "customers": CUSTOMERS, "period": period.isoformat(),
              "segments": [f.segment for f in found],
              "values": sum(len(f.records) for f in found),
              "median_seconds": seconds, "target_seconds": TARGET_SECONDS}
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2))
    print(f"drivers over {len(found)} segment columns ({result['values']} values), "
          f"{orders:,} orders: {seconds:.2f} s (target {TARGET_SECONDS:.0f} s)")


if __name__ == "__main__":
    main()
