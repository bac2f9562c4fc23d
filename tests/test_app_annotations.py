"""The sidebar's "Notes on the charts" under AppTest: a note added there is on the trend
charts of the same run, deleted there it is gone; every trend chart of every page draws it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from metrics.annotations import add_annotation, list_annotations
from metrics.store import Store
from tests.test_app import dataset_id, open_app, unescaped

NOTE = "loyaltylens-note"
EVIL = '<a href="https://evil.example">x</a>'


def _layouts(app: AppTest) -> dict[str, dict[str, Any]]:
    """Each chart's layout, by its widget key."""
    return {chart.proto.id.rsplit("-", 1)[-1]: json.loads(chart.proto.spec)["layout"]
            for chart in app.get("plotly_chart")}


def _notes(layout: dict[str, Any]) -> tuple[list[float], list[tuple[str, str]]]:
    """The x of each note's line, and each note's label and hover text."""
    return ([shape["x0"] for shape in layout.get("shapes", []) if shape.get("name") == NOTE],
            [(label["text"], label["hovertext"]) for label in layout.get("annotations", [])
             if label.get("name") == NOTE])


def _stored(db: Path, name: str) -> list[tuple[date, str]]:
    with Store(db) as store:
        return [(n.day, n.text) for n in list_annotations(store, store.dataset(name))]


def open_notes(app: AppTest) -> AppTest:
    """Open the sidebar's "Notes on the charts", as a click on it does (closed, it draws
    nothing)."""
    app.session_state["notes_open"] = True
    app.run()
    assert not app.exception, app.exception
    return app


def test_the_notes_panel_draws_its_form_and_notes_only_once_opened(db: Path) -> None:
    app = open_app({"dataset": dataset_id(db, "Small shop")})
    assert [e.label for e in app.sidebar.expander] == ["Notes on the charts"]
    assert not [w for w in app.text_input if w.key == "note_text"]
    open_notes(app)
    assert [w.key for w in app.text_input] == ["note_text"]
    assert [w.key for w in app.date_input if w.key == "note_date"] == ["note_date"]


def test_a_note_added_in_the_sidebar_is_on_the_trend_chart_and_deleted_from_it(
        db: Path) -> None:
    app = open_notes(open_app({"dataset": dataset_id(db, "Small shop")}))  # Jan to Apr 2024
    assert _notes(_layouts(app)["trend"]) == ([], [])
    app.date_input(key="note_date").set_value(date(2024, 2, 15))
    app.text_input(key="note_text").input(EVIL)
    app.button(key="note_add").click().run()
    assert not app.exception and not app.error
    assert _stored(db, "Small shop") == [(date(2024, 2, 15), EVIL)]
    # February is the second month (category 1, from 0.5 to 1.5); the 15th is 14 days of 29
    # in; Plotly reads tags in labels, so the text is escaped (shown as typed, no link)
    assert _notes(_layouts(app)["trend"]) == ([0.5 + 14 / 29], [(
        '&lt;a href="https://evil…',
        'Feb 15, 2024: &lt;a href="https://evil.example"&gt;x&lt;/a&gt;')])
    listed = [unescaped(c.value).replace("\u2060", "") for c in app.sidebar.caption]
    assert f"Feb 15, 2024: {EVIL} (added by the administrator)" in listed

    delete = next(b for b in app.sidebar.button if b.key and b.key.startswith("note_delete_"))
    delete.click().run()
    assert not app.exception
    assert _stored(db, "Small shop") == []
    assert _notes(_layouts(app)["trend"]) == ([], [])


def test_a_bad_note_is_refused_in_the_sidebar_and_nothing_is_stored(db: Path) -> None:
    app = open_notes(open_app({"dataset": dataset_id(db, "Small shop")}))
    app.text_input(key="note_text").input("   ")
    app.button(key="note_add").click().run()
    assert [unescaped(e.value) for e in app.sidebar.error] == [
        "The note is empty: write what happened on that day."]
    assert _stored(db, "Small shop") == []


@pytest.mark.parametrize("page", ["app_pages/overview.py", "app_pages/retention.py",
                                  "app_pages/satisfaction.py",
                                  "app_pages/segments/segments.py"])
def test_every_chart_over_periods_draws_the_notes_in_its_range(db: Path, page: str) -> None:
    with Store(db) as store:  # the demo (the default view) runs from Nov 2023 to Nov 2026
        demo = store.datasets()[0]
        add_annotation(store, demo, "2025-03-01", "Price increase")
        add_annotation(store, demo, "2019-01-01", "Before the data")
    app = open_app(page=page)
    layouts = _layouts(app)
    over_periods = {key for key, layout in layouts.items()
                    if layout.get("xaxis", {}).get("title", {}).get("text") == "Period"}
    assert over_periods, "the page has charts over periods"
    for key, layout in layouts.items():
        lines, labels = _notes(layout)
        if key in over_periods:  # one line: the note of 2019 is outside every chart
            assert len(lines) == 1 and labels == [
                ("Price increase", "Mar 1, 2025: Price increase")], key
            # by month, 1 March 2025 is the left edge of its category (16 months after
            # November 2023, the first): 16 - 0.5
            assert lines == [15.5], key
        else:
            assert lines == [], key
