"""explain() of the KPI table's figures computed from sums the table does not hold (the
spread of order values, :data:`metrics.explain.periods.ROW_SUMS_EXPLAINED`): on the small
shop and the demo, the value and recompute() equal the KPI table's, the SQL with its
parameters computes the value and the inputs, the orders behind it total every input, and
the explanation survives the dashboard's pickling.

Worked out by hand on the small shop (``orders_small.csv``), February 2024: C's 30 and A's
80 are the purchases, C's refund of 30 is left out: n = 2, Σx = 110, Σx² = 900 + 6,400 =
7,300; SD = √((7,300 − 110² ÷ 2) ÷ 1) = √1,250 = 50 ÷ √2 = 35.36. April has one order
(B's 40): no spread.
"""

from __future__ import annotations

import json
import math
import pickle
from datetime import date
from pathlib import Path

import pytest

from metrics.cli import main
from metrics.explain import FORMULAS, explain
from metrics.explain.periods import ROW_SUMS_EXPLAINED
from metrics.ingest import ingest_file
from metrics.kpis import kpi_table
from metrics.query.filters import Filters
from metrics.query.run import query_frame, query_row
from metrics.store import Dataset, Store
from tests.builders import SMALL_ORDERS, small_store


def _number(value: object) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)  # type: ignore[arg-type]


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _check_every_metric(store: Store, dataset: Dataset, filters: Filters,
                        periods: list[date]) -> None:
    table = kpi_table(store, dataset, filters).set_index("period_start")
    assert ROW_SUMS_EXPLAINED
    for metric in ROW_SUMS_EXPLAINED:
        for period in periods:
            shown = _number(table.loc[period, metric.id])
            e = explain(store, dataset, metric.id, filters, period)
            where = f"{metric.id} {period}"
            assert _close(e.value, shown), (where, e.value, shown)
            assert _close(e.recompute(), shown), where
            assert _close(pickle.loads(pickle.dumps(e)).recompute(), shown), where
            for name, value in e.inputs.items():
                if name not in FORMULAS[metric.id].row_sums:  # a column of the KPI table
                    assert _close(value, _number(table.loc[period, name])), where
            row = query_row(store, e.sql, e.parameters)
            assert _close(_number(row[0]), shown), where
            assert [_number(v) for v in row[1:]] == list(e.inputs.values()), where
            rows = query_frame(store, e.rows_sql, e.rows_parameters)
            assert len(e.rows) == min(len(rows), 100), where
            for name, value in e.inputs.items():
                # every input is a column of the orders behind it, and its total
                assert _close(float(rows[name].sum()), value), f"{where} {name}"


def test_small_shop_every_month() -> None:
    store, dataset = small_store()
    _check_every_metric(store, dataset, Filters(inactivity_days=30),
                        [date(2024, m, 1) for m in (1, 2, 3, 4)])


def test_small_shop_weeks_and_a_segment_filter() -> None:
    store, dataset = small_store()
    weeks = Filters(period="week", inactivity_days=5)
    _check_every_metric(store, dataset, weeks,
                        list(kpi_table(store, dataset, weeks)["period_start"]))
    web = Filters(period="quarter", inactivity_days=30,
                  segments=Filters.segment_items({"channel": ["web"]}))
    _check_every_metric(store, dataset, web, [date(2024, 1, 1), date(2024, 4, 1)])


def test_demo_every_metric(demo_store: Store) -> None:
    dataset = demo_store.dataset("Demo shop")
    for filters in (Filters(), Filters(period="quarter")):
        periods = list(kpi_table(demo_store, dataset, filters)["period_start"])
        _check_every_metric(demo_store, dataset, filters,
                            [periods[0], periods[len(periods) // 2], periods[-1]])


def test_order_value_sd_of_february_worked_out_by_hand() -> None:
    store, dataset = small_store()
    filters = Filters(inactivity_days=30)
    e = explain(store, dataset, "order_value_sd", filters, date(2024, 2, 14))
    assert dict(e.inputs) == {"orders": 2, "order_value": 110.0,
                              "order_value_squared": 7300.0}
    assert e.value == pytest.approx(50 / math.sqrt(2))
    # the refund is a row behind it, adding nothing to the sums
    by_amount = e.rows.set_index("amount")
    assert list(by_amount.loc[-30, ["orders", "order_value", "order_value_squared"]]) == [
        0, 0, 0]
    april = explain(store, dataset, "order_value_sd", filters, date(2024, 4, 1))
    assert (april.value, april.recompute(), april.inputs["orders"]) == (None, None, 1)


def test_cli_explains_the_spread_with_inputs_that_recompute_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # February of the small shop, worked out in the module's docstring: √1,250
    db = tmp_path / "cli.duckdb"
    with Store(db) as store:
        ingest_file(store, SMALL_ORDERS, dataset="Small")
    assert main(["--db", str(db), "explain", "--metric", "order_value_sd", "--dataset",
                 "Small", "--inactivity-days", "30", "--period", "2024-02",
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    inputs = {item["id"]: item["value"] for item in data["inputs"]}
    assert inputs == {"orders": 2, "order_value": 110.0, "order_value_squared": 7300.0}
    n, total, squares = inputs["orders"], inputs["order_value"], inputs["order_value_squared"]
    assert data["value"] == pytest.approx(math.sqrt((squares - total ** 2 / n) / (n - 1)))
    assert data["value"] == pytest.approx(math.sqrt(1250))
    assert sum(row["order_value"] for row in data["rows"]) == 110.0
