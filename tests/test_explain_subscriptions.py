"""explain() of the rates on the customer base from subscriptions (the Retention page with
base "subscriptions"): every figure of every month equals retention_table's, its inputs
recompute it, its SQL gives it and the subscribers behind it total the inputs.

The subscriptions of tests/test_retention.py::test_the_base_from_subscriptions, worked by
hand there: P 01-10..02-15, Q from 01-20, R 02-05..02-20 and again from 03-10, S on 03-31.
March: S = 1 {Q}, N = 1 {S}, E = 3 {Q, R, S}, retained 1 {Q}; CRR = (3 − 1) ÷ 1 = 200%
(R came back), strict retention 1 ÷ 1 = 100%.
"""

from __future__ import annotations

import json
import math
import pickle
from datetime import date
from pathlib import Path

import pytest

from metrics.cli import main
from metrics.errors import InputError
from metrics.explain import explain
from metrics.explain.periods import SUBSCRIPTION_FIGURES
from metrics.ingest import ingest_file
from metrics.query.filters import Filters
from metrics.query.run import query_frame, query_row
from metrics.retention import retention_table
from metrics.store import DB_ENV_VAR, Dataset, Store
from tests.builders import write_csv
from tests.test_app import open_app
from tests.test_retention import plans_db

MONTHS = Filters(period="month", start=date(2024, 2, 1), end=date(2024, 3, 31))
SUBSCRIPTIONS = {"base": "subscriptions"}


@pytest.fixture
def boxes(tmp_path: Path) -> tuple[Store, Dataset]:
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "orders.csv", ("Customer ID", "Order date", "Amount"),
                                 [("P", "2024-01-10", "20")]), dataset="Boxes")
    ingest_file(store, write_csv(
        tmp_path / "subs.csv", ("Customer ID", "Start date", "End date"),
        [("P", "2024-01-10", "2024-02-15"), ("Q", "2024-01-20", ""),
         ("R", "2024-02-05", "2024-02-20"), ("R", "2024-03-10", ""),
         ("S", "2024-03-31", "2024-03-31")]), dataset="Boxes", kind="subscriptions")
    return store, store.dataset("Boxes")


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None or (isinstance(b, float) and math.isnan(b)):
        return (a is None or math.isnan(a)) and (b is None or math.isnan(b))
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def test_every_subscription_figure_of_every_month(boxes: tuple[Store, Dataset]) -> None:
    store, dataset = boxes
    table = retention_table(store, dataset, MONTHS, base="subscriptions")
    for metric_id in SUBSCRIPTION_FIGURES:
        for _, row in table.iterrows():
            where = f"{metric_id} {row['period_start']}"
            shown = float(row[metric_id])
            e = explain(store, dataset, metric_id, MONTHS, row["period_start"],
                        options=SUBSCRIPTIONS)
            assert _close(e.value, shown), where
            assert _close(e.recompute(), shown), where
            assert _close(pickle.loads(pickle.dumps(e)).recompute(), shown), where
            assert _close(query_row(store, e.sql, e.parameters)[0], shown), where
            rows = query_frame(store, e.rows_sql, e.rows_parameters)
            for name, value in e.inputs.items():
                assert _close(float(rows[name].sum()), value), f"{where} {name}"


def test_march_by_hand(boxes: tuple[Store, Dataset]) -> None:
    store, dataset = boxes
    e = explain(store, dataset, "retention_rate", MONTHS, date(2024, 3, 15),
                options=SUBSCRIPTIONS)
    assert e.inputs == {"start_customers": 1, "new_customers": 1, "end_customers": 3}
    assert e.value == pytest.approx(200.0)
    # the customers of S, N or E: Q, R and S (P's subscription ended in February)
    assert list(e.rows["customer_id"]) == ["Q", "R", "S"]
    strict = explain(store, dataset, "strict_retention_rate", MONTHS, date(2024, 3, 1),
                     options=SUBSCRIPTIONS)
    assert (strict.inputs, strict.value) == ({"retained_customers": 1, "start_customers": 1},
                                             pytest.approx(100.0))


def test_a_figure_the_subscription_base_has_not_is_one_sentence(
        boxes: tuple[Store, Dataset]) -> None:
    store, dataset = boxes
    with pytest.raises(InputError, match="not a figure of the customer base from subscriptions"):
        explain(store, dataset, "aov", MONTHS, date(2024, 3, 1), options=SUBSCRIPTIONS)
    with pytest.raises(InputError, match="There is no month holding 2023-01-01"):
        explain(store, dataset, "retention_rate", MONTHS, date(2023, 1, 1),
                options=SUBSCRIPTIONS)


def test_the_rates_on_the_subscriptions_base_explain_their_period(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Retention page on the subscriptions' base (the default with subscriptions), the
    One-year plan (tests/test_retention.py, worked by hand there): February's S = 1 {Q},
    N = 0, E = 1 {Q}, so CRR (1 − 0) ÷ 1 = 100%, from the rates explainer's inputs."""
    monkeypatch.setenv(DB_ENV_VAR, str(plans_db(tmp_path)))
    app = open_app({"seg.subscriptions.plan": "One year", "at": "2024-02-01"},
                   page="app_pages/retention.py", explainers=True)
    key = "explain_rates_subscriptions"
    box = app.selectbox(key=f"{key}_period")
    box.select(next(o for o in box.options if "Feb" in o))
    app.run()
    app.toggle(key=f"{key}_retention_rate").set_value(True)
    app.run()
    assert not app.exception, app.exception
    captions = [c.value.replace("\\", "") for c in app.caption]
    for label, value in (("Customers in the base at the start", 1), ("New customers", 0),
                         ("Customers in the base", 1)):
        assert f"{label} = {value}" in captions, (label, captions)


def test_the_cli_explains_a_rate_of_the_subscriptions_base(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The One-year plan's March (tests/test_retention.py): S = 1 {Q}, N = 1 {R}, E = 2
    {Q, R}: CRR (2 − 1) ÷ 1 = 100%."""
    db = str(plans_db(tmp_path))
    assert main(["--db", db, "explain", "--metric", "retention_rate", "--dataset", "Boxes",
                 "--period", "2024-03", "--base", "subscriptions", "--segment",
                 "plan=One year", "--format", "json"]) == 0, capsys.readouterr().err
    data = json.loads(capsys.readouterr().out)
    assert {i["id"]: i["value"] for i in data["inputs"]} == {
        "start_customers": 1, "new_customers": 1, "end_customers": 2}
    assert data["value"] == pytest.approx(100.0)
    assert data["base"] == "subscriptions"
