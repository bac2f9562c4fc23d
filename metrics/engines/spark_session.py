"""Starting the Spark session the Spark engine runs on: a local one or Spark Connect."""

from __future__ import annotations

from typing import Any

# Local Spark for one machine's data and the tests: no web UI and no progress bar (the CLI
# prints JSON on standard output), few shuffle partitions (the metric results are small;
# Spark's default of 200 spends most of a small query starting tasks).
LOCAL_CONFIG = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.session.timeZone": "UTC",
}


def spark_session(remote: str | None = None, master: str = "local[*]",
                  config: dict[str, str] | None = None) -> Any:
    """A SparkSession: Spark Connect at ``remote`` (``sc://host:15002``) when given, else
    a local session on ``master`` (``local[*]``: every core).

    Raises
    ------
    ImportError
        pyspark is not installed (``pip install "loyaltylens[spark]"``).
    """
    from pyspark.sql import SparkSession

    if remote:
        return SparkSession.builder.remote(remote).getOrCreate()
    builder = SparkSession.builder.master(master).appName("loyaltylens")
    for key, value in {**LOCAL_CONFIG, **(config or {})}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
