"""Simple CLV, historic CLV, CAC and CLV:CAC against values worked out by hand.

The two-year shop (``two_year_shop``), W = 90 days:

    A  web    2023-11-15 100, 2024-03-10 120, 2024-11-20 80
    B  web    2023-12-01 50,  2024-02-01 60, refund 2024-02-05 -20
    C  store  2023-10-20 200, 2024-06-15 150, 2024-12-10 250
    D  web    2023-12-20 90                      (bought once, then left)
    E  web    2024-05-05 70                      (bought once)
    F  store  2023-01-10 40                      (long gone before 2024)
    G  web    2024-12-31 30                      (bought once, on the data's last day)

Simple CLV over the whole data: the range (2023-01-10 .. 2024-12-31) is longer than a year,
so the window is its last 12 months, 2024-01-01 .. 2024-12-31: 366 days of the 366 from
2023-12-31 (exclusive) to 2024-12-31, 1.0 year.

    purchases in 2024: A 120, 80; B 60; C 150, 250; E 70; G 30 -> 7 orders, 5 customers
    revenue = 200 + (60 - 20) + 400 + 70 + 30 = 740  (the refund is revenue, not an order)
    AOV = 740 / 7;  purchases per year = 7 / 5 / 1.0 = 1.4
    S  = in the base on 2023-12-31 = a purchase in [2023-10-02, 2023-12-31] = {A, B, C, D}
    in the base on 2024-12-31 = a purchase in [2024-10-02, 2024-12-31] = {A, C, G}
    retained = {A, C}: annual churn = 1 - 2/4 = 50%;  lifespan = 1 / 0.5 = 2 years
    CLV = 740/7 x 1.4 x 2 = 296;  with a 25% gross margin 74

By channel of the first purchase: web {A, B, D, E, G}, store {C, F}:

    web    orders 5, customers 4 (A B E G), revenue 340, AOV 68, per year 1.25;
           S {A, B, D} = 3, retained {A}: churn 2/3, lifespan 1.5; CLV 68 x 1.25 x 1.5 = 127.5
    store  orders 2, customers 1 (C), revenue 400, AOV 200, per year 2;
           S {C} = 1, retained {C}: churn 0 -> lifespan capped at 10; CLV 200 x 2 x 10 = 4000

F bought before the base at the window's start and never in it: no figure counts F.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics.clv.cac import (
    CAC_COLUMNS,
    acquisition_channel_source,
    cac_totals,
    clv_cac_ratio,
    customer_acquisition_cost,
)
from metrics.clv.historic import (
    HISTORIC_CLV_COLUMNS,
    historic_clv,
    historic_clv_milestones,
)
from metrics.clv.simple import (
    SIMPLE_CLV_COLUMNS,
    STRICT_WINDOW_CHURN,
    clv_window,
    simple_clv,
)
from metrics.errors import InputError
from metrics.ingest import ingest_file
from metrics.query.filters import Filters
from metrics.store import Dataset, Store
from tests.builders import small_store, write_csv

W90 = Filters(period="month", inactivity_days=90)
ORDERS = [
    ("A", "2023-11-15", "100", "web"), ("A", "2024-03-10", "120", "web"),
    ("A", "2024-11-20", "80", "web"),
    ("B", "2023-12-01", "50", "web"), ("B", "2024-02-01", "60", "web"),
    ("B", "2024-02-05", "-20", "web"),
    ("C", "2023-10-20", "200", "store"), ("C", "2024-06-15", "150", "store"),
    ("C", "2024-12-10", "250", "store"),
    ("D", "2023-12-20", "90", "web"),
    ("E", "2024-05-05", "70", "web"),
    ("F", "2023-01-10", "40", "store"),
    ("G", "2024-12-31", "30", "web"),
]
SPEND = [
    ("2023-06-01", "999", "web"),  # before the CAC range: left out
    ("2023-10-01", "300", "Web"),  # another spelling of the orders' "web"
    ("2023-11-01", "150", "store"),
    ("2023-12-01", "50", ""),  # no channel: counts in the all-channels total only
    ("2024-01-15", "200", "web"),
    ("2024-02-20", "60", "tv"),  # a channel no customer came through
    ("2024-10-05", "500", "web"),  # after the CAC range: left out
]


def two_year_shop(folder: Path, spend: bool = False) -> tuple[Store, Dataset]:
    store = Store(":memory:")
    ingest_file(store, write_csv(folder / "orders.csv",
                                 ("Customer ID", "Order date", "Amount", "Channel"), ORDERS),
                dataset="Shop", currency="EUR")
    if spend:
        ingest_file(store, write_csv(folder / "spend.csv", ("Date", "Amount", "Channel"),
                                     SPEND), dataset="Shop", kind="spend")
    return store, store.dataset("Shop")


def rows(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    return [tuple(getattr(row, c) for c in columns) for row in frame.itertuples()]


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# -- simple CLV ---------------------------------------------------------------------------


def test_simple_clv_overall_every_factor(tmp_path: Path) -> None:
    store, dataset = two_year_shop(tmp_path)
    table = simple_clv(store, dataset, W90)
    assert list(table.columns) == list(SIMPLE_CLV_COLUMNS)
    assert len(table) == 1
    row = table.iloc[0]
    assert row["group_value"] is None
    assert row["clv_churn"] == STRICT_WINDOW_CHURN
    assert (row["window_start"], row["window_end"]) == (date(2024, 1, 1), date(2024, 12, 31))
    assert row["years_covered"] == 1.0
    assert (row["customers"], row["orders"], row["revenue"]) == (5, 7, 740.0)
    assert row["aov"] == pytest.approx(740 / 7)
    assert row["purchases_per_year"] == pytest.approx(1.4)
    assert (row["start_customers"], row["retained_customers"]) == (4, 2)
    assert row["annual_churn_pct"] == pytest.approx(50.0)
    assert row["lifespan_years"] == pytest.approx(2.0)
    assert row["lifespan_capped"] is False
    assert is_missing(row["gross_margin"])
    assert row["clv"] == pytest.approx(296.0)


def test_the_gross_margin_scales_clv_and_must_be_a_share(tmp_path: Path) -> None:
    store, dataset = two_year_shop(tmp_path)
    row = simple_clv(store, dataset, W90, gross_margin=0.25).iloc[0]
    assert row["gross_margin"] == 0.25
    assert row["clv"] == pytest.approx(74.0)
    with pytest.raises(InputError, match=r"write 35% as 0\.35"):
        simple_clv(store, dataset, W90, gross_margin=35)


def test_simple_clv_by_segment_and_the_lifespan_cap_when_no_one_churns(
        tmp_path: Path) -> None:
    store, dataset = two_year_shop(tmp_path)
    table = simple_clv(store, dataset, W90, by="channel", gross_margin=0.5)
    assert rows(table, "group_value", "customers", "orders", "revenue", "start_customers",
                "retained_customers", "lifespan_capped") == [
        ("web", 4, 5, 340.0, 3, 1, False),  # largest group first
        ("store", 1, 2, 400.0, 1, 1, True),
    ]
    assert list(table["aov"]) == pytest.approx([68.0, 200.0])
    assert list(table["purchases_per_year"]) == pytest.approx([1.25, 2.0])
    assert list(table["annual_churn_pct"]) == pytest.approx([200 / 3, 0.0])
    assert list(table["lifespan_years"]) == pytest.approx([1.5, 10.0])
    # margin 0.5: web 68 x 1.25 x 1.5 x 0.5, store 200 x 2 x 10 x 0.5
    assert list(table["clv"]) == pytest.approx([63.75, 2000.0])
    # a lower cap binds only where churn is below 1 / cap
    capped = simple_clv(store, dataset, W90, by="channel", max_lifespan_years=5)
    assert list(capped["lifespan_years"]) == pytest.approx([1.5, 5.0])
    assert list(capped["clv"]) == pytest.approx([127.5, 2000.0])


def test_a_segment_filter_keeps_that_segments_orders(tmp_path: Path) -> None:
    store, dataset = two_year_shop(tmp_path)
    store_only = Filters(inactivity_days=90,
                         segments=Filters.segment_items({"channel": ["store"]}))
    row = simple_clv(store, dataset, store_only).iloc[0]
    assert (row["customers"], row["orders"], row["start_customers"]) == (1, 2, 1)
    assert row["clv"] == pytest.approx(4000.0)
    nobody = Filters(inactivity_days=90, start=date(2023, 1, 1), end=date(2023, 1, 31),
                     segments=Filters.segment_items({"channel": ["web"]}))
    empty = simple_clv(store, dataset, nobody)
    assert empty.empty
    assert list(empty.columns) == list(SIMPLE_CLV_COLUMNS)


def test_a_window_shorter_than_a_year_is_annualised(tmp_path: Path) -> None:
    """Range 2024-07-01 .. 2024-12-31: 184 days, 184/366 of the year ending 2024-12-31.

    Purchases: A 80, C 250, G 30 -> 3 orders, 3 customers, 360: AOV 120, per year
    3 / 3 / (184/366) = 366/184. S = a purchase in [2024-04-01, 2024-06-30] = {C, E};
    on 2024-12-31 {A, C, G}: retained {C}, half of S in half a year, so annual retention
    = 0.5 ^ (366/184) and annual churn = 1 - 0.5 ^ (366/184) (about 74.8%).
    """
    store, dataset = two_year_shop(tmp_path)
    second_half = Filters(inactivity_days=90, start=date(2024, 7, 1))
    window = clv_window(dataset, second_half)
    assert (window.start, window.end, window.years) == (date(2024, 7, 1),
                                                        date(2024, 12, 31), 184 / 366)
    row = simple_clv(store, dataset, second_half).iloc[0]
    assert (row["customers"], row["orders"], row["revenue"]) == (3, 3, 360.0)
    assert (row["start_customers"], row["retained_customers"]) == (2, 1)
    churn = 1 - 0.5 ** (366 / 184)
    assert row["annual_churn_pct"] == pytest.approx(100 * churn)
    assert row["purchases_per_year"] == pytest.approx(366 / 184)
    assert row["clv"] == pytest.approx(120 * (366 / 184) / churn)


def test_without_a_base_at_the_windows_start_there_is_no_churn_nor_clv(
        tmp_path: Path) -> None:
    """Range ending 2023-12-31: the window is 2023-01-10 (the data's first day) ..
    2023-12-31, 356/365 of a year; no one is in the base the day before the data starts.
    Purchases: F 40, C 200, A 100, B 50, D 90: 5 orders of 5 customers, 480."""
    store, dataset = two_year_shop(tmp_path)
    row = simple_clv(store, dataset, Filters(inactivity_days=90, end=date(2023, 12, 31))
                     ).iloc[0]
    assert row["window_start"] == date(2023, 1, 10)
    assert row["years_covered"] == pytest.approx(356 / 365)
    assert (row["customers"], row["orders"], row["revenue"]) == (5, 5, 480.0)
    assert row["purchases_per_year"] == pytest.approx(365 / 356)
    assert row["start_customers"] == 0
    assert all(is_missing(row[c]) for c in ("annual_churn_pct", "lifespan_years",
                                            "lifespan_capped", "clv"))


def test_a_range_outside_the_data_is_one_sentence(tmp_path: Path) -> None:
    store, dataset = two_year_shop(tmp_path)
    with pytest.raises(InputError, match="The date range holds no orders"):
        simple_clv(store, dataset, Filters(start=date(2025, 1, 1)))


# -- historic CLV -------------------------------------------------------------------------


def test_historic_clv_per_cohort_leaves_out_months_in_progress() -> None:
    """The small shop (tests/test_retention.py): cohorts Jan {A, B, E}, Feb {C}, Mar {D};
    the data ends 2024-04-15, so April is in progress and never counts.

        Jan  month 0: 440/3, 1: (440 + 80)/3, 2: (520 + 60)/3     (3: April, left out)
        Feb  month 0: (30 - 30)/1 = 0 (the refund), 1: 0          (2: April)
        Mar  month 0: 90                                          (1: April)
    """
    store, dataset = small_store()
    curves = historic_clv(store, dataset, Filters(period="week"))  # the period is ignored
    assert list(curves.columns) == list(HISTORIC_CLV_COLUMNS)
    jan, feb, mar = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)
    assert rows(curves, "cohort", "months_since_acquisition", "customers",
                "cumulative_revenue") == [
        (jan, 0, 3, 440.0), (jan, 1, 3, 520.0), (jan, 2, 3, 580.0),
        (feb, 0, 1, 0.0), (feb, 1, 1, 0.0),
        (mar, 0, 1, 90.0),
    ]
    assert list(curves["cumulative_revenue_per_customer"]) == pytest.approx(
        [440 / 3, 520 / 3, 580 / 3, 0, 0, 90])
    assert curves["group_value"].isna().all()
    table = historic_clv_milestones(curves, months=(1, 2, 3))
    assert table.to_dict("records") == [
        {"cohort": jan, "group_value": None, "customers": 3,
         "month_1": pytest.approx(520 / 3), "month_2": pytest.approx(580 / 3),
         "month_3": None},
        {"cohort": feb, "group_value": None, "customers": 1, "month_1": 0.0,
         "month_2": None, "month_3": None},
        {"cohort": mar, "group_value": None, "customers": 1, "month_1": None,
         "month_2": None, "month_3": None},
    ]


def test_historic_clv_by_segment_weights_the_cohorts_that_completed_the_month(
        tmp_path: Path) -> None:
    """The two-year shop by channel; the data ends 2024-12-31, so December 2024 counts.

        store  F (Jan 2023): 40 at months 0..23;  C (Oct 2023): 200 at 0..7, 350 at 8..13,
               600 at 14 (its last month, Dec 2024)
               month 3: (40 + 200)/2 = 120; 6: 120; 12: (40 + 350)/2 = 195;
               15: F only, 40/1; 24: no cohort is that old -> None
        web    A (Nov 2023): 100 at 0..3, 220 at 4..11, 300 at 12..13
               B, D (Dec 2023): 140 at 0..1, 180 at 2..12 (B's 60 - 20 in Feb)
               E (May 2024): 70 at 0..7;  G (Dec 2024): 30 at 0
               month 0: (100 + 140 + 70 + 30)/5 = 68; 3: (100 + 180 + 70)/4 = 87.5;
               6: (220 + 180 + 70)/4 = 117.5; 12: (300 + 180)/3 = 160 (E is too young);
               24: None
    """
    store, dataset = two_year_shop(tmp_path)
    curves = historic_clv(store, dataset, W90, by="channel")
    web = curves[curves["group_value"] == "web"].set_index("months_since_acquisition")
    shop = curves[curves["group_value"] == "store"].set_index("months_since_acquisition")
    assert curves["cohort"].isna().all()
    assert web.loc[0, "cumulative_revenue_per_customer"] == pytest.approx(68.0)
    assert (web.loc[0, "cohorts"], web.loc[0, "customers"]) == (4, 5)
    assert (web.loc[12, "cohorts"], web.loc[12, "customers"]) == (2, 3)
    assert web.index.max() == 13  # A's December 2024
    assert shop.loc[15, "cumulative_revenue_per_customer"] == pytest.approx(40.0)
    assert shop.index.max() == 23  # F's December 2024
    table = historic_clv_milestones(curves)
    assert table.to_dict("records") == [
        {"cohort": None, "group_value": "store", "customers": 2, "month_3": 120.0,
         "month_6": 120.0, "month_12": 195.0, "month_24": None},
        {"cohort": None, "group_value": "web", "customers": 5, "month_3": 87.5,
         "month_6": 117.5, "month_12": 160.0, "month_24": None},
    ]


def test_historic_clv_without_customers_is_empty_not_an_error() -> None:
    store, dataset = small_store()
    nobody = Filters(segments=Filters.segment_items({"channel": ["no such channel"]}))
    for by in (None, "channel"):
        curves = historic_clv(store, dataset, nobody, by=by)
        assert curves.empty and list(curves.columns) == list(HISTORIC_CLV_COLUMNS)
        assert historic_clv_milestones(curves).empty


# -- CAC and CLV:CAC ----------------------------------------------------------------------

QUARTERS = Filters(period="quarter", start=date(2023, 10, 1), end=date(2024, 6, 30))
Q4, Q1, Q2 = date(2023, 10, 1), date(2024, 1, 1), date(2024, 4, 1)


def test_cac_by_quarter_and_channel(tmp_path: Path) -> None:
    """Quarters 2023-Q4 .. 2024-Q2. New customers (first purchase): Q4 C (store), A, B, D
    (web); Q1 none; Q2 E (web). Spend in the range: Q4 Web 300, store 150, no channel 50;
    Q1 web 200, tv 60; Q2 none (unknown, not 0). "Web" and "web" are one channel, named as
    the spend file first writes it (the alphabetically first spelling, "Web").

        quarter  channel  spend  new  CAC
        Q4       all      500    4    125
                 store    150    1    150
                 tv       0      0    -
                 Web      300    3    100
        Q1       all      260    0    -      (spend but no new customers)
                 store    0      0    -
                 tv       60     0    -
                 Web      200    0    -
        Q2       all      -      1    -      (new customers but no spend data)
                 store    -      0    -
                 tv       -      0    -
                 Web      -      1    -
    """
    store, dataset = two_year_shop(tmp_path, spend=True)
    assert acquisition_channel_source(dataset) == "orders"
    table = customer_acquisition_cost(store, dataset, QUARTERS)
    assert list(table.columns) == list(CAC_COLUMNS)
    expected = [
        (Q4, None, 500.0, 4, 125.0), (Q4, "store", 150.0, 1, 150.0),
        (Q4, "tv", 0.0, 0, None), (Q4, "Web", 300.0, 3, 100.0),
        (Q1, None, 260.0, 0, None), (Q1, "store", 0.0, 0, None),
        (Q1, "tv", 60.0, 0, None), (Q1, "Web", 200.0, 0, None),
        (Q2, None, None, 1, None), (Q2, "store", None, 0, None),
        (Q2, "tv", None, 0, None), (Q2, "Web", None, 1, None),
    ]
    got = rows(table, "period_start", "channel", "spend", "new_customers", "cac")
    assert len(got) == len(expected)
    for actual, wanted in zip(got, expected, strict=True):
        assert actual[:2] == wanted[:2] and actual[3] == wanted[3], actual
        for value, want in ((actual[2], wanted[2]), (actual[4], wanted[4])):
            assert is_missing(value) if want is None else value == pytest.approx(want), actual
    assert table["complete"].all()


def test_cac_over_the_range_and_clv_to_cac(tmp_path: Path) -> None:
    """Over the quarters with known spend (Q4, Q1; E, acquired in Q2, is left out):
    all 760 / 4 = 190; store 150 / 1 = 150; tv 60 / 0 -> none; Web 500 / 3.

    CLV:CAC with the 2024 simple CLV (overall 296; web 127.5; store 4000):
    all 296 / 190 = 1.56 (below 3:1); store 4000 / 150 = 26.7 (above); Web 127.5 / (500/3)
    = 0.765 (below); tv no CAC -> none. One CLV of 570 for every row: all 570 / 190 = 3.0
    exactly meets the rule of thumb.
    """
    store, dataset = two_year_shop(tmp_path, spend=True)
    totals = cac_totals(customer_acquisition_cost(store, dataset, QUARTERS))
    assert rows(totals, "channel", "periods", "spend", "new_customers") == [
        (None, 2, 760.0, 4), ("store", 2, 150.0, 1), ("tv", 2, 60.0, 0),
        ("Web", 2, 500.0, 3)]
    assert list(totals["cac"]) == [pytest.approx(190.0), pytest.approx(150.0), None,
                                   pytest.approx(500 / 3)]
    clv = pd.concat([simple_clv(store, dataset, W90),
                     simple_clv(store, dataset, W90, by="channel")])
    ratios = clv_cac_ratio(totals, clv)
    assert list(ratios["clv"]) == [pytest.approx(296.0), pytest.approx(4000.0), None,
                                   pytest.approx(127.5)]
    assert list(ratios["clv_cac_ratio"]) == [pytest.approx(296 / 190),
                                             pytest.approx(4000 / 150), None,
                                             pytest.approx(0.765)]
    assert list(ratios["meets_rule_of_thumb"]) == [False, True, None, False]
    one_clv = clv_cac_ratio(totals, 570.0)
    assert one_clv["clv_cac_ratio"].iloc[0] == 3.0
    assert list(one_clv["meets_rule_of_thumb"]) == [True, True, None, True]
    by_mapping = clv_cac_ratio(totals, {"WEB ": 500.0})
    assert list(by_mapping["clv_cac_ratio"]) == [None, None, None, pytest.approx(3.0)]


def test_cac_channels_from_the_customers_table(tmp_path: Path) -> None:
    """Orders without a channel; the customers table says P came from "Ads", Q from
    "referral"; R has no row. Spend: January ads 100, February referral 40.

        month  channel   spend  new         CAC
        Jan    all       100    2 (P, Q)    50
               ads       100    1 (P)       100
               referral  0      1 (Q)       0
        Feb    all       40     1 (R)       40
               ads       0      0           -
               referral  40     0           -
    Without the customers table there is no channel split: only the "all" rows.
    """
    store = Store(":memory:")
    orders = write_csv(tmp_path / "orders.csv", ("Customer ID", "Order date", "Amount"),
                       [("P", "2024-01-05", "10"), ("Q", "2024-01-20", "20"),
                        ("R", "2024-02-03", "30")])
    spend = write_csv(tmp_path / "spend.csv", ("Date", "Amount", "Channel"),
                      [("2024-01-01", "100", "ads"), ("2024-02-01", "40", "referral")])
    ingest_file(store, orders, dataset="Shop")
    ingest_file(store, spend, dataset="Shop", kind="spend")
    dataset = store.dataset("Shop")
    assert acquisition_channel_source(dataset) is None
    alone = customer_acquisition_cost(store, dataset, Filters())
    assert rows(alone, "channel", "spend", "new_customers", "cac") == [
        (None, 100.0, 2, 50.0), (None, 40.0, 1, 40.0)]
    ingest_file(store, write_csv(tmp_path / "customers.csv",
                                 ("Customer ID", "Acquisition channel"),
                                 [("P", "Ads"), ("Q", "referral")]),
                dataset="Shop", kind="customers")
    dataset = store.dataset("Shop")
    assert acquisition_channel_source(dataset) == "customers"
    table = customer_acquisition_cost(store, dataset, Filters())
    got = rows(table, "channel", "spend", "new_customers", "cac")
    assert got[:3] == [(None, 100.0, 2, 50.0), ("ads", 100.0, 1, 100.0),
                       ("referral", 0.0, 1, 0.0)]
    assert got[3][:3] == (None, 40.0, 1) and got[3][3] == 40.0
    assert [r[:3] for r in got[4:]] == [("ads", 0.0, 0), ("referral", 40.0, 0)]
    assert all(is_missing(r[3]) for r in got[4:])


def test_cac_needs_spend_and_new_customers(tmp_path: Path) -> None:
    store, dataset = two_year_shop(tmp_path)
    with pytest.raises(InputError, match="has no marketing spend: upload a spend file"):
        customer_acquisition_cost(store, dataset, QUARTERS)
    store, dataset = two_year_shop(tmp_path, spend=True)
    first_quarter = Filters(period="quarter", start=date(2024, 1, 1), end=date(2024, 3, 31))
    with pytest.raises(InputError, match="No customer made a first purchase in the chosen"):
        customer_acquisition_cost(store, dataset, first_quarter)
