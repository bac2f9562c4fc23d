"""KPIs per period from a dataset's orders: the customer base, retention, churn, revenue.

One query computes every KPI of every period for one filter state (``sql/kpis.sql``, or
``sql/kpis_from_history.sql`` from the purchase history stored at ingest, with the rows of
``sql/kpi_rows.sql``); the Overview page, the CLI and the tests all call :func:`kpi_table`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd

from metrics.errors import InputError
from metrics.i18n import t
from metrics.sqlutil import (
    PERIODS,
    Period,
    add_days_sql,
    days_between_sql,
    in_list,
    integer_series_sql,
    load_sql,
    period_end_sql,
    period_index,
    period_index_sql,
    period_start_sql,
    quote_ident,
)
from metrics.store import Dataset, Store

DEFAULT_INACTIVITY_DAYS = 90
# The range of the inactivity window W: the sidebar's input, the link's value, the suggestion
# and the filter checks all use it, so a suggested W is always one the input can hold.
MIN_INACTIVITY_DAYS = 1
MAX_INACTIVITY_DAYS = 3650

KPI_COLUMNS = (
    "period_start", "period_end", "start_customers", "new_customers", "end_customers",
    "retained_customers", "churned_customers", "lost_customers", "active_customers", "orders",
    "revenue", "refunds", "aov", "repeat_purchase_rate", "retention_rate", "churn_rate",
    "strict_retention_rate", "complete", "repeat_customers", "order_value_sd",
    "returning_customers", "resurrected_customers", "dormant_customers",
)


@dataclass(frozen=True)
class Filters:
    """One filter state: what every page and CLI command computes its numbers for.

    ``segments`` maps a segment column to the values kept (orders with any of them);
    a column left out is not filtered. Dates are inclusive and widened to whole periods.
    """

    period: Period = "month"
    start: date | None = None
    end: date | None = None
    segments: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)
    inactivity_days: int = DEFAULT_INACTIVITY_DAYS

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise InputError(
                t("“{period}” is not a period: use one of {periods}.",
                  period=self.period, periods=", ".join(PERIODS))
            )
        if not MIN_INACTIVITY_DAYS <= self.inactivity_days <= MAX_INACTIVITY_DAYS:
            raise InputError(
                t("The inactivity window must be between {low} and {high} days, not {days}.",
                  low=MIN_INACTIVITY_DAYS, high=MAX_INACTIVITY_DAYS,
                  days=self.inactivity_days)
            )
        if self.start and self.end and self.start > self.end:
            raise InputError(
                t("The start date {start} is after the end date {end}: swap them.",
                  start=self.start.isoformat(), end=self.end.isoformat())
            )

    @staticmethod
    def segment_items(segments: dict[str, list[str]] | None) -> tuple[
            tuple[str, tuple[str, ...]], ...]:
        """Normalise a ``{column: values}`` dict into the hashable ``segments`` form."""
        return tuple(
            sorted((column, tuple(sorted(set(values)))) for column, values in
                   (segments or {}).items() if values)
        )


def orders_span(dataset: Dataset) -> tuple[date, date]:
    """The first and last order date of a dataset; an error a user can act on without."""
    orders = dataset.tables.get("orders")
    if orders is None or orders.first_date is None or orders.last_date is None:
        raise InputError(
            t("The dataset “{name}” has no orders yet: upload an orders file on the Data page.",
              name=dataset.name)
        )
    return orders.first_date, orders.last_date


CUSTOMER_SEGMENT_PREFIX = "customers."
SUBSCRIPTION_SEGMENT_PREFIX = "subscriptions."
# The tables whose segment columns are keyed by name (orders) or by "<kind>.<name>": a
# column of the customers or subscriptions table describes a customer.
SEGMENT_TABLES = (("orders", ""), ("customers", CUSTOMER_SEGMENT_PREFIX),
                  ("subscriptions", SUBSCRIPTION_SEGMENT_PREFIX))
# The segment key of the RFM segments (metrics/rfm.py): each customer's segment over the
# selection, a customer-level segment filter like a column of the customers table.
RFM_SEGMENT = "rfm"
# Parameter prefix of the RFM query nested in customer_groups_sql.
_GROUPS_RFM_PREFIX = "groups_rfm_"


def segment_dimensions(dataset: Dataset) -> dict[str, tuple[str, str]]:
    """Every segment filter of a dataset: ``{key: (table kind, column)}``.

    These are the segment columns the ingest found in each table (its report lists them).
    Columns of the orders are keyed by their name; columns of the customers table by
    ``customers.<name>``, of the subscriptions table by ``subscriptions.<name>`` (e.g.
    ``subscriptions.plan``), and filter the orders of the customers who have that value
    (a subscription with it). With orders, :data:`RFM_SEGMENT` (kind ``"rfm"``, column
    ``segment``): each customer's RFM segment over the selection
    (:func:`metrics.rfm.rfm_table`), which filters the orders of the customers in the
    chosen segments.
    """
    dimensions: dict[str, tuple[str, str]] = {}
    for kind, prefix in SEGMENT_TABLES:
        info = dataset.tables.get(kind)
        for column in info.segment_columns if info else ():
            dimensions[prefix + column] = (kind, column)
    if "orders" in dataset.tables:
        dimensions[RFM_SEGMENT] = ("rfm", "segment")
    return dimensions


def segment_column(dataset: Dataset, key: str) -> tuple[str, str]:
    """The (kind, column) of a segment key; an error a user can act on if unknown.

    The kind is ``"orders"``, ``"customers"`` or ``"subscriptions"`` (the table holding
    the column), or ``"rfm"`` for :data:`RFM_SEGMENT` (column ``segment`` of the RFM query)."""
    known = segment_dimensions(dataset)
    if key not in known:
        raise InputError(
            t("“{column}” is not a segment of the dataset “{name}”; its segments are: "
              "{segments}.", column=key, name=dataset.name,
              segments=", ".join(sorted(known)) or t("none"))
        )
    return known[key]


def segment_key(dataset: Dataset, name: str) -> str:
    """The segment key a user means by ``name``: ``name`` itself when it is a key of
    :func:`segment_dimensions`, else the one key whose column of the customers or
    subscriptions table is called ``name`` (``plan`` for ``subscriptions.plan``, as the
    ingest report lists it); ``name`` unchanged otherwise, for the caller to refuse."""
    known = segment_dimensions(dataset)
    matches = [key for key, (kind, column) in known.items()
               if kind in ("customers", "subscriptions") and column == name]
    return matches[0] if name not in known and len(matches) == 1 else name


def keeps_whole_customers(dataset: Dataset, filters: Filters) -> bool:
    """Whether the segment filters keep or drop whole customers (none is on a column of the
    orders: customer attributes and RFM segments are), so each customer's stored purchase
    history holds for the filtered data."""
    return all(segment_column(dataset, key)[0] != "orders" for key, _ in filters.segments)


def history_holds(dataset: Dataset, filters: Filters) -> bool:
    """Whether queries may read the purchase history stored with the orders for this
    filter state: the dataset has it and the filters keep or drop whole customers."""
    return dataset.has_purchase_history and keeps_whole_customers(dataset, filters)


def segment_filter_sql(dataset: Dataset, filters: Filters, prefix: str = "segment_"
                       ) -> tuple[str, dict[str, Any]]:
    """The WHERE condition on orders for the segment filters, values bound as parameters
    whose names start with ``prefix``.

    An RFM segment filter keeps the customers whose RFM segment, computed over the same
    filters without the RFM entry (date range widened to whole periods, other segments),
    is one of the chosen ones: :func:`metrics.rfm.rfm_query` nested as a subquery.
    """
    conditions = ["TRUE"]
    params: dict[str, Any] = {}
    for n, (key, values) in enumerate(filters.segments):
        kind, column = segment_column(dataset, key)
        condition, bound = in_list(column, values, prefix=f"{prefix}{n}_")
        if kind in ("customers", "subscriptions"):
            condition = (f"customer_id IN (SELECT customer_id FROM {dataset.table(kind)} "
                         f"WHERE {condition})")
        elif kind == "rfm":
            rfm_sql, rfm_params = _rfm_sql(dataset, filters, values, f"{prefix}{n}_rfm_")
            condition = (f"customer_id IN (SELECT customer_id FROM ({rfm_sql}) AS rfm "
                         f"WHERE {condition})")
            bound |= rfm_params
        conditions.append(condition)
        params |= bound
    return " AND ".join(conditions), params


def _rfm_sql(dataset: Dataset, filters: Filters, values: tuple[str, ...] | None, prefix: str
             ) -> tuple[str, dict[str, Any]]:
    """The RFM query for an RFM filter or split, on one line without line comments (it is
    nested in conditions that other queries may place anywhere); unknown segment names
    are a user error."""
    # metrics.rfm builds on this module (Filters, segment_filter_sql): imported here.
    from metrics.rfm import RFM_SEGMENTS, rfm_query

    unknown = [v for v in values or () if v not in RFM_SEGMENTS]
    if unknown:
        raise InputError(
            t("“{value}” is not an RFM segment; the RFM segments are: {segments}.",
              value=unknown[0], segments=", ".join(RFM_SEGMENTS)))
    sql, params = rfm_query(dataset, filters, prefix=prefix)
    code = (line.strip() for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return "/* RFM segments (metrics/rfm.py) */ " + " ".join(c for c in code if c), params


def customer_filter_sql(dataset: Dataset, filters: Filters) -> tuple[str, dict[str, Any]]:
    """The segment filters as a condition on ``customer_id``, for tables other than orders
    (subscriptions): customers with a purchase that has the orders' segment values, and
    the customers-table values."""
    condition, params = segment_filter_sql(dataset, filters)
    if any(segment_column(dataset, key)[0] == "orders" for key, _ in filters.segments):
        condition = (f"customer_id IN (SELECT customer_id FROM {dataset.table('orders')} "
                     f"WHERE amount >= 0 AND ({condition}))")
    return condition, params


def subscription_filter_sql(dataset: Dataset, filters: Filters
                            ) -> tuple[str, dict[str, Any]]:
    """The segment filters as a condition on the rows of the subscriptions table: its own
    segment columns on each subscription (``subscriptions.plan`` keeps the subscriptions
    of that plan), every other filter on the customer (:func:`customer_filter_sql`)."""
    own = [(key, values) for key, values in filters.segments
           if segment_column(dataset, key)[0] == "subscriptions"]
    others = tuple(item for item in filters.segments if item not in own)
    condition, params = customer_filter_sql(dataset, replace(filters, segments=others))
    conditions = [condition]
    for n, (key, values) in enumerate(own):
        row_condition, bound = in_list(segment_column(dataset, key)[1], values,
                                       prefix=f"subscription_{n}_")
        conditions.append(row_condition)
        params |= bound
    return " AND ".join(conditions), params


def customer_groups_sql(dataset: Dataset, by: str, segment_filter: str,
                        filters: Filters | None = None) -> str:
    """SQL selecting ``customer_id, group_value``: each customer's value of the segment
    ``by``. For a column of the orders, the value on the customer's first purchase day
    (how they were acquired; the alphabetically first if that day has several); for one
    of the subscriptions, the value of their first subscription (earliest start date);
    for a column of the customers table, the customer's attribute; for :data:`RFM_SEGMENT`, the
    customer's RFM segment over ``filters`` (required; without its RFM entry), whose
    parameters :func:`customer_groups_query` returns: prefer that function."""
    kind, column = segment_column(dataset, by)
    if kind == "rfm":
        if filters is None:
            raise ValueError("an RFM split needs the filters: call customer_groups_query")
        rfm_sql, _ = _rfm_sql(dataset, filters, None, _GROUPS_RFM_PREFIX)
        return (f"-- each customer's RFM segment over the selection\n"
                f"SELECT customer_id, segment AS group_value FROM ({rfm_sql}) AS rfm")
    quoted = quote_ident(column)
    if kind in ("orders", "subscriptions"):
        # how the customer was acquired: their first purchase day's value (the orders the
        # filters keep), or their first subscription's (earliest start date)
        day, rows, first = (("order_date", f"amount >= 0 AND ({segment_filter})",
                             "first purchase day") if kind == "orders"
                            else ("start_date", "TRUE", "first subscription start"))
        return (
            f"-- each customer's segment value on their {first}\n"
            f"SELECT customer_id, MIN(group_value) AS group_value FROM ("
            f"SELECT customer_id, {day} AS day, CAST({quoted} AS VARCHAR) AS group_value, "
            f"MIN({day}) OVER (PARTITION BY customer_id) AS first_day "
            f"FROM {dataset.table(kind)} WHERE {rows}"
            f") AS firsts WHERE day = first_day GROUP BY customer_id"
        )
    return (f"-- each customer's attribute\n"
            f"SELECT customer_id, MIN(CAST({quoted} AS VARCHAR)) AS group_value "
            f"FROM {dataset.table('customers')} GROUP BY customer_id")


def customer_groups_query(dataset: Dataset, by: str, filters: Filters
                          ) -> tuple[str, dict[str, Any]]:
    """:func:`customer_groups_sql` for the filter state, with the parameters it binds (the
    segment filter's, and the RFM query's for an RFM split)."""
    segment_sql, params = segment_filter_sql(dataset, filters)
    sql = customer_groups_sql(dataset, by, segment_sql, filters)
    if segment_column(dataset, by)[0] == "rfm":
        params |= _rfm_sql(dataset, filters, None, _GROUPS_RFM_PREFIX)[1]
    return sql, {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}


def orders_query(template: str, dataset: Dataset, filters: Filters, **pieces: str
                 ) -> tuple[str, dict[str, Any]]:
    """A query over a dataset's orders from a template (:func:`load_sql`), with its
    parameters.

    Fills what every such query shares (the orders table, the segment filter, the period
    of an order) plus ``pieces``, and binds the filter's period range (``$first_index``,
    ``$last_index``) and the data's first and last day.
    """
    first, last = orders_span(dataset)
    p = filters.period
    segment_sql, params = segment_filter_sql(dataset, filters)
    sql = template.format(
        orders_table=dataset.table("orders"),
        segment_filter=segment_sql,
        period_of_order_date=period_index_sql(p, "order_date"),
        **pieces,
    )
    params |= {
        "first_index": period_index(p, filters.start or first),
        "last_index": period_index(p, filters.end or last),
        "data_first_day": first,
        "data_last_day": last,
        "data_last_index": period_index(p, last),
    }
    # DuckDB refuses parameters a query does not use
    return sql, {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}


# The longest period of each granularity, in days.
LONGEST_PERIOD_DAYS = {"week": 7, "month": 31, "quarter": 92, "year": 366}


def _lapsed_inside_pieces(filters: Filters) -> dict[str, str]:
    """The CTE ``lapsed_inside`` of ``sql/kpis_from_history.sql``: customers whose spell in
    the base ends inside a period in which they buy. That needs the day after the window
    (d + W + 1) to fall in d's own period, so with W + 1 at least the longest period it
    is empty, and the query needs neither the customer ids nor the pairing."""
    if filters.inactivity_days + 1 >= LONGEST_PERIOD_DAYS[filters.period]:
        return {"customer_column": "", "lapsed_inside": (
            "lapsed_inside AS (\n    -- empty: W + 1 is at least the longest period\n"
            "    SELECT CAST(NULL AS BIGINT) AS period_index, CAST(0 AS BIGINT) AS customers\n"
            "    WHERE FALSE\n)")}
    return {"customer_column": "customer_id,", "lapsed_inside": load_sql(
        "kpis_lapsed_inside").strip()}


def period_out_sql(period: Period, day_expr: str) -> str:
    """SQL for the first period whose E (the base on its measuring day) no longer holds a
    customer who is out of the base from the day ``day_expr`` on.

    E is measured on a period's last day, except in the period the data stops inside:
    there on the data's last day (``$data_last_day``), since nobody can be seen buying
    after it. A day out after the data's last day keeps the customer in that period's E
    (DESIGN.md "Metric definitions"; a rate is never computed on days without data).
    """
    index = period_index_sql(period, day_expr)
    return (f"CASE WHEN {day_expr} > $data_last_day "
            f"THEN GREATEST({index}, $data_last_index + 1) ELSE {index} END")


def kpi_query(dataset: Dataset, filters: Filters) -> tuple[str, dict[str, Any]]:
    """The KPI SQL for a filter state and its parameters (``explain`` shows this).

    From the purchase history stored with the orders when the filters keep whole customers
    (scans of the orders), else from the orders themselves; both give the same table.
    """
    p = filters.period
    if history_holds(dataset, filters):
        events = load_sql("kpis_from_history")
        pieces = {
            "period_of_previous_purchase": period_index_sql(p, "previous_purchase_on"),
            "period_of_next_purchase": period_index_sql(p, "next_purchase_on"),
            "period_out_after_previous_purchase": period_out_sql(
                p, add_days_sql("previous_purchase_on", "$inactivity_days + 1")),
            "period_out_after_order": period_out_sql(
                p, add_days_sql("order_date", "$inactivity_days + 1")),
            **_lapsed_inside_pieces(filters),
        }
    else:
        events = f"{load_sql('kpis').strip()},\n{load_sql('lifecycle').strip()}"
        pieces = {
            "days_since_previous_purchase": days_between_sql(
                "LAG(order_date) OVER (PARTITION BY customer_id ORDER BY order_date)",
                "order_date"),
            "period_of_spell_start": period_index_sql(p, "first_day"),
            "period_after_spell": period_out_sql(
                p, add_days_sql("last_purchase", "$inactivity_days + 1")),
        }
    sql, params = orders_query(
        f"WITH\n{events.strip()},\n{load_sql('kpi_rows')}", dataset, filters,
        period_series=integer_series_sql("low", "$last_index", "period_index"),
        period_start=period_start_sql(p, "b.period_index"),
        period_end=period_end_sql(p, "b.period_index"),
        **pieces,
    )
    return sql, params | {"inactivity_days": filters.inactivity_days}


def kpi_table(store: Store, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """Every KPI for every period of the filter's date range, oldest first.

    Parameters
    ----------
    store
        The database holding the dataset.
    dataset
        The dataset (its orders table is used).
    filters
        Period, date range (widened to whole periods), segments and the inactivity
        window W.

    Returns
    -------
    pandas.DataFrame
        One row per period with the columns of :data:`KPI_COLUMNS`; rates are percents,
        ``None`` where their denominator is zero. ``complete`` is False for a period the
        data starts or stops inside: compare it with care.
    """
    sql, params = kpi_query(dataset, filters)
    with store.cursor() as cursor:
        frame = cursor.execute(sql, params).df()
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    frame["period_end"] = pd.to_datetime(frame["period_end"]).dt.date
    return frame[list(KPI_COLUMNS)]


def segment_values(store: Store, dataset: Dataset) -> dict[str, list[str]]:
    """Each segment filter of the dataset (see :func:`segment_dimensions`) and its values,
    most frequent first; the RFM segments in rule order, best first."""
    values: dict[str, list[str]] = {}
    with store.cursor() as cursor:
        for key, (kind, column) in segment_dimensions(dataset).items():
            if kind == "rfm":  # every segment name, best first (metrics.rfm.RFM_RULES)
                values[key] = list(_rfm_segment_names())
                continue
            quoted = quote_ident(column)
            rows = cursor.execute(
                f"-- the values of one segment column, most frequent first\n"
                f"SELECT {quoted} FROM {dataset.table(kind)} WHERE {quoted} IS NOT NULL "
                f"GROUP BY {quoted} ORDER BY count(*) DESC, {quoted}"
            ).fetchall()
            values[key] = [row[0] for row in rows]
    return values


def _rfm_segment_names() -> tuple[str, ...]:
    from metrics.rfm import RFM_SEGMENTS  # metrics.rfm imports this module

    return RFM_SEGMENTS


@dataclass(frozen=True)
class SuggestedWindow:
    """A data-driven inactivity window W.

    ``gap_days`` is the 90th percentile of the gaps between a customer's consecutive
    purchase days, rounded up to whole weeks; ``days`` is that within the range W can take
    (:data:`MIN_INACTIVITY_DAYS` to :data:`MAX_INACTIVITY_DAYS`).
    """

    days: int
    gap_days: int

    @property
    def capped(self) -> bool:
        """The gaps are longer than the longest W, so ``days`` is that longest W."""
        return self.days != self.gap_days


def suggest_inactivity_days(store: Store, dataset: Dataset) -> SuggestedWindow | None:
    """A data-driven inactivity window: the 90th percentile of the gaps between a
    customer's consecutive purchase days, rounded up to whole weeks, and kept within the
    range of W (data spanning centuries can have longer gaps than W can be).

    Nine in ten repeat purchases come within this many days of the previous one, so a
    customer silent for longer has probably left. ``None`` without repeat purchases.
    """
    gap = days_between_sql(
        "LAG(order_date) OVER (PARTITION BY customer_id ORDER BY order_date)", "order_date"
    )
    with store.cursor() as cursor:
        row = cursor.execute(
            f"-- 90th percentile of the days between a customer's purchase days\n"
            f"SELECT quantile_cont(gap, 0.9) FROM (SELECT {gap} AS gap FROM (SELECT DISTINCT "
            f"customer_id, order_date FROM {dataset.table('orders')} WHERE amount >= 0)) "
            f"WHERE gap IS NOT NULL"
        ).fetchone()
    if not row or row[0] is None:
        return None
    gap_days = int(-(-float(row[0]) // 7) * 7)
    return SuggestedWindow(
        days=min(max(gap_days, MIN_INACTIVITY_DAYS), MAX_INACTIVITY_DAYS), gap_days=gap_days)
