"""The filter state every page and CLI command computes its numbers for, and the span of a
dataset's orders that an unset date range falls back to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from metrics.errors import InputError
from metrics.i18n import t
from metrics.query.sql import PERIODS, Period
from metrics.store import Dataset

DEFAULT_INACTIVITY_DAYS = 90
# The range of the inactivity window W: the sidebar's input, the link's value, the suggestion
# and the filter checks all use it, so a suggested W is always one the input can hold.
MIN_INACTIVITY_DAYS = 1
MAX_INACTIVITY_DAYS = 3650


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
