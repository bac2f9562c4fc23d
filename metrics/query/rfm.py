"""The RFM rule table (scores 1-5 per customer to a named segment) and the window RFM is
measured over: what the RFM segment filter and :mod:`metrics.rfm` share.

See :mod:`metrics.rfm` for the segments and how the scores are computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from metrics.i18n import N_, t
from metrics.query.filters import Filters, orders_span
from metrics.query.sql import period_index, period_start_of_index, sql_literal
from metrics.store import Dataset


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
    RfmRule(N_("Champions"), (ScoreArea(4, 5, 4, 5),),
            N_("bought lately, buy often and spend the most.")),
    RfmRule(N_("Loyal"), (ScoreArea(3, 3, 4, 5), ScoreArea(4, 5, 3.5, 3.5)),
            N_("buy often and spend well; reward them.")),
    RfmRule(N_("Potential loyalists"), (ScoreArea(4, 5, 2, 3),),
            N_("recent customers with some repeat purchases or spend; offer a membership.")),
    RfmRule(N_("New"), (ScoreArea(5, 5, 1, 1.5),),
            N_("bought very lately, but little so far; welcome them.")),
    RfmRule(N_("Promising"), (ScoreArea(4, 4, 1, 1.5),),
            N_("bought fairly lately, but little so far; build awareness.")),
    RfmRule(N_("Need attention"), (ScoreArea(3, 3, 3, 3.5),),
            N_("above-average frequency and spend, but not bought lately.")),
    RfmRule(N_("About to sleep"), (ScoreArea(3, 3, 1, 2.5),),
            N_("below-average frequency and spend, not bought lately; lost without a nudge.")),
    RfmRule(N_("At risk"), (ScoreArea(1, 2, 3, 3.5),),
            N_("bought often and spent well, but long ago; win them back.")),
    RfmRule(N_("Cannot lose them"), (ScoreArea(1, 2, 4, 5),),
            N_("were among the best customers, but have not come back for long.")),
    RfmRule(N_("Hibernating"), (ScoreArea(2, 2, 1, 2.5), ScoreArea(1, 1, 2, 2.5)),
            N_("low spenders who last bought long ago.")),
    RfmRule(N_("Lost"), (ScoreArea(1, 1, 1, 1.5),),
            N_("lowest recency, frequency and spend.")),
)
RFM_SEGMENTS: tuple[str, ...] = tuple(rule.segment for rule in RFM_RULES)

def rfm_segment(r: int, f: int, m: int) -> str:
    """The segment of scores (r, f, m) by :data:`RFM_RULES` (the first rule that holds; the
    rules do not overlap)."""
    return next(rule.segment for rule in RFM_RULES if rule.holds(r, f, m))


def segment_case_sql() -> str:
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
