"""``loyaltylens explain`` of the CLV page's numbers: the simple CLV's JSON gives its factors
as inputs that recompute it (the two-year shop of tests/test_clv_simple.py, worked out by
hand there: AOV 740 / 7 x 1.4 purchases a year x 2 years = 296), and a historic CLV cell
is picked with --period and --offset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.builders import write_csv
from tests.test_cli import run
from tests.test_clv_simple import ORDERS


@pytest.fixture
def shop_db(tmp_path: Path) -> Path:
    db = tmp_path / "cli.duckdb"
    orders = write_csv(tmp_path / "orders.csv",
                       ("Customer ID", "Order date", "Amount", "Channel"), ORDERS)
    assert run("ingest", str(orders), "--dataset", "Shop", db=db).returncode == 0
    return db


def test_explain_simple_clv_json_gives_factors_that_recompute_it(shop_db: Path) -> None:
    result = run("explain", "--metric", "clv_simple", "--dataset", "Shop",
                 "--inactivity-days", "90", "--format", "json", db=shop_db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["metric"], data["unit"]) == ("clv_simple", "currency")
    inputs = {item["id"]: item["value"] for item in data["inputs"]}
    assert inputs == {"clv_aov": pytest.approx(740 / 7), "clv_purchases_per_year": 1.4,
                      "clv_lifespan": 2.0, "clv_gross_margin": None}
    assert data["value"] == pytest.approx(
        inputs["clv_aov"] * inputs["clv_purchases_per_year"] * inputs["clv_lifespan"])
    assert data["value"] == pytest.approx(296.0)
    assert (data["period_start"], data["period_end"]) == ("2024-01-01", "2024-12-31")
    assert data["parameters"]["window_start"] == "2024-01-01"
    # the customers behind it total the counts and sums of its factors
    assert sum(row["orders"] for row in data["rows"]) == 7
    assert sum(row["revenue"] for row in data["rows"]) == pytest.approx(740.0)


def test_explain_a_historic_clv_cell_by_cohort_and_age(shop_db: Path) -> None:
    # the December 2023 cohort (B, D) three months on: (50 + 60 - 20 + 90) / 2 = 90
    result = run("explain", "--metric", "clv_historic", "--dataset", "Shop", "--period",
                 "2023-12", "--offset", "3", "--format", "json", db=shop_db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    inputs = {item["id"]: item["value"] for item in data["inputs"]}
    assert inputs == {"cumulative_revenue": 180.0, "customers": 2}
    assert data["value"] == pytest.approx(inputs["cumulative_revenue"] / inputs["customers"])
    assert data["offset"] == 3


def test_explain_takes_the_pages_options(shop_db: Path) -> None:
    # web's simple CLV (tests/test_clv_simple.py): AOV 68 x 1.25 a year x 1.5 years = 127.5,
    # with a 25% margin 31.875
    result = run("explain", "--metric", "clv_simple", "--dataset", "Shop",
                 "--inactivity-days", "90", "--by", "channel", "--group", "web",
                 "--gross-margin", "0.25", "--format", "json", db=shop_db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    inputs = {item["id"]: item["value"] for item in data["inputs"]}
    assert inputs == {"clv_aov": 68.0, "clv_purchases_per_year": 1.25,
                      "clv_lifespan": pytest.approx(1.5), "clv_gross_margin": 0.25}
    assert data["value"] == pytest.approx(31.875)
    assert data["group"] == "web"
