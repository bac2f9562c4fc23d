"""Loyalty types, the upsell ratio and the loyalty programme (seeds 001, 003 and 004;
DESIGN.md, "Metric definitions"), for one filter state.

Every function takes the store, the dataset and the :class:`~metrics.query.filters.Filters` of the
other metrics; the Segments page, the tests (and later the CLI) call them. The date range
is widened to whole periods, as everywhere, and kept inside the data
(:func:`selection_window`); "retention" is the share of a group's customers still in the
customer base on the range's last day (their latest purchase at most W days before it).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from metrics.errors import InputError
from metrics.i18n import N_, t
from metrics.query.cohorts import cohort_group_sql
from metrics.query.filters import Filters, orders_span
from metrics.query.orders import orders_query
from metrics.query.run import query_frame
from metrics.query.segments import segment_column, segment_filter_sql
from metrics.query.sql import (
    bind,
    load_sql,
    period_end_sql,
    period_index,
    period_index_sql,
    period_start_of_index,
    period_start_sql,
    with_ctes,
)
from metrics.significance import Significance, two_means, two_proportions
from metrics.store import Dataset, Store

# -- the date range --------------------------------------------------------------------


def selection_window(dataset: Dataset, filters: Filters) -> tuple[date, date]:
    """The first and last day the loyalty figures cover: the filter's date range widened
    to whole periods (as the KPIs are), kept inside the data. The first day can fall
    after the last when the range holds no data."""
    first, last = orders_span(dataset)
    p = filters.period
    start = period_start_of_index(p, period_index(p, filters.start or first))
    end = period_start_of_index(p, period_index(p, filters.end or last) + 1) - timedelta(days=1)
    return max(start, first), min(end, last)


def _window_params(dataset: Dataset, filters: Filters) -> dict[str, Any]:
    start, end = selection_window(dataset, filters)
    return {"selection_start": start, "selection_end": end,
            "base_from": end - timedelta(days=filters.inactivity_days)}


def _orders_columns(dataset: Dataset) -> tuple[str, ...]:
    orders = dataset.tables.get("orders")
    return orders.columns if orders is not None else ()


def _discounted_sql(dataset: Dataset) -> str:
    """A purchase carries a discount when its discount amount is not 0 (some exports write
    discounts as negative numbers)."""
    if "discount_amount" in _orders_columns(dataset):
        return "COALESCE(discount_amount, 0) <> 0"
    return "FALSE"


def _redeemed_sql(dataset: Dataset) -> str:
    """Points were redeemed on an order when its points redeemed are not 0."""
    if "points_redeemed" in _orders_columns(dataset):
        return "COALESCE(points_redeemed, 0) <> 0"
    return "FALSE"


def _query(template: str, dataset: Dataset, filters: Filters, params: dict[str, Any],
           **pieces: str) -> tuple[str, dict[str, Any]]:
    """An orders query from a template (:func:`load_sql`, or pieces composed with
    :func:`with_ctes`); only the parameters it uses are bound."""
    sql, bound = orders_query(template, dataset, filters, **pieces)
    return sql, bound | bind(sql, params)


def _rate(numerator: float, denominator: float, scale: float = 1.0) -> float | None:
    return scale * numerator / denominator if denominator else None


def _to_object(frame: pd.DataFrame, column: str) -> None:
    """Missing values of a text column as ``None`` (pandas 3 reads them as NaN)."""
    frame[column] = frame[column].astype(object).where(frame[column].notna(), None)


# -- loyalty types -----------------------------------------------------------------------

# A type needs at least this many purchases in the range: one purchase shows no pattern.
MIN_PURCHASES = 2
# Points or a discount on at least this share of purchases makes a reward- or
# discount-based customer: the incentive is there on a typical purchase.
INCENTIVE_SHARE = 0.5
# At least this share of purchases at full price makes a value-based customer: three in
# four, so an occasional coupon does not change what they are.
FULL_PRICE_SHARE = 0.75


@dataclass(frozen=True)
class LoyaltyTypeRule:
    """One loyalty type: its id, name, the rule that assigns it (English templates with
    ``{placeholders}`` for the thresholds; :meth:`rule_text` fills and translates them)
    and what the seed says such customers are."""

    loyalty_type: str
    label: str
    rule: str
    meaning: str

    def rule_text(self) -> str:
        return t(self.rule, min_purchases=MIN_PURCHASES,
                 incentive=round(100 * INCENTIVE_SHARE),
                 full_price=round(100 * FULL_PRICE_SHARE),
                 rest=round(100 * (1 - FULL_PRICE_SHARE)))


# In the order they are applied: the first that matches is the customer's type. Seed 003
# ("Tipuri de clienți fideli") names the four kinds of loyalty; orders show what a
# customer paid, not competitors' prices, so price-based loyalty is read from a steady
# share of reduced-price purchases below the reward and discount thresholds.
LOYALTY_TYPE_RULES: tuple[LoyaltyTypeRule, ...] = (
    LoyaltyTypeRule(
        "too_few_purchases", N_("Too few purchases"),
        N_("Fewer than {min_purchases} purchases in the date range: one purchase shows no "
           "pattern."),
        N_("Not typed yet: a second purchase will tell.")),
    LoyaltyTypeRule(
        "reward", N_("Reward-based"),
        N_("Points redeemed on at least {incentive}% of their purchases (and on at least as "
           "many as carry a discount)."),
        N_("They collect points and redeem them on the next purchase: the programme brings "
           "them back.")),
    LoyaltyTypeRule(
        "discount", N_("Discount-based"),
        N_("A discount on at least {incentive}% of their purchases."),
        N_("They come when there is a sale and are loyal to no brand: reach them with sale "
           "alerts.")),
    LoyaltyTypeRule(
        "value", N_("Value-based"),
        N_("At least {full_price}% of their purchases at full price (no discount, no points)."),
        N_("They see real value in the products and service: the loyalty every brand wants.")),
    LoyaltyTypeRule(
        "price", N_("Price-based"),
        N_("Everyone else: a discount or points on more than {rest}% of their purchases, but "
           "neither on {incentive}%."),
        N_("They watch the price and would switch to a better offer: keep prices competitive.")),
)
LOYALTY_TYPES = tuple(rule.loyalty_type for rule in LOYALTY_TYPE_RULES)

LOYALTY_TYPE_COLUMNS = (
    "customer_id", "orders", "revenue", "discounted_orders", "redeemed_orders",
    "full_price_orders", "discount_share_pct", "points_share_pct", "full_price_share_pct",
    "last_purchase", "in_base_at_end", "loyalty_type",
)
LOYALTY_SUMMARY_COLUMNS = (
    "loyalty_type", "customers", "share_pct", "orders", "revenue", "aov",
    "purchase_frequency", "retained_customers", "retention_pct", "revenue_per_customer",
)


def incentive_columns(dataset: Dataset) -> tuple[str, ...]:
    """Which of ``discount_amount`` and ``points_redeemed`` the orders have: loyalty types
    need at least one."""
    return tuple(c for c in ("discount_amount", "points_redeemed")
                 if c in _orders_columns(dataset))


def loyalty_type_rule(loyalty_type: str) -> LoyaltyTypeRule:
    """The rule of a loyalty type id."""
    return next(rule for rule in LOYALTY_TYPE_RULES if rule.loyalty_type == loyalty_type)


def loyalty_types(store: Store, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """The loyalty type of each customer with a purchase in the date range.

    Seed 003 ("Tipuri de clienți fideli") tells four kinds of loyal customers apart:
    value-, price-, reward- and discount-based. Each customer gets exactly one type from
    the shares of their purchases in the range with a discount, with points redeemed and
    at full price, by the first rule of :data:`LOYALTY_TYPE_RULES` that matches.

    Parameters
    ----------
    store, dataset, filters
        The data and the filter state (date range widened to whole periods, segments,
        the inactivity window W).

    Returns
    -------
    pandas.DataFrame
        One row per customer with :data:`LOYALTY_TYPE_COLUMNS`: purchases (``orders``,
        amounts >= 0) in the range and their net ``revenue``; how many carry a discount,
        redeem points, or neither, and those shares in percent; the latest purchase;
        ``in_base_at_end`` (that purchase is at most W days before the range's last day);
        the ``loyalty_type`` id.

    Raises
    ------
    InputError
        The orders have neither a discount nor a points-redeemed column; no orders.
    """
    frame = query_frame(store, *loyalty_types_query(dataset, filters))
    frame["last_purchase"] = pd.to_datetime(frame["last_purchase"]).dt.date
    frame["in_base_at_end"] = frame["in_base_at_end"].astype(bool)
    _to_object(frame, "customer_id")
    return frame[list(LOYALTY_TYPE_COLUMNS)]


def loyalty_types_query(dataset: Dataset, filters: Filters) -> tuple[str, dict[str, Any]]:
    """The query of :func:`loyalty_types` (``sql/loyalty_types.sql``) with its parameters:
    one row per customer with a purchase in the range and their loyalty type.

    Raises
    ------
    InputError
        The orders have neither a discount nor a points-redeemed column; no orders.
    """
    if not incentive_columns(dataset):
        raise InputError(t(
            "Loyalty types need to know which orders had a discount or points redeemed: "
            "upload the orders again on the Data page with a Discount or a Points redeemed "
            "column."))
    return _query(load_sql("loyalty_types"), dataset, filters, _window_params(dataset, filters) | {
        "min_orders": MIN_PURCHASES, "incentive_share": INCENTIVE_SHARE,
        "full_price_share": FULL_PRICE_SHARE},
        discounted=_discounted_sql(dataset), redeemed=_redeemed_sql(dataset))


def loyalty_type_table(store: Store, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """:func:`loyalty_type_summary` of :func:`loyalty_types`: the table the Segments page
    shows, one row per loyalty type (the registry's table of the loyalty-type figures)."""
    return loyalty_type_summary(loyalty_types(store, dataset, filters))


def loyalty_type_summary(customers: pd.DataFrame) -> pd.DataFrame:
    """Size, retention, AOV and revenue per customer of each loyalty type.

    Parameters
    ----------
    customers
        :func:`loyalty_types`' result (or a part of it).

    Returns
    -------
    pandas.DataFrame
        One row per type of :data:`LOYALTY_TYPE_RULES`, in their order, with
        :data:`LOYALTY_SUMMARY_COLUMNS`: customers and their share of all customers (%);
        purchases and net revenue; ``aov`` = revenue / purchases; ``purchase_frequency``
        = purchases / customers; ``retention_pct`` = customers still in the base on the
        range's last day / customers x 100; ``revenue_per_customer`` = revenue /
        customers, the CLV to date (what the type's customers have brought in the range).
        Ratios are None for a type without customers.
    """
    total = len(customers)
    rows = []
    for loyalty_type in LOYALTY_TYPES:
        group = customers[customers["loyalty_type"] == loyalty_type]
        size, orders = len(group), int(group["orders"].sum())
        revenue, retained = float(group["revenue"].sum()), int(group["in_base_at_end"].sum())
        rows.append({
            "loyalty_type": loyalty_type, "customers": size,
            "share_pct": _rate(size, total, 100.0), "orders": orders, "revenue": revenue,
            "aov": _rate(revenue, orders), "purchase_frequency": _rate(orders, size),
            "retained_customers": retained, "retention_pct": _rate(retained, size, 100.0),
            "revenue_per_customer": _rate(revenue, size),
        })
    return pd.DataFrame(rows, columns=list(LOYALTY_SUMMARY_COLUMNS))


# -- upsell ----------------------------------------------------------------------------

UPSELL_COLUMNS = (
    "period_start", "period_end", "group_value", "active_customers", "one_product_customers",
    "several_products_customers", "upsell_ratio", "several_products_pct",
)
NEXT_PRODUCT_COLUMNS = (
    "first_product", "next_product", "customers", "first_customers", "returning_customers",
    "share_pct", "rank",
)


def product_source(dataset: Dataset) -> str | None:
    """Where the products are: ``"order_items"`` (the lines of a line-item file),
    ``"orders"`` (one product per order), or None."""
    items = dataset.tables.get("order_items")
    if items is not None and "product" in items.columns:
        return "order_items"
    return "orders" if "product" in _orders_columns(dataset) else None


def _product_purchases_sql(dataset: Dataset, filters: Filters) -> str:
    """SQL selecting ``customer_id, order_date, product`` of the purchases up to
    ``$selection_end`` that name a product, from the order lines when there are some."""
    source = product_source(dataset)
    if source is None:
        raise InputError(t(
            "The upsell ratio needs to know which products each order holds: upload the "
            "orders again on the Data page with a Product column."))
    segment_sql, _ = segment_filter_sql(dataset, filters)
    tables = {"orders_table": dataset.table("orders"), "segment_filter": segment_sql}
    if source == "order_items":
        tables["items_table"] = dataset.table("order_items")
    return load_sql(f"product_purchases_{source}").format(**tables)


def upsell_table(store: Store, dataset: Dataset, filters: Filters, by: str | None = None,
                 whole_range: bool = False) -> pd.DataFrame:
    """The upsell ratio per period (and segment): customers who have bought more than one
    product / customers who have bought exactly one (seed 003, "Rata de vânzare în plus").

    The customers of a period are those with a purchase in it; each counts the distinct
    products they have bought from their first purchase up to the period's last day
    (their relationship so far, as the seed measures "customers who bought several
    products"; within a single month most customers buy once). Products come from the
    order lines when the data has them, else from the orders' product column.

    Parameters
    ----------
    store, dataset, filters
        The data and the filter state (period, date range, segments).
    by
        A segment key (:func:`metrics.query.segments.segment_dimensions`): one row per period and
        segment value of the customers (their value on the first purchase day, or their
        customer attribute). None: one row per period.
    whole_range
        One row (per group) for the whole date range instead of one per period.

    Returns
    -------
    pandas.DataFrame
        :data:`UPSELL_COLUMNS`: the period's first and last day; ``active_customers``
        (with a purchase naming a product); those with one product and with several so
        far; ``upsell_ratio`` = several / one (None when no one has a single product);
        ``several_products_pct`` = several / active x 100. Periods without such customers
        have no row.

    Raises
    ------
    InputError
        No product column; an unknown segment; no orders.
    """
    frame = query_frame(store, *upsell_query(dataset, filters, by, whole_range))
    for column in ("period_start", "period_end"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    _to_object(frame, "group_value")
    return frame[list(UPSELL_COLUMNS)]


def upsell_query(dataset: Dataset, filters: Filters, by: str | None = None,
                 whole_range: bool = False, final: str = "upsell"
                 ) -> tuple[str, dict[str, Any]]:
    """The query of :func:`upsell_table` with its parameters: the customers of each period
    (``sql/upsell_customers.sql``, CTEs) and ``final``, the statement over them
    (``sql/upsell.sql``: the counts per period and group).

    Raises
    ------
    InputError
        No product column; an unknown segment; no orders.
    """
    if by is not None:
        segment_column(dataset, by)
    p = filters.period
    if whole_range:
        pieces = {"period_of_purchase": "0",
                  "end_of_active_period": "CAST($selection_end AS DATE)",
                  "period_start": "CAST($selection_start AS DATE)",
                  "period_end": "CAST($selection_end AS DATE)"}
    else:
        pieces = {"period_of_purchase": period_index_sql(p, "order_date"),
                  "end_of_active_period": period_end_sql(p, "a.period_index"),
                  "period_start": period_start_sql(p, "period_index"),
                  "period_end": period_end_sql(p, "period_index")}
    split, split_params = cohort_group_sql(dataset, by, filters, "c")
    return _query(with_ctes(load_sql("upsell_customers"), query=load_sql(final)), dataset,
                  filters, _window_params(dataset, filters) | split_params,
                  product_purchases=_product_purchases_sql(dataset, filters),
                  **pieces, **split)


def next_products(store: Store, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """What customers buy on their second purchase day after their first.

    For each customer whose first purchase falls in the date range, every pair (a product
    of the first purchase day, a product of the second purchase day, up to the range's
    last day) counts once.

    Parameters
    ----------
    store, dataset, filters
        The data and the filter state (date range, segments).

    Returns
    -------
    pandas.DataFrame
        :data:`NEXT_PRODUCT_COLUMNS`, one row per pair: ``customers`` with the pair;
        ``first_customers``: customers whose first purchase held the first product;
        ``returning_customers``: of those, the ones with a second purchase;
        ``share_pct`` = customers / returning customers x 100 (a second purchase with
        several products counts for each, so the shares of one first product can add up
        to more than 100%); ``rank`` 1 is the most frequent next product of a first
        product. First products with the most customers come first.

    Raises
    ------
    InputError
        No product column; no orders.
    """
    frame = query_frame(store, *next_products_query(dataset, filters))
    for column in ("first_product", "next_product"):
        _to_object(frame, column)
    return frame[list(NEXT_PRODUCT_COLUMNS)]


def next_products_query(dataset: Dataset, filters: Filters, final: str = "next_products"
                        ) -> tuple[str, dict[str, Any]]:
    """The query of :func:`next_products` with its parameters: the first and next products
    of each customer (``sql/next_products_customers.sql``, CTEs) and ``final``, the
    statement over them (``sql/next_products.sql``: the pairs).

    Raises
    ------
    InputError
        No product column; no orders.
    """
    return _query(with_ctes(load_sql("next_products_customers"), load_sql(final)), dataset,
                  filters, _window_params(dataset, filters),
                  product_purchases=_product_purchases_sql(dataset, filters))


TOP_NEXT_COLUMNS = (
    "first_product", "first_customers", "returning_customers", "next_product",
    "next_share_pct", "same_share_pct", "other_product", "other_share_pct",
)


def top_next_products(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per first product, the most frequent next product, and the most frequent one that
    is another product (buying the same again is a repeat, not a cross-sell).

    Parameters
    ----------
    pairs
        :func:`next_products`' result.

    Returns
    -------
    pandas.DataFrame
        :data:`TOP_NEXT_COLUMNS`, in the order of ``pairs`` (most first customers first):
        the top next product and its share of the returning customers; ``same_share_pct``:
        the share who bought the first product again; the top other product and its share
        (None when every returning customer bought the same again).
    """
    rows = []
    for first_product, group in pairs.groupby("first_product", sort=False):
        top = group.sort_values("rank").iloc[0]
        others = group[group["next_product"] != first_product].sort_values("rank")
        same = group.loc[group["next_product"] == first_product, "share_pct"]
        other = others.iloc[0] if len(others) else None
        rows.append({
            "first_product": first_product, "first_customers": int(top["first_customers"]),
            "returning_customers": int(top["returning_customers"]),
            "next_product": top["next_product"], "next_share_pct": float(top["share_pct"]),
            "same_share_pct": float(same.iloc[0]) if len(same) else 0.0,
            "other_product": None if other is None else other["next_product"],
            "other_share_pct": None if other is None else float(other["share_pct"]),
        })
    return pd.DataFrame(rows, columns=list(TOP_NEXT_COLUMNS))


# -- the loyalty programme --------------------------------------------------------------

# What a member column may say, compared in lower case after trimming spaces. Anything
# else counts as "not a member", and the comparison says how many orders had it.
YES_VALUES = ("yes", "y", "da", "да", "true", "1")
NO_VALUES = ("no", "n", "nu", "нет", "false", "0")
# A loyalty tier of the customers table makes a member unless it is empty or says none.
NO_TIER_VALUES = (*NO_VALUES, "none", "-")

MEMBERSHIP_SOURCES = {
    "orders": N_("A customer is a member when any of their orders up to the end of the date "
                 "range says so in the Loyalty member column (yes, da, да, true, 1 or y)."),
    "customers": N_("A customer is a member when the customers table gives them a loyalty "
                    "tier (not empty, not none, -, no, nu, нет, false, 0 or n)."),
    "points": N_("There is no member column: a customer who redeemed points on an order up "
                 "to the end of the date range counts as a member."),
}
PROGRAMME_COLUMNS = (
    "member", "customers", "purchases", "revenue", "aov", "purchase_frequency",
    "retained_customers", "retention_pct", "revenue_per_customer", "aov_sd",
    "purchase_frequency_sd",
)
ENROLMENT_COLUMNS = ("group_value", "customers", "members", "enrolment_pct")
POINTS_AOV_COLUMNS = ("points_redeemed", "purchases", "revenue", "aov", "aov_sd")


@dataclass(frozen=True)
class Redemption:
    """How members use their points in the date range.

    ``redemption_rate_pct`` = members' purchases with points redeemed / members'
    purchases x 100; ``redeemers_pct`` = members who redeemed at least once / members x
    100 (None without members).
    """

    member_purchases: int
    redeemed_purchases: int
    redemption_rate_pct: float | None
    members: int
    redeemers: int
    redeemers_pct: float | None


@dataclass(frozen=True)
class ProgrammeComparison:
    """Members against non-members (see :func:`programme_comparison`)."""

    source: str
    selection_start: date
    selection_end: date
    groups: pd.DataFrame
    tests: dict[str, Significance | None]
    enrolment: pd.DataFrame | None
    redemption: Redemption | None
    points_aov: pd.DataFrame | None
    points_aov_test: Significance | None
    unrecognised_orders: int
    unrecognised_example: str | None

    @property
    def membership_rule(self) -> str:
        """The sentence saying who counts as a member, in the current language."""
        return t(MEMBERSHIP_SOURCES[self.source])


def membership_source(dataset: Dataset) -> str | None:
    """Who says who is a member: ``"orders"`` (a member column of the orders), else
    ``"customers"`` (a loyalty tier in the customers table), else ``"points"`` (points
    redeemed); None when the data says nothing about the programme."""
    if "loyalty_member" in _orders_columns(dataset):
        return "orders"
    customers = dataset.tables.get("customers")
    if customers is not None and "loyalty_tier" in customers.columns:
        return "customers"
    return "points" if "points_redeemed" in _orders_columns(dataset) else None


def _membership_source(dataset: Dataset) -> str:
    source = membership_source(dataset)
    if source is None:
        raise InputError(t(
            "The loyalty programme view needs to know who is a member: upload orders with a "
            "Loyalty member or Points redeemed column, or customers with a Loyalty tier, on "
            "the Data page."))
    return source


def programme_query(dataset: Dataset, filters: Filters, by: str | None = None
                    ) -> tuple[str, dict[str, Any]]:
    """The query of :func:`programme_comparison`'s customers
    (``sql/programme_customers.sql``) with its parameters: one row per customer with a
    purchase in the range, member or not, with their purchases, revenue, redeemed
    purchases, whether they are still in the base at the end and (with ``by``) their
    segment value.

    Raises
    ------
    InputError
        Nothing in the data says who is a member; an unknown segment; no orders.
    """
    source = _membership_source(dataset)
    if by is not None:
        segment_column(dataset, by)
    member_sql, member_params = _member_order_sql(dataset, source)
    split, split_params = cohort_group_sql(dataset, by, filters, "c")
    return _query(load_sql("programme_customers"), dataset, filters,
                  _window_params(dataset, filters) | member_params | split_params,
                  member_order=member_sql, redeemed=_redeemed_sql(dataset), **split)


def points_aov_query(dataset: Dataset, filters: Filters, template: str = "points_aov"
                     ) -> tuple[str, dict[str, Any]]:
    """The query of the purchases with and without points redeemed (``sql/points_aov.sql``)
    with its parameters: one row each, their count, revenue and the sums the test uses.
    ``template`` names another file over the same orders (their ``{redeemed}`` flag)."""
    return _query(load_sql(template), dataset, filters, _window_params(dataset, filters),
                  redeemed=_redeemed_sql(dataset))


def _word_list(values: tuple[str, ...], prefix: str) -> tuple[str, dict[str, str]]:
    names = [f"{prefix}{n}" for n in range(len(values))]
    return ", ".join(f"${name}" for name in names), dict(zip(names, values, strict=True))


def _member_order_sql(dataset: Dataset, source: str) -> tuple[str, dict[str, str]]:
    if source == "orders":
        words, params = _word_list(YES_VALUES, "yes_")
        return f"lower(trim(CAST(loyalty_member AS VARCHAR))) IN ({words})", params
    if source == "customers":
        words, params = _word_list(NO_TIER_VALUES, "no_")
        return load_sql("member_by_tier").format(
            customers_table=dataset.table("customers"), words=words), params
    return _redeemed_sql(dataset), {}


def _sd(total: float, squares: float, n: int) -> float | None:
    """Sample standard deviation from a count, a total and a sum of squares."""
    if n < 2:
        return None
    return math.sqrt(max(squares - total * total / n, 0.0) / (n - 1))


def _mean_test(a: pd.Series, b: pd.Series, mean: str, sd: str, n: str
               ) -> Significance | None:
    if any(pd.isna(row[column]) for row in (a, b) for column in (mean, sd)):
        return None
    return two_means(float(a[mean]), float(a[sd]), int(a[n]),
                     float(b[mean]), float(b[sd]), int(b[n]))


def programme_comparison(store: Store, dataset: Dataset, filters: Filters,
                         by: str | None = None) -> ProgrammeComparison:
    """Loyalty-programme members against non-members in the date range.

    Membership comes from the orders' Loyalty member column (a customer is a member when
    any of their orders up to the range's end says yes: yes/no, da/nu, да/нет,
    true/false, 1/0, y/n, in any case), else from a loyalty tier in the customers table,
    else from points redeemed (:data:`MEMBERSHIP_SOURCES`).

    Parameters
    ----------
    store, dataset, filters
        The data and the filter state (date range widened to whole periods, segments,
        the inactivity window W).
    by
        A segment key: the enrolment share per value of the customers' segment (their
        value on the first purchase day, or their customer attribute). None: no split.

    Returns
    -------
    ProgrammeComparison
        ``groups``: one row for members (``member`` True) and one for non-members, with
        :data:`PROGRAMME_COLUMNS`: customers with a purchase in the range, their
        purchases and net revenue, ``aov`` = revenue / purchases, ``purchase_frequency``
        = purchases / customers, ``retention_pct`` = customers still in the base on the
        range's last day / customers x 100, ``revenue_per_customer`` (the CLV to date),
        and the spreads the tests use. ``tests``: "retention" (two-proportion z-test),
        "aov" (Welch's t-test on the purchase amounts) and "purchase_frequency" (Welch's
        t-test on purchases per customer), None where a group is too small.
        ``enrolment`` (with ``by``): :data:`ENROLMENT_COLUMNS`, members / customers x 100
        per segment value. ``redemption`` (:class:`Redemption`) and ``points_aov``
        (:data:`POINTS_AOV_COLUMNS`, all purchases in the range with and without points
        redeemed, with a Welch t-test) when the orders have a points column.
        ``unrecognised_orders``: orders in the range whose member value is neither a yes
        nor a no word (counted as not a member), with an example.

    Raises
    ------
    InputError
        Nothing in the data says who is a member; an unknown segment; no orders.
    """
    source = _membership_source(dataset)
    window = _window_params(dataset, filters)
    customers = query_frame(store, *programme_query(dataset, filters, by))
    _to_object(customers, "group_value")
    groups = _programme_groups(customers)
    members, others = groups.iloc[0], groups.iloc[1]
    tests = {
        "retention": two_proportions(int(members["retained_customers"]),
                                     int(members["customers"]),
                                     int(others["retained_customers"]),
                                     int(others["customers"])),
        "aov": _mean_test(members, others, "purchase_mean", "aov_sd", "purchases"),
        "purchase_frequency": _mean_test(members, others, "purchase_frequency",
                                         "purchase_frequency_sd", "customers"),
    }
    enrolment = None
    if by is not None:
        enrolment = (customers.assign(member=customers["member"].astype(int))
                     .groupby("group_value", dropna=False, sort=False)
                     .agg(customers=("customer_id", "size"), members=("member", "sum"))
                     .reset_index().sort_values(["customers", "group_value"],
                                                ascending=[False, True], na_position="last"))
        enrolment["enrolment_pct"] = 100.0 * enrolment["members"] / enrolment["customers"]
        enrolment = enrolment[list(ENROLMENT_COLUMNS)].reset_index(drop=True)
        _to_object(enrolment, "group_value")
    redemption, points_aov, points_test = None, None, None
    if "points_redeemed" in _orders_columns(dataset):
        member_rows = customers[customers["member"]]
        member_purchases = int(member_rows["purchases"].sum())
        redeemed = int(member_rows["redeemed_purchases"].sum())
        redeemers = int((member_rows["redeemed_purchases"] > 0).sum())
        redemption = Redemption(member_purchases, redeemed,
                                _rate(redeemed, member_purchases, 100.0), len(member_rows),
                                redeemers, _rate(redeemers, len(member_rows), 100.0))
        points_aov, points_test = _points_aov(store, dataset, filters)
    unrecognised, example = (_unrecognised_members(store, dataset, filters, window)
                             if source == "orders" else (0, None))
    start, end = window["selection_start"], window["selection_end"]
    return ProgrammeComparison(
        source, start, end, groups[list(PROGRAMME_COLUMNS)], tests, enrolment, redemption,
        points_aov, points_test, unrecognised, example)


def _programme_groups(customers: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for member in (True, False):
        group = customers[customers["member"] == member]
        size, purchases = len(group), int(group["purchases"].sum())
        revenue, retained = float(group["revenue"].sum()), int(group["in_base_at_end"].sum())
        total = float(group["purchase_total"].sum())
        rows.append({
            "member": member, "customers": size, "purchases": purchases, "revenue": revenue,
            "aov": _rate(revenue, purchases), "purchase_frequency": _rate(purchases, size),
            "retained_customers": retained, "retention_pct": _rate(retained, size, 100.0),
            "revenue_per_customer": _rate(revenue, size),
            "purchase_mean": _rate(total, purchases),
            "aov_sd": _sd(total, float(group["purchase_squares"].sum()), purchases),
            "purchase_frequency_sd": (float(group["purchases"].std(ddof=1))
                                      if size >= 2 else None),
        })
    return pd.DataFrame(rows)


def _points_aov(store: Store, dataset: Dataset, filters: Filters
                ) -> tuple[pd.DataFrame, Significance | None]:
    frame = query_frame(store, *points_aov_query(dataset, filters))
    rows = []
    for redeemed in (True, False):
        found = frame[frame["points_redeemed"] == redeemed]
        purchases = int(found["purchases"].sum())
        revenue = float(found["revenue"].sum())
        total, squares = float(found["purchase_total"].sum()), float(
            found["purchase_squares"].sum())
        rows.append({"points_redeemed": redeemed, "purchases": purchases, "revenue": revenue,
                     "aov": _rate(revenue, purchases), "aov_sd": _sd(total, squares, purchases),
                     "purchase_mean": _rate(total, purchases)})
    table = pd.DataFrame(rows)
    test = _mean_test(table.iloc[0], table.iloc[1], "purchase_mean", "aov_sd", "purchases")
    return table[list(POINTS_AOV_COLUMNS)], test


def _unrecognised_members(store: Store, dataset: Dataset, filters: Filters,
                          window: dict[str, Any]) -> tuple[int, str | None]:
    words, params = _word_list(YES_VALUES + NO_VALUES, "word_")
    frame = query_frame(store, *_query(load_sql("unrecognised_members"), dataset, filters,
                                       params | window, words=words))
    count = int(frame["orders"].iloc[0])
    return count, (str(frame["example"].iloc[0]) if count else None)


# -- the programme's tables, as the registry reads them -----------------------------------

REDEMPTION_COLUMNS = ("member_purchases", "redeemed_purchases", "redemption_rate_pct",
                      "members", "redeemers", "redeemers_pct")


def programme_table(store: Store, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """:func:`programme_comparison`'s ``groups``: members' row, then non-members'."""
    return programme_comparison(store, dataset, filters).groups


def enrolment_table(store: Store, dataset: Dataset, filters: Filters, by: str
                    ) -> pd.DataFrame:
    """:func:`programme_comparison`'s ``enrolment`` by the segment ``by``."""
    enrolment = programme_comparison(store, dataset, filters, by=by).enrolment
    assert enrolment is not None  # a split always has one
    return enrolment


def redemption_table(store: Store, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """:func:`programme_comparison`'s ``redemption`` as one row of
    :data:`REDEMPTION_COLUMNS`; no row without a points column."""
    redemption = programme_comparison(store, dataset, filters).redemption
    rows = [] if redemption is None else [asdict(redemption)]
    return pd.DataFrame(rows, columns=list(REDEMPTION_COLUMNS))


def points_aov_table(store: Store, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """:func:`programme_comparison`'s ``points_aov``: purchases with points redeemed, then
    without; no row without a points column."""
    points_aov = programme_comparison(store, dataset, filters).points_aov
    return (pd.DataFrame(columns=list(POINTS_AOV_COLUMNS)) if points_aov is None
            else points_aov)
