"""The KPI table and the lifecycle from the purchase history stored at ingest
(``sql/kpis_from_history.sql``, the lifecycle included) against the general queries over
the orders (``sql/kpis.sql``, ``sql/lifecycle.sql``): the same tables.

A customer's spell in the base can end inside a period while they still buy in it, when W
is shorter than the period; the hand-worked case below needs the pairing of a period's
first and last order for that. With W = 5 days, monthly:

    X  2024-01-30, 02-02, 02-05   in the base on Jan 31; on Feb 29 the last purchase
                                  (Feb 5) is 24 days old: out
    Y  2024-01-30, 02-25          in on Jan 31 and on Feb 29 (Feb 25 + 5 = Mar 1)
    Z  2024-01-30, 02-02          in on Jan 31, out on Feb 29
    V  2024-01-30, 02-20, 02-20   two orders on one day; in on Jan 31, out on Feb 29
    U  2024-01-10, 02-27, 02-28   out on Jan 31 (Jan 10 + 5 = Jan 15), in on Feb 29

    month  S  N  E  retained  churned (S + N - E)  lost (S - retained)  active  orders
    Jan    0  5  4  0         1                    0                    5       5
    Feb    4  0  2  1 {Y}     2                    3                    5       8

Repeat customers: none by Jan 31 (one order each), all five by Feb 29.
Lifecycle: Jan 5 new; Feb 5 returning (all bought in January too), nobody dormant.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics.clv.summary import customer_summary, customer_summary_query
from metrics.ingest import ingest_file
from metrics.kpis import kpi_query, kpi_table
from metrics.query.filters import Filters
from metrics.query.segments import RFM_SEGMENT
from metrics.retention import lifecycle_table
from metrics.store import Dataset, Store
from tests.builders import cdnow_csv, write_csv

PERIODS = ("week", "month", "quarter", "year")
WINDOWS = (1, 30, 90, 365)


def without_history(dataset: Dataset) -> Dataset:
    """The dataset as one stored before the purchase history existed (forces the general
    queries)."""
    orders = dataclasses.replace(dataset.tables["orders"], columns=("customer_id",))
    return dataclasses.replace(dataset, tables=dataset.tables | {"orders": orders})


def add_customer_groups(store: Store, dataset_name: str, folder: Path) -> None:
    """A customers table whose ``loyalty_tier`` splits the customers in three (a third
    of them have no row: the filter drops them)."""
    with store.cursor() as cursor:
        ids = [row[0] for row in cursor.execute(
            f"SELECT DISTINCT customer_id FROM {store.dataset(dataset_name).table('orders')} "
            f"ORDER BY customer_id").fetchall()]
    rows = [(customer, "gold" if n % 3 == 0 else "silver")
            for n, customer in enumerate(ids) if n % 3 != 2]
    path = write_csv(folder / "customers.csv", ("customer_id", "loyalty_tier"), rows)
    ingest_file(store, path, dataset=dataset_name, kind="customers")


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Dataset]]:
    """CDNOW (69,659 orders, 1997-01 to 1998-06, many customers with several orders on
    one day) with a customers table."""
    folder = tmp_path_factory.mktemp("cdnow")
    store = Store(":memory:")
    ingest_file(store, cdnow_csv(folder), dataset="CDNOW")
    add_customer_groups(store, "CDNOW", folder)
    yield store, store.dataset("CDNOW")
    store.close()


@pytest.fixture(scope="module")
def demo(demo_db_template: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[Store, Dataset]]:
    """The demo shop (refunds, segments on the orders) with a customers table."""
    folder = tmp_path_factory.mktemp("demo-history")
    path = folder / "demo.duckdb"
    shutil.copytree(demo_db_template, path)
    store = Store(path)
    add_customer_groups(store, "Demo shop", folder)
    yield store, store.dataset("Demo shop")
    store.close()


def assert_same_kpis(store: Store, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    fast = kpi_table(store, dataset, filters)
    general = kpi_table(store, without_history(dataset), filters)
    # the sample SD of the order amounts sums floating-point numbers in whatever order
    # the engine's threads meet them (the general query differs from itself in the last
    # digits from run to run): equal to 12 significant digits; every other column exactly
    pd.testing.assert_frame_equal(fast.drop(columns="order_value_sd"),
                                  general.drop(columns="order_value_sd"), check_exact=True)
    pd.testing.assert_series_equal(fast["order_value_sd"], general["order_value_sd"],
                                   check_exact=False, rtol=1e-12, atol=0)
    return fast


def assert_same_lifecycle(store: Store, dataset: Dataset, filters: Filters) -> None:
    fast = lifecycle_table(store, dataset, filters)
    general = lifecycle_table(store, without_history(dataset), filters)
    pd.testing.assert_frame_equal(fast, general, check_exact=True)


def uses_history(dataset: Dataset, filters: Filters) -> bool:
    """Whether the KPI query (which holds the lifecycle too) reads the stored history and
    needs no window over each customer's orders."""
    sql = kpi_query(dataset, filters)[0]
    return "previous_purchase_on" in sql and "PARTITION BY customer_id" not in sql


def filter_states(period: str, window: int, mid_data: date
                  ) -> list[Filters]:
    """The whole data; a range starting mid-data (and mid-period); a customers-table
    segment filter with that range."""
    gold = Filters.segment_items({"customers.loyalty_tier": ["gold"]})
    return [
        Filters(period=period, inactivity_days=window),  # type: ignore[arg-type]
        Filters(period=period, inactivity_days=window, start=mid_data),  # type: ignore[arg-type]
        Filters(period=period, inactivity_days=window, start=mid_data,  # type: ignore[arg-type]
                segments=gold),
    ]


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("period", PERIODS)
def test_cdnow_kpis_from_history_equal_the_general_query(
        cdnow: tuple[Store, Dataset], period: str, window: int) -> None:
    store, dataset = cdnow
    for filters in filter_states(period, window, date(1997, 5, 14)):
        assert uses_history(dataset, filters)
        table = assert_same_kpis(store, dataset, filters)
        assert len(table) >= 2 and table["end_customers"].sum() > 0


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("period", PERIODS)
def test_demo_kpis_from_history_equal_the_general_query(
        demo: tuple[Store, Dataset], period: str, window: int) -> None:
    store, dataset = demo
    for filters in filter_states(period, window, date(2024, 8, 20)):
        assert uses_history(dataset, filters)
        table = assert_same_kpis(store, dataset, filters)
        assert len(table) >= 2 and table["end_customers"].sum() > 0
    assert (kpi_table(store, dataset, Filters(period=period, inactivity_days=window))  # type: ignore[arg-type]
            ["refunds"] > 0).any()


@pytest.mark.parametrize("period", PERIODS)
def test_lifecycle_from_history_equals_the_general_query(
        cdnow: tuple[Store, Dataset], demo: tuple[Store, Dataset], period: str) -> None:
    for (store, dataset), mid_data in ((cdnow, date(1997, 5, 14)), (demo, date(2024, 8, 20))):
        for filters in filter_states(period, 90, mid_data):
            assert_same_lifecycle(store, dataset, filters)


def test_an_rfm_filter_keeps_whole_customers_and_reads_the_history(
        demo: tuple[Store, Dataset]) -> None:
    store, dataset = demo
    filters = Filters(period="month", inactivity_days=60,
                      segments=Filters.segment_items({RFM_SEGMENT: ["Champions", "Loyal"]}))
    assert uses_history(dataset, filters)
    assert_same_kpis(store, dataset, filters)
    assert_same_lifecycle(store, dataset, filters)


def test_a_filter_on_a_column_of_the_orders_takes_the_general_queries(
        demo: tuple[Store, Dataset]) -> None:
    # a customer's orders in one channel have other previous and next purchases than
    # all their orders: the stored history does not hold for the filtered data
    _, dataset = demo
    filters = Filters(period="month", inactivity_days=90,
                      segments=Filters.segment_items({"channel": ["Online shop"]}))
    assert not uses_history(dataset, filters)
    mixed = Filters(period="month", inactivity_days=90, segments=Filters.segment_items(
        {"channel": ["Online shop"], "customers.loyalty_tier": ["gold"]}))
    assert not uses_history(dataset, mixed)
    assert uses_history(dataset, Filters(period="month"))


def test_a_spell_that_ends_inside_a_period_with_purchases(tmp_path: Path) -> None:
    rows = [("X", "2024-01-30", 10), ("X", "2024-02-02", 10), ("X", "2024-02-05", 10),
            ("Y", "2024-01-30", 10), ("Y", "2024-02-25", 10),
            ("Z", "2024-01-30", 10), ("Z", "2024-02-02", 10),
            ("V", "2024-01-30", 10), ("V", "2024-02-20", 10), ("V", "2024-02-20", 20),
            ("U", "2024-01-10", 10), ("U", "2024-02-27", 10), ("U", "2024-02-28", 10)]
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "orders.csv", ("customer_id", "date", "amount"),
                                 rows), dataset="Shop")
    dataset = store.dataset("Shop")
    filters = Filters(period="month", inactivity_days=5)
    for source in (dataset, without_history(dataset)):
        table = kpi_table(store, source, filters)
        got = table[["start_customers", "new_customers", "end_customers",
                     "retained_customers", "churned_customers", "lost_customers",
                     "active_customers", "orders", "repeat_customers"]]
        assert got.values.tolist() == [[0, 5, 4, 0, 1, 0, 5, 5, 0],
                                       [4, 0, 2, 1, 2, 3, 5, 8, 5]]
        lifecycle = lifecycle_table(store, source, filters)
        assert lifecycle[["new_customers", "returning_customers", "resurrected_customers",
                          "dormant_customers"]].values.tolist() == [[5, 0, 0, 0],
                                                                    [0, 5, 0, 0]]
    assert uses_history(dataset, filters)


@pytest.mark.parametrize("holdout_end", [None, "holdout"])
def test_customer_summary_from_history_equals_the_general_query(
        cdnow: tuple[Store, Dataset], demo: tuple[Store, Dataset],
        holdout_end: str | None) -> None:
    # CDNOW has many customers with several orders on one day (one purchase day), the demo
    # refunds; the calibration ends are the papers' (CDNOW) and mid-data (demo)
    cases = ((cdnow, date(1997, 9, 30), date(1998, 6, 30)),
             (demo, date(2024, 8, 20), date(2025, 2, 28)))
    gold = Filters(segments=Filters.segment_items({"customers.loyalty_tier": ["gold"]}))
    champions = Filters(segments=Filters.segment_items({RFM_SEGMENT: ["Champions", "Loyal"]}))
    for (store, dataset), calibration_end, holdout in cases:
        for filters in (None, gold, champions):
            end = holdout if holdout_end else None
            sql, _ = customer_summary_query(dataset, calibration_end, end, filters)
            assert "previous_purchase_on" in sql  # the fast path
            fast = customer_summary(store, dataset, calibration_end, end, filters)
            general = customer_summary(store, without_history(dataset), calibration_end,
                                       end, filters)
            assert len(fast) > 100 and (fast["frequency"] > 0).any()
            pd.testing.assert_frame_equal(fast, general, check_exact=True)


def test_a_customer_summary_filtered_on_a_column_of_the_orders_takes_the_general_query(
        demo: tuple[Store, Dataset]) -> None:
    _, dataset = demo
    online = Filters(segments=Filters.segment_items({"channel": ["Online shop"]}))
    sql, _ = customer_summary_query(dataset, date(2024, 8, 20), None, online)
    assert "previous_purchase_on" not in sql


def test_the_stored_purchase_history_of_each_order(tmp_path: Path) -> None:
    # A: a refund before any purchase, two orders on one day, a refund, a last purchase;
    # B: only a refund (no purchase: no history at all); C: one purchase
    rows = [("A", "2024-01-02", -5), ("A", "2024-01-10", 10), ("A", "2024-01-10", 20),
            ("A", "2024-01-15", -10), ("A", "2024-02-01", 30),
            ("B", "2024-01-05", -7), ("C", "2024-03-01", 40)]
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "orders.csv", ("customer_id", "date", "amount"),
                                 rows), dataset="Shop")
    with store.cursor() as cursor:
        stored = cursor.execute(
            f"SELECT customer_id, strftime(order_date, '%m-%d'), CAST(amount AS INTEGER), "
            f"strftime(first_purchase_on, '%m-%d'), strftime(previous_purchase_on, '%m-%d'), "
            f"strftime(next_purchase_on, '%m-%d') "
            f"FROM {store.dataset('Shop').table('orders')} ORDER BY 1, 2, 3").fetchall()
    same_day = [row for row in stored if row[1] == "01-10"]
    others = [row for row in stored if row[1] != "01-10"]
    # one of the two orders on Jan 10 is the first purchase, the other has that same day
    # as its previous purchase and Feb 1 as its next (which is which is a tie)
    assert sorted((row[4] or "", row[5]) for row in same_day) == [("", "01-10"),
                                                                 ("01-10", "02-01")]
    assert all(row[3] == "01-10" for row in same_day)
    assert others == [
        ("A", "01-02", -5, "01-10", None, None),
        ("A", "01-15", -10, "01-10", None, None),
        ("A", "02-01", 30, "01-10", "01-10", None),
        ("B", "01-05", -7, None, None, None),
        ("C", "03-01", 40, "03-01", None, None),
    ]
