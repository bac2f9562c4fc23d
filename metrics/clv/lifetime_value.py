"""Predictive CLV per customer: the BG/NBD and Gamma-Gamma models fitted on a customer
summary, combined into P(alive), expected purchases, expected spend and discounted CLV."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from metrics.clv.base import ArrayLike, FloatArray, as_array, distinct_rows
from metrics.clv.bgnbd import BetaGeoModel
from metrics.clv.gamma_gamma import GammaGammaModel
from metrics.clv.summary import DAYS_PER_WEEK, SUMMARY_COLUMNS
from metrics.errors import InputError
from metrics.i18n import t

DEFAULT_HORIZON_MONTHS = 12
DEFAULT_ANNUAL_DISCOUNT_RATE = 0.10
MAX_HORIZON_MONTHS = 120
# An average month: 365.25 / 12 days.
WEEKS_PER_MONTH = 365.25 / 12 / DAYS_PER_WEEK

PREDICTION_COLUMNS = (*SUMMARY_COLUMNS, "probability_alive", "expected_purchases",
                      "expected_average_spend", "clv")


@dataclass(frozen=True)
class ClvModels:
    """The two fitted models behind predictive CLV."""

    purchases: BetaGeoModel
    spend: GammaGammaModel


def fit_clv_models(summary: pd.DataFrame) -> ClvModels:
    """Fit BG/NBD on every customer of a summary and Gamma-Gamma on those with repeat
    purchases of positive value.

    Parameters
    ----------
    summary
        The frame of :func:`metrics.clv.summary.customer_summary`.

    Raises
    ------
    ModelError
        A model cannot be fitted to these data (the message says why).
    ConvergenceError
        A fit did not converge.
    """
    purchases = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    spend = GammaGammaModel().fit(summary["frequency"], summary["monetary_value"])
    return ClvModels(purchases, spend)


def _check_horizon(horizon_months: int, annual_discount_rate: float) -> None:
    if not isinstance(horizon_months, int | np.integer) or not (
            1 <= horizon_months <= MAX_HORIZON_MONTHS):
        raise InputError(t("The CLV horizon must be a whole number of months from 1 to "
                           "{maximum}.", maximum=MAX_HORIZON_MONTHS))
    if not np.isfinite(annual_discount_rate) or not 0 <= annual_discount_rate < 1:
        raise InputError(t("The discount rate must be at least 0% and below 100% a year."))


def expected_purchases_by_month(purchases: BetaGeoModel, frequency: ArrayLike,
                                recency: ArrayLike, T: ArrayLike,
                                horizon_months: int = DEFAULT_HORIZON_MONTHS) -> FloatArray:
    """Each customer's expected repeat purchases in each of the next months.

    The difference of the cumulative expectations (Fader, Hardie & Lee 2005, eq. 10) at
    the ends of consecutive months of :data:`WEEKS_PER_MONTH` weeks. Customers with the
    same history are computed once.

    Returns
    -------
    numpy.ndarray
        Shape (``horizon_months``, customers).
    """
    _check_horizon(horizon_months, 0.0)
    x = as_array(frequency, "frequency")
    (ux, utx, uT), row = distinct_rows((x, as_array(recency, "recency"), as_array(T, "T")))
    month_ends = np.arange(horizon_months + 1, dtype=np.float64)[:, None] * WEEKS_PER_MONTH
    cumulative = purchases.expected_purchases(month_ends, ux, utx, uT)
    return np.diff(cumulative, axis=0)[:, row]


def customer_lifetime_value(
    models: ClvModels, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike,
    monetary_value: ArrayLike, horizon_months: int = DEFAULT_HORIZON_MONTHS,
    annual_discount_rate: float = DEFAULT_ANNUAL_DISCOUNT_RATE,
) -> FloatArray:
    """Each customer's discounted expected revenue over the next ``horizon_months``.

    Month by month, as lifetimes' ``GammaGammaFitter.customer_lifetime_value``
    (``lifetimes.utils._customer_lifetime_value``) does, with an annual rate:

        CLV = Σ_{k=1..H} E(M | x, z̄) · [E(Y(k·w) | x, t_x, T) − E(Y((k−1)·w) | x, t_x, T)]
              / (1 + d)^(k/12)

    where w = 365.25/12/7 weeks is a month, E(Y(t) | ...) the BG/NBD conditional
    expectation (Fader, Hardie & Lee 2005, eq. 10), E(M | ...) the Gamma-Gamma expected
    spend per purchase (Fader & Hardie 2013, eq. 5), d the annual discount rate. Each
    month's purchases are discounted from the end of that month; (1 + d)^(1/12) is the
    monthly rate equivalent to d a year. The value is revenue: multiply by a margin for
    profit.

    Raises
    ------
    InputError
        The horizon is not 1 to 120 whole months, or the rate is not in [0, 1).
    ModelError
        The spend model's q is at most 1 (no finite mean spend).
    """
    _check_horizon(horizon_months, annual_discount_rate)
    per_month = expected_purchases_by_month(models.purchases, frequency, recency, T,
                                            horizon_months)
    spend = models.spend.expected_average_spend(frequency, monetary_value)
    return spend * np.dot(_discount_factors(horizon_months, annual_discount_rate), per_month)


def _discount_factors(horizon_months: int, annual_discount_rate: float) -> FloatArray:
    """1 / (1 + d)^(k/12) for the months k = 1 .. horizon: each month discounted from its end."""
    months = np.arange(1, horizon_months + 1, dtype=np.float64)
    return np.asarray((1.0 + annual_discount_rate) ** (-months / 12.0), dtype=np.float64)


def predict_customers(models: ClvModels, summary: pd.DataFrame,
                      horizon_months: int = DEFAULT_HORIZON_MONTHS,
                      annual_discount_rate: float = DEFAULT_ANNUAL_DISCOUNT_RATE
                      ) -> pd.DataFrame:
    """P(alive), expected purchases, expected spend and CLV of every customer.

    Parameters
    ----------
    models
        Fitted models (:func:`fit_clv_models`).
    summary
        The frame of :func:`metrics.clv.summary.customer_summary` (usually the one the
        models were fitted on).
    horizon_months
        The forecast horizon in months (default 12).
    annual_discount_rate
        The discount rate a year (default 0.10 = 10%).

    Returns
    -------
    pandas.DataFrame
        The summary's columns of :data:`SUMMARY_COLUMNS` plus ``probability_alive``,
        ``expected_purchases`` (repeat purchases in the horizon, undiscounted),
        ``expected_average_spend`` (per purchase) and ``clv`` (see
        :func:`customer_lifetime_value`), one row per customer in the summary's order.
    """
    _check_horizon(horizon_months, annual_discount_rate)
    x, tx, age = summary["frequency"], summary["recency"], summary["T"]
    per_month = expected_purchases_by_month(models.purchases, x, tx, age, horizon_months)
    spend = models.spend.expected_average_spend(x, summary["monetary_value"])
    frame = summary[list(SUMMARY_COLUMNS)].copy()
    frame["probability_alive"] = models.purchases.probability_alive(x, tx, age)
    frame["expected_purchases"] = per_month.sum(axis=0)
    frame["expected_average_spend"] = spend
    frame["clv"] = spend * np.dot(_discount_factors(horizon_months, annual_discount_rate),
                                  per_month)
    return frame
