"""Benchmark: everything the Overview and Retention pages compute for one filter state,
LoyaltyLens against the same numbers in plain pandas and against one DuckDB GROUP BY scan
(the floor), side by side in one run; then the same filter state again through the
dashboard's cache.

The pages' numbers: the KPI table by month (customer base S/N/E with W = 90 days, active
customers, orders, revenue), the monthly cohort table and the lifecycle. pandas computes
the base, active customers, new customers, orders, revenue and the classic cohort counts,
and the run checks they equal LoyaltyLens's. Sizes: BENCH_CUSTOMERS (default 1,000,000
customers, about 3.5 million orders). Writes bench/results/pages.json.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from bench.bench_cohorts import pandas_cohorts
from bench.generate import orders_frame, write
from bench.timing import median_seconds
from metrics.ingest import ingest_file
from metrics.kpis import Filters, kpi_table
from metrics.retention import cohort_table, lifecycle_from_kpis
from metrics.store import Store

RESULTS = Path(__file__).parent / "results"
W = 90


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
    database = RESULTS / f"pages-{customers}.duckdb"
    frame = orders_frame(customers)
    frame["amount"] = frame["amount"].round(2)
    if not database.exists():
        csv_path, _ = write(frame, RESULTS, f"orders-{customers}-customers")
        with Store(database) as store:
            ingest_file(store, csv_path, dataset="bench", currency="EUR")
    print(f"{len(frame):,} orders from {customers:,} customers")
    filters = Filters(period="month", inactivity_days=W)
    with Store(database) as store:
        dataset_id = store.dataset("bench").id
        ours_seconds, ours = median_seconds(lambda: loyaltylens_pages(store, dataset_id,
                                                                      filters))
        with store.cursor() as cursor:
            floor_seconds, _ = median_seconds(lambda: cursor.execute(
                f"SELECT year(order_date) * 12 + month(order_date), count(*), sum(amount) "
                f"FROM {store.dataset('bench').table('orders')} GROUP BY 1").fetchall())
        cached_seconds = cached_recompute(database, filters)
    pandas_seconds, theirs = median_seconds(lambda: pandas_pages(frame), repeats=3)
    same = agree(ours, theirs)
    rows = [("LoyaltyLens: KPIs + cohorts + lifecycle", ours_seconds),
            ("pandas: the same numbers", pandas_seconds),
            ("floor: one DuckDB GROUP BY scan", floor_seconds),
            ("LoyaltyLens again, cached (dashboard)", cached_seconds)]
    print(f"{'method':<42}{'median s':>10}{'÷ LoyaltyLens':>15}")
    for name, seconds in rows:
        print(f"{name:<42}{seconds:>10.3f}{seconds / ours_seconds:>15.2f}")
    print(f"numbers agree with pandas: {same}; recompute under 1.5 s: "
          f"{'met' if ours_seconds < 1.5 else 'MISSED'}; within 3x the floor: "
          f"{'met' if ours_seconds <= 3 * floor_seconds else 'MISSED'}; cached under 50 ms: "
          f"{'met' if cached_seconds < 0.05 else 'MISSED'}")
    (RESULTS / "pages.json").write_text(json.dumps({
        "orders": len(frame), "customers": customers,
        "median_seconds": dict(rows), "numbers_agree_with_pandas": same,
    }, indent=2))


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
        services.compute("cohorts", dataset, filters, metric="customers", unbounded=False)
        services.lifecycle(dataset, filters)

    pages()  # fills the cache
    seconds, _ = median_seconds(pages)
    store.close()
    return seconds


if __name__ == "__main__":
    main()
