"""The Compare page: a link's two views (A from the sidebar, B from its ``b.`` keys), the
table's values worked out by hand, the chart's two series named by their filters, B in the
URL, two datasets, and bad B values as one plain sentence each.

Small shop (tests/data/orders_small.csv), W = 30, March 2024 (the latest complete month;
the data runs to 15 April). Every customer buys in one channel only:
web:   S (base on 29 Feb) = A (10 Feb), C (3 Feb) = 2; N = D; on 31 March A (25 Mar) and
       D (2 Mar) are in, C (57 days) out: E = 2. Churn (2 + 1 − 2) / 2 = 50%, strict
       retention 1/2 = 50%; orders D, D, A = 3, revenue 70 + 20 + 60 = 150.
store: S = E (31 Jan; B's 10 Jan is 50 days old) = 1; on 31 March E is out: E = 0.
       Churn (1 + 0 − 0) / 1 = 100%, strict retention 0/1 = 0%; no orders.
Strict retention, B (store) against A (web): pooled p = 1/3,
SE = √(1/3 × 2/3 × (1/1 + 1/2)) = √(1/3) = 0.57735, z = (0 − 0.5) / 0.57735 = −0.8660,
p = 2 (1 − Φ(0.8660)) = 0.3865: "p = 0.39".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from metrics.compare import ViewState, compare
from metrics.definitions import KPIS
from metrics.query.filters import Filters
from metrics.store import Store
from tests.test_app import dataset_id, open_app, unescaped
from tests.test_app_retention import figure

PAGE = "app_pages/compare.py"
LINK = {"w": "30", "seg.channel": "web", "b.seg.channel": "store"}


def _table(app: AppTest) -> pd.DataFrame:
    table = next(d.value for d in app.dataframe if "Difference (B − A)" in d.value.columns)
    return table.set_index("KPI")


def _figure(app: AppTest) -> dict[str, Any]:
    return figure(app, "compare_trend")


def test_a_link_compares_two_segments_worked_out_by_hand(db: Path) -> None:
    app = open_app({"dataset": dataset_id(db, "Small shop"), **LINK}, page=PAGE)
    assert not app.warning and not app.error
    table = _table(app)
    churn = table.loc["Churn rate"]
    assert (churn["View A"], churn["View B"], churn["Difference (B − A)"]) == (
        "50.0%", "100.0%", "+50.0 pp")
    assert churn["Significance"] == "Within normal variation"
    assert churn["Test"] == "two-proportion z-test, p = 0.39"
    strict = table.loc["Strict retention rate"]
    assert (strict["View A"], strict["View B"]) == ("50.0%", "0.0%")
    assert (table.loc["Orders", "View A"], table.loc["Orders", "View B"]) == ("3", "0")
    assert table.loc["Revenue", "View A"] == "€150.00"
    assert table.loc["Customers in the base", "Significance"] == ("Not tested: a headcount, "
                                                                  "not a sample")
    assert len(table) == len(KPIS)
    headlines = [unescaped(m.value) for m in app.markdown if "values of" in m.value]
    assert headlines == ["A · Channel: web, values of Mar 2024",
                         "B · Channel: store, values of Mar 2024"]
    # both views stay in the link
    assert app.query_params["seg.channel"] == "web"
    assert app.query_params["b.seg.channel"] == "store"
    assert app.query_params["b.dataset"] == dataset_id(db, "Small shop")


def test_the_chart_draws_both_views_named_by_their_filters(db: Path) -> None:
    app = open_app({"dataset": dataset_id(db, "Small shop"), **LINK,
                    "compare_metric": "churn_rate"}, page=PAGE)
    traces = _figure(app)["data"]
    assert [trace["name"] for trace in traces] == ["A · Channel: web", "B · Channel: store"]
    # March is the third month (January to April); its churn by hand: 50% and 100%
    assert [trace["y"][2] for trace in traces] == [50.0, 100.0]
    assert traces[0]["x"] == ["Jan 2024", "Feb 2024", "Mar 2024", "Apr 2024 to Apr 15, 2024"]


def test_the_page_shows_what_metrics_compare_computes(db: Path) -> None:
    """Two datasets: A the small shop, B the demo shop over its last quarter."""
    query = {"dataset": dataset_id(db, "Small shop"), "w": "30",
             "b.dataset": dataset_id(db, "Demo shop"), "b.start": "2025-10-01",
             "b.end": "2025-12-31"}
    app = open_app(query, page=PAGE)
    assert not app.warning and not app.error
    with Store(db) as store:
        small, demo = store.dataset("Small shop"), store.dataset("Demo shop")
        found = compare(store, ViewState(small, app_filters(app, start=None, end=None)),
                        ViewState(demo, app_filters(app, start=pd.Timestamp("2025-10-01").date(),
                                                    end=pd.Timestamp("2025-12-31").date())))
    table = _table(app)
    records = found.records.set_index("metric")
    orders = KPIS[[m.id for m in KPIS].index("orders")]
    assert table.loc[orders.title(), "View B"] == f"{int(records.loc['orders', 'b']):,}"
    assert table.loc[orders.title(), "View A"] == "3"
    names = [trace["name"] for trace in _figure(app)["data"]]
    assert names[1].startswith("B · Demo shop · ")


def app_filters(app: AppTest, **changes: Any) -> Filters:
    """The sidebar's filters of view A, changed by ``changes``."""
    start, end = app.date_input(key="dates").value
    filters = Filters(period=app.radio(key="period").value, start=start, end=end,
                      inactivity_days=int(app.number_input(key="w").value))
    return Filters(**{**filters.__dict__, **changes})


@pytest.mark.parametrize(("query", "what"), [
    ({"b.seg.channel": "**phone**"}, "segment “Channel” of view B"),
    ({"b.dataset": "no-such-id"}, "dataset of view B"),
    ({"b.start": "abc"}, "start date of view B"),
    ({"compare_metric": "profit"}, "metric"),
])
def test_a_bad_value_of_the_link_is_one_plain_sentence(db: Path, query: dict[str, str],
                                                        what: str) -> None:
    app = open_app({"dataset": dataset_id(db, "Small shop"), **query}, page=PAGE)
    warnings = [unescaped(w.value) for w in app.warning]
    value = next(iter(query.values()))
    assert warnings == [f"The link's {what} “{value}” cannot be used, so the default is "
                        "shown."]
    # user text stays text: the asterisks are escaped, not bold
    assert all("\\*\\*phone" in w.value for w in app.warning if "phone" in w.value)
    assert _table(app) is not None


def test_without_a_view_b_it_is_view_a(db: Path) -> None:
    app = open_app({"dataset": dataset_id(db, "Small shop")}, page=PAGE)
    assert [unescaped(i.value) for i in app.info] == [
        "View B is the same as view A: choose another segment value, date range or dataset "
        "for it."]
    assert set(_table(app)["Difference (B − A)"]) <= {"0", "+0.0 pp", "0.0 pp", "–", "€0.00",
                                                       "0 (0.0%)", "€0.00 (0.0%)"}


def test_choosing_another_dataset_for_b_starts_its_filters_afresh(db: Path) -> None:
    app = open_app({"dataset": dataset_id(db, "Small shop"), **LINK}, page=PAGE)
    app.selectbox(key="b.dataset").set_value(dataset_id(db, "Demo shop")).run()
    assert not app.exception
    assert "b.seg.channel" not in app.query_params
    assert app.query_params["b.dataset"] == dataset_id(db, "Demo shop")
    assert app.query_params["b.start"] != "2024-01-05"  # the demo's own first day


def test_the_page_opens_on_an_empty_database(isolated_db: Path) -> None:
    app = open_app(page=PAGE)
    assert app.info, "an empty database explains what to do"


def test_view_bs_number_is_explained_down_to_its_inputs(db: Path) -> None:
    """Churn of view B (store, March): S = 1, N = 0, E = 0: (1 + 0 − 0) ÷ 1 = 100%."""
    app = open_app({"dataset": dataset_id(db, "Small shop"), **LINK,
                    "compare_metric": "churn_rate"}, page=PAGE, explainers=True)
    app.toggle(key="explain_compare_b_churn_rate").set_value(True).run()
    assert not app.exception, app.exception
    captions = [unescaped(c.value) for c in app.caption]
    start = captions.index("Formula: (S + N − E) ÷ S × 100")
    assert captions[start + 1:start + 4] == ["Customers in the base at the start = 1",
                                             "New customers = 0", "Customers in the base = 0"]
    assert "The SQL that computed it, for Mar 1, 2024 to Mar 31, 2024:" in captions
    # the period explained is the one the table compares (March), the last one offered
    assert app.selectbox(key="explain_compare_b_period").value.isoformat() == "2024-03-01"


def test_a_view_b_within_as_dataset_follows_a_to_another_dataset(db: Path) -> None:
    app = open_app({"dataset": dataset_id(db, "Small shop"), **LINK}, page=PAGE)
    app.selectbox(key="dataset").set_value(dataset_id(db, "Demo shop")).run()
    assert not app.exception
    assert app.query_params["b.dataset"] == dataset_id(db, "Demo shop")
    assert "b.seg.channel" not in app.query_params
    assert [unescaped(i.value) for i in app.info][:1] == [
        "View B is the same as view A: choose another segment value, date range or dataset "
        "for it."]
