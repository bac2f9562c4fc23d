"""The DuckDB store: one database file holding every dataset side by side.

Each dataset lives in its own schema (``ds_<id>``) with one table per kind of data
(orders, customers, ...); two catalogue tables describe the datasets and their tables.
The id is random and stable, so a shared link keeps pointing at the same data.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from metrics.errors import DatasetNotFound, InputError, StoreUnavailable
from metrics.i18n import t
from metrics.query.sql import quote_ident

DB_ENV_VAR = "LOYALTYLENS_DB"
# Stored with the orders at ingest (sql/purchase_history.sql); older datasets lack them.
PURCHASE_HISTORY_COLUMNS = ("first_purchase_on", "previous_purchase_on", "next_purchase_on")
MEMORY_ENV_VAR = "LOYALTYLENS_MEMORY_LIMIT"
# DuckDB spills to disk beyond this, so a large file ingests in bounded memory.
DEFAULT_MEMORY_LIMIT = "2GB"
DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent / "data" / "loyaltylens.duckdb"

_CATALOGUE_SQL = """
-- Catalogue of datasets and of the tables each holds.
CREATE TABLE IF NOT EXISTS loyaltylens_datasets (
    id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    currency VARCHAR,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS loyaltylens_tables (
    dataset_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    source VARCHAR,
    rows BIGINT NOT NULL,
    mapping JSON NOT NULL,
    segment_columns JSON NOT NULL,
    first_date DATE,
    last_date DATE,
    loaded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (dataset_id, kind)
);
"""


@dataclass(frozen=True)
class TableInfo:
    """What is stored for one kind of data in a dataset.

    ``rows`` counts the stored table's rows, which are what users count: orders (the
    lines of a line-item export grouped into their orders), customers, answers,
    subscriptions or spend entries; ``order_items`` counts order lines.
    """

    kind: str
    source: str | None
    rows: int
    mapping: dict[str, str]
    segment_columns: tuple[str, ...]
    first_date: date | None
    last_date: date | None
    loaded_at: datetime
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dataset:
    """A named dataset and the tables it holds."""

    id: str
    name: str
    currency: str | None
    created_at: datetime
    tables: dict[str, TableInfo] = field(default_factory=dict)

    @property
    def schema(self) -> str:
        return f"ds_{self.id}"

    @property
    def has_purchase_history(self) -> bool:
        """Whether its orders carry the purchase-history columns (stored since they exist)."""
        orders = self.tables.get("orders")
        return orders is not None and set(PURCHASE_HISTORY_COLUMNS) <= set(orders.columns)

    def table(self, kind: str) -> str:
        """Quoted, schema-qualified name of this dataset's table of ``kind``."""
        if kind not in self.tables:
            raise InputError(
                t(
                    "The dataset “{name}” has no {kind} data yet: upload a {kind} file "
                    "on the Data page first.",
                    name=self.name,
                    kind=kind,
                )
            )
        return f"{quote_ident(self.schema)}.{quote_ident(kind)}"


def default_db_path() -> Path:
    """The database file: ``$LOYALTYLENS_DB`` when set, else ``data/loyaltylens.duckdb``."""
    return Path(os.environ.get(DB_ENV_VAR) or DEFAULT_DB_PATH)


class Store:
    """One open DuckDB database file; hand out a cursor per query (thread-safe use).

    Parameters
    ----------
    path
        The database file. Created, with its folder, when missing. ``":memory:"`` gives a
        throw-away in-memory store (tests).
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = str(path) if path is not None else str(default_db_path())
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._connection = duckdb.connect(self.path)
        except duckdb.IOException as error:
            raise StoreUnavailable(
                t(
                    "Cannot open the LoyaltyLens database {path}: another program (the "
                    "dashboard or a CLI command) may be using it. Close it and try again, "
                    "or point --db / LOYALTYLENS_DB at another file.",
                    path=self.path,
                )
            ) from error
        self._write_lock = threading.Lock()
        memory_limit = os.environ.get(MEMORY_ENV_VAR) or DEFAULT_MEMORY_LIMIT
        try:
            self._connection.execute("SET memory_limit = $limit", {"limit": memory_limit})
        except duckdb.Error as error:
            raise StoreUnavailable(t("{var} = “{value}” is not a memory size; write it like "
                                     "2GB or 500MB.", var=MEMORY_ENV_VAR, value=memory_limit)
                                   ) from error
        self._connection.execute(_CATALOGUE_SQL)

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor on the shared connection: use one per query or thread."""
        return self._connection.cursor()

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for a writing job, one job at a time; pair it with :meth:`atomic`.

        Work that stores nothing (reading a file into temporary tables) can run on it
        before the transaction starts, where a failed statement does not abort it.
        """
        with self._write_lock:
            cursor = self.cursor()
            try:
                yield cursor
            finally:
                cursor.close()

    @staticmethod
    @contextmanager
    def atomic(cursor: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction on ``cursor``: everything commits, or nothing is stored."""
        cursor.begin()
        try:
            yield cursor
        except BaseException:
            cursor.rollback()
            raise
        else:
            cursor.commit()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside one transaction: everything commits, or nothing is stored."""
        with self.writer() as cursor, self.atomic(cursor):
            yield cursor

    # -- reading the catalogue -------------------------------------------------------

    def datasets(self) -> list[Dataset]:
        """Every dataset, newest first."""
        with self.cursor() as cursor:
            rows = cursor.execute(
                "-- every dataset, newest first\n"
                "SELECT id, name, currency, created_at FROM loyaltylens_datasets "
                "ORDER BY created_at DESC, name"
            ).fetchall()
            tables = cursor.execute(
                "-- every stored table of every dataset, with its columns\n"
                "SELECT t.dataset_id, t.kind, t.source, t.rows, t.mapping, t.segment_columns, "
                "t.first_date, t.last_date, t.loaded_at, c.columns "
                "FROM loyaltylens_tables AS t LEFT JOIN ("
                "SELECT schema_name, table_name, list(column_name ORDER BY column_index) "
                "AS columns FROM duckdb_columns() GROUP BY ALL) AS c "
                "ON c.schema_name = 'ds_' || t.dataset_id AND c.table_name = t.kind"
            ).fetchall()
        by_dataset: dict[str, dict[str, TableInfo]] = {}
        for (dataset_id, kind, source, n, mapping, segments, first, last, loaded,
             columns) in tables:
            by_dataset.setdefault(dataset_id, {})[kind] = TableInfo(
                kind=kind,
                source=source,
                rows=n,
                mapping=json.loads(mapping),
                segment_columns=tuple(json.loads(segments)),
                first_date=first,
                last_date=last,
                loaded_at=loaded,
                columns=tuple(columns or ()),
            )
        return [
            Dataset(id=i, name=name, currency=currency, created_at=created,
                    tables=by_dataset.get(i, {}))
            for i, name, currency, created in rows
        ]

    def dataset(self, id_or_name: str) -> Dataset:
        """The dataset with this id, or else with this name (case-insensitive)."""
        datasets = self.datasets()
        for dataset in datasets:
            if dataset.id == id_or_name:
                return dataset
        for dataset in datasets:
            if dataset.name.casefold() == id_or_name.strip().casefold():
                return dataset
        raise DatasetNotFound(
            t(
                "There is no dataset “{name}”. Run `loyaltylens datasets` or open the Data "
                "page to see the datasets there are.",
                name=id_or_name,
            )
        )

    def find_dataset(self, id_or_name: str) -> Dataset | None:
        try:
            return self.dataset(id_or_name)
        except DatasetNotFound:
            return None

    # -- writing ---------------------------------------------------------------------

    @staticmethod
    def new_dataset_id() -> str:
        """A random, URL-safe, unguessable id (64 bits)."""
        return secrets.token_hex(8)

    def register_dataset(
        self,
        cursor: duckdb.DuckDBPyConnection,
        name: str,
        currency: str | None,
    ) -> str:
        """Create an empty dataset inside the caller's transaction; return its id."""
        dataset_id = self.new_dataset_id()
        cursor.execute(
            "-- register a new dataset\n"
            "INSERT INTO loyaltylens_datasets VALUES ($id, $name, $currency, now()::TIMESTAMP)",
            {"id": dataset_id, "name": name, "currency": currency},
        )
        cursor.execute(f"CREATE SCHEMA {quote_ident('ds_' + dataset_id)}")
        return dataset_id

    def register_table(
        self,
        cursor: duckdb.DuckDBPyConnection,
        dataset_id: str,
        kind: str,
        info: dict[str, Any],
    ) -> None:
        """Record a stored table in the catalogue, inside the caller's transaction."""
        cursor.execute(
            "-- record a stored table\n"
            "INSERT OR REPLACE INTO loyaltylens_tables VALUES "
            "($dataset_id, $kind, $source, $rows, $mapping, $segments, $first, $last, "
            "now()::TIMESTAMP)",
            {
                "dataset_id": dataset_id,
                "kind": kind,
                "source": info.get("source"),
                "rows": info["rows"],
                "mapping": json.dumps(info["mapping"]),
                "segments": json.dumps(list(info["segment_columns"])),
                "first": info.get("first_date"),
                "last": info.get("last_date"),
            },
        )

    def delete_dataset(self, id_or_name: str) -> Dataset:
        """Delete a dataset and all its tables; return what was deleted."""
        dataset = self.dataset(id_or_name)
        with self.transaction() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {quote_ident(dataset.schema)} CASCADE")
            cursor.execute(
                "-- forget a dataset's tables\n"
                "DELETE FROM loyaltylens_tables WHERE dataset_id = $id",
                {"id": dataset.id},
            )
            cursor.execute(
                "-- forget a dataset\nDELETE FROM loyaltylens_datasets WHERE id = $id",
                {"id": dataset.id},
            )
        return dataset
