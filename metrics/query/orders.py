"""A query over a dataset's orders from a template, with what every such query shares (the
orders table, the segment filter, the period of an order) filled in and bound."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from metrics.query.filters import Filters, orders_span, period_range
from metrics.query.segments import segment_filter_sql
from metrics.query.sql import bind, period_index, period_index_sql
from metrics.store import Dataset


def orders_query(template: str, dataset: Dataset, filters: Filters, **pieces: str
                 ) -> tuple[str, dict[str, Any]]:
    """A query over a dataset's orders from a template (:func:`load_sql`), with its
    parameters.

    Fills what every such query shares (the orders table, the segment filter, the period
    of an order) plus ``pieces``, and binds the filter's period range (``$first_index``,
    ``$last_index``) and the data's first and last day.
    """
    return narrowed_orders_query(template, dataset, filters, None, pieces)


def narrowed_orders_query(template: str, dataset: Dataset, filters: Filters,
                          customers: tuple[str, dict[str, Any]] | None,
                          pieces: Mapping[str, object]) -> tuple[str, dict[str, Any]]:
    """:func:`orders_query` with its segment filter narrowed to whole customers by
    ``customers`` (a condition on ``customer_id`` and its parameters; None: not narrowed),
    as for one value of a split (:func:`metrics.kpis.group_condition`)."""
    first, last = orders_span(dataset)
    first_index, last_index = period_range(filters, first, last)
    p = filters.period
    segment_sql, params = segment_filter_sql(dataset, filters)
    if customers is not None:
        segment_sql = f"({segment_sql}) AND ({customers[0]})"
        params |= customers[1]
    sql = template.format(
        orders_table=dataset.table("orders"),
        segment_filter=segment_sql,
        period_of_order_date=period_index_sql(p, "order_date"),
        **pieces,
    )
    params |= {
        "first_index": first_index,
        "last_index": last_index,
        "data_first_day": first,
        "data_last_day": last,
        "data_last_index": period_index(p, last),
    }
    return sql, bind(sql, params)
