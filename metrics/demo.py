"""A reproducible demo dataset: three years of a Romanian online and high-street shop.

Customers arrive with growth and a November-December peak; each buys at its own rate
and may stop after any purchase (the buy-till-you-die story of Fader, Hardie & Lee 2005,
"Counting Your Customers the Easy Way"), so retention curves, churn and CLV behave as
they do in real shops. Loyalty members buy more often and stay longer, marketplace
customers less so. A monthly marketing spend per channel and survey answers (NPS, CSAT,
CLI, comments) come with it. The same seed always gives the same files.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from metrics.ingest import ingest_file
from metrics.store import Dataset, Store

DEMO_NAME = "Demo shop"
DEMO_SEED = 20261123
DEMO_START = date(2023, 11, 1)
DEMO_END = date(2026, 11, 20)  # the data stops inside November: an incomplete period

CHANNELS = {  # share of customers, purchase-rate factor, dropout factor
    "Online shop": (0.55, 1.0, 1.0),
    "Physical store": (0.30, 0.8, 0.8),
    "Marketplace": (0.15, 0.6, 1.6),
}
REGIONS = ("București", "Cluj-Napoca", "Iași", "Timișoara", "Constanța")
REGION_WEIGHTS = (0.38, 0.18, 0.16, 0.15, 0.13)
CATEGORIES = ("Electronics", "Home & garden", "Fashion", "Beauty")
CATEGORY_WEIGHTS = (0.2, 0.3, 0.3, 0.2)
CATEGORY_PRICE = (640.0, 210.0, 180.0, 95.0)  # typical basket in RON
# A few products per category, the first the best seller (weights below).
PRODUCTS = {
    "Electronics": ("Wireless earbuds", "Smartwatch", "Bluetooth speaker", "Tablet"),
    "Home & garden": ("Bed linen set", "Cookware set", "Table lamp", "Garden tool kit"),
    "Fashion": ("Denim jeans", "Winter jacket", "Leather boots", "Wool scarf"),
    "Beauty": ("Face cream", "Perfume", "Shampoo & conditioner", "Lipstick set"),
}
PRODUCT_WEIGHTS = (0.4, 0.25, 0.2, 0.15)
DISCOUNT_RATES = (0.1, 0.15, 0.2, 0.25)  # of the order's total


def generate_orders(path: Path, customers: int = 6000, seed: int = DEMO_SEED) -> Path:
    """Write the demo orders CSV (one row per order, refunds as negative rows)."""
    rng = np.random.default_rng(seed)
    days = (DEMO_END - DEMO_START).days + 1
    # Acquisition: 60% growth over the period and a peak in November-December.
    day_numbers = np.arange(days)
    months = np.array([(DEMO_START + timedelta(int(d))).month for d in day_numbers])
    weight = (1 + 0.6 * day_numbers / days) * np.where(np.isin(months, (11, 12)), 1.8, 1.0)
    acquired = rng.choice(days, size=customers, p=weight / weight.sum())

    channel_names = list(CHANNELS)
    channel = rng.choice(len(channel_names), size=customers,
                         p=[share for share, _, _ in CHANNELS.values()])
    member = rng.random(customers) < np.where(channel == 2, 0.15, 0.40)
    region = rng.choice(len(REGIONS), size=customers, p=REGION_WEIGHTS)
    favourite = rng.choice(len(CATEGORIES), size=customers, p=CATEGORY_WEIGHTS)
    rate_factor = np.array([f for _, f, _ in CHANNELS.values()])[channel] * np.where(member, 1.7, 1)
    drop_factor = np.array([f for _, _, f in CHANNELS.values()])[channel] * np.where(member, 0.5, 1)
    # Purchases per day ~ Gamma (mean one every ~75 days), dropout after a purchase ~ Beta.
    rate = rng.gamma(shape=1.4, scale=1 / (1.4 * 75), size=customers) * rate_factor
    dropout = np.clip(rng.beta(1.2, 4.5, size=customers) * drop_factor, 0.01, 0.95)
    spend_level = rng.gamma(shape=6.0, scale=1 / 6.0, size=customers)

    rows: list[tuple[str, str, str, str, str, str, str, str]] = []
    order_number = 0
    for customer in range(customers):
        day = int(acquired[customer])
        while day < days:
            order_number += 1
            category = favourite[customer] if rng.random() < 0.7 else rng.choice(
                len(CATEGORIES), p=CATEGORY_WEIGHTS)
            amount = CATEGORY_PRICE[category] * spend_level[customer] * rng.lognormal(0, 0.35)
            when = DEMO_START + timedelta(days=day)
            row_common = (f"C{customer + 1:05d}", channel_names[channel[customer]],
                          REGIONS[region[customer]], CATEGORIES[category],
                          "Yes" if member[customer] else "No")
            rows.append((f"D{order_number:06d}", when.isoformat(), f"{amount:.2f}", *row_common))
            if rng.random() < 0.03:  # a refund of the whole order a week or two later
                refund_day = min(day + int(rng.integers(3, 15)), days - 1)
                rows.append((f"D{order_number:06d}-R",
                             (DEMO_START + timedelta(days=refund_day)).isoformat(),
                             f"{-amount:.2f}", *row_common))
            if rng.random() < dropout[customer]:
                break
            day += max(1, int(np.ceil(rng.exponential(1 / rate[customer]))))
    extra = _loyalty_columns(rows, member, dropout, seed)
    rows.sort(key=lambda row: (row[1], row[0]))
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(("Order ID", "Order date", "Total", "Customer ID", "Channel", "Region",
                         "Category", "Loyalty member", "Product", "Discount", "Points redeemed"))
        # a refund carries its order's product, discount and points
        writer.writerows((*row, *extra[row[0].removesuffix("-R")]) for row in rows)
    return path


def _loyalty_columns(rows: Sequence[tuple[str, ...]], member: np.ndarray, dropout: np.ndarray,
                     seed: int) -> dict[str, tuple[str, str, str]]:
    """Each order's product, discount and points redeemed, by order id.

    Drawn after the orders from a generator of their own, so the orders, amounts, dates
    and customers stay what they were. The story: deal seekers (more often the customers
    who leave soon, so a first order on discount goes with a short stay) buy most orders
    on discount; price watchers a third of them; half the loyalty members redeem points
    on most repeat orders (none on a first order: points are earned first); everyone else
    mostly pays full price. A customer has a favourite product in each category, so some
    repeat customers keep to one product and others buy across several (upsell).
    """
    rng = np.random.default_rng(seed + 3)
    customers = len(member)
    favourite_product = rng.choice(len(PRODUCT_WEIGHTS), size=customers, p=PRODUCT_WEIGHTS)
    deal_seeker = rng.random(customers) < np.clip(0.05 + 0.9 * dropout, 0, 0.6)
    price_watcher = ~deal_seeker & (rng.random(customers) < 0.2)
    reward_seeker = member & (rng.random(customers) < 0.5)
    first_discount = np.where(deal_seeker, 0.85, 0.15)  # a welcome coupon for some
    later_discount = np.where(deal_seeker, 0.65, np.where(price_watcher, 0.3, 0.05))
    points_share = np.where(reward_seeker, 0.65, np.where(member, 0.1, 0.0))
    extra: dict[str, tuple[str, str, str]] = {}
    bought_before: set[int] = set()
    for order_id, _, total, customer_id, _, _, category, _ in rows:  # customer by customer
        if order_id.endswith("-R"):
            continue
        customer = int(customer_id[1:]) - 1
        first = customer not in bought_before
        bought_before.add(customer)
        names = PRODUCTS[category]
        product = (names[favourite_product[customer]] if rng.random() < 0.6
                   else names[rng.choice(len(names), p=PRODUCT_WEIGHTS)])
        discounted = rng.random() < (first_discount if first else later_discount)[customer]
        discount = float(total) * float(rng.choice(DISCOUNT_RATES)) if discounted else 0.0
        redeemed = not first and rng.random() < points_share[customer]
        points = int(rng.integers(5, 41)) * 10 if redeemed else 0
        extra[order_id] = (product, f"{discount:.2f}", str(points))
    return extra


# What a new customer costs in each channel (RON), before month-to-month noise.
ACQUISITION_COST = {"Online shop": 260.0, "Physical store": 380.0, "Marketplace": 150.0}


def generate_spend(orders: Path, path: Path, seed: int = DEMO_SEED) -> Path:
    """Write the demo's monthly marketing spend per channel: what the month's new customers
    of the channel cost, with noise (so CAC and CLV:CAC have something to show)."""
    rng = np.random.default_rng(seed + 1)
    first_month: dict[str, tuple[str, str]] = {}
    with orders.open(encoding="utf-8") as file:
        for row in csv.DictReader(file):
            if float(row["Total"]) >= 0 and row["Customer ID"] not in first_month:
                first_month[row["Customer ID"]] = (row["Order date"][:7], row["Channel"])
    new: dict[tuple[str, str], int] = {}
    for key in first_month.values():
        new[key] = new.get(key, 0) + 1
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(("Month", "Channel", "Spend"))
        for (month, channel), count in sorted(new.items()):
            cost = count * ACQUISITION_COST[channel] * rng.lognormal(0, 0.2)
            writer.writerow((f"{month}-01", channel, f"{cost:.2f}"))
    return path


# Where a survey was answered, by the channel of the order it followed; some answers come
# from a support contact instead.
TOUCHPOINTS = {"Online shop": "Online shop", "Physical store": "Store",
               "Marketplace": "Online shop"}
SUPPORT_TOUCHPOINT = "Support"
# A short comment for some answers, in English and Romanian, by NPS group. One starts with
# "=" and one with "+": a spreadsheet would read them as formulas, so exports neutralise
# them.
SURVEY_COMMENTS = {
    "promoter": (
        "Fast delivery and friendly staff.",
        "Great prices, I will order again.",
        "Livrare rapidă, totul perfect!",
        "Foarte mulțumit de calitate, recomand.",
        "The loyalty points are a nice touch.",
        "+1 pentru punctele de fidelitate",
        "Personal mereu amabil în magazin.",
    ),
    "passive": (
        "Good, but delivery took a while.",
        "Okay overall; the website is a bit slow.",
        "Bine, dar prețurile au crescut.",
        "Ambalajul putea fi mai bun.",
        "Fine products, nothing special.",
    ),
    "detractor": (
        "The parcel arrived late and damaged.",
        "Support never answered my e-mail.",
        "Comanda a întârziat două săptămâni.",
        "Nu am primit încă rambursarea.",
        "Wrong size sent twice, very disappointing.",
        "=Refund still missing after 3 weeks!",
    ),
}
SURVEY_RATE = 0.1  # share of purchases followed by an answered survey (at most two each)
FOLLOW_UP_DAYS = 180  # buying again this soon after answering goes with happier answers


def generate_responses(orders: Path, path: Path, seed: int = DEMO_SEED) -> Path:
    """Write the demo's survey export: NPS (0-10), CSAT (1-5), the three CLI questions
    (1-6), a comment for some answers and the touchpoint, a few days after a purchase.

    About one purchase in ten gets an answer, at most two per customer; some answers carry
    no customer id (a survey in the store). A customer has a view of the shop of their own,
    and customers who go on to buy within six months answer higher (so the Satisfaction
    page's behaviour view finds promoters buying more); where the data ends before those
    six months, buying again is drawn at the shop's usual rate instead. Support contacts
    score lower. Drawn from a generator of its own, so the orders and spend stay the same.
    """
    rng = np.random.default_rng(seed + 2)
    purchases: dict[str, list[tuple[date, str]]] = {}
    with orders.open(encoding="utf-8") as file:
        for row in csv.DictReader(file):
            if float(row["Total"]) >= 0:
                purchases.setdefault(row["Customer ID"], []).append(
                    (date.fromisoformat(row["Order date"]), row["Channel"]))
    rows: list[tuple[str, ...]] = []
    for customer in sorted(purchases):
        days = sorted(purchases[customer])
        taste = rng.normal(0.0, 1.0)
        answers = 0
        for day, channel in days:
            if answers == 2 or rng.random() >= SURVEY_RATE:
                continue
            when = day + timedelta(days=int(rng.integers(2, 9)))
            if when > DEMO_END:
                continue
            answers += 1
            support = rng.random() < 0.12
            horizon = when + timedelta(days=FOLLOW_UP_DAYS)
            buys_again = any(when < later <= horizon for later, _ in days) or (
                horizon > DEMO_END and rng.random() < 0.6)
            mood = (0.9 * taste + 0.7 * rng.normal() + (0.8 if buys_again else -0.5)
                    - (1.0 if support else 0.0))
            score = int(np.clip(round(7.6 + 1.7 * mood), 0, 10))
            csat = (str(int(np.clip(round(1 + 0.4 * score + rng.normal(0, 0.6)), 1, 5)))
                    if rng.random() < 0.85 else "")
            cli: tuple[str, ...] = ("", "", "")
            if rng.random() < 0.6:  # not everyone answers the three CLI questions
                cli = tuple(str(int(np.clip(round(value), 1, 6))) for value in (
                    1 + 0.5 * score + rng.normal(0, 0.6),
                    1.3 + 0.4 * score + (0.7 if buys_again else -0.4) + rng.normal(0, 0.7),
                    0.8 + 0.35 * score + rng.normal(0, 0.8)))
            group = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
            comment = ""
            if rng.random() < {"promoter": 0.25, "passive": 0.3, "detractor": 0.55}[group]:
                options = SURVEY_COMMENTS[group]
                comment = options[int(rng.integers(len(options)))]
            anonymous = rng.random() < 0.08
            rows.append((when.isoformat(), "" if anonymous else customer, str(score), csat,
                         *cli, comment, SUPPORT_TOUCHPOINT if support else TOUCHPOINTS[channel]))
    rows.sort(key=lambda row: (row[0], row[1]))
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(("Submitted at", "Customer ID", "NPS", "CSAT", "CLI Q1", "CLI Q2",
                         "CLI Q3", "Comment", "Touchpoint"))
        writer.writerows(rows)
    return path


# What the current demo holds; an older stored demo lacks some of it.
DEMO_ORDER_ROLES = ("product", "discount_amount", "points_redeemed", "loyalty_member")


def _is_current(demo: Dataset) -> bool:
    orders = demo.tables.get("orders")
    return (orders is not None and set(DEMO_ORDER_ROLES) <= set(orders.mapping)
            and {"spend", "responses"} <= set(demo.tables))


def ensure_demo(store: Store) -> Dataset:
    """The demo dataset, generated and stored the first time it is asked for.

    A demo stored by an older version (without survey answers or the products, discounts
    and points of its orders) is stored again under the same id, so links keep working.
    """
    existing = store.find_dataset(DEMO_NAME)
    if existing is not None and _is_current(existing):
        return existing
    replace = existing is not None
    with tempfile.TemporaryDirectory() as folder:
        path = generate_orders(Path(folder) / "demo-orders.csv")
        ingest_file(store, path, dataset=DEMO_NAME, currency="RON", source="demo-orders.csv",
                    replace=replace)
        spend = generate_spend(path, Path(folder) / "demo-spend.csv")
        ingest_file(store, spend, dataset=DEMO_NAME, kind="spend", source="demo-spend.csv",
                    replace=replace)
        responses = generate_responses(path, Path(folder) / "demo-responses.csv")
        ingest_file(store, responses, dataset=DEMO_NAME, kind="responses",
                    source="demo-responses.csv", replace=replace)
    return store.dataset(DEMO_NAME)
