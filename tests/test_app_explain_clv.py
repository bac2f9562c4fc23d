"""The CLV page's "How is this computed?": under every chart and table of the page,
computed only when asked, with inputs that recompute the number the page shows.

Worked out by hand on the two-year shop (tests/test_clv_simple.py), W = 90 days: the
simple CLV of 2024 is AOV 740 / 7 x 1.4 purchases a year x 2 years = 296 (EUR), its
annual churn 1 - 2 / 4 = 50%; with a 25% margin 74.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard.formatting import format_value
from metrics.ingest import ingest_file
from metrics.store import Store
from tests.builders import write_csv
from tests.test_app import dataset_id, open_app, unescaped
from tests.test_app_retention import figure
from tests.test_clv_simple import ORDERS, SPEND

PAGE = "app_pages/clv.py"
LABEL = "How is this computed?"
# The page's explainers: the simple CLV table, the historic chart, the predictive cards
# (added with their sums' explanations), the histogram, the holdout charts, the CLV:CAC
# chart and the CAC table.
EXPLAINERS = ("simple_clv", "historic_clv", "predictive_totals", "predictive_clv", "holdout",
              "clv_cac", "cac")


def _number(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text))


def _inputs(app: object, toggle: str) -> dict[str, str]:
    """The ``label = value`` lines of the explainer holding ``toggle``."""
    expander = next(e for e in app.expander  # type: ignore[attr-defined]
                    if e.label == LABEL and any(w.key == toggle for w in e.toggle))
    lines = [unescaped(c.value) for c in expander.caption]
    return dict(line.split(" = ", 1) for line in lines
                if " = " in line and not line.startswith("Formula"))


@pytest.fixture
def shop(db: Path, tmp_path: Path) -> str:
    with Store(db) as store:
        ingest_file(store, write_csv(tmp_path / "orders.csv",
                                     ("Customer ID", "Order date", "Amount", "Channel"),
                                     ORDERS), dataset="Shop", currency="EUR")
        ingest_file(store, write_csv(tmp_path / "spend.csv", ("Date", "Amount", "Channel"),
                                     SPEND), dataset="Shop", kind="spend")
    return dataset_id(db, "Shop")


def test_every_chart_of_the_page_has_its_explainer_computed_only_when_asked(db: Path) -> None:
    app = open_app(page=PAGE, explainers=True)
    expanders = [e for e in app.expander if e.label == LABEL]
    assert len(expanders) == len(EXPLAINERS)
    assert not app.code  # nothing is computed before the user asks
    # the holdout's explainer picks the latest week of the charts: its actual purchases are
    # the weekly chart's last bar
    app.toggle(key="explain_holdout_clv_holdout_actual").set_value(True).run()
    assert not app.exception, app.exception
    weekly = figure(app, "validation_weekly")["data"][0]["y"]
    shown = _inputs(app, "explain_holdout_clv_holdout_actual")
    assert _number(shown["Repeat purchase days"]) == weekly[-1]
    # a customer's prediction: the fitted parameters and the customer's history as inputs
    app.toggle(key="explain_predictive_clv_clv_predicted").set_value(True).run()
    assert not app.exception, app.exception
    inputs = _inputs(app, "explain_predictive_clv_clv_predicted")
    assert {"r (BG/NBD)", "γ (Gamma-Gamma)", "Frequency (repeat purchase days)",
            "Horizon (months)"} <= set(inputs)
    assert inputs["Horizon (months)"] == "12"


def test_the_simple_clv_explained_recomputes_the_tables_value(db: Path, shop: str) -> None:
    app = open_app({"dataset": shop, "w": "90", "margin": "25"}, page=PAGE, explainers=True)
    table = app.dataframe[0].value
    assert list(table["CLV"]) == [format_value(74.0, "currency", "EUR")]
    app.toggle(key="explain_simple_clv_clv_simple").set_value(True).run()
    assert not app.exception, app.exception
    inputs = {label: _number(value) for label, value in
              _inputs(app, "explain_simple_clv_clv_simple").items()}
    assert inputs == {"AOV of the CLV window": pytest.approx(105.71, abs=0.005),
                      "Purchases per year": 1.4, "Expected lifespan (years)": 2.0,
                      "Gross margin": 0.25}
    # the inputs recompute the value of the table, AOV shown rounded to the cent
    product = 740 / 7 * inputs["Purchases per year"] * inputs["Expected lifespan (years)"] \
        * inputs["Gross margin"]
    assert format_value(product, "currency", "EUR") == table["CLV"][0]
    # the annual churn, picked in the same explainer, from the base at the window's start
    app.selectbox(key="explain_simple_clv_metric").select("clv_annual_churn").run()
    app.toggle(key="explain_simple_clv_clv_annual_churn").set_value(True).run()
    churn = _inputs(app, "explain_simple_clv_clv_annual_churn")
    assert (churn["Customers in the base at the start"], churn["Retained customers"]) == (
        "4", "2")
    assert table["Annual churn"][0] == "50.0%"


@pytest.mark.parametrize("split", [None, "channel"])
def test_every_explainer_explains_its_first_number(db: Path, split: str | None) -> None:
    # with and without a split of the page: the groups of the explainers follow it
    app = open_app({"clv_by": split} if split else {}, page=PAGE, explainers=True)
    toggles = [w.key for e in app.expander if e.label == LABEL for w in e.toggle]
    assert len(toggles) == len(EXPLAINERS)
    for key in toggles:
        app.toggle(key=key).set_value(True)
    app.run()
    assert not app.exception, app.exception
    assert not app.error, [unescaped(e.value) for e in app.error]
    formulas = [c for c in app.caption if unescaped(c.value).startswith("Formula: ")]
    assert len(formulas) == len(EXPLAINERS)
