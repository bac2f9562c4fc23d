"""Builders of small test databases that the tests import (datasette's fixtures style)."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterable, Sequence
from pathlib import Path

from metrics.ingest import ingest_file
from metrics.store import Dataset, Store

DATA = Path(__file__).parent / "data"
SMALL_ORDERS = DATA / "orders_small.csv"


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def small_store(name: str = "Small shop") -> tuple[Store, Dataset]:
    """An in-memory store holding ``orders_small.csv``."""
    store = Store(":memory:")
    ingest_file(store, SMALL_ORDERS, dataset=name, currency="EUR")
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
