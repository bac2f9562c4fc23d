"""RFM: recency, frequency and monetary scores 1-5 per customer and the named segment they
fall in (issue 7), also a global segment filter (``seg.rfm``, key :data:`RFM_SEGMENT`).

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

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import pandas as pd

from metrics.i18n import t
from metrics.kpis import RFM_SEGMENT, Filters, orders_span, segment_filter_sql
from metrics.sqlutil import (
    days_between_sql,
    load_sql,
    period_index,
    period_start_of_index,
    sql_literal,
)
from metrics.store import Dataset, Store

RFM_COLUMNS = ("customer_id", "recency_days", "frequency", "monetary", "r", "f", "m",
               "segment")
RFM_SUMMARY_COLUMNS = ("segment", "customers", "share", "revenue", "revenue_share",
                       "avg_recency_days", "avg_frequency", "avg_monetary")
SCORES = range(1, 6)


@dataclass(frozen=True)
class ScoreArea:
    """A rectangle of the R x FM grid: R from ``r_low`` to ``r_high`` and FM = (F + M) / 2
    from ``fm_low`` to ``fm_high``, both inclusive."""

    r_low: int
    r_high: int
    fm_low: float
    fm_high: float

    def holds(self, r: int, f: int, m: int) -> bool:
        return self.r_low <= r <= self.r_high and self.fm_low <= (f + m) / 2 <= self.fm_high

    def text(self) -> str:
        return t("R {r}, FM {fm}", r=_span(self.r_low, self.r_high),
                 fm=_span(self.fm_low, self.fm_high))


@dataclass(frozen=True)
class RfmRule:
    """One named segment: the grid areas it covers and what its customers are like."""

    segment: str
    areas: tuple[ScoreArea, ...]
    description: str

    def holds(self, r: int, f: int, m: int) -> bool:
        """Whether scores (r, f, m) fall in this segment."""
        return any(area.holds(r, f, m) for area in self.areas)

    def text(self) -> str:
        """The rule for people, e.g. "Champions: R 4–5, FM 4–5 — bought lately, ..."."""
        return t("{segment}: {areas} — {description}", segment=t(self.segment),
                 areas=t("; or ").join(area.text() for area in self.areas),
                 description=t(self.description))


def _span(low: float, high: float) -> str:
    def number(x: float) -> str:
        return f"{x:g}"
    return number(low) if low == high else f"{number(low)}–{number(high)}"


# Best to worst. The segment names are the filter's values (in links), so they stay English
# in data; pages translate them for display with t().
RFM_RULES: tuple[RfmRule, ...] = (
    RfmRule("Champions", (ScoreArea(4, 5, 4, 5),),
            "bought lately, buy often and spend the most."),
    RfmRule("Loyal", (ScoreArea(3, 3, 4, 5), ScoreArea(4, 5, 3.5, 3.5)),
            "buy often and spend well; reward them."),
    RfmRule("Potential loyalists", (ScoreArea(4, 5, 2, 3),),
            "recent customers with some repeat purchases or spend; offer a membership."),
    RfmRule("New", (ScoreArea(5, 5, 1, 1.5),),
            "bought very lately, but little so far; welcome them."),
    RfmRule("Promising", (ScoreArea(4, 4, 1, 1.5),),
            "bought fairly lately, but little so far; build awareness."),
    RfmRule("Need attention", (ScoreArea(3, 3, 3, 3.5),),
            "above-average frequency and spend, but not bought lately."),
    RfmRule("About to sleep", (ScoreArea(3, 3, 1, 2.5),),
            "below-average frequency and spend, not bought lately; lost without a nudge."),
    RfmRule("At risk", (ScoreArea(1, 2, 3, 3.5),),
            "bought often and spent well, but long ago; win them back."),
    RfmRule("Cannot lose them", (ScoreArea(1, 2, 4, 5),),
            "were among the best customers, but have not come back for long."),
    RfmRule("Hibernating", (ScoreArea(2, 2, 1, 2.5), ScoreArea(1, 1, 2, 2.5)),
            "low spenders who last bought long ago."),
    RfmRule("Lost", (ScoreArea(1, 1, 1, 1.5),),
            "lowest recency, frequency and spend."),
)
RFM_SEGMENTS: tuple[str, ...] = tuple(rule.segment for rule in RFM_RULES)

SCORE_RULE = ("Scores are quintiles of the customers with a purchase in the selection, "
              "5 = best: score = 1 + ⌊5 × (rank − 1) ÷ customers⌋, ranked from the worst "
              "value, so customers with the same value share a score (e.g. every one-purchase "
              "customer has F = 1). R: days since the last purchase up to {day}; F: purchase "
              "days; M: net revenue. FM = (F + M) ÷ 2.")


def rfm_segment(r: int, f: int, m: int) -> str:
    """The segment of scores (r, f, m) by :data:`RFM_RULES` (the first rule that holds; the
    rules do not overlap)."""
    return next(rule.segment for rule in RFM_RULES if rule.holds(r, f, m))


def _segment_case() -> str:
    """The rule table as a SQL CASE over the columns r, f, m (with F + M = 2 x FM, so the
    comparisons stay in integers)."""
    branches = []
    for rule in RFM_RULES:
        areas = " OR ".join(
            f"(r BETWEEN {a.r_low} AND {a.r_high} "
            f"AND f + m BETWEEN {round(2 * a.fm_low)} AND {round(2 * a.fm_high)})"
            for a in rule.areas)
        branches.append(f"WHEN {areas} THEN {sql_literal(rule.segment)}")
    return "CASE " + " ".join(branches) + " END"


@dataclass(frozen=True)
class RfmWindow:
    """The days RFM is measured over and the day recency is counted to."""

    start: date
    end: date
    reference_day: date


def rfm_window(dataset: Dataset, filters: Filters) -> RfmWindow:
    """The filter's date range widened to whole periods (as every page shows it), and the
    reference day of recency: the window's last day, or the data's last order day when that
    is earlier (the current period is still running)."""
    first, last = orders_span(dataset)
    p = filters.period
    start = period_start_of_index(p, period_index(p, filters.start or first))
    end = period_start_of_index(p, period_index(p, filters.end or last) + 1) - timedelta(days=1)
    return RfmWindow(start, end, min(end, last))


def rfm_query(dataset: Dataset, filters: Filters, prefix: str = "rfm_"
              ) -> tuple[str, dict[str, Any]]:
    """The RFM SQL (one row per customer, :data:`RFM_COLUMNS`) and its parameters, every
    parameter name starting with ``prefix``, so the query can be nested in another (the
    RFM segment filter, :func:`metrics.kpis.segment_filter_sql`). The segment filters other
    than the RFM one apply; see :func:`rfm_table`."""
    others = replace(filters, segments=tuple(
        (key, values) for key, values in filters.segments if key != RFM_SEGMENT))
    segment_sql, params = segment_filter_sql(dataset, others, prefix=f"{prefix}segment_")
    window = rfm_window(dataset, filters)
    sql = load_sql("rfm").format(
        p=prefix,
        orders_table=dataset.table("orders"),
        segment_filter=segment_sql,
        recency_days=days_between_sql("last_purchase", f"CAST(${prefix}reference_day AS DATE)"),
        segment_of_scores=_segment_case(),
    )
    params |= {f"{prefix}window_start": window.start, f"{prefix}window_end": window.end,
               f"{prefix}reference_day": window.reference_day}
    return sql, {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}


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
    with store.cursor() as cursor:
        frame = cursor.execute(f"{sql}ORDER BY customer_id", params).df()
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
    with store.cursor() as cursor:
        totals = cursor.execute(
            f"-- customers, revenue and average R, F, M values per RFM segment\n"
            f"SELECT segment, COUNT(*) AS customers, SUM(monetary) AS revenue, "
            f"AVG(recency_days) AS avg_recency_days, AVG(frequency) AS avg_frequency, "
            f"AVG(monetary) AS avg_monetary FROM (\n{sql}) AS rfm GROUP BY segment",
            params).df()
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
