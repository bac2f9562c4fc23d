"""Retention page metrics against values worked out by hand on ``data/orders_small.csv``.

    A  web    2024-01-05 100, 01-20 50, 02-10 80, 03-25 60
    B  store  2024-01-10 200, 04-15 40           (gone Feb-Mar, resurrected in April)
    C  web    2024-02-03 30, refund 02-05 -30    (never active after its first month)
    D  web    2024-03-01 70, 03-02 20
    E  store  2024-01-31 90

Monthly cohorts (period of the first purchase): Jan {A, B, E}, Feb {C}, Mar {D}. The data
ends 2024-04-15, so April is in progress.

    cohort  size  offset 0            1              2             3 (April, in progress)
    Jan     3     A B E  440          A  80          A  60         B  40
    Feb     1     C      30-30 = 0    -  0           -  0 (in progress)
    Mar     1     D      90           -  0 (in progress)

Unbounded ("last purchase in c + k or later"): last purchase offsets A 2, B 3, E 0, so
the Jan cohort keeps 3, 2, 2, 1 customers at offsets 0..3.

Average curve, each cohort weighted by its size, only cohorts that completed the period:
offset 1 = (1 + 0) / (3 + 1) = 25% (Jan and Feb; Mar's April is in progress), offset 2 =
1 / 3 (Jan only), offset 3: no cohort has completed it.

Lifecycle (active months: A Jan Feb Mar, B Jan Apr, C Feb, D Mar, E Jan):

    month  new      returning  resurrected  dormant
    Jan    A B E    -          -            -
    Feb    C        A          -            B E
    Mar    D        A          -            C
    Apr    -        -          B            A D
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics.cli import main
from metrics.errors import InputError
from metrics.ingest import ingest_file
from metrics.query.filters import Filters
from metrics.retention import (
    cohort_average,
    cohort_table,
    lifecycle_table,
    retention_table,
)
from metrics.store import DB_ENV_VAR, Dataset, Store
from tests.builders import cdnow_csv, small_store, write_csv
from tests.test_app import open_app

MONTHLY = Filters(period="month", inactivity_days=30)
JAN, FEB, MAR = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)


def cells(frame, *columns: str) -> dict[tuple[date, int], tuple]:
    return {(row.cohort, row.period_offset): tuple(getattr(row, c) for c in columns)
            for row in frame.itertuples()}


def test_classic_cohort_cells_sizes_revenue_and_in_progress_marks() -> None:
    store, dataset = small_store()
    table = cohort_table(store, dataset, MONTHLY)
    assert cells(table, "cohort_size", "active_customers", "revenue", "complete") == {
        (JAN, 0): (3, 3, 440.0, True), (JAN, 1): (3, 1, 80.0, True),
        (JAN, 2): (3, 1, 60.0, True), (JAN, 3): (3, 1, 40.0, False),
        # the refund nets C's first month to 0 and makes no one active later
        (FEB, 0): (1, 1, 0.0, True), (FEB, 1): (1, 0, 0.0, True), (FEB, 2): (1, 0, 0.0, False),
        (MAR, 0): (1, 1, 90.0, True), (MAR, 1): (1, 0, 0.0, False),
    }
    jan = table[table["cohort"] == JAN]
    assert list(jan["retention_pct"]) == pytest.approx([100, 100 / 3, 100 / 3, 100 / 3])
    # cumulative revenue per customer: 440/3, 520/3, 580/3, 620/3
    assert list(jan["cumulative_revenue_per_customer"]) == pytest.approx(
        [440 / 3, 520 / 3, 580 / 3, 620 / 3])
    assert table["small_cohort"].all()  # every cohort is under 30 customers
    assert not cohort_table(store, dataset, MONTHLY, min_cohort_size=2)[
        lambda f: f["cohort"] == JAN]["small_cohort"].any()


def test_unbounded_retention_counts_customers_who_buy_in_that_period_or_later() -> None:
    store, dataset = small_store()
    table = cohort_table(store, dataset, MONTHLY, unbounded=True)
    jan = table[table["cohort"] == JAN]
    assert list(jan["active_or_later"]) == [3, 2, 2, 1]
    assert list(jan["retention_pct"]) == pytest.approx([100, 200 / 3, 200 / 3, 100 / 3])


def test_revenue_retention_is_revenue_over_the_first_period_revenue() -> None:
    store, dataset = small_store()
    table = cohort_table(store, dataset, MONTHLY, metric="revenue")
    jan = table[table["cohort"] == JAN]
    assert list(jan["retention_pct"]) == pytest.approx([100, 80 / 4.4, 60 / 4.4, 40 / 4.4])
    feb = table[table["cohort"] == FEB]  # first-month revenue 0: no ratio, not a crash
    assert all(math.isnan(v) for v in feb["retention_pct"])
    with pytest.raises(InputError, match="Unbounded retention counts customers"):
        cohort_table(store, dataset, MONTHLY, metric="revenue", unbounded=True)


def test_the_average_weights_cohorts_by_size_and_skips_periods_in_progress() -> None:
    store, dataset = small_store()
    average = cohort_average(cohort_table(store, dataset, MONTHLY))
    assert list(average["period_offset"]) == [0, 1, 2]
    assert list(average["cohorts"]) == [3, 2, 1]
    assert list(average["customers"]) == [5, 4, 3]
    assert list(average["retention_pct"]) == pytest.approx([100, 25, 100 / 3])


def test_cohorts_split_by_the_segment_of_the_first_purchase() -> None:
    store, dataset = small_store()
    table = cohort_table(store, dataset, MONTHLY, by="channel")
    jan_store = table[(table["cohort"] == JAN) & (table["group_value"] == "store")]
    assert list(jan_store["cohort_size"].unique()) == [2]  # B and E
    assert list(jan_store["active_customers"]) == [2, 0, 0, 1]  # B comes back in April
    curves = cohort_average(table)
    web = curves[curves["group_value"] == "web"]
    # web cohorts: Jan {A} active 1, 1, (Apr in progress); Feb {C} 0, (Apr); Mar {D} (Apr)
    assert list(web["retention_pct"]) == pytest.approx([100, 50, 100])


def test_a_segment_filter_that_empties_cohorts_leaves_only_the_others() -> None:
    store, dataset = small_store()
    only_store = Filters(period="month", inactivity_days=30,
                         segments=Filters.segment_items({"channel": ["store"]}))
    table = cohort_table(store, dataset, only_store)
    assert set(table["cohort"]) == {JAN}  # C (Feb) and D (Mar) buy on the web only
    assert list(table["active_customers"]) == [2, 0, 0, 1]
    assert list(table["revenue"]) == [290.0, 0.0, 0.0, 40.0]
    nothing = Filters(period="month", start=date(2024, 2, 1), end=date(2024, 3, 31),
                      segments=Filters.segment_items({"channel": ["store"]}))
    assert cohort_table(store, dataset, nothing).empty
    assert cohort_average(cohort_table(store, dataset, nothing)).empty


def test_the_date_range_picks_cohorts_and_the_last_period_shown() -> None:
    store, dataset = small_store()
    table = cohort_table(store, dataset, Filters(period="month", start=date(2024, 2, 1),
                                                 end=date(2024, 3, 31)))
    assert sorted(set(table["cohort"])) == [FEB, MAR]
    assert table["period_start"].max() == MAR


def test_lifecycle_new_returning_resurrected_dormant() -> None:
    store, dataset = small_store()
    table = lifecycle_table(store, dataset, MONTHLY)
    assert list(table["period_start"]) == [JAN, FEB, MAR, date(2024, 4, 1)]
    assert list(table["new_customers"]) == [3, 1, 1, 0]
    assert list(table["returning_customers"]) == [0, 1, 1, 0]
    assert list(table["resurrected_customers"]) == [0, 0, 0, 1]
    assert list(table["dormant_customers"]) == [0, 2, 1, 2]
    # quick ratio (new + resurrected) / dormant: Feb 1/2, Mar 1/1, Apr 1/2
    assert list(table["quick_ratio"])[1:] == pytest.approx([0.5, 1.0, 0.5])
    assert list(table["complete"]) == [False, True, True, False]


def test_the_orders_base_is_the_overview_base() -> None:
    store, dataset = small_store()
    table = retention_table(store, dataset, MONTHLY)
    assert list(table["start_customers"]) == [0, 3, 3, 2]
    # April measured on the data's last day, Apr 15 (tests/test_kpis.py)
    assert list(table["churned_customers"]) == [0, 1, 2, 0]
    assert list(table["strict_retention_rate"])[1:] == pytest.approx([200 / 3, 100 / 3, 50])


def test_the_base_from_subscriptions(tmp_path: Path) -> None:
    """Subscriptions (the end date is the last day subscribed):

        P  2024-01-10 .. 2024-02-15
        Q  2024-01-20 .. (open)
        R  2024-02-05 .. 2024-02-20, again 2024-03-10 .. (open)
        S  2024-03-31 .. 2024-03-31

    Base on each month's last day: Dec 31 {}, Jan 31 {P, Q}, Feb 29 {Q}, Mar 31 {Q, R, S}.
    New (first start): Jan {P, Q}, Feb {R}, Mar {S}.

        month  S  N  E  retained  CRR=(E-N)/S   churn=(S+N-E)/S  strict
        Feb    2  1  1  1 {Q}     0/2 = 0       2/2 = 100        1/2 = 50
        Mar    1  1  3  1 {Q}     2/1 = 200     -1/1 = -100      1/1 = 100

    In March R came back (a second subscription): the seed CRR counts R and reads 200%.
    """
    store = Store(":memory:")
    ingest_file(store, _orders(tmp_path), dataset="Boxes")
    ingest_file(store, write_csv(
        tmp_path / "subs.csv", ("Customer ID", "Start date", "End date"),
        [("P", "2024-01-10", "2024-02-15"), ("Q", "2024-01-20", ""),
         ("R", "2024-02-05", "2024-02-20"), ("R", "2024-03-10", ""),
         ("S", "2024-03-31", "2024-03-31")]), dataset="Boxes", kind="subscriptions")
    dataset = store.dataset("Boxes")
    table = retention_table(store, dataset, Filters(period="month", start=date(2024, 2, 1),
                                                    end=date(2024, 3, 31)))
    assert list(table["period_start"]) == [FEB, MAR]
    assert list(table["start_customers"]) == [2, 1]
    assert list(table["new_customers"]) == [1, 1]
    assert list(table["end_customers"]) == [1, 3]
    assert list(table["retained_customers"]) == [1, 1]
    assert list(table["retention_rate"]) == pytest.approx([0, 200])
    assert list(table["churn_rate"]) == pytest.approx([100, -100])
    assert list(table["strict_retention_rate"]) == pytest.approx([50, 100])
    orders_base = retention_table(store, dataset, MONTHLY, base="orders")
    assert list(orders_base["end_customers"]) == [1]  # P's single January order


def _orders(folder: Path) -> Path:
    return write_csv(folder / "orders.csv", ("Customer ID", "Order date", "Amount"),
                     [("P", "2024-01-10", "20")])


def test_without_subscriptions_the_subscription_base_is_refused() -> None:
    store, dataset = small_store()
    with pytest.raises(InputError, match="has no subscriptions"):
        retention_table(store, dataset, MONTHLY, base="subscriptions")


def test_an_unknown_split_is_one_sentence() -> None:
    store, dataset = small_store()
    with pytest.raises(InputError, match="“Colour” is not a segment of the dataset"):
        cohort_table(store, dataset, MONTHLY, by="Colour")


def without_history(dataset: Dataset) -> Dataset:
    """The dataset as one stored before the purchase history existed (forces the general
    cohort query)."""
    orders = dataclasses.replace(dataset.tables["orders"], columns=("customer_id",))
    return dataclasses.replace(dataset, tables=dataset.tables | {"orders": orders})


@pytest.mark.parametrize(("period", "start", "end", "by", "unbounded"), [
    ("month", None, None, None, False),
    ("month", None, None, None, True),
    ("week", date(1997, 3, 1), date(1997, 9, 30), None, True),
    ("quarter", None, date(1998, 3, 31), "basket", False),
])
def test_the_stored_history_gives_the_same_cohorts_as_the_orders(
        tmp_path: Path, period: str, start: date | None, end: date | None, by: str | None,
        unbounded: bool) -> None:
    # CDNOW: 23,570 customers acquired in Q1 1997, many with several orders on one day;
    # the refund is in the small shop (the tests above take the stored history's path),
    # and a segment that changes from order to order: one CD or several.
    with cdnow_csv(tmp_path).open(encoding="utf-8") as source:
        rows = [(c, d, n, a, "single" if n == "1" else "several")
                for c, d, n, a in list(csv.reader(source))[1:]]
    path = write_csv(tmp_path / "cdnow-basket.csv",
                     ("customer_id", "date", "cds", "amount", "basket"), rows)
    store = Store(":memory:")
    ingest_file(store, path, dataset="CDNOW")
    dataset = store.dataset("CDNOW")
    assert dataset.has_purchase_history
    filters = Filters(period=period, start=start, end=end)  # type: ignore[arg-type]
    fast = cohort_table(store, dataset, filters, unbounded=unbounded, by=by)
    general = cohort_table(store, without_history(dataset), filters, unbounded=unbounded,
                           by=by)
    assert len(fast) >= 10
    pd.testing.assert_frame_equal(fast, general)


# -- segment columns of a subscriptions file ---------------------------------------------

PLANS = [("P", "2024-01-10", "2024-02-15", "Monthly"), ("Q", "2024-01-20", "", "One year"),
         ("R", "2024-02-05", "2024-02-20", "Monthly"), ("R", "2024-03-10", "", "One year"),
         ("S", "2024-03-31", "2024-03-31", "Monthly")]


def plans_db(folder: Path) -> Path:
    """Orders P 01-10, Q 01-20, R 02-05 and the subscriptions of :data:`PLANS`, whose
    ``plan`` the ingest reports as a segment column."""
    db = folder / "plans.duckdb"
    with Store(db) as store:
        ingest_file(store, write_csv(folder / "orders.csv", ("customer_id", "date", "amount"),
                                     [("P", "2024-01-10", 20), ("Q", "2024-01-20", 30),
                                      ("R", "2024-02-05", 25)]), dataset="Boxes")
        report = ingest_file(store, write_csv(folder / "subs.csv", ("customer_id",
                                                                     "start_date", "end_date",
                                                                     "plan"), PLANS),
                             dataset="Boxes", kind="subscriptions")
    assert report.segment_columns == ["plan"]
    return db


def test_a_subscription_plan_filters_and_splits_in_the_cli(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The subscription base of the "One year" subscriptions (Q from 01-20, R from 03-10):
    month ends Jan {Q}, Feb {Q}, Mar {Q, R}; new Jan Q, Mar R.

        month  S  N  E  retained   CRR
        Jan    0  1  1  0          -
        Feb    1  0  1  1 {Q}      (1 - 0) / 1 = 100
        Mar    1  1  2  1 {Q}      (2 - 1) / 1 = 100

    The orders' base of the customers with a Monthly subscription (P, R, S; S has no
    order), W = 90: Jan {P} new; Feb, to the data's last day 02-05: {P, R}, R new.
    Cohorts split by the plan of the customer's first subscription: January P Monthly and
    Q One year, February R Monthly (his first subscription, before the One-year one).
    """
    db = str(plans_db(tmp_path))

    def cli(*args: str) -> list[dict[str, object]]:
        assert main(["--db", db, *args]) == 0, capsys.readouterr().err
        rows = json.loads(capsys.readouterr().out)
        assert isinstance(rows, list)
        return rows

    # the column as the ingest report names it, and its key
    for name in ("plan", "subscriptions.plan"):
        rows = cli("retention", "--dataset", "Boxes", "--segment", f"{name}=One year")
        assert [[r["start_customers"], r["new_customers"], r["end_customers"],
                 r["retained_customers"]] for r in rows] == [[0, 1, 1, 0], [1, 0, 1, 1],
                                                             [1, 1, 2, 1]]
        assert [r["retention_rate"] for r in rows] == [None, 100.0, 100.0]
    rows = cli("retention", "--dataset", "Boxes", "--base", "orders", "--segment",
               "plan=Monthly")
    assert [[r["new_customers"], r["end_customers"]] for r in rows] == [[1, 1], [1, 2]]
    rows = cli("cohorts", "--dataset", "Boxes", "--by", "plan")
    assert sorted((r["cohort"], r["subscriptions.plan"], r["cohort_size"]) for r in rows
                  if r["period_offset"] == 0) == [("2024-01-01", "Monthly", 1),
                                                  ("2024-01-01", "One year", 1),
                                                  ("2024-02-01", "Monthly", 1)]
    # customers with an order and a subscription of the plan: Monthly P, R; One year Q, R
    rows = cli("segments", "--dataset", "Boxes", "--by", "plan")
    assert {r["subscriptions.plan"]: r["customers"] for r in rows} == {"Monthly": 2,
                                                                      "One year": 2}


def test_a_subscription_plan_is_a_sidebar_filter(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    db = plans_db(tmp_path)
    monkeypatch.setenv(DB_ENV_VAR, str(db))
    app = open_app({"seg.subscriptions.plan": "One year"}, page="app_pages/retention.py")
    assert not app.warning, [w.value for w in app.warning]
    assert app.multiselect(key="seg.subscriptions.plan").value == ["One year"]
    # the rates table of the One-year subscriptions over the sidebar's dates (the orders',
    # January and February), latest first: Feb {Q}, Jan {Q} (all plans: Feb {Q}, Jan {P, Q})
    table = app.dataframe[0].value
    assert list(table["Customers in the base"]) == [1, 1]
