"""Retention uplift simulator: what a few points more retention do to customers, revenue,
profit and CLV over the next years, against today's baseline from the data (seed 004,
Bain & Company: "+5% retention -> +25% profit"; DESIGN.md, "Retention uplift simulator").

:func:`baseline` measures today's figures with one query; :func:`simulate` is plain
arithmetic on them, so the page can move its sliders without touching the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from metrics.clv.simple import MAX_LIFESPAN_YEARS, clv_window
from metrics.errors import InputError
from metrics.i18n import t
from metrics.query.filters import Filters
from metrics.query.orders import orders_query
from metrics.query.run import query_row
from metrics.query.sql import bind, load_sql, with_ctes
from metrics.store import Dataset, Store

# A retention rate of 100% would keep every customer forever: the scenario's rate is
# clamped here, and the lifetime of the CLV is capped as the simple CLV caps it.
MAX_RETENTION_RATE = 0.99
# The claim the seeds quote: a gain of this many points of retention ...
SEED_RETENTION_GAIN_PP = 5.0
# ... raises profit by this much, in percent (Bain & Company; seed 004 quotes 25%, seed 003
# 25% to 35%; Bain's own figure, by Frederick Reichheld, runs from 25% to 95%).
SEED_PROFIT_UPLIFT_PCT = (25.0, 95.0)

SIMULATION_COLUMNS = (
    "year", "scenario", "retention_rate", "customers", "revenue", "gross_profit",
    "programme_cost", "profit", "cumulative_profit", "clv", "lifetime_years",
    "profit_uplift_pct", "cumulative_profit_uplift_pct",
)


@dataclass(frozen=True)
class Baseline:
    """Today's figures, measured over the last 12 months of the date range.

    Attributes
    ----------
    window_start, window_end, years_covered
        The window (as for the simple CLV: the last 12 months of the range, within the
        data) and its length as a share of a year.
    customers
        E: the customer base on the window's last day (today).
    start_customers, retained_customers
        S, the base on the day before the window, and those of S still in it at its end.
    new_customers
        Customers whose first purchase falls in the window (shown; the model adds the
        inflow :attr:`joining_per_year`, which also counts returning customers).
    revenue
        The window's revenue, net of refunds.
    """

    window_start: date
    window_end: date
    years_covered: float
    customers: int
    start_customers: int
    retained_customers: int
    new_customers: int
    revenue: float

    @property
    def retention_rate(self) -> float:
        """Annual retention r = (retained / S) ^ (1 / years covered), 0 to 1: over a whole
        year, the share of the base a year ago that is still in it (strict retention)."""
        return (self.retained_customers / self.start_customers) ** (1 / self.years_covered)

    @property
    def joining_per_year(self) -> float:
        """The base's inflow a year: customers in the base at the window's end who were not
        in it at its start (E - retained: new customers still there, and customers who
        came back), annualised. Not every new customer: many of those a year brings have
        left again by its end, and the model counts the base at year ends."""
        return (self.customers - self.retained_customers) / self.years_covered

    @property
    def annual_revenue(self) -> float:
        """The window's revenue, annualised."""
        return self.revenue / self.years_covered

    @property
    def revenue_per_customer(self) -> float:
        """Revenue per customer per year: annual revenue / the average base over the
        window, (S + E) / 2."""
        return self.annual_revenue / ((self.start_customers + self.customers) / 2)


def baseline(store: Store, dataset: Dataset, filters: Filters) -> Baseline:
    """Today's baseline for :func:`simulate`, from the orders in the filters.

    Measured over the last 12 months of the date range (:func:`metrics.clv.simple.
    clv_window`, the simple CLV's window), with the inactivity window W deciding who is in
    the base, as everywhere: S and E are the base on the day before the window and on its
    last day, retained = customers in both, new = first purchase in the window, revenue
    net of refunds (``sql/simulator_baseline.sql``).

    Raises
    ------
    InputError
        No one was in the base at the window's start (the range starts with the data, so
        retention cannot be measured); no orders; a range outside the data.
    """
    window = clv_window(dataset, filters)
    return baseline_of(window.start, window.end, window.years,
                       query_row(store, *baseline_query(dataset, filters)))


def baseline_of(window_start: date, window_end: date, years_covered: float,
                row: Sequence[Any]) -> Baseline:
    """The :class:`Baseline` of a window from its query's row (S, retained, E, new
    customers, revenue); an error a user can act on when S is 0."""
    start_customers, retained, end_customers, new, revenue = row
    if not start_customers:
        raise InputError(t(
            "No customer was in the base on {day}, the day before the last 12 months of the "
            "date range, so retention cannot be measured: choose a later end date or "
            "another segment.", day=(window_start - timedelta(days=1)).isoformat()))
    return Baseline(window_start, window_end, years_covered, int(end_customers),
                    int(start_customers), int(retained), int(new), float(revenue))


def baseline_query(dataset: Dataset, filters: Filters, final: str = "simulator_baseline"
                   ) -> tuple[str, dict[str, Any]]:
    """The query of :func:`baseline` with its parameters: the customers of the window
    (``sql/simulator_baseline_customers.sql``, CTEs) and ``final``, the statement over
    them (``sql/simulator_baseline.sql``: S, retained, E, new customers and revenue)."""
    window = clv_window(dataset, filters)
    template = with_ctes(load_sql("simulator_baseline_customers"), query=load_sql(final))
    sql, params = orders_query(template, dataset, filters)
    day_before = window.start - timedelta(days=1)
    w = timedelta(days=filters.inactivity_days)
    return sql, params | bind(sql, {
        "window_start": window.start, "window_end": window.end,
        "day_before_window": day_before, "base_at_start_from": day_before - w,
        "base_at_end_from": window.end - w})


BASELINE_COLUMNS = (
    "window_start", "window_end", "years_covered", "customers", "start_customers",
    "retained_customers", "new_customers", "revenue", "retention_rate", "joining_per_year",
    "annual_revenue", "revenue_per_customer",
)


def baseline_table(store: Store, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """:func:`baseline` as one row of :data:`BASELINE_COLUMNS` (its measured figures and
    those derived from them), as the simulator's caption shows them."""
    today = baseline(store, dataset, filters)
    return pd.DataFrame([{column: getattr(today, column) for column in BASELINE_COLUMNS}])


def simulation_table(store: Store, dataset: Dataset, filters: Filters, *,
                     retention_gain_pp: float, gross_margin: float,
                     programme_cost_per_year: float = 0.0, years: int = 3) -> pd.DataFrame:
    """:func:`simulate` from today's :func:`baseline`: the simulator's table, with the
    retention rate also in percent (``retention_pct``), as the page shows it."""
    rows = simulate(baseline(store, dataset, filters), retention_gain_pp, gross_margin,
                    programme_cost_per_year, years)
    return rows.assign(retention_pct=100 * rows["retention_rate"])


def _lifetime(retention_rate: float) -> float:
    """Expected years a customer stays, 1 / (1 - r), capped at the simple CLV's cap."""
    churn = 1 - retention_rate
    return MAX_LIFESPAN_YEARS if churn * MAX_LIFESPAN_YEARS <= 1 else 1 / churn


def simulate(today: Baseline, retention_gain_pp: float, gross_margin: float,
             programme_cost_per_year: float, years: int = 3) -> pd.DataFrame:
    r"""Project the base, revenue, profit and CLV over ``years`` years, today's retention
    against a retention ``retention_gain_pp`` points higher (the scenario).

    The model, with r the annual retention (the scenario's r + gain, both at most
    :data:`MAX_RETENTION_RATE`), n the customers joining the base a year
    (:attr:`Baseline.joining_per_year`) and v the revenue per customer per year of the
    baseline (both kept as they are today), m the gross margin and K the programme's cost a
    year (scenario only):

    .. math::
        c_0 &= \text{today's base}, \qquad c_t = c_{t-1} r + n \\
        \text{revenue}_t &= \tfrac{1}{2}(c_{t-1} + c_t)\, v \\
        \text{profit}_t &= m\,\text{revenue}_t - K \\
        \text{CLV} &= m\, v \min\!\left(\frac{1}{1 - r}, 10\right)

    Year 0 is today: the base now and the last 12 months' revenue and gross profit.
    ``profit_uplift_pct`` = (scenario profit - baseline profit) / baseline profit x 100 in
    each year; ``cumulative_profit_uplift_pct`` the same for the profit summed over years
    1 to t. Nothing else changes in the model: customers who stay longer spend as much a
    year as today's (the studies behind the seed's claim also count that loyal customers
    buy more and cost less to serve, so they report more).

    Parameters
    ----------
    today
        :func:`baseline`'s figures.
    retention_gain_pp
        Points of annual retention gained, 0 to 100.
    gross_margin
        The share of revenue kept as gross profit, 0 to 1.
    programme_cost_per_year
        What the loyalty programme costs a year (in the data's currency), 0 or more.
    years
        How many years to project, 1 to 10.

    Returns
    -------
    pandas.DataFrame
        :data:`SIMULATION_COLUMNS`, one row per year (0 to ``years``) and scenario
        (``"baseline"``, ``"scenario"``); uplifts only on scenario rows of years >= 1
        (None where the baseline profit is 0).
    """
    if not 0 <= retention_gain_pp <= 100:
        raise InputError(t("The retention gain is between 0 and 100 points, not {gain}.",
                           gain=retention_gain_pp))
    if not 0 <= gross_margin <= 1:
        raise InputError(t("The gross margin is a share between 0 and 1, not {margin}: write "
                           "35% as 0.35.", margin=gross_margin))
    if programme_cost_per_year < 0:
        raise InputError(t("The programme cost cannot be negative."))
    if not 1 <= years <= 10:
        raise InputError(t("Simulate 1 to 10 years, not {years}.", years=years))
    v, n = today.revenue_per_customer, today.joining_per_year
    rows = []
    for scenario, gain, cost in (("baseline", 0.0, 0.0),
                                 ("scenario", retention_gain_pp, programme_cost_per_year)):
        r = min(today.retention_rate + gain / 100, MAX_RETENTION_RATE)
        lifetime = _lifetime(r)
        clv = gross_margin * v * lifetime
        customers, cumulative = float(today.customers), 0.0
        rows.append({"year": 0, "scenario": scenario, "retention_rate": r,
                     "customers": customers, "revenue": today.annual_revenue,
                     "gross_profit": gross_margin * today.annual_revenue,
                     "programme_cost": 0.0, "profit": gross_margin * today.annual_revenue,
                     "cumulative_profit": 0.0, "clv": clv, "lifetime_years": lifetime})
        for year in range(1, years + 1):
            previous, customers = customers, customers * r + n
            revenue = (previous + customers) / 2 * v
            profit = gross_margin * revenue - cost
            cumulative += profit
            rows.append({"year": year, "scenario": scenario, "retention_rate": r,
                         "customers": customers, "revenue": revenue,
                         "gross_profit": gross_margin * revenue, "programme_cost": cost,
                         "profit": profit, "cumulative_profit": cumulative, "clv": clv,
                         "lifetime_years": lifetime})
    frame = pd.DataFrame(rows)
    base = frame[frame["scenario"] == "baseline"].set_index("year")
    uplift: list[float | None] = []
    cumulative_uplift: list[float | None] = []
    for row in frame.itertuples():
        if row.scenario == "baseline" or row.year == 0:
            uplift.append(None)
            cumulative_uplift.append(None)
            continue
        before = base.loc[row.year]
        uplift.append(_change_pct(row.profit, before["profit"]))
        cumulative_uplift.append(_change_pct(row.cumulative_profit,
                                             before["cumulative_profit"]))
    frame["profit_uplift_pct"] = pd.Series(uplift, dtype="float64")  # None -> NaN
    frame["cumulative_profit_uplift_pct"] = pd.Series(cumulative_uplift, dtype="float64")
    return frame[list(SIMULATION_COLUMNS)]


def _change_pct(value: float, before: float) -> float | None:
    return None if before == 0 else 100.0 * (value - before) / abs(before)
