"""Benchmark: the monthly cohort table of ~3.5 million orders from 1 million customers.

Side by side in one run, each the median of several repetitions:
- LoyaltyLens: ``metrics.retention.cohort_table`` on the stored orders (what the page runs),
  unfiltered (it reads the purchase history stored at ingest) and with a segment filter on
  a column of the orders (the general query: a pass over every customer's history);
- pandas: the same classic cohort counts from the orders in memory (what an analyst would
  write), also checked cell by cell against LoyaltyLens's numbers;
- floor: one DuckDB ``GROUP BY`` scan of the orders table (no engine can do less).

Prints a table of medians and ratios and writes bench/results/cohorts.json.
Run with ``make bench`` (or ``.venv/bin/python -m bench.bench_cohorts``).
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

import pandas as pd

from bench.generate import orders_frame, write
from bench.timing import median_seconds
from metrics.ingest import ingest_file
from metrics.query.filters import Filters
from metrics.retention import cohort_table
from metrics.store import Store

RESULTS = Path(__file__).parent / "results"
CUSTOMERS = 1_000_000
REPEATS = 5


def pandas_cohorts(orders: pd.DataFrame) -> pd.DataFrame:
    """Classic monthly cohorts the way a pandas user writes them."""
    purchases = orders[orders["amount"] >= 0]
    month = purchases["order_date"].dt.year * 12 + purchases["order_date"].dt.month - 1
    cohort = month.groupby(purchases["customer_id"]).transform("min")
    cells = pd.DataFrame({"cohort": cohort, "offset": month - cohort,
                          "customer_id": purchases["customer_id"]})
    return (cells.groupby(["cohort", "offset"])["customer_id"].nunique()
            .rename("active_customers").reset_index())


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    database = RESULTS / "bench.duckdb"
    frame = orders_frame(CUSTOMERS)
    if not database.exists():
        csv_path, _ = write(frame, RESULTS, "orders-1m-customers")
        with Store(database) as store:
            ingest_file(store, csv_path, dataset="bench", currency="EUR")
    customers = frame["customer_id"].nunique()
    print(f"{len(frame):,} orders from {customers:,} customers "
          f"({platform.processor() or platform.machine()}, {platform.python_version()})")

    with Store(database) as store:
        dataset = store.dataset("bench")
        filters = Filters(period="month")
        ours_seconds, ours = median_seconds(lambda: cohort_table(store, dataset, filters))
        online = Filters(period="month", segments=(("channel", ("Online shop",)),))
        filtered_seconds, _ = median_seconds(lambda: cohort_table(store, dataset, online))
        with store.cursor() as cursor:
            floor_seconds, _ = median_seconds(lambda: cursor.execute(
                f"SELECT year(order_date) * 12 + month(order_date), count(*), sum(amount) "
                f"FROM {dataset.table('orders')} GROUP BY 1").fetchall())
    pandas_seconds, theirs = median_seconds(lambda: pandas_cohorts(frame), repeats=3)

    # the two methods agree on every non-empty cell
    assert isinstance(ours, pd.DataFrame) and isinstance(theirs, pd.DataFrame)
    ours_cells = ours[ours["active_customers"] > 0]
    ours_keys = dict(zip(zip((d.year * 12 + d.month - 1 for d in ours_cells["cohort"]),
                             ours_cells["period_offset"], strict=True),
                         ours_cells["active_customers"], strict=True))
    theirs_keys = dict(zip(zip(theirs["cohort"], theirs["offset"], strict=True),
                           theirs["active_customers"], strict=True))
    agree = ours_keys == theirs_keys

    rows = [("LoyaltyLens cohort_table", ours_seconds),
            ("LoyaltyLens, channel filter (1/3)", filtered_seconds),
            ("pandas groupby + nunique", pandas_seconds),
            ("floor: one DuckDB GROUP BY scan", floor_seconds)]
    print(f"{'method':<34}{'median s':>10}{'÷ LoyaltyLens':>15}")
    for name, seconds in rows:
        print(f"{name:<34}{seconds:>10.3f}{seconds / ours_seconds:>15.2f}")
    print(f"cells agree with pandas: {agree}; target: well under 1 s -> "
          f"{'met' if max(ours_seconds, filtered_seconds) < 1 else 'MISSED'}")
    (RESULTS / "cohorts.json").write_text(json.dumps({
        "orders": len(frame), "customers": customers, "repeats": REPEATS,
        "median_seconds": dict(rows),
        "cells_agree_with_pandas": agree, "target_seconds": 1.0,
    }, indent=2))


if __name__ == "__main__":
    main()
