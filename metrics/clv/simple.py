"""Simple customer lifetime value (seed): average order value x purchases per year x
expected lifespan in years, times the gross margin when given (DESIGN.md, "Metric
definitions"), overall or by segment, from one query (``sql/clv_simple.sql``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from metrics.errors import InputError
from metrics.i18n import t
from metrics.query.filters import Filters, orders_span
from metrics.query.orders import orders_query
from metrics.query.run import query_frame
from metrics.query.segments import customer_groups_query
from metrics.query.sql import bind, load_sql, with_ctes
from metrics.store import Dataset, Store

# 1 / annual churn grows without bound as churn nears 0 (and is undefined at 0): past this
# many years the lifespan is shown as this cap, and marked ``lifespan_capped``.
MAX_LIFESPAN_YEARS = 10.0

SIMPLE_CLV_COLUMNS = (
    "group_value", "window_start", "window_end", "years_covered", "customers", "orders",
    "revenue", "aov", "purchases_per_year", "start_customers", "retained_customers",
    "annual_churn_pct", "lifespan_years", "lifespan_capped", "gross_margin", "clv",
    "clv_churn",
)
# What ``clv_churn`` names: the churn of the simple CLV, over its window (clv_window).
STRICT_WINDOW_CHURN = "1 - strict retention from window_start to window_end, per year"


@dataclass(frozen=True)
class ClvWindow:
    """The days a simple CLV is measured over: at most the year that ends on ``end``.

    ``years`` is the window's length as a share of that year (1.0 for a whole year), so
    purchases and churn over a shorter window are turned into yearly figures.
    """

    start: date
    end: date
    years: float


def _one_year_before(day: date) -> date:
    """The same day a year earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def clv_window(dataset: Dataset, filters: Filters) -> ClvWindow:
    """The window of :func:`simple_clv`: the last 12 months of the filter's date range
    (its own days, not widened to whole periods), within the data.

    A range longer than a year is measured on its last year, since the factors are
    yearly; a shorter range (or data) gives a shorter window, whose figures are
    annualised.
    """
    first, last = orders_span(dataset)
    end = min(filters.end or last, last)
    start = max(filters.start or first, first)
    if start > end:
        raise InputError(
            t("The date range holds no orders: the orders of “{name}” run from {first} to "
              "{last}.", name=dataset.name, first=first.isoformat(), last=last.isoformat()))
    year_before = _one_year_before(end)
    start = max(start, year_before + timedelta(days=1))
    return ClvWindow(start, end, ((end - start).days + 1) / (end - year_before).days)


def lifespan_years(annual_churn: float | None,
                   max_lifespan_years: float = MAX_LIFESPAN_YEARS) -> tuple[float | None,
                                                                             bool | None]:
    """The expected lifespan in years, 1 / annual churn (a share), capped at
    ``max_lifespan_years``, and whether the cap applied (as ``sql/clv_simple.sql``
    computes it); ``(None, None)`` without a churn."""
    if annual_churn is None:
        return None, None
    if annual_churn * max_lifespan_years <= 1.0:
        return max_lifespan_years, True
    return 1.0 / annual_churn, False


def check_margin(gross_margin: float | None) -> None:
    """A gross margin is a share from 0 to 1 (or None); else a user error."""
    if gross_margin is not None and not 0 <= gross_margin <= 1:
        raise InputError(
            t("The gross margin is a share between 0 and 1, not {margin}: write 35% as 0.35.",
              margin=gross_margin))


def simple_clv_query(dataset: Dataset, filters: Filters, by: str | None = None,
                     gross_margin: float | None = None,
                     max_lifespan_years: float = MAX_LIFESPAN_YEARS,
                     statement: str | None = None) -> tuple[str, dict[str, Any]]:
    """The simple-CLV SQL for a filter state and the parameters it binds, as
    :func:`simple_clv` runs it; see there for what it computes.

    ``statement`` (a final SELECT over the CTE ``customer_figures`` of
    ``sql/clv_simple_customers.sql``, with the same ``{group_value}`` and
    ``{group_join}``) replaces the CLV's own: the customers behind it
    (:mod:`metrics.explain.clv`)."""
    check_margin(gross_margin)
    if not max_lifespan_years > 0:
        raise InputError(t("The lifespan cap must be a positive number of years."))
    window = clv_window(dataset, filters)
    group_params: dict[str, Any] = {}
    if by is None:
        groups = {"group_value": "CAST(NULL AS VARCHAR)", "group_join": ""}
    else:
        group_sql, group_params = customer_groups_query(dataset, by, filters)
        groups = {"group_value": "g.group_value",
                  "group_join": f"LEFT JOIN ({group_sql}"
                                f"\n) AS g ON g.customer_id = c.customer_id"}
    customers = load_sql("clv_simple_customers")
    template = (with_ctes(customers, load_sql("clv_simple")) if statement is None
                else with_ctes(customers, query=statement))
    sql, params = orders_query(template, dataset, filters, **groups)
    params |= group_params
    day_before = window.start - timedelta(days=1)
    w = timedelta(days=filters.inactivity_days)
    return sql, bind(sql, params | {
        "window_start": window.start,
        "window_end": window.end,
        "day_before_window": day_before,
        "base_at_start_from": day_before - w,
        "base_at_end_from": window.end - w,
        "years_covered": window.years,
        "max_lifespan_years": float(max_lifespan_years),
        "gross_margin": None if gross_margin is None else float(gross_margin),
    })


def simple_clv(store: Store, dataset: Dataset, filters: Filters, by: str | None = None,
               gross_margin: float | None = None,
               max_lifespan_years: float = MAX_LIFESPAN_YEARS) -> pd.DataFrame:
    """Simple customer lifetime value and each of its factors, overall or by segment.

    CLV = AOV x purchases per year x expected lifespan in years (x gross margin), the seed
    formula of DESIGN.md ("CLV, simple"); the seed article (``seeds/003``, "Valoarea de
    viață a clientului") gives its simplest form, AOV x average customer lifespan, and
    the lifespan is 1 / annual churn.

    Parameters
    ----------
    store, dataset, filters
        The data and the filter state. The window is the last 12 months of the date
        range (:func:`clv_window`); segment filters apply to the orders; the inactivity
        window W decides who is in the customer base.
    by
        A segment key (see :func:`metrics.query.segments.segment_dimensions`): one row per value of
        the customers' segment, taken on their first purchase (or their customer
        attribute), as in :func:`metrics.query.segments.customer_groups_sql`. ``None``: one row.
    gross_margin
        The share of revenue kept as profit, 0 to 1. ``None``: revenue CLV (margin 1).
    max_lifespan_years
        The cap on the lifespan when annual churn is (close to) zero.

    Returns
    -------
    pandas.DataFrame
        One row per group (``group_value`` None without ``by``), largest first, with
        :data:`SIMPLE_CLV_COLUMNS`; no row when no customer bought in the window:

        - ``window_start``, ``window_end``, ``years_covered``: the window, and its length
          as a share of a year;
        - ``customers``: customers with a purchase (an order with an amount >= 0) in the
          window; ``orders``: those purchases; ``revenue``: net of refunds;
        - ``aov`` = revenue / orders;
        - ``purchases_per_year`` = orders / customers / years covered;
        - ``start_customers`` (S): in the base on the day before the window;
          ``retained_customers``: of those, still in the base on its last day;
        - ``annual_churn_pct`` = 100 x (1 - (retained / S) ^ (1 / years covered)): over
          a whole year, the share of S not in the base a year later, i.e. 100 - strict
          retention (the seed churn counts customers who lapsed and came back as
          retained and can be negative, which has no lifespan); a shorter window is
          annualised at the same churn rate throughout the year. None when S is 0 (the
          window starts with the data: choose a later start date);
        - ``lifespan_years`` = 1 / annual churn, at most ``max_lifespan_years``;
          ``lifespan_capped`` says the cap applied;
        - ``gross_margin`` as given; ``clv`` = aov x purchases_per_year x
          lifespan_years x gross margin (1 when None). Ratios are None where their
          denominator is zero;
        - ``clv_churn``: which churn that is (:data:`STRICT_WINDOW_CHURN`), not the
          Overview's churn rate (S + N - E) / S per period.

    Raises
    ------
    InputError
        No orders, a date range outside the data, an unknown segment, a margin outside
        0..1.
    """
    sql, params = simple_clv_query(dataset, filters, by, gross_margin, max_lifespan_years)
    frame = query_frame(store, sql, params)
    for column in ("window_start", "window_end"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    frame = frame.astype({"lifespan_capped": object, "group_value": object})
    for column in ("group_value", "lifespan_capped"):
        frame[column] = frame[column].where(frame[column].notna(), None)
    frame["clv_churn"] = STRICT_WINDOW_CHURN
    return frame[list(SIMPLE_CLV_COLUMNS)]
