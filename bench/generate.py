"""Reproducible synthetic orders for the benchmarks: realistic repeat behaviour at scale.

Each customer arrives on a day of a three-year window, buys a first order, and repeats
after exponential gaps until they stop (a geometric number of orders, mean 4.2, about 3.5
within the window), so the cohort and retention numbers look like a real shop's. Written
with numpy from a fixed seed, as CSV (what a user uploads) and Parquet (what a pandas user
would load).
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
    frame = pd.DataFrame({
        "customer_id": "C" + pd.Series(owner).astype(str).str.zfill(7),
        "order_date": pd.Timestamp(START) + pd.to_timedelta(day, unit="D"),
        "amount": amount,
        "channel": CHANNELS[owner % len(CHANNELS)],
        "region": REGIONS[rng.integers(0, len(REGIONS), size=total)],
    })
    return frame[keep].reset_index(drop=True)


def write(frame: pd.DataFrame, folder: Path, name: str) -> tuple[Path, Path]:
    """The orders as ``name.csv`` (ISO dates, a header row) and ``name.parquet``."""
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path = folder / f"{name}.csv", folder / f"{name}.parquet"
    with duckdb.connect() as connection:
        connection.register("orders", frame)
        connection.execute(f"COPY (SELECT customer_id AS \"Customer ID\", "
                           f"CAST(order_date AS DATE) AS \"Order date\", amount AS \"Amount\", "
                           f"channel AS \"Channel\", region AS \"Region\" FROM orders) "
                           f"TO '{csv_path}' (HEADER)")
        connection.execute(f"COPY orders TO '{parquet_path}' (FORMAT parquet)")
    return csv_path, parquet_path
