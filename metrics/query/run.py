"""Running a metric query: one read cursor of the store (with its time limit), exactly the
parameters the query uses bound, the rows as a DataFrame (or one row)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from metrics.query.sql import bind
from metrics.store import Store


def query_frame(store: Store, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
    """The rows of ``sql`` with ``params`` bound (those it uses), as a DataFrame."""
    with store.reader(sql) as cursor:
        return cursor.execute(sql, bind(sql, params)).df()


def query_row(store: Store, sql: str, params: Mapping[str, Any]) -> tuple[Any, ...]:
    """The one row of an aggregate query without ``GROUP BY`` (it always has one)."""
    with store.reader(sql) as cursor:
        row = cursor.execute(sql, bind(sql, params)).fetchone()
    if row is None:
        raise ValueError("an aggregate query without GROUP BY returned no row")
    return row
