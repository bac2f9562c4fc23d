"""Segment filters and splits as SQL: which segments a dataset has, the condition on its
orders (or customers, or subscriptions) a filter state's segments make, each customer's
group for a split, and the RFM segment filter (the RFM query nested as a subquery)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from metrics.errors import InputError
from metrics.i18n import t
from metrics.query.filters import Filters
from metrics.query.rfm import RFM_SEGMENTS, rfm_window, segment_case_sql
from metrics.query.run import query_rows
from metrics.query.sql import (
    bind,
    days_between_sql,
    in_list,
    load_sql,
    period_index_sql,
    period_start_sql,
    piece,
    quote_ident,
)
from metrics.store import Dataset, Store

CUSTOMER_SEGMENT_PREFIX = "customers."
SUBSCRIPTION_SEGMENT_PREFIX = "subscriptions."
# The tables whose segment columns are keyed by name (orders) or by "<kind>.<name>": a
# column of the customers or subscriptions table describes a customer.
SEGMENT_TABLES = (("orders", ""), ("customers", CUSTOMER_SEGMENT_PREFIX),
                  ("subscriptions", SUBSCRIPTION_SEGMENT_PREFIX))
# The segment key of the RFM segments (metrics/rfm.py): each customer's segment over the
# selection, a customer-level segment filter like a column of the customers table.
RFM_SEGMENT = "rfm"
# The split of customers by acquisition cohort (the period of their first purchase), for
# the drivers' cohort-vs-calendar view: a split, not a segment filter.
COHORT_SPLIT = "cohort"
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
    is one of the chosen ones: :func:`rfm_query` nested as a subquery.
    """
    conditions: list[str] = ["TRUE"]
    params: dict[str, Any] = {}
    for n, (key, values) in enumerate(filters.segments):
        kind, column = segment_column(dataset, key)
        condition, bound = in_list(column, values, prefix=f"{prefix}{n}_")
        if kind in ("customers", "subscriptions"):
            condition = (f"customer_id IN (SELECT customer_id FROM {dataset.table(kind)} "
                         f"WHERE {condition})")
        elif kind == "rfm":
            rfm_sql, rfm_params = _rfm_sql(dataset, filters, values, f"{prefix}{n}_rfm_")
            condition = (f"customer_id IN (SELECT customer_id FROM (\n{rfm_sql}) AS rfm "
                         f"WHERE {condition})")
            bound |= rfm_params
        conditions.append(condition)
        params |= bound
    return " AND ".join(conditions), params


def _rfm_sql(dataset: Dataset, filters: Filters, values: tuple[str, ...] | None, prefix: str
             ) -> tuple[str, dict[str, Any]]:
    """The RFM query for an RFM filter or split, as a piece to nest in another query;
    unknown segment names are a user error."""
    unknown = [v for v in values or () if v not in RFM_SEGMENTS]
    if unknown:
        raise InputError(
            t("“{value}” is not an RFM segment; the RFM segments are: {segments}.",
              value=unknown[0], segments=", ".join(RFM_SEGMENTS)))
    sql, params = rfm_query(dataset, filters, prefix=prefix)
    return piece(f"-- RFM segments (metrics/rfm.py)\n{sql}"), params


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
    for a column of the customers table, the customer's attribute; for
    :data:`RFM_SEGMENT`, the customer's RFM segment over ``filters`` (required; without its
    RFM entry), whose parameters :func:`customer_groups_query` returns: prefer that
    function. :data:`COHORT_SPLIT`: the first day of the period (of ``filters``) of the
    customer's first purchase."""
    if by == COHORT_SPLIT:
        if filters is None:
            raise ValueError("a cohort split needs the filters' period")
        return load_sql("customer_groups_cohort").format(
            first_period_start=period_start_sql(
                filters.period, period_index_sql(filters.period, "MIN(order_date)")),
            rows=f"amount >= 0 AND ({segment_filter})", orders_table=dataset.table("orders"))
    kind, column = segment_column(dataset, by)
    if kind == "rfm":
        if filters is None:
            raise ValueError("an RFM split needs the filters: call customer_groups_query")
        rfm_sql, _ = _rfm_sql(dataset, filters, None, _GROUPS_RFM_PREFIX)
        return load_sql("customer_groups_rfm").format(rfm=rfm_sql)
    quoted = quote_ident(column)
    if kind == "orders":
        return load_sql("customer_groups_first_value").format(
            day="order_date", rows=f"amount >= 0 AND ({segment_filter})", column=quoted,
            table=dataset.table(kind))
    if kind == "subscriptions":
        return load_sql("customer_groups_first_value").format(
            day="start_date", rows="TRUE", column=quoted, table=dataset.table(kind))
    return load_sql("customer_groups_attribute").format(
        column=quoted, customers_table=dataset.table("customers"))


def customer_groups_query(dataset: Dataset, by: str, filters: Filters
                          ) -> tuple[str, dict[str, Any]]:
    """:func:`customer_groups_sql` for the filter state, with the parameters it binds (the
    segment filter's, and the RFM query's for an RFM split)."""
    segment_sql, params = segment_filter_sql(dataset, filters)
    sql = customer_groups_sql(dataset, by, segment_sql, filters)
    if by != COHORT_SPLIT and segment_column(dataset, by)[0] == "rfm":
        params |= _rfm_sql(dataset, filters, None, _GROUPS_RFM_PREFIX)[1]
    return sql, bind(sql, params)


def segment_values(store: Store, dataset: Dataset) -> dict[str, list[str]]:
    """Each segment filter of the dataset (see :func:`segment_dimensions`) and its values,
    most frequent first; the RFM segments in rule order, best first."""
    values: dict[str, list[str]] = {}
    for key, (kind, column) in segment_dimensions(dataset).items():
        if kind == "rfm":  # every segment name, best first (metrics.query.rfm.RFM_RULES)
            values[key] = list(RFM_SEGMENTS)
            continue
        rows = query_rows(store, load_sql("segment_column_values").format(
            column=quote_ident(column), table=dataset.table(kind)), {})
        values[key] = [row[0] for row in rows]
    return values


def rfm_query(dataset: Dataset, filters: Filters, prefix: str = "rfm_"
              ) -> tuple[str, dict[str, Any]]:
    """The RFM SQL (one row per customer, :data:`metrics.rfm.RFM_COLUMNS`) and its
    parameters, every parameter name starting with ``prefix``, so the query can be nested
    in another (the RFM segment filter, :func:`segment_filter_sql`). The segment filters
    other than the RFM one apply; see :func:`metrics.rfm.rfm_table`."""
    others = replace(filters, segments=tuple(
        (key, values) for key, values in filters.segments if key != RFM_SEGMENT))
    segment_sql, params = segment_filter_sql(dataset, others, prefix=f"{prefix}segment_")
    window = rfm_window(dataset, filters)
    sql = load_sql("rfm").format(
        p=prefix,
        orders_table=dataset.table("orders"),
        segment_filter=segment_sql,
        recency_days=days_between_sql("last_purchase", f"CAST(${prefix}reference_day AS DATE)"),
        segment_of_scores=segment_case_sql(),
    )
    params |= {f"{prefix}window_start": window.start, f"{prefix}window_end": window.end,
               f"{prefix}reference_day": window.reference_day}
    return sql, bind(sql, params)
