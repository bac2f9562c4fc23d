"""Running a metric query: one read cursor of the store (with its time limit), exactly the
parameters the query uses bound, the rows as a DataFrame, as plain rows (for a CLI command
that starts without pandas) or one row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from metrics.query.sql import bind
from metrics.store import Store

if TYPE_CHECKING:  # DuckDB imports pandas when it makes a frame: query_rows needs neither
    import pandas as pd


def query_frame(store: Store, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
    """The rows of ``sql`` with ``params`` bound (those it uses), as a DataFrame."""
    with store.reader(sql) as cursor:
        return cursor.execute(sql, bind(sql, params)).df()


def query_rows(store: Store, sql: str, params: Mapping[str, Any]
               ) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The column names and the rows of ``sql`` with ``params`` bound, as Python values
    (dates as dates, NULL as None): :func:`query_frame`'s result without pandas."""
    with store.reader(sql) as cursor:
        cursor.execute(sql, bind(sql, params))
        columns = [column[0] for column in cursor.description or ()]
        return columns, cursor.fetchall()


def query_row(store: Store, sql: str, params: Mapping[str, Any]) -> tuple[Any, ...]:
    """The one row of an aggregate query without ``GROUP BY`` (it always has one)."""
    with store.reader(sql) as cursor:
        row = cursor.execute(sql, bind(sql, params)).fetchone()
    if row is None:
        raise ValueError("an aggregate query without GROUP BY returned no row")
    return row
