"""Builders of small test databases that the tests import (datasette's fixtures style)."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterable, Sequence
from pathlib import Path

from metrics.ingest import ingest_file
from metrics.page_aggregates import PageTables
from metrics.store import Dataset, Store

DATA = Path(__file__).parent / "data"
SMALL_ORDERS = DATA / "orders_small.csv"


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def small_store(name: str = "Small shop", root: Path | str = ":memory:",
                page_aggregates: PageTables = "now") -> tuple[Store, Dataset]:
    """A store at ``root`` (in memory by default) holding ``orders_small.csv``; with
    ``page_aggregates="none"`` stored without its page tables."""
    store = Store(root)
    ingest_file(store, SMALL_ORDERS, dataset=name, currency="EUR",
                page_aggregates=page_aggregates)
    return store, store.dataset(name)


def cdnow_csv(folder: Path) -> Path:
    """The CDNOW master file as a comma-separated orders file."""
    rows = []
    with gzip.open(DATA / "CDNOW_master.txt.gz", "rt", encoding="ascii") as source:
        next(source)  # header line
        for line in source:
            customer, day, cds, dollars = line.split()
            rows.append((customer, day, cds, dollars))
    return write_csv(folder / "cdnow.csv", ("customer_id", "date", "cds", "amount"), rows)


def shop_with_known_changes(april: bool = True) -> list[tuple[str, str, float]]:
    """Orders (customer, day, amount) whose monthly KPIs with W = 20 days are worked out
    by hand, for the digest's alert rules.

    W = 20 days, monthly periods, every order on a month's last day:
    A: 200 customers buying 50 on Jan 31, Feb 29, Mar 31 and Apr 30 (always in the base);
    B: 20 buying 50 on Jan 31 only (out of the base by Feb 29: 29 days > W);
    C: 30 buying 50 on Jan 31 and 500 on Feb 29 (out by Mar 31).
    February: S = 250, N = 0, E = 230: churn 20/250 = 8.0%, strict retention 230/250 = 92%.
    March: S = 230, E = 200: churn 30/230 = 13.04%, strict retention 200/230 = 86.96%
      (-5.04 pp); revenue 10,000 against February's 200 x 50 + 30 x 500 = 25,000.
    April: S = 200, E = 200: churn 0%, strict retention 100%; revenue 10,000 again.
    Without ``april`` the data ends on March 31, March being the latest complete month.
    """
    days = ("2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30")[:4 if april else 3]
    rows: list[tuple[str, str, float]] = []
    for n in range(200):
        rows += [(f"a{n}", day, 50.0) for day in days]
    rows += [(f"b{n}", "2024-01-31", 50.0) for n in range(20)]
    for n in range(30):
        rows += [(f"c{n}", "2024-01-31", 50.0), (f"c{n}", "2024-02-29", 500.0)]
    return rows
