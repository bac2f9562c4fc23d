"""A reproducible demo dataset: three years of a Romanian online and high-street shop.

Customers arrive with growth and a November-December peak; each buys at its own rate
and may stop after any purchase (the buy-till-you-die story of Fader, Hardie & Lee 2005,
"Counting Your Customers the Easy Way"), so retention curves, churn and CLV behave as
they do in real shops. Loyalty members buy more often and stay longer, marketplace
customers less so. A monthly marketing spend per channel comes with it. The same seed
always gives the same files.
"""

from __future__ import annotations

import csv
import tempfile
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
    rows.sort(key=lambda row: (row[1], row[0]))
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(("Order ID", "Order date", "Total", "Customer ID", "Channel", "Region",
                         "Category", "Loyalty member"))
        writer.writerows(rows)
    return path


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


def ensure_demo(store: Store) -> Dataset:
    """The demo dataset, generated and stored the first time it is asked for."""
    existing = store.find_dataset(DEMO_NAME)
    if existing is not None and "orders" in existing.tables:
        return existing
    with tempfile.TemporaryDirectory() as folder:
        path = generate_orders(Path(folder) / "demo-orders.csv")
        ingest_file(store, path, dataset=DEMO_NAME, currency="RON", source="demo-orders.csv")
        spend = generate_spend(path, Path(folder) / "demo-spend.csv")
        ingest_file(store, spend, dataset=DEMO_NAME, kind="spend", source="demo-spend.csv")
    return store.dataset(DEMO_NAME)
