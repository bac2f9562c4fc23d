"""The Gamma-Gamma model of spend per purchase (Fader & Hardie 2013).

Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma Model of Monetary Value.
brucehardie.com/notes/025. The model is that of Colombo & Jiang (1999), "A stochastic RFM
model", *Journal of Interactive Marketing* 13(3), 2-12, as used in Fader, Hardie & Lee
(2005), "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis", *Journal of
Marketing Research* 42(4), 415-430.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np
from scipy.special import digamma, gammaln, polygamma

from metrics.clv.base import (
    ArrayLike,
    CustomerModel,
    FloatArray,
    ModelError,
    as_array,
    check_frequency,
    group_identical,
    same_length,
    to_log_parameters,
    weights_for,
)
from metrics.i18n import N_, format_number, t

# Three parameters from fewer repeat buyers than this are guesses, not estimates.
MIN_REPEAT_CUSTOMERS = 10


@dataclass(frozen=True)
class _Spend:
    """Grouped (x, z̄) of the customers fitted on, and the sums that do not change with
    the parameters: the weight of each distinct x, Σ w ln z̄ and Σ w x (ln z̄ + ln x)."""

    x: FloatArray
    x_spend: FloatArray
    weight: FloatArray
    x_weight_product: FloatArray
    xs: FloatArray
    xs_weight: FloatArray
    sum_log_spend: float
    sum_x_log: float
    total_weight: float

    @classmethod
    def group(cls, frequency: FloatArray, spend: FloatArray, weights: FloatArray) -> _Spend:
        (x, spend), w = group_identical((frequency, spend), weights)
        (xs,), xs_weight = group_identical((x,), w)
        log_spend = np.log(spend)
        return cls(x, x * spend, w, w * x, xs, xs_weight, float(np.dot(w, log_spend)),
                   float(np.dot(w * x, log_spend + np.log(x))), float(w.sum()))


def _log_likelihood_derivatives(log_params: FloatArray, data: _Spend
                                ) -> tuple[float, FloatArray, FloatArray]:
    """The total log-likelihood, its gradient and Hessian in (ln p, ln q, ln γ).

    Fader & Hardie (2013), the marginal density of z̄, in logs:

        ln f = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln z̄ + px ln x
               − (px+q) ln(γ + x z̄)

    The gamma-function terms depend on x alone and are summed per distinct x.
    (``np.dot`` on vectors: numpy's ``@`` is far slower here.)
    """
    theta = np.exp(log_params)
    p, q, v = theta
    n = data.total_weight
    xs, ws = data.xs, data.xs_weight
    log_total = np.log(v + data.x_spend)
    inverse_total = 1.0 / (v + data.x_spend)
    sum_x_log_total = np.dot(data.x_weight_product, log_total)
    sum_log_total = np.dot(data.weight, log_total)
    sum_x_inverse = np.dot(data.x_weight_product, inverse_total)
    sum_inverse = np.dot(data.weight, inverse_total)
    pxq = p * xs + q
    value = (np.dot(ws, gammaln(pxq) - gammaln(p * xs)) + n * (q * np.log(v) - gammaln(q))
             + p * data.sum_x_log - data.sum_log_spend - p * sum_x_log_total
             - q * sum_log_total)
    psi_pxq, trigamma_pxq = digamma(pxq), polygamma(1, pxq)
    gradient = np.array([
        np.dot(ws * xs, psi_pxq - digamma(p * xs)) + data.sum_x_log - sum_x_log_total,
        np.dot(ws, psi_pxq) + n * (np.log(v) - digamma(q)) - sum_log_total,
        n * q / v - p * sum_x_inverse - q * sum_inverse,
    ])
    hessian = np.zeros((3, 3))
    hessian[0, 0] = np.dot(ws * xs**2, trigamma_pxq - polygamma(1, p * xs))
    hessian[0, 1] = np.dot(ws * xs, trigamma_pxq)
    hessian[0, 2] = -sum_x_inverse
    hessian[1, 1] = np.dot(ws, trigamma_pxq) - n * polygamma(1, q)
    hessian[1, 2] = n / v - sum_inverse
    squared = inverse_total**2
    hessian[2, 2] = (-n * q / v**2 + p * np.dot(data.x_weight_product, squared)
                     + q * np.dot(data.weight, squared))
    return to_log_parameters(float(value), gradient, hessian, theta)


class GammaGammaModel(CustomerModel):
    """The Gamma-Gamma model: each customer's expected spend per purchase.

    A customer's purchase values are gamma(p, ν) around their mean p/ν; ν is
    gamma(q, γ) across customers (``v`` here is γ, the papers' scale). The average z̄ of a
    customer's x repeat purchases is then gamma(px, νx), and the model is fitted by
    maximum likelihood on (x, z̄) of the customers with repeat purchases of positive
    value (Fader & Hardie 2013). It assumes spend does not depend on how often a
    customer buys.

    Parameters
    ----------
    min_repeat_customers
        Refuse to fit with fewer customers with repeat purchases of positive value.

    Attributes
    ----------
    params_ : dict[str, float]
        ``p``, ``q``, ``v`` (``v`` is γ, in the currency of the data).
    standard_errors_ : dict[str, float]
        Their standard errors, from the observed information at the maximum.
    log_likelihood_ : float
        The log-likelihood of the repeat customers' average spend at ``params_``.
    customers_ : int
        The number of customers fitted on (those with repeat purchases of positive value).
    """

    parameter_names = ("p", "q", "v")
    label = N_("spend model (Gamma-Gamma)")

    def __init__(self, min_repeat_customers: int = MIN_REPEAT_CUSTOMERS) -> None:
        self.min_repeat_customers = min_repeat_customers

    def fit(self, frequency: ArrayLike, monetary_value: ArrayLike,
            weights: ArrayLike | None = None) -> Self:
        """Fit the model; returns the fitted model.

        Parameters
        ----------
        frequency
            Repeat purchase days of each customer (x).
        monetary_value
            The mean value of each customer's repeat purchase days (z̄). Customers with
            x = 0 or z̄ <= 0 say nothing about spend per purchase and are left out, so the
            whole customer summary can be passed.
        weights
            How many customers each row stands for (1 each by default).

        Raises
        ------
        ModelError
            No (or too few) customers have repeat purchases of positive value.
        ConvergenceError
            The likelihood has no finite maximum the optimiser can reach.
        """
        x = as_array(frequency, "frequency")
        spend = as_array(monetary_value, "monetary_value")
        same_length(x, spend)
        check_frequency(x)
        w = weights_for(weights, len(x))
        used = (x > 0) & (spend > 0) & (w > 0)
        x, spend, w = x[used], spend[used], w[used]
        if len(x) == 0:
            raise ModelError(t("No customer has repeat purchases of positive value, so the "
                               "{model} has nothing to learn from: choose a later calibration "
                               "end date or a wider segment.", model=t(self.label)))
        if w.sum() < self.min_repeat_customers:
            raise ModelError(t("Only {count} customers have repeat purchases of positive "
                               "value; the {model} needs at least {minimum}: choose a later "
                               "calibration end date or a wider segment.",
                               count=format_number(w.sum()), model=t(self.label),
                               minimum=self.min_repeat_customers))
        # Spend in units of its mean keeps γ near 1 whatever the currency.
        scale = float(np.average(spend, weights=w))
        data = _Spend.group(x, spend / scale, w)
        # A start where the population mean pγ/(q−1) is 1, the scaled mean spend.
        log_params = self._maximise(lambda z: _log_likelihood_derivatives(z, data),
                                    np.log(np.array([1.0, 2.0, 1.0])), data.total_weight)
        p, q, v = np.exp(log_params)
        self.params_ = {"p": float(p), "q": float(q), "v": float(v * scale)}
        # back to the data's currency: the density of z̄ is 1/scale times the scaled one
        self.log_likelihood_ = self._fit_log_likelihood - data.total_weight * np.log(scale)
        self.customers_ = round(data.total_weight)
        self._set_standard_errors()
        return self

    def expected_average_spend(self, frequency: ArrayLike,
                               monetary_value: ArrayLike) -> FloatArray:
        """Each customer's expected spend per purchase, given their past repeat purchases.

        Fader & Hardie (2013), eq. (5):

            E(M | x, z̄) = (q−1)/(px+q−1) · pγ/(q−1) + px/(px+q−1) · z̄
                        = p(γ + x z̄) / (px + q − 1)

        a weighted mean of the population mean pγ/(q−1) and the customer's own average;
        a customer without repeat purchases (x = 0) gets the population mean.

        Raises
        ------
        ModelError
            The fitted q is at most 1: the population mean spend is infinite.
        """
        x = as_array(frequency, "frequency")
        spend = as_array(monetary_value, "monetary_value")
        same_length(x, spend)
        check_frequency(x)
        p, q, v = self._fitted()
        if q <= 1:
            raise ModelError(t("Spend per purchase varies too much between customers for the "
                               "{model} to predict an average (q = {q} is not above 1).",
                               model=t(self.label), q=format_number(q, "0.00")))
        return p * (v + x * np.where(x > 0, spend, 0.0)) / (p * x + q - 1)

    def population_average_spend(self) -> float:
        """The mean spend per purchase across customers, pγ/(q−1) (q > 1)."""
        return float(self.expected_average_spend([0], [0])[0])
