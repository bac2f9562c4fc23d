"""Significance tests of a change against the previous period, against values worked out
by hand (the arithmetic is in the comments) and against independent implementations."""

from __future__ import annotations

import math
import statistics
from typing import Any

import numpy as np
import pytest
from scipy.special import betainc
from scipy.stats import binomtest, chi2_contingency

from metrics import significance
from metrics.definitions import KPIS, METRICS, ChangeTest, Metric
from metrics.kpis import KPI_COLUMNS, kpi_table
from metrics.query.filters import Filters
from metrics.significance import (
    COMPOUND_POISSON_Z_TEST,
    CONDITIONAL_BINOMIAL_TEST,
    INCOMPLETE_PERIOD,
    NO_TEST_DEFINED,
    TOO_LITTLE_DATA,
    TWO_PROPORTION_Z_TEST,
    WELCH_T_TEST,
    NotTested,
    Significance,
    caption,
    change_test,
    format_p_value,
    two_counts,
    two_means,
    two_proportions,
    two_totals,
    verdict_details,
)
from tests.builders import small_store


def two_sided_t_p_value(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` degrees of freedom, by the textbook
    identity with the regularised incomplete beta function: I_{df/(df+t^2)}(df/2, 1/2)."""
    return float(betainc(df / 2, 0.5, df / (df + t * t)))


# -- two proportions -----------------------------------------------------------------------


def test_two_proportions_by_hand() -> None:
    # 45/100 against 30/100: pooled p = 75/200 = 0.375,
    # SE = sqrt(0.375 * 0.625 * (1/100 + 1/100)) = sqrt(0.0046875) = 0.068465,
    # z = (0.45 - 0.30) / 0.068465 = 2.1909, p = 2 * (1 - Phi(2.1909)) = 0.02846.
    result = two_proportions(45, 100, 30, 100)
    assert result is not None
    assert result.difference == pytest.approx(0.15)
    assert result.statistic == pytest.approx(2.1909, abs=1e-4)
    assert result.p_value == pytest.approx(0.02846, abs=1e-5)
    assert result.significant
    assert result.method == TWO_PROPORTION_Z_TEST


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"),
                         [(45, 100, 30, 100), (7, 20, 15, 25), (120, 400, 110, 350),
                          (2, 3, 1, 3), (0, 10, 4, 12)])
def test_two_proportions_equal_pearsons_chi_square_without_correction(
        x1: int, n1: int, x2: int, n2: int) -> None:
    # z^2 is Pearson's X^2 of the 2 x 2 table, so the p-values are the same.
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]])
    chi2 = chi2_contingency(table, correction=False)
    result = two_proportions(x1, n1, x2, n2)
    assert result is not None
    assert result.statistic**2 == pytest.approx(chi2.statistic)
    assert result.p_value == pytest.approx(chi2.pvalue)


def test_two_proportions_edge_cases() -> None:
    assert two_proportions(0, 0, 3, 10) is None
    assert two_proportions(3, 10, 0, 0) is None
    # no variation at all: both 0% (or both 100%) is no change
    same = two_proportions(0, 10, 0, 12)
    assert same is not None and (same.difference, same.p_value, same.significant) == (
        0.0, 1.0, False)
    with pytest.raises(ValueError, match="0 <= successes <= trials"):
        two_proportions(11, 10, 3, 10)


# -- two counts ----------------------------------------------------------------------------


def test_the_same_two_counts_are_tested_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # every run of a page tests the same counts; scipy's exact test is the costly part
    calls: list[tuple[int, int]] = []

    def counted(k: int, n: int, p: float) -> Any:
        calls.append((k, n))
        return binomtest(k, n, p)

    monkeypatch.setattr(significance.stats, "binomtest", counted)
    significance.two_counts.cache_clear()
    results = [two_counts(10, 30, 2, 30) for _ in range(3)]
    assert calls == [(10, 12)]
    assert all(r is not None and r.p_value == pytest.approx(158 / 4096) for r in results)
    assert two_counts(9, 30, 2, 30) is not None and calls == [(10, 12), (9, 11)]


def test_two_counts_in_periods_of_equal_length_by_hand() -> None:
    # 10 events against 2, same length: under "no change" X | 12 ~ Binomial(12, 1/2).
    # Outcomes no more likely than 10: 0, 1, 2, 10, 11, 12, so
    # p = 2 * (C(12,0) + C(12,1) + C(12,2)) / 2^12 = 2 * (1 + 12 + 66) / 4096 = 0.038574.
    result = two_counts(10, 30, 2, 30)
    assert result is not None
    assert result.p_value == pytest.approx(158 / 4096)
    assert result.difference == 8
    assert result.significant
    assert result.method == CONDITIONAL_BINOMIAL_TEST


def test_two_counts_in_periods_of_different_length_by_hand() -> None:
    # 3 events in a 2-day period against 0 in a 1-day period: X | 3 ~ Binomial(3, 2/3),
    # P(0..3) = 1/27, 6/27, 12/27, 8/27. Observed 3 (8/27); no more likely: 0, 1, 3,
    # so p = (1 + 6 + 8) / 27 = 0.5556. (With equal lengths it would be 2/8 = 0.25.)
    result = two_counts(3, 2, 0, 1)
    assert result is not None
    assert result.p_value == pytest.approx(15 / 27)
    assert not result.significant
    equal = two_counts(3, 1, 0, 1)
    assert equal is not None and equal.p_value == pytest.approx(0.25)


def test_two_counts_edge_cases() -> None:
    assert two_counts(0, 31, 0, 30) is None
    with pytest.raises(ValueError):
        two_counts(3, 0, 2, 30)


# -- two means -----------------------------------------------------------------------------


def test_welch_from_summary_statistics_by_hand() -> None:
    # means 20 and 17, SDs 4 and 3, n 16 and 9: s1^2/n1 = 16/16 = 1, s2^2/n2 = 9/9 = 1,
    # SE = sqrt(2) = 1.41421, t = 3 / 1.41421 = 2.12132,
    # df = (1 + 1)^2 / (1^2/15 + 1^2/8) = 4 / 0.191667 = 20.8696,
    # p = I_{df/(df+t^2)}(df/2, 1/2) = 0.04604.
    result = two_means(20, 4, 16, 17, 3, 9)
    assert result is not None
    assert result.statistic == pytest.approx(2.12132, abs=1e-5)
    assert result.p_value == pytest.approx(two_sided_t_p_value(2.12132034, 20.8695652))
    assert result.p_value == pytest.approx(0.04604, abs=1e-5)
    assert result.method == WELCH_T_TEST


def test_welch_reproduces_rs_t_test() -> None:
    # R: t.test(c(11,9,10,11,10,12,9,11,12,9), c(11,13,10,13,12,9,11,12,12,11)) prints
    # "Welch Two Sample t-test ... t = -1.8325, df = 17.9, p-value = 0.08356".
    # By hand: means 10.4 and 11.4, variances 12.4/9 = 1.3778 and 14.4/9 = 1.6,
    # SE = sqrt(0.13778 + 0.16) = 0.54569, t = -1 / 0.54569 = -1.8325,
    # df = 0.29778^2 / ((0.13778^2 + 0.16^2) / 9) = 17.90.
    first = [11, 9, 10, 11, 10, 12, 9, 11, 12, 9]
    second = [11, 13, 10, 13, 12, 9, 11, 12, 12, 11]
    result = two_means(statistics.mean(first), statistics.stdev(first), len(first),
                       statistics.mean(second), statistics.stdev(second), len(second))
    assert result is not None
    assert result.difference == pytest.approx(-1.0)
    assert result.statistic == pytest.approx(-1.8325, abs=1e-4)
    assert result.p_value == pytest.approx(0.08356, abs=1e-5)
    assert not result.significant


def test_welch_edge_cases() -> None:
    assert two_means(10, 0, 1, 12, 3, 5) is None  # one order: no spread to measure
    no_spread = two_means(10, 0, 4, 10, 0, 6)
    assert no_spread is not None and no_spread.p_value == 1.0
    assert two_means(10, 0, 4, 12, 0, 6) is None


# -- two compound Poisson totals -----------------------------------------------------------


def test_two_totals_by_hand() -> None:
    # revenue 1,200 and 1,000; sums of squared order amounts 50,000 and 40,000:
    # z = 200 / sqrt(90,000) = 200 / 300 = 0.6667, p = erfc(0.6667 / sqrt(2)) = 0.50499.
    result = two_totals(1200, 50_000, 1000, 40_000)
    assert result is not None
    assert result.statistic == pytest.approx(2 / 3)
    assert result.p_value == pytest.approx(math.erfc((2 / 3) / math.sqrt(2)))
    assert result.p_value == pytest.approx(0.50499, abs=1e-5)
    assert result.difference == 200
    assert result.method == COMPOUND_POISSON_Z_TEST


def test_two_totals_edge_cases() -> None:
    assert two_totals(0, 0, 0, 0) is None
    with pytest.raises(ValueError):
        two_totals(10, -1, 10, 100)


# -- a metric's change, on the small shop of tests/test_kpis.py (W = 30) -------------------
#
# February: S = 3, retained 2 (lost 1); active 2, one repeat buyer (A); orders C 30, A 80
#   (C's refund of 30 is not an order): AOV = (110 - 30) / 2 = 40, SD = 35.355,
#   revenue 80; 29 days.
# March: S = 3, retained 1 (lost 2); active 2, two repeat buyers (A, D); orders D 70,
#   D 20, A 60: AOV 50, SD = sqrt((20^2 + 30^2 + 10^2) / 2) = 26.458, revenue 150; 31 days.


@pytest.fixture(scope="module")
def small_months() -> dict[str, object]:
    store, dataset = small_store()
    table = kpi_table(store, dataset, Filters(period="month", inactivity_days=30))
    return {"jan": table.iloc[0], "feb": table.iloc[1], "mar": table.iloc[2]}


def test_retention_and_churn_are_tested_on_the_strict_counts(small_months: dict) -> None:
    # 1 of 3 retained against 2 of 3: pooled 3/6 = 0.5, SE = sqrt(0.25 * (1/3 + 1/3))
    # = 0.408248, z = -0.33333 / 0.408248 = -0.8165, p = 0.41422. The churn test is the
    # same on lost customers (2 of 3 against 1 of 3), with the sign turned.
    march, february = small_months["mar"], small_months["feb"]
    for metric_id in ("retention_rate", "strict_retention_rate"):
        result = change_test(METRICS[metric_id], march, february)
        assert isinstance(result, Significance)
        assert result.difference == pytest.approx(-1 / 3)
        assert result.statistic == pytest.approx(-0.8165, abs=1e-4)
        assert result.p_value == pytest.approx(0.41422, abs=1e-5)
    churn = change_test(METRICS["churn_rate"], march, february)
    assert isinstance(churn, Significance)
    assert (churn.difference, churn.p_value) == pytest.approx((1 / 3, 0.41422), abs=1e-5)


def test_each_kind_of_change_on_the_small_shop(small_months: dict) -> None:
    march, february = small_months["mar"], small_months["feb"]
    # repeat buyers 2 of 2 against 1 of 2: pooled 3/4, SE = sqrt(0.75 * 0.25 * (1/2 + 1/2))
    # = 0.43301, z = 0.5 / 0.43301 = 1.1547, p = 0.24821
    repeat = change_test(METRICS["repeat_purchase_rate"], march, february)
    assert isinstance(repeat, Significance)
    assert (repeat.difference, repeat.p_value) == pytest.approx((0.5, 0.24821), abs=1e-5)
    # 3 orders in 31 days against 2 in 29: X | 5 ~ Binomial(5, 31/60): P(0..5) = 0.0264,
    # 0.1410, 0.3014, 0.3222, 0.1722, 0.0368; 3 is the likeliest outcome, so p = 1.
    orders = change_test(METRICS["orders"], march, february)
    assert isinstance(orders, Significance)
    assert (orders.difference, orders.p_value) == pytest.approx((1.0, 1.0))
    # AOV 50 (SD 26.458, n 3) against 40 (SD 35.355, n 2): s^2/n = 700/3 = 233.33 and
    # 1250/2 = 625, SE = sqrt(858.33) = 29.297, t = 10 / 29.297 = 0.34133,
    # df = 858.33^2 / (233.33^2 / 2 + 625^2 / 1) = 1.7632, p = 0.76918
    aov = change_test(METRICS["aov"], march, february)
    assert isinstance(aov, Significance)
    assert aov.statistic == pytest.approx(0.34133, abs=1e-5)
    assert aov.p_value == pytest.approx(two_sided_t_p_value(0.34132807, 1.76317102))
    assert aov.p_value == pytest.approx(0.76918, abs=1e-5)
    # revenue 150 against 80; sums of squared purchases 70^2 + 20^2 + 60^2 = 8,900 and
    # 30^2 + 80^2 = 7,300: z = 70 / sqrt(16,200) = 0.54997, p = erfc(0.54997 / sqrt 2)
    # = 0.58234
    revenue = change_test(METRICS["revenue"], march, february)
    assert isinstance(revenue, Significance)
    assert revenue.statistic == pytest.approx(70 / math.sqrt(16_200))
    assert revenue.p_value == pytest.approx(0.58234, abs=1e-5)


def test_headcounts_incomplete_periods_and_empty_periods_are_not_tested(
        small_months: dict) -> None:
    march, february, january = small_months["mar"], small_months["feb"], small_months["jan"]
    assert change_test(METRICS["end_customers"], march, february) == NotTested(
        "a headcount, not a sample")
    assert change_test(METRICS["start_customers"], march, february) == NotTested(
        "a headcount, not a sample")
    assert change_test(METRICS["refunds"], march, february) == NotTested(NO_TEST_DEFINED)
    # the data starts on 5 January: January is incomplete
    assert change_test(METRICS["orders"], february, january) == NotTested(INCOMPLETE_PERIOD)
    empty = dict(march) | {"orders": 0, "revenue": 0.0, "refunds": 0.0, "aov": None,
                           "order_value_sd": float("nan"), "start_customers": 0,
                           "retained_customers": 0, "lost_customers": 0}
    for metric_id in ("orders", "aov", "revenue", "retention_rate"):
        assert change_test(METRICS[metric_id], empty, empty) == NotTested(TOO_LITTLE_DATA)


# -- what a user reads ---------------------------------------------------------------------


def test_captions() -> None:
    significant = two_proportions(45, 100, 30, 100)
    assert significant is not None
    # Cards say it in plain words; the test and its p-value are for the tooltip.
    assert caption(significant) == "A real change"
    assert verdict_details(significant) == (
        "Test: two-proportion z-test, p = 0.028 (under 0.05 counts as real).")
    noise = two_totals(1200, 50_000, 1000, 40_000)
    assert noise is not None
    assert caption(noise) == "Within normal variation"
    assert verdict_details(noise) == (
        "Test: compound Poisson z-test, p = 0.50 (under 0.05 counts as real).")
    assert caption(NotTested("a headcount, not a sample")) == (
        "Not tested: a headcount, not a sample")


@pytest.mark.parametrize(("p_value", "text"),
                         [(0.41, "p = 0.41"), (0.003, "p = 0.003"), (0.0004, "p < 0.001"),
                          (0.0499, "p < 0.05"), (0.0501, "p = 0.050"), (0.099, "p = 0.099")])
def test_p_values_are_written_for_people(p_value: float, text: str) -> None:
    assert format_p_value(p_value) == text


# -- the definitions name tests that exist -------------------------------------------------


def test_every_kpi_card_names_a_test_on_columns_of_the_kpi_table() -> None:
    for metric in KPIS:
        assert metric.test is not None, metric.id
    for metric in METRICS.values():
        if metric.test is not None and metric.test.kind == "proportion":
            assert {metric.test.numerator, metric.test.denominator} <= set(KPI_COLUMNS)
    # the seed CRR and churn rate are not shares: their tests say what they test instead
    for metric_id in ("retention_rate", "churn_rate"):
        test = METRICS[metric_id].test
        assert test is not None and test.note and "strict" in test.note


def test_a_test_definition_is_checked_when_it_is_made() -> None:
    with pytest.raises(ValueError, match="numerator and denominator"):
        ChangeTest("proportion", numerator="retained_customers")
    with pytest.raises(ValueError, match="says why"):
        ChangeTest("none")
    with pytest.raises(ValueError, match="unknown test kind"):
        ChangeTest("median")  # type: ignore[arg-type]
    untested = Metric("x", "X", "customers", "X.")
    assert change_test(untested, {}, {}) == NotTested(NO_TEST_DEFINED)


@pytest.mark.parametrize("z", [0.0, 0.1, -1.0, 1.96, 3.5, -8.0, 12.0])
def test_the_two_sided_normal_p_value_is_scipys(z: float) -> None:
    # erfc(|z| ÷ √2), checked against scipy's normal distribution
    from scipy import stats

    from metrics.significance import _two_sided_normal
    assert _two_sided_normal(z) == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-12,
                                                 abs=1e-300)
