"""The Retention page's "How is this computed?" under each chart: computed only when asked,
it shows inputs that recompute the number the chart draws, for a number worked out by hand.

The small shop with W = 30 (tests/test_explain_cohorts.py and tests/test_retention.py work
these out): the January 2024 cohort {A, B, E}, two months later only A bought: 1 of 3,
33.3%, the heatmap's cell; one month later (February) also only A: 33.3%, the curve's
point. Survival on day 31: 60% just before, 3 customers still followed of whom D leaves:
60% x (1 - 1/3) = 40%, the curve's point at day 31. February 2024 (tests/test_kpis.py):
S = 3, N = 1, E = 3, CRR (3 - 1) / 3 = 66.7%. April's lifecycle: no new customer, B
resurrected, A and D dormant: quick ratio (0 + 1) / 2 = 0.5.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_app import open_app, unescaped
from tests.test_app_explain import LABEL
from tests.test_app_retention import PAGE, figure, small_shop_query

# The charts of the page, by the key of their explainer, in the page's order.
CHARTS = ("rates", "cohorts", "curves", "lifecycle", "survival")


def _inputs(app: AppTest, key: str) -> dict[str, float]:
    """The inputs an explainer shows, by label (one caption "label = value" each)."""
    expander = next(e for e in app.expander if e.label == LABEL
                    and any(s.key == f"explain_{key}_offset" or s.key == f"explain_{key}_period"
                            for s in e.selectbox))
    captions = [unescaped(c.value) for c in expander.caption]
    # the inputs: the lines between the formula and the SQL (definitions come before)
    first = next(n for n, c in enumerate(captions) if c.startswith("Formula")) + 1
    last = next(n for n, c in enumerate(captions) if c.startswith("The SQL that computed"))
    lines = [caption.split(" = ") for caption in captions[first:last]]
    return {label: float(re.sub(r"[^0-9.\-]", "", value)) for label, value in lines}


def _survival_at(app: AppTest, name: str, day: int) -> float:
    """The survival chart's step curve (mode "lines", not its band) of a group at a day."""
    curve = next(trace for trace in figure(app, "survival_chart")["data"]
                 if trace.get("mode") == "lines" and trace["name"] == name)
    return float(curve["y"][curve["x"].index(day)])


def _opened(db: Path, **query: str) -> AppTest:
    """The page on the small shop, its charts' explainers opened."""
    return open_app(small_shop_query(db, **query), page=PAGE, explainers=True)


def _explain(app: AppTest, key: str, metric_id: str, period: int | None = None,
             offset: int | None = None) -> AppTest:
    """Pick a number of a chart's explainer (options by index) and turn its toggle on."""
    if f"explain_{key}_metric" in {box.key for box in app.selectbox}:
        app.selectbox(key=f"explain_{key}_metric").set_value(metric_id)
    if period is not None:
        app.selectbox(key=f"explain_{key}_period").select_index(period)
    if offset is not None:
        box = app.selectbox(key=f"explain_{key}_offset")
        box.select_index(list(box.options).index(str(offset)))
    app.run()
    app.toggle(key=f"explain_{key}_{metric_id}").set_value(True)
    app.run()
    assert not app.exception, app.exception
    return app


def test_every_chart_of_the_retention_page_has_its_explainer(db: Path) -> None:
    app = open_app(small_shop_query(db), page=PAGE, explainers=True)
    expanders = [e for e in app.expander if e.label == LABEL]
    # (the "Why did it move?" panel's explainer shows once its switch is on:
    # tests/test_app_drivers.py)
    assert len(expanders) == len(CHARTS)
    keys = {s.key for e in expanders for s in e.selectbox}
    for chart in CHARTS:
        assert any(k.startswith(f"explain_{chart}_") for k in keys), chart
    assert not app.code  # nothing is computed before the user asks


def test_the_heatmap_cell_explained_recomputes_the_cell(db: Path) -> None:
    app = _explain(_opened(db), "cohorts", "cohort_retention",
                   period=0, offset=2)
    inputs = _inputs(app, "cohorts")
    assert inputs == {"Active customers of the cohort": 1, "Cohort size": 3}
    recomputed = 100 * inputs["Active customers of the cohort"] / inputs["Cohort size"]
    # the heatmap's January row (after the average row), two months on
    assert figure(app, "cohort_heatmap")["data"][1]["z"][1][2] == pytest.approx(recomputed)
    expander = next(e for e in app.expander if e.label == LABEL
                    and any(s.key == "explain_cohorts_offset" for s in e.selectbox))
    rows = expander.dataframe[0].value
    assert list(rows["Customer"]) == ["A", "B", "E"]
    assert rows["Active customers of the cohort"].sum() == 1
    assert '"explained_offset": 2' in expander.code[1].value


def test_the_curve_point_explained_recomputes_the_point(db: Path) -> None:
    app = _explain(_opened(db), "curves", "cohort_retention",
                   period=0, offset=1)
    inputs = _inputs(app, "curves")
    assert inputs == {"Active customers of the cohort": 1, "Cohort size": 3}
    jan = next(trace for trace in figure(app, "curves_chart")["data"]
               if trace["name"] == "Jan 2024")
    assert jan["y"][jan["x"].index(1)] == pytest.approx(100 * 1 / 3)


def test_the_survival_at_day_31_explained_recomputes_the_curve(db: Path) -> None:
    app = _explain(_opened(db), "survival", "survival",
                   offset=31)
    inputs = _inputs(app, "survival")
    assert inputs == {"Survival just before day t": 60, "Customers still followed on day t": 3,
                      "Customers who left on day t": 1}
    recomputed = inputs["Survival just before day t"] * (
        1 - inputs["Customers who left on day t"] / inputs["Customers still followed on day t"])
    assert _survival_at(app, "All customers", 31) == pytest.approx(recomputed)


def test_the_rates_and_lifecycle_explain_the_kpi_table_numbers(db: Path) -> None:
    app = _explain(_opened(db), "rates", "retention_rate",
                   period=1)
    inputs = _inputs(app, "rates")
    assert inputs == {"Customers in the base at the start": 3, "New customers": 1,
                      "Customers in the base": 3}
    table = app.dataframe[0].value
    shown = table[table["Period"] == "Feb 2024"].iloc[0]["Retention rate (CRR)"]
    assert shown == pytest.approx(100 * (3 - 1) / 3)
    app = _explain(app, "lifecycle", "quick_ratio", period=3)
    assert _inputs(app, "lifecycle") == {"New customers": 0, "Resurrected customers": 1,
                                         "Dormant customers": 2}


def test_the_survival_of_repeat_customers_is_explained_by_group(db: Path) -> None:
    # repeat customers (purchases on two days or more) are A (101 days, censored), B (96,
    # censored) and D (31, left): on day 31, 100% x (1 - 1/3) = 66.7%
    app = _opened(db, survival_view="one_time_vs_repeat")
    app.selectbox(key="explain_survival_group").select_index(1)
    app = _explain(app, "survival", "survival", offset=31)
    inputs = _inputs(app, "survival")
    assert inputs == {"Survival just before day t": 100,
                      "Customers still followed on day t": 3,
                      "Customers who left on day t": 1}
    assert _survival_at(app, "Repeat customers", 31) == pytest.approx(100 * (1 - 1 / 3))


def test_the_heatmap_average_explained_recomputes_the_average_row(db: Path) -> None:
    # one month on: January's cohort (1 of 3) and February's (0 of 1) completed it,
    # March's is in progress: (1 + 0) / (3 + 1) = 25%
    app = _explain(_opened(db), "cohorts",
                   "cohort_average_retention", offset=1)
    inputs = _inputs(app, "cohorts")
    assert inputs == {"Active customers of the cohort": 1, "Cohort size": 4}
    recomputed = 100 * inputs["Active customers of the cohort"] / inputs["Cohort size"]
    assert figure(app, "cohort_heatmap")["data"][1]["z"][0][1] == pytest.approx(recomputed)


def test_a_closed_explainer_draws_nothing_until_it_is_opened(db: Path) -> None:
    # closed, a chart's explainer is its title alone (its definitions, select boxes and
    # switch were otherwise drawn and sent on every run of every session)
    app = open_app(small_shop_query(db), page=PAGE)
    expanders = [e for e in app.expander if e.label == LABEL]
    assert len(expanders) == len(CHARTS)
    assert [len(e.children) for e in expanders] == [0] * len(CHARTS)
    assert not [box.key for box in app.selectbox if box.key.startswith("explain_")]
    app.session_state["explain_rates_open"] = True  # what a click on the first one sends
    app.run()
    opened = [e for e in app.expander if e.label == LABEL]
    # the rates' explainer: its numbers and periods, and one definition per number
    assert {box.key for box in opened[0].selectbox} == {"explain_rates_metric",
                                                        "explain_rates_period"}
    assert len(opened[0].caption) == len(app.selectbox(key="explain_rates_metric").options)
    assert [len(e.children) for e in opened[1:]] == [0] * (len(CHARTS) - 1)
