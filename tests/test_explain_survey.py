"""explain() of the survey measures: for every per-period measure (NPS, CSAT, CLI) and
the whole-range NPS, the inputs recompute the value the survey tables show, the SQL
computes it and the answers behind it count n; and an NPS worked out by hand.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest

from metrics.definitions import SURVEY, SURVEY_SUMMARIES
from metrics.explain import SURVEY_EXPLAINED, explain
from metrics.ingest import ingest_file
from metrics.query.filters import Filters
from metrics.query.run import query_frame, query_row
from metrics.satisfaction import (
    cli_table,
    csat_table,
    nps_margin_of_error,
    nps_overall,
    nps_table,
)
from metrics.store import Dataset, Store
from tests.builders import write_csv
from tests.test_cli import run
from tests.test_satisfaction import ORDERS, SURVEY_HEADER
from tests.test_satisfaction import SURVEY as ANSWERS

# March 2025: 5 promoters (10, 10, 9, 9, 9), 3 passives (8, 7, 7), 2 detractors (6, 0),
# NPS = (5 - 2) / 10 x 100 = +30.0; pP = 0.5, pD = 0.2, variance 0.5 + 0.2 - 0.3² = 0.61,
# margin 1.96 x sqrt(0.61 / 10) x 100 = 1.96 x 0.246982 x 100 = 48.41 points.
# April 2025: two answers (9, 3), NPS 0, left out of March.
MARCH = [("2025-03-01", "a", "10"), ("2025-03-02", "b", "10"), ("2025-03-03", "c", "9"),
         ("2025-03-04", "d", "9"), ("2025-03-05", "e", "9"), ("2025-03-10", "a", "8"),
         ("2025-03-11", "b", "7"), ("2025-03-12", "c", "7"), ("2025-03-20", "d", "6"),
         ("2025-03-31", "e", "0"), ("2025-04-01", "a", "9"), ("2025-04-02", "b", "3")]


def _store(folder: Path, answers: list[tuple[str, ...]], header: tuple[str, ...]
           ) -> tuple[Store, Dataset]:
    store = Store(":memory:")
    ingest_file(store, write_csv(folder / "o.csv", ("customer_id", "order_date", "amount",
                                                    "channel"), ORDERS), dataset="Shop")
    ingest_file(store, write_csv(folder / "r.csv", header, answers), dataset="Shop",
                kind="responses")
    return store, store.dataset("Shop")


@pytest.fixture(scope="module")
def survey(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Dataset]:
    return _store(tmp_path_factory.mktemp("survey"), ANSWERS, SURVEY_HEADER)


def _close(a: float | None, b: object) -> bool:
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return a is None
    assert isinstance(b, int | float)
    return a is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _check_every_survey_measure(store: Store, dataset: Dataset, filters: Filters) -> None:
    """Each per-period measure in every period of its table, and the whole-range NPS:
    value and recompute() equal the table's value, the SQL gives it, the answers behind
    it count n and total the counted groups."""
    tables = {"nps": nps_table, "csat": csat_table, "cli": cli_table}
    for measure, table_of in tables.items():
        table = table_of(store, dataset, filters)
        for record in table.to_dict(orient="records"):
            e = explain(store, dataset, measure, filters, record["period_start"])
            where = f"{measure} {record['period_start']}"
            assert e.period_start == record["period_start"], where
            assert _close(e.value, record[measure]), where
            assert _close(e.recompute(), record[measure]), where
            assert _close(query_row(store, e.sql, e.parameters)[0], record[measure]), where
            rows = query_frame(store, e.rows_sql, e.rows_parameters)
            assert len(rows) == record["responses"], where
            assert len(e.rows) == min(len(rows), 100), where
            if measure == "nps":
                assert (rows["promoters"].sum(), rows["detractors"].sum()) == (
                    record["promoters"], record["detractors"]), where
            elif measure == "csat":
                assert rows["satisfied"].sum() == record["satisfied"], where
            elif len(rows):
                assert _close(float(rows["cli_score"].mean()), record["cli"]), where
    overall = nps_overall(store, dataset, filters).iloc[0]
    e = explain(store, dataset, "nps_overall", filters, filters.start or e.period_start)
    assert _close(e.value, overall["nps"])
    assert _close(e.recompute(), overall["nps"])
    assert _close(query_row(store, e.sql, e.parameters)[0], overall["nps"])
    assert e.inputs["responses"] == overall["responses"]
    assert len(query_frame(store, e.rows_sql, e.rows_parameters)) == overall["responses"]


def test_every_survey_measure_of_the_registry_is_explained() -> None:
    assert {m.id for m in SURVEY} | {"nps_overall"} <= {m.id for m in SURVEY_EXPLAINED}
    assert "nps_overall" in {m.id for m in SURVEY_SUMMARIES}


def test_every_survey_measure_of_the_test_answers(survey: tuple[Store, Dataset]) -> None:
    store, dataset = survey
    _check_every_survey_measure(store, dataset, Filters())
    _check_every_survey_measure(store, dataset, Filters(period="quarter"))
    _check_every_survey_measure(
        store, dataset, Filters(segments=Filters.segment_items({"channel": ["Online"]})))


def test_every_survey_measure_of_the_demo(demo_store: Store) -> None:
    _check_every_survey_measure(demo_store, demo_store.dataset("Demo shop"), Filters())


def test_an_nps_worked_out_by_hand(tmp_path: Path) -> None:
    store, dataset = _store(tmp_path, MARCH, ("Date", "Customer", "NPS"))
    e = explain(store, dataset, "nps", Filters(), date(2025, 3, 17))
    assert (e.period_start.isoformat(), e.period_end.isoformat()) == ("2025-03-01",
                                                                      "2025-03-31")
    assert dict(e.inputs) == {"responses": 10, "promoters": 5, "detractors": 2}
    assert e.value == pytest.approx(30.0)
    assert e.recompute() == pytest.approx(30.0)
    assert "1.96 × √((pP + pD − (pP − pD)²) ÷ n) × 100" in e.formula
    assert nps_margin_of_error(5, 2, 10) == pytest.approx(48.41, abs=0.005)
    assert list(e.rows["nps_score"]) == [10, 10, 9, 9, 9, 8, 7, 7, 6, 0]
    assert list(e.rows["score_group"]) == ["promoter"] * 5 + ["passive"] * 3 + [
        "detractor"] * 2
    assert e.parameters["explained_period_start"] == date(2025, 3, 1)
    assert query_row(store, e.sql, e.parameters)[0] == pytest.approx(30.0)
    # the whole range: 6 promoters, 3 detractors of 12 answers = +25.0
    whole = explain(store, dataset, "nps_overall", Filters(), date(2025, 4, 1))
    assert dict(whole.inputs) == {"responses": 12, "promoters": 6, "detractors": 3}
    assert whole.value == pytest.approx(25.0)
    assert (whole.period_start.isoformat(), whole.period_end.isoformat()) == ("2025-03-01",
                                                                              "2025-04-02")


def test_the_cli_explains_the_nps_the_nps_command_shows(tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    answers = write_csv(tmp_path / "r.csv", ("Date", "Customer", "NPS"), MARCH)
    assert run("ingest", str(answers), "--dataset", "Shop", "--kind", "responses",
               db=db).returncode == 0
    shown = json.loads(run("nps", "--dataset", "Shop", "--format", "json", db=db).stdout)
    march = next(row for row in shown if row["period"] == "2025-03-01")
    result = run("explain", "--metric", "nps", "--dataset", "Shop", "--period", "2025-03",
                 "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["value"] == pytest.approx(march["nps"]) == pytest.approx(30.0)
    assert {item["id"]: item["value"] for item in data["inputs"]} == {
        "responses": 10, "promoters": 5, "detractors": 2}
    assert len(data["rows"]) == 10
