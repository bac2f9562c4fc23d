"""Starting the Spark session the Spark engine runs on: a local one or Spark Connect."""

from __future__ import annotations

from typing import Any

from metrics.errors import StoreUnavailable
from metrics.i18n import t

# Local Spark for one machine's data and the tests: no web UI and no progress bar (the CLI
# prints JSON on standard output), few shuffle partitions (the metric results are small;
# Spark's default of 200 spends most of a small query starting tasks), and no adaptive
# execution, which plans each of a metric query's many small stages as a job of its own
# (the KPI query of the demo took 141 s with it and 46 s without, on a busy machine).
LOCAL_CONFIG = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
}


def spark_session(remote: str | None = None, master: str = "local[*]",
                  config: dict[str, str] | None = None) -> Any:
    """A SparkSession: Spark Connect at ``remote`` (``sc://host:15002``) when given, else
    a local session on ``master`` (``local[*]``: every core).

    Raises
    ------
    StoreUnavailable
        pyspark is not installed (``pip install "loyaltylens[spark]"``), or Spark does not
        start (no Java for a local one, no server at ``remote``).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise StoreUnavailable(t("The Spark engine needs pyspark: install it with pip "
                                 "install \"loyaltylens[spark]\".")) from error
    try:
        if remote:
            return SparkSession.builder.remote(remote).getOrCreate()
        builder = SparkSession.builder.master(master).appName("loyaltylens")
        for key, value in {**LOCAL_CONFIG, **(config or {})}.items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
    except Exception as error:  # pyspark's errors (and py4j's) have no common base
        raise StoreUnavailable(t("Spark did not start ({reason}): a local Spark needs Java "
                                 "17 (openjdk-17-jre-headless); check the address of a Spark "
                                 "Connect server.", reason=str(error).strip().splitlines()[0]
                                 if str(error).strip() else type(error).__name__)) from error
    # Spark logs a failed query's whole plan on standard error; the CLI says it in a sentence
    session.sparkContext.setLogLevel("OFF")
    return session
