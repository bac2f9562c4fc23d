"""explain() of the RFM segments' figures: for every entry of the family and every
segment, the inputs recompute the value :func:`metrics.rfm.rfm_summary` shows, the SQL
computes it and the customers behind it total the counts and sums; a segment worked out
by hand; the CLI; unknown segments as one sentence."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from metrics.errors import InputError
from metrics.explain import explain
from metrics.explain.rfm import RFM_EXPLAINED
from metrics.query.filters import Filters
from metrics.query.rfm import RFM_SEGMENTS
from metrics.query.run import query_frame, query_row
from metrics.registry import entry
from metrics.store import Dataset, Store
from tests.builders import write_csv
from tests.test_cli import run
from tests.test_explain_survey import _close
from tests.test_rfm import FROM_2024, HEADER, ORDERS, fixture_store

# The inputs that are sums of a column of the rows behind them (the segment's customers).
_ROW_TOTALS = ("recency_days", "frequency", "monetary")


def _check_every_rfm_figure(store: Store, dataset: Dataset, filters: Filters) -> None:
    """Each RFM figure of every segment: value and recompute() equal rfm_summary's, the
    SQL with its parameters gives it, the rows are the segment's customers and total the
    inputs, and the explanation survives pickling (the dashboard caches it)."""
    for metric in RFM_EXPLAINED:
        registered = entry(metric.id)
        table = registered.table(store, dataset, filters)
        assert list(table["segment"]) == list(RFM_SEGMENTS)
        for record in table.to_dict(orient="records"):
            shown, where = record[registered.value_column], f"{metric.id} {record['segment']}"
            e = explain(store, dataset, metric.id, filters, group=record["segment"])
            assert _close(e.value, shown), where
            assert _close(e.recompute(), shown), where
            assert _close(pickle.loads(pickle.dumps(e)).recompute(), shown), where
            assert _close(query_row(store, e.sql, e.parameters)[0], shown), where
            rows = query_frame(store, e.rows_sql, e.rows_parameters)
            assert len(rows) == record["customers"], where
            assert len(e.rows) == min(len(rows), 100), where
            if "rfm_customers" in e.inputs:
                assert e.inputs["rfm_customers"] == len(rows), where
            for name in set(_ROW_TOTALS) & set(e.inputs):
                assert _close(e.inputs[name] or 0.0, float(rows[name].sum())), where


def test_every_rfm_figure_of_the_fixture(tmp_path: Path) -> None:
    store, dataset = fixture_store(tmp_path)
    _check_every_rfm_figure(store, dataset, FROM_2024)
    _check_every_rfm_figure(store, dataset, Filters())


def test_every_rfm_figure_of_the_demo(demo_store: Store) -> None:
    _check_every_rfm_figure(demo_store, demo_store.dataset("Demo shop"), Filters())


def test_the_champions_worked_out_by_hand(tmp_path: Path) -> None:
    """From 1 January 2024 (tests/test_rfm.py works out every customer's scores): the
    Champions are c01 (R 5, F 5, M 5; 0 days, 4 purchase days, 400), c02 (5, 5, 3; 2 days,
    3, 150) and c03 (4, 4, 4; 10 days, 2, 300). Ten customers bought, for 400 + 150 +
    300 + 30 + 250 + 90 + 60 + 500 + 20 + 90 = 1,890, so the Champions are 3 ÷ 10 = 30%
    of the customers and 850 ÷ 1,890 = 44.97% of the revenue; their mean recency is
    (0 + 2 + 10) ÷ 3 = 4 days, frequency (4 + 3 + 2) ÷ 3 = 3 days, spend 850 ÷ 3."""
    store, dataset = fixture_store(tmp_path)
    expected = {"rfm_customers": 3, "rfm_share": 30.0, "rfm_revenue": 850.0,
                "rfm_revenue_share": 100 * 850 / 1890, "rfm_avg_recency_days": 4.0,
                "rfm_avg_frequency": 3.0, "rfm_avg_monetary": 850 / 3}
    for metric_id, value in expected.items():
        e = explain(store, dataset, metric_id, FROM_2024, group="Champions")
        assert e.value == pytest.approx(value), metric_id
        assert e.recompute() == pytest.approx(value), metric_id
        assert e.detail == {"group": "Champions"}
    e = explain(store, dataset, "rfm_revenue_share", FROM_2024, group="Champions")
    assert dict(e.inputs) == {"monetary": 850.0, "scored_revenue": 1890.0}
    share = explain(store, dataset, "rfm_share", FROM_2024, group="Champions")
    assert dict(share.inputs) == {"rfm_customers": 3, "scored_customers": 10}
    assert list(share.rows["customer_id"]) == ["c01", "c03", "c02"]  # highest spend first
    assert [tuple(r) for r in share.rows[["r", "f", "m"]].itertuples(index=False)] == [
        (5, 5, 5), (4, 4, 4), (5, 5, 3)]
    assert "quintiles" in share.formula and "Champions: R 4–5, FM 4–5" in share.formula
    assert (share.period_start.isoformat(), share.period_end.isoformat()) == (
        "2024-01-01", "2024-03-30")


def test_an_empty_segment_has_no_means(tmp_path: Path) -> None:
    """No customer is Loyal from 1 January 2024: 0 customers, 0 revenue, no mean."""
    store, dataset = fixture_store(tmp_path)
    assert explain(store, dataset, "rfm_customers", FROM_2024, group="Loyal").value == 0
    e = explain(store, dataset, "rfm_avg_monetary", FROM_2024, group="Loyal")
    assert e.value is None and e.recompute() is None and e.rows.empty


@pytest.mark.parametrize("group", [None, "Champs"])
def test_a_missing_or_unknown_segment_is_one_sentence_listing_them(
        tmp_path: Path, group: str | None) -> None:
    store, dataset = fixture_store(tmp_path)
    with pytest.raises(InputError, match="the RFM segments are: Champions, Loyal, "):
        explain(store, dataset, "rfm_share", FROM_2024, group=group)


def test_the_cli_explains_a_segment_share(tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    orders = write_csv(tmp_path / "o.csv", HEADER, ORDERS)
    assert run("ingest", str(orders), "--dataset", "Shop", db=db).returncode == 0
    result = run("explain", "--metric", "rfm_revenue_share", "--group", "Champions",
                 "--dataset", "Shop", "--start", "2024-01-01", "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    inputs = {item["id"]: item["value"] for item in data["inputs"]}
    assert inputs == {"monetary": 850.0, "scored_revenue": 1890.0}
    assert data["value"] == pytest.approx(100 * inputs["monetary"] / inputs["scored_revenue"])
    assert data["group"] == "Champions"
    assert sum(row["monetary"] for row in data["rows"]) == pytest.approx(850.0)
