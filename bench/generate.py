"""Reproducible synthetic orders for the benchmarks: realistic repeat behaviour at scale.

Each customer arrives on a day of a three-year window, buys a first order, and repeats
after exponential gaps until they stop (a geometric number of orders, mean 4.2, about 3.5
within the window), so the cohort and retention numbers look like a real shop's. Each
order has a channel (the customer's), a region and a product (a catalogue where a few
products sell most); about one customer in seven answers an NPS survey after an order.
Written with numpy from fixed seeds, as CSV (what a user uploads) and Parquet (what a
pandas user would load). Products and answers come from generators of their own, so the
other columns are the same as before they existed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

START = date(2023, 1, 1)
DAYS = 3 * 365
CHANNELS = np.array(["Online shop", "Physical store", "Marketplace"])
REGIONS = np.array(["București", "Cluj-Napoca", "Iași", "Timișoara", "Constanța"])
PRODUCTS = np.array(["Cafea boabe 1 kg", "Cafea măcinată 250 g", "Capsule espresso x10",
                     "Ceai verde", "Ceai de fructe", "Cană ceramică", "Filtru V60",
                     "Râșniță manuală", "Espressor", "Sirop vanilie", "Lapte de ovăz",
                     "Card cadou"])
# sales fall off with the catalogue rank (Zipf, s = 1)
PRODUCT_WEIGHTS = 1 / np.arange(1, len(PRODUCTS) + 1) / (1 / np.arange(1, len(PRODUCTS) + 1)).sum()
RESPONDING = 0.15  # share of customers who answer the survey
# NPS answers 0-10: about 45 % promoters and 25 % detractors (NPS about +20)
SCORE_WEIGHTS = np.array([2, 1, 1, 2, 2, 5, 12, 12, 18, 20, 25]) / 100


def orders_frame(customers: int, mean_orders: float = 4.2, seed: int = 7) -> pd.DataFrame:
    """One row per order: customer_id, order_date, amount, channel, region."""
    rng = np.random.default_rng(seed)
    per_customer = rng.geometric(1 / mean_orders, size=customers)
    total = int(per_customer.sum())
    owner = np.repeat(np.arange(customers), per_customer)
    first_day = rng.integers(0, DAYS, size=customers)
    gaps = rng.exponential(60.0, size=total).astype(np.int64) + 1
    # the first order of each customer has no gap
    starts = np.concatenate(([0], np.cumsum(per_customer)[:-1]))
    gaps[starts] = 0
    offset = np.cumsum(gaps)
    offset -= np.repeat(offset[starts], per_customer)
    day = first_day[owner] + offset
    keep = day < DAYS
    amount = np.round(rng.lognormal(4.5, 0.6, size=total), 2)
    refund = rng.random(total) < 0.02
    amount[refund] = -amount[refund]
    products = np.random.default_rng(seed + 1).choice(len(PRODUCTS), size=total,
                                                      p=PRODUCT_WEIGHTS)
    frame = pd.DataFrame({
        "customer_id": "C" + pd.Series(owner).astype(str).str.zfill(7),
        "order_date": pd.Timestamp(START) + pd.to_timedelta(day, unit="D"),
        "amount": amount,
        "channel": CHANNELS[owner % len(CHANNELS)],
        "region": REGIONS[rng.integers(0, len(REGIONS), size=total)],
        "product": PRODUCTS[products],
    })
    return frame[keep].reset_index(drop=True)


def responses_frame(orders: pd.DataFrame, seed: int = 7) -> pd.DataFrame:
    """NPS survey answers: one per answering customer, 0 to 7 days after one of their
    orders (inside the window), with a 0-10 score."""
    rng = np.random.default_rng(seed + 2)
    asked = orders.drop_duplicates("customer_id").sample(frac=RESPONDING, random_state=seed)
    day = asked["order_date"] + pd.to_timedelta(rng.integers(0, 8, size=len(asked)), unit="D")
    answers = pd.DataFrame({
        "customer_id": asked["customer_id"].to_numpy(),
        "response_date": day.to_numpy(),
        "nps_score": rng.choice(11, size=len(asked), p=SCORE_WEIGHTS),
    })
    inside = answers["response_date"] < pd.Timestamp(START) + pd.Timedelta(days=DAYS)
    return answers[inside].sort_values("response_date").reset_index(drop=True)


def write(frame: pd.DataFrame, folder: Path, name: str) -> tuple[Path, Path]:
    """The orders as ``name.csv`` (ISO dates, a header row) and ``name.parquet``, and
    their survey answers as ``name-responses.csv`` and ``.parquet``."""
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path = folder / f"{name}.csv", folder / f"{name}.parquet"
    responses = responses_frame(frame)
    with duckdb.connect() as connection:
        connection.register("orders", frame)
        connection.register("responses", responses)
        connection.execute(f"COPY (SELECT customer_id AS \"Customer ID\", "
                           f"CAST(order_date AS DATE) AS \"Order date\", amount AS \"Amount\", "
                           f"channel AS \"Channel\", region AS \"Region\", "
                           f"product AS \"Product\" FROM orders) TO '{csv_path}' (HEADER)")
        connection.execute(f"COPY orders TO '{parquet_path}' (FORMAT parquet)")
        connection.execute(f"COPY (SELECT CAST(response_date AS DATE) AS \"Date\", "
                           f"customer_id AS \"Customer ID\", nps_score AS \"NPS score\" "
                           f"FROM responses) TO '{folder / f'{name}-responses.csv'}' (HEADER)")
        connection.execute(f"COPY responses TO '{folder / f'{name}-responses.parquet'}' "
                           f"(FORMAT parquet)")
    return csv_path, parquet_path
