"""Running a metric query on the store's engine (DuckDB, or Spark: metrics.engines) with
exactly the parameters the query uses bound: the rows as a DataFrame, an Arrow table, tuples
(with their column names, for a CLI command that starts without pandas) or one row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from metrics.query.sql import bind
from metrics.store import Store

# pandas and Arrow only as types (the engine brings them): metrics.query.segments reads
# this module, and the CLI's commands that need neither start faster without them
if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


def query_frame(store: Store, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
    """The rows of ``sql`` with ``params`` bound (those it uses), as a DataFrame."""
    return store.engine.frame(sql, bind(sql, params))


def query_arrow(store: Store, sql: str, params: Mapping[str, Any]) -> pa.Table:
    """The rows of ``sql`` as an Arrow table: for a row per customer it converts to pandas
    in half the time of :func:`query_frame`."""
    return store.engine.arrow(sql, bind(sql, params))


def query_rows(store: Store, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` as tuples of Python values."""
    return store.engine.rows(sql, bind(sql, params))


def query_columns_rows(store: Store, sql: str, params: Mapping[str, Any]
                       ) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The column names and the rows of ``sql`` with ``params`` bound, as Python values
    (dates as dates, NULL as None): :func:`query_frame`'s result without pandas."""
    return store.engine.columns_rows(sql, bind(sql, params))


def query_row(store: Store, sql: str, params: Mapping[str, Any]) -> tuple[Any, ...]:
    """The one row of an aggregate query without ``GROUP BY`` (it always has one)."""
    rows = query_rows(store, sql, params)
    if not rows:
        raise ValueError("an aggregate query without GROUP BY returned no row")
    return rows[0]
