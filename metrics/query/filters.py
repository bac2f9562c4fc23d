"""The filter state every page and CLI command computes its numbers for, and the span of a
dataset's orders that an unset date range falls back to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from metrics.catalogue import Dataset
from metrics.errors import InputError
from metrics.i18n import N_, format_number, t
from metrics.query.sql import PERIODS, Period, period_index

DEFAULT_INACTIVITY_DAYS = 90
# The range of the inactivity window W: the sidebar's input, the link's value, the suggestion
# and the filter checks all use it, so a suggested W is always one the input can hold.
MIN_INACTIVITY_DAYS = 1
MAX_INACTIVITY_DAYS = 3650
# The most periods one view computes: fifty years of weeks (the 2,609 weeks from 1990, the
# earliest date an upload keeps, to 2039). Older datasets may still hold dates in 1900 and
# 2999, whose 57,396 weeks kept the server busy for minutes.
MAX_PERIODS = 2610
# Why a view computes nothing, by its granularity, and what to choose instead.
TOO_MANY_PERIODS = {
    "week": N_("These dates span {count} weeks, more than the {limit} periods one view computes: "
               "{remedy}"),
    "month": N_("These dates span {count} months, more than the {limit} periods one view "
                "computes: {remedy}"),
    "quarter": N_("These dates span {count} quarters, more than the {limit} periods one view "
                  "computes: {remedy}"),
    "year": N_("These dates span {count} years, more than the {limit} periods one view computes: "
               "{remedy}"),
}
COARSER_PERIOD = {
    "month": N_("choose the granularity Month, or a shorter date range."),
    "quarter": N_("choose the granularity Quarter, or a shorter date range."),
    "year": N_("choose the granularity Year, or a shorter date range."),
}
SHORTER_RANGE = N_("choose a shorter date range.")


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


def period_range(filters: Filters, first: date, last: date) -> tuple[int, int]:
    """The numbers of the first and last period a view shows (:func:`period_index`): the
    filters' dates, else the data's ``first`` to ``last`` day.

    Raises
    ------
    InputError
        The range holds more than :data:`MAX_PERIODS` periods; the sentence names the
        finest granularity that fits, else a shorter range.
    """
    start, end = filters.start or first, filters.end or last
    first_index, last_index = period_index(filters.period, start), period_index(filters.period, end)
    count = last_index - first_index + 1
    if count > MAX_PERIODS:
        coarser = PERIODS[PERIODS.index(filters.period) + 1:]
        fitting = [p for p in coarser
                   if period_index(p, end) - period_index(p, start) + 1 <= MAX_PERIODS]
        remedy = t(COARSER_PERIOD[fitting[0]]) if fitting else t(SHORTER_RANGE)
        raise InputError(t(TOO_MANY_PERIODS[filters.period], count=format_number(count),
                           limit=format_number(MAX_PERIODS), remedy=remedy))
    return first_index, last_index


def orders_span(dataset: Dataset) -> tuple[date, date]:
    """The first and last order date of a dataset; an error a user can act on without."""
    orders = dataset.tables.get("orders")
    if orders is None or orders.first_date is None or orders.last_date is None:
        raise InputError(
            t("The dataset “{name}” has no orders yet: upload an orders file on the Data page.",
              name=dataset.name)
        )
    return orders.first_date, orders.last_date
