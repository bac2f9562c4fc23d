"""Segment comparison: the dashboard's headline numbers for each value of one segment
(a column of the orders or customers, or the RFM segment), side by side."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pandas as pd

from metrics.clv.simple import MAX_LIFESPAN_YEARS, check_margin, lifespan_years
from metrics.errors import InputError
from metrics.i18n import t
from metrics.kpis import kpi_table
from metrics.query.filters import Filters, orders_span
from metrics.query.orders import orders_query
from metrics.query.run import query_row
from metrics.query.segments import segment_column, segment_values
from metrics.query.sql import Period, load_sql, with_ctes
from metrics.store import Dataset, Store

SEGMENT_SUMMARY_COLUMNS = ("value", "window_start", "window_end", "customers", "orders",
                           "revenue", "retention_rate", "aov", "repeat_purchase_rate",
                           "annual_churn_pct", "clv", "clv_churn")
# What ``clv_churn`` names: the churn of the segment rows' CLV (see segment_summary).
POOLED_STRICT_CHURN = "1 - strict retention pooled over the complete periods, per year"
PERIODS_PER_YEAR: dict[Period, float] = {"week": 365.25 / 7, "month": 12.0, "quarter": 4.0,
                                         "year": 1.0}
DAYS_PER_YEAR = 365.25


def pooled_retention_rate(kpis: pd.DataFrame) -> float | None:
    """The seed CRR over several periods, pooled: Σ(E − N) ÷ ΣS × 100 over the complete
    periods of a :func:`metrics.kpis.kpi_table` (a period the data starts or stops inside
    would count customers who cannot be seen yet). None when ΣS is 0."""
    complete = kpis[kpis["complete"].astype(bool)]
    start = int(complete["start_customers"].sum())
    if start == 0:
        return None
    kept = int((complete["end_customers"] - complete["new_customers"]).sum())
    return 100.0 * kept / start


def pooled_annual_churn(kpis: pd.DataFrame, period: Period) -> float | None:
    """Annual churn (a share) from the strict retention pooled over the complete periods
    of a :func:`metrics.kpis.kpi_table`: r = Σ retained ÷ ΣS per period, compounded over
    the periods of a year, churn = 1 − r ^ (periods per year). None when ΣS is 0.

    The strict rate, not the seed CRR: customers who lapsed and came back would make
    the seed churn negative, which has no lifespan (as in :mod:`metrics.clv.simple`)."""
    complete = kpis[kpis["complete"].astype(bool)]
    start = int(complete["start_customers"].sum())
    if start == 0:
        return None
    retained = int(complete["retained_customers"].sum())
    return 1.0 - (retained / start) ** PERIODS_PER_YEAR[period]


def segment_summary(store: Store, dataset: Dataset, filters: Filters, by: str,
                    gross_margin: float | None = None) -> pd.DataFrame:
    """For each value ``v`` of the segment ``by``, the numbers the dashboard shows with the
    segment filter ``{by: [v]}`` over the selection (the filters' other segments kept).

    Parameters
    ----------
    store, dataset, filters
        The data and the selection: the date range widened to whole periods, the other
        segment filters, the inactivity window W. A filter on ``by`` itself limits the
        values compared to those it keeps.
    by
        A segment key of :func:`metrics.query.segments.segment_dimensions`, including
        :data:`metrics.query.segments.RFM_SEGMENT`.
    gross_margin
        Passed to the simple CLV (``None``: revenue CLV).

    Returns
    -------
    pandas.DataFrame
        One row per value, in the order of :func:`metrics.query.segments.segment_values` (most
        frequent first; RFM segments best first), with :data:`SEGMENT_SUMMARY_COLUMNS`.
        Every figure of a row covers one window, the selection: its whole periods within
        the data, from ``window_start`` to ``window_end``.

        - ``customers``: customers with a purchase (an order with an amount >= 0) in the
          selection; ``orders``: those purchases; ``revenue``: net revenue (refunds
          subtracted), the sum of the periods' KPI revenue;
        - ``retention_rate``: the seed CRR pooled over the selection's complete periods,
          Σ(E − N) ÷ ΣS × 100 from :func:`metrics.kpis.kpi_table`
          (:func:`pooled_retention_rate`);
        - ``aov`` = revenue ÷ orders;
        - ``repeat_purchase_rate``: customers with at least two purchases in the selection
          ÷ customers with one or more, × 100;
        - ``annual_churn_pct``: 100 × :func:`pooled_annual_churn`, the strict retention
          over the same complete periods as ``retention_rate``, per year;
        - ``clv``: the simple CLV formula over the window (not the last 12 months of
          :func:`metrics.clv.simple.simple_clv`): AOV × purchases per year (orders ÷
          customers ÷ the window's years) × lifespan (1 ÷ annual churn, capped at
          :data:`metrics.clv.simple.MAX_LIFESPAN_YEARS` years) × ``gross_margin``;
        - ``clv_churn``: which churn the CLV uses (:data:`POOLED_STRICT_CHURN`).

        Ratios are None where their denominator is 0.

    Raises
    ------
    InputError
        ``by`` or a segment filter is not a segment of the dataset, the dataset has no
        orders, or the date range holds none.
    """
    values = compared_values(store, dataset, filters, by)
    check_margin(gross_margin)
    rows = []
    for value in values:
        selection = value_selection(filters, by, value)
        sql, params = figures_query(dataset, selection)
        row = query_row(store, sql, params)
        customers, orders, revenue, repeat_customers = row
        kpis = kpi_table(store, dataset, selection)
        start, end = _window(dataset, kpis)
        aov = revenue / orders if orders else None
        per_year = (orders / customers / (((end - start).days + 1) / DAYS_PER_YEAR)
                    if customers else None)
        churn = pooled_annual_churn(kpis, filters.period)
        lifespan, _ = lifespan_years(churn, MAX_LIFESPAN_YEARS)
        clv = (aov * per_year * lifespan * (1.0 if gross_margin is None else gross_margin)
               if aov is not None and per_year is not None and lifespan is not None
               else None)
        rows.append({
            "value": value,
            "window_start": start,
            "window_end": end,
            "customers": customers,
            "orders": orders,
            "revenue": revenue,
            "retention_rate": pooled_retention_rate(kpis),
            "aov": aov,
            "repeat_purchase_rate": 100.0 * repeat_customers / customers if customers
            else None,
            "annual_churn_pct": None if churn is None else 100.0 * churn,
            "clv": clv,
            "clv_churn": POOLED_STRICT_CHURN,
        })
    frame = pd.DataFrame(rows, columns=list(SEGMENT_SUMMARY_COLUMNS))
    frame = frame.astype({"value": object, "customers": "int64", "orders": "int64",
                          "revenue": float})
    for column in ("retention_rate", "aov", "repeat_purchase_rate", "annual_churn_pct",
                   "clv"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def compared_values(store: Store, dataset: Dataset, filters: Filters, by: str) -> list[str]:
    """The values of segment ``by`` that :func:`segment_summary` compares: every value, or
    those a filter on ``by`` itself keeps. An error when ``by`` is not a segment."""
    segment_column(dataset, by)  # an unknown segment is the user's error, said once
    chosen = dict(filters.segments).get(by)
    return [v for v in segment_values(store, dataset)[by] if chosen is None or v in chosen]


def value_selection(filters: Filters, by: str, value: str) -> Filters:
    """The selection of one row of :func:`segment_summary`: ``filters`` with the segment
    filter ``{by: [value]}`` (its other segments kept)."""
    segments = {key: list(kept) for key, kept in filters.segments}
    segments[by] = [value]
    return replace(filters, segments=Filters.segment_items(segments))


def figures_query(dataset: Dataset, selection: Filters) -> tuple[str, dict[str, Any]]:
    """The SQL of one row's customers, purchases, revenue and repeat customers
    (sql/segment_figures.sql over sql/segment_purchases.sql) and its parameters."""
    return orders_query(with_ctes(load_sql("segment_purchases"),
                                  query=load_sql("segment_figures")), dataset, selection)


def _window(dataset: Dataset, kpis: pd.DataFrame) -> tuple[date, date]:
    """The days a segment row covers: the selection's whole periods within the data (the
    KPI table's periods end on the data's last day at the latest)."""
    first, last = orders_span(dataset)
    if kpis.empty:  # a selection after the data: no day of it has data
        raise InputError(t("The date range holds no orders: the orders of “{name}” run from "
                           "{first} to {last}.", name=dataset.name, first=first.isoformat(),
                           last=last.isoformat()))
    return max(kpis["period_start"].min(), first), min(kpis["period_end"].max(), last)
