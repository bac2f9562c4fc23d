"""The Retention page's split views have their "How is this computed?": the retention curves
and the survival split by a segment, and the survival of repeat customers from their
second purchase; turned on, each shows inputs that recompute the point the chart draws.

The small shop with W = 30, split by the channel of the first purchase (web = {A, C, D},
store = {B, E}; tests/test_explain_cohort_splits.py works these out): the web line of the
retention curves one month on is (1 + 0) / (1 + 1) = 50% (January's {A} bought in
February, February's {C} not in March); the web survival on day 31 is 2/3 x (1 - 1/2) =
33.3%; the repeat customers from their second purchase on day 30: 100% x (1 - 1/2) = 50%.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_app import open_app
from tests.test_app_explain import LABEL
from tests.test_app_explain_cohorts import _explain, _inputs, _survival_at
from tests.test_app_retention import PAGE, figure, small_shop_query

SPLIT = {"curve_by": "channel", "survival_by": "channel"}


def test_the_split_charts_have_their_explainers(db: Path) -> None:
    app = open_app(small_shop_query(db, **SPLIT), page=PAGE, explainers=True)
    keys = {s.key for e in app.expander if e.label == LABEL for s in e.selectbox}
    assert {"explain_curves_split_group", "explain_curves_split_offset",
            "explain_survival_group", "explain_survival_offset"} <= keys
    assert list(app.selectbox(key="explain_curves_split_group").options) == ["store", "web"]
    assert not app.code  # nothing is computed before the user asks


def test_the_split_curve_point_explained_recomputes_the_point(db: Path) -> None:
    app = open_app(small_shop_query(db, **SPLIT), page=PAGE, explainers=True)
    app.selectbox(key="explain_curves_split_group").select_index(1)  # web
    app = _explain(app, "curves_split", "cohort_average_retention", offset=1)
    inputs = _inputs(app, "curves_split")
    assert inputs == {"Active customers of the cohort": 1, "Cohort size": 2}
    web = next(trace for trace in figure(app, "curves_chart")["data"]
               if trace["name"] == "web")
    recomputed = 100 * inputs["Active customers of the cohort"] / inputs["Cohort size"]
    assert web["y"][web["x"].index(1)] == pytest.approx(recomputed)


def test_the_split_survival_explained_recomputes_the_curve(db: Path) -> None:
    app = open_app(small_shop_query(db, **SPLIT), page=PAGE, explainers=True)
    app.selectbox(key="explain_survival_group").select_index(1)  # web
    app = _explain(app, "survival", "survival", offset=31)
    inputs = _inputs(app, "survival")
    assert inputs == {"Survival just before day t": pytest.approx(66.7, abs=0.05),
                      "Customers still followed on day t": 2,
                      "Customers who left on day t": 1}
    # the caption rounds S(t-) = 2/3: recompute from the by-hand value, compare the chart
    assert _survival_at(app, "web", 31) == pytest.approx(100 * 2 / 3 * (1 - 1 / 2))


def test_the_repeat_customers_from_their_second_purchase_are_explained(db: Path) -> None:
    app = open_app(small_shop_query(db, survival_view="repeat_from_second"), page=PAGE,
                   explainers=True)
    app = _explain(app, "survival", "survival", offset=30)
    inputs = _inputs(app, "survival")
    assert inputs == {"Survival just before day t": 100,
                      "Customers still followed on day t": 2,
                      "Customers who left on day t": 1}
    recomputed = inputs["Survival just before day t"] * (
        1 - inputs["Customers who left on day t"] / inputs["Customers still followed on day t"])
    assert _survival_at(app, "All customers", 30) == pytest.approx(recomputed)
