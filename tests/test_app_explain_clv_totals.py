"""The CLV page's predictive cards and holdout charts explained: the cards' sums and means
of every customer's prediction, and a week's predicted purchases of the holdout charts,
with inputs that recompute what the page shows (the demo data)."""

from __future__ import annotations

import math
from pathlib import Path

from dashboard.formatting import format_value
from tests.test_app import open_app, unescaped
from tests.test_app_explain_clv import LABEL, PAGE, _inputs, _number
from tests.test_app_retention import figure


def _cards(app: object) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}  # type: ignore[attr-defined]


def test_the_cards_sums_recompute_the_cards(db: Path) -> None:
    """The average predicted CLV per customer is the total ÷ the customers: the card of
    the total shows the first input, the card of the average their ratio."""
    app = open_app(page=PAGE, explainers=True)
    # the cards' own explainer, apart from the one of a customer's prediction
    assert any(w.key == "explain_predictive_totals_clv_predicted_total"
               for e in app.expander if e.label == LABEL for w in e.toggle)
    app.toggle(key="explain_predictive_totals_clv_predicted_total").set_value(True).run()
    assert not app.exception, app.exception
    total = _inputs(app, "explain_predictive_totals_clv_predicted_total")
    cards = _cards(app)
    assert math.isclose(_number(total["Predicted CLV"]),
                        _number(cards["Predicted CLV, all customers"]), abs_tol=1.0)
    customers = _number(total["Customers"])
    app.selectbox(key="explain_predictive_totals_metric").select("clv_predicted_mean").run()
    app.toggle(key="explain_predictive_totals_clv_predicted_mean").set_value(True).run()
    mean = _inputs(app, "explain_predictive_totals_clv_predicted_mean")
    assert _number(mean["Customers"]) == customers
    assert math.isclose(_number(mean["Predicted CLV"]) / customers,
                        _number(_cards(app)["Average per customer"]), abs_tol=1.0)
    assert any("computed in Python" in unescaped(c.value) for c in app.caption)


def test_a_holdout_weeks_predicted_purchases_recompute_the_chart(db: Path) -> None:
    app = open_app(page=PAGE, explainers=True)
    app.selectbox(key="explain_holdout_metric").select("clv_holdout_predicted").run()
    app.toggle(key="explain_holdout_clv_holdout_predicted").set_value(True).run()
    assert not app.exception, app.exception
    weekly = figure(app, "validation_weekly")["data"]
    predicted = next(trace for trace in weekly if "redict" in trace.get("name", ""))
    shown = _inputs(app, "explain_holdout_clv_holdout_predicted")
    # the latest week, preselected: its predicted purchases are the line's last point
    assert shown["Predicted repeat purchases"] == format_value(predicted["y"][-1], "orders",
                                                               None)
