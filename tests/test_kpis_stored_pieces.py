"""The KPI pieces (net and gross revenue retention) do not depend on the inactivity window
W, so at a W whose KPI table is not stored the KPI query reads them from the table stored
for the period at another W (``sql/stored_kpi_pieces.sql``) instead of computing them:
the same tables as the query computing everything, on CDNOW and the demo, and the
hand-worked values of tests/test_revenue_retention.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics.ingest import ingest_file
from metrics.kpis import kpi_query, kpi_table
from metrics.page_aggregates import add_page_aggregates
from metrics.query.filters import Filters
from metrics.query.stored_pages import STORED_KPIS, page_key
from metrics.store import Dataset, Store
from tests.builders import cdnow_csv
from tests.test_page_aggregates import without_page_tables
from tests.test_revenue_retention import GRR, MONTHLY, NRR, assert_values, orders_csv

STORED = (90,)  # the page tables' default window only
PERIODS = ("week", "month", "quarter")  # those stored
# W shorter than a week and than a month, a month and a half, a year: half on each shop
CDNOW_WINDOWS = (5, 45)
DEMO_WINDOWS = (20, 365)


def reads_stored_pieces(dataset: Dataset, filters: Filters) -> bool:
    return "stored_pieces AS (" in kpi_query(dataset, filters)[0]


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Dataset]]:
    store = Store(":memory:")
    ingest_file(store, cdnow_csv(tmp_path_factory.mktemp("cdnow-pieces")), dataset="CDNOW")
    add_page_aggregates(store, store.dataset("CDNOW"), STORED)
    yield store, store.dataset("CDNOW")
    store.close()


@pytest.fixture(scope="module")
def demo(demo_db_template: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[Store, Dataset]]:
    path = tmp_path_factory.mktemp("demo-pieces") / "demo.duckdb"
    shutil.copytree(demo_db_template, path)
    with Store(path) as store:
        add_page_aggregates(store, store.dataset("Demo shop"), STORED)
        yield store, store.dataset("Demo shop")


def assert_same_as_computed(store: Store, dataset: Dataset, filters: Filters) -> None:
    read = kpi_table(store, dataset, filters)
    computed = kpi_table(store, without_page_tables(dataset), filters)
    # the sample SD sums floating-point numbers in whatever order the engine's threads
    # meet them (tests/test_kpis_history.py): to 12 significant digits, the rest exactly
    pd.testing.assert_frame_equal(read.drop(columns="order_value_sd"),
                                  computed.drop(columns="order_value_sd"), check_exact=True)
    pd.testing.assert_series_equal(read["order_value_sd"], computed["order_value_sd"],
                                   check_exact=False, rtol=1e-12, atol=0)


def states(period: str, window: int, first: date, middle: date) -> list[Filters]:
    """The whole data, a range from mid-data, one from the year before the data (rows of
    periods the stored table has none for), one ending mid-data."""
    return [Filters(period=period, inactivity_days=window, start=start, end=end)  # type: ignore[arg-type]
            for start, end in ((None, None), (middle, None), (date(first.year - 1, 1, 1), None),
                               (None, middle))]


@pytest.mark.parametrize("window", CDNOW_WINDOWS)
@pytest.mark.parametrize("period", PERIODS)
def test_cdnow_pieces_read_from_another_window_equal_the_computed(
        cdnow: tuple[Store, Dataset], period: str, window: int) -> None:
    store, dataset = cdnow
    for filters in states(period, window, date(1997, 1, 1), date(1997, 8, 20)):
        assert reads_stored_pieces(dataset, filters)
        assert_same_as_computed(store, dataset, filters)


@pytest.mark.parametrize("window", DEMO_WINDOWS)
@pytest.mark.parametrize("period", PERIODS)
def test_demo_pieces_read_from_another_window_equal_the_computed(
        demo: tuple[Store, Dataset], period: str, window: int) -> None:
    store, dataset = demo
    for filters in states(period, window, date(2023, 11, 1), date(2025, 5, 14)):
        assert reads_stored_pieces(dataset, filters)
        assert_same_as_computed(store, dataset, filters)


def test_the_hand_worked_revenue_retention_read_from_the_stored_window(tmp_path: Path) -> None:
    store = Store(":memory:")
    ingest_file(store, orders_csv(tmp_path), dataset="Retention shop", currency="EUR")
    add_page_aggregates(store, store.dataset("Retention shop"), STORED)
    dataset = store.dataset("Retention shop")
    assert MONTHLY.inactivity_days not in STORED and reads_stored_pieces(dataset, MONTHLY)
    table = kpi_table(store, dataset, MONTHLY)
    assert table["period_start"].tolist() == [date(2024, 1, 1), date(2024, 2, 1),
                                              date(2024, 3, 1)]
    assert_values(table["net_revenue_retention"].tolist(), NRR)
    assert_values(table["gross_revenue_retention"].tolist(), GRR)
    # February's base: A 150, B 120, D 80 and E's 90 - 30 (the month's revenue net of
    # refunds, C bought nothing): 410; their March revenue 200 + 60 + 100 = 360
    assert table["base_revenue"].tolist() == [0.0, 450.0, 410.0]
    assert table["retained_revenue"].tolist() == [0.0, 330.0, 360.0]
    store.close()


def test_what_the_stored_tables_do_not_answer_is_computed(
        cdnow: tuple[Store, Dataset], demo: tuple[Store, Dataset]) -> None:
    _, dataset = cdnow
    monthly = Filters(period="month", inactivity_days=45)
    # a segment filter: the stored tables hold every customer
    online = Filters(period="month", inactivity_days=45,
                     segments=Filters.segment_items({"channel": ["Online"]}))
    assert not reads_stored_pieces(demo[1], online)
    assert_same_as_computed(*demo, online)
    # the year has no stored table
    assert not reads_stored_pieces(dataset, Filters(period="year", inactivity_days=45))
    # tables stored by another version of the KPI query (another fingerprint)
    key = page_key(STORED_KPIS, "month", 90)
    stale = without_page_tables(dataset, dataset.tables["orders"].page_aggregates
                                | {key: "0" * 16})
    assert not reads_stored_pieces(stale, monthly)
    # the stored window itself is the query that computed its table
    assert not reads_stored_pieces(dataset, Filters(period="month", start=date(1996, 1, 1)))
    assert reads_stored_pieces(dataset, monthly)
