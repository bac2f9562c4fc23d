"""The Satisfaction page's charts under AppTest: each has its "How is this computed?",
offering the numbers it draws, and turning its toggle on shows inputs that recompute the
value the chart draws.

The hand-worked survey of tests/test_satisfaction.py, January to April 2025. The answers
at the Online touchpoint: a 10, c 7, a 8, c 9 and e 8, five answers with two promoters
(10, 9) and no detractor: NPS (2 − 0) ÷ 5 × 100 = +40. January's answers 10, 9, 7, 3, 6:
two promoters of five, 40%.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from metrics.definitions import REGISTRY
from tests.test_app import open_app, unescaped
from tests.test_app_explain import LABEL
from tests.test_app_retention import figure
from tests.test_app_satisfaction import CHARTS, PAGE, survey_db, survey_query

__all__ = ["survey_db"]  # the fixture, used by name

# Each chart's explainer key and the numbers it offers.
CHART_NUMBERS = {
    "nps_trend": ["nps"],
    "nps_mix": ["promoter_share", "passive_share", "detractor_share"],
    "nps_distribution": ["score_answers", "score_share"],
    "nps_segments": ["nps_segment"],
    "csat_trend": ["csat"],
    "cli_trend": ["cli", "cli_recommend", "cli_buy_again", "cli_other_products"],
    "behaviour_retention": ["behaviour_ordered_again"],
    "behaviour_revenue": ["behaviour_revenue_per_answer"],
}


def _number(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text))


def _inputs(expander: Any) -> dict[str, float]:
    """The "input = value" lines the toggle shows, after the formula."""
    captions = [unescaped(c.value) for c in expander.caption]
    formula = next(i for i, text in enumerate(captions) if text.startswith("Formula"))
    return {label: _number(value) for label, value in
            (text.split(" = ") for text in captions[formula + 1:] if " = " in text)}


def _expander(app: Any, key: str) -> Any:
    toggle = f"explain_{key}_{CHART_NUMBERS[key][0]}"
    return next(e for e in app.expander if e.label == LABEL
                and any(t.key == toggle for t in e.toggle))


def test_every_chart_has_its_explainer_offering_what_it_draws(survey_db: Path) -> None:
    app = open_app(survey_query(survey_db), page=PAGE, explainers=True)
    assert set(CHART_NUMBERS) == set(CHARTS)  # every chart of the page
    for key, metric_ids in CHART_NUMBERS.items():
        expander = _expander(app, key)
        definitions = [unescaped(c.value) for c in expander.caption]
        assert [d.split(": ")[0] for d in definitions] == [
            REGISTRY[m].title() for m in metric_ids], key
        assert not expander.code, key  # nothing computed before the toggle
        if len(metric_ids) > 1:
            assert app.selectbox(key=f"explain_{key}_metric").options == [
                REGISTRY[m].title() for m in metric_ids]
    # the per-period charts offer their periods, latest preselected
    assert app.selectbox(key="explain_nps_trend_period").value.isoformat() == "2025-04-01"
    assert len(app.selectbox(key="explain_nps_mix_period").options) == 4
    assert len(app.selectbox(key="explain_nps_distribution_group").options) == 11
    assert len(app.selectbox(key="explain_behaviour_revenue_group").options) == 6


def test_the_segment_chart_explains_the_online_nps(survey_db: Path) -> None:
    app = open_app(survey_query(survey_db, nps_by="Touchpoint"), page=PAGE, explainers=True)
    shown = figure(app, "nps_segments")["data"][0]
    drawn = dict(zip(shown["y"], shown["x"], strict=True))
    app.selectbox(key="explain_nps_segments_group").set_value("Touchpoint=Online")
    app.toggle(key="explain_nps_segments_nps_segment").set_value(True)
    app.run()
    assert not app.exception, app.exception
    expander = _expander(app, "nps_segments")
    inputs = _inputs(expander)
    assert inputs == {"Answers": 5, "Promoters (9-10)": 2, "Detractors (0-6)": 0}
    recomputed = 100 * (inputs["Promoters (9-10)"] - inputs["Detractors (0-6)"]) / inputs[
        "Answers"]
    online = next(value for name, value in drawn.items() if name.startswith("Online"))
    assert online == pytest.approx(recomputed) == pytest.approx(40.0)
    rows = expander.dataframe[0].value
    assert sorted(rows["Score (0-10)"]) == [7, 8, 8, 9, 10]


def test_the_mix_chart_explains_januarys_promoters(survey_db: Path) -> None:
    app = open_app(survey_query(survey_db), page=PAGE, explainers=True)
    app.selectbox(key="explain_nps_mix_period").set_value(date(2025, 1, 1))
    app.toggle(key="explain_nps_mix_promoter_share").set_value(True)
    app.run()
    assert not app.exception, app.exception
    inputs = _inputs(_expander(app, "nps_mix"))
    assert inputs == {"Promoters (9-10)": 2, "Answers": 5}
    promoters = next(trace for trace in figure(app, "nps_mix")["data"]
                     if trace["name"].startswith("Promoters"))
    assert promoters["y"][0] == pytest.approx(100 * 2 / 5)
