"""The BG/NBD model of repeat purchases (Fader, Hardie & Lee 2005).

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting Your Customers" the Easy
Way: An Alternative to the Pareto/NBD Model. *Marketing Science* 24(2), 275-284.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Self

import numpy as np
from scipy.integrate import quad
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1, polygamma

from metrics.clv.base import (
    ArrayLike,
    CustomerModel,
    FloatArray,
    IntArray,
    ModelError,
    as_array,
    check_history,
    distinct_rows,
    group_identical,
    to_log_parameters,
    weights_for,
)
from metrics.i18n import N_, format_number, t

# Four parameters from fewer repeat buyers than this are guesses, not estimates.
MIN_REPEAT_CUSTOMERS = 10


@dataclass(frozen=True)
class _Histories:
    """Grouped customer histories, split the way the likelihood's terms need them.

    ``x``/``x_weight``: each distinct frequency and how many customers have it (the
    gamma-function terms depend on x alone); ``zero_*``: customers without repeat
    purchases, by age; ``repeat_*``: the distinct (x, t_x, T) of the others, with the
    distinct ages and recencies (``ages``, ``recencies``) and each row's number in them,
    so the logarithms are taken once per distinct value.
    """

    x: FloatArray
    x_weight: FloatArray
    zero_T: FloatArray
    zero_weight: FloatArray
    repeat_x: FloatArray
    repeat_weight: FloatArray
    ages: FloatArray
    repeat_age: IntArray
    recencies: FloatArray
    repeat_recency: IntArray
    total_weight: float
    total_x: float

    @classmethod
    def group(cls, frequency: FloatArray, recency: FloatArray, age: FloatArray,
              weights: FloatArray) -> _Histories:
        (x, tx, age), w = group_identical((frequency, recency, age), weights)
        (xs,), xs_weight = group_identical((x,), w)
        zero = x == 0
        repeat = ~zero
        (ages,), age_number = distinct_rows((age[repeat],))
        (recencies,), recency_number = distinct_rows((tx[repeat],))
        return cls(xs, xs_weight, age[zero], w[zero], x[repeat], w[repeat], ages, age_number,
                   recencies, recency_number, float(w.sum()), float(np.dot(w, x)))


def _log_likelihood_derivatives(log_params: FloatArray, data: _Histories
                                ) -> tuple[float, FloatArray, FloatArray]:
    """The total log-likelihood of the histories, its gradient and Hessian in the
    log-parameters (ln r, ln α, ln a, ln b).

    Fader, Hardie & Lee (2005), eq. (6), in logs:

        ln L = ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b)
               + ln[ exp(C) + δ(x>0) exp(D) ],
        C = −(r+x) ln(α+T),   D = ln a − ln(b+x−1) − (r+x) ln(α+t_x).

    The last term is a log-sum-exp (stable for large x); with s the share of exp(D)
    (the customer dropped out after the last purchase), its derivatives are
    (1−s) ∂C + s ∂D and (1−s) ∂²C + s ∂²D + s(1−s) (∂D−∂C)(∂D−∂C)ᵀ. The terms in x alone
    are summed per distinct x. (``np.dot`` on vectors: numpy's ``@`` is far slower here.)
    """
    theta = np.exp(log_params)
    r, alpha, a, b = theta
    n = data.total_weight
    gradient = np.zeros(4)
    hessian = np.zeros((4, 4))

    # terms in x alone: ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b)
    x, w = data.x, data.x_weight
    value = (np.dot(w, gammaln(r + x) + betaln(a, b + x))
             + n * (r * np.log(alpha) - gammaln(r) - betaln(a, b)))
    psi_ab_x, trigamma_ab_x = digamma(a + b + x), polygamma(1, a + b + x)
    gradient += [np.dot(w, digamma(r + x)) + n * (np.log(alpha) - digamma(r)),
                 n * r / alpha,
                 n * digamma(a + b) - np.dot(w, psi_ab_x),
                 np.dot(w, digamma(b + x) - psi_ab_x) + n * (digamma(a + b) - digamma(b))]
    hessian[0, 0] = np.dot(w, polygamma(1, r + x)) - n * polygamma(1, r)
    hessian[0, 1] = n / alpha
    hessian[1, 1] = -n * r / alpha**2
    hessian[2, 2] = hessian[2, 3] = n * polygamma(1, a + b) - np.dot(w, trigamma_ab_x)
    hessian[3, 3] = (hessian[2, 2] + np.dot(w, polygamma(1, b + x))
                     - n * polygamma(1, b))

    # customers without repeat purchases: C = −r ln(α+T)
    w = data.zero_weight
    inverse_age = 1.0 / (alpha + data.zero_T)
    sum_log_age = np.dot(w, np.log(alpha + data.zero_T))
    sum_inverse_age = np.dot(w, inverse_age)
    value -= r * sum_log_age
    gradient[:2] -= [sum_log_age, r * sum_inverse_age]
    hessian[0, 1] -= sum_inverse_age
    hessian[1, 1] += r * np.dot(w, inverse_age**2)

    # repeat customers: ln[exp(C) + exp(D)]
    x, w = data.repeat_x, data.repeat_weight
    log_age = np.log(alpha + data.ages)[data.repeat_age]
    log_recency = np.log(alpha + data.recencies)[data.repeat_recency]
    inverse_age = (1.0 / (alpha + data.ages))[data.repeat_age]
    inverse_recency = (1.0 / (alpha + data.recencies))[data.repeat_recency]
    inverse_b = 1.0 / (b + x - 1)
    k = r + x
    c = -k * log_age
    d = np.log(a) + np.log(inverse_b) - k * log_recency
    value += np.dot(w, np.logaddexp(c, d))
    s = expit(d - c)
    ws, wu = w * s, w * (1.0 - s)
    wv = ws * (1.0 - s)  # weight of (∂D−∂C)(∂D−∂C)ᵀ
    delta_r = log_age - log_recency
    delta_alpha = k * (inverse_age - inverse_recency)
    wv_delta_r, wv_delta_alpha = wv * delta_r, wv * delta_alpha
    sum_ws = ws.sum()
    gradient += [-np.dot(wu, log_age) - np.dot(ws, log_recency),
                 -np.dot(wu * k, inverse_age) - np.dot(ws * k, inverse_recency),
                 sum_ws / a,
                 -np.dot(ws, inverse_b)]
    hessian[0, 0] += np.dot(wv_delta_r, delta_r)
    hessian[0, 1] += (np.dot(wv_delta_r, delta_alpha) - np.dot(wu, inverse_age)
                      - np.dot(ws, inverse_recency))
    hessian[0, 2] += wv_delta_r.sum() / a
    hessian[0, 3] -= np.dot(wv_delta_r, inverse_b)
    hessian[1, 1] += (np.dot(wv_delta_alpha, delta_alpha)
                      + np.dot(wu * k, inverse_age**2) + np.dot(ws * k, inverse_recency**2))
    hessian[1, 2] += wv_delta_alpha.sum() / a
    hessian[1, 3] -= np.dot(wv_delta_alpha, inverse_b)
    # ∂²D/∂a² = −1/a², ∂²D/∂b² = 1/(b+x−1)²: with the s(1−s) terms, −s²/a² and s(2−s)/(b+x−1)²
    hessian[2, 2] -= np.dot(ws, s) / a**2
    hessian[2, 3] -= np.dot(wv, inverse_b) / a
    hessian[3, 3] += np.dot(ws * (2.0 - s), inverse_b**2)
    return to_log_parameters(float(value), gradient, hessian, theta)


def _hypergeometric_bracket(r: float, a: float, b: float, x: FloatArray, z: ArrayLike
                            ) -> FloatArray:
    """1 − (1−z)^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z), the bracket of Fader, Hardie & Lee
    (2005) eq. (10) (eq. (9) with x = 0), in a form whose ₂F₁ does not overflow.

    ₂F₁(A, B; C; z) grows roughly like (1−z)^(−AB/C): as printed, AB/C ≈ x for large x;
    after Euler's transformation (C−A)(C−B)/C ≈ a for large a. Each element uses the
    smaller, and the other form where that one still overflows.
    """
    c = a + b + x - 1
    printed_growth = np.abs((r + x) * (b + x) / c)
    euler_growth = np.abs((a + b - 1 - r) * (a - 1)) / np.abs(c)

    def printed(x: FloatArray, z: FloatArray) -> FloatArray:
        return np.asarray(1.0 - (1.0 - z) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))

    def euler(x: FloatArray, z: FloatArray) -> FloatArray:
        return np.asarray(1.0 - (1.0 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1,
                                                              a + b + x - 1, z))

    x, z, use_euler = np.broadcast_arrays(x, np.asarray(z, dtype=np.float64),
                                          euler_growth < printed_growth)
    bracket = np.empty(x.shape)
    bracket[use_euler] = euler(x[use_euler], z[use_euler])
    bracket[~use_euler] = printed(x[~use_euler], z[~use_euler])
    failed = ~np.isfinite(bracket)
    if np.any(failed):  # the chosen form still overflowed: try the other one
        retry = failed & use_euler
        bracket[retry] = printed(x[retry], z[retry])
        retry = failed & ~use_euler
        bracket[retry] = euler(x[retry], z[retry])
        failed = ~np.isfinite(bracket)
    if np.any(failed):  # scipy's ₂F₁ gives up near z = 1 with large parameters
        bracket[failed] = [_bracket_by_integration(r, a, b, float(xi), float(zi))
                           for xi, zi in zip(x[failed], z[failed], strict=True)]
    return bracket


def _bracket_by_integration(r: float, a: float, b: float, x: float, z: float) -> float:
    """The bracket of :func:`_hypergeometric_bracket` from the integral it solves.

    Integrating the gamma-distributed rate out of Fader, Hardie & Lee (2005) eq. (10)
    leaves (a+b+x−1)/(a−1) × bracket = ∫ (1 − (1+pu)^−(r+x)) / p · beta(p; a, b+x) dp
    with u = t/(α+T) = z/(1−z). Adaptive quadrature on [0, ½] and [½, 1]: where the beta
    density is infinite at an end (a < 1 at 0, b+x < 1 at 1) that power is the
    quadrature's weight, the rest is taken in logs (it underflows for large a or b).
    Slow, so only where ₂F₁ fails.
    """
    k, u = r + x, z / (1.0 - z)
    log_beta = betaln(a, b + x)
    power_at_0, power_at_1 = a - 1, b + x - 1

    def integrand(p: float, weighted_0: bool, weighted_1: bool) -> float:
        gain = k * u if p == 0.0 else -math.expm1(-k * math.log1p(p * u)) / p
        log_density = -log_beta
        if not weighted_0:
            log_density += power_at_0 * math.log(p) if p > 0 else -math.inf
        if not weighted_1:
            log_density += power_at_1 * math.log1p(-p) if p < 1 else -math.inf
        return gain * math.exp(log_density)

    mode = power_at_0 / (power_at_0 + power_at_1) if a > 1 and b + x > 1 else 0.0
    integral = 0.0
    for low, high in ((0.0, 0.5), (0.5, 1.0)):
        weighted_0, weighted_1 = low == 0.0 and a < 1, high == 1.0 and b + x < 1
        if weighted_0 or weighted_1:
            value, _ = quad(integrand, low, high, args=(weighted_0, weighted_1), weight="alg",
                            wvar=(power_at_0 if weighted_0 else 0.0,
                                  power_at_1 if weighted_1 else 0.0),
                            epsabs=0.0, epsrel=1e-10, limit=500)
        else:
            scales = [q for q in (mode, 1 / u, 1 / (k * u)) if low < q < high]
            value, _ = quad(integrand, low, high, args=(False, False), points=scales or None,
                            epsabs=0.0, epsrel=1e-10, limit=500)
        integral += value
    return integral * (a - 1) / (a + b + x - 1)


class BetaGeoModel(CustomerModel):
    """The BG/NBD model: how many repeat purchases each customer will make.

    While alive, a customer buys at a Poisson rate λ (gamma(r, α) across customers);
    after each purchase they drop out with probability p (beta(a, b) across customers).
    Fitted by maximum likelihood on each customer's (x, t_x, T): repeat purchase days,
    weeks from the first to the last purchase, weeks from the first purchase to the end
    of calibration (Fader, Hardie & Lee 2005).

    Parameters
    ----------
    min_repeat_customers
        Refuse to fit with fewer customers who bought again than this.

    Attributes
    ----------
    params_ : dict[str, float]
        ``r``, ``alpha`` (in weeks, the time unit of the data), ``a``, ``b``.
    standard_errors_ : dict[str, float]
        Their standard errors, from the observed information at the maximum.
    log_likelihood_ : float
        The log-likelihood of the data at ``params_`` (the papers report it too).
    customers_ : int
        The number of customers fitted on.

    Examples
    --------
    >>> model = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    >>> model.probability_alive(summary["frequency"], summary["recency"], summary["T"])
    """

    parameter_names = ("r", "alpha", "a", "b")
    label = N_("purchase model (BG/NBD)")

    def __init__(self, min_repeat_customers: int = MIN_REPEAT_CUSTOMERS) -> None:
        self.min_repeat_customers = min_repeat_customers

    def fit(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike,
            weights: ArrayLike | None = None) -> Self:
        """Fit the model to customer histories; returns the fitted model.

        Parameters
        ----------
        frequency
            Repeat purchase days of each customer (x).
        recency
            Weeks from the first to the last purchase day (t_x; 0 when x = 0).
        T
            Weeks from the first purchase day to the end of calibration.
        weights
            How many customers each row stands for (1 each by default), for data that
            are already grouped.

        Raises
        ------
        ModelError
            The inputs break the rules above, all purchases fall on one day, nobody or
            too few customers bought again.
        ConvergenceError
            The likelihood has no finite maximum the optimiser can reach.
        """
        x = as_array(frequency, "frequency")
        recency_weeks = as_array(recency, "recency")
        age = as_array(T, "T")
        check_history(x, recency_weeks, age)
        w = weights_for(weights, len(x))
        if len(x) == 0 or w.sum() == 0:
            raise ModelError(t("There are no customers to fit the {model} to.",
                               model=t(self.label)))
        if np.all(age[w > 0] == 0):
            raise ModelError(t("All purchases fall on a single day, so there is no time in "
                               "which to see customers come back: choose a later "
                               "calibration end date."))
        repeat_customers = float(w[x > 0].sum())
        if repeat_customers == 0:
            raise ModelError(t("No customer bought on more than one day, so there is no "
                               "repeat buying to learn from: choose a later calibration end "
                               "date or a wider segment."))
        if repeat_customers < self.min_repeat_customers:
            raise ModelError(t("Only {count} customers bought on more than one day; the "
                               "{model} needs at least {minimum}: choose a later calibration "
                               "end date or a wider segment.",
                               count=format_number(repeat_customers), model=t(self.label),
                               minimum=self.min_repeat_customers))
        # Measure time in units of the oldest customer's age: α then starts near 1 and
        # the optimiser sees a well-scaled problem whatever the time unit (as lifetimes).
        scale = 1.0 / float(age.max())
        data = _Histories.group(x, recency_weeks * scale, age * scale, w)

        log_params = self._maximise(lambda z: _log_likelihood_derivatives(z, data),
                                    np.zeros(4), data.total_weight)
        r, alpha, a, b = np.exp(log_params)
        self.params_ = {"r": float(r), "alpha": float(alpha / scale), "a": float(a),
                        "b": float(b)}
        # The likelihood is a density in a customer's x repeat purchase times, so in the
        # scaled time unit it is scale^-x times the one in weeks: add back x ln(scale).
        self.log_likelihood_ = (self._fit_log_likelihood + np.log(scale) * data.total_x)
        self._set_standard_errors()
        self.customers_ = round(float(w.sum()))
        return self

    def log_likelihood(self, frequency: ArrayLike, recency: ArrayLike,
                       T: ArrayLike) -> FloatArray:
        """Each customer's log-likelihood at the fitted parameters (paper eq. 6)."""
        x, tx, age = self._history(frequency, recency, T)
        r, alpha, a, b = self._fitted()
        common = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x)
                  - betaln(a, b))
        alive = -(r + x) * np.log(alpha + age)
        with np.errstate(invalid="ignore", divide="ignore"):
            dropped = np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + tx)
        return common + np.where(x > 0, np.logaddexp(alive, dropped), alive)

    def probability_alive(self, frequency: ArrayLike, recency: ArrayLike,
                          T: ArrayLike) -> FloatArray:
        """P(alive): the probability that each customer has not dropped out by T.

        Fader, Hardie & Lee (2008), "Computing P(alive) using the BG/NBD model"
        (brucehardie.com/notes/021), eq. (2):

            P(alive | x, t_x, T) = 1 / (1 + δ(x>0) a/(b+x−1) ((α+T)/(α+t_x))^(r+x))

        computed as a logistic function of the log-odds (stable for large x). A customer
        without repeat purchases has P(alive) = 1: in this model customers only drop out
        right after a purchase.
        """
        x, tx, age = self._history(frequency, recency, T)
        return self._probability_alive(x, tx, age)

    def _probability_alive(self, x: FloatArray, tx: FloatArray, age: FloatArray
                           ) -> FloatArray:
        r, alpha, a, b = self._fitted()
        repeat = np.maximum(x, 1)  # b + x − 1 is only used where x > 0
        log_odds_dropped = (np.log(a) - np.log(b + repeat - 1)
                            + (r + x) * (np.log(alpha + age) - np.log(alpha + tx)))
        return np.where(x > 0, expit(-log_odds_dropped), 1.0)

    def expected_purchases(self, weeks: ArrayLike, frequency: ArrayLike, recency: ArrayLike,
                           T: ArrayLike) -> FloatArray:
        """Expected repeat purchases of each customer in the next ``weeks`` weeks (t below).

        Fader, Hardie & Lee (2005), eq. (10):

            E[Y(t) | x, t_x, T] = (a+b+x−1)/(a−1)
                × [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
                / [1 + δ(x>0) a/(b+x−1) ((α+T)/(α+t_x))^(r+x)]

        The denominator is 1 / P(alive). The bracket is evaluated as printed and, by
        Euler's transformation ₂F₁(A, B; C; z) = (1−z)^(C−A−B) ₂F₁(C−A, C−B; C; z), as
        1 − (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z): the printed form overflows for
        large x, the transformed one for large a, so each customer gets the form whose
        ₂F₁ grows less, and where SciPy's ₂F₁ still fails (z near 1 with a or b in the
        hundreds) the integral it stands for is computed numerically
        (:func:`_hypergeometric_bracket`). ``weeks`` broadcasts against the customers (for
        example a column of horizons). Undefined for a = 1 exactly.

        Raises
        ------
        ModelError
            The horizon is negative, or a forecast is not a finite number.
        """
        x, tx, age = self._history(frequency, recency, T)
        horizon = np.asarray(weeks, dtype=np.float64)
        if np.any(horizon < 0):
            raise ModelError(t("The forecast horizon cannot be negative."))
        r, alpha, a, b = self._fitted()
        z = horizon / (alpha + age + horizon)
        bracket = _hypergeometric_bracket(r, a, b, x, z)
        expected = (a + b + x - 1) / (a - 1) * bracket * self._probability_alive(x, tx, age)
        if not np.all(np.isfinite(expected)):
            raise ModelError(t("The {model} cannot forecast some customers this far ahead: "
                               "choose a shorter horizon.", model=t(self.label)))
        return np.asarray(expected, dtype=np.float64)

    def expected_purchases_new_customer(self, weeks: ArrayLike) -> FloatArray:
        """Expected repeat purchases in the first ``weeks`` weeks (t below) of a new customer.

        Fader, Hardie & Lee (2005), eq. (9):

            E[X(t)] = (a+b−1)/(a−1) [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))]

        (evaluated as in :meth:`expected_purchases`).
        """
        horizon = np.asarray(weeks, dtype=np.float64)
        r, alpha, a, b = self._fitted()
        z = horizon / (alpha + horizon)
        return (a + b - 1) / (a - 1) * _hypergeometric_bracket(r, a, b, np.zeros(1), z)

    @staticmethod
    def _history(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
                 ) -> tuple[FloatArray, FloatArray, FloatArray]:
        x = as_array(frequency, "frequency")
        tx = as_array(recency, "recency")
        age = as_array(T, "T")
        check_history(x, tx, age)
        return x, tx, age
