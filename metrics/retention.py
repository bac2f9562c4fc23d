"""Retention and churn: the base by period (orders or subscriptions), cohort tables,
retention curves and the customer lifecycle (DESIGN.md, "Metric definitions").

Every function takes the same :class:`~metrics.query.filters.Filters` as the Overview, runs one
query from ``sql/`` and returns a tidy DataFrame; the Retention page, the CLI and the
tests call these.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

from metrics.definitions import METRICS
from metrics.errors import InputError
from metrics.i18n import t
from metrics.kpis import kpi_table
from metrics.query.cohorts import cohort_conditions as cohort_conditions
from metrics.query.cohorts import cohort_group_sql as cohort_group_sql
from metrics.query.cohorts import cohort_query
from metrics.query.filters import Filters, period_range
from metrics.query.run import query_frame, query_row
from metrics.query.segments import subscription_filter_sql
from metrics.query.sql import (
    integer_series_sql,
    load_sql,
    period_end_sql,
    period_index,
    period_index_sql,
    period_start_sql,
    with_ctes,
)
from metrics.query.stored_pages import stored_cohort_query
from metrics.significance import change_test, changes_against_previous
from metrics.store import Dataset, Store

Base = Literal["orders", "subscriptions"]
BASES: tuple[Base, ...] = ("orders", "subscriptions")
CohortMetric = Literal["customers", "revenue"]
COHORT_METRICS: tuple[CohortMetric, ...] = ("customers", "revenue")
# A cohort smaller than this is marked: one customer more or less moves its cells a lot.
MIN_COHORT_SIZE = 30

RETENTION_COLUMNS = (
    "period_start", "period_end", "start_customers", "new_customers", "end_customers",
    "retained_customers", "churned_customers", "lost_customers", "retention_rate",
    "churn_rate", "strict_retention_rate", "complete", "net_revenue_retention",
    "gross_revenue_retention",
)
COHORT_COLUMNS = (
    "cohort", "group_value", "period_offset", "period_start", "period_end", "cohort_size",
    "active_customers", "active_or_later", "revenue", "first_period_revenue",
    "cumulative_revenue_per_customer", "retention_pct", "complete", "small_cohort",
)
# The columns of the cohort query (sql/cohort_grid.sql) that cohort_table uses.
COHORT_QUERY_COLUMNS = tuple(c for c in COHORT_COLUMNS if c not in ("retention_pct",
                                                                     "small_cohort"))
LIFECYCLE_COLUMNS = (
    "period_start", "period_end", "new_customers", "returning_customers",
    "resurrected_customers", "dormant_customers", "quick_ratio", "complete",
)


def default_base(dataset: Dataset) -> Base:
    """Subscriptions decide the base when the dataset has them, else the orders do."""
    return "subscriptions" if "subscriptions" in dataset.tables else "orders"


def _with_dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


# -- the base by period ------------------------------------------------------------------


def retention_table(store: Store, dataset: Dataset, filters: Filters,
                    base: Base | None = None) -> pd.DataFrame:
    """Customer retention and churn per period: S, N, E, retained, CRR, churn, strict rate.

    Parameters
    ----------
    store, dataset, filters
        The data and the filter state (period, dates, segments, inactivity window W).
    base
        ``"orders"``: a customer is in the base while their latest purchase is at most W
        days old; ``"subscriptions"``: while a subscription runs (start date to end date,
        both included). Default: subscriptions when the dataset has them.

    Returns
    -------
    pandas.DataFrame
        One row per period with :data:`RETENTION_COLUMNS`; rates in percent, ``None``
        where S is zero. CRR = (E - N) / S x 100 and churn = (S + N - E) / S x 100 (seed);
        strict retention = retained / S x 100. Net and gross revenue retention: from the
        orders, as the KPI table has them; from subscriptions, MRR-based (starting MRR +
        expansion - contraction - churned MRR, over the starting MRR; gross without
        expansion), ``None`` without an mrr column.
    """
    base = base or default_base(dataset)
    if base == "orders":
        return kpi_table(store, dataset, filters)[list(RETENTION_COLUMNS)]
    if base != "subscriptions":
        raise InputError(t("“{base}” is not a customer base: use orders or subscriptions.",
                           base=base))
    return _subscription_base(store, dataset, filters)


def with_change_tests(table: pd.DataFrame, metric_id: str = "strict_retention_rate"
                      ) -> pd.DataFrame:
    """``table`` (one row per period) with the change of ``metric_id`` against the previous
    row and its test (:func:`metrics.significance.change_test`): ``change_pp``,
    ``p_value``, ``significant`` (None when not tested) and ``change_test`` (the test's
    name, or why there is none). Retention and churn are tested on the strict counts."""
    metric = METRICS[metric_id]
    found = changes_against_previous(
        table, metric_id, lambda row, previous: change_test(metric, row, previous))
    return table.assign(change_pp=found["change"], p_value=found["p_value"],
                        significant=found["significant"], change_test=found["change_test"])


def _subscription_base(store: Store, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    sql, params = subscription_base_query(store, dataset, filters)
    frame = query_frame(store, sql, params)
    return _with_dates(frame, "period_start", "period_end")[list(RETENTION_COLUMNS)]


def subscription_base_query(store: Store, dataset: Dataset, filters: Filters,
                            statement: str = "subscription_base"
                            ) -> tuple[str, dict[str, Any]]:
    """The SQL of the customer base from subscriptions and the parameters it binds: the
    CTEs of ``sql/subscription_base_ctes.sql`` and the final statement ``statement`` (the
    figures per period, or ``explain_subscribers``: the subscribers behind one period's,
    with ``{row_condition}`` left to fill in)."""
    info = dataset.tables.get("subscriptions")
    if info is None or info.first_date is None or info.last_date is None:
        raise InputError(t("The dataset “{name}” has no subscriptions: upload a subscriptions "
                           "file on the Data page, or measure the base from orders.",
                           name=dataset.name))
    p = filters.period
    customer_filter, params = subscription_filter_sql(dataset, filters)
    end_date = "end_date" if "end_date" in info.mapping else "CAST(NULL AS DATE)"
    mrr = "mrr" if "mrr" in info.mapping else "CAST(NULL AS DOUBLE)"
    # The subscriptions table's dates say how far the data reaches: the last start or end.
    row = query_row(
        store,
        f"-- the last day the subscriptions data knows about\n"
        f"SELECT GREATEST(MAX(start_date), COALESCE(MAX({end_date}), MAX(start_date))) "
        f"FROM {dataset.table('subscriptions')}", {})
    data_last = max(d for d in (info.last_date, row[0]) if d is not None)
    first_index, last_index = period_range(filters, info.first_date, data_last)
    sql = with_ctes(load_sql("subscription_base_ctes"), query=load_sql(statement)).format(
        subscriptions_table=dataset.table("subscriptions"),
        customer_filter=customer_filter,
        end_date=end_date,
        mrr=mrr,
        period_series=integer_series_sql("$first_index - 1", "$last_index", "period_index"),
        period_end=period_end_sql(p, "period_index"),
        period_start=period_start_sql(p, "period_index"),
        period_end_of_base=period_end_sql(p, "period_index"),
        period_of_first_start=period_index_sql(p, "first_start"),
        row_condition="{row_condition}",
    )
    params |= {"first_index": first_index, "last_index": last_index,
               "data_first_day": info.first_date, "data_last_day": data_last,
               "data_last_index": period_index(p, data_last)}
    return sql, params


# -- cohorts -----------------------------------------------------------------------------


def cohort_table(store: Store, dataset: Dataset, filters: Filters,
                 metric: CohortMetric = "customers", unbounded: bool = False,
                 by: str | None = None, min_cohort_size: int = MIN_COHORT_SIZE
                 ) -> pd.DataFrame:
    """Acquisition cohorts x periods since acquisition.

    Parameters
    ----------
    store, dataset, filters
        The data and the filter state. Cohorts are the periods of the date range; cells
        reach to the range's last period. Segment filters apply to the orders.
    metric
        ``"customers"``: ``retention_pct`` is the share of the cohort active in period
        c + k; ``"revenue"``: the cohort's net revenue in c + k over its revenue in c.
    unbounded
        Customer retention counts customers whose last purchase is in c + k or later
        ("unbounded"), not only those with a purchase in c + k ("classic").
    by
        A segment key (see :func:`metrics.query.segments.segment_dimensions`): cohorts are split by
        the segment value of each customer's first purchase (or customer attribute).
    min_cohort_size
        Cohorts with fewer customers are flagged ``small_cohort`` (shown, marked).

    Returns
    -------
    pandas.DataFrame
        One row per (cohort, group, period_offset) with :data:`COHORT_COLUMNS`;
        ``complete`` is False for a period the data stops inside (in progress).
    """
    if metric not in COHORT_METRICS:
        raise InputError(t("“{metric}” is not a cohort metric: use customers or revenue.",
                           metric=metric))
    if unbounded and metric == "revenue":
        raise InputError(t("Unbounded retention counts customers: use it with the customers "
                           "metric, not revenue."))
    # the cohort table stored at ingest when it answers this filter state (the same
    # query's rows, metrics/page_aggregates.py), else the cohort query
    stored = stored_cohort_query(dataset, filters, COHORT_QUERY_COLUMNS,
                                 lambda whole: cohort_query(dataset, whole)[0]
                                 ) if by is None else None
    sql, params = stored or cohort_query(dataset, filters, by)
    frame = query_frame(store, sql, params)
    frame = _with_dates(frame, "cohort", "period_start", "period_end")
    if metric == "revenue":
        frame["retention_pct"] = (100.0 * frame["revenue"]
                                  / frame["first_period_revenue"].where(
                                      frame["first_period_revenue"] != 0))
    else:
        active = frame["active_or_later"] if unbounded else frame["active_customers"]
        frame["retention_pct"] = 100.0 * active / frame["cohort_size"]
    frame["small_cohort"] = frame["cohort_size"] < min_cohort_size
    frame["group_value"] = frame["group_value"].astype(object).where(
        frame["group_value"].notna(), None)
    return frame[list(COHORT_COLUMNS)]


def cohort_average(cohorts: pd.DataFrame, metric: CohortMetric = "customers",
                   unbounded: bool = False) -> pd.DataFrame:
    """The average retention curve of a cohort table, per group and period offset.

    Each cohort weighs by its size (customers) or its first-period revenue (revenue), and
    only cohorts that have completed period c + k count at offset k, so a period in
    progress never drags the average down.

    Returns
    -------
    pandas.DataFrame
        group_value, period_offset, cohorts (how many cohorts count), customers (their
        total size), retention_pct.
    """
    done = cohorts[cohorts["complete"]].copy()
    if metric == "revenue":
        done["numerator"], done["weight"] = done["revenue"], done["first_period_revenue"]
    else:
        done["numerator"] = done["active_or_later" if unbounded else "active_customers"]
        done["weight"] = done["cohort_size"]
    grouped = (done.assign(group_value=done["group_value"].fillna(""))
               .groupby(["group_value", "period_offset"], sort=True)
               .agg(cohorts=("cohort", "count"), customers=("cohort_size", "sum"),
                    numerator=("numerator", "sum"), weight=("weight", "sum"))
               .reset_index())
    grouped["retention_pct"] = 100.0 * grouped["numerator"] / grouped["weight"].where(
        grouped["weight"] != 0)
    grouped["group_value"] = grouped["group_value"].astype(object).where(
        grouped["group_value"] != "", None)
    return grouped[["group_value", "period_offset", "cohorts", "customers", "retention_pct"]]


def cohort_average_table(store: Store, dataset: Dataset, filters: Filters,
                         metric: CohortMetric = "customers", unbounded: bool = False,
                         by: str | None = None) -> pd.DataFrame:
    """The :func:`cohort_average` of the :func:`cohort_table` of a filter state (``metric``,
    ``unbounded`` and ``by`` as there): the heatmap's average row, or with ``by`` the
    retention curves' line of each segment value."""
    return cohort_average(cohort_table(store, dataset, filters, metric, unbounded, by=by),
                          metric, unbounded)


def cohort_curves(cohorts: pd.DataFrame, unbounded: bool = False) -> pd.DataFrame:
    """Each cohort's own retention curve (periods in progress left out), in the shape of
    :func:`cohort_average` with the cohort's first day as ``group_value``."""
    done = cohorts[cohorts["complete"]]
    active = done["active_or_later" if unbounded else "active_customers"]
    return pd.DataFrame({
        "group_value": done["cohort"], "period_offset": done["period_offset"],
        "cohorts": 1, "customers": done["cohort_size"],
        "retention_pct": 100.0 * active / done["cohort_size"],
    }).reset_index(drop=True)


# -- lifecycle ---------------------------------------------------------------------------


def lifecycle_table(store: Store, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """New, returning, resurrected and dormant customers per period.

    New: first purchase in the period; returning: active in the period and the previous
    one; resurrected: active in the period, not in the previous one, not new; dormant:
    active in the previous period, not in this one. ``quick_ratio`` = (new + resurrected)
    / dormant: above 1 the active customers grow. The counts are columns of the KPI
    table (:func:`metrics.kpis.kpi_table`, one query); see :func:`lifecycle_from_kpis`.
    """
    return lifecycle_from_kpis(kpi_table(store, dataset, filters))


def lifecycle_from_kpis(kpis: pd.DataFrame) -> pd.DataFrame:
    """The lifecycle table (:data:`LIFECYCLE_COLUMNS`) from a KPI table of the same filter
    state, so a page that has the KPIs needs no second query."""
    frame = kpis[["period_start", "period_end", "new_customers", "returning_customers",
                  "resurrected_customers", "dormant_customers", "complete"]].copy()
    gained = frame["new_customers"] + frame["resurrected_customers"]
    frame["quick_ratio"] = gained / frame["dormant_customers"].where(
        frame["dormant_customers"] != 0)
    return frame[list(LIFECYCLE_COLUMNS)].reset_index(drop=True)

