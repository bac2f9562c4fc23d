"""The "Why did it move?" panel on the Overview and Retention pages: the split shown for a
link's choices, the sentence as plain text, the table's figures worked out by hand, the
choices in the URL and a driver's figure explained down to its inputs.

Small shop, W = 30 (tests/test_kpis.py); each customer's channel is their first order's:
web A, C, D; store B, E. Churn = (S + N − E) ÷ S:

    February  web   S {A} = 1, N {C}, E {A, C}: 0%     store S {B, E} = 2, E {E}: 50%
    March     web   S {A, C} = 2, N {D}, E {A, D}: 50% store S {E} = 1, E {}: 100%
    total     February 1/3 × 0 + 2/3 × 50 = 33.3%;  March 2/3 × 50 + 1/3 × 100 = 66.7%

web:   mix = (2/3 − 1/3)(0 + 50)/2 = 8.33, rate = (50 − 0)(1/3 + 2/3)/2 = 25: 33.33
store: mix = (1/3 − 2/3)(50 + 100)/2 = −25, rate = (100 − 50)(1)/2 = 25: 0
"""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st

from tests.test_app import dataset_id, open_app, unescaped

LINK = {"w": "30", "at": "2024-03-01", "why": "1", "why_kpi": "churn_rate",
        "why_by": "channel", "why_after": "2024-03-01", "why_before": "2024-02-01"}


@pytest.mark.parametrize("page", ["app_pages/overview.py", "app_pages/retention.py"])
def test_the_panel_splits_churn_by_channel(db: Path, page: str) -> None:
    app = open_app({"dataset": dataset_id(db, "Small shop"), **LINK}, page=page)
    assert not app.exception, app.exception
    assert "Why did it move?" in [h.value for h in app.subheader]
    sentence = [unescaped(i.value) for i in app.info if "of it from" in i.value]
    assert sentence == ["Churn rate rose 33.3 pp, from 33.3% to 66.7%; +33.3 pp of it from "
                        "channel “web”, where it went from 0.0% to 50.0%; shifts in the mix "
                        "of channel account for -16.7 pp."]
    table = next(d.value for d in app.dataframe if "Contribution" in d.value.columns)
    rows = table.set_index(table.columns[0])
    assert rows.loc["web", "Mix effect"] == pytest.approx(25 / 3)
    assert rows.loc["web", "Rate effect"] == pytest.approx(25.0)
    assert rows.loc["store", "Mix effect"] == pytest.approx(-25.0)
    assert rows.loc["store", "Contribution"] == pytest.approx(0.0, abs=1e-9)
    assert rows["Contribution"].sum() == pytest.approx(100 / 3)
    # the choices stay in the link
    for key, value in LINK.items():
        if key.startswith("why"):
            assert app.query_params[key] == value, key


def test_a_driver_figure_is_explained(db: Path) -> None:
    app = open_app({"dataset": dataset_id(db, "Small shop"), **LINK},
                   page="app_pages/overview.py", explainers=True)
    app.selectbox(key="explain_why_metric").set_value("driver_contribution")
    app.selectbox(key="explain_why_group").set_value("channel=web")
    app.run()
    app.toggle(key="explain_why_driver_contribution").set_value(True)
    app.run()
    assert not app.exception, app.exception
    expander = [e for e in app.expander if e.label == "How is this computed?"][-1]
    captions = [unescaped(c.value) for c in expander.caption]
    # web: 1 of 3 in February's base, 2 of 3 in March's
    for line in ("The value's weight, earlier period = 1",
                 "Everyone's weight, earlier period = 3",
                 "The value's weight, later period = 2"):
        assert any(line in c for c in captions), (line, captions)


def test_the_cohort_view_says_cohort_or_calendar(db: Path) -> None:
    """By acquisition cohort (first purchase month): January A, B, E; February C; March D.
    February: January's S {A, B, E}, E {A, E}: churn 1/3. March: January's S {A, E},
    E {A}: 50%; February's S {C}, E {}: 100%. January: mix (2/3 − 1)(100/3 + 50)/2 =
    −125/9, rate (50 − 100/3)(1 + 2/3)/2 = 125/9: 0; February: mix 1/3 × 100 = 33.3. Both
    cohorts are newer than December 2023 (the three months up to February): a cohort
    effect."""
    app = open_app({"dataset": dataset_id(db, "Small shop"), **LINK, "why_by": "cohort"},
                   page="app_pages/overview.py")
    assert not app.exception, app.exception
    sentences = [unescaped(i.value) for i in app.info if "cohorts acquired since" in i.value]
    assert sentences == [
        "Of the change of +33.3 pp in Churn rate, +33.3 pp comes from the cohorts acquired "
        "since 2023-12-01 (100% of the base) and +0.0 pp from the older ones; the newer "
        "cohorts carry it: customers acquired lately behave differently."]
    table = next(d.value for d in app.dataframe if "Contribution" in d.value.columns)
    rows = table.set_index("Acquisition cohort")
    assert rows.loc["2024-01-01", "Mix effect"] == pytest.approx(-125 / 9)
    assert rows.loc["2024-02-01", "Contribution"] == pytest.approx(100 / 3)


def test_the_split_is_computed_only_once_switched_on(db: Path) -> None:
    # every view of the Overview would otherwise pay for one KPI query per segment value
    link = {key: value for key, value in LINK.items() if key != "why"}
    app = open_app({"dataset": dataset_id(db, "Small shop"), **link})
    assert "Why did it move?" in [h.value for h in app.subheader]
    assert not [i for i in app.info if "of it from" in i.value]
    assert "why" not in app.query_params  # an off switch stays out of the link
    app.toggle(key="why").set_value(True).run()
    assert not app.exception, app.exception
    assert next(unescaped(i.value) for i in app.info if "of it from" in i.value).startswith(
        "Churn rate rose 33.3 pp")
    assert app.query_params["why"] == "1"


def test_the_split_runs_under_a_spinner(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At millions of orders the split takes seconds: the panel says what it is doing,
    in the KPI's words, while it computes (and shows the split after)."""
    shown: list[str] = []
    spinner = st.spinner

    def recording(text: str = "", **kwargs: object) -> object:
        shown.append(text)
        return spinner(text, **kwargs)

    monkeypatch.setattr(st, "spinner", recording)
    app = open_app({"dataset": dataset_id(db, "Small shop"), **LINK},
                   page="app_pages/overview.py")
    assert "Working out what moved Churn rate…" in shown  # the card's name as it is
    assert any("of it from" in i.value for i in app.info)
