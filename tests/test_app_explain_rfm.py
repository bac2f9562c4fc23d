"""The Segments page's RFM view under AppTest: the segments' treemap and table have their
"How is this computed?", and turning its toggle on shows inputs that recompute the value
the table shows.

The small shop over its whole range (1 January to 30 April 2024, recency counted to 15
April, its last order day), five customers, so each score is the customer's rank from
the worst value (ties take the first rank):
A last bought 25 March (R 4), on 4 days (F 5) for 100 + 50 + 80 + 60 = 290 (M 5): FM 5,
Champions; B 15 April (R 5), 2 days (F 3), 240 (M 4): Loyal; C's 30 was refunded (R 2,
F 1, M 1): Hibernating; D 2 March (R 3), 2 days (F 3), 90 (M 2): About to sleep; E 31
January (R 1), 1 day (F 1), 90 (M 2): Lost. The Champions are 1 of 5 customers (20%) with
290 of 290 + 240 + 0 + 90 + 90 = 710 revenue: 40.8%.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dashboard.formatting import format_value
from metrics.explain.rfm import RFM_EXPLAINED
from tests.test_app import dataset_id, open_app, unescaped

PAGE = "app_pages/segments/segments.py"
LABEL = "How is this computed?"


def _number(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text))


def _inputs(expander: Any) -> dict[str, float]:
    """The "input = value" lines the toggle shows, after the formula (the definitions
    above it may hold an "=" too)."""
    captions = [unescaped(c.value) for c in expander.caption]
    formula = next(i for i, text in enumerate(captions) if text.startswith("Formula"))
    lines = [text.split(" = ") for text in captions[formula + 1:] if " = " in text]
    return {label: _number(value) for label, value in lines}


def test_the_rfm_segments_explain_their_share_of_revenue_when_asked(db: Path) -> None:
    app = open_app({"dataset": dataset_id(db, "Small shop")}, page=PAGE, explainers=True)
    expander = next(e for e in app.expander if e.label == LABEL)
    # the definitions of every figure the treemap and table draw, nothing computed yet
    assert len([c for c in expander.caption if ": " in c.value]) == len(RFM_EXPLAINED)
    assert not expander.code
    assert app.selectbox(key="explain_rfm_summary_group").value == "Champions"
    app.selectbox(key="explain_rfm_summary_metric").set_value("rfm_revenue_share")
    app.run()
    app.toggle(key="explain_rfm_summary_rfm_revenue_share").set_value(True)
    app.run()
    assert not app.exception, app.exception
    expander = next(e for e in app.expander if e.label == LABEL)
    inputs = _inputs(expander)
    assert inputs == {"Revenue": 290, "Revenue of every customer with a purchase": 710}
    shown = app.dataframe[0].value
    champions = shown[shown["Segment"] == "Champions"].iloc[0]
    assert champions["Share of revenue"] == format_value(100 * 290 / 710, "percent", None)
    rows = expander.dataframe[0].value
    assert rows["Customer"].tolist() == ["A"]
    assert (rows["R"].tolist(), rows["F"].tolist(), rows["M"].tolist()) == ([4], [5], [5])
    assert any("$explained_segment" in code.value for code in expander.code)


def test_the_rfm_customer_count_of_a_segment(db: Path) -> None:
    app = open_app({"dataset": dataset_id(db, "Small shop")}, page=PAGE, explainers=True)
    app.selectbox(key="explain_rfm_summary_group").set_value("Lost")
    app.toggle(key="explain_rfm_summary_rfm_customers").set_value(True)
    app.run()
    assert not app.exception, app.exception
    expander = next(e for e in app.expander if e.label == LABEL)
    assert _inputs(expander) == {"Customers of the segment": 1}
    assert expander.dataframe[0].value["Customer"].tolist() == ["E"]


def test_the_segment_comparison_explains_a_values_repeat_purchase_rate(db: Path) -> None:
    """The small shop's web orders: A bought 4 times, C once (refunded), D twice: two
    repeat customers of three, 66.7% (tests/test_explain_segments.py)."""
    app = open_app({"dataset": dataset_id(db, "Small shop"), "compare_by": "channel"},
                   page=PAGE, explainers=True)
    expander = [e for e in app.expander if e.label == LABEL][1]
    assert len([c for c in expander.caption if ": " in c.value]) == 8
    assert app.selectbox(key="explain_segment_comparison_group").value == "channel=web"
    app.selectbox(key="explain_segment_comparison_metric").set_value(
        "segment_repeat_purchase_rate")
    app.run()
    app.toggle(key="explain_segment_comparison_segment_repeat_purchase_rate").set_value(True)
    app.run()
    assert not app.exception, app.exception
    expander = [e for e in app.expander if e.label == LABEL][1]
    assert _inputs(expander) == {"Repeat customers": 2, "Customers with a purchase": 3}
    web = app.dataframe[-2].value.iloc[0]  # the comparison table, before the rows
    assert web["Repeat purchase rate"] == format_value(100 * 2 / 3, "percent", None)
    rows = expander.dataframe[0].value
    assert rows["Repeat customers"].sum() == 2
    assert rows["Customers with a purchase"].sum() == 3
