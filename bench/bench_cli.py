"""Benchmark: how fast the ``loyaltylens`` command answers, each call a fresh process as in
an analyst's script: ``--help``, ``datasets``, ``kpis --help`` and ``kpis`` on a one-day
dataset (what starting costs), and ``kpis`` on the benchmark shop against a fresh-process
DuckDB scan of the same orders (Python starting, DuckDB opening the dataset's file, one
GROUP BY by month), side by side in one run, medians of 5.

Sizes: BENCH_CUSTOMERS (default 300,000 customers, about 1 million orders; ``make bench``
runs that). The targets (issue 22): ``--help``, ``datasets`` and ``kpis`` start in under
0.3 s; ``kpis`` on the 1-million-order shop within 3x the scan. Writes
bench/results/cli-<customers>.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.bench_pages import bench_store
from bench.timing import ROOT, median_seconds, verdict
from metrics.store import Store

RESULTS = Path(__file__).parent / "results"
TARGET_ORDERS = 900_000  # "the 1-million-order shop": the kpis target applies from here
START_LIMIT = 0.3
# The floor: what any program that answers from the stored orders must do in a fresh
# process (the orders by month, as the kpis command's default period).
SCAN = """
import sys
import duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
connection.execute("SELECT year(order_date) * 12 + month(order_date), count(*), sum(amount) "
                   "FROM orders GROUP BY 1").fetchall()
"""


def fresh_seconds(*command: str) -> float:
    """The median wall time of ``command`` run 5 times, each a new process."""
    def run() -> None:
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)

    seconds, _ = median_seconds(run)
    return seconds


def cli(db: Path, *args: str) -> tuple[str, ...]:
    return (sys.executable, "-m", "metrics.cli", "--db", str(db), *args)


def one_day_store(folder: Path) -> Path:
    """A store with a dataset of three orders on one day: kpis's cost without data."""
    path = folder / "cli-one-day.duckdb"
    if not path.exists():
        orders = folder / "cli-one-day.csv"
        orders.write_text("customer_id,order_date,amount\na,2024-01-01,1\nb,2024-01-01,2\n"
                          "c,2024-01-01,3\n")
        subprocess.run(cli(path, "ingest", str(orders), "--dataset", "day"), cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    customers = int(os.environ.get("BENCH_CUSTOMERS", "300000"))
    database, _ = bench_store(customers)
    with Store(database) as store:
        dataset = store.dataset("bench")
        orders = dataset.tables["orders"].rows
        dataset_file = store.root / "datasets" / dataset.id / f"{dataset.version}.duckdb"
    day = one_day_store(RESULTS)
    starts = {
        "--help": fresh_seconds(*cli(database, "--help")),
        "datasets": fresh_seconds(*cli(database, "datasets")),
        "kpis --help": fresh_seconds(*cli(database, "kpis", "--help")),
        "kpis, a one-day dataset": fresh_seconds(*cli(day, "kpis", "--dataset", "day")),
    }
    kpis = fresh_seconds(*cli(database, "kpis", "--dataset", "bench"))
    scan = fresh_seconds(sys.executable, "-c", SCAN, str(dataset_file))
    print(f"{orders:,} orders from {customers:,} customers; each call a fresh process")
    print(f"{'command':<52}{'median s':>10}")
    for name, seconds in starts.items():
        print(f"{'loyaltylens ' + name:<52}{seconds:>10.3f}")
    print(f"{'loyaltylens kpis, the shop':<52}{kpis:>10.3f}")
    print(f"{'floor: python + DuckDB GROUP BY scan of its orders':<52}{scan:>10.3f}")
    print(f"kpis ÷ scan: {kpis / scan:.2f}x")
    targets = {f"{name} starts in under {START_LIMIT} s": seconds < START_LIMIT
               for name, seconds in starts.items() if name != "kpis --help"}
    at_size = orders >= TARGET_ORDERS
    if at_size:
        targets["kpis on the 1-million-order shop within 3x the scan"] = kpis <= 3 * scan
    print("targets: " + "; ".join(f"{name}: {verdict(met)}" for name, met in targets.items())
          + ("" if at_size else " (kpis against the scan: run BENCH_CUSTOMERS=300000)"))
    (RESULTS / f"cli-{customers}.json").write_text(json.dumps({
        "orders": orders, "customers": customers,
        "median_seconds": {**starts, "kpis, the shop": kpis, "scan": scan},
        "kpis_over_scan": kpis / scan,
        "targets": {name: verdict(met) for name, met in targets.items()},
    }, indent=2))


if __name__ == "__main__":
    main()
