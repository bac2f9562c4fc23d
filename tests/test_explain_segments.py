"""explain() of the segment comparison's figures: for every entry of the family and every
value compared, the inputs recompute the value :func:`metrics.segments.segment_summary`
shows, the SQL computes it and the customers behind it total the counts and sums; a
value worked out by hand; the CLI; unknown values as one sentence."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from metrics.errors import InputError
from metrics.explain import explain
from metrics.explain.segments import SEGMENT_EXPLAINED
from metrics.query.filters import Filters
from metrics.query.run import query_frame, query_row
from metrics.query.segments import RFM_SEGMENT
from metrics.registry import entry
from metrics.store import Dataset, Store
from tests.builders import small_store
from tests.test_cli import run
from tests.test_explain_survey import _close

# The inputs that are totals of a column of the rows behind them (the value's customers).
_ROW_TOTALS = ("customers", "orders", "revenue", "repeat_customers")


def _check_every_segment_figure(store: Store, dataset: Dataset, filters: Filters, by: str
                                ) -> None:
    """Each figure of every value of segment ``by``: value and recompute() equal
    segment_summary's, the SQL with its parameters gives it, the rows total the counts
    and sums, the explanation survives pickling and covers the row's days."""
    table = entry(SEGMENT_EXPLAINED[0].id).table(store, dataset, filters, by=by)
    assert len(table)
    for metric in SEGMENT_EXPLAINED:
        column = entry(metric.id).value_column
        for record in table.to_dict(orient="records"):
            shown, where = record[column], f"{metric.id} {by}={record['value']}"
            e = explain(store, dataset, metric.id, filters, group=f"{by}={record['value']}")
            assert _close(e.value, shown), where
            assert _close(e.recompute(), shown), where
            assert _close(pickle.loads(pickle.dumps(e)).recompute(), shown), where
            assert _close(query_row(store, e.sql, e.parameters)[0], shown), where
            assert (e.period_start, e.period_end) == (record["window_start"],
                                                      record["window_end"]), where
            if "window_days" in e.inputs:
                days = (record["window_end"] - record["window_start"]).days + 1
                assert e.inputs["window_days"] == days, where
            rows = query_frame(store, e.rows_sql, e.rows_parameters)
            assert len(e.rows) == min(len(rows), 100), where
            for name in set(_ROW_TOTALS) & set(e.inputs):
                assert _close(e.inputs[name], float(rows[name].sum())), where
                assert _close(float(rows[name].sum()), record.get(name, e.inputs[name]))


def test_every_segment_figure_of_the_small_shop() -> None:
    store, dataset = small_store()
    for filters in (Filters(), Filters(inactivity_days=30, period="quarter")):
        _check_every_segment_figure(store, dataset, filters, "channel")
        _check_every_segment_figure(store, dataset, filters, RFM_SEGMENT)


def test_every_segment_figure_of_the_demo(demo_store: Store) -> None:
    _check_every_segment_figure(demo_store, demo_store.dataset("Demo shop"), Filters(),
                                "channel")


def test_the_web_channel_worked_out_by_hand() -> None:
    """The small shop's web orders (tests/data/orders_small.csv): A bought 100, 50, 80 and
    60 (4 purchases, 290), C bought 30 and had it refunded (1 purchase, 0), D bought 70
    and 20 (2 purchases, 90): 3 customers, 7 purchases, 380 revenue, AOV 380 ÷ 7, two
    repeat customers (A, D) of three: 66.7%. The days run from the first order, 5
    January 2024, to the last, 15 April: 27 + 29 + 31 + 15 = 102."""
    store, dataset = small_store()
    expected = {"segment_customers": 3, "segment_orders": 7, "segment_revenue": 380.0,
                "segment_aov": 380 / 7, "segment_repeat_purchase_rate": 100 * 2 / 3}
    for metric_id, value in expected.items():
        e = explain(store, dataset, metric_id, Filters(), group="channel=web")
        assert e.value == pytest.approx(value), metric_id
        assert e.recompute() == pytest.approx(value), metric_id
    e = explain(store, dataset, "segment_clv", Filters(), group="web")  # the value alone
    assert e.detail == {"group": "channel=web"}
    assert {k: e.inputs[k] for k in ("revenue", "orders", "customers", "window_days")} == {
        "revenue": 380, "orders": 7, "customers": 3, "window_days": 102}
    rows = e.rows.set_index("customer_id")
    assert rows.loc[["A", "C", "D"], "orders"].tolist() == [4, 1, 2]
    assert rows.loc[["A", "C", "D"], "revenue"].tolist() == [290, 0, 90]


@pytest.mark.parametrize(("group", "listed"), [
    ("channel=post", "its values are: web, store."),
    ("post", "they are: channel=web, channel=store, rfm=Champions"),
    (None, "they are: channel=web, channel=store, rfm=Champions"),
])
def test_an_unknown_value_is_one_sentence_listing_them(group: str | None, listed: str
                                                       ) -> None:
    store, dataset = small_store()
    with pytest.raises(InputError, match=listed):
        explain(store, dataset, "segment_aov", Filters(), group=group)


def test_the_cli_explains_a_segment_values_aov(small_cli_db: Path) -> None:
    db = small_cli_db  # the small shop, ingested through the command
    result = run("explain", "--metric", "segment_aov", "--group", "channel=web",
                 "--dataset", "Small", "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    inputs = {item["id"]: item["value"] for item in data["inputs"]}
    assert inputs == {"revenue": 380, "orders": 7}
    assert data["value"] == pytest.approx(inputs["revenue"] / inputs["orders"])
    assert sum(row["orders"] for row in data["rows"]) == 7
