"""explain() of the drivers' figures: for every entry of the family and every segment
value, the value, recompute() and the SQL give the figure metrics.drivers shows, the rows
behind it total the value's weight; one worked by hand; the CLI."""

from __future__ import annotations

import json
import pickle
from datetime import date
from pathlib import Path

import pytest

from metrics.definitions import DRIVER_FIGURES, REGISTRY
from metrics.drivers import drivers, weight_column
from metrics.explain import explain
from metrics.ingest import ingest_file
from metrics.query.filters import Filters
from metrics.query.run import query_frame, query_row
from metrics.store import Dataset, Store
from tests.builders import write_csv
from tests.test_cli import run
from tests.test_drivers import MARCH, MONTHS, ORDERS
from tests.test_explain_survey import _close


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Dataset]:
    folder = tmp_path_factory.mktemp("explain_drivers")
    store = Store(":memory:")
    ingest_file(store, write_csv(folder / "o.csv", ("customer_id", "order_date", "amount",
                                                    "channel"), ORDERS), dataset="Shop")
    return store, store.dataset("Shop")


def _check_every_figure(store: Store, dataset: Dataset, filters: Filters, kpi: str, by: str,
                        period: date) -> None:
    found = drivers(store, dataset, filters, kpi, by, period)
    assert len(found.records)
    options = {"metric_id": kpi, "by": by}
    for record in found.records.to_dict(orient="records"):
        group = f"{by}={record['value'] or ''}"
        for metric in DRIVER_FIGURES:
            shown, where = record[metric.id.removeprefix("driver_")], f"{metric.id} {group}"
            e = explain(store, dataset, metric.id, filters, period, group=group,
                        options=options)
            assert _close(e.value, shown), where
            assert _close(e.recompute(), shown), where
            assert _close(pickle.loads(pickle.dumps(e)).recompute(), shown), where
            assert _close(query_row(store, e.sql, e.parameters)[0], shown), where
        # the value's customers (orders, answers) of the later period total its weight
        rows = query_frame(store, e.rows_sql, e.rows_parameters)
        weight = weight_column(REGISTRY[kpi])
        # a count column of the customers (S, active customers) or orders; one row an answer
        total = rows[weight].sum() if weight in rows.columns else len(rows)
        assert total == e.inputs["weight_after"], where


def test_every_figure_of_the_hand_shop(shop: tuple[Store, Dataset]) -> None:
    store, dataset = shop
    for kpi in ("churn_rate", "strict_retention_rate", "repeat_purchase_rate", "aov"):
        _check_every_figure(store, dataset, MONTHS, kpi, "channel", MARCH)


def test_every_figure_on_the_demo(demo_store: Store) -> None:
    dataset = demo_store.dataset("Demo shop")
    for kpi in ("churn_rate", "nps", "csat"):
        _check_every_figure(demo_store, dataset, Filters(), kpi, "channel", date(2025, 3, 1))


def test_web_contribution_by_hand(shop: tuple[Store, Dataset]) -> None:
    """web (tests/test_drivers.py): S = 4 of 7 in February with churn 25%, 3 of 7 in
    March with churn 200/3%: contribution = 3/7 × 200/3 − 4/7 × 25 = 100/7."""
    store, dataset = shop
    e = explain(store, dataset, "driver_contribution", MONTHS, MARCH, group="channel=web",
                options={"metric_id": "churn_rate"})
    assert e.inputs == {"weight_before": 4, "total_before": 7, "rate_before": 25.0,
                        "weight_after": 3, "total_after": 7,
                        "rate_after": pytest.approx(200 / 3)}
    assert e.value == pytest.approx(100 / 7)
    # the rows: web's customers of March, two of whom (w2, w4) left
    rows = query_frame(store, e.rows_sql, e.rows_parameters)
    assert sorted(rows.loc[rows["start_customers"] == 1, "customer_id"]) == ["w1", "w2", "w4"]


def test_the_cli_explains_a_driver(tmp_path: Path) -> None:
    db = tmp_path / "db"
    with Store(db) as store:
        ingest_file(store, write_csv(tmp_path / "o.csv", ("customer_id", "order_date",
                                                          "amount", "channel"), ORDERS),
                    dataset="Shop")
    result = run("explain", "--metric", "driver_contribution", "--dataset", "Shop",
                 "--period", "2024-03", "--group", "channel=web", "--inactivity-days", "30",
                 "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    inputs = {item["id"]: item["value"] for item in data["inputs"]}
    s0 = inputs["weight_before"] / inputs["total_before"]
    s1 = inputs["weight_after"] / inputs["total_after"]
    r0, r1 = inputs["rate_before"], inputs["rate_after"]
    assert data["value"] == pytest.approx(s1 * r1 - s0 * r0)
    assert data["value"] == pytest.approx(100 / 7)
