"""The CLV page under AppTest: its numbers equal the ``metrics`` results for the linked
view, its own settings live in the URL, bad values warn."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from metrics.clv.cac import cac_totals, clv_cac_ratio, customer_acquisition_cost
from metrics.clv.predictive import holdout_validation, predictive_clv
from metrics.clv.simple import simple_clv
from metrics.query.filters import Filters
from metrics.store import Store
from tests.test_app import open_app, unescaped
from tests.test_app_retention import figure

PAGE = "app_pages/clv.py"


def test_the_page_shows_what_metrics_computes_for_the_linked_view(db: Path) -> None:
    query = {"clv_by": "channel", "margin": "40", "horizon": "6", "discount": "8",
             "calibration": "2026-05-01"}
    app = open_app(query, page=PAGE)
    assert not app.warning, [w.value for w in app.warning]
    with Store(db) as store:
        dataset = store.dataset("Demo shop")
        simple = simple_clv(store, dataset, Filters(), by="channel", gross_margin=0.4)
        predicted = predictive_clv(store, dataset, Filters(), horizon_months=6,
                                   annual_discount_rate=0.08, by="channel")
        validation = holdout_validation(store, dataset, Filters(), date(2026, 5, 1))
    shown = app.dataframe[0].value
    assert list(shown["Group"]) == list(simple["group_value"])
    assert list(shown["CLV"]) == [f"RON\xa0{v:,.2f}" for v in simple["clv"]]
    # the page says which churn its CLV uses, and that it is not the Overview's
    simple_caption = next(unescaped(c.value) for c in app.caption
                          if "expected lifespan" in c.value)
    assert "1 − strict retention over these 12 months" in simple_caption
    assert "not the Overview's churn rate, (S + N − E) ÷ S" in simple_caption
    cards = {m.label: m.value for m in app.metric}
    assert cards["Predicted CLV, all customers"] == \
        f"RON\xa0{round(predicted.customers['clv'].sum()):,}"
    advanced = next(e for e in app.expander if e.label == "Advanced: model parameters")
    parameters = next(unescaped(c.value) for c in advanced.caption if "BG/NBD" in c.value)
    assert f"r = {predicted.models.purchases.params_['r']:.3f}" in parameters
    assert any("discounted at 8% a year" in c.value for c in app.caption)
    weekly = figure(app, "validation_cumulative")["data"]
    assert weekly[0]["y"] == list(validation.weeks["actual_cumulative"])
    assert weekly[1]["y"] == pytest.approx(list(validation.weeks["predicted_cumulative"]))
    assert app.query_params["clv_by"] == "channel"


@pytest.mark.parametrize(("query", "mentions"), [
    ({"margin": "140"}, "gross margin “140”"),
    ({"horizon": "0"}, "horizon “0”"),
    ({"calibration": "someday"}, "calibration end “someday”"),
    ({"calibration": "1990-01-01"}, "calibration end must be between Nov 1, 2023 and "
                                    "Nov 13, 2026"),
])
def test_bad_page_parameters_warn_and_fall_back(db: Path, query: dict[str, str],
                                                mentions: str) -> None:
    app = open_app(query, page=PAGE)
    warnings = [unescaped(w.value) for w in app.warning]
    assert any(mentions in w and "default is shown" in w for w in warnings), warnings
    assert app.metric


def test_without_spend_the_page_says_how_to_get_clv_cac(db: Path) -> None:
    with Store(db) as store:
        small = store.dataset("Small shop").id
    app = open_app({"dataset": small}, page=PAGE)
    assert any("Upload a marketing spend file" in i.value for i in app.info)


def test_clv_cac_uses_each_channels_clv_and_cac(db: Path) -> None:
    app = open_app({"margin": "40"}, page=PAGE)
    with Store(db) as store:
        dataset = store.dataset("Demo shop")
        totals = cac_totals(customer_acquisition_cost(store, dataset, Filters()))
        overall = simple_clv(store, dataset, Filters(), gross_margin=0.4)
        by_channel = simple_clv(store, dataset, Filters(), by="channel", gross_margin=0.4)
    clv = {None: overall["clv"].iloc[0]} | dict(
        zip(by_channel["group_value"], by_channel["clv"], strict=True))
    expected = clv_cac_ratio(totals, clv)
    shown = next(d.value for d in app.dataframe if "CLV:CAC" in d.value.columns)
    assert list(shown["Channel"]) == ["All channels", *expected["channel"][1:]]
    assert list(shown["CLV:CAC"]) == [f"{v:,.1f} : 1" for v in expected["clv_cac_ratio"]]
    # spend ÷ new customers, worked out from the same table: the all-channels row
    row = expected.iloc[0]
    assert row["cac"] == pytest.approx(row["spend"] / row["new_customers"])
