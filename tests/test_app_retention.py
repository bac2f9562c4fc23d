"""The Retention page under AppTest: its tables and charts equal the ``metrics`` results for
the linked view, its own widgets live in the URL, bad values warn."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from metrics.query.filters import Filters
from metrics.retention import cohort_average, cohort_table, retention_table
from metrics.store import Store
from metrics.survival import survival_curves
from tests.test_app import open_app, unescaped

PAGE = "app_pages/retention.py"


def small_shop_query(db: Path, **extra: str) -> dict[str, str]:
    with Store(db) as store:
        return {"dataset": store.dataset("Small shop").id, "w": "30", **extra}


def plain_lists(value: Any) -> Any:
    """Plotly's base64 typed arrays ({dtype, bdata, shape}) as lists, NaN as None."""
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        if "shape" in value:
            array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
        return [[None if isinstance(v, float) and math.isnan(v) else v for v in row]
                for row in array.tolist()] if array.ndim == 2 else \
            [None if isinstance(v, float) and math.isnan(v) else v for v in array.tolist()]
    if isinstance(value, dict):
        return {k: plain_lists(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_lists(v) for v in value]
    return value


def figure(app: AppTest, key: str) -> dict[str, Any]:
    """The figure of the chart with this widget key, arrays as plain lists."""
    chart = next(c for c in app.get("plotly_chart") if c.proto.id.endswith(f"-{key}"))
    return plain_lists(json.loads(chart.proto.spec))


def test_the_rates_table_equals_the_hand_worked_small_shop(db: Path) -> None:
    app = open_app(small_shop_query(db), page=PAGE)
    table = app.dataframe[0].value
    # latest first; February 2024 worked out by hand in tests/test_kpis.py
    february = table[table["Period"] == "Feb 2024"].iloc[0]
    assert february["Customers in the base at the start"] == 3
    assert february["New customers"] == 1
    assert february["Customers in the base"] == 3
    assert february["Churned customers"] == 1
    assert february["Retention rate (CRR)"] == pytest.approx(200 / 3)
    assert february["Strict retention rate"] == pytest.approx(200 / 3)
    # the data stops on 15 April: April is labelled and measured up to that day
    assert list(table["Period"]) == ["Apr 2024 to Apr 15, 2024 *", "Mar 2024", "Feb 2024",
                                     "Jan 2024 *"]
    april = table.iloc[0]
    assert (april["Customers in the base"], april["Churned customers"]) == (2, 0)
    assert april["Retention rate (CRR)"] == pytest.approx(100.0)
    assert april["Strict retention rate"] == pytest.approx(50.0)
    # March against February: strict 1/3 vs 2/3, p = 0.414 (tests/test_cli.py works it out)
    march = table[table["Period"] == "Mar 2024"].iloc[0]
    assert (march["Strict retention change"], march["p-value"], march["Change"]) == (
        "−33.3 pp", "p = 0.41", "Within normal variation")
    assert table.iloc[0]["Change"] == "Not tested: a period is incomplete"


def test_the_heatmap_shows_the_cohort_table_and_marks_periods_in_progress(db: Path) -> None:
    app = open_app(small_shop_query(db), page=PAGE)
    spec = figure(app, "cohort_heatmap")
    progress, cells = spec["data"][0], spec["data"][1]
    assert cells["y"] == ["Average", "Jan 2024 · n=3", "Feb 2024 · n=1",
                          "Mar 2024 · n=1"]
    # tests/test_retention.py: Jan cohort 100, 33.3, 33.3, (April in progress)
    assert cells["z"][1][:3] == pytest.approx([100, 100 / 3, 100 / 3])
    assert cells["z"][1][3] is None and progress["z"][1][3] == 1
    assert cells["z"][0][:3] == pytest.approx([100, 25, 100 / 3])  # the weighted average
    assert cells["text"][2][1] == "0.0% †"  # Feb cohort, 1 customer: marked, not hidden


def test_the_cohort_switches_live_in_the_url_and_change_the_numbers(db: Path) -> None:
    app = open_app(small_shop_query(db, cohort_mode="unbounded", cohort_show="counts"),
                   page=PAGE)
    assert app.radio(key="cohort_mode").value == "unbounded"
    spec = figure(app, "cohort_heatmap")
    assert spec["data"][1]["text"][1][:3] == ["3 †", "2 †", "2 †"]  # A, B, E; then A, B
    app.radio(key="cohort_metric").set_value("revenue").run()
    assert app.query_params["cohort_metric"] == "revenue"
    spec = figure(app, "cohort_heatmap")
    assert spec["data"][1]["z"][1][:3] == pytest.approx([100, 80 / 4.4, 60 / 4.4])


def test_the_demo_view_equals_metrics(db: Path) -> None:
    with Store(db) as store:
        dataset = store.dataset("Demo shop")
        filters = Filters(period="quarter", inactivity_days=120,
                          segments=(("channel", ("Marketplace",)),))
        rates = retention_table(store, dataset, filters)
        cohorts = cohort_table(store, dataset, filters)
    app = open_app({"dataset": dataset.id, "period": "quarter", "w": "120",
                    "seg.channel": "Marketplace"}, page=PAGE)
    assert not app.warning
    shown = app.dataframe[0].value
    assert list(shown["Churned customers"]) == list(rates["churned_customers"])[::-1]
    average = cohort_average(cohorts)
    z = figure(app, "cohort_heatmap")["data"][1]["z"][0]
    for offset, value in zip(average["period_offset"], average["retention_pct"], strict=True):
        assert z[offset] == pytest.approx(value)
    lifecycle = figure(app, "lifecycle_chart")
    assert [trace["name"] for trace in lifecycle["data"]] == [
        "New", "Returning", "Resurrected", "Dormant"]
    assert all(v <= 0 for v in lifecycle["data"][3]["y"])  # dormant drawn below zero
    survival = figure(app, "survival_chart")
    # 42 characters: two lines for a 360 px phone (38 at most), as even as they can be
    assert survival["layout"]["title"]["text"] == "Customer survival<br>(Kaplan-Meier, 95% band)"
    assert not math.isnan(survival["data"][1]["y"][-1])


@pytest.mark.parametrize(("query", "mentions"), [
    ({"cohort_metric": "profit"}, "cohort metric “profit”"),
    ({"curve_by": "Colour"}, "curve split “Colour”"),
    ({"base": "subscriptions"}, "customer base “subscriptions”"),
])
def test_bad_page_parameters_warn_and_fall_back(db: Path, query: dict[str, str],
                                                mentions: str) -> None:
    app = open_app(query, page=PAGE)
    warnings = [unescaped(w.value) for w in app.warning]
    assert any(mentions in w and "default is shown" in w for w in warnings), warnings
    assert app.get("plotly_chart")


def test_splits_by_segment_draw_one_line_per_value(db: Path) -> None:
    app = open_app({"curve_by": "channel", "survival_by": "channel"}, page=PAGE)
    curves = figure(app, "curves_chart")
    names = [trace["name"] for trace in curves["data"]]
    assert names == ["Marketplace", "Online shop", "Physical store", "Weighted average"]
    survival = figure(app, "survival_chart")
    assert [t["name"] for t in survival["data"] if t.get("mode") == "lines"] == [
        "Marketplace", "Online shop", "Physical store"]
    medians = app.dataframe[-1].value
    assert list(medians["Group"]) == ["Marketplace", "Online shop", "Physical store"]
    assert app.query_params["curve_by"] == "channel"


def test_survival_of_one_time_and_repeat_customers(db: Path) -> None:
    app = open_app({"survival_view": "one_time_vs_repeat"}, page=PAGE)
    assert not app.exception
    assert app.radio(key="survival_view").options == [
        "All customers", "One-time vs repeat customers",
        "Repeat customers, from their second purchase"]
    survival = figure(app, "survival_chart")
    assert [t["name"] for t in survival["data"] if t.get("mode") == "lines"] == [
        "One-time customers", "Repeat customers"]
    with Store(db) as store:
        dataset = store.dataset("Demo shop")
        _, split = survival_curves(store, dataset, Filters(), view="one_time_vs_repeat")
        _, second = survival_curves(store, dataset, Filters(), view="repeat_from_second")
    medians = app.dataframe[-1].value
    assert list(medians["Group"]) == ["One-time customers", "Repeat customers"]
    assert list(medians["Customers"]) == list(split["customers"])
    # what the median means, in one sentence on the page
    assert any("the day by which half of the customers followed had left the base"
               in unescaped(c.value) for c in app.caption)
    app.radio(key="survival_view").set_value("repeat_from_second").run()
    assert app.query_params["survival_view"] == "repeat_from_second"
    medians = app.dataframe[-1].value
    assert list(medians["Customers"]) == list(second["customers"])
    assert list(medians["Median lifetime (days)"]) == [f"{v:,}" for v in second["median_days"]]


def test_the_suggested_window_button_sets_w(db: Path) -> None:
    app = open_app(page=PAGE)
    button = next(b for b in app.button if b.key == "use_suggested_w")
    days = int(button.label.split()[1])
    button.click().run()
    assert app.number_input(key="w").value == days
    assert app.query_params["w"] == str(days)
