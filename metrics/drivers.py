"""Why did a KPI move? Its change between two periods split into the contribution of each
value of a segment, each a mix effect and a rate effect (Kitagawa's decomposition)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import pandas as pd
from babel.numbers import format_currency, format_decimal, format_percent

from metrics.definitions import REGISTRY, Metric
from metrics.errors import InputError
from metrics.i18n import language, t
from metrics.kpis import kpi_split_table, kpi_table
from metrics.query.filters import Filters, orders_span
from metrics.query.segments import (
    COHORT_SPLIT,
    RFM_SEGMENT,
    history_holds,
    segment_dimensions,
)
from metrics.query.sql import Period, period_index, period_start_of_index
from metrics.satisfaction import (
    csat_table,
    nps_table,
    response_span,
    satisfaction_segments,
)
from metrics.significance import Significance, change_test
from metrics.store import Dataset, Store

# The rate KPIs whose change can be split (Overview and Retention pages; NPS and CSAT of
# the Satisfaction page's survey tables).
DRIVER_METRICS: tuple[str, ...] = ("retention_rate", "strict_retention_rate", "churn_rate",
                                   "repeat_purchase_rate", "aov", "nps", "csat")
# One record per segment value (the first nine are the fields; the last three the
# value's own change test).
DRIVER_COLUMNS: tuple[str, ...] = (
    "segment", "value", "share_before", "share_after", "rate_before", "rate_after",
    "mix_effect", "rate_effect", "contribution", "p_value", "significant", "change_test")
# The ``by`` that asks for every segment column.
ALL_SEGMENTS = "all"
# A mix effect under this share of the total change "barely changed" in the summary.
SMALL_MIX_SHARE = 0.1
# The cohort view's newer cohorts: those acquired in the earlier period or the periods
# just before it, this many in all.
RECENT_PERIODS = 3

SplitTable = Callable[..., pd.DataFrame]
# The function computing each metric's table per period, split by ``by`` (one group of
# customers or responses per value): the same query the metric's card reads.
_SURVEY_TABLES: dict[str, SplitTable] = {"nps": nps_table, "csat": csat_table}


@dataclass(frozen=True)
class Drivers:
    """A metric's change between two periods split by the values of one segment.

    ``records`` has one row per value (:data:`DRIVER_COLUMNS`), largest
    ``|contribution|`` first; the contributions add up to :attr:`change`. Shares are
    fractions of the metric's weight (its denominator: S for retention and churn, the
    active customers for the repeat purchase rate, the orders for AOV, the answers for NPS
    and CSAT); rates and effects are in the metric's unit (percentage points, currency,
    NPS points). ``rate_before`` / ``rate_after`` of a value without weight in that
    period are None (the decomposition takes the other period's rate).
    """

    metric_id: str
    segment: str
    period_before: date
    period_after: date
    rate_before: float
    rate_after: float
    records: pd.DataFrame

    @property
    def change(self) -> float:
        """The total change, after minus before."""
        return self.rate_after - self.rate_before

    @property
    def mix_effect(self) -> float:
        """The sum of the values' mix effects: the change the shift in shares makes."""
        return float(self.records["mix_effect"].sum())

    @property
    def explained(self) -> float:
        """``|contribution|`` of the top value: how much one value of this segment
        explains (0 without values)."""
        return float(self.records["contribution"].abs().max()) if len(self.records) else 0.0


def decompose(share_before: float, share_after: float, rate_before: float | None,
              rate_after: float | None) -> tuple[float, float]:
    """One value's mix and rate effect in Kitagawa's decomposition of a difference of two
    weighted means (Kitagawa 1955, "Components of a difference between two rates",
    *JASA* 50; the shift-share analysis of the change of a rate).

    With the total rate R = Σ s_i r_i (shares s_i of the weight, rates r_i),

    - mix_i  = (s1 − s0) · (r0 + r1) / 2
    - rate_i = (r1 − r0) · (s0 + s1) / 2

    and Σ (mix_i + rate_i) = R1 − R0 exactly. A value without weight in one period has no
    rate there: it is taken equal to the other period's, so its whole contribution is mix.

    Returns
    -------
    tuple of float
        ``(mix_effect, rate_effect)``.
    """
    if rate_before is None and rate_after is None:
        raise ValueError("a value needs a rate in at least one period")
    before = rate_after if rate_before is None else rate_before
    after = rate_before if rate_after is None else rate_after
    assert before is not None and after is not None
    return ((share_after - share_before) * (before + after) / 2,
            (after - before) * (share_before + share_after) / 2)


def weight_column(metric: Metric) -> str:
    """The column whose shares weigh a metric's rate: its denominator, or for a mean (AOV)
    the count its test uses (the orders)."""
    column = metric.denominator or (metric.test.count if metric.test else None)
    if column is None:
        raise ValueError(f"{metric.id} is no rate of a weight")
    return column


def driver_segments(dataset: Dataset, metric_id: str) -> tuple[str, ...]:
    """The segment keys a metric's change can be split by: every segment of the orders and
    customers (and the RFM segment) and the acquisition cohort
    (:data:`metrics.query.segments.COHORT_SPLIT`); for NPS and CSAT the segments of the
    survey responses."""
    if metric_id in _SURVEY_TABLES:
        return tuple(satisfaction_segments(dataset))
    return (*segment_dimensions(dataset), COHORT_SPLIT)


def latest_period(dataset: Dataset, filters: Filters, metric_id: str) -> date:
    """The first day of the latest complete period of the metric's data (the orders; the
    responses for NPS and CSAT): the default period to explain."""
    if metric_id in _SURVEY_TABLES:
        last = response_span(dataset, "nps" if metric_id == "nps" else "csat")[1]
    else:
        last = orders_span(dataset)[1]
    index = period_index(filters.period, last + timedelta(days=1)) - 1
    return period_start_of_index(filters.period, index)


def driver_table(store: Store, dataset: Dataset, filters: Filters,
                 metric_id: str = "churn_rate", by: str = RFM_SEGMENT,
                 period: date | None = None, against: date | None = None) -> pd.DataFrame:
    """The records of :func:`drivers` with the first day of the period explained
    (``period_start``), for the registry: ``period`` None takes :func:`latest_period`."""
    day = period or latest_period(dataset, filters, metric_id)
    found = drivers(store, dataset, filters, metric_id, by, day, against)
    return found.records.assign(period_start=found.period_after)


def drivers(store: Store, dataset: Dataset, filters: Filters, metric_id: str, by: str,
            period: date, against: date | None = None) -> Drivers:
    """Split the change of a rate KPI between two periods by the values of a segment.

    Parameters
    ----------
    store, dataset, filters
        The data and the selection (its period type, segment filters and inactivity window
        W; its date range is replaced by the two periods).
    metric_id
        One of :data:`DRIVER_METRICS`.
    by
        A segment key (:func:`driver_segments`). Each customer (each answer for the
        survey measures) belongs to one value: for a column of the orders the value of
        their first purchase day; customers without a value form the value None.
    period, against
        A day in the period after and in the period before (default: the period just
        before ``period``).

    Returns
    -------
    Drivers
        The groups' numerators and denominators come from the metric's own query split
        by ``by`` (:func:`metrics.kpis.kpi_table`, :func:`metrics.satisfaction.nps_table`
        or :func:`metrics.satisfaction.csat_table`); a value without weight in both
        periods has no row. Each row's ``p_value``, ``significant`` and ``change_test``
        are its own rate change's test, the one the metric's card uses
        (:func:`metrics.significance.change_test`).

    Raises
    ------
    InputError
        An unknown metric or segment, ``against`` not before ``period``, or a period
        where the metric is undefined (no weight: no customers in the base, no orders).
    """
    metric = _driver_metric(metric_id)
    if by not in driver_segments(dataset, metric_id):
        raise InputError(t("“{column}” is not a segment {metric} can be split by; the "
                           "segments are: {segments}.", column=by, metric=t(metric.label),
                           segments=", ".join(driver_segments(dataset, metric_id))
                           or t("none")))
    before_start, after_start = periods_compared(filters, period, against)
    tables = _split_tables(store, dataset, filters, metric_id, (by,), before_start,
                           after_start)
    return _drivers_of(metric, by, tables[by], before_start, after_start)


def _drivers_of(metric: Metric, by: str, table: pd.DataFrame, before_start: date,
                after_start: date) -> Drivers:
    """The drivers of a metric's table split by ``by`` over the two periods."""
    rows = {start: table[table["period_start"] == start] for start in (before_start,
                                                                      after_start)}
    weight = weight_column(metric)
    totals = {start: int(frame[weight].sum()) for start, frame in rows.items()}
    for start, total in totals.items():
        if total == 0:
            raise InputError(t("{metric} is undefined in the period starting {period}: it "
                               "has no {weight} to divide by. Choose other periods.",
                               metric=t(metric.label), period=start.isoformat(),
                               weight=t(REGISTRY[weight].label).lower()
                               if weight in REGISTRY else weight))
    records = _records(metric, by, rows[before_start], rows[after_start], totals)
    rate = {start: sum(float(row[metric.id]) * int(row[weight]) / totals[start]
                       for _, row in frame.iterrows() if int(row[weight]))
            for start, frame in rows.items()}
    return Drivers(metric.id, by, before_start, after_start, rate[before_start],
                   rate[after_start], records)


def all_drivers(store: Store, dataset: Dataset, filters: Filters, metric_id: str,
                period: date, against: date | None = None) -> list[Drivers]:
    """:func:`drivers` for every segment of :func:`driver_segments`, the column that
    explains the most first: the one whose top value has the largest ``|contribution|``
    (:attr:`Drivers.explained`; a sum over all values would favour columns with many
    small values). Ties keep the segments' order. Left out: the RFM segment, computed
    from the same periods' purchases (so it "explains" churn by definition), and the
    acquisition cohort, no segment column (its own view, :func:`cohort_view`).

    The orders' KPIs of every column come from one query (:func:`_split_tables`)."""
    metric = _driver_metric(metric_id)
    keys = tuple(by for by in driver_segments(dataset, metric.id)
                 if by not in (RFM_SEGMENT, COHORT_SPLIT))
    before_start, after_start = periods_compared(filters, period, against)
    tables = _split_tables(store, dataset, filters, metric.id, keys, before_start,
                           after_start)
    found = [_drivers_of(metric, by, tables[by], before_start, after_start) for by in keys]
    return sorted(found, key=lambda d: -d.explained)


def _driver_metric(metric_id: str) -> Metric:
    if metric_id not in DRIVER_METRICS:
        raise InputError(t("“{metric}” cannot be split into drivers; choose one of: "
                           "{metrics}.", metric=metric_id, metrics=", ".join(DRIVER_METRICS)))
    return REGISTRY[metric_id]


def periods_compared(filters: Filters, period: date, against: date | None
                     ) -> tuple[date, date]:
    """The first days of the period before and the period after: the periods holding
    ``against`` (default: the one before) and ``period``."""
    after = period_index(filters.period, period)
    before = after - 1 if against is None else period_index(filters.period, against)
    if before >= after:
        raise InputError(t("The period compared against ({against}) must come before the "
                           "period explained ({period}).",
                           against=period_start_of_index(filters.period, before).isoformat(),
                           period=period_start_of_index(filters.period, after).isoformat()))
    return (period_start_of_index(filters.period, before),
            period_start_of_index(filters.period, after))


def window_filters(filters: Filters, before_start: date, after_start: date) -> Filters:
    """The filters over the two periods compared (and those between)."""
    after_end = period_start_of_index(
        filters.period, period_index(filters.period, after_start) + 1) - timedelta(days=1)
    return replace(filters, start=before_start, end=after_end)


def _split_tables(store: Store, dataset: Dataset, filters: Filters, metric_id: str,
                  keys: tuple[str, ...], before_start: date, after_start: date
                  ) -> dict[str, pd.DataFrame]:
    """The metric's table over the two periods (and those between) split by each of
    ``keys``. The orders' KPIs split by every key in one query over the stored purchase
    history (:func:`metrics.kpis.kpi_split_table`) when the filters keep whole customers,
    else the KPI query once per value of each key (:func:`metrics.kpis.kpi_table`'s
    ``by``); the survey measures once per key."""
    window = window_filters(filters, before_start, after_start)
    if keys and metric_id not in _SURVEY_TABLES and history_holds(dataset, window):
        split = kpi_split_table(store, dataset, window, keys)
        tables = {key: split[split["segment"] == key].drop(columns="segment")
                  for key in keys}
    else:
        table_of = _SURVEY_TABLES.get(metric_id, kpi_table)
        tables = {key: table_of(store, dataset, window, by=key) for key in keys}
    if keys and not (tables[keys[0]]["period_start"] == after_start).any():
        raise InputError(t("The period starting {period} holds no data; choose a period "
                           "within the data.", period=after_start.isoformat()))
    return tables


def _records(metric: Metric, by: str, before: pd.DataFrame, after: pd.DataFrame,
             totals: dict[date, int]) -> pd.DataFrame:
    """One record per value with weight in either period, largest |contribution| first.
    Both split tables hold every value in every period (zero counts where it has none)."""
    weight = weight_column(metric)
    total_before, total_after = totals.values()
    previous = {_key(v): row for v, (_, row) in zip(before["group_value"], before.iterrows(),
                                                    strict=True)}
    records = []
    for value, (_, row) in zip(after["group_value"], after.iterrows(), strict=True):
        old = previous[_key(value)]
        w0, w1 = int(old[weight]), int(row[weight])
        if w0 == 0 and w1 == 0:
            continue
        r0 = _rate(old, metric.id) if w0 else None
        r1 = _rate(row, metric.id) if w1 else None
        s0, s1 = w0 / total_before, w1 / total_after
        mix, rate = decompose(s0, s1, r0, r1)
        result = change_test(metric, row, old)
        tested = result if isinstance(result, Significance) else None
        records.append({
            "segment": by, "value": _key(value), "share_before": s0, "share_after": s1,
            "rate_before": r0, "rate_after": r1, "mix_effect": mix, "rate_effect": rate,
            "contribution": mix + rate,
            "p_value": tested.p_value if tested else None,
            "significant": tested.significant if tested else None,
            "change_test": result.method if isinstance(result, Significance)
            else result.reason,
        })
    frame = pd.DataFrame(records, columns=list(DRIVER_COLUMNS))
    order = frame["contribution"].abs().sort_values(ascending=False, kind="stable").index
    frame = frame.loc[order].reset_index(drop=True)
    for column in ("value", "rate_before", "rate_after", "p_value", "significant"):
        # None, not NaN, where a value has no rate or no test: JSON and the tests read None
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def _key(value: Any) -> Any:
    """A group value as a dict key (pandas may read a missing one as NaN)."""
    return None if value is None or pd.isna(value) else value


def _rate(row: Any, column: str) -> float | None:
    value = row[column]
    return None if value is None or pd.isna(value) else float(value)


# -- the summary -------------------------------------------------------------------------


def summary(found: Drivers, currency: str | None = None) -> str:
    """One sentence a manager can paste into an e-mail: the change, the value that
    contributed most with its own rate before and after, and whether the mix of the
    segment changed much (its mix effects' sum over a tenth of the change). Segment values
    are data: written as they are."""
    metric = REGISTRY[found.metric_id]
    label = t(metric.label)
    amounts = {"change": amount_text(abs(found.change), metric, currency, change=True),
               "before": amount_text(found.rate_before, metric, currency),
               "after": amount_text(found.rate_after, metric, currency)}
    if found.change > 0:
        opening = t("{metric} rose {change}, from {before} to {after}", metric=label,
                    **amounts)
    elif found.change < 0:
        opening = t("{metric} fell {change}, from {before} to {after}", metric=label,
                    **amounts)
    else:
        opening = t("{metric} did not change ({before})", metric=label, **amounts)
    if found.records.empty:
        return t("{opening}.", opening=opening)
    top = found.records.iloc[0]
    value = t("(no value)") if _key(top["value"]) is None else str(top["value"])
    mix = (t("the mix of {segment} barely changed", segment=found.segment)
           if abs(found.mix_effect) <= SMALL_MIX_SHARE * abs(found.change)
           else t("shifts in the mix of {segment} account for {mix}", segment=found.segment,
                  mix=amount_text(found.mix_effect, metric, currency, change=True, signed=True)))
    return t("{opening}; {part} of it from {segment} “{value}”, where it went from "
             "{value_before} to {value_after}; {mix}.", opening=opening,
             part=amount_text(float(top["contribution"]), metric, currency, change=True,
                          signed=True),
             segment=found.segment, value=value,
             value_before=amount_text(top["rate_before"], metric, currency),
             value_after=amount_text(top["rate_after"], metric, currency), mix=mix)


def amount_text(value: float | None, metric: Metric, currency: str | None, *,
            change: bool = False, signed: bool = False) -> str:
    """A rate or a change as the current language writes it: percent with one decimal
    (a change in percentage points), NPS points, an amount of the data's currency."""
    if value is None:
        return t("none")
    lang = language.get()
    pattern = "+#,##0.0;-#,##0.0" if signed else "#,##0.0"
    if metric.unit == "currency":
        if currency:
            text = format_currency(abs(value), currency, locale=lang)
            return ("+" if value >= 0 else "-") + text if signed else text
        return format_decimal(value, format=pattern.replace(".0", ".00"), locale=lang)
    number = format_decimal(value, format=pattern, locale=lang)
    if metric.unit == "percent":
        return t("{value} pp", value=number) if change else t("{value}%", value=number)
    return t("{value} points", value=number) if change else number


# -- cohort or calendar? ---------------------------------------------------------------


@dataclass(frozen=True)
class CohortView:
    """A change split by acquisition cohort into the newer cohorts' part and the older
    ones' (each a sum of contributions of :func:`drivers` by
    :data:`~metrics.query.segments.COHORT_SPLIT`), and the verdict.

    ``calendar`` is True when the older cohorts' own rates moved the way the total did and
    carry at least half of the rate effects: every cohort changed at once (something
    changed for all customers); False when the newer cohorts carry the change (customers
    acquired lately behave differently).
    """

    since: date
    recent: float
    older: float
    recent_share: float
    calendar: bool


def cohort_view(found: Drivers, period: Period) -> CohortView:
    """The cohort-vs-calendar reading of a change split by cohort (``found.segment`` is
    :data:`~metrics.query.segments.COHORT_SPLIT`; ``period`` the filters' period type):
    the newer cohorts are the :data:`RECENT_PERIODS` periods up to the earlier one."""
    if found.segment != COHORT_SPLIT:
        raise ValueError("a cohort view needs the split by cohort")
    p = period_index(period, found.period_before)
    since = period_start_of_index(period, p - RECENT_PERIODS + 1)
    records = found.records
    recent = records["value"].map(lambda v: v is not None and date.fromisoformat(v) >= since)
    rate_older = float(records.loc[~recent, "rate_effect"].sum())
    rate_total = float(records["rate_effect"].sum())
    calendar = (rate_total != 0 and rate_older * rate_total > 0
                and abs(rate_older) >= abs(rate_total) / 2)
    return CohortView(since, float(records.loc[recent, "contribution"].sum()),
                      float(records.loc[~recent, "contribution"].sum()),
                      float(records.loc[recent, "share_after"].sum()), calendar)


def cohort_summary(found: Drivers, period: Period, currency: str | None = None) -> str:
    """The cohort view in one sentence: how much of the change the newer and the older
    cohorts make, and whether it is a cohort or a calendar effect."""
    view = cohort_view(found, period)
    metric = REGISTRY[found.metric_id]
    verdict = (t("every cohort moved at once: something changed for all customers")
               if view.calendar else
               t("the newer cohorts carry it: customers acquired lately behave differently"))
    return t("Of the change of {change} in {metric}, {recent} comes from the cohorts "
             "acquired since {since} ({share} of the base) and {older} from the older "
             "ones; {verdict}.", metric=t(metric.label),
             change=amount_text(found.change, metric, currency, change=True, signed=True),
             recent=amount_text(view.recent, metric, currency, change=True, signed=True),
             older=amount_text(view.older, metric, currency, change=True, signed=True),
             since=view.since.isoformat(),
             share=format_percent(view.recent_share, format="#,##0%", locale=language.get()),
             verdict=verdict)
