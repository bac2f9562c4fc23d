"""The Overview's "How is this computed?" under every KPI card: computed only when asked,
it shows inputs that recompute the card's value, the SQL with its parameters and the rows
behind the number.

February 2024 in the small shop with W = 30 (worked out by hand in tests/test_kpis.py):
S = 3 {A, B, E}, N = 1 {C}, E = 3 {A, C, E}, retained 2 {A, E}; active A and C, with two
orders (A 80, C 30) and C's refund of 30: revenue 80, AOV 40; A has bought three times by
Feb 29, C once: repeat purchase rate 1 / 2 = 50%. January's buyers (A 150, B 200, E 90)
spent 440 in January and 80 in February (A alone, under their 150): revenue retention
80 / 440, net and gross.
"""

from __future__ import annotations

import re
from pathlib import Path

from dashboard.formatting import format_value
from metrics.definitions import KPIS, METRICS
from tests.test_app import dataset_id, open_app, unescaped

LABEL = "How is this computed?"

# Each card's inputs as worked out by hand, and the card's value from them.
BY_HAND = {
    "end_customers": ({"end_customers": 3}, 3),
    "new_customers": ({"new_customers": 1}, 1),
    "active_customers": ({"active_customers": 2}, 2),
    "orders": ({"orders": 2}, 2),
    "revenue": ({"revenue": 80}, 80),
    "aov": ({"revenue": 80, "orders": 2}, 80 / 2),
    "repeat_purchase_rate": ({"repeat_customers": 1, "active_customers": 2}, 100 * 1 / 2),
    "retention_rate": ({"start_customers": 3, "new_customers": 1, "end_customers": 3},
                       100 * (3 - 1) / 3),
    "strict_retention_rate": ({"retained_customers": 2, "start_customers": 3}, 100 * 2 / 3),
    "churn_rate": ({"start_customers": 3, "new_customers": 1, "end_customers": 3},
                   100 * (3 + 1 - 3) / 3),
    # January's buyers A 150, B 200, E 90 spent 440; in February only A, 80 (under 150)
    "net_revenue_retention": ({"retained_revenue": 80, "base_revenue": 440}, 100 * 80 / 440),
    "gross_revenue_retention": ({"capped_retained_revenue": 80, "base_revenue": 440},
                                100 * 80 / 440),
}


def _number(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text))


def test_every_overview_card_explains_its_value_when_asked(db: Path) -> None:
    app = open_app({"dataset": dataset_id(db, "Small shop"), "w": "30", "at": "2024-02-01"},
                   explainers=True)
    expanders = [e for e in app.expander if e.label == LABEL]
    # every card and the trend chart (the "Why did it move?" panel's shows once its switch
    # is on: tests/test_app_drivers.py)
    assert len(expanders) == len(KPIS) + 1
    # nothing is computed before the user asks
    assert not app.code
    for metric in KPIS:
        app.toggle(key=f"explain_{metric.id}").set_value(True)
    app.run()
    assert not app.exception, app.exception
    cards = {m.label.split(" (")[0]: m.value for m in app.metric}
    # the cards' expanders, before the trend chart's
    expanders = [e for e in app.expander if e.label == LABEL][:len(KPIS)]
    labels = {METRICS[name].title(): name for name in METRICS}
    for metric, expander in zip(KPIS, expanders, strict=True):
        lines = [unescaped(c.value).split(" = ") for c in expander.caption
                 if " = " in unescaped(c.value) and not c.value.startswith("Formula")]
        shown = {labels[label]: _number(value) for label, value in lines}
        hand_inputs, hand_value = BY_HAND[metric.id]
        assert shown == hand_inputs, metric.id
        # the card shows the value the inputs recompute
        card = cards[metric.title().split(" (")[0]]
        assert card == format_value(hand_value, metric.unit, None, whole=True), metric.id
        sql, parameters = (code.value for code in expander.code[:2])
        assert "WHERE kpis.period_start = $explained_period_start" in sql
        assert '"explained_period_start": "2024-02-01"' in parameters
        assert '"inactivity_days": 30' in parameters
        rows = expander.dataframe[0].value
        for name, value in hand_inputs.items():
            # the rows total each input, under the input's label
            assert rows[METRICS[name].title()].sum() == value, (metric.id, name)
        assert not [c for c in rows.columns if re.fullmatch(r"[a-z]+(_[a-z]+)+", c)]


def test_the_trend_chart_explains_the_picked_period_when_asked(db: Path) -> None:
    # the trend's explainer preselects the latest period of the chart; picking February
    # 2024 gives the card's hand-worked inputs (S, N, E of CRR above)
    app = open_app({"dataset": dataset_id(db, "Small shop"), "w": "30", "at": "2024-02-01",
                    "metric": "retention_rate"}, explainers=True)
    app.selectbox(key="explain_trend_period").select(
        next(o for o in app.selectbox(key="explain_trend_period").options if "Feb" in o))
    app.run()
    app.toggle(key="explain_trend_retention_rate").set_value(True)
    app.run()
    assert not app.exception, app.exception
    captions = [c.value for c in app.caption]
    for label, value in (("Customers in the base at the start", 3), ("New customers", 1),
                         ("Customers in the base", 3)):
        assert any(c.replace("\\", "") == f"{label} = {value}" for c in captions), label


def test_the_overviews_closed_panels_draw_nothing_until_opened(db: Path) -> None:
    # the cards' explainers and the table of every KPI by period are built only while
    # open: closed, each is its title alone, on every run of every session
    app = open_app({"dataset": dataset_id(db, "Small shop"), "w": "30", "at": "2024-02-01"})
    cards = [e for e in app.expander if e.label == LABEL][:len(KPIS)]
    table = next(e for e in app.expander if e.label == "All KPIs by period")
    assert [len(e.children) for e in [*cards, table]] == [0] * (len(KPIS) + 1)
    assert not [w.key for w in app.toggle if w.key.startswith("explain_")] and not app.dataframe
    app.session_state["kpi_table_open"] = True
    app.run()
    table = next(e for e in app.expander if e.label == "All KPIs by period")
    # the small shop's orders run from January to April 2024: a row per month
    assert len(table.dataframe[0].value) == 4
