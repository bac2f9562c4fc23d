"""One KPI query for every view of a period and inactivity window: the KPI table of any date
range is a slice of the table over the whole data (``metrics.kpis.covering_filters``,
``rows_in_range``), so the Overview's cards and trend, its alert digest and Retention share
one computation. Each slice is checked against the KPI query run for the range itself.

The demo shop's orders run from 2023-11-01 to 2026-11-20; CDNOW's from 1997-01-01 to
1998-06-30. The covering range starts in the data's first period: for the demo by month
2023-11-01, by week Monday 2023-10-30 (2023-11-01 is a Wednesday), by quarter 2023-10-01,
by year 2023-01-01; for CDNOW by quarter 1997-01-01.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import metrics.kpis
from metrics.digest import digest_filters
from metrics.ingest import ingest_file
from metrics.kpis import covering_filters, kpi_table, rows_in_range
from metrics.query.filters import Filters
from metrics.store import Dataset, Store
from tests.builders import cdnow_csv
from tests.test_app import open_app

PERIODS = ("week", "month", "quarter", "year")
# W shorter than a week and than a month (a spell can end inside a period with purchases),
# a month and a half, a year: half of them on each shop
CDNOW_WINDOWS = (5, 45)
DEMO_WINDOWS = (20, 365)


@pytest.fixture(scope="module")
def demo(demo_db_template: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[Store, Dataset]]:
    path = tmp_path_factory.mktemp("demo-covering") / "demo.duckdb"
    shutil.copytree(demo_db_template, path)
    with Store(path) as store:
        yield store, store.dataset("Demo shop")


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Dataset]]:
    store = Store(":memory:")
    ingest_file(store, cdnow_csv(tmp_path_factory.mktemp("cdnow-covering")), dataset="CDNOW")
    yield store, store.dataset("CDNOW")
    store.close()


def ranges(period: str, window: int, first: date, middle: date, last: date) -> list[Filters]:
    """The whole data; ranges starting and ending mid-period and on a year's first day;
    ranges reaching before and after the data; one ending before the data starts."""
    states = [(None, None), (middle, None), (None, middle), (date(middle.year, 1, 1), middle),
              (date(first.year - 1, 3, 15), None), (middle, date(last.year + 1, 2, 1)),
              (date(first.year - 1, 1, 1), date(first.year - 1, 12, 31))]
    return [Filters(period=period, start=start, end=end,  # type: ignore[arg-type]
                    inactivity_days=window) for start, end in states]


def assert_slice_equals_the_query(store: Store, dataset: Dataset, filters: Filters) -> None:
    covering = covering_filters(dataset, filters)
    sliced = rows_in_range(kpi_table(store, dataset, covering), dataset, filters)
    direct = kpi_table(store, dataset, filters)
    # the sample SD sums floating-point numbers in whatever order the engine's threads
    # meet them (tests/test_kpis_history.py): to 12 significant digits, the rest exactly
    pd.testing.assert_frame_equal(sliced.drop(columns="order_value_sd"),
                                  direct.drop(columns="order_value_sd"), check_exact=True)
    pd.testing.assert_series_equal(sliced["order_value_sd"], direct["order_value_sd"],
                                   check_exact=False, rtol=1e-12, atol=0)


@pytest.mark.parametrize("window", DEMO_WINDOWS)
@pytest.mark.parametrize("period", PERIODS)
def test_demo_ranges_are_slices_of_the_covering_table(
        demo: tuple[Store, Dataset], period: str, window: int) -> None:
    store, dataset = demo
    for filters in ranges(period, window, date(2023, 11, 1), date(2025, 5, 14),
                          date(2026, 11, 20)):
        assert_slice_equals_the_query(store, dataset, filters)


@pytest.mark.parametrize("window", CDNOW_WINDOWS)
@pytest.mark.parametrize("period", PERIODS)
def test_cdnow_ranges_are_slices_of_the_covering_table(
        cdnow: tuple[Store, Dataset], period: str, window: int) -> None:
    store, dataset = cdnow
    for filters in ranges(period, window, date(1997, 1, 1), date(1997, 8, 20),
                          date(1998, 6, 30)):
        assert_slice_equals_the_query(store, dataset, filters)


def test_a_segment_filter_keeps_its_covering_table_apart(demo: tuple[Store, Dataset]) -> None:
    store, dataset = demo
    online = Filters(period="month", inactivity_days=45, start=date(2025, 2, 1),
                     segments=Filters.segment_items({"channel": ["Online"]}))
    covering = covering_filters(dataset, online)
    assert covering == Filters(period="month", inactivity_days=45, start=date(2023, 11, 1),
                               segments=online.segments)
    assert_slice_equals_the_query(store, dataset, online)


@pytest.mark.parametrize(("period", "first_day"), [
    ("month", date(2023, 11, 1)), ("week", date(2023, 10, 30)),
    ("quarter", date(2023, 10, 1)), ("year", date(2023, 1, 1))])
def test_the_overview_its_digest_and_retention_share_one_covering_state(
        demo: tuple[Store, Dataset], period: str, first_day: date) -> None:
    _, dataset = demo
    overview = Filters(period=period, start=first_day, inactivity_days=37)  # type: ignore[arg-type]
    digest = digest_filters(date(2026, 11, 20), period, 37)  # type: ignore[arg-type]
    retention = Filters(period=period, inactivity_days=37)  # type: ignore[arg-type]
    expected = Filters(period=period, start=first_day, inactivity_days=37)  # type: ignore[arg-type]
    assert {covering_filters(dataset, f) for f in (overview, digest, retention)} == {expected}


def test_an_overview_and_retention_at_a_window_of_their_own_run_one_kpi_query(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Overview (its cards, trend and alert digest) and then Retention at W = 37 days,
    monthly: one KPI query in all (three before: the Overview's range from the period
    before the data, the digest's to its last order, Retention's whole data)."""
    run = metrics.kpis._table
    ran: list[str] = []

    def counted(store: Store, sql: str, params: dict[str, object]) -> pd.DataFrame:
        ran.append(sql)
        return run(store, sql, params)

    monkeypatch.setattr(metrics.kpis, "_table", counted)
    app = open_app({"w": "37"})
    assert app.title[0].value == "Overview" and app.metric
    app.switch_page("app_pages/retention.py").run()
    assert not app.exception, app.exception
    assert app.title[0].value == "Retention"
    assert len(ran) == 1

