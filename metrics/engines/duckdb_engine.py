"""The DuckDB engine: each query on a read cursor of the store, with its time limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

# pandas and Arrow only as types: the CLI's commands that need neither start faster
if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from metrics.store import Store


class DuckDBEngine:
    """Runs metric SQL on the store's DuckDB files (:meth:`metrics.store.Store.reader`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def frame(self, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
        with self.store.reader(sql) as cursor:
            return cursor.execute(sql, dict(params)).df()

    def arrow(self, sql: str, params: Mapping[str, Any]) -> pa.Table:
        with self.store.reader(sql) as cursor:
            return cursor.sql(sql, params=dict(params)).to_arrow_table()

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        with self.store.reader(sql) as cursor:
            return cursor.execute(sql, dict(params)).fetchall()

    def columns_rows(self, sql: str, params: Mapping[str, Any]
                     ) -> tuple[list[str], list[tuple[Any, ...]]]:
        with self.store.reader(sql) as cursor:
            cursor.execute(sql, dict(params))
            return [column[0] for column in cursor.description or ()], cursor.fetchall()
