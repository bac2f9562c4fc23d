"""The engines metric SQL runs on, behind one small interface (:class:`Engine`): DuckDB,
the embedded default (:mod:`metrics.engines.duckdb_engine`), and Spark, local or through
Spark Connect (:mod:`metrics.engines.spark`), which runs the same SQL translated by
:mod:`metrics.engines.spark_sql` within the portable subset of
:mod:`metrics.engines.portable`.

Metric functions never call an engine themselves: they run their SQL with
:mod:`metrics.query.run`, which hands it to ``store.engine``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

# pandas and Arrow only as types: the CLI's commands that need neither start faster
if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa



class Engine(Protocol):
    """Runs one metric query (DuckDB SQL with ``$name`` parameters, exactly those it uses
    bound) and returns its rows."""

    def frame(self, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
        """The rows as a DataFrame, with the column types DuckDB's ``.df()`` gives."""
        ...

    def arrow(self, sql: str, params: Mapping[str, Any]) -> pa.Table:
        """The rows as an Arrow table (cheaper than a DataFrame for many rows)."""
        ...

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """The rows as tuples of Python values."""
        ...

    def columns_rows(self, sql: str, params: Mapping[str, Any]
                     ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The column names and the rows as tuples of Python values."""
        ...
