"""The predictive CLV a page or the CLI shows: fit BG/NBD + Gamma-Gamma on a dataset's
customers up to a calibration end, predict every customer, and validate the purchase
model on a holdout period (DESIGN.md, "CLV, predictive")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from metrics.clv.base import distinct_rows
from metrics.clv.lifetime_value import (
    DEFAULT_ANNUAL_DISCOUNT_RATE,
    DEFAULT_HORIZON_MONTHS,
    ClvModels,
    fit_clv_models,
    predict_customers,
)
from metrics.clv.summary import customer_summary
from metrics.errors import InputError
from metrics.i18n import t
from metrics.query.filters import Filters, orders_span
from metrics.query.run import query_frame
from metrics.query.segments import customer_groups_query, segment_filter_sql
from metrics.query.sql import bind, days_between_sql, load_sql, with_ctes
from metrics.store import Dataset, Store

# A customer "at risk": among the top fifth by past value, with P(alive) below one half.
AT_RISK_PROBABILITY = 0.5
AT_RISK_VALUE_QUANTILE = 0.8


@dataclass(frozen=True)
class PredictiveClv:
    """Fitted models and per-customer predictions for one filter state."""

    calibration_end: date
    horizon_months: int
    annual_discount_rate: float
    models: ClvModels
    customers: pd.DataFrame  # predict_customers' columns, plus past_value and group_value

    def parameters(self) -> dict[str, dict[str, float]]:
        """The fitted parameters as the CLI prints them."""
        purchases, spend = self.models.purchases, self.models.spend
        return {
            "bgnbd": {**purchases.params_, "log_likelihood": purchases.log_likelihood_},
            "gamma_gamma": {**spend.params_, "log_likelihood": spend.log_likelihood_},
        }

    def at_risk(self, top: int = 50) -> pd.DataFrame:
        """Customers with a high past value and a low P(alive): the top fifth by revenue so
        far whose P(alive) is under 50%, highest past value first."""
        frame = self.customers
        if frame.empty:
            return frame
        valuable = frame["past_value"] >= frame["past_value"].quantile(AT_RISK_VALUE_QUANTILE)
        risky = frame[valuable & (frame["probability_alive"] < AT_RISK_PROBABILITY)]
        return risky.sort_values(["past_value", "customer_id"],
                                 ascending=[False, True]).head(top)

    def top_customers(self, top: int = 50) -> pd.DataFrame:
        return self.customers.sort_values(["clv", "customer_id"],
                                          ascending=[False, True]).head(top)

    def by_group(self) -> pd.DataFrame:
        """Customers, total and mean predicted CLV per segment value (or overall)."""
        frame = self.customers.assign(group_value=self.customers["group_value"].fillna(""))
        totals = frame.groupby("group_value", sort=True).agg(
            customers=("customer_id", "count"), total_clv=("clv", "sum"),
            mean_clv=("clv", "mean"), mean_probability_alive=("probability_alive", "mean"),
            expected_purchases=("expected_purchases", "sum")).reset_index()
        totals["group_value"] = totals["group_value"].astype(object).where(
            totals["group_value"] != "", None)
        return totals.sort_values("total_clv", ascending=False).reset_index(drop=True)


def predictive_clv(store: Store, dataset: Dataset, filters: Filters,
                   calibration_end: date | None = None,
                   horizon_months: int = DEFAULT_HORIZON_MONTHS,
                   annual_discount_rate: float = DEFAULT_ANNUAL_DISCOUNT_RATE,
                   by: str | None = None) -> PredictiveClv:
    """Fit the models on every customer's history up to ``calibration_end`` (default: the
    data's last day) and predict each customer's CLV over the horizon.

    The segment filters choose the orders (as everywhere); ``by`` labels each customer
    with a segment value (their first purchase's, or their customer attribute).

    Raises
    ------
    metrics.clv.ModelError
        The models cannot be fitted to these customers (the message says why).
    """
    _, last = orders_span(dataset)
    end = calibration_end or last
    summary = customer_summary(store, dataset, end, filters=filters)
    models = fit_clv_models(summary)
    customers = predict_customers(models, summary, horizon_months, annual_discount_rate)
    customers["past_value"] = _past_values(store, dataset, filters, end, customers)
    customers["group_value"] = _groups(store, dataset, filters, by, customers)
    return PredictiveClv(end, horizon_months, annual_discount_rate, models, customers)


def _past_values(store: Store, dataset: Dataset, filters: Filters, end: date,
                 customers: pd.DataFrame) -> pd.Series:
    segment_sql, params = segment_filter_sql(dataset, filters)
    sql = load_sql("clv_past_values").format(orders_table=dataset.table("orders"),
                                             segment_filter=segment_sql)
    frame = query_frame(store, sql, bind(sql, params | {"end": end}))
    values = dict(zip(frame["customer_id"].astype(str), frame["past_value"], strict=True))
    return customers["customer_id"].map(values).fillna(0.0)


def _groups(store: Store, dataset: Dataset, filters: Filters, by: str | None,
            customers: pd.DataFrame) -> pd.Series:
    if by is None:
        return pd.Series([None] * len(customers), index=customers.index, dtype=object)
    sql, params = customer_groups_query(dataset, by, filters)
    frame = query_frame(store, sql, params)
    groups = dict(zip(frame["customer_id"].astype(str), frame["group_value"], strict=True))
    return customers["customer_id"].map(groups).astype(object).where(
        customers["customer_id"].map(groups).notna(), None)


@dataclass(frozen=True)
class HoldoutValidation:
    """Predicted against actual repeat purchases, week by week after the calibration end."""

    calibration_end: date
    holdout_end: date
    models: ClvModels
    weeks: pd.DataFrame  # week, week_start, actual, predicted and their running totals

    @property
    def error_pct(self) -> float | None:
        """(predicted − actual) ÷ actual × 100 over the whole holdout period."""
        actual = float(self.weeks["actual_cumulative"].iloc[-1]) if len(self.weeks) else 0.0
        if actual == 0:
            return None
        predicted = float(self.weeks["predicted_cumulative"].iloc[-1])
        return (predicted - actual) / actual * 100


def holdout_purchases_query(dataset: Dataset, filters: Filters, calibration_end: date,
                            holdout_end: date, statement: str | None = None
                            ) -> tuple[str, dict[str, Any]]:
    """The SQL of the actual repeat purchase days per week after the calibration end, as
    :func:`holdout_validation` runs it, and its parameters. ``statement`` (a final
    SELECT over the CTEs of ``sql/holdout_purchase_days.sql``) replaces its own: the
    purchase days behind a week (:mod:`metrics.explain.clv`)."""
    segment_sql, params = segment_filter_sql(dataset, filters)
    sql = with_ctes(load_sql("holdout_purchase_days"),
                    query=statement or load_sql("holdout_purchases")).format(
        orders_table=dataset.table("orders"), segment_filter=segment_sql,
        days_after_calibration=days_between_sql("CAST($calibration_end AS DATE)",
                                                "d.order_date"))
    return sql, bind(sql, params | {"calibration_end": calibration_end,
                                   "holdout_end": holdout_end})


def holdout_period(dataset: Dataset, calibration_end: date, holdout_end: date | None = None
                   ) -> tuple[date, int]:
    """The holdout's last day and its number of weeks: the whole weeks after
    ``calibration_end`` up to ``holdout_end`` (default: the data's last day); an error a
    user can act on when there is not one week."""
    first, last = orders_span(dataset)
    weeks = ((holdout_end or last) - calibration_end).days // 7
    if calibration_end < first or weeks < 1:
        raise InputError(t("Choose a calibration end between {first} and {last}, at least a "
                           "week before the data ends, so there is a holdout period to "
                           "compare with.", first=first.isoformat(),
                           last=(last - timedelta(days=7)).isoformat()))
    return calibration_end + timedelta(days=7 * weeks), weeks


def holdout_validation(store: Store, dataset: Dataset, filters: Filters,
                       calibration_end: date, holdout_end: date | None = None
                       ) -> HoldoutValidation:
    """Fit the purchase model on the data up to ``calibration_end`` and compare its
    expected repeat purchases in each following week (Fader, Hardie & Lee 2005, eq. 10,
    summed over the customers) with the repeat purchase days that happened, up to
    ``holdout_end`` (default: the data's last day). Only whole weeks are compared.
    """
    end, weeks = holdout_period(dataset, calibration_end, holdout_end)
    summary = customer_summary(store, dataset, calibration_end, filters=filters)
    models = fit_clv_models(summary)
    sql, params = holdout_purchases_query(dataset, filters, calibration_end, end)
    actual = query_frame(store, sql, params)
    week_numbers = np.arange(1, weeks + 1)
    (x, tx, age), row = distinct_rows((summary["frequency"].to_numpy(dtype=float),
                                       summary["recency"].to_numpy(dtype=float),
                                       summary["T"].to_numpy(dtype=float)))
    counts = np.bincount(row, minlength=len(x))
    horizons = np.arange(0, weeks + 1, dtype=np.float64)[:, None]
    cumulative = models.purchases.expected_purchases(horizons, x, tx, age) @ counts
    by_week = dict(zip(actual["week"], actual["actual_purchases"], strict=True))
    frame = pd.DataFrame({
        "week": week_numbers,
        "week_start": [calibration_end + timedelta(days=7 * (int(n) - 1) + 1)
                       for n in week_numbers],
        "actual": [int(by_week.get(n, 0)) for n in week_numbers],
        "predicted": np.diff(cumulative),
    })
    frame["actual_cumulative"] = frame["actual"].cumsum()
    frame["predicted_cumulative"] = frame["predicted"].cumsum()
    return HoldoutValidation(calibration_end, end, models, frame)


def predicted_customers(store: Store, dataset: Dataset, filters: Filters,
                        calibration_end: date | None = None,
                        horizon_months: int = DEFAULT_HORIZON_MONTHS,
                        annual_discount_rate: float = DEFAULT_ANNUAL_DISCOUNT_RATE,
                        by: str | None = None) -> pd.DataFrame:
    """Every customer's predictions, the table of the registry's predictive figures.

    Returns
    -------
    pandas.DataFrame
        :attr:`PredictiveClv.customers` of :func:`predictive_clv` with the same arguments:
        per customer ``probability_alive``, ``expected_purchases`` and ``clv``.
    """
    return predictive_clv(store, dataset, filters, calibration_end, horizon_months,
                          annual_discount_rate, by).customers


def predicted_totals(store: Store, dataset: Dataset, filters: Filters,
                     calibration_end: date | None = None,
                     horizon_months: int = DEFAULT_HORIZON_MONTHS,
                     annual_discount_rate: float = DEFAULT_ANNUAL_DISCOUNT_RATE,
                     by: str | None = None) -> pd.DataFrame:
    """The predictions added up per group (one row without ``by``), the table of the
    registry's figures of all customers.

    Returns
    -------
    pandas.DataFrame
        :meth:`PredictiveClv.by_group` of :func:`predictive_clv` with the same arguments
        (``customers``, ``total_clv``, ``mean_clv``, ``mean_probability_alive``,
        ``expected_purchases``) and ``probability_alive_pct``, the mean P(alive) in
        percent.
    """
    groups = predictive_clv(store, dataset, filters, calibration_end, horizon_months,
                            annual_discount_rate, by).by_group()
    return groups.assign(probability_alive_pct=100.0 * groups["mean_probability_alive"])


# The holdout the CLV page proposes: its last 26 weeks, leaving the models at least 30 days
# to learn from.
DEFAULT_HOLDOUT = timedelta(weeks=26)
MIN_CALIBRATION = timedelta(days=30)


def default_calibration_end(dataset: Dataset) -> date:
    """The calibration end a holdout validation starts from: 26 weeks before the orders'
    last day, or 30 days after their first when the data is shorter."""
    first, last = orders_span(dataset)
    return max(first + MIN_CALIBRATION, last - DEFAULT_HOLDOUT)


def holdout_weeks(store: Store, dataset: Dataset, filters: Filters,
                  calibration_end: date | None = None, holdout_end: date | None = None
                  ) -> pd.DataFrame:
    """The weeks of :func:`holdout_validation`, the table of the registry's holdout
    figures; the calibration end defaults to :func:`default_calibration_end`.

    Returns
    -------
    pandas.DataFrame
        :attr:`HoldoutValidation.weeks`: per week after the calibration end ``actual``
        and ``predicted`` repeat purchases and their running totals.
    """
    end = calibration_end or default_calibration_end(dataset)
    return holdout_validation(store, dataset, filters, end, holdout_end).weeks
