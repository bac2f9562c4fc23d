"""A view computes at most a bounded number of periods: dates in 1900 and 2999 by week are
refused in one sentence naming a granularity that fits, before any query runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from metrics.errors import InputError
from metrics.kpis import kpi_table
from metrics.query.filters import Filters, period_range
from metrics.query.sql import period_index
from metrics.retention import cohort_table
from tests.builders import small_store

FIRST, LAST = date(1900, 1, 1), date(2999, 12, 31)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks(first: date, last: date) -> int:
    """Weeks (Monday to Sunday) touched by ``first`` to ``last``, counted by hand."""
    return (monday(last) - monday(first)).days // 7 + 1


def test_fifty_years_of_weeks_from_1990_fit() -> None:
    assert weeks(date(1990, 1, 1), date(2039, 12, 31)) == 2609  # 1 Jan 1990 is a Monday
    first_index, last_index = period_range(
        Filters(period="week", start=date(1990, 1, 1), end=date(2039, 12, 31)), FIRST, LAST)
    assert last_index - first_index + 1 == 2609
    assert first_index == period_index("week", date(1990, 1, 1))


@pytest.mark.parametrize("metric", [kpi_table, cohort_table])
def test_eleven_centuries_of_weeks_are_refused_naming_the_year(
        metric: Callable[..., object]) -> None:
    store, dataset = small_store()
    # 57,396 weeks; months (13,200) and quarters (4,400) are too many too, years (1,100) fit
    count = weeks(FIRST, LAST)
    assert (count, 1100 * 12, 1100 * 4) == (57396, 13200, 4400)
    with pytest.raises(InputError) as raised:
        metric(store, dataset, Filters(period="week", start=FIRST, end=LAST))
    assert raised.value.message == (
        "These dates span 57,396 weeks, more than the 2,610 periods one view computes: "
        "choose the granularity Year, or a shorter date range.")


def test_quarters_over_the_range_suggest_the_year_and_years_are_computed() -> None:
    store, dataset = small_store()
    with pytest.raises(InputError, match=r"span 4,400 quarters.*granularity Year"):
        kpi_table(store, dataset, Filters(period="quarter", start=FIRST, end=LAST))
    assert len(kpi_table(store, dataset, Filters(period="year", start=FIRST, end=LAST))) > 0


def test_too_many_years_ask_for_a_shorter_range() -> None:
    with pytest.raises(InputError) as raised:  # 2,611 years, the coarsest granularity
        period_range(Filters(period="year", start=date(1000, 1, 1), end=date(3610, 6, 1)),
                     FIRST, LAST)
    assert raised.value.message == (
        "These dates span 2,611 years, more than the 2,610 periods one view computes: "
        "choose a shorter date range.")
