"""KPIs per period against values worked out by hand on ``data/orders_small.csv``.

The file, with W = 30 days (a customer is in the base on day t when they bought in
[t - 30, t]):

    A  web    2024-01-05 100, 01-20 50, 02-10 80, 03-25 60
    B  store  2024-01-10 200, 04-15 40           (leaves the base, comes back in April)
    C  web    2024-02-03 30, refund 02-05 -30
    D  web    2024-03-01 70, 03-02 20
    E  store  2024-01-31 90

Spells in the base (first purchase .. last purchase + 30):
    A [01-05, 03-11] and [03-25, 04-24] (02-10 -> 03-25 is 44 days)
    B [01-10, 02-09] and [04-15, 05-15];  C [02-03, 03-04];  D [03-01, 04-01];  E [01-31, 03-01]

Base at each month end: Dec 31 {}, Jan 31 {A, B, E}, Feb 29 {A, C, E}, Mar 31 {A, D},
and April, which the data stops inside, on the data's last day Apr 15 {A, B} (on Apr 30,
a day without data, only B would be left).  New (first purchase): Jan {A, B, E}, Feb {C},
Mar {D}, Apr {}.

    month  S  N  E  retained        CRR=(E-N)/S    churn=(S+N-E)/S  strict=ret/S
    Jan    0  3  3  0               -              -                -
    Feb    3  1  3  2 {A, E}        2/3 = 66.67    1/3 = 33.33      2/3 = 66.67
    Mar    3  1  2  1 {A}           1/3 = 33.33    2/3 = 66.67      1/3 = 33.33
    Apr    2  0  2  1 {A}           2/2 = 100.00   0/2 = 0.00       1/2 = 50.00

In March A lapsed (03-12 .. 03-24) and came back, so A is in the base at both ends:
retained. In April (to Apr 15) B, who left in February, came back: CRR counts him
(100%), the strict rate does not (50%: A only). April has no new customers.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

from metrics.errors import InputError
from metrics.ingest import ingest_file
from metrics.kpis import KPI_COLUMNS, kpi_table, suggest_inactivity_days
from metrics.query.filters import Filters
from metrics.store import Store
from tests.builders import cdnow_csv, small_store, write_csv

NAN = float("nan")

EXPECTED_MONTHS = {
    #                 Jan      Feb      Mar      Apr
    "period_start": [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1)],
    # April ends on the data's last day
    "period_end": [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 15)],
    "start_customers": [0, 3, 3, 2],
    "new_customers": [3, 1, 1, 0],
    "end_customers": [3, 3, 2, 2],
    "retained_customers": [0, 2, 1, 1],
    "churned_customers": [0, 1, 2, 0],  # S + N - E
    "lost_customers": [0, 1, 2, 1],  # S - retained
    # Jan: A, B, E; Feb: A, C (C's refund is not a purchase); Mar: A, D; Apr: B
    "active_customers": [3, 2, 2, 1],
    "orders": [4, 2, 3, 1],
    "revenue": [440.0, 80.0, 150.0, 40.0],  # Feb: 80 + 30 - 30
    "refunds": [0.0, 30.0, 0.0, 0.0],
    "aov": [110.0, 40.0, 50.0, 40.0],
    # Jan: only A has two orders by Jan 31 (1/3); Feb: A but not C (1/2);
    # Mar: A and D (2/2); Apr: B has two by Apr 15 (1/1)
    "repeat_purchase_rate": [100 / 3, 50.0, 100.0, 100.0],
    "retention_rate": [NAN, 200 / 3, 100 / 3, 100.0],
    "churn_rate": [NAN, 100 / 3, 200 / 3, 0.0],
    "strict_retention_rate": [NAN, 200 / 3, 100 / 3, 50.0],
    # the data runs from 2024-01-05 to 2024-04-15: January and April are cut
    "complete": [False, True, True, False],
    # what the significance tests use (metrics/significance.py): the repeat purchase
    # rate's numerator, and the sample SD of the purchases (refunds left out):
    # Jan 100, 50, 200, 90 (mean 110): sqrt((10^2 + 60^2 + 90^2 + 20^2) / 3) = sqrt(12200/3);
    # Feb 30, 80: sqrt(2 * 25^2 / 1); Mar 70, 20, 60 (mean 50): sqrt((400 + 900 + 100) / 2);
    # Apr one order: no SD
    "repeat_customers": [1, 1, 2, 1],
    "order_value_sd": [math.sqrt(12200 / 3), math.sqrt(1250), math.sqrt(700), NAN],
}


def assert_column(actual: list[object], expected: list[object], name: str) -> None:
    assert len(actual) == len(expected), name
    for got, want in zip(actual, expected, strict=True):
        if isinstance(want, float) and math.isnan(want):
            assert got is None or math.isnan(got), name
        elif isinstance(want, float):
            assert got == pytest.approx(want), name
        else:
            assert got == want, name


def test_every_monthly_kpi_matches_the_hand_worked_values() -> None:
    store, dataset = small_store()
    table = kpi_table(store, dataset, Filters(period="month", inactivity_days=30))
    assert list(table.columns) == list(KPI_COLUMNS)
    for column, expected in EXPECTED_MONTHS.items():
        assert_column(table[column].tolist(), expected, column)


def test_churn_is_100_minus_the_seed_retention_rate() -> None:
    store, dataset = small_store()
    table = kpi_table(store, dataset, Filters(period="month", inactivity_days=30))
    table = table.dropna(subset=["retention_rate"])
    assert (table["retention_rate"] + table["churn_rate"]).tolist() == pytest.approx([100] * 3)


def test_segment_filter_keeps_only_that_segments_orders() -> None:
    # store: B [01-10, 02-09] + [04-15, 05-15], E [01-31, 03-01]
    # month ends: Jan {B, E}, Feb {E}, Mar {}, Apr {B}; N: Jan 2
    store, dataset = small_store()
    filters = Filters(period="month", inactivity_days=30, segments=(("channel", ("store",)),))
    table = kpi_table(store, dataset, filters)
    assert table["start_customers"].tolist() == [0, 2, 1, 0]
    assert table["new_customers"].tolist() == [2, 0, 0, 0]
    assert table["end_customers"].tolist() == [2, 1, 0, 1]
    assert table["retained_customers"].tolist() == [0, 1, 0, 0]
    assert table["revenue"].tolist() == [290.0, 0.0, 0.0, 40.0]
    assert_column(table["retention_rate"].tolist(), [NAN, 50.0, 0.0, NAN], "retention_rate")


def test_an_empty_filter_result_gives_zeros_and_no_rates() -> None:
    store, dataset = small_store()
    filters = Filters(period="month", inactivity_days=30,
                      segments=(("channel", ("no such channel",)),))
    table = kpi_table(store, dataset, filters)
    assert len(table) == 4
    assert table[["start_customers", "new_customers", "end_customers", "orders"]].sum().sum() == 0
    assert table[["retention_rate", "churn_rate", "aov", "repeat_purchase_rate"]].isna().all().all()


def test_quarter_and_date_range() -> None:
    # Q1 2024: everyone is new (N = 5); base at Mar 31 = {A, D}. Q2: S = 2, N = 0, base on
    # the data's last day Apr 15 = {A, B}, so CRR = (2 - 0) / 2 = 100 (on Jun 30, a day
    # without data, it would be {}: 0).
    store, dataset = small_store()
    table = kpi_table(store, dataset, Filters(period="quarter", inactivity_days=30))
    assert table["new_customers"].tolist() == [5, 0]
    assert table["end_customers"].tolist() == [2, 2]
    assert table["retention_rate"].tolist()[1] == 100.0
    march = kpi_table(store, dataset, Filters(period="month", inactivity_days=30,
                                              start=date(2024, 3, 10), end=date(2024, 3, 12)))
    assert march["period_start"].tolist() == [date(2024, 3, 1)]
    assert march["start_customers"].tolist() == [3]


def test_weeks_start_on_monday() -> None:
    # 2024-01-05 is a Friday: its week starts Monday 2024-01-01.
    store, dataset = small_store()
    table = kpi_table(store, dataset, Filters(period="week", inactivity_days=30))
    assert table["period_start"].iloc[0] == date(2024, 1, 1)
    assert all(day.weekday() == 0 for day in table["period_start"])
    assert table["orders"].sum() == 10
    assert table["revenue"].sum() == pytest.approx(710.0)


def test_a_longer_window_keeps_the_lapsed_customers_in_the_base() -> None:
    # W = 120: nobody lapses before April 30, so the base only grows: Apr 30 = all five.
    store, dataset = small_store()
    table = kpi_table(store, dataset, Filters(period="month", inactivity_days=120))
    assert table["end_customers"].tolist() == [3, 4, 5, 5]
    assert table["strict_retention_rate"].tolist()[1:] == [100.0, 100.0, 100.0]


def test_unknown_segment_column_is_a_user_error() -> None:
    store, dataset = small_store()
    with pytest.raises(InputError, match="“Colour” is not a segment"):
        kpi_table(store, dataset, Filters(segments=(("Colour", ("red",)),)))


def test_bad_filters_say_what_is_wrong() -> None:
    with pytest.raises(InputError, match="after the end date"):
        Filters(start=date(2024, 5, 1), end=date(2024, 1, 1))
    with pytest.raises(InputError, match="between 1 and 3650"):
        Filters(inactivity_days=0)
    with pytest.raises(InputError, match="is not a period"):
        Filters(period="day")  # type: ignore[arg-type]


def test_suggested_window_is_the_90th_percentile_of_gaps_in_whole_weeks(tmp_path: Path) -> None:
    # gaps between purchase days: 10 customers with gaps 1..10 days and one with 100 days:
    # the 90th percentile (linear) of [1..10, 100] is 10, so the suggestion is 14 (2 weeks).
    rows = []
    for n in range(1, 11):
        rows += [(f"c{n}", "2024-01-01", 10), (f"c{n}", f"2024-01-{1 + n:02d}", 10)]
    rows += [("z", "2024-01-01", 10), ("z", "2024-04-10", 10)]
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "gaps.csv", ("customer", "date", "amount"), rows),
                dataset="gaps")
    suggested = suggest_inactivity_days(store, store.dataset("gaps"))
    assert suggested is not None
    assert (suggested.days, suggested.gap_days, suggested.capped) == (14, 14, False)


def test_a_suggested_window_longer_than_w_can_be_is_the_longest_w(tmp_path: Path) -> None:
    # Every customer buys on 1 Jan 1995 and 1 Jan 2010: 15 years and 4 leap days = 5,479
    # days apart, 783 whole weeks = 5,481 days, more than W's 3,650 days.
    rows = [(f"c{n}", day, 10) for n in range(3) for day in ("1995-01-01", "2010-01-01")]
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "far.csv", ("customer", "date", "amount"), rows),
                dataset="far")
    suggested = suggest_inactivity_days(store, store.dataset("far"))
    assert suggested is not None
    assert (suggested.days, suggested.gap_days, suggested.capped) == (3650, 5481, True)


def test_cdnow_november_1997_reproduces_the_published_check(tmp_path: Path) -> None:
    # Issue "Foundation": on the public CDNOW data with W = 90 the seed CRR reads 103.9%
    # for November 1997 while only 81% of the starting base was kept.
    store = Store(":memory:")
    report = ingest_file(store, cdnow_csv(tmp_path), dataset="CDNOW")
    assert report.rows_stored == 69_659
    table = kpi_table(store, store.dataset("CDNOW"),
                      Filters(period="month", start=date(1997, 11, 1), end=date(1997, 11, 30),
                              inactivity_days=90))
    november = table.iloc[0]
    assert november["new_customers"] == 0  # the cohort was acquired in Q1 1997
    assert round(november["retention_rate"], 1) == 103.9
    assert round(november["strict_retention_rate"]) == 81
