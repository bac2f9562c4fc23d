"""``loyaltylens nps``: the JSON and CSV shape, and the hand-worked NPS of
tests/test_satisfaction.py through the installed command."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from tests.builders import write_csv
from tests.test_cli import run
from tests.test_satisfaction import ORDERS, SURVEY, SURVEY_HEADER

COLUMNS = ["period", "responses", "promoters", "passives", "detractors", "nps",
           "margin_of_error"]


@pytest.fixture(scope="module")
def shop_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shop's orders and survey ingested through the command once for the module."""
    folder = tmp_path_factory.mktemp("cli_satisfaction")
    path = folder / "cli.duckdb"
    orders = write_csv(folder / "o.csv", ("customer_id", "order_date", "amount", "channel"),
                       ORDERS)
    survey = write_csv(folder / "r.csv", SURVEY_HEADER, SURVEY)
    for args in (("ingest", str(orders), "--dataset", "Shop"),
                 ("ingest", str(survey), "--dataset", "Shop", "--kind", "responses")):
        result = run(*args, db=path)
        assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def db(shop_template: Path, tmp_path: Path) -> Path:
    """A copy of the ingested shop for one test (one test stores another dataset)."""
    path = tmp_path / "cli.duckdb"
    shutil.copytree(shop_template, path)
    return path


def test_nps_per_month_as_json(db: Path) -> None:
    result = run("nps", "--dataset", "Shop", "--period", "month", "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [list(row) for row in rows] == [COLUMNS] * 4
    # worked out in tests/test_satisfaction.py: January 0 ± 78.4; February, one passive:
    # 0 ± 0; March without answers; April, no detractor: 75 ± 42.435
    assert [(r["period"], r["responses"], r["promoters"], r["passives"], r["detractors"])
            for r in rows] == [("2025-01-01", 5, 2, 1, 2), ("2025-02-01", 1, 0, 1, 0),
                               ("2025-03-01", 0, 0, 0, 0), ("2025-04-01", 4, 3, 1, 0)]
    assert [r["nps"] for r in rows] == [0.0, 0.0, None, 75.0]
    assert rows[0]["margin_of_error"] == pytest.approx(78.4)
    assert rows[2]["margin_of_error"] is None
    assert rows[3]["margin_of_error"] == pytest.approx(42.4352, abs=1e-4)


def test_nps_by_a_segment_as_csv(db: Path) -> None:
    result = run("nps", "--dataset", "Shop", "--period", "quarter", "--by", "Touchpoint",
                 "--format", "csv", db=db)
    assert result.returncode == 0, result.stderr
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(table[0]) == ["period", "Touchpoint", *COLUMNS[1:]]
    # Q1: Online 10, 7, 8 -> 33.3; Store 9 -> 100; Support 3, 6 -> -100
    first = {row["Touchpoint"]: row for row in table if row["period"] == "2025-01-01"}
    assert {k: (int(v["responses"]), float(v["nps"])) for k, v in first.items()} == {
        "Online": (3, pytest.approx(100 / 3)), "Store": (1, 100.0), "Support": (2, -100.0)}


def test_nps_with_a_segment_filter_and_dates(db: Path) -> None:
    result = run("nps", "--dataset", "Shop", "--segment", "channel=Store", "--start",
                 "2025-04-01", "--end", "2025-04-30", db=db)
    assert result.returncode == 0, result.stderr
    assert [(r["responses"], r["nps"]) for r in json.loads(result.stdout)] == [(1, 100.0)]


def test_nps_without_responses_says_what_to_upload(db: Path, tmp_path: Path) -> None:
    orders = write_csv(tmp_path / "o2.csv", ("customer_id", "order_date", "amount"),
                       [("a", "2025-01-01", "10")])
    assert run("ingest", str(orders), "--dataset", "Orders only", db=db).returncode == 0
    result = run("nps", "--dataset", "Orders only", db=db)
    assert result.returncode == 2
    assert "has no survey responses: upload a survey export" in result.stderr
    result = run("nps", "--dataset", "Shop", "--by", "Nowhere", db=db)
    assert result.returncode == 2
    assert "“Nowhere” is not a segment of the survey responses" in result.stderr
