"""The cohort query: acquisition cohorts x periods since acquisition as SQL, for the cohort
table (:func:`metrics.retention.cohort_table`), its explanations and the page tables.

Apart from :mod:`metrics.retention` (pandas, SciPy) so that what only writes the query (the
page tables' check of their fingerprints, metrics/page_aggregates.py) starts at once."""

from __future__ import annotations

from typing import Any

from metrics.query.filters import Filters
from metrics.query.orders import orders_query
from metrics.query.segments import customer_groups_query, history_holds
from metrics.query.sql import (
    integer_series_sql,
    load_sql,
    period_end_sql,
    period_index_sql,
    period_start_sql,
    piece,
    with_ctes,
)
from metrics.store import Dataset


def cohort_group_sql(dataset: Dataset, by: str | None, filters: Filters, alias: str
               ) -> tuple[dict[str, str], dict[str, Any]]:
    """The pieces of the cohort query that attach a segment value to each customer of the
    rows aliased ``alias``, and the parameters they bind."""
    if by is None:
        return {"group_value": "CAST(NULL AS VARCHAR)", "group_join": ""}, {}
    groups, params = customer_groups_query(dataset, by, filters)
    return {"group_value": "origin.group_value",
            "group_join": f"LEFT JOIN ({groups}\n) "
                          f"AS origin ON origin.customer_id = {alias}.customer_id"}, params


def _cohort_in_range(cohort: str) -> str:
    return piece(load_sql("cohort_condition_cohort_in_range").format(cohort=cohort))


def _cell_in_range(period: str, cohort: str) -> str:
    return piece(load_sql("cohort_condition_cell_in_range").format(period=period, cohort=cohort))


def cohort_conditions(from_history: bool) -> dict[str, str]:
    """The conditions that keep the cohorts and cells of the date range, the same two
    pieces in both cohort queries: for ``sql/cohort_cells_from_history.sql`` or
    ``sql/cohort_cells.sql`` (whose members are cohorts of the range already)."""
    if from_history:
        return {"orders_in_range": _cohort_in_range("cohort_index") + "    AND "
                + _cell_in_range("period_index", "cohort_index")}
    return {"members_in_range": _cohort_in_range("cohort_index"),
            "activity_in_range": _cell_in_range("a.period_index", "m.cohort_index")}


def cohort_query(dataset: Dataset, filters: Filters, by: str | None = None
                 ) -> tuple[str, dict[str, Any]]:
    """The cohort SQL for a filter state and its parameters.

    From the purchase history stored with the orders when the filters keep whole customers
    (one scan), else from the orders themselves; both give the same table.
    """
    p = filters.period
    from_history = history_holds(dataset, filters)
    if from_history:
        cells = load_sql("cohort_cells_from_history")
        groups, group_params = cohort_group_sql(dataset, by, filters, "o")
        pieces = {
            "period_of_first_purchase": period_index_sql(p, "o.first_purchase_on"),
            "period_of_previous_purchase": period_index_sql(p, "o.previous_purchase_on"),
            "period_of_next_purchase": period_index_sql(p, "o.next_purchase_on"),
            **groups,
        }
    else:
        cells = load_sql("cohort_cells")
        groups, group_params = cohort_group_sql(dataset, by, filters, "firsts")
        pieces = {"period_of_first_day": period_index_sql(p, "first_day"), **groups}
    sql, params = orders_query(
        with_ctes(cells, load_sql("cohort_grid")), dataset, filters,
        offset_series=integer_series_sql("0", "$last_index - cohort_index", "period_offset"),
        cohort_start=period_start_sql(p, "cohort_index"),
        cell_start=period_start_sql(p, "cohort_index + period_offset"),
        cell_end=period_end_sql(p, "cohort_index + period_offset"),
        **pieces, **cohort_conditions(from_history),
    )
    return sql, params | group_params
