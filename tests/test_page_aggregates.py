"""The page tables stored with the orders (metrics/page_aggregates.py): they give the same
KPI, lifecycle and cohort tables as the pages' queries on CDNOW and the demo for every
period and inactivity window of the equivalence grid (tests/test_kpis_history.py), with
and without a segment filter; the queries run whenever the stored tables do not answer a
filter state; and the tables are stored, replaced and kept with the orders.

The small shop's monthly cohorts, worked out by hand in tests/test_retention.py:

    cohort  size  active at offset 0  1  2  3     active or later at offset 0  1  2  3
    Jan     3     3 (A B E)           1  1  1     3  2  2  1
    Feb     1     1 (C)               0  0        1  0  0
    Mar     1     1 (D)               0           1  0
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import metrics.kpis
import metrics.retention
from metrics import page_aggregates
from metrics.ingest import ingest_file
from metrics.kpis import KPI_COLUMNS, kpi_query, kpi_table
from metrics.page_aggregates import STORED_PERIODS, STORED_WINDOWS, add_page_aggregates
from metrics.query.filters import DEFAULT_INACTIVITY_DAYS, Filters
from metrics.query.sql import PERIODS
from metrics.query.stored_pages import (
    STORED_COHORTS,
    STORED_KPIS,
    page_key,
    stored_cohort_query,
    stored_kpi_query,
)
from metrics.retention import COHORT_QUERY_COLUMNS, cohort_query, cohort_table
from metrics.staging import stage_isolated, store_staged
from metrics.store import Dataset, Store
from tests.builders import SMALL_ORDERS, cdnow_csv, write_csv
from tests.test_kpis_history import WINDOWS, add_customer_groups, without_history

GOLD = Filters.segment_items({"customers.loyalty_tier": ["gold"]})


def without_page_tables(dataset: Dataset, stored: dict[str, str] | None = None) -> Dataset:
    """The dataset as one stored before the page tables existed (forces the queries), or
    with the record ``stored`` of its page tables."""
    orders = dataclasses.replace(dataset.tables["orders"], page_aggregates=stored or {})
    return dataclasses.replace(dataset, tables=dataset.tables | {"orders": orders})


def stored_kpis(dataset: Dataset, filters: Filters) -> bool:
    """Whether the stored KPI table answers the filter state."""
    return stored_kpi_query(dataset, filters, KPI_COLUMNS,
                            lambda whole: kpi_query(dataset, whole)[0]) is not None


def stored_cohorts(dataset: Dataset, filters: Filters) -> bool:
    """Whether the stored cohort table answers the filter state."""
    return stored_cohort_query(dataset, filters, COHORT_QUERY_COLUMNS,
                               lambda whole: cohort_query(dataset, whole)[0]) is not None


@pytest.fixture(scope="module")
def cdnow_pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Dataset]]:
    """CDNOW with a customers table and page tables for every window of the grid."""
    folder = tmp_path_factory.mktemp("cdnow-pages")
    store = Store(":memory:")
    ingest_file(store, cdnow_csv(folder), dataset="CDNOW")
    add_customer_groups(store, "CDNOW", folder)
    add_page_aggregates(store, store.dataset("CDNOW"), WINDOWS)
    yield store, store.dataset("CDNOW")
    store.close()


@pytest.fixture(scope="module")
def demo_pages(demo_db_template: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[tuple[Store, Dataset]]:
    """The demo shop (refunds) with a customers table and page tables for every window of
    the grid."""
    folder = tmp_path_factory.mktemp("demo-pages")
    path = folder / "demo.duckdb"
    shutil.copytree(demo_db_template, path)
    store = Store(path)
    add_customer_groups(store, "Demo shop", folder)
    add_page_aggregates(store, store.dataset("Demo shop"), WINDOWS)
    yield store, store.dataset("Demo shop")
    store.close()


def filter_states(period: str, window: int, first_day: date, mid_data: date
                  ) -> list[tuple[Filters, bool, bool]]:
    """Filter states of the grid, each with whether the stored KPI table and the stored
    cohort table answer it."""
    def state(**options: object) -> Filters:
        return Filters(period=period, inactivity_days=window, **options)  # type: ignore[arg-type]
    return [
        (state(), True, True),  # the whole data
        (state(start=mid_data), True, True),  # from the middle of a period on
        (state(end=mid_data), True, False),  # ends before the data's last period
        (state(start=date(first_day.year - 1, 1, 1)), False, True),  # starts before the data
        (state(segments=GOLD), False, False),  # a segment filter
        (state(start=mid_data, segments=GOLD), False, False),
    ]


def assert_same_tables(store: Store, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """The stored path's KPI table (the lifecycle included) and cohort table equal the
    queries'."""
    queried = without_page_tables(dataset)
    stored, fresh = kpi_table(store, dataset, filters), kpi_table(store, queried, filters)
    # the sample SD sums floats in whatever order the engine's threads meet them: equal to
    # 12 significant digits (as in tests/test_kpis_history.py); every other column exactly
    pd.testing.assert_frame_equal(stored.drop(columns="order_value_sd"),
                                  fresh.drop(columns="order_value_sd"), check_exact=True)
    pd.testing.assert_series_equal(stored["order_value_sd"], fresh["order_value_sd"],
                                   check_exact=False, rtol=1e-12, atol=0)
    # the cohort table holds every column of the cohort query (classic and unbounded
    # counts, revenue); the lifecycle is columns of the KPI table
    pd.testing.assert_frame_equal(cohort_table(store, dataset, filters),
                                  cohort_table(store, queried, filters), check_exact=True)
    return stored


def check_grid(store: Store, dataset: Dataset, period: str, window: int, mid_data: date
               ) -> None:
    first_day = dataset.tables["orders"].first_date
    assert first_day is not None
    stored_period = period in STORED_PERIODS  # the year is not stored: its queries run
    for filters, kpis_stored, cohorts_stored in filter_states(period, window, first_day,
                                                              mid_data):
        assert stored_kpis(dataset, filters) == (kpis_stored and stored_period)
        assert stored_cohorts(dataset, filters) == (cohorts_stored and stored_period)
        table = assert_same_tables(store, dataset, filters)
        assert len(table) >= 1 and table["end_customers"].sum() > 0


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("period", PERIODS)
def test_cdnow_page_tables_equal_the_page_queries(
        cdnow_pages: tuple[Store, Dataset], period: str, window: int) -> None:
    store, dataset = cdnow_pages
    check_grid(store, dataset, period, window, date(1997, 5, 14))


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("period", PERIODS)
def test_demo_page_tables_equal_the_page_queries(
        demo_pages: tuple[Store, Dataset], period: str, window: int) -> None:
    store, dataset = demo_pages
    check_grid(store, dataset, period, window, date(2024, 8, 20))


def test_the_stored_tables_equal_the_general_queries_over_the_orders(
        demo_pages: tuple[Store, Dataset]) -> None:
    # a second method: the queries with a window over each customer's orders, no stored
    # purchase history at all
    store, dataset = demo_pages
    filters = Filters(period="month", inactivity_days=30)
    stored = kpi_table(store, dataset, filters)
    general = kpi_table(store, without_history(dataset), filters)
    pd.testing.assert_frame_equal(stored.drop(columns="order_value_sd"),
                                  general.drop(columns="order_value_sd"), check_exact=True)
    pd.testing.assert_frame_equal(cohort_table(store, dataset, filters),
                                  cohort_table(store, without_history(dataset), filters),
                                  check_exact=True)


def only_page_tables(monkeypatch: pytest.MonkeyPatch, dataset: Dataset) -> None:
    """Let the KPI and cohort tables run only queries that read the stored page tables,
    not the dataset's orders."""
    for module, table in ((metrics.kpis, STORED_KPIS), (metrics.retention, STORED_COHORTS)):
        def reading(store: Store, sql: str, params: dict[str, object], *,
                    run: Callable[..., pd.DataFrame] = module.query_frame,
                    table: str = table) -> pd.DataFrame:
            assert f'"{table}"' in sql and dataset.table("orders") not in sql, sql
            return run(store, sql, params)
        monkeypatch.setattr(module, "query_frame", reading)


@pytest.fixture
def every_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Page tables for a shop of any size (the small shops here are under MIN_ORDERS)."""
    monkeypatch.setattr(page_aggregates, "MIN_ORDERS", 0)


def test_a_shop_under_min_orders_stores_none_and_one_at_it_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "store")
    ingest_file(store, SMALL_ORDERS, dataset="Small", currency="EUR")
    small = store.dataset("Small")
    assert small.tables["orders"].page_aggregates == {}
    assert not stored_kpis(small, Filters(period="month"))
    # the same file with the threshold at its own number of orders: stored
    monkeypatch.setattr(page_aggregates, "MIN_ORDERS", small.tables["orders"].rows)
    ingest_file(store, SMALL_ORDERS, dataset="At the threshold", currency="EUR")
    assert len(store.dataset("At the threshold").tables["orders"].page_aggregates) == 6
    store.close()


def test_an_ingest_stores_the_page_tables_that_the_pages_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, every_size: None) -> None:
    store = Store(tmp_path / "store")
    ingest_file(store, SMALL_ORDERS, dataset="Small shop", currency="EUR")
    dataset = store.dataset("Small shop")
    assert STORED_PERIODS == ("week", "month", "quarter")
    assert STORED_WINDOWS == (DEFAULT_INACTIVITY_DAYS,)
    assert set(dataset.tables["orders"].page_aggregates) == {
        "page_kpis/week/90", "page_kpis/month/90", "page_kpis/quarter/90",
        "page_cohorts/week", "page_cohorts/month", "page_cohorts/quarter"}
    only_page_tables(monkeypatch, dataset)
    cohorts = cohort_table(store, dataset, Filters(period="month"), unbounded=True)
    jan = cohorts[cohorts["cohort"] == date(2024, 1, 1)]
    assert cohorts.groupby("cohort")["cohort_size"].first().tolist() == [3, 1, 1]
    assert jan["active_customers"].tolist() == [3, 1, 1, 1]
    assert jan["active_or_later"].tolist() == [3, 2, 2, 1]
    kpis = kpi_table(store, dataset, Filters(period="month"))
    assert kpis["new_customers"].tolist() == [3, 1, 1, 0]  # Jan A B E, Feb C, Mar D
    assert kpis["active_customers"].tolist() == [3, 2, 2, 1]  # A B E; A C; A D; B
    store.close()


def test_replaced_orders_replace_the_page_tables_and_other_data_keeps_them(
        tmp_path: Path, every_size: None) -> None:
    store = Store(tmp_path / "store")
    ingest_file(store, SMALL_ORDERS, dataset="Shop", currency="EUR")
    # one customer, two orders: January and March
    two = write_csv(tmp_path / "two.csv", ("customer_id", "date", "amount"),
                    [("Z", "2024-01-10", 5), ("Z", "2024-03-10", 7)])
    ingest_file(store, two, dataset="Shop", replace=True)
    dataset = store.dataset("Shop")
    filters = Filters(period="month")
    assert stored_kpis(dataset, filters)
    kpis = kpi_table(store, dataset, filters)
    assert kpis["orders"].tolist() == [1, 0, 1]
    assert kpis["end_customers"].tolist() == [1, 1, 1]  # Jan 10 + 90 days reaches Mar 10
    assert kpis["revenue"].tolist() == [5.0, 0.0, 7.0]
    # a customers table leaves the orders, and the page tables with them, as they were
    customers = write_csv(tmp_path / "customers.csv", ("customer_id", "segment"),
                          [("Z", "gold")])
    ingest_file(store, customers, dataset="Shop", kind="customers")
    kept = store.dataset("Shop")
    assert kept.version != dataset.version
    assert kept.tables["orders"].page_aggregates == dataset.tables["orders"].page_aggregates
    pd.testing.assert_frame_equal(kpi_table(store, kept, filters), kpis)
    store.close()


def test_an_upload_through_the_data_page_stores_the_page_tables(tmp_path: Path,
                                                               every_size: None) -> None:
    store = Store(tmp_path / "store")
    folder = tmp_path / "staged"
    folder.mkdir()
    staged = store_staged(store, stage_isolated(store, SMALL_ORDERS, folder,
                                                dataset="Small shop"))
    dataset = store.dataset(staged.dataset_name)
    filters = Filters(period="week")
    assert stored_kpis(dataset, filters) and stored_cohorts(dataset, filters)
    pd.testing.assert_frame_equal(kpi_table(store, dataset, filters),
                                  kpi_table(store, without_page_tables(dataset), filters))
    store.close()


def test_filter_states_the_page_tables_do_not_hold_run_the_queries(
        demo_pages: tuple[Store, Dataset]) -> None:
    store, dataset = demo_pages
    not_stored = Filters(period="month", inactivity_days=45)  # a W not stored
    assert not stored_kpis(dataset, not_stored)
    assert stored_cohorts(dataset, not_stored)  # the cohort table has no W
    online = Filters(period="month", segments=Filters.segment_items(
        {"channel": ["Online shop"]}))  # a column of the orders
    assert not stored_kpis(dataset, online) and not stored_cohorts(dataset, online)
    older = without_page_tables(dataset)  # stored before the page tables existed
    assert not stored_kpis(older, Filters()) and not stored_cohorts(older, Filters())
    no_history = without_history(dataset)
    assert not stored_kpis(no_history, Filters()) and not stored_cohorts(no_history, Filters())
    # computed by another version of the queries (a metric changed since): not read
    stale = without_page_tables(
        dataset, dict.fromkeys(dataset.tables["orders"].page_aggregates, "0" * 16))
    monthly = Filters(period="month")
    assert stored_kpis(dataset, monthly) and stored_cohorts(dataset, monthly)
    assert not stored_kpis(stale, monthly) and not stored_cohorts(stale, monthly)
    pd.testing.assert_frame_equal(cohort_table(store, stale, monthly),
                                  cohort_table(store, dataset, monthly), check_exact=True)
    assert page_key(STORED_KPIS, "month", 90) in dataset.tables["orders"].page_aggregates
    assert page_key(STORED_COHORTS, "month") in dataset.tables["orders"].page_aggregates
