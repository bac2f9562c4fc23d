"""``loyaltylens explain``: the JSON shape, inputs that recompute the value ``kpis`` prints,
the text form a person reads, and errors as one sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import run


def test_explain_json_has_the_documented_fields_and_inputs_that_recompute_the_value(
        small_cli_db: Path) -> None:
    result = run("explain", "--metric", "retention_rate", "--dataset", "Small", "--period",
                 "2024-03", "--inactivity-days", "30", "--format", "json", db=small_cli_db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"metric", "label", "unit", "definition", "formula", "period_start",
                         "period_end", "value", "inputs", "sql", "parameters", "rows_sql",
                         "rows_parameters", "rows"}
    assert (data["metric"], data["unit"]) == ("retention_rate", "percent")
    assert (data["period_start"], data["period_end"]) == ("2024-03-01", "2024-03-31")
    inputs = {item["id"]: item["value"] for item in data["inputs"]}
    assert inputs == {"start_customers": 3, "new_customers": 1, "end_customers": 2}
    s, n, e = inputs["start_customers"], inputs["new_customers"], inputs["end_customers"]
    assert data["value"] == pytest.approx((e - n) / s * 100)
    assert all(item["label"] for item in data["inputs"])
    assert data["parameters"]["explained_period_start"] == "2024-03-01"
    assert data["parameters"]["inactivity_days"] == 30
    assert "$explained_period_start" in data["sql"]
    # the rows behind it: the customers of S, N or E, each flagged
    assert [row["customer_id"] for row in data["rows"]] == ["A", "C", "D", "E"]
    assert sum(row["end_customers"] for row in data["rows"]) == e
    # the same value as the kpis command prints for March
    kpis = json.loads(run("kpis", "--dataset", "Small", "--inactivity-days", "30",
                          db=small_cli_db).stdout)
    march = next(record for record in kpis if record["period"] == "2024-03-01")
    assert data["value"] == pytest.approx(march["retention_rate"])


def test_explain_text_prints_definition_inputs_sql_parameters_and_rows(small_cli_db: Path) -> None:
    result = run("explain", "--metric", "aov", "--dataset", "Small", "--period", "2024-Q1",
                 "--period-type", "quarter", "--inactivity-days", "30", db=small_cli_db)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    # Q1 2024: orders 100, 50, 200, 90, 80, 30, 70, 20, 60 and a refund of 30
    # revenue = 700 - 30 = 670 over 9 orders
    assert "Revenue ÷ orders: the average order value." in text
    assert "Formula: revenue ÷ orders" in text
    assert "Revenue (revenue) = 670" in text
    assert "Orders (orders) = 9" in text
    assert f"Value: {670 / 9:.6g}" in text
    assert "WHERE kpis.period_start = $explained_period_start" in text
    assert '"explained_period_start": "2024-01-01"' in text
    assert "Rows behind it (the first 10):" in text


def test_explain_of_an_unknown_metric_is_one_sentence(small_cli_db: Path) -> None:
    result = run("explain", "--metric", "happiness", "--dataset", "Small", "--period",
                 "2024-03", db=small_cli_db)
    assert result.returncode == 2
    assert result.stderr.startswith("error: “happiness” is not a metric that can be explained")
    assert "Traceback" not in result.stderr
