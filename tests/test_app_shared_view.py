"""The first computation of a view many sessions share (README, "Many users on one server"):
the pages read the tables stored with the orders (metrics/page_aggregates.py) wherever
those answer the view, rather than running the queries over every order, and show the
same numbers as those queries."""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dashboard import figures, services
from dashboard.formatting import format_value
from dashboard.report import build_report
from metrics import retention
from metrics.definitions import KPIS
from metrics.engines.duckdb_engine import DuckDBEngine
from metrics.kpis import kpi_table
from metrics.page_aggregates import add_page_aggregates
from metrics.query.filters import Filters
from metrics.store import Store
from tests.test_app import dataset_id, open_app
from tests.test_page_aggregates import without_page_tables

DEMO = "Demo shop"
# The first line of the KPI query over the orders (sql/kpis.sql and
# sql/kpis_from_history.sql), not of the query reading the stored KPI table.
KPI_QUERY = "-- KPIs per period"


@pytest.fixture
def demo_pages(db: Path) -> Iterator[Path]:
    """The demo database with the page tables of the demo shop (it is under the size that
    gets them at ingest), no result of it cached."""
    with Store(db) as store:
        add_page_aggregates(store, store.dataset(DEMO))
    services.clear_results()
    yield db
    services.clear_results()


def executed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL text the DuckDB engine runs from now on."""
    run: list[str] = []

    def recording(original: Any) -> Any:
        def recorded(engine: DuckDBEngine, sql: str, params: Any) -> Any:
            run.append(sql)
            return original(engine, sql, params)
        return recorded

    for name in ("frame", "arrow", "rows", "columns_rows"):
        monkeypatch.setattr(DuckDBEngine, name, recording(getattr(DuckDBEngine, name)))
    return run


@pytest.mark.parametrize(("period", "at"), [("month", date(2024, 6, 1)),
                                            ("week", date(2024, 6, 3))])
def test_the_overview_of_the_whole_data_reads_the_stored_kpi_table(
        demo_pages: Path, monkeypatch: pytest.MonkeyPatch, period: str, at: date) -> None:
    # The demo starts on 1 November 2023: the cards' history used to start a period
    # before the data (the period before the first one shown), a range the stored table
    # does not hold, so the KPI query ran over every order.
    sql = executed(monkeypatch)
    app = open_app({"dataset": dataset_id(demo_pages, DEMO), "period": period,
                    "at": at.isoformat()})
    assert sql, "the page ran its queries"
    assert not [text for text in sql if KPI_QUERY in text]
    # the cards show the KPI query's numbers (over the orders, no page table)
    with Store(demo_pages) as store:
        dataset = without_page_tables(store.dataset(DEMO))
        table = kpi_table(store, dataset, Filters(period=period))  # type: ignore[arg-type]
    row = table[table["period_start"] == at].iloc[0]
    previous = table[table["period_start"] < at].iloc[-1]
    cards = {metric.label.split(" (")[0]: metric for metric in app.metric}
    for metric in KPIS:
        card = cards[metric.title().split(" (")[0]]
        assert card.value == format_value(row[metric.id], metric.unit, None, whole=True), \
            metric.id
        if row[metric.id] != previous[metric.id]:
            assert card.delta, metric.id


def test_a_retention_run_reads_the_cached_kpi_table_once(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the rates, the "Why did it move?" panel and the lifecycle all come from the KPI
    # table; each read of a cached result unpickles a copy of it
    reads: list[Filters] = []
    read = services.kpis

    def counted(dataset: Any, filters: Filters) -> Any:
        reads.append(filters)
        return read(dataset, filters)
    monkeypatch.setattr(services, "kpis", counted)
    app = open_app({"dataset": dataset_id(db, DEMO)}, page="app_pages/retention.py")
    assert len(reads) == 1
    assert app.get("plotly_chart"), "the page drew its charts"
    # the lifecycle chart still shows that table: its first bars are the new customers
    with Store(db) as store:
        table = kpi_table(store, store.dataset(DEMO), reads[0])
    chart = next(chart for chart in app.get("plotly_chart")
                 if chart.proto.id.endswith("lifecycle_chart"))
    new = json.loads(chart.proto.spec)["data"][0]["customdata"]
    assert numbers(new) == table["new_customers"].tolist()


def numbers(values: Any) -> list[float]:
    """A trace's array as Plotly writes it: a list, or typed bytes in base64."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), values["dtype"]).tolist()
    return list(values)


def test_a_second_session_derives_no_lifecycle_table(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the lifecycle table is made from the KPI table once for the view and shared
    derived: list[int] = []
    derive = retention.lifecycle_from_kpis

    @functools.wraps(derive)
    def counted(kpis: Any) -> Any:
        derived.append(len(kpis))
        return derive(kpis)
    monkeypatch.setattr(retention, "lifecycle_from_kpis", counted)
    figures.clear()
    query = {"dataset": dataset_id(db, DEMO)}
    first = open_app(query, page="app_pages/retention.py")
    second = open_app(query, page="app_pages/retention.py")
    assert len(derived) == 1
    # both sessions draw it: one bar per period of the KPI table
    for app in (first, second):
        chart = next(chart for chart in app.get("plotly_chart")
                     if chart.proto.id.endswith("lifecycle_chart"))
        assert len(json.loads(chart.proto.spec)["data"][0]["x"]) == derived[0]


def test_the_heatmap_and_the_curves_share_one_cohort_average(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the heatmap's average row and the curves' dashed line are the same average of the
    # customers' cohort table: computed once, read once a run
    averaged: list[bool] = []
    name = f"{retention.cohort_average.__module__}.{retention.cohort_average.__qualname__}"
    average = services._DERIVED[name]

    def counted(cohorts: Any, **options: Any) -> Any:
        averaged.append(options.get("unbounded", False))
        return average(cohorts, **options)
    monkeypatch.setitem(services._DERIVED, name, counted)
    services.clear_results()
    app = open_app({"dataset": dataset_id(db, DEMO)}, page="app_pages/retention.py")
    assert averaged == [False]
    # the dashed line is that average: the cohort table's weighted average at offset 1
    with Store(db) as store:
        cohorts = retention.cohort_table(store, store.dataset(DEMO),
                                         Filters(period="month", inactivity_days=90))
    done = cohorts[(cohorts["period_offset"] == 1) & cohorts["complete"].astype(bool)]
    expected = 100 * done["active_customers"].sum() / done["cohort_size"].sum()
    chart = next(chart for chart in app.get("plotly_chart")
                 if chart.proto.id.endswith("curves_chart"))
    dashed = [trace for trace in json.loads(chart.proto.spec)["data"]
              if trace.get("line", {}).get("dash")]
    assert len(dashed) == 1
    assert numbers(dashed[0]["y"])[1] == pytest.approx(expected)


def test_the_reports_overview_reads_the_stored_kpi_table_too(
        demo_pages: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the PDF report's cards have the same history as the page's
    sql = executed(monkeypatch)
    with Store(demo_pages) as store:
        dataset = store.dataset(DEMO)
        report = build_report(store, dataset, Filters(period="month"), pages=("overview",),
                              at=date(2024, 6, 1), images=False)
        assert sql and not [text for text in sql if KPI_QUERY in text]
        table = kpi_table(store, without_page_tables(dataset), Filters(period="month"))
    row = table[table["period_start"] == date(2024, 6, 1)].iloc[0]
    cards = {card.label: card.value for card in report.sections[0].cards}
    assert cards == {metric.title(): format_value(row[metric.id], metric.unit,
                                                  dataset.currency, whole=True)
                     for metric in KPIS}
