"""Drivers of a change (metrics/drivers.py) against values worked out by hand.

Churn by channel, February against March 2024, W = 30 days (in the base on day t: a
purchase in [t - 30, t]); a customer's channel is their first purchase's:

    web    w1 01-20 02-15 03-10    w2 01-25 02-20    w3 01-10    w4 01-05 02-01
    store  s1 01-15 02-10 03-05    s2 01-30 02-25    s3 01-28
    app    a1 02-05                a2 02-20          (first purchases in February)
    phone  p1 03-10 03-31                            (first purchase in March)

Base on Jan 31 (S of Feb): w1 w2 w3 w4 s1 s2 s3 = 7; Feb 29 (E of Feb, S of Mar): w1 w2
w4 s1 s2 a1 a2 = 7 (w3: 50 days, s3: 32 days); Mar 31 (E of Mar): w1 s1 p1 = 3.
New: Feb a1 a2, Mar p1.

    churn = (S + N - E) / S      Feb                    Mar
    web                          (4 + 0 - 3)/4 = 25%    (3 + 0 - 1)/3 = 66.67%
    store                        (3 + 0 - 2)/3 = 33.3%  (2 + 0 - 1)/2 = 50%
    app (only in March: S = 0)   -                      (2 + 0 - 0)/2 = 100%
    phone (S = 0 in both)        -                      -  (no row)
    total                        (7 + 2 - 7)/7 = 2/7    (7 + 1 - 3)/7 = 5/7
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from scipy.stats import chi2_contingency

from metrics.drivers import (
    DRIVER_COLUMNS,
    DRIVER_METRICS,
    all_drivers,
    cohort_summary,
    cohort_view,
    drivers,
    summary,
)
from metrics.errors import InputError
from metrics.ingest import ingest_file
from metrics.kpis import kpi_table
from metrics.query.filters import Filters
from metrics.query.segments import COHORT_SPLIT
from metrics.satisfaction import nps_table
from metrics.store import Dataset, Store
from tests.builders import cdnow_csv, write_csv

ORDERS = [
    ("w1", "2024-01-20", "10", "web"), ("w1", "2024-02-15", "10", "web"),
    ("w1", "2024-03-10", "10", "web"),
    ("w2", "2024-01-25", "10", "web"), ("w2", "2024-02-20", "10", "web"),
    ("w3", "2024-01-10", "10", "web"),
    ("w4", "2024-01-05", "10", "web"), ("w4", "2024-02-01", "10", "web"),
    ("s1", "2024-01-15", "10", "store"), ("s1", "2024-02-10", "10", "store"),
    ("s1", "2024-03-05", "10", "store"),
    ("s2", "2024-01-30", "10", "store"), ("s2", "2024-02-25", "10", "store"),
    ("s3", "2024-01-28", "10", "store"),
    ("a1", "2024-02-05", "10", "app"),
    ("a2", "2024-02-20", "10", "app"),
    ("p1", "2024-03-10", "10", "phone"), ("p1", "2024-03-31", "10", "phone"),
]
MONTHS = Filters(period="month", inactivity_days=30)
MARCH, FEBRUARY = date(2024, 3, 1), date(2024, 2, 1)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Dataset]:
    folder = tmp_path_factory.mktemp("drivers")
    store = Store(":memory:")
    ingest_file(store, write_csv(folder / "o.csv", ("customer_id", "order_date", "amount",
                                                    "channel"), ORDERS), dataset="Shop")
    return store, store.dataset("Shop")


def by_value(found: object) -> dict[str, dict[str, object]]:
    records = found.records  # type: ignore[attr-defined]
    return {row["value"]: row for row in records.to_dict("records")}


def test_churn_split_by_channel_by_hand(shop: tuple[Store, Dataset]) -> None:
    """Kitagawa: mix = (s1 - s0)(r0 + r1)/2, rate = (r1 - r0)(s0 + s1)/2.

    web:   s0 = 4/7, s1 = 3/7, r0 = 25, r1 = 200/3
           mix  = (-1/7)(25 + 200/3)/2 = (-1/7)(275/6) = -275/42 = -6.548
           rate = (200/3 - 25)(7/7)/2 = (125/3)/2 = 125/6 = 20.833
           contribution = 125/6 - 275/42 = 600/42 = 100/7 = 14.286
    store: s0 = 3/7, s1 = 2/7, r0 = 100/3, r1 = 50
           mix  = (-1/7)(100/3 + 50)/2 = -125/21;  rate = (50/3)(5/7)/2 = 125/21
           contribution = 0
    app:   s0 = 0, s1 = 2/7, r0 taken = r1 = 100 (no base in February)
           mix  = (2/7)(100 + 100)/2 = 200/7 = 28.571;  rate = 0
    phone: S = 0 in both months: no row.
    Sum: 100/7 + 0 + 200/7 = 300/7 = 5/7 - 2/7 in percent: the total change.
    """
    store, dataset = shop
    found = drivers(store, dataset, MONTHS, "churn_rate", "channel", MARCH)
    assert list(found.records.columns) == list(DRIVER_COLUMNS)
    assert (found.period_before, found.period_after) == (FEBRUARY, MARCH)
    assert found.rate_before == pytest.approx(200 / 7)
    assert found.rate_after == pytest.approx(500 / 7)
    # ranked by |contribution|: app, web, store; phone has no row
    assert found.records["value"].tolist() == ["app", "web", "store"]
    rows = by_value(found)
    expected = {  # share_before, share_after, rate_before, rate_after, mix, rate
        "web": (4 / 7, 3 / 7, 25.0, 200 / 3, -275 / 42, 125 / 6),
        "store": (3 / 7, 2 / 7, 100 / 3, 50.0, -125 / 21, 125 / 21),
        "app": (0.0, 2 / 7, None, 100.0, 200 / 7, 0.0),
    }
    for value, (s0, s1, r0, r1, mix, rate) in expected.items():
        row = rows[value]
        assert row["share_before"] == pytest.approx(s0)
        assert row["share_after"] == pytest.approx(s1)
        assert row["rate_before"] == (None if r0 is None else pytest.approx(r0))
        assert row["rate_after"] == pytest.approx(r1)
        assert row["mix_effect"] == pytest.approx(mix)
        assert row["rate_effect"] == pytest.approx(rate, abs=1e-9)
        assert row["contribution"] == pytest.approx(mix + rate, abs=1e-9)
    # the parts add up to the total change, to the cent (and far below)
    assert found.records["contribution"].sum() == pytest.approx(300 / 7, abs=1e-9)
    assert found.change == pytest.approx(300 / 7)


def test_totals_match_the_kpi_table(shop: tuple[Store, Dataset]) -> None:
    """The weighted rates of the groups are the unsplit KPI's, for every rate KPI."""
    store, dataset = shop
    kpis = kpi_table(store, dataset, MONTHS).set_index("period_start")
    for metric_id in ("retention_rate", "strict_retention_rate", "churn_rate",
                      "repeat_purchase_rate", "aov"):
        found = drivers(store, dataset, MONTHS, metric_id, "channel", MARCH, FEBRUARY)
        assert found.rate_before == pytest.approx(kpis.loc[FEBRUARY, metric_id])
        assert found.rate_after == pytest.approx(kpis.loc[MARCH, metric_id])
        assert found.records["contribution"].sum() == pytest.approx(found.change, abs=1e-9)


def test_each_value_gets_the_cards_test(shop: tuple[Store, Dataset]) -> None:
    """The churn card tests lost customers of S with the two-proportion z-test, whose
    z² is Pearson's chi-square without continuity correction: web lost 1 of 4 in
    February (w3), 2 of 3 in March (w2, w4)."""
    store, dataset = shop
    web = by_value(drivers(store, dataset, MONTHS, "churn_rate", "channel", MARCH))["web"]
    expected = chi2_contingency([[2, 1], [1, 3]], correction=False).pvalue
    assert web["p_value"] == pytest.approx(expected)
    assert web["significant"] is False
    assert web["change_test"] == "two-proportion z-test"


def test_summary_names_the_largest_driver(shop: tuple[Store, Dataset]) -> None:
    store, dataset = shop
    found = drivers(store, dataset, MONTHS, "churn_rate", "channel", MARCH)
    # 200/7 = 28.57, 500/7 = 71.43, 300/7 = 42.86; the mix effects sum to
    # -275/42 - 125/21 + 200/7 = 675/42 = 16.07 pp, more than a tenth of the change
    assert summary(found) == (
        "Churn rate rose 42.9 pp, from 28.6% to 71.4%; +28.6 pp of it from channel “app”, "
        "where it went from none to 100.0%; shifts in the mix of channel account for "
        "+16.1 pp.")


def test_wrong_choices_are_one_sentence(shop: tuple[Store, Dataset]) -> None:
    store, dataset = shop
    with pytest.raises(InputError, match="cannot be split into drivers"):
        drivers(store, dataset, MONTHS, "revenue", "channel", MARCH)
    with pytest.raises(InputError, match="is not a segment"):
        drivers(store, dataset, MONTHS, "churn_rate", "colour", MARCH)
    with pytest.raises(InputError, match="must come before"):
        drivers(store, dataset, MONTHS, "churn_rate", "channel", FEBRUARY, MARCH)
    with pytest.raises(InputError, match="undefined"):  # January: S = 0
        drivers(store, dataset, MONTHS, "churn_rate", "channel", FEBRUARY)


# -- NPS on a hand-built survey -------------------------------------------------------------

# February: email 10 9 3 8 (2 promoters, 1 detractor of 4: NPS 25), web 10 6 (1, 1 of 2: 0)
# March:    email 10 10 (NPS 100),  web 9 5 4 2 (1 promoter, 3 detractors of 4: -50)
SURVEY = [(f"2024-02-0{day}", score, touchpoint) for day, score, touchpoint in (
    (1, "10", "email"), (2, "9", "email"), (3, "3", "email"), (4, "8", "email"),
    (5, "10", "web"), (6, "6", "web"))] + [
    (f"2024-03-0{day}", score, touchpoint) for day, score, touchpoint in (
        (1, "10", "email"), (2, "10", "email"),
        (3, "9", "web"), (4, "5", "web"), (5, "4", "web"), (6, "2", "web"))] + [
    ("2024-03-31", "", "web")]  # the responses run to the end of March, no score


def test_nps_drivers_by_hand(tmp_path: Path) -> None:
    """NPS: February 3 promoters, 2 detractors of 6 = 16.67; March 3 and 3 of 6 = 0.

    email: s0 = 4/6, s1 = 2/6, r0 = 25, r1 = 100
           mix = (-2/6)(125/2) = -125/6 = -20.83;  rate = 75 (6/6)/2 = 37.5
           contribution = 50/3 = 16.67
    web:   s0 = 2/6, s1 = 4/6, r0 = 0, r1 = -50
           mix = (2/6)(-50/2) = -25/3 = -8.33;  rate = -50 (1/2) = -25
           contribution = -100/3 = -33.33
    Sum: -50/3 = 0 - 16.67.
    """
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "r.csv", ("Date", "NPS", "Touchpoint"), SURVEY),
                dataset="Survey", kind="responses")
    dataset = store.dataset("Survey")
    found = drivers(store, dataset, Filters(), "nps", "Touchpoint", MARCH)
    assert found.records["value"].tolist() == ["web", "email"]
    rows = by_value(found)
    assert (rows["email"]["mix_effect"], rows["email"]["rate_effect"]) == (
        pytest.approx(-125 / 6), pytest.approx(37.5))
    assert (rows["web"]["mix_effect"], rows["web"]["rate_effect"]) == (
        pytest.approx(-25 / 3), pytest.approx(-25.0))
    assert found.change == pytest.approx(-50 / 3)
    assert found.records["contribution"].sum() == pytest.approx(-50 / 3, abs=1e-9)
    table = nps_table(store, dataset, Filters()).set_index("period_start")
    assert found.rate_before == pytest.approx(table.loc[FEBRUARY, "nps"])


def test_every_driver_metric_adds_up_on_the_demo(demo_store: Store) -> None:
    dataset = demo_store.datasets()[0]
    for metric_id in DRIVER_METRICS:
        found = drivers(demo_store, dataset, Filters(), metric_id, "channel",
                        date(2025, 3, 1))
        assert found.records["contribution"].sum() == pytest.approx(found.change, abs=1e-9)


# -- CDNOW with a planted effect -----------------------------------------------------------


def test_cdnow_drivers_name_the_planted_segment(tmp_path: Path) -> None:
    """CDNOW's customers in four synthetic groups by id (id mod 4); group "planted" loses
    every order after 1997-06-30, so with W = 90 each of its customers still in the base on
    Aug 31 leaves in September: its churn jumps, the others' move as they did."""
    source = cdnow_csv(tmp_path)
    names = {0: "north", 1: "south", 2: "planted", 3: "east"}
    rows = []
    with source.open(encoding="utf-8") as file:
        next(file)
        for line in file:
            customer, day, cds, amount = line.strip().split(",")
            group = names[int(customer) % 4]
            if group == "planted" and day > "19970630":
                continue
            rows.append((customer, day, cds, amount, group))
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "planted.csv", ("customer_id", "date", "cds",
                                                             "amount", "region"), rows),
                dataset="CDNOW")
    dataset = store.dataset("CDNOW")
    filters = Filters(period="month", inactivity_days=90)
    found = drivers(store, dataset, filters, "churn_rate", "region", date(1997, 9, 1))
    top = found.records.iloc[0]
    assert top["value"] == "planted"
    assert top["rate_after"] == pytest.approx(100.0)
    assert top["rate_effect"] > 0 and top["significant"] is True
    assert all_drivers(store, dataset, filters, "churn_rate", date(1997, 9, 1))[0].segment \
        == "region"


# -- cohort or calendar? -------------------------------------------------------------------


def test_churn_split_by_cohort_by_hand(shop: tuple[Store, Dataset]) -> None:
    """Cohorts by first purchase month: January w1-w4, s1-s3; February a1, a2; March p1.

    January: February S = 7, E = 5 (w1 w2 w4 s1 s2): churn 2/7;
             March S = 5, E = 2 (w1 s1): churn 3/5 = 60%
             mix  = (5/7 − 1)(200/7 + 60)/2 = −620/49;  rate = (60 − 200/7)(12/7)/2 = 1320/49
             contribution = 700/49 = 100/7
    February: only in March's base (S = 2, E = 0): mix = 2/7 × 100 = 200/7, rate 0.
    March (p1): S = 0 in both: no row.

    With the newer cohorts those of December to February (the three months up to the
    earlier one), all the change (300/7) is theirs: the older cohorts have no base.
    """
    store, dataset = shop
    found = drivers(store, dataset, MONTHS, "churn_rate", COHORT_SPLIT, MARCH)
    rows = by_value(found)
    assert list(rows) == ["2024-02-01", "2024-01-01"]
    assert rows["2024-01-01"]["mix_effect"] == pytest.approx(-620 / 49)
    assert rows["2024-01-01"]["rate_effect"] == pytest.approx(1320 / 49)
    assert rows["2024-02-01"]["contribution"] == pytest.approx(200 / 7)
    view = cohort_view(found, "month")
    assert view.since == date(2023, 12, 1)
    assert (view.recent, view.older) == (pytest.approx(300 / 7), 0.0)
    assert view.calendar is False
    assert cohort_summary(found, "month") == (
        "Of the change of +42.9 pp in Churn rate, +42.9 pp comes from the cohorts acquired "
        "since 2023-12-01 (100% of the base) and +0.0 pp from the older ones; the newer "
        "cohorts carry it: customers acquired lately behave differently.")


def test_an_old_cohorts_own_change_reads_as_calendar(tmp_path: Path) -> None:
    """W = 30. Cohort November 2023: o1 11-10 01-20 02-15 03-10, o2 11-10 01-25 02-20;
    cohort February 2024: n1 02-05, n2 02-10 03-05 03-31.

    February: S {o1, o2} = 2, N {n1, n2}, E all four: churn 0 (old cohort 0 of 2).
    March:    S 4; old: S 2, E {o1}: 50%; February's: S 2, E {n2}: 50%; total 50%.
    old:      s0 = 1, s1 = 1/2, r0 = 0, r1 = 50: mix = (−1/2)(25) = −12.5,
              rate = 50 (3/4) = 37.5, contribution 25
    February: s0 = 0, s1 = 1/2, r0 taken = 50: mix = 25, rate 0, contribution 25
    The newer cohorts (since December) make 25 of the 50 pp, and all of the rate effect
    (37.5) is the old cohort's own: every cohort moved, a calendar effect.
    """
    orders = [("o1", d) for d in ("2023-11-10", "2024-01-20", "2024-02-15", "2024-03-10")]
    orders += [("o2", d) for d in ("2023-11-10", "2024-01-25", "2024-02-20")]
    orders += [("n1", "2024-02-05")] + [("n2", d) for d in ("2024-02-10", "2024-03-05",
                                                             "2024-03-31")]
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "o.csv", ("customer_id", "order_date", "amount"),
                                 [(c, d, "10") for c, d in orders]), dataset="Cohorts")
    found = drivers(store, store.dataset("Cohorts"), MONTHS, "churn_rate", COHORT_SPLIT,
                    MARCH)
    rows = by_value(found)
    assert (rows["2023-11-01"]["mix_effect"], rows["2023-11-01"]["rate_effect"]) == (
        pytest.approx(-12.5), pytest.approx(37.5))
    assert rows["2024-02-01"]["contribution"] == pytest.approx(25.0)
    view = cohort_view(found, "month")
    assert (view.recent, view.older, view.recent_share) == (
        pytest.approx(25.0), pytest.approx(25.0), pytest.approx(0.5))
    assert view.calendar is True
    assert cohort_summary(found, "month") == (
        "Of the change of +50.0 pp in Churn rate, +25.0 pp comes from the cohorts acquired "
        "since 2023-12-01 (50% of the base) and +25.0 pp from the older ones; every cohort "
        "moved at once: something changed for all customers.")
