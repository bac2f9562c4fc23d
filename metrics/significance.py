"""Is a change against the previous period statistically significant? One test per kind of
metric, chosen by the metric's definition (DESIGN.md: "Every delta against the previous
period says whether it is statistically significant").

Every test compares two periods as two independent samples at the 5% level, two-sided.
Consecutive periods share customers, and a customer's orders cluster, so the tests are
approximations: read a p-value near 0.05 as "borderline", not as a verdict.

The Overview, Retention and Satisfaction pages and the CLI call :func:`change_test` and show
:func:`caption`; the functions below it are the tests themselves, on plain numbers.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from babel.numbers import format_decimal
from scipy import stats

from metrics.definitions import NO_TEST_DEFINED, Metric
from metrics.i18n import N_, language, t

ALPHA = 0.05

# Short names a user reads in a caption; translated where they are shown, like labels.
TWO_PROPORTION_Z_TEST = N_("two-proportion z-test")
CONDITIONAL_BINOMIAL_TEST = N_("conditional binomial test")
WELCH_T_TEST = N_("Welch's t-test")
COMPOUND_POISSON_Z_TEST = N_("compound Poisson z-test")

# Why a change is not tested, in a few words after "Not tested:" (and NO_TEST_DEFINED, the
# registry's, for a metric without a test).
INCOMPLETE_PERIOD = N_("a period is incomplete")
TOO_LITTLE_DATA = N_("too little data in these periods")


@dataclass(frozen=True)
class Significance:
    """The outcome of a test of "no change" between two periods.

    Attributes
    ----------
    difference
        The estimate the test is about, current minus previous: a difference of
        proportions (as fractions, not percent), of counts, of means or of totals.
    statistic
        The test statistic (z or t; for the binomial test, the current period's count).
    p_value
        Two-sided p-value.
    method
        A short name of the test a user reads ("two-proportion z-test"), in English;
        pass it through :func:`metrics.i18n.t` to show it.
    significant
        ``p_value < 0.05``.
    """

    difference: float
    statistic: float
    p_value: float
    method: str
    significant: bool = field(init=False)

    def __post_init__(self) -> None:
        for name in ("difference", "statistic", "p_value"):  # plain floats, not numpy's
            object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(self, "significant", self.p_value < ALPHA)


@dataclass(frozen=True)
class NotTested:
    """A change that gets no test; ``reason`` (English, shown after "Not tested:") says why."""

    reason: str


# -- the tests -----------------------------------------------------------------------------


def two_proportions(x1: int, n1: int, x2: int, n2: int) -> Significance | None:
    r"""Pooled two-proportion z-test of x1/n1 against x2/n2.

    With the pooled proportion :math:`\hat p = (x_1 + x_2) / (n_1 + n_2)`,

    .. math:: z = \frac{x_1/n_1 - x_2/n_2}
                       {\sqrt{\hat p (1 - \hat p) (1/n_1 + 1/n_2)}}

    and the two-sided p-value is :math:`2 (1 - \Phi(|z|))`; :math:`z^2` is Pearson's
    chi-square statistic of the 2 x 2 table without continuity correction (Fleiss, Levin &
    Paik 2003, *Statistical Methods for Rates and Proportions*, 3rd ed.; Agresti 2013,
    *Categorical Data Analysis*, 3rd ed.).

    Parameters
    ----------
    x1, n1
        Successes and trials of the current period.
    x2, n2
        Successes and trials of the previous period.

    Returns
    -------
    Significance or None
        ``None`` when a period has no trials. When both proportions are 0 or both are 1
        there is no variation: the difference is 0 and the p-value 1.
    """
    _check_share(x1, n1)
    _check_share(x2, n2)
    if n1 == 0 or n2 == 0:
        return None
    difference = x1 / n1 - x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    standard_error = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if standard_error == 0:
        return Significance(difference, 0.0, 1.0, TWO_PROPORTION_Z_TEST)
    z = difference / standard_error
    return Significance(difference, z, _two_sided_normal(z), TWO_PROPORTION_Z_TEST)


# Remembered: the pages test the same counts on every run of every session, and the exact
# test takes milliseconds for counts in the thousands (the result is immutable).
@functools.lru_cache(maxsize=4096)
def two_counts(x1: int, days1: float, x2: int, days2: float) -> Significance | None:
    r"""Conditional binomial test of two event counts (Poisson rates) over two periods.

    If :math:`x_1 \sim \text{Poisson}(\lambda t_1)` and :math:`x_2 \sim
    \text{Poisson}(\lambda t_2)` under "no change" (one rate :math:`\lambda` per day),
    then given their sum :math:`x_1 \mid x_1 + x_2 \sim \text{Binomial}(x_1 + x_2,\,
    t_1 / (t_1 + t_2))`: an exact test that allows for periods of different lengths
    (Przyborowski & Wilenski 1940, *Biometrika* 31; Gu, Ng, Tang & Schucany 2008,
    *Biometrical Journal* 50). The two-sided p-value is ``scipy.stats.binomtest``'s: the
    probability of every outcome no more likely than the one observed.

    Parameters
    ----------
    x1, days1
        The current period's count and its length in days.
    x2, days2
        The previous period's count and its length in days.

    Returns
    -------
    Significance or None
        ``difference`` is ``x1 - x2``; ``None`` when both counts are zero.
    """
    if x1 < 0 or x2 < 0 or days1 <= 0 or days2 <= 0:
        raise ValueError("counts must be >= 0 and period lengths > 0")
    if x1 + x2 == 0:
        return None
    result = stats.binomtest(int(x1), int(x1 + x2), days1 / (days1 + days2))
    return Significance(float(x1 - x2), float(x1), float(result.pvalue),
                        CONDITIONAL_BINOMIAL_TEST)


def two_means(mean1: float, sd1: float, n1: int, mean2: float, sd2: float, n2: int
              ) -> Significance | None:
    r"""Welch's t-test of two means from summary statistics.

    .. math:: t = \frac{m_1 - m_2}{\sqrt{s_1^2/n_1 + s_2^2/n_2}}, \qquad
              \nu = \frac{(s_1^2/n_1 + s_2^2/n_2)^2}
                         {\frac{(s_1^2/n_1)^2}{n_1 - 1} + \frac{(s_2^2/n_2)^2}{n_2 - 1}}

    with a two-sided p-value from Student's t with :math:`\nu` degrees of freedom
    (Welch 1947, *Biometrika* 34; Satterthwaite 1946), computed by
    ``scipy.stats.ttest_ind_from_stats(..., equal_var=False)``.

    Parameters
    ----------
    mean1, sd1, n1
        The current period's mean, sample standard deviation (n - 1) and count.
    mean2, sd2, n2
        The same for the previous period.

    Returns
    -------
    Significance or None
        ``None`` when a period has fewer than two values, or when neither varies and
        the means differ (no spread to judge the difference by).
    """
    if sd1 < 0 or sd2 < 0:
        raise ValueError("standard deviations must be >= 0")
    if n1 < 2 or n2 < 2:
        return None
    difference = mean1 - mean2
    if sd1 == 0 and sd2 == 0:
        return Significance(0.0, 0.0, 1.0, WELCH_T_TEST) if difference == 0 else None
    result = stats.ttest_ind_from_stats(mean1, sd1, n1, mean2, sd2, n2, equal_var=False)
    return Significance(difference, float(result.statistic), float(result.pvalue),
                        WELCH_T_TEST)


def two_totals(total1: float, sum_of_squares1: float, total2: float, sum_of_squares2: float
               ) -> Significance | None:
    r"""z-test of two totals of a compound Poisson process (revenue: orders arrive as a
    Poisson process, each with a random amount).

    For :math:`R = \sum_{i=1}^{N} x_i` with :math:`N \sim \text{Poisson}(\lambda)`,
    :math:`\text{Var}(R) = \lambda\,E[x^2]` (Ross, *Introduction to Probability
    Models*, compound Poisson random variables), estimated by :math:`\sum x_i^2`. For two
    independent periods

    .. math:: z = \frac{R_1 - R_2}{\sqrt{\sum_{\text{period 1}} x^2 +
                                          \sum_{\text{period 2}} x^2}}

    with the two-sided normal p-value :math:`2 (1 - \Phi(|z|))`.

    Parameters
    ----------
    total1, sum_of_squares1
        The current period's total and the sum of its squared amounts.
    total2, sum_of_squares2
        The same for the previous period.

    Returns
    -------
    Significance or None
        ``difference`` is ``total1 - total2``; ``None`` when neither period has an
        amount other than zero.
    """
    if sum_of_squares1 < 0 or sum_of_squares2 < 0:
        raise ValueError("sums of squares must be >= 0")
    variance = sum_of_squares1 + sum_of_squares2
    if variance == 0:
        return None
    z = (total1 - total2) / math.sqrt(variance)
    return Significance(total1 - total2, z, _two_sided_normal(z), COMPOUND_POISSON_Z_TEST)


# -- a metric's change ---------------------------------------------------------------------


def change_test(metric: Metric, row: Any, previous_row: Any) -> Significance | NotTested:
    """Test the change of ``metric`` from ``previous_row`` to ``row`` (two periods of its
    table: :func:`metrics.kpis.kpi_table` for the KPIs, the survey tables of
    :mod:`metrics.satisfaction` for NPS, CSAT and CLI) with the test its definition names.

    Parameters
    ----------
    metric
        The metric; ``metric.test`` says which test applies and on which columns (see
        :class:`metrics.definitions.ChangeTest`).
    row, previous_row
        The period and the one before it: mappings (a ``pandas.Series``, a dict) with the
        table's columns, ``complete`` among them.

    Returns
    -------
    Significance or NotTested
        Not tested, with the reason, when the metric is not a sample (a headcount), has no
        test, a period is incomplete (the data starts or stops inside it) or there is too
        little data (no trials, no events, fewer than two values).
    """
    test = metric.test
    if test is None:
        return NotTested(NO_TEST_DEFINED)
    if test.kind == "none":
        assert test.reason is not None
        return NotTested(test.reason)
    if not (_value(row, "complete") and _value(previous_row, "complete")):
        return NotTested(INCOMPLETE_PERIOD)
    result: Significance | None
    if test.kind == "proportion":
        assert test.numerator is not None and test.denominator is not None
        result = two_proportions(_count(row, test.numerator), _count(row, test.denominator),
                                 _count(previous_row, test.numerator),
                                 _count(previous_row, test.denominator))
    elif test.kind == "nps":
        assert test.numerator is not None and test.denominator is not None
        assert test.detractors is not None
        result = two_nps(_count(row, test.numerator), _count(row, test.detractors),
                         _count(row, test.denominator), _count(previous_row, test.numerator),
                         _count(previous_row, test.detractors),
                         _count(previous_row, test.denominator))
    elif test.kind == "count":
        result = two_counts(_count(row, metric.id), _days(row),
                            _count(previous_row, metric.id), _days(previous_row))
    elif test.kind == "mean":
        # The mean as shown (AOV net of refunds, CLI) with the spread of its values.
        assert test.count is not None and test.spread is not None
        mean, previous_mean = _value(row, metric.id), _value(previous_row, metric.id)
        sd, previous_sd = _value(row, test.spread), _value(previous_row, test.spread)
        result = None
        if (mean is not None and previous_mean is not None and sd is not None
                and previous_sd is not None):
            result = two_means(float(mean), float(sd), _count(row, test.count),
                               float(previous_mean), float(previous_sd),
                               _count(previous_row, test.count))
    else:
        result = two_totals(_value(row, metric.id) or 0.0, _purchases_sum_of_squares(row),
                            _value(previous_row, metric.id) or 0.0,
                            _purchases_sum_of_squares(previous_row))
    return NotTested(TOO_LITTLE_DATA) if result is None else result


def caption(result: Significance | NotTested) -> str:
    """One short line for a user, in the current language, in plain words: "A real change",
    "Within normal variation" or "Not tested: a headcount, not a sample". The test and its
    p-value are for a tooltip: :func:`verdict_details`."""
    if isinstance(result, NotTested):
        return t("Not tested: {reason}", reason=t(result.reason))
    if result.significant:
        return t("A real change")
    return t("Within normal variation")


def difference_caption(result: Significance) -> str:
    """Like :func:`caption` for two groups compared side by side (members and others):
    "A real difference" or "Within normal variation"."""
    return t("A real difference") if result.significant else t("Within normal variation")


def verdict_details(result: Significance) -> str:
    """The test behind a verdict and its p-value, for a tooltip: "Test: two-proportion
    z-test, p = 0.003 (under 0.05 counts as real)." """
    return t("Test: {method}, {p_value} (under {alpha} counts as real).",
             method=t(result.method), p_value=format_p_value(result.p_value),
             alpha=format_decimal(ALPHA, format="0.00", locale=language.get()))


def format_p_value(p_value: float) -> str:
    """"p = 0.41", "p = 0.003" or "p < 0.001", decimals as the current language writes them.

    Three decimals below 0.1, two above; a p-value just under 0.05 that would round to
    0.050 reads "p < 0.05", so the text never contradicts the verdict.
    """
    lang = language.get()
    if p_value < 0.001:
        return t("p < {value}", value=format_decimal(0.001, format="0.000", locale=lang))
    if p_value < ALPHA <= round(p_value, 3):
        return t("p < {value}", value=format_decimal(ALPHA, format="0.00", locale=lang))
    pattern = "0.000" if p_value < 0.1 else "0.00"
    return t("p = {value}", value=format_decimal(p_value, format=pattern, locale=lang))


# -- helpers -------------------------------------------------------------------------------


def _purchases_sum_of_squares(row: Any) -> float:
    """The sum of the squared amounts of a period's purchases (refunds left out).

    Refunds change the revenue tested, but their own spread is left out of the variance:
    with few refunds this understates the standard error a little.
    """
    n = _count(row, "orders")
    # revenue is net of refunds; adding them back gives the sum of the purchases
    purchases = (_value(row, "revenue") or 0.0) + (_value(row, "refunds") or 0.0)
    mean = purchases / n if n else 0.0
    sd = _value(row, "order_value_sd")  # None with fewer than two orders
    # sum of x^2 = (n - 1) s^2 + n m^2; one order: x^2 = m^2
    return (n - 1) * (sd or 0.0) ** 2 + n * mean**2 if n else 0.0


def _value(row: Any, column: str) -> Any:
    """A cell, with pandas' missing values (NaN, NA) as None."""
    value = row[column]
    try:
        missing = value is None or bool(value != value)
    except (TypeError, ValueError):  # pd.NA has no truth value
        missing = True
    return None if missing else value


def _count(row: Any, column: str) -> int:
    value = _value(row, column)
    return 0 if value is None else int(value)


def _days(row: Any) -> int:
    start: date = row["period_start"]
    end: date = row["period_end"]
    return (end - start).days + 1


def _check_share(x: int, n: int) -> None:
    if not 0 <= x <= n:
        raise ValueError(f"a proportion needs 0 <= successes <= trials, not {x} of {n}")


def _two_sided_normal(z: float) -> float:
    # 2 · P(Z > |z|) = erfc(|z| ÷ √2): scipy's norm.sf computes the same, at a hundred
    # times the cost (every KPI card and table row tests its change on each page view)
    return math.erfc(abs(z) / math.sqrt(2))


# -- Net Promoter Score ----------------------------------------------------------------------

NPS_Z_TEST = N_("NPS z-test")


def two_nps(promoters1: int, detractors1: int, n1: int, promoters2: int, detractors2: int,
            n2: int) -> Significance | None:
    r"""z-test of two Net Promoter Scores from independent samples.

    Each answer scores +1 (promoter), 0 (passive) or -1 (detractor); the NPS is their mean
    (as a fraction). Its variance per answer is
    :math:`p_P + p_D - (p_P - p_D)^2`, so for two periods

    .. math:: z = \frac{NPS_1 - NPS_2}
                       {\sqrt{\frac{p_{P1} + p_{D1} - (p_{P1} - p_{D1})^2}{n_1}
                              + \frac{p_{P2} + p_{D2} - (p_{P2} - p_{D2})^2}{n_2}}}

    with the two-sided normal p-value :math:`2 (1 - \Phi(|z|))`: the Wald interval of
    the NPS (Rocks 2016, "Interval Estimation for the 'Net Promoter Score'", *The American
    Statistician* 70(4), 365-372), the same variance as the margin of error DESIGN.md
    shows, applied to a difference of independent means.

    Parameters
    ----------
    promoters1, detractors1, n1
        Promoters, detractors and answers of the current period.
    promoters2, detractors2, n2
        The same for the previous period.

    Returns
    -------
    Significance or None
        ``difference`` is NPS1 - NPS2 as a fraction (0.1 = 10 points). ``None`` when a
        period has no answers, or when neither varies and the scores differ (no spread to
        judge the difference by).
    """
    for promoters, detractors, n in ((promoters1, detractors1, n1),
                                     (promoters2, detractors2, n2)):
        if promoters < 0 or detractors < 0 or promoters + detractors > n:
            raise ValueError(f"{promoters} promoters and {detractors} detractors do not fit "
                             f"in {n} answers")
    if n1 == 0 or n2 == 0:
        return None

    def score_and_variance(promoters: int, detractors: int, n: int) -> tuple[float, float]:
        p_promoter, p_detractor = promoters / n, detractors / n
        score = p_promoter - p_detractor
        # max(): rounding can leave -1e-17 where the true variance is 0
        return score, max(0.0, p_promoter + p_detractor - score**2) / n

    score1, variance1 = score_and_variance(promoters1, detractors1, n1)
    score2, variance2 = score_and_variance(promoters2, detractors2, n2)
    difference = score1 - score2
    if variance1 + variance2 == 0:
        return Significance(0.0, 0.0, 1.0, NPS_Z_TEST) if difference == 0 else None
    z = difference / math.sqrt(variance1 + variance2)
    return Significance(difference, z, _two_sided_normal(z), NPS_Z_TEST)


def changes_against_previous(
        table: Any, column: str,
        test: Callable[[Any, Any], Significance | NotTested]) -> dict[str, list[Any]]:
    """Each row's change of ``column`` against the row before it and its ``test`` (rows are
    periods, oldest first): ``change``, ``p_value``, ``significant`` (None when not tested)
    and ``change_test`` (the test's name, or why there is none), one value per row."""
    changes: list[float | None] = []
    p_values: list[float | None] = []
    verdicts: list[bool | None] = []
    tests: list[str] = []
    previous = None
    for _, row in table.iterrows():
        result = test(row, previous) if previous is not None else None
        if isinstance(result, Significance):
            changes.append(float(row[column] - previous[column]))
            p_values.append(result.p_value)
            verdicts.append(result.significant)
            tests.append(result.method)
        else:
            changes.append(None)
            p_values.append(None)
            verdicts.append(None)
            tests.append(result.reason if isinstance(result, NotTested)
                         else N_("no previous period"))
        previous = row
    return {"change": changes, "p_value": p_values, "significant": verdicts,
            "change_test": tests}
