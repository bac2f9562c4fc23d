"""Benchmark: ingesting an orders CSV, LoyaltyLens against ``pandas.read_csv`` +
``to_datetime``, side by side in one run, each in its own process so its peak memory (RSS)
is its own.

LoyaltyLens does more than pandas here (detects the encoding, delimiter, number and date
styles, validates every row, stores the table and each order's purchase history), so the
ratio is what that costs. Sizes: BENCH_CUSTOMERS (default 300,000 customers, about 1
million orders; 3,000,000 gives about 10 million, where the targets apply: under 12 s,
within 3x pandas and under 3 GB). BENCH_CSV names a shop already written by
bench/generate.py (for BENCH_CUSTOMERS customers) instead of writing it again.
Writes bench/results/ingest-<customers>.json.
Run with ``make bench`` (or ``.venv/bin/python -m bench.bench_ingest``).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from bench.timing import in_fresh_process, verdict

RESULTS = Path(__file__).parent / "results"
TARGET_ORDERS = 9_000_000  # "10 million orders": the targets apply from here
TARGET_SECONDS = 12.0
TARGET_PANDAS_RATIO = 3.0  # LoyaltyLens within 3x pandas read_csv + to_datetime
TARGET_PEAK_MB = 3 * 1024
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))

# Each child reports the rows it read in REPORT; bench.timing adds its peak memory.
GENERATE = """
import sys
from pathlib import Path
from bench.generate import orders_frame, write
frame = orders_frame(int(sys.argv[1]))
write(frame, Path(sys.argv[2]), sys.argv[3])
REPORT = {"rows": len(frame)}
"""
LOYALTYLENS = """
import sys
from metrics.ingest import ingest_file
from metrics.store import Store
with Store(sys.argv[2]) as store:
    report = ingest_file(store, sys.argv[1], dataset="bench")
REPORT = {"rows": report.rows_stored}
"""
PANDAS = """
import sys
import pandas as pd
frame = pd.read_csv(sys.argv[1])
frame["Order date"] = pd.to_datetime(frame["Order date"], format="%Y-%m-%d")
REPORT = {"rows": len(frame)}
"""


def run_child(code: str, *args: str) -> tuple[float, float, int]:
    """Wall seconds (the process's start included), peak RSS (MB) and row count of
    ``code`` run in a new process."""
    started = time.perf_counter()
    report = in_fresh_process(code, *args)
    return time.perf_counter() - started, report["peak_rss_mb"], report["rows"]


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    customers = int(os.environ.get("BENCH_CUSTOMERS", "300000"))
    name = f"orders-{customers}-customers"
    given = os.environ.get("BENCH_CSV")
    if given:
        csv_path, orders = Path(given), 0  # counted by pandas below
    else:
        _, _, orders = run_child(GENERATE, str(customers), str(RESULTS), name)
        csv_path = RESULTS / f"{name}.csv"
    size_mb = csv_path.stat().st_size / 1e6
    print(f"{orders:,} orders from {customers:,} customers, {size_mb:,.0f} MB CSV" if orders
          else f"{csv_path}, {size_mb:,.0f} MB CSV")
    rows = []
    for method, code in (("pandas read_csv + to_datetime", PANDAS),
                         ("LoyaltyLens ingest", LOYALTYLENS)):
        times, peaks = [], []
        for _ in range(REPEATS):
            with tempfile.TemporaryDirectory() as folder:
                seconds, peak, stored = run_child(code, str(csv_path),
                                                  str(Path(folder) / "bench.duckdb"))
            orders = orders or stored
            assert stored == orders, (method, stored)
            times.append(seconds)
            peaks.append(peak)
        rows.append((method, sorted(times)[len(times) // 2], max(peaks)))
    ours = rows[1][1]
    print(f"{'method':<32}{'median s':>10}{'÷ LoyaltyLens':>15}{'peak RSS MB':>13}")
    for name, seconds, peak in rows:
        print(f"{name:<32}{seconds:>10.2f}{seconds / ours:>15.2f}{peak:>13,.0f}")
    _, seconds, peak = rows[1]
    ratio = seconds / rows[0][1]
    print(f"LoyaltyLens / pandas: {ratio:.2f}x")
    targets = {"ingest under 12 s": seconds < TARGET_SECONDS,
               "ingest within 3x pandas": ratio <= TARGET_PANDAS_RATIO,
               "peak memory under 3 GB": peak < TARGET_PEAK_MB}
    at_size = orders >= TARGET_ORDERS
    print("targets at 10 million orders: " + ("; ".join(
        f"{name}: {verdict(met)}" for name, met in targets.items()) if at_size else
        "(measured at this size for reference; run BENCH_CUSTOMERS=3000000)"))
    (RESULTS / f"ingest-{customers}.json").write_text(json.dumps({
        "orders": orders, "customers": customers, "csv_mb": size_mb, "repeats": REPEATS,
        "median_seconds": {name: seconds for name, seconds, _ in rows},
        "ratio_to_pandas": ratio,
        "peak_rss_mb": {name: peak for name, _, peak in rows},
        "targets": {name: verdict(met) for name, met in targets.items()} if at_size else None,
    }, indent=2))


if __name__ == "__main__":
    main()
