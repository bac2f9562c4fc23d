"""RFM: recency, frequency and monetary scores 1-5 per customer and the named segment they
fall in, also a global segment filter (``seg.rfm``, key
:data:`metrics.query.segments.RFM_SEGMENT`; the rule table and the filter's query are in
:mod:`metrics.query.rfm` and :mod:`metrics.query.segments`).

Scores are quintiles of the selection's customers, 5 = best; ties share a score. The
segment of a customer comes from their R score and FM = (F + M) / 2, the average of their
frequency and monetary scores, by the rule table :data:`RFM_RULES` (best to worst):

- Champions: R 4-5, FM 4-5 (bought lately, buy often, spend the most);
- Loyal: R 3, FM 4-5; or R 4-5, FM 3.5 (buy often and spend well);
- Potential loyalists: R 4-5, FM 2-3 (recent, some repeat purchases or spend);
- New: R 5, FM 1-1.5 (bought very lately, little so far);
- Promising: R 4, FM 1-1.5 (bought fairly lately, little so far);
- Need attention: R 3, FM 3-3.5 (above average, not bought lately);
- About to sleep: R 3, FM 1-2.5 (below average, not bought lately);
- At risk: R 1-2, FM 3-3.5 (bought often and spent well, long ago);
- Cannot lose them: R 1-2, FM 4-5 (were among the best, long gone);
- Hibernating: R 2, FM 1-2.5; or R 1, FM 2-2.5 (low spenders, long ago);
- Lost: R 1, FM 1-1.5 (lowest recency, frequency and spend).

Every one of the 125 (R, F, M) combinations falls in exactly one segment (a test checks it).
"""

from __future__ import annotations

import pandas as pd

from metrics.i18n import N_
from metrics.query.filters import Filters
from metrics.query.rfm import RFM_SEGMENTS
from metrics.query.run import query_frame
from metrics.query.segments import rfm_query
from metrics.query.sql import load_sql, piece
from metrics.store import Dataset, Store

RFM_COLUMNS = ("customer_id", "recency_days", "frequency", "monetary", "r", "f", "m",
               "segment")
RFM_SUMMARY_COLUMNS = ("segment", "customers", "share", "revenue", "revenue_share",
                       "avg_recency_days", "avg_frequency", "avg_monetary")
SCORES = range(1, 6)


SCORE_RULE = (N_("Scores are quintiles of the customers with a purchase in the selection, "
                 "5 = best: score = 1 + ⌊5 × (rank − 1) ÷ customers⌋, ranked from the worst "
                 "value, so customers with the same value share a score (e.g. every one-purchase "
                 "customer has F = 1). R: days since the last purchase up to {day}; F: purchase "
                 "days; M: net revenue. FM = (F + M) ÷ 2."))


def rfm_table(store: Store, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """Each customer's recency, frequency and monetary value, their scores and segment.

    Parameters
    ----------
    store, dataset
        The data (its orders).
    filters
        The selection: the date range widened to whole periods (:func:`rfm_window`) and
        the segment filters other than the RFM one itself (the RFM filter keeps customers
        by the segments computed here). ``inactivity_days`` is not used.

    Returns
    -------
    pandas.DataFrame
        One row per customer with a purchase (an order with an amount >= 0) in the
        window, ordered by id, with :data:`RFM_COLUMNS`:

        - ``recency_days``: days from the last purchase in the window to the reference day
          (the window's last day, capped at the data's last order day);
        - ``frequency``: purchase days in the window (orders on one day count once, so a
          basket split over two orders is one visit; refunds are not purchases);
        - ``monetary``: net revenue in the window (refunds subtracted);
        - ``r``, ``f``, ``m``: scores 1-5, 5 = best (most recent, most frequent, highest
          spend), quintiles of these customers: score = 1 + floor(5 (rank - 1) / n), where
          rank is the SQL RANK from the worst value, so tied customers share the score of
          the first place they hold (e.g. every one-purchase customer has F = 1);
        - ``segment``: by :data:`RFM_RULES` over R and FM = (F + M) / 2.

        Empty when no customer bought in the window.

    Raises
    ------
    InputError
        The dataset has no orders, or a segment filter is unknown.
    """
    sql, params = rfm_query(dataset, filters)
    frame = query_frame(store, f"{piece(sql)}ORDER BY customer_id", params)
    frame = frame.astype({"customer_id": object, "segment": object})
    return frame[list(RFM_COLUMNS)]


def rfm_summary(store: Store, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """The RFM segments' sizes and revenue, best segment first (the order of
    :data:`RFM_RULES`), every segment listed.

    Returns
    -------
    pandas.DataFrame
        One row per segment with :data:`RFM_SUMMARY_COLUMNS`: ``customers`` and their
        ``share`` (%) of the customers of :func:`rfm_table`; ``revenue`` (the net revenue
        of those customers in the window) and its ``revenue_share`` (%) of their total;
        the segment's average ``recency_days``, ``frequency`` and ``monetary`` (None
        without customers). Empty when no customer bought in the window.
    """
    sql, params = rfm_query(dataset, filters)
    totals = query_frame(store, load_sql("rfm_summary").format(rfm=piece(sql)), params)
    if totals.empty:
        return pd.DataFrame(columns=list(RFM_SUMMARY_COLUMNS))
    summary = pd.DataFrame({"segment": list(RFM_SEGMENTS)}).merge(totals, on="segment",
                                                                     how="left")
    summary["customers"] = summary["customers"].fillna(0).astype("int64")
    summary["revenue"] = summary["revenue"].fillna(0.0).astype(float)
    summary["share"] = 100.0 * summary["customers"] / summary["customers"].sum()
    total_revenue = float(summary["revenue"].sum())
    summary["revenue_share"] = (100.0 * summary["revenue"] / total_revenue
                                if total_revenue else None)
    summary = summary.astype({"segment": object})
    for column in ("avg_recency_days", "avg_frequency", "avg_monetary", "revenue_share"):
        summary[column] = summary[column].astype(object).where(summary[column].notna(), None)
    return summary[list(RFM_SUMMARY_COLUMNS)]


def rfm_customers(table: pd.DataFrame, segment: str) -> pd.DataFrame:
    """The rows of :func:`rfm_table` in one segment, highest spend first (a campaign
    list)."""
    chosen = table[table["segment"] == segment]
    return chosen.sort_values(["monetary", "customer_id"], ascending=[False, True],
                              ignore_index=True)
