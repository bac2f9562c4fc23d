"""Done when (issue 21): every metric command of the CLI prints the same numbers on Spark
(local[2], over the dataset's Parquet export) as on DuckDB, on the CDNOW sample and the
demo, row for row: counts exactly, amounts and rates to 1e-9, NULLs as NULLs."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from metrics.cli import main, spark_commands
from metrics.demo import DEMO_NAME, ensure_demo
from metrics.ingest import ingest_file
from metrics.store import Store
from tests.test_clv_models import cdnow_sample_csv

pytestmark = pytest.mark.spark

# Each command once on both datasets, and the options that choose another query (every
# --metric, a split, a period type, filters) on the dataset that has what they need: the
# Spark job's time is mostly the number of queries (issue 21 keeps CI under 20 minutes).
COMMAND_LINES: tuple[tuple[str, ...], ...] = (
    ("kpis",),
    ("retention", "--period", "year", "--inactivity-days", "30"),
    ("cohorts",),
    ("lifecycle",),
    ("rfm",),
    ("clv", "--customers"),
    ("nps",),
    ("segments", "--by", "rfm"),
)
VARIANTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("CDNOW", ("kpis", "--period", "quarter", "--start", "1997-02-15", "--end", "1998-03-31")),
    ("CDNOW", ("cohorts", "--metric", "revenue", "--unbounded", "--period", "quarter")),
    ("CDNOW", ("segments", "--by", "channel", "--gross-margin", "0.4")),
    ("CDNOW", ("kpis", "--segment", "channel=web")),
    (DEMO_NAME, ("nps", "--by", "Touchpoint")),
)
CASES = [(dataset, line) for line in COMMAND_LINES for dataset in ("CDNOW", DEMO_NAME)] + [
    *VARIANTS]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The CDNOW sample and the demo in one DuckDB store, each exported as Parquet."""
    folder = tmp_path_factory.mktemp("spark_cli")
    db = folder / "db"
    with Store(db) as store:
        ingest_file(store, cdnow_sample_csv(folder), dataset="CDNOW")
        ensure_demo(store)
    sources = {}
    for name in ("CDNOW", DEMO_NAME):
        source = folder / name.replace(" ", "_")
        assert main(["--db", str(db), "export", "--dataset", name,
                     "--parquet", str(source)]) == 0
        sources[name] = source
    yield {"db": db, "sources": sources}


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def same(duckdb_value: Any, spark_value: Any, where: str) -> None:
    """One value: integers exactly, other numbers to 1e-9, NULL as NULL, the rest equal."""
    if duckdb_value is None or spark_value is None:
        assert duckdb_value is spark_value, where
    elif isinstance(duckdb_value, int) and isinstance(spark_value, int):
        assert duckdb_value == spark_value, where
    elif isinstance(duckdb_value, float | int) and isinstance(spark_value, float | int):
        assert math.isclose(duckdb_value, spark_value, rel_tol=1e-9, abs_tol=1e-9), (
            f"{where}: {duckdb_value!r} != {spark_value!r}")
    elif isinstance(duckdb_value, dict) and isinstance(spark_value, dict):
        assert list(duckdb_value) == list(spark_value), where
        for key in duckdb_value:
            same(duckdb_value[key], spark_value[key], f"{where}.{key}")
    elif isinstance(duckdb_value, list) and isinstance(spark_value, list):
        assert len(duckdb_value) == len(spark_value), f"{where}: row counts differ"
        for n, (a, b) in enumerate(zip(duckdb_value, spark_value, strict=True)):
            same(a, b, f"{where}[{n}]")
    else:
        assert duckdb_value == spark_value, where


def test_the_spark_engine_offers_every_metric_command() -> None:
    assert {line[0] for line in COMMAND_LINES} == set(spark_commands())


@pytest.mark.parametrize(("dataset", "command"), CASES,
                         ids=[f"{dataset} {' '.join(line)}" for dataset, line in CASES])
def test_spark_prints_what_duckdb_prints(spark: Any, exported: dict[str, Any], dataset: str,
                                         command: tuple[str, ...],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    options = [*command, "--dataset", dataset]
    on_duckdb = run(capsys, ["--db", str(exported["db"]), *options])
    on_spark = run(capsys, ["--engine", "spark", "--source",
                            str(exported["sources"][dataset]), *options])
    assert on_spark[0] == on_duckdb[0], on_spark[2]
    if on_duckdb[0] != 0:  # e.g. CDNOW has no survey responses: the same sentence
        assert on_spark[2] == on_duckdb[2]
        return
    same(json.loads(on_duckdb[1]), json.loads(on_spark[1]), " ".join(options))


def test_a_command_that_runs_on_duckdb_only_says_so(
        exported: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, ["--engine", "spark", "--source",
                                    str(exported["sources"]["CDNOW"]), "datasets"])
    assert (status, out) == (2, "")
    assert "`datasets` runs on the built-in engine only" in err


def test_a_folder_that_is_no_export_is_refused(spark: Any, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, ["--engine", "spark", "--source", str(tmp_path),
                                    "kpis", "--dataset", "CDNOW"])
    assert (status, out) == (2, "")
    assert "is not a LoyaltyLens export" in err
