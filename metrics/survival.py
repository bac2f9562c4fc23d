"""Customer survival: Kaplan-Meier curves of customer lifetime, with median and 95% band.

The Retention page's survival view, the CLI and the tests call :func:`customer_lifetimes`
(one row per customer, from SQL), or :func:`lifetime_counts` (the same lifetimes counted),
and then :func:`kaplan_meier` (the curves and medians, from SciPy). The estimator is not
written here: :func:`scipy.stats.ecdf` computes it on right-censored data.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from metrics.errors import InputError
from metrics.i18n import t
from metrics.query.filters import Filters
from metrics.query.run import query_frame
from metrics.query.segments import (
    customer_groups_query,
    segment_filter_sql,
    subscription_filter_sql,
)
from metrics.query.sql import (
    add_days_sql,
    bind,
    days_between_sql,
    load_sql,
    piece,
    sql_literal,
)
from metrics.store import Dataset, Store

LIFETIME_COLUMNS = ("customer_id", "group", "duration_days", "event")
COUNT_COLUMNS = ("group", "duration_days", "event", "customers")
CURVE_COLUMNS = ("group", "days", "survival", "lower", "upper", "at_risk", "events")
SUMMARY_COLUMNS = (
    "group", "customers", "events", "censored", "median_days", "median_lower", "median_upper",
)

# Whom the curves follow, from when (orders-only data): every customer from their first
# purchase; the same split into one-time and repeat customers; or the repeat customers
# from their second purchase day (a one-time customer's lifetime is W by definition).
SurvivalView = Literal["all", "one_time_vs_repeat", "repeat_from_second"]
SURVIVAL_VIEWS: tuple[SurvivalView, ...] = ("all", "one_time_vs_repeat", "repeat_from_second")
# The groups of the "one_time_vs_repeat" view: purchases on one day, or on two or more.
ONE_TIME, REPEAT = "one-time", "repeat"

CONFIDENCE_LEVEL = 0.95
# The "exponential Greenwood" band: Greenwood's variance on the log(-log S) scale, so the
# band stays inside [0, 1] (Kalbfleisch & Prentice 1980; SciPy's method="log-log").
BAND_METHOD = "log-log"


def _check_view(dataset: Dataset, by: str | None, view: str) -> None:
    """A survival view the data and the split allow, or a sentence saying why not."""
    if view not in SURVIVAL_VIEWS:
        raise InputError(t("“{view}” is not a survival view: use one of {views}.",
                           view=view, views=", ".join(SURVIVAL_VIEWS)))
    if view == "one_time_vs_repeat" and by is not None:
        raise InputError(t("The one-time vs repeat split is a split of its own: clear the "
                           "segment split to use it."))
    if view != "all" and "subscriptions" in dataset.tables:
        raise InputError(t("One-time and repeat customers are told apart by their purchases: "
                           "with subscriptions the lifetimes come from start and end dates, "
                           "so only the curve of all customers is available."))


def lifetime_query(
    dataset: Dataset, filters: Filters, by: str | None = None, view: SurvivalView = "all"
) -> tuple[str, dict[str, Any]]:
    """The customer-lifetime SQL for a filter state and the parameters it binds, as
    :func:`customer_lifetimes` runs it (there ordered by customer id; here in no
    particular order, for queries nesting it); see there for what it computes."""
    _check_view(dataset, by, view)
    segment_sql, params = segment_filter_sql(dataset, filters)
    params |= {"start": filters.start, "end": filters.end}
    if by is None:
        customer_groups = load_sql("customer_groups_none")
    else:
        customer_groups, group_params = customer_groups_query(dataset, by, filters)
        params |= group_params
    duration_days = days_between_sql("l.first_day", "l.observed_until")

    subscriptions = dataset.tables.get("subscriptions")
    if subscriptions is not None:
        customer_filter, subscription_params = subscription_filter_sql(dataset, filters)
        params |= subscription_params
        end_date = ("end_date" if "end_date" in subscriptions.mapping
                    else "CAST(NULL AS DATE)")
        sql = load_sql("customer_lifetimes_subscriptions").format(
            subscriptions_table=dataset.table("subscriptions"),
            end_date=end_date,
            customer_filter=customer_filter,
            customer_groups=piece(customer_groups),
            duration_days=duration_days,
        )
        # the orders' segment filter is not part of this query: only what it binds
        return sql, bind(sql, params)

    orders = dataset.tables.get("orders")
    if orders is None or orders.last_date is None:
        raise InputError(
            t("The dataset “{name}” has no orders or subscriptions yet: upload an orders or "
              "a subscriptions file on the Data page.", name=dataset.name)
        )
    group_value = "g.group_value"
    if view == "one_time_vs_repeat":
        group_value = (f"CASE WHEN l.repeat_customer THEN {sql_literal(REPEAT)} "
                       f"ELSE {sql_literal(ONE_TIME)} END")
    sql = load_sql("customer_lifetimes_orders").format(
        orders_table=dataset.table("orders"),
        segment_filter=segment_sql,
        last_day_in_base=add_days_sql("MAX(order_date)", "$inactivity_days"),
        customer_groups=piece(customer_groups),
        group_value=group_value,
        duration_days=duration_days,
    )
    params |= {"inactivity_days": filters.inactivity_days, "data_last_day": orders.last_date,
               "from_second_purchase": view == "repeat_from_second"}
    return sql, params


def customer_lifetimes(
    store: Store, dataset: Dataset, filters: Filters, by: str | None = None,
    view: SurvivalView = "all"
) -> pd.DataFrame:
    """Each followed customer's lifetime in the customer base, observed or censored.

    Subscription data (the dataset has a subscriptions table): the lifetime runs from the
    customer's first start date to their last end date once every subscription of theirs
    has ended (an event); with one still open it is censored at the data's last day, the
    latest start or end date in the table.

    Orders-only data: purchases are orders with an amount >= 0 (refunds are not purchases),
    kept by the same segment filters as the KPI query. A customer is in the base from their
    first purchase to their last purchase + W days (W = ``filters.inactivity_days``), so
    that is their lifetime; a customer who lapses and comes back stays one lifetime, to
    the last purchase + W. A customer still in the base on the data's last day (last
    purchase + W on or after it) is censored there.

    Parameters
    ----------
    store
        The database holding the dataset.
    dataset
        The dataset: its subscriptions when it has some, else its orders.
    filters
        ``start`` and ``end`` (inclusive, ``None`` = open) choose the customers followed:
        those whose first purchase (or first subscription start) is in the range. The
        segment filters keep the orders with those values, as in the KPI query; with
        subscription data they keep the customers with such an order or attribute.
        ``inactivity_days`` is W (orders-only data). ``period`` is not used.
    by
        A segment key from :func:`metrics.query.segments.segment_dimensions` to split the customers
        by, or ``None``. For an orders column the customer's group is the value on their
        first purchase (their acquisition); for ``customers.<column>``, their attribute.
    view
        Orders-only data. ``"all"``: every customer, from their first purchase.
        ``"one_time_vs_repeat"``: the same lifetimes, grouped :data:`ONE_TIME` (purchases
        on one day only) and :data:`REPEAT` (on two days or more); not with ``by``.
        ``"repeat_from_second"``: only repeat customers, from their second purchase day
        to their last purchase + W. A one-time customer leaves exactly W days after
        joining, so when half the customers buy once the median of ``"all"`` is W
        whatever the data: these views show what it hides.

    Returns
    -------
    pandas.DataFrame
        One row per customer, ordered by id, with the columns of :data:`LIFETIME_COLUMNS`:
        ``group`` (the segment value, ``None`` without ``by`` or value), ``duration_days``
        and ``event`` (True = the customer left, False = censored).

    Raises
    ------
    InputError
        ``by`` or a segment filter is not a segment of the dataset, the dataset has
        neither orders nor subscriptions, or ``view`` is unknown, combined with ``by``
        (one-time vs repeat) or asked of subscription data.
    """
    sql, params = lifetime_query(dataset, filters, by, view)
    frame = query_frame(store, load_sql("customer_lifetimes_by_id").format(lifetimes=sql),
                        params)
    return pd.DataFrame({
        "customer_id": frame["customer_id"].astype(str).astype(object),
        "group": _group_values(frame["group"]),
        "duration_days": frame["duration_days"].astype("int64"),
        "event": frame["event"].astype(bool),
    }, columns=list(LIFETIME_COLUMNS))


def lifetime_counts(
    store: Store, dataset: Dataset, filters: Filters, by: str | None = None,
    view: SurvivalView = "all"
) -> pd.DataFrame:
    """The lifetimes of :func:`customer_lifetimes` (same arguments, same errors) counted:
    how many customers of each group had each lifetime and outcome. The Kaplan-Meier
    estimate needs no more, and on a big shop this is a few thousand rows where the
    lifetimes are one a customer.

    Returns
    -------
    pandas.DataFrame
        ``group`` (``None`` without ``by`` or value), ``duration_days``, ``event``
        (True = left) and ``customers``, ordered by group (``None`` last), duration and
        event.
    """
    sql, params = lifetime_query(dataset, filters, by, view)
    frame = query_frame(store, load_sql("lifetime_counts").format(lifetimes=sql), params)
    return pd.DataFrame({
        "group": _group_values(frame["group"]),
        "duration_days": frame["duration_days"].astype("int64"),
        "event": frame["event"].astype(bool),
        "customers": frame["customers"].astype("int64"),
    }, columns=list(COUNT_COLUMNS))


def _group_values(values: pd.Series) -> pd.Series:
    """A lifetime query's groups as objects, ``None`` for a customer without one."""
    groups = values.astype(object)
    return groups.where(groups.notna(), None)


def _first_day_at_or_below_half(days: np.ndarray, curve: np.ndarray) -> int | None:
    """The first day the curve is at or below 0.5 (NaN never is), or ``None``."""
    below = np.flatnonzero(curve <= 0.5)
    return int(days[below[0]]) if below.size else None


def _group_survival(group: object, durations: np.ndarray, left: np.ndarray
                    ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Kaplan-Meier curve (with band) and summary row of one group's lifetimes."""
    data = stats.CensoredData(uncensored=durations[left], right=durations[~left])
    survival_function = stats.ecdf(data).sf
    with warnings.catch_warnings():
        # SciPy warns where the band is undefined (S = 1 or S = 0); handled below.
        warnings.filterwarnings("ignore", message="The confidence interval is undefined",
                                category=RuntimeWarning)
        band = survival_function.confidence_interval(CONFIDENCE_LEVEL, method=BAND_METHOD)
    days = survival_function.quantiles.astype("int64")
    survival = survival_function.probabilities
    lower, upper = band.low.probabilities.copy(), band.high.probabilities.copy()

    # Customers at risk at day t: lifetimes of t days or more (censored at t included).
    ordered = np.sort(durations)
    at_risk = durations.size - np.searchsorted(ordered, days, side="left")
    event_days, event_counts = np.unique(durations[left], return_counts=True)
    events = np.zeros(days.size, dtype="int64")
    events[np.searchsorted(days, event_days)] = event_counts
    # Before the first event S = 1 and Greenwood's variance is 0: the band is the point
    # (the log-log formula divides by ln 1 = 0 there). Once S = 0 the variance divides by
    # n - d = 0: the lower bound is 0 (it cannot exceed S), the upper one stays NaN.
    no_event_yet = np.cumsum(events) == 0
    lower[no_event_yet] = 1.0
    upper[no_event_yet] = 1.0
    lower[survival == 0.0] = 0.0

    curve = pd.DataFrame({
        "days": days, "survival": survival, "lower": lower, "upper": upper,
        "at_risk": at_risk, "events": events,
    })
    if days[0] != 0 or events[0] > 0:  # the curve starts at (0, 1.0)
        start = pd.DataFrame({"days": [0], "survival": [1.0], "lower": [1.0], "upper": [1.0],
                              "at_risk": [durations.size], "events": [0]})
        curve = pd.concat([start, curve], ignore_index=True)
    curve.insert(0, "group", pd.Series([group] * len(curve), dtype=object))

    summary = {
        "group": group,
        "customers": int(durations.size),
        "events": int(left.sum()),
        "censored": int((~left).sum()),
        # The median's band is where the band's curves cross 0.5 (Brookmeyer & Crowley 1982).
        "median_days": _first_day_at_or_below_half(days, survival),
        "median_lower": _first_day_at_or_below_half(days, lower),
        "median_upper": _first_day_at_or_below_half(days, upper),
    }
    return curve, summary


def kaplan_meier(lifetimes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kaplan-Meier survival curves per group, with a 95% band and the median lifetime.

    The product-limit estimator (Kaplan & Meier 1958), S(t) = Π over event days t_i <= t
    of (1 - d_i / n_i), with d_i customers leaving on day t_i out of n_i still at risk
    (lifetimes of t_i days or more, censored ones included), is computed by
    :func:`scipy.stats.ecdf` on :class:`scipy.stats.CensoredData`. The band is SciPy's
    ``"log-log"`` ("exponential Greenwood") interval: Greenwood's (1926) variance
    Var S(t) = S(t)² Σ d_i / (n_i (n_i - d_i)) taken on the log(-log S) scale, so that
    with v = Σ d_i / (n_i (n_i - d_i)) the bounds are S(t) ** exp(±1.96 √v / ln S(t)),
    inside [0, 1].

    Parameters
    ----------
    lifetimes
        One row per customer, as :func:`customer_lifetimes` returns: ``duration_days``,
        ``event`` (True = left) and ``group`` (``None`` = no split); or, as
        :func:`lifetime_counts` returns, one row per group, lifetime and outcome with its
        number of ``customers``.

    Returns
    -------
    curve : pandas.DataFrame
        Per group (sorted, ``None`` last), one row per day with a lifetime ending (left or
        censored), after a first row (0, 1.0): :data:`CURVE_COLUMNS`. ``survival`` is
        S(t) just after day t; ``lower`` and ``upper`` are the 95% band (1.0 before the
        first departure; where S(t) = 0 Greenwood's variance is undefined: ``lower`` is
        0 and ``upper`` NaN). ``at_risk`` is n_i, ``events`` d_i.
    summary : pandas.DataFrame
        One row per group: :data:`SUMMARY_COLUMNS`. ``median_days`` is the first day
        S(t) <= 0.5 and ``None`` when the curve never gets there (more than half are
        still in the base); ``median_lower`` and ``median_upper`` are the first days the
        band's lower and upper curves do (Brookmeyer & Crowley 1982), ``None`` likewise.
    """
    groups = (lifetimes["group"] if "group" in lifetimes
              else pd.Series([None] * len(lifetimes), index=lifetimes.index, dtype=object))
    missing = groups.isna().to_numpy()
    named = sorted({str(value) for value in groups[~missing]})
    results = []
    for group in [*named, *([None] if missing.any() else [])]:
        members = missing if group is None else (~missing & (groups.astype(str) == group))
        selected = lifetimes[members]
        # counted lifetimes: each one as many times as it has customers
        repeats = (selected["customers"].to_numpy(dtype="int64") if "customers" in selected
                   else 1)
        results.append(_group_survival(
            group,
            np.repeat(selected["duration_days"].to_numpy(dtype="float64"), repeats),
            np.repeat(selected["event"].to_numpy(dtype=bool), repeats),
        ))
    if not results:
        return (pd.DataFrame(columns=list(CURVE_COLUMNS)),
                pd.DataFrame(columns=list(SUMMARY_COLUMNS)))
    curve = pd.concat([group_curve for group_curve, _ in results], ignore_index=True)
    rows = [row for _, row in results]
    summary = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    # object columns, so a median never reached stays None (not NaN) and days stay ints
    for column in ("group", "median_days", "median_lower", "median_upper"):
        summary[column] = pd.Series([row[column] for row in rows], dtype=object)
    return curve[list(CURVE_COLUMNS)], summary


def survival_curves(store: Store, dataset: Dataset, filters: Filters, by: str | None = None,
                    view: SurvivalView = "all") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kaplan-Meier curves and medians of the customers a filter state follows: the
    :func:`kaplan_meier` of their lifetimes (:func:`customer_lifetimes`, ``view`` as
    there), read counted (:func:`lifetime_counts`)."""
    return kaplan_meier(lifetime_counts(store, dataset, filters, by, view))


def survival_curve(store: Store, dataset: Dataset, filters: Filters, by: str | None = None,
                   view: SurvivalView = "all") -> pd.DataFrame:
    """The curves of :func:`survival_curves` alone, with ``survival_pct`` = 100 x
    ``survival``, the percent the Retention page's chart draws: the table holding the
    registry's ``survival`` figure (:mod:`metrics.registry`)."""
    curve, _ = survival_curves(store, dataset, filters, by, view)
    return curve.assign(survival_pct=100.0 * curve["survival"])
