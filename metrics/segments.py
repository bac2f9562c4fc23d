"""Segment comparison: the dashboard's headline numbers for each value of one segment
(a column of the orders or customers, or the RFM segment), side by side."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from metrics.clv.simple import MAX_LIFESPAN_YEARS, simple_clv
from metrics.kpis import Filters, kpi_table, orders_query, segment_column, segment_values
from metrics.sqlutil import load_sql
from metrics.store import Dataset, Store

SEGMENT_SUMMARY_COLUMNS = ("value", "customers", "orders", "revenue", "retention_rate",
                           "aov", "repeat_purchase_rate", "clv")


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
        A segment key of :func:`metrics.kpis.segment_dimensions`, including
        :data:`metrics.kpis.RFM_SEGMENT`.
    gross_margin
        Passed to the simple CLV (``None``: revenue CLV).

    Returns
    -------
    pandas.DataFrame
        One row per value, in the order of :func:`metrics.kpis.segment_values` (most
        frequent first; RFM segments best first), with :data:`SEGMENT_SUMMARY_COLUMNS`:

        - ``customers``: customers with a purchase (an order with an amount >= 0) in the
          selection; ``orders``: those purchases; ``revenue``: net revenue (refunds
          subtracted), the sum of the periods' KPI revenue;
        - ``retention_rate``: the seed CRR pooled over the selection's complete periods,
          Σ(E − N) ÷ ΣS × 100 from :func:`metrics.kpis.kpi_table`
          (:func:`pooled_retention_rate`);
        - ``aov`` = revenue ÷ orders;
        - ``repeat_purchase_rate``: customers with at least two purchases in the selection
          ÷ customers with one or more, × 100;
        - ``clv``: the simple CLV (:func:`metrics.clv.simple.simple_clv`: AOV × purchases
          per year × lifespan, over the last 12 months of the date range, lifespan capped
          at :data:`metrics.clv.simple.MAX_LIFESPAN_YEARS` years, times ``gross_margin``).

        Ratios are None where their denominator is 0.

    Raises
    ------
    InputError
        ``by`` or a segment filter is not a segment of the dataset, the dataset has no
        orders, or the date range holds none.
    """
    segment_column(dataset, by)  # an unknown segment is the user's error, said once
    chosen = dict(filters.segments).get(by)
    values = [v for v in segment_values(store, dataset)[by] if chosen is None or v in chosen]
    rows = []
    for value in values:
        segments = {key: list(kept) for key, kept in filters.segments}
        segments[by] = [value]
        selection = replace(filters, segments=Filters.segment_items(segments))
        sql, params = orders_query(load_sql("segment_figures"), dataset, selection)
        with store.cursor() as cursor:
            row = cursor.execute(sql, params).fetchone()
        assert row is not None  # an aggregate without GROUP BY has one row
        customers, orders, revenue, repeat_customers = row
        clv = simple_clv(store, dataset, selection, gross_margin=gross_margin,
                         max_lifespan_years=MAX_LIFESPAN_YEARS)
        rows.append({
            "value": value,
            "customers": customers,
            "orders": orders,
            "revenue": revenue,
            "retention_rate": pooled_retention_rate(kpi_table(store, dataset, selection)),
            "aov": revenue / orders if orders else None,
            "repeat_purchase_rate": 100.0 * repeat_customers / customers if customers
            else None,
            "clv": None if clv.empty or pd.isna(clv["clv"].iloc[0])
            else float(clv["clv"].iloc[0]),
        })
    frame = pd.DataFrame(rows, columns=list(SEGMENT_SUMMARY_COLUMNS))
    frame = frame.astype({"value": object, "customers": "int64", "orders": "int64",
                          "revenue": float})
    for column in ("retention_rate", "aov", "repeat_purchase_rate", "clv"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame
