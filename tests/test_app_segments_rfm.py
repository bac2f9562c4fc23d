"""The Segments page's RFM view and the RFM segment filter under AppTest: what is shown
equals the ``metrics`` results for the linked view; its widgets live in the URL; bad values
warn."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dashboard.formatting import format_value
from metrics.definitions import KPIS
from metrics.kpis import kpi_table
from metrics.query.filters import Filters
from metrics.query.rfm import RFM_SEGMENTS
from metrics.query.segments import RFM_SEGMENT, segment_values
from metrics.rfm import rfm_summary, rfm_table
from metrics.segments import segment_summary
from metrics.store import Store
from tests.test_app import dataset_id, open_app, unescaped
from tests.test_app_retention import figure

PAGE = "app_pages/segments/segments.py"
CHAMPIONS = ((RFM_SEGMENT, ("Champions",)),)


def test_the_rfm_view_equals_the_metrics_summary(db: Path) -> None:
    app = open_app(page=PAGE)
    with Store(db) as store:
        summary = rfm_summary(store, store.dataset("Demo shop"), Filters())
    shown = app.dataframe[0].value
    assert shown["Segment"].tolist() == list(RFM_SEGMENTS)
    assert shown["Customers"].tolist() == [format_value(v, "customers", None)
                                           for v in summary["customers"]]
    assert shown["Share of revenue"].tolist() == [format_value(v, "percent", None)
                                                  for v in summary["revenue_share"]]
    treemap = figure(app, "rfm_treemap")["data"][0]
    assert treemap["type"] == "treemap"
    assert treemap["labels"] == [s for s, n in zip(summary["segment"], summary["customers"],
                                                   strict=True) if n > 0]
    assert treemap["values"] == [n for n in summary["customers"] if n > 0]
    # the rules are on the page, in plain text
    assert any("quintiles" in unescaped(c.value) for c in app.caption)
    assert any("Champions: R 4–5, FM 4–5" in unescaped(m.value) for m in app.markdown)
    assert app.query_params["rfm_pick"] == "Champions"
    assert app.query_params["compare_by"] == RFM_SEGMENT


def test_a_linked_segment_lists_its_customers(db: Path) -> None:
    app = open_app({"rfm_pick": "Lost"}, page=PAGE)
    with Store(db) as store:
        table = rfm_table(store, store.dataset("Demo shop"), Filters())
    lost = table[table["segment"] == "Lost"]
    listed = app.dataframe[1].value
    assert sorted(listed["Customer"]) == sorted(lost["customer_id"])
    assert listed["Revenue"].is_monotonic_decreasing
    assert app.selectbox(key="rfm_pick").value == "Lost"
    downloads = [b.proto.label for b in app.get("download_button")]
    assert "Data as CSV" in downloads


def test_use_as_filter_sets_the_sidebar_filter(db: Path) -> None:
    app = open_app({"rfm_pick": "At risk"}, page=PAGE)
    next(b for b in app.button if b.key == "rfm_use_as_filter").click().run()
    assert not app.exception
    assert app.multiselect(key="seg.rfm").value == ["At risk"]
    assert app.query_params["seg.rfm"] == "At risk"
    assert app.dataframe[0].value["Segment"].tolist() == ["At risk"]


def test_the_comparison_follows_the_url(db: Path) -> None:
    app = open_app({"compare_by": "channel", "w": "60"}, page=PAGE)
    with Store(db) as store:
        dataset = store.dataset("Demo shop")
        expected = segment_summary(store, dataset, Filters(inactivity_days=60), "channel")
        values = segment_values(store, dataset)["channel"]
    shown = app.dataframe[2].value
    assert shown["Channel"].tolist() == values
    assert shown["Customers"].tolist() == [format_value(v, "customers", None)
                                           for v in expected["customers"]]
    assert shown["Retention rate (CRR)"].tolist() == [
        format_value(v, "percent", None) for v in expected["retention_rate"]]
    # every figure of a row over one window, the CLV's churn among them
    assert shown["Annual churn"].tolist() == [
        format_value(v, "percent", None) for v in expected["annual_churn_pct"]]
    assert any("every figure over the same days (Nov 1, 2023 to" in unescaped(c.value)
               for c in app.caption)
    assert app.query_params["compare_by"] == "channel"


def test_bad_page_values_warn(db: Path) -> None:
    app = open_app({"rfm_pick": "Heroes", "compare_by": "colour"}, page=PAGE)
    warnings = [unescaped(w.value) for w in app.warning]
    assert any("RFM segment “Heroes”" in w and "default is shown" in w for w in warnings)
    assert any("segment to compare “colour”" in w for w in warnings)
    assert app.selectbox(key="rfm_pick").value == "Champions"


def test_the_segments_page_on_an_empty_database(isolated_db: Path) -> None:
    app = open_app(page=PAGE)
    assert app.info


# -- the RFM segment filter on the Overview ----------------------------------------------


def test_the_overview_equals_metrics_with_an_rfm_filter(db: Path) -> None:
    query = {"dataset": dataset_id(db, "Demo shop"), "period": "quarter", "w": "120",
             "seg.rfm": "Champions", "at": "2025-07-01"}
    app = open_app(query)
    assert app.multiselect(key="seg.rfm").value == ["Champions"]
    assert app.multiselect(key="seg.rfm").label == "RFM segment"
    with Store(db) as store:
        dataset = store.dataset("Demo shop")
        table = kpi_table(store, dataset, Filters(period="quarter", inactivity_days=120,
                                                  segments=CHAMPIONS))
        unfiltered = kpi_table(store, dataset, Filters(period="quarter", inactivity_days=120))
    row = table[table["period_start"] == date(2025, 7, 1)].iloc[0]
    everyone = unfiltered[unfiltered["period_start"] == date(2025, 7, 1)].iloc[0]
    assert row["active_customers"] < everyone["active_customers"]
    cards = {metric.label.split(" (")[0]: metric for metric in app.metric}
    for metric in KPIS:
        card = cards[metric.title().split(" (")[0]]
        expected = format_value(row[metric.id], metric.unit,
                                None if metric.unit == "currency" else "RON", whole=True)
        assert card.value == expected, metric.id


def test_a_bad_rfm_segment_in_the_link_warns(db: Path) -> None:
    app = open_app({"seg.rfm": "Heroes"})
    warnings = [unescaped(w.value) for w in app.warning]
    assert any("segment “RFM segment” “Heroes”" in w and "default is shown" in w
               for w in warnings), warnings
    assert app.multiselect(key="seg.rfm").value == []
