"""explain() of the Satisfaction page's figures besides NPS, CSAT and CLI per period: for
every entry of the family and every number of its table (a period of the NPS mix, the
latest answers' NPS, a score, a segment value, an NPS group and window), the inputs
recompute the value the table shows, the SQL computes it and the answers behind it
count and total the inputs; an NPS of a segment value worked out by hand; the CLI."""

from __future__ import annotations

import json
import pickle
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from metrics.errors import InputError
from metrics.explain import explain
from metrics.explain.survey import SURVEY_FIGURES_EXPLAINED
from metrics.query.filters import Filters
from metrics.query.run import query_frame, query_row
from metrics.registry import entry
from metrics.satisfaction import satisfaction_segments
from metrics.store import Dataset, Store
from tests.builders import write_csv
from tests.test_cli import run
from tests.test_explain_survey import _close, _store
from tests.test_satisfaction import ORDERS, SURVEY_HEADER
from tests.test_satisfaction import SURVEY as ANSWERS

# The inputs counted or summed by a column of the rows behind them, by that column.
_ROW_TOTALS = ("promoters", "detractors", "ordered_again", "revenue")
# The inputs the rows behind them count, one row each.
_ROW_COUNTS = {"nps_latest": "responses", "nps_segment": "responses",
               "score_answers": "score_answers", "score_share": "score_answers",
               "promoter_share": "responses", "passive_share": "responses",
               "detractor_share": "responses", "behaviour_ordered_again": "followed",
               "behaviour_revenue_per_answer": "followed", "cli_recommend": "cli_responses",
               "cli_buy_again": "cli_responses", "cli_other_products": "cli_responses"}
# The questions' means and the column of the rows they are the mean of.
_ROW_MEANS = {"cli_recommend": "cli_q1", "cli_buy_again": "cli_q2",
              "cli_other_products": "cli_q3"}


def _numbers(store: Store, dataset: Dataset, filters: Filters, metric_id: str
             ) -> list[tuple[dict[str, Any], object]]:
    """Every number of the metric's table: how explain() names it, and its value."""
    registered = entry(metric_id)
    column = registered.value_column
    if metric_id in ("nps_segment",):
        found = []
        for by in satisfaction_segments(dataset):
            table = registered.table(store, dataset, filters, by=by)
            found += [({"group": f"{by}={'' if r['group_value'] is None else r['group_value']}"},
                       r[column]) for r in table.to_dict(orient="records")]
        return found
    table = registered.table(store, dataset, filters)
    records = table.to_dict(orient="records")
    if "period_start" in table:
        return [({"period_start": r["period_start"]}, r[column]) for r in records]
    if "score" in table:
        return [({"group": str(r["score"])}, r[column]) for r in records]
    if "window_months" in table:
        return [({"group": f"{r['score_group']}/{r['window_months']}"}, r[column])
                for r in records]
    return [({}, records[0][column])]


def _check_every_survey_figure(store: Store, dataset: Dataset, filters: Filters) -> None:
    for metric in SURVEY_FIGURES_EXPLAINED:
        numbers = _numbers(store, dataset, filters, metric.id)
        assert numbers, metric.id
        for at, shown in numbers:
            where = f"{metric.id} {at}"
            e = explain(store, dataset, metric.id, filters, **at)
            assert _close(e.value, shown), where
            assert _close(e.recompute(), shown), where
            assert _close(pickle.loads(pickle.dumps(e)).recompute(), shown), where
            assert _close(query_row(store, e.sql, e.parameters)[0], shown), where
            rows = query_frame(store, e.rows_sql, e.rows_parameters)
            assert len(rows) == e.inputs[_ROW_COUNTS[metric.id]], where
            assert len(e.rows) == min(len(rows), 100), where
            for name in set(_ROW_TOTALS) & set(e.inputs):
                assert _close(e.inputs[name], float(rows[name].sum())), where
            if metric.id in _ROW_MEANS and len(rows):
                assert _close(float(rows[_ROW_MEANS[metric.id]].mean()), shown), where


@pytest.fixture(scope="module")
def survey(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Dataset]:
    return _store(tmp_path_factory.mktemp("survey"), ANSWERS, SURVEY_HEADER)


def test_every_survey_figure_of_the_test_answers(survey: tuple[Store, Dataset]) -> None:
    store, dataset = survey
    _check_every_survey_figure(store, dataset, Filters())
    _check_every_survey_figure(store, dataset, Filters(period="quarter"))
    _check_every_survey_figure(
        store, dataset, Filters(segments=Filters.segment_items({"channel": ["Online"]})))


def test_every_survey_figure_of_the_demo(demo_store: Store) -> None:
    _check_every_survey_figure(demo_store, demo_store.dataset("Demo shop"), Filters())


def test_the_nps_of_a_touchpoint_worked_out_by_hand(survey: tuple[Store, Dataset]) -> None:
    """The answers at the Online touchpoint (tests/test_satisfaction.py): a 10, c 7, a 8,
    c 9 and e 8, five answers with two promoters (10, 9) and no detractor: NPS =
    (2 − 0) ÷ 5 × 100 = +40."""
    store, dataset = survey
    e = explain(store, dataset, "nps_segment", Filters(), group="Touchpoint=Online")
    assert dict(e.inputs) == {"responses": 5, "promoters": 2, "detractors": 0}
    assert e.value == pytest.approx(40.0) == e.recompute()
    assert sorted(e.rows["nps_score"]) == [7, 8, 8, 9, 10]
    assert e.detail == {"group": "Touchpoint=Online"}
    # the answers without a touchpoint value have none here: every answer has one
    with pytest.raises(InputError, match="they are: Store, Online, Support"):
        explain(store, dataset, "nps_segment", Filters(), group="Touchpoint=Phone")


def test_the_mix_and_the_scores_worked_out_by_hand(survey: tuple[Store, Dataset]) -> None:
    """January 2025: 10, 9, 7, 3, 6: two promoters, one passive, two detractors of five
    (40%, 20%, 40%). Over the range, three of the ten answers gave 9: 30%."""
    store, dataset = survey
    january = date(2025, 1, 1)
    assert explain(store, dataset, "promoter_share", Filters(), january).value == 40.0
    passives = explain(store, dataset, "passive_share", Filters(), january)
    assert dict(passives.inputs) == {"passives": 1, "responses": 5}
    assert passives.value == 20.0
    nines = explain(store, dataset, "score_share", Filters(), group="9")
    assert dict(nines.inputs) == {"score_answers": 3, "responses": 10}
    assert nines.value == pytest.approx(30.0)
    assert list(nines.rows["nps_score"]) == [9, 9, 9]
    # April's CLI answers (6, 6, 6), (6, 5, 6), (4, 5, 3): would buy again (6 + 5 + 5) ÷ 3
    again = explain(store, dataset, "cli_buy_again", Filters(), date(2025, 4, 1))
    assert dict(again.inputs) == {"cli_responses": 3, "cli_buy_again": pytest.approx(16 / 3)}
    assert again.recompute() == pytest.approx(16 / 3)


@pytest.mark.parametrize(("metric_id", "group", "listed"), [
    ("score_share", "11", "a score from 0 to 10"),
    ("nps_segment", "Region=North", "the NPS can be split by: Touchpoint, channel, rfm"),
    ("behaviour_ordered_again", "promoter/3", "they are: promoter/6, promoter/12, "),
])
def test_an_unknown_number_is_one_sentence_listing_them(
        survey: tuple[Store, Dataset], metric_id: str, group: str, listed: str) -> None:
    store, dataset = survey
    with pytest.raises(InputError, match=listed):
        explain(store, dataset, metric_id, Filters(), group=group)


def test_the_cli_explains_a_touchpoints_nps(tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    orders = write_csv(tmp_path / "o.csv", ("customer_id", "order_date", "amount", "channel"),
                       ORDERS)
    answers = write_csv(tmp_path / "r.csv", SURVEY_HEADER, ANSWERS)
    assert run("ingest", str(orders), "--dataset", "Shop", db=db).returncode == 0
    assert run("ingest", str(answers), "--dataset", "Shop", "--kind", "responses",
               db=db).returncode == 0
    result = run("explain", "--metric", "nps_segment", "--group", "Touchpoint=Online",
                 "--dataset", "Shop", "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    inputs = {item["id"]: item["value"] for item in data["inputs"]}
    assert inputs == {"responses": 5, "promoters": 2, "detractors": 0}
    assert data["value"] == pytest.approx(
        100 * (inputs["promoters"] - inputs["detractors"]) / inputs["responses"])
