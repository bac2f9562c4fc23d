"""Historic customer lifetime value: the net revenue customers have brought so far, per
customer, by months since their acquisition, per acquisition cohort or segment.
Built on the monthly cohort table, so it needs no query of its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pandas as pd

from metrics.query.filters import Filters
from metrics.retention import cohort_table
from metrics.store import Dataset, Store

HISTORIC_CLV_COLUMNS = (
    "cohort", "group_value", "months_since_acquisition", "cohorts", "customers",
    "cumulative_revenue", "cumulative_revenue_per_customer",
)
MILESTONE_MONTHS = (3, 6, 12, 24)


def historic_clv(store: Store, dataset: Dataset, filters: Filters, by: str | None = None
                 ) -> pd.DataFrame:
    """Cumulative net revenue per customer by months since acquisition.

    For a group of customers and k = 0, 1, 2, ...: the net revenue (refunds subtracted)
    the group's customers brought from their first purchase to the end of the k-th
    calendar month after the month of that purchase, divided by the group's customers.
    k = 0 is the acquisition month itself. This is :func:`metrics.retention.cohort_table`'s
    ``cumulative_revenue_per_customer`` with monthly cohorts (DESIGN.md, "Cohort
    retention ... cumulative revenue per customer").

    Parameters
    ----------
    store, dataset, filters
        The data and the filter state; ``filters.period`` is ignored (months are the
        unit). Cohorts are the months of the date range and revenue counts up to its last
        month; segment filters apply to the orders.
    by
        ``None``: one curve per monthly acquisition cohort. A segment key (see
        :func:`metrics.query.segments.segment_dimensions`): one curve per segment value of the
        customers' first purchase (or customer attribute), the cohorts pooled.

    Returns
    -------
    pandas.DataFrame
        One row per curve and month with :data:`HISTORIC_CLV_COLUMNS`: ``cohort`` (the
        cohort's first day, None for segment curves), ``group_value`` (None for cohort
        curves), ``months_since_acquisition``, ``cohorts`` and ``customers`` (the
        cohorts counted at that month and their customers), ``cumulative_revenue`` and
        ``cumulative_revenue_per_customer`` (the historic CLV).

        Only cohorts that have completed month k (the data's last day is on or after the
        month's last day) count at k, as in :func:`metrics.retention.cohort_average`: a
        month in progress would understate the value. A segment curve at k is therefore
        the average over the cohorts old enough, weighted by their customers.
    """
    cells = cohort_table(store, dataset, dataclasses.replace(filters, period="month"), by=by)
    keys = ["cohort", "group_value"]
    # the cells of a cohort run from month 0 without gaps: a running sum is cumulative
    cells = cells.sort_values([*keys, "period_offset"])
    cells["cumulative_revenue"] = cells.groupby(keys, dropna=False, sort=False)[
        "revenue"].cumsum()
    done = cells[cells["complete"]]
    if by is None:
        curves = pd.DataFrame({
            "cohort": done["cohort"], "group_value": None,
            "months_since_acquisition": done["period_offset"], "cohorts": 1,
            "customers": done["cohort_size"],
            "cumulative_revenue": done["cumulative_revenue"],
        })
    else:
        curves = (done.groupby(["group_value", "period_offset"], dropna=False, sort=True)
                  .agg(cohorts=("cohort", "count"), customers=("cohort_size", "sum"),
                       cumulative_revenue=("cumulative_revenue", "sum"))
                  .reset_index()
                  .rename(columns={"period_offset": "months_since_acquisition"}))
        curves.insert(0, "cohort", None)
        curves["group_value"] = curves["group_value"].astype(object).where(
            curves["group_value"].notna(), None)
    curves["cumulative_revenue"] = curves["cumulative_revenue"].astype(float)
    curves["cumulative_revenue_per_customer"] = (
        curves["cumulative_revenue"] / curves["customers"].where(curves["customers"] > 0))
    return curves[list(HISTORIC_CLV_COLUMNS)].reset_index(drop=True)


def historic_clv_milestones(curves: pd.DataFrame,
                            months: Sequence[int] = MILESTONE_MONTHS) -> pd.DataFrame:
    """The historic CLV of each curve of :func:`historic_clv` at a few ages.

    Returns
    -------
    pandas.DataFrame
        One row per curve: ``cohort``, ``group_value``, ``customers`` (at month 0) and
        ``month_<k>`` for each k of ``months``: the cumulative revenue per customer at k
        months since acquisition, None where no cohort of the curve has completed month
        k yet.
    """
    keys = ["cohort", "group_value"]
    rows = []
    for (cohort, group_value), curve in curves.groupby(keys, dropna=False, sort=False):
        by_month = dict(zip(curve["months_since_acquisition"],
                            curve["cumulative_revenue_per_customer"], strict=True))
        start = curve[curve["months_since_acquisition"] == 0]["customers"]
        rows.append({
            "cohort": None if pd.isna(cohort) else cohort,
            "group_value": None if pd.isna(group_value) else group_value,
            "customers": int(start.iloc[0]) if len(start) else None,
            **{f"month_{k}": by_month.get(k) for k in months},
        })
    columns = [*keys, "customers", *(f"month_{k}" for k in months)]
    return pd.DataFrame(rows, columns=columns, dtype=object)
