"""Benchmark: how fast the ``loyaltylens`` command answers, each call a fresh process as in
an analyst's script: ``--help``, ``datasets``, ``kpis --help`` and ``kpis`` on a one-day
dataset (what starting costs), and ``kpis`` on the benchmark shop against a fresh-process
DuckDB scan of the same orders (Python starting, DuckDB opening the dataset's file, one
GROUP BY by month); also ``kpis --period year`` there, a filter state the stored page
tables do not answer (the KPI query itself), and Python starting DuckDB (connect, SELECT 1:
what ``kpis`` cannot start without). Medians of 7, the commands taken in turn in
each round, so that a busy moment of a shared machine falls on all of them alike.

Side by side: with BENCH_BASELINE naming another checkout of LoyaltyLens (e.g. a ``git
worktree`` of main), each command is run by that code too, in the same rounds, on the
same data. Every command runs with its Python bytecode cached (written by a first,
untimed call), as an installed LoyaltyLens runs: PYTHONDONTWRITEBYTECODE is unset for them.

Sizes: BENCH_CUSTOMERS (default 300,000 customers, about 1 million orders; ``make bench``
runs that): the shop is stored by this code, page tables included. The targets (issue
22): ``--help``, ``datasets`` and ``kpis`` start in under 0.3 s; ``kpis`` on the
1-million-order shop within 3x the scan. Writes bench/results/cli-<customers>.json.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.bench_pages import bench_store
from bench.timing import ROOT, verdict
from metrics.store import Store

RESULTS = Path(__file__).parent / "results"
TARGET_ORDERS = 900_000  # "the 1-million-order shop": the kpis target applies from here
START_LIMIT = 0.3
REPEATS = 7
# The floor: what any program that answers from the stored orders must do in a fresh
# process (the orders by month, as the kpis command's default period).
SCAN = """
import sys
import duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
connection.execute("SELECT year(order_date) * 12 + month(order_date), count(*), sum(amount) "
                   "FROM orders GROUP BY 1").fetchall()
"""
# What any command that queries must do before it reads a row: Python starting DuckDB.
ENGINE_START = """
import duckdb
duckdb.connect().execute("SELECT 1").fetchall()
"""
# The commands whose start has a target, and the shop's (measured against the scan).
STARTS = ("--help", "datasets", "kpis --help", "kpis, a one-day dataset")
SHOP, QUERY, FLOOR = "kpis, the shop", "kpis --period year, the shop (the KPI query)", "scan"
ENGINE = "engine"


def cli(code: Path, db: Path, *args: str) -> tuple[Path, tuple[str, ...]]:
    """The command ``loyaltylens --db db args`` run by the checkout ``code``."""
    return code, (sys.executable, "-m", "metrics.cli", "--db", str(db), *args)


def run(code: Path, command: tuple[str, ...]) -> None:
    """``command`` in a fresh process, importing LoyaltyLens from ``code``."""
    env = {key: value for key, value in os.environ.items()
           if key != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPATH": str(code)}
    subprocess.run(command, cwd=code, env=env, check=True, stdout=subprocess.DEVNULL)


def side_by_side(commands: dict[str, tuple[Path, tuple[str, ...]]]
                 ) -> tuple[dict[str, float], dict[str, float]]:
    """The median wall time and processor time (user and system, the process's own) of
    each command over :data:`REPEATS` rounds, each round running every command once in
    turn (after one untimed call each). On a shared machine the wall time waits for the
    cores; the processor time is what the command itself costs."""
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for code, command in commands.values():
        run(code, command)  # writes the bytecode, reads the files into the page cache
    for _ in range(REPEATS):
        for name, (code, command) in commands.items():
            before, started = _children_cpu(), time.perf_counter()
            run(code, command)
            walls[name].append(time.perf_counter() - started)
            cpus[name].append(_children_cpu() - before)
    return ({name: statistics.median(seconds) for name, seconds in walls.items()},
            {name: statistics.median(seconds) for name, seconds in cpus.items()})


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_day_store(folder: Path) -> Path:
    """A store with a dataset of three orders on one day: kpis's cost without data."""
    path = folder / "cli-one-day.duckdb"
    if not path.exists():
        orders = folder / "cli-one-day.csv"
        orders.write_text("customer_id,order_date,amount\na,2024-01-01,1\nb,2024-01-01,2\n"
                          "c,2024-01-01,3\n")
        code, command = cli(ROOT, path, "ingest", str(orders), "--dataset", "day")
        subprocess.run(command, cwd=code, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return path


def commands(code: Path, database: Path, day: Path) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """Every measured command, run by the checkout ``code``."""
    return {
        "--help": cli(code, database, "--help"),
        "datasets": cli(code, database, "datasets"),
        "kpis --help": cli(code, database, "kpis", "--help"),
        "kpis, a one-day dataset": cli(code, day, "kpis", "--dataset", "day"),
        SHOP: cli(code, database, "kpis", "--dataset", "bench"),
        QUERY: cli(code, database, "kpis", "--dataset", "bench", "--period", "year"),
    }


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    customers = int(os.environ.get("BENCH_CUSTOMERS", "300000"))
    baseline = os.environ.get("BENCH_BASELINE")
    database, _ = bench_store(customers)
    with Store(database) as store:
        dataset = store.dataset("bench")
        orders = dataset.tables["orders"].rows
        page_tables = sorted(dataset.tables["orders"].page_aggregates)
        dataset_file = store.root / "datasets" / dataset.id / f"{dataset.version}.duckdb"
    day = one_day_store(RESULTS)
    measured = commands(ROOT, database, day)
    measured[FLOOR] = (ROOT, (sys.executable, "-c", SCAN, str(dataset_file)))
    measured[ENGINE] = (ROOT, (sys.executable, "-c", ENGINE_START))
    if baseline:
        measured |= {f"{name} [baseline]": command
                     for name, command in commands(Path(baseline), database, day).items()}
    times, cpu = side_by_side(measured)
    print(f"{orders:,} orders from {customers:,} customers, page tables: "
          f"{', '.join(page_tables) or 'none'}; each call a fresh process, median of "
          f"{REPEATS}" + (f"; baseline: {baseline}" if baseline else ""))
    labels = {name: f"loyaltylens {name}" for name in [*STARTS, SHOP, QUERY]}
    labels[FLOOR] = "floor: python + DuckDB GROUP BY scan of its orders"
    labels[ENGINE] = "for kpis's start: python + DuckDB connect + SELECT 1"
    print(f"{'command (median wall s, processor s)':<58}{'wall':>8}{'cpu':>7}" + (
        f"{'baseline':>10}{'cpu':>7}{'ratio':>8}" if baseline else ""))
    for name, label in labels.items():
        line = f"{label:<58}{times[name]:>8.3f}{cpu[name]:>7.3f}"
        if baseline and name not in (FLOOR, ENGINE):
            before = f"{name} [baseline]"
            line += f"{times[before]:>10.3f}{cpu[before]:>7.3f}{times[name] / times[before]:>7.2f}x"
        print(line)
    over_scan = times[SHOP] / times[FLOOR]
    print(f"kpis ÷ scan: {over_scan:.2f}x" + (
        f" (baseline {times[f'{SHOP} [baseline]'] / times[FLOOR]:.2f}x)" if baseline else ""))
    targets = {f"{name} starts in under {START_LIMIT} s": times[name] < START_LIMIT
               for name in STARTS}
    at_size = orders >= TARGET_ORDERS
    if at_size:
        targets["kpis on the 1-million-order shop within 3x the scan"] = over_scan <= 3
    print("targets: " + "; ".join(f"{name}: {verdict(met)}" for name, met in targets.items())
          + ("" if at_size else " (kpis against the scan: run BENCH_CUSTOMERS=300000)"))
    ours = {name: seconds for name, seconds in times.items() if "[baseline]" not in name}
    theirs = {name.removesuffix(" [baseline]"): name for name in times if "[baseline]" in name}
    (RESULTS / f"cli-{customers}.json").write_text(json.dumps({
        "orders": orders, "customers": customers, "page_tables": page_tables,
        "median_seconds": ours, "median_cpu_seconds": {name: cpu[name] for name in ours},
        "kpis_over_scan": over_scan,
        "baseline": baseline and {
            "code": baseline,
            "median_seconds": {name: times[key] for name, key in theirs.items()},
            "median_cpu_seconds": {name: cpu[key] for name, key in theirs.items()},
            "kpis_over_scan": times[f"{SHOP} [baseline]"] / times[FLOOR]},
        "targets": {name: verdict(met) for name, met in targets.items()},
    }, indent=2))


if __name__ == "__main__":
    main()
