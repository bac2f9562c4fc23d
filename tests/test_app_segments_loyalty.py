"""The Segments page's loyalty tabs under AppTest: the numbers shown equal the ``metrics``
results for the same view on the demo, the page's widgets live in the URL, and data
without products, discounts or members gets an explanation instead of an error."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboard.formatting import format_value
from metrics.loyalty import (
    loyalty_type_rule,
    loyalty_type_summary,
    loyalty_types,
    programme_comparison,
    upsell_table,
)
from metrics.query.filters import Filters
from metrics.simulator import baseline, simulate
from metrics.store import Store
from tests.test_app import open_app
from tests.test_app_retention import figure

PAGE = "app_pages/segments/segments.py"


def table_with(app, column: str) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return next(d.value for d in app.dataframe if column in d.value.columns)


def money(value: float) -> str:
    return format_value(value, "currency", "RON")


def percent(value: float) -> str:
    return format_value(value, "percent", None)


def test_the_loyalty_tabs_show_what_metrics_computes_on_the_demo(db: Path) -> None:
    app = open_app(page=PAGE)
    with Store(db) as store:
        demo = store.dataset("Demo shop")
        summary = loyalty_type_summary(loyalty_types(store, demo, Filters()))
        upsell = upsell_table(store, demo, Filters(), whole_range=True).iloc[0]
        programme = programme_comparison(store, demo, Filters(), by="channel")
        today = baseline(store, demo, Filters())
    shown = table_with(app, "Still in the base at the end")
    assert list(shown["Type"]) == [loyalty_type_rule(v).label for v in summary["loyalty_type"]]
    assert list(shown["Customers"]) == [f"{v:,}" for v in summary["customers"]]
    assert list(shown["Share of customers"]) == [percent(v) for v in summary["share_pct"]]
    assert list(shown["Still in the base at the end"]) == [
        percent(v) for v in summary["retention_pct"]]
    assert list(shown["Revenue per customer (CLV to date)"]) == [
        money(v) for v in summary["revenue_per_customer"]]
    chart = figure(app, "loyalty_types_chart")
    assert chart["data"][0]["y"] == pytest.approx(list(summary["share_pct"]))
    assert chart["data"][1]["y"] == pytest.approx(list(summary["retention_pct"]))

    cards = {m.label: m.value for m in app.metric}
    assert cards["Upsell ratio"] == f"{upsell['upsell_ratio']:,.2f}"
    assert cards["Customers with several products"] == \
        f"{upsell['several_products_customers']:,}"

    groups = table_with(app, "Group").set_index("Group")
    members = programme.groups.set_index("member")
    assert groups.loc["Members", "Still in the base at the end"] == percent(
        members.loc[True, "retention_pct"])
    assert groups.loc["Non-members", "Average order value"] == money(
        members.loc[False, "aov"])
    assert groups.loc["Members", "Purchases per customer"] == \
        f"{members.loc[True, 'purchase_frequency']:,.2f}"
    assert programme.redemption is not None
    assert cards["Redemption rate"] == percent(programme.redemption.redemption_rate_pct)
    enrolment = table_with(app, "Enrolment")
    assert programme.enrolment is not None
    assert list(enrolment["Enrolment"]) == [percent(v) for v in
                                            programme.enrolment["enrolment_pct"]]

    # the simulator's defaults: +5 points, 30% margin, no programme cost, 3 years
    rows = simulate(today, 5, 0.3, 0.0, years=3)
    year_3 = rows[(rows["scenario"] == "scenario") & (rows["year"] == 3)].iloc[0]
    assert cards["Profit uplift in year 3"] == percent(year_3["profit_uplift_pct"])
    assert cards["CLV per customer"] == money(year_3["clv"])
    profit = figure(app, "simulator_profit_chart")
    assert profit["data"][1]["y"] == pytest.approx(
        list(rows.loc[rows["scenario"] == "scenario", "profit"]))
    assert not app.error and not app.warning


def test_the_page_widgets_live_in_the_url(db: Path) -> None:
    query = {"sim_gain": "10", "sim_margin": "40", "sim_cost": "50000", "sim_years": "2",
             "upsell_by": "channel", "enrol_by": "Region"}
    app = open_app(query, page=PAGE)
    assert app.slider(key="sim_gain").value == 10
    assert app.slider(key="sim_margin").value == 40
    assert app.number_input(key="sim_cost").value == 50000
    assert app.slider(key="sim_years").value == 2
    assert app.selectbox(key="upsell_by").value == "channel"
    assert app.selectbox(key="enrol_by").value == "Region"
    for key, value in query.items():
        assert app.query_params[key] == value
    with Store(db) as store:
        today = baseline(store, store.dataset("Demo shop"), Filters())
    rows = simulate(today, 10, 0.4, 50_000.0, years=2)
    year_2 = rows[(rows["scenario"] == "scenario") & (rows["year"] == 2)].iloc[0]
    cards = {m.label: m.value for m in app.metric}
    assert cards["Profit uplift in year 2"] == percent(year_2["profit_uplift_pct"])
    upsell = table_with(app, "With several products")
    assert set(upsell["Channel"]) == {"Online shop", "Physical store", "Marketplace"}
    assert "Enrolment by Region" in figure(app, "enrolment_chart")["layout"]["title"]["text"]


@pytest.mark.parametrize("query", [{"sim_gain": "99"}, {"sim_years": "7"},
                                   {"upsell_by": "nonsense"}, {"sim_cost": "-3"}])
def test_bad_page_parameters_warn_and_fall_back(db: Path, query: dict[str, str]) -> None:
    app = open_app(query, page=PAGE)
    assert any("cannot be used" in w.value for w in app.warning)
    assert app.slider(key="sim_gain").value == 5 and app.slider(key="sim_years").value == 3


def test_data_without_products_discounts_or_members_is_explained(db: Path) -> None:
    with Store(db) as store:
        small = store.dataset("Small shop").id
    app = open_app({"dataset": small}, page=PAGE)
    infos = " ".join(i.value for i in app.info)
    assert "Discount or a Points redeemed column" in infos
    assert "with a Product column" in infos
    assert "Loyalty member" in infos
    assert not app.exception
