"""The Spark engine: the metric SQL, translated (metrics.engines.spark_sql), run by a
SparkSession (local, or a cluster through Spark Connect) over a dataset's Parquet export
(metrics.engines.parquet), so the same metric functions give the same numbers there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from metrics.engines.parquet import MANIFEST
from metrics.errors import InputError, StoreUnavailable
from metrics.i18n import t
from metrics.lazy import lazy_functions
from metrics.store import Dataset, Store, dataset_of_entry

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import pyarrow as pa

    from metrics.engines.spark_session import spark_session
    from metrics.engines.spark_sql import to_spark
else:
    # sqlglot and pyspark come with the spark extra: the dashboard reads this module on
    # DuckDB too, so they are imported when a Spark query first runs
    (to_spark,) = lazy_functions("metrics.engines.spark_sql", "to_spark")
    (spark_session,) = lazy_functions("metrics.engines.spark_session", "spark_session")


class SparkEngine:
    """Runs metric SQL on a SparkSession, reading each ``(schema, table)`` of the DuckDB
    store from the Spark table or view ``tables`` names for it."""

    def __init__(self, session: Any, tables: Mapping[tuple[str, str], str]) -> None:
        self.session = session
        self.tables = dict(tables)

    def arrow(self, sql: str, params: Mapping[str, Any]) -> pa.Table:
        spark_sql = to_spark(sql, self.tables)
        try:
            return self.session.sql(spark_sql, args=dict(params)).toArrow()
        except Exception as error:  # pyspark's errors (and py4j's) have no common base
            raise StoreUnavailable(t("Spark could not run the computation: {reason}",
                                     reason=_first_line(error))) from error

    def frame(self, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
        import duckdb

        # converted as DuckDB converts its own results, so a frame has the same column
        # types on either engine (dates as datetime64, NULL integers as floats, ...)
        with duckdb.connect(":memory:") as connection:
            return connection.from_arrow(self.arrow(sql, params)).df()

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        return self.columns_rows(sql, params)[1]

    def columns_rows(self, sql: str, params: Mapping[str, Any]
                     ) -> tuple[list[str], list[tuple[Any, ...]]]:
        import duckdb

        with duckdb.connect(":memory:") as connection:
            relation = connection.from_arrow(self.arrow(sql, params))
            return relation.columns, relation.fetchall()


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class SparkStore(Store):
    """The datasets of a Spark source, for the metric functions: a :class:`Store` whose
    queries run on Spark (``engine``) and whose one dataset is the source's.

    Parameters
    ----------
    session
        The SparkSession (:func:`metrics.engines.spark_session.spark_session`).
    source
        A folder (or a URI Spark reads: ``s3a://...``, ``hdfs://...``) holding a dataset's
        Parquet export (``loyaltylens export``).

    Writing (ingest, delete) is not for this store: its own folder is a throw-away one.
    """

    def __init__(self, session: Any, source: str) -> None:
        super().__init__(":memory:")
        self.source = source.rstrip("/")
        dataset = _exported_dataset(session, self.source)
        self.engine = SparkEngine(session, _register_tables(session, self.source, dataset))
        self._spark_datasets = [dataset]

    def datasets(self) -> list[Dataset]:
        return list(self._spark_datasets)

    def state(self) -> tuple[int, int, int] | None:
        return None  # the source does not change under a running process

    @contextmanager
    def reader(self, sql: str = "") -> Iterator[duckdb.DuckDBPyConnection]:
        raise StoreUnavailable(t("This part of LoyaltyLens runs on its built-in engine only, "
                                 "not on Spark: run it without the Spark engine."))
        yield  # a generator, as the context manager it overrides


def _exported_dataset(session: Any, source: str) -> Dataset:
    """The dataset of the export at ``source`` (its loyaltylens.json, read by Spark: the
    folder may be where only the cluster can read)."""
    try:
        rows = session.read.text(f"{source}/{MANIFEST}", wholetext=True).collect()
        entry = json.loads(rows[0][0])
        return dataset_of_entry(str(entry["id"]), entry)
    except Exception as error:
        raise InputError(t("{source} is not a LoyaltyLens export: it has no readable {file} "
                           "(write one with `loyaltylens export --dataset NAME --parquet "
                           "FOLDER`).", source=source, file=MANIFEST)) from error


def _register_tables(session: Any, source: str, dataset: Dataset
                     ) -> dict[tuple[str, str], str]:
    """A temporary view per table of the export, with the stored columns only (not the
    folder-per-month column); the Spark name of each ``(schema, table)``."""
    names: dict[tuple[str, str], str] = {}
    for kind, info in dataset.tables.items():
        view = f"loyaltylens_{dataset.id}_{kind}"
        frame = session.read.parquet(f"{source}/{kind}")
        frame.select(*[f"`{column}`" for column in info.columns]).createOrReplaceTempView(view)
        names[(dataset.schema, kind)] = view
    return names


# The dashboard on Spark: LOYALTYLENS_ENGINE=spark, the export in LOYALTYLENS_SPARK_SOURCE,
# a cluster's Spark Connect address in LOYALTYLENS_SPARK_REMOTE (none: a local Spark).
ENGINE_ENV_VAR = "LOYALTYLENS_ENGINE"
SOURCE_ENV_VAR = "LOYALTYLENS_SPARK_SOURCE"
REMOTE_ENV_VAR = "LOYALTYLENS_SPARK_REMOTE"


def spark_settings(environ: Mapping[str, str]) -> tuple[str, str | None] | None:
    """The Spark source and remote the environment asks for, or None for DuckDB.

    Raises
    ------
    InputError
        The engine is neither duckdb nor spark, or spark without a source.
    """
    engine = (environ.get(ENGINE_ENV_VAR) or "duckdb").strip().lower()
    if engine == "duckdb":
        return None
    if engine != "spark":
        raise InputError(t("{var} = “{value}” is not an engine: write duckdb or spark.",
                           var=ENGINE_ENV_VAR, value=engine))
    source = (environ.get(SOURCE_ENV_VAR) or "").strip()
    if not source:
        raise InputError(t("{var}=spark needs {source}: the folder of a dataset's Parquet "
                           "export (loyaltylens export).", var=ENGINE_ENV_VAR,
                           source=SOURCE_ENV_VAR))
    return source, (environ.get(REMOTE_ENV_VAR) or "").strip() or None


def open_spark_store(source: str, remote: str | None = None) -> SparkStore:
    """A :class:`SparkStore` on ``source``, through Spark Connect at ``remote`` (none: a
    local Spark on every core)."""
    return SparkStore(spark_session(remote), source)
