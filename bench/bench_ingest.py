"""Benchmark: ingesting an orders CSV, LoyaltyLens against ``pandas.read_csv`` +
``to_datetime``, side by side in one run, each in its own process so its peak memory (RSS)
is its own.

LoyaltyLens does more than pandas here (detects the encoding, delimiter, number and date
styles, validates every row, stores the table and each order's purchase history), so the
ratio is what that costs. Two times for it, as the CLI and the Data page see them: the
dataset usable (stored and in the catalogue, its pages running their queries) and its
page tables ready (built afterwards in a process of their own, whose peak memory is
counted too). Sizes: BENCH_CUSTOMERS (default 300,000 customers, about 1 million orders;
3,000,000 gives about 10 million, where the targets apply to the dataset usable: under
12 s, within 3x pandas and under 3 GB). BENCH_CSV names a shop already written by
bench/generate.py (for BENCH_CUSTOMERS customers) instead of writing it again.
BENCH_BEFORE names another checkout of the code (e.g. a ``git worktree`` of main) whose
ingest runs side by side too, so that the ratio before/after does not depend on the
machine's load. Writes bench/results/ingest-<customers>.json.
Run with ``make bench`` (or ``.venv/bin/python -m bench.bench_ingest``).
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.timing import ROOT, in_fresh_process, verdict
from metrics.store import Store

RESULTS = Path(__file__).parent / "results"
TARGET_ORDERS = 9_000_000  # "10 million orders": the targets apply from here
TARGET_SECONDS = 12.0
TARGET_PANDAS_RATIO = 3.0  # LoyaltyLens within 3x pandas read_csv + to_datetime
TARGET_PEAK_MB = 3 * 1024
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
PANDAS_NAME = "pandas read_csv + to_datetime"
OURS = "LoyaltyLens ingest"  # the dataset usable
OURS_READY = "LoyaltyLens page tables ready"
BEFORE_NAME = "LoyaltyLens ingest before (BENCH_BEFORE)"

# Each child reports the rows it read in REPORT; bench.timing adds its peak memory.
GENERATE = """
import sys
from pathlib import Path
from bench.generate import orders_frame, write
frame = orders_frame(int(sys.argv[1]))
write(frame, Path(sys.argv[2]), sys.argv[3])
REPORT = {"rows": len(frame)}
"""
# The dataset usable once ingest_file returns (its page tables not built); then the page
# tables built as the CLI and the Data page build them: in a process of their own, which
# outlives this one (waited for by page_tables_ready). Times count from the process's
# start (argv[3], the parent's clock).
LOYALTYLENS = """
import sys, time
from metrics.ingest import ingest_file
from metrics.page_aggregates import schedule_page_tables
from metrics.store import Store
with Store(sys.argv[2]) as store:
    report = ingest_file(store, sys.argv[1], dataset="bench", page_aggregates="none")
    usable = time.time() - float(sys.argv[3])
    builder = schedule_page_tables(store, report.dataset_id, "background")
REPORT = {"rows": report.rows_stored, "usable": usable, "builder_pid": builder.pid}
"""
# The code before (BENCH_BEFORE): the page tables stored with the orders, in one job.
BEFORE = """
import sys, time
from metrics.ingest import ingest_file
from metrics.store import Store
with Store(sys.argv[2]) as store:
    report = ingest_file(store, sys.argv[1], dataset="bench")
ready = time.time() - float(sys.argv[3])
REPORT = {"rows": report.rows_stored, "usable": ready, "ready": ready,
          "builder_peak_rss_mb": 0.0}
"""
PANDAS = """
import sys
import pandas as pd
frame = pd.read_csv(sys.argv[1])
frame["Order date"] = pd.to_datetime(frame["Order date"], format="%Y-%m-%d")
REPORT = {"rows": len(frame)}
"""


def before_code(checkout: Path) -> str:
    """What the other checkout runs: this code's ingest when it too builds the page tables
    in a process of their own (then both times compare), else the one job of before."""
    aggregates = checkout / "metrics" / "page_aggregates.py"
    background = aggregates.exists() and "def schedule_page_tables" in aggregates.read_text()
    return LOYALTYLENS if background else BEFORE


def run_child(code: str, *args: str, checkout: Path = ROOT) -> dict[str, Any]:
    """What ``code`` reports run in a new process (given ``args`` and the time it is
    started), with its wall seconds (the process's start included) as ``seconds`` and
    that start as ``started``."""
    started = time.time()
    report = in_fresh_process(code, *args, str(started), checkout=checkout)
    return report | {"seconds": time.time() - started, "started": started}


def page_tables_ready(run: dict[str, Any], database: Path) -> dict[str, Any]:
    """Wait for the page tables' builder the ingest started (a process of its own, no
    longer this one's child): the seconds from the ingest's start until it is done, its
    peak memory (its high-water mark, read while it runs), and that its tables are
    published."""
    peak = 0.0
    while (status := _status(run["builder_pid"])) and status.get("State", "Z")[0] != "Z":
        peak = max(peak, int(status.get("VmHWM", "0 kB").split()[0]) / 1024)
        time.sleep(0.1)
    ready = time.time() - run["started"]
    with Store(database) as store:
        assert store.dataset("bench").tables["orders"].page_aggregates, "no page tables"
    return {"ready": ready, "builder_peak_rss_mb": peak}


def _status(pid: int) -> dict[str, str] | None:
    """A process's /proc status fields, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    customers = int(os.environ.get("BENCH_CUSTOMERS", "300000"))
    name = f"orders-{customers}-customers"
    given = os.environ.get("BENCH_CSV")
    if given:
        csv_path, orders = Path(given), 0  # counted by pandas below
    else:
        orders = run_child(GENERATE, str(customers), str(RESULTS), name)["rows"]
        csv_path = RESULTS / f"{name}.csv"
    size_mb = csv_path.stat().st_size / 1e6
    print(f"{orders:,} orders from {customers:,} customers, {size_mb:,.0f} MB CSV" if orders
          else f"{csv_path}, {size_mb:,.0f} MB CSV")
    methods = [(PANDAS_NAME, PANDAS, ROOT), (OURS, LOYALTYLENS, ROOT)]
    if os.environ.get("BENCH_BEFORE"):
        before_checkout = Path(os.environ["BENCH_BEFORE"])
        methods.append((BEFORE_NAME, before_code(before_checkout), before_checkout))
    runs: dict[str, list[dict[str, Any]]] = {method: [] for method, _, _ in methods}
    for _ in range(REPEATS):  # alternated, so that the machine's load falls on each alike
        for method, code, checkout in methods:
            with tempfile.TemporaryDirectory() as folder:
                database = Path(folder) / "bench.duckdb"
                run = run_child(code, str(csv_path), str(database), checkout=checkout)
                if "builder_pid" in run:
                    run |= page_tables_ready(run, database)
            orders = orders or run["rows"]
            assert run["rows"] == orders, (method, run["rows"])
            runs[method].append(run)
    results = summarise(runs)
    print_table(results)
    usable, peak = results[OURS]["usable"], results[OURS]["peak_rss_mb"]
    ratio = usable / results[PANDAS_NAME]["seconds"]
    print(f"LoyaltyLens (dataset usable) / pandas: {ratio:.2f}x")
    targets = {"ingest under 12 s": usable < TARGET_SECONDS,
               "ingest within 3x pandas": ratio <= TARGET_PANDAS_RATIO,
               "peak memory under 3 GB": peak < TARGET_PEAK_MB}
    at_size = orders >= TARGET_ORDERS
    print("targets at 10 million orders: " + ("; ".join(
        f"{name}: {verdict(met)}" for name, met in targets.items()) if at_size else
        "(measured at this size for reference; run BENCH_CUSTOMERS=3000000)"))
    before = results.get(BEFORE_NAME)
    (RESULTS / f"ingest-{customers}.json").write_text(json.dumps({
        "orders": orders, "customers": customers, "csv_mb": size_mb, "repeats": REPEATS,
        "median_seconds": {PANDAS_NAME: results[PANDAS_NAME]["seconds"], OURS: usable,
                           OURS_READY: results[OURS]["ready"]} | (
            {BEFORE_NAME: before["usable"]} if before else {}),
        "ratio_to_pandas": ratio,
        "ratio_to_before": {"usable": usable / before["usable"],
                            "ready": results[OURS]["ready"] / before["ready"]}
        if before else None,
        "peak_rss_mb": {PANDAS_NAME: results[PANDAS_NAME]["peak_rss_mb"], OURS: peak,
                        OURS_READY: results[OURS]["builder_peak_rss_mb"]} | (
            {BEFORE_NAME: before["peak_rss_mb"]} if before else {}),
        "runs": runs,
        "targets": {name: verdict(met) for name, met in targets.items()} if at_size else None,
    }, indent=2))


def summarise(runs: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, float]]:
    """Each method's median times and its largest peak memory."""
    return {method: {"seconds": statistics.median(run["seconds"] for run in done),
                     "usable": statistics.median(run.get("usable", run["seconds"])
                                                 for run in done),
                     "ready": statistics.median(run.get("ready", run["seconds"])
                                                for run in done),
                     "peak_rss_mb": max(run["peak_rss_mb"] for run in done),
                     "builder_peak_rss_mb": max(run.get("builder_peak_rss_mb", 0.0)
                                                for run in done)}
            for method, done in runs.items()}


def print_table(results: dict[str, dict[str, float]]) -> None:
    print(f"{'method':<36}{'usable s':>10}{'tables s':>10}{'peak RSS MB':>13}"
          f"{'builder MB':>12}")
    for method, result in results.items():
        print(f"{method:<36}{result['usable']:>10.2f}{result['ready']:>10.2f}"
              f"{result['peak_rss_mb']:>13,.0f}{result['builder_peak_rss_mb']:>12,.0f}")


if __name__ == "__main__":
    main()
