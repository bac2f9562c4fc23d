"""Benchmark: everything the Overview and Retention pages compute for one filter state,
LoyaltyLens against the same numbers in plain pandas and against one DuckDB GROUP BY scan
(the floor), side by side in one run; then the same filter state again through the
dashboard's cache.

The pages' numbers: the KPI table by month (customer base S/N/E with W = 90 days, active
customers, orders, revenue), the monthly cohort table and the lifecycle. pandas computes
the base, active customers, new customers, orders, revenue and the classic cohort counts,
and the run checks they equal LoyaltyLens's. The lifecycle comes with the KPI query, as on
the Retention page. Peak memory (RSS) of each side is measured once more in a fresh
process of its own. Sizes: BENCH_CUSTOMERS (default 1,000,000 customers, about 3.5 million
orders; ``make bench`` runs 300,000 and 3,000,000: about 1 and 10 million orders). The
targets (issue 8) are for 10 million orders: a recompute under 1.5 s and within 3x the
scan, under 3 GB, and a cached recompute under 50 ms. Writes
bench/results/pages-<customers>.json.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from bench.bench_cohorts import pandas_cohorts
from bench.generate import orders_frame, write
from bench.timing import in_fresh_process, median_seconds, verdict
from metrics.ingest import ingest_file
from metrics.kpis import kpi_table
from metrics.query.filters import Filters
from metrics.retention import cohort_table, lifecycle_from_kpis
from metrics.store import Store

RESULTS = Path(__file__).parent / "results"
W = 90
TARGET_ORDERS = 9_000_000  # "10 million orders": the targets apply from here
# One recompute of each side in a fresh process, for its peak memory.
OURS_ONCE = """
import sys
from bench.bench_pages import W, loyaltylens_pages
from metrics.kpis import Filters
from metrics.store import Store
with Store(sys.argv[1]) as store:
    loyaltylens_pages(store, store.dataset("bench").id, Filters(period="month", inactivity_days=W))
"""
PANDAS_ONCE = """
import sys
import pandas as pd
from bench.bench_pages import pandas_pages
frame = pd.read_parquet(sys.argv[1])
frame["amount"] = frame["amount"].round(2)
pandas_pages(frame)
"""


def loyaltylens_pages(store: Store, dataset_id: str, filters: Filters) -> dict[str, object]:
    dataset = store.dataset(dataset_id)
    kpis = kpi_table(store, dataset, filters)  # holds the lifecycle counts, as on the page
    return {"kpis": kpis, "cohorts": cohort_table(store, dataset, filters),
            "lifecycle": lifecycle_from_kpis(kpis)}


def pandas_pages(orders: pd.DataFrame) -> dict[str, object]:
    """The same numbers the way a pandas user writes them."""
    purchases = orders[orders["amount"] >= 0]
    month = orders["order_date"].dt.to_period("M")
    revenue = orders.groupby(month)["amount"].sum()
    bought = purchases["order_date"].dt.to_period("M")
    orders_count = bought.groupby(bought).size()
    active = purchases.groupby(bought)["customer_id"].nunique()
    first = purchases.groupby("customer_id")["order_date"].min().dt.to_period("M")
    new = first.value_counts().sort_index()
    # the base: spells of purchase days no more than W apart keep a customer in the base
    # from the spell's first day to its last day + W; E = spells covering a month's end
    days = purchases[["customer_id", "order_date"]].drop_duplicates().sort_values(
        ["customer_id", "order_date"])
    gap = days.groupby("customer_id")["order_date"].diff().dt.days
    spell = (gap.isna() | (gap > W)).cumsum()
    spans = days.groupby(spell)["order_date"].agg(["min", "max"])
    months = pd.period_range(orders["order_date"].min(), orders["order_date"].max(), freq="M")
    ends = months.to_timestamp(how="end").normalize()
    starts = np.searchsorted(ends.values, spans["min"].values)  # first month end covered
    stops = np.searchsorted(ends.values, (spans["max"] + pd.Timedelta(days=W)).values,
                            side="right")  # one past the last month end covered
    events = np.zeros(len(months) + 1, dtype=np.int64)
    np.add.at(events, starts, 1)
    np.add.at(events, stops, -1)
    base = pd.Series(np.cumsum(events)[:-1], index=months)
    return {"revenue": revenue, "orders": orders_count, "active": active, "new": new,
            "base": base, "cohorts": pandas_cohorts(orders)}


def agree(ours: dict[str, object], theirs: dict[str, object]) -> bool:
    kpis = ours["kpis"]
    assert isinstance(kpis, pd.DataFrame)
    by_month = kpis.set_index(pd.PeriodIndex(pd.to_datetime(kpis["period_start"]), freq="M"))
    checks = [
        (by_month["end_customers"], theirs["base"]),
        (by_month["new_customers"], theirs["new"]),
        (by_month["active_customers"], theirs["active"]),
        (by_month["orders"], theirs["orders"]),
    ]
    same = all((a.reindex(b.index).fillna(0).astype(float)
                == b.astype(float)).all() for a, b in checks)  # type: ignore[union-attr]
    revenue = theirs["revenue"]
    assert isinstance(revenue, pd.Series)
    same &= bool(np.allclose(by_month["revenue"].reindex(revenue.index).fillna(0),
                             revenue.astype(float), rtol=0, atol=0.005))
    return same


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    customers = int(os.environ.get("BENCH_CUSTOMERS", "1000000"))
    frame = orders_frame(customers)
    frame["amount"] = frame["amount"].round(2)
    database, parquet = bench_store(customers, frame)
    print(f"{len(frame):,} orders from {customers:,} customers")
    filters = Filters(period="month", inactivity_days=W)
    with Store(database) as store:
        dataset_id = store.dataset("bench").id
        # "after a filter change": the dashboard's long-running process has shown another
        # filter state (weekly) before, so the orders are in DuckDB's buffer, not only on
        # disk; nothing of this state's results is kept anywhere
        loyaltylens_pages(store, dataset_id, Filters(period="week", inactivity_days=W))
        ours_seconds, ours = median_seconds(lambda: loyaltylens_pages(store, dataset_id,
                                                                      filters), repeats=7)
        with store.cursor() as cursor:
            floor_seconds, _ = median_seconds(lambda: cursor.execute(
                f"SELECT year(order_date) * 12 + month(order_date), count(*), sum(amount) "
                f"FROM {store.dataset('bench').table('orders')} GROUP BY 1").fetchall())
        cached_seconds = cached_recompute(database, filters)
    pandas_seconds, theirs = median_seconds(lambda: pandas_pages(frame), repeats=3)
    same = agree(ours, theirs)
    peaks = {"LoyaltyLens": in_fresh_process(OURS_ONCE, str(database))["peak_rss_mb"],
             "pandas": in_fresh_process(PANDAS_ONCE, str(parquet))["peak_rss_mb"]}
    rows = [("LoyaltyLens: KPIs + cohorts + lifecycle", ours_seconds, peaks["LoyaltyLens"]),
            ("pandas: the same numbers", pandas_seconds, peaks["pandas"]),
            ("floor: one DuckDB GROUP BY scan", floor_seconds, None),
            ("LoyaltyLens again, cached (dashboard)", cached_seconds, None)]
    print(f"{'method':<42}{'median s':>10}{'÷ LoyaltyLens':>15}{'peak RSS MB':>13}")
    for name, seconds, peak in rows:
        print(f"{name:<42}{seconds:>10.3f}{seconds / ours_seconds:>15.2f}"
              f"{'' if peak is None else f'{peak:,.0f}':>13}")
    targets = {
        "recompute under 1.5 s": ours_seconds < 1.5,
        "recompute within 3x the scan": ours_seconds <= 3 * floor_seconds,
        "peak memory under 3 GB": peaks["LoyaltyLens"] < 3 * 1024,
        "cached recompute under 50 ms": cached_seconds < 0.05,
    }
    at_size = len(frame) >= TARGET_ORDERS
    print(f"numbers agree with pandas: {same}")
    print("targets at 10 million orders: " + ("; ".join(
        f"{name}: {verdict(met)}" for name, met in targets.items()) if at_size else
        "(measured at this size for reference; run BENCH_CUSTOMERS=3000000)"))
    (RESULTS / f"pages-{customers}.json").write_text(json.dumps({
        "orders": len(frame), "customers": customers,
        "median_seconds": {name: seconds for name, seconds, _ in rows},
        "peak_rss_mb": peaks, "numbers_agree_with_pandas": same,
        "targets": {name: verdict(met) for name, met in targets.items()} if at_size else None,
    }, indent=2))


def bench_store(customers: int, frame: pd.DataFrame | None = None) -> tuple[Path, Path]:
    """The benchmark's store of ``customers`` customers' orders and survey responses (dataset
    "bench"), and the orders' Parquet file: written once, then reused by every benchmark."""
    database = RESULTS / f"pages-{customers}.duckdb"
    parquet = RESULTS / f"orders-{customers}-customers.parquet"
    if not database.exists() or not parquet.exists():
        if frame is None:
            frame = orders_frame(customers)
            frame["amount"] = frame["amount"].round(2)
        csv_path, _ = write(frame, RESULTS, f"orders-{customers}-customers")
        shutil.rmtree(database, ignore_errors=True)  # a store is a folder
        with Store(database) as store:
            ingest_file(store, csv_path, dataset="bench", currency="EUR")
            ingest_file(store, csv_path.with_name(f"{csv_path.stem}-responses.csv"),
                        dataset="bench", kind="responses")
    return database, parquet


def cached_recompute(database: Path, filters: Filters) -> float:
    """The dashboard's cached call (st.cache_data) for a filter state it has seen."""
    os.environ["LOYALTYLENS_DB"] = str(database)
    warnings.filterwarnings("ignore")  # Streamlit warns that no app is running
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from dashboard import services  # imported here: Streamlit only for this measurement

    store = services.get_store()
    dataset = store.dataset("bench")

    def pages() -> None:
        services.kpis(dataset, filters)
        services.compute(cohort_table, dataset, filters, metric="customers", unbounded=False)
        services.lifecycle(dataset, filters)

    pages()  # fills the cache
    seconds, _ = median_seconds(pages)
    store.close()
    return seconds


if __name__ == "__main__":
    main()
