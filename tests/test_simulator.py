"""The retention uplift simulator: its arithmetic worked out by hand year by year, and the
baseline measured from a small shop worked out by hand."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

from metrics.errors import InputError
from metrics.ingest import ingest_file
from metrics.query.filters import Filters
from metrics.simulator import MAX_RETENTION_RATE, Baseline, baseline, simulate
from metrics.store import Store
from tests.builders import write_csv

# A year's window: 800 in the base a year ago, 480 of them still in it, 1,000 in it now,
# 900,000 of revenue. r = 480 / 800 = 0.6; joining = 1,000 - 480 = 520 a year; revenue per
# customer = 900,000 / ((800 + 1,000) / 2) = 1,000 a year.
TODAY = Baseline(window_start=date(2024, 1, 1), window_end=date(2024, 12, 31),
                 years_covered=1.0, customers=1000, start_customers=800,
                 retained_customers=480, new_customers=700, revenue=900_000.0)


def rows_of(frame, scenario: str):  # type: ignore[no-untyped-def]
    return frame[frame["scenario"] == scenario].set_index("year")


def test_the_baseline_figures() -> None:
    assert TODAY.retention_rate == pytest.approx(0.6)
    assert TODAY.joining_per_year == pytest.approx(520.0)
    assert TODAY.revenue_per_customer == pytest.approx(1000.0)
    assert TODAY.annual_revenue == pytest.approx(900_000.0)


def test_three_years_by_hand() -> None:
    frame = simulate(TODAY, retention_gain_pp=10, gross_margin=0.3,
                     programme_cost_per_year=20_000, years=3)
    assert len(frame) == 8  # years 0-3, baseline and scenario
    base, scenario = rows_of(frame, "baseline"), rows_of(frame, "scenario")
    # baseline, r = 0.6: customers 1,000 -> 1,000 x 0.6 + 520 = 1,120 -> 1,192 -> 1,235.2
    assert base["customers"].tolist() == pytest.approx([1000, 1120, 1192, 1235.2])
    # revenue = average base of the year x 1,000: 1,060,000; 1,156,000; 1,213,600
    assert base["revenue"].tolist() == pytest.approx([900_000, 1_060_000, 1_156_000,
                                                      1_213_600])
    # profit = 30% of revenue, no programme cost
    assert base["profit"].tolist() == pytest.approx([270_000, 318_000, 346_800, 364_080])
    assert base["programme_cost"].tolist() == [0, 0, 0, 0]
    assert base["cumulative_profit"].tolist() == pytest.approx([0, 318_000, 664_800,
                                                                1_028_880])
    # CLV = 0.3 x 1,000 x 1 / (1 - 0.6) = 750
    assert base["clv"].tolist() == pytest.approx([750.0] * 4)
    assert base["lifetime_years"].iloc[0] == pytest.approx(2.5)
    # scenario, r = 0.7: 1,000 -> 1,220 -> 1,374 -> 1,481.8
    assert scenario["customers"].tolist() == pytest.approx([1000, 1220, 1374, 1481.8])
    assert scenario["revenue"].tolist() == pytest.approx([900_000, 1_110_000, 1_297_000,
                                                          1_427_900])
    # profit = 30% of revenue - 20,000: 313,000; 369,100; 408,370
    assert scenario["profit"].tolist() == pytest.approx([270_000, 313_000, 369_100,
                                                         408_370])
    assert scenario["gross_profit"].iloc[3] == pytest.approx(428_370)
    assert scenario["programme_cost"].tolist() == [0, 20_000, 20_000, 20_000]
    assert scenario["cumulative_profit"].iloc[3] == pytest.approx(1_090_470)
    # uplift: (313,000 - 318,000) / 318,000 = -1.5723%; (369,100 - 346,800) / 346,800 =
    # 6.4302%; (408,370 - 364,080) / 364,080 = 12.1649%; over 3 years
    # (1,090,470 - 1,028,880) / 1,028,880 = 5.9861%
    assert scenario["profit_uplift_pct"].iloc[1:].tolist() == pytest.approx(
        [-1.572327, 6.430219, 12.164909], abs=1e-5)
    assert scenario["cumulative_profit_uplift_pct"].iloc[3] == pytest.approx(5.986121,
                                                                             abs=1e-5)
    # CLV = 0.3 x 1,000 x 1 / (1 - 0.7) = 1,000
    assert scenario["clv"].iloc[0] == pytest.approx(1000.0)
    assert scenario["retention_rate"].iloc[0] == pytest.approx(0.7)
    # no uplift on baseline rows nor in year 0
    assert base["profit_uplift_pct"].isna().all()
    assert math.isnan(scenario["profit_uplift_pct"].iloc[0])


def test_one_year_and_no_gain_changes_nothing() -> None:
    frame = simulate(TODAY, retention_gain_pp=0, gross_margin=0.5,
                     programme_cost_per_year=0, years=1)
    base, scenario = rows_of(frame, "baseline"), rows_of(frame, "scenario")
    assert list(base.index) == [0, 1]
    # 50% of 1,060,000
    assert scenario["profit"].iloc[1] == pytest.approx(530_000)
    assert scenario["profit_uplift_pct"].iloc[1] == pytest.approx(0.0)


def test_retention_is_clamped_and_the_lifetime_capped() -> None:
    loyal = Baseline(date(2024, 1, 1), date(2024, 12, 31), 1.0, customers=100,
                     start_customers=100, retained_customers=95, new_customers=5,
                     revenue=10_000.0)
    frame = simulate(loyal, retention_gain_pp=10, gross_margin=1.0,
                     programme_cost_per_year=0, years=2)
    base, scenario = rows_of(frame, "baseline"), rows_of(frame, "scenario")
    # 0.95 + 0.10 is clamped at 0.99; 1 / 0.01 = 100 years, capped at 10;
    # baseline 1 / 0.05 = 20 years, capped too
    assert scenario["retention_rate"].iloc[0] == pytest.approx(MAX_RETENTION_RATE)
    assert scenario["lifetime_years"].iloc[0] == pytest.approx(10.0)
    assert base["lifetime_years"].iloc[0] == pytest.approx(10.0)
    # revenue per customer 10,000 / 100 = 100: CLV = 1.0 x 100 x 10
    assert scenario["clv"].iloc[0] == pytest.approx(1000.0)
    # 100 x 0.99 + 5 = 104
    assert scenario["customers"].iloc[1] == pytest.approx(104.0)


def test_a_shorter_window_is_annualised() -> None:
    half = Baseline(date(2024, 7, 1), date(2024, 12, 31), 0.5, customers=100,
                    start_customers=100, retained_customers=81, new_customers=10,
                    revenue=5_000.0)
    # 0.81 kept over half a year: 0.81 ^ 2 = 0.6561 a year; (100 - 81) / 0.5 = 38 joining;
    # 5,000 / 0.5 = 10,000 a year over an average base of 100 = 100 per customer
    assert half.retention_rate == pytest.approx(0.6561)
    assert half.joining_per_year == pytest.approx(38.0)
    assert half.revenue_per_customer == pytest.approx(100.0)


def test_a_zero_margin_has_no_uplift() -> None:
    frame = simulate(TODAY, retention_gain_pp=5, gross_margin=0.0,
                     programme_cost_per_year=0, years=2)
    assert rows_of(frame, "scenario")["profit_uplift_pct"].isna().all()


@pytest.mark.parametrize("options, message", [
    ({"retention_gain_pp": -1}, "between 0 and 100 points"),
    ({"gross_margin": 30}, "share between 0 and 1"),
    ({"programme_cost_per_year": -5}, "cannot be negative"),
    ({"years": 0}, "1 to 10 years"),
])
def test_options_outside_their_range_are_refused(options: dict[str, float],
                                                 message: str) -> None:
    arguments = {"retention_gain_pp": 5, "gross_margin": 0.3, "programme_cost_per_year": 0,
                 "years": 3} | options
    with pytest.raises(InputError, match=message):
        simulate(TODAY, **arguments)  # type: ignore[arg-type]


def test_the_baseline_from_a_small_shop(tmp_path: Path) -> None:
    # W = 30; the data ends on 30 Dec 2024 (U's refund), so the window is the year from
    # 31 Dec 2023; the base on 30 Dec 2023 holds purchases from 30 Nov 2023, the base on
    # 30 Dec 2024 those from 30 Nov 2024.
    #   P  15 Dec 2023, 20 Dec 2024: in both -> retained
    #   Q  20 Dec 2023: at the start only
    #   R  1 Jun 2023, 25 Dec 2024: at the end only, not new (came back)
    #   S  1 Mar 2024, 10 Dec 2024: new, at the end
    #   T  1 May 2024: new, gone by the end
    #   U  28 Dec 2024 and its refund on 30 Dec: new, at the end, no net revenue
    rows = (("P", "2023-12-15", "100"), ("P", "2024-12-20", "100"),
            ("Q", "2023-12-20", "50"), ("R", "2023-06-01", "80"), ("R", "2024-12-25", "80"),
            ("S", "2024-03-01", "200"), ("S", "2024-12-10", "100"), ("T", "2024-05-01", "60"),
            ("U", "2024-12-28", "40"), ("U", "2024-12-30", "-40"), ("Z", "2023-01-02", "10"))
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "shop.csv", ("Customer ID", "Order date",
                                                         "Total"), rows), dataset="Shop")
    today = baseline(store, store.dataset("Shop"), Filters(inactivity_days=30))
    assert (today.window_start, today.window_end) == (date(2023, 12, 31), date(2024, 12, 30))
    assert today.years_covered == pytest.approx(1.0)
    # S = {P, Q}, retained = {P}, E = {P, R, S, U}, new = {S, T, U}
    assert (today.start_customers, today.retained_customers, today.customers,
            today.new_customers) == (2, 1, 4, 3)
    # 100 (P) + 80 (R) + 300 (S) + 60 (T) + 40 - 40 (U) = 540
    assert today.revenue == pytest.approx(540.0)
    assert today.retention_rate == pytest.approx(0.5)
    assert today.joining_per_year == pytest.approx(3.0)
    assert today.revenue_per_customer == pytest.approx(180.0)  # 540 / ((2 + 4) / 2)


def test_no_baseline_without_a_base_a_year_ago(tmp_path: Path) -> None:
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "young.csv", ("Customer ID", "Order date",
                                                          "Total"),
                                 (("A", "2024-01-05", "10"), ("A", "2024-03-05", "10"))),
                dataset="Young")
    with pytest.raises(InputError, match="retention cannot be measured"):
        baseline(store, store.dataset("Young"), Filters())
