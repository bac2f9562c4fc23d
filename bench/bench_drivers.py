"""Benchmark: "Why did it move?" over every segment column (metrics.drivers.all_drivers),
churn of the latest complete month against the month before, as the panel runs it, side by
side with one bare DuckDB GROUP BY scan of the orders (the floor) in the same run.

The shop: the shared 10-million-order store when it exists (``BENCH_DRIVERS_STORE``,
default /work/bigdata/store10m.duckdb, dataset "shop10m"; only read), else
``BENCH_CUSTOMERS`` customers (default 3,000,000: about 10.4 million orders, the issue's
target of 2 s) from bench.generate, stored once in bench/results. Prints the medians, the
ratio and the verdict, and writes bench/results/drivers-<customers>.json (bench.summary
reads it). ``BENCH_CUSTOMERS=20000 .venv/bin/python -m bench.bench_drivers`` with
``BENCH_DRIVERS_STORE=`` (empty) for a small run.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bench.generate import orders_frame, write
from bench.timing import verdict
from metrics.drivers import Drivers, all_drivers, latest_period
from metrics.engine import MEMORY_ENV_VAR
from metrics.ingest import ingest_file
from metrics.query.filters import Filters
from metrics.store import Store

RESULTS = Path(__file__).parent / "results"
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "3000000"))
SHARED_STORE = Path(os.environ.get("BENCH_DRIVERS_STORE", "/work/bigdata/store10m.duckdb"))
SHARED_DATASET = "shop10m"
SHARED_CUSTOMERS = 3_000_000  # the shared shop's: bench.generate.orders_frame(3_000_000)
REPEATS = 5
TARGET_SECONDS = 2.0
TARGET_ORDERS = 10_000_000
T = TypeVar("T")
OURS = "LoyaltyLens drivers, every segment column"
FLOOR = "floor: one DuckDB GROUP BY scan"


def shop() -> tuple[Path, str, int]:
    """The store, dataset and customers to measure: the shared shop when there is one,
    else ours."""
    if str(SHARED_STORE) not in ("", ".") and SHARED_STORE.is_dir():
        return SHARED_STORE, SHARED_DATASET, SHARED_CUSTOMERS
    database = RESULTS / f"drivers-{CUSTOMERS}.duckdb"
    if not database.exists():
        csv_path, _ = write(orders_frame(CUSTOMERS), RESULTS, f"drivers-{CUSTOMERS}")
        with Store(database) as store:
            ingest_file(store, csv_path, dataset="bench", currency="EUR")
    return database, "bench", CUSTOMERS


def timed(run: Callable[[], T]) -> tuple[float, float, T]:
    """The wall time of one call of ``run``, its processor time (of this process, all its
    threads, DuckDB's too: what the call costs whatever else the machine runs meanwhile)
    and its result."""
    def cpu_seconds() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    started, cpu_started = time.perf_counter(), cpu_seconds()
    result = run()
    return time.perf_counter() - started, cpu_seconds() - cpu_started, result


def main() -> None:
    os.environ.setdefault(MEMORY_ENV_VAR, "3GB")  # the shared machine's share of memory
    RESULTS.mkdir(exist_ok=True)
    database, name, customers = shop()
    filters = Filters(period="month")
    with Store(database) as store, store.cursor() as cursor:
        dataset = store.dataset(name)
        period = latest_period(dataset, filters, "churn_rate")
        scan = (f"SELECT channel, count(*), sum(amount) FROM {dataset.table('orders')} "
                f"GROUP BY 1")
        all_drivers(store, dataset, filters, "churn_rate", period)  # the orders in memory
        times: dict[str, list[float]] = {OURS: [], FLOOR: []}
        cpu: dict[str, list[float]] = {OURS: [], FLOOR: []}
        found: list[Drivers] = []
        for _ in range(REPEATS):  # alternated, so both meet the same load of the machine
            seconds, used, found = timed(lambda: all_drivers(store, dataset, filters,
                                                             "churn_rate", period))
            times[OURS].append(seconds)
            cpu[OURS].append(used)
            seconds, used, _ = timed(lambda: cursor.execute(scan).fetchall())
            times[FLOOR].append(seconds)
            cpu[FLOOR].append(used)
        orders = dataset.tables["orders"].rows
    medians = {method: statistics.median(runs) for method, runs in times.items()}
    ratio = medians[OURS] / medians[FLOOR]
    at_size = orders >= TARGET_ORDERS
    target = f"drivers over every segment column under {TARGET_SECONDS:.0f} s"
    cpu_medians = {method: statistics.median(runs) for method, runs in cpu.items()}
    values = sum(len(f.records) for f in found)
    report = {"orders": orders, "customers": customers, "store": str(database),
              "period": period.isoformat(),
              "segments": [f.segment for f in found],
              "values": values,
              "median_seconds": medians, "runs_seconds": times, "ratio_to_scan": ratio,
              "median_cpu_seconds": cpu_medians,
              "target_seconds": TARGET_SECONDS,
              "targets": {target: verdict(medians[OURS] < TARGET_SECONDS)} if at_size
              else None}
    (RESULTS / f"drivers-{customers}.json").write_text(json.dumps(report, indent=2))
    print(f"drivers over {len(found)} segment columns ({values} values), "
          f"{orders:,} orders: median {medians[OURS]:.2f} s "
          f"({cpu_medians[OURS]:.2f} s of processor time), the scan "
          f"{medians[FLOOR]:.3f} s ({ratio:.0f}x); {target}: "
          + (verdict(medians[OURS] < TARGET_SECONDS) if at_size else "(not at 10 million)"))


if __name__ == "__main__":
    main()
