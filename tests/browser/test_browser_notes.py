"""Notes on the charts in the real browser: one added in the sidebar shows on the Overview's
trend as text (a note reading like a link makes none), its label over nothing else, on a
desktop and on a phone."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from metrics.annotations import add_annotation
from metrics.store import Store
from tests.browser.test_browser import Watched, browser, serve, sidebar  # noqa: F401 (a fixture)

EVIL = '<a href="https://evil.example">x</a>'


@pytest.fixture(scope="module")
def notes_app(demo_db_template: Path, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[str]:
    """The dashboard on the demo (months Nov 2023 to Nov 2026) with two notes a month
    apart, so their labels need rows of their own."""
    db = tmp_path_factory.mktemp("notes") / "notes.duckdb"
    shutil.copytree(demo_db_template, db)
    with Store(db) as store:
        demo = store.dataset("Demo shop")
        add_annotation(store, demo, "2025-03-10", "Price increase")
        add_annotation(store, demo, "2025-04-02", "Loyalty programme launched in all shops")
    with serve(db) as url:
        yield url


def test_a_note_added_in_the_sidebar_is_drawn_as_text_over_nothing_else(
        notes_app: str, browser: Browser) -> None:  # noqa: F811
    watched = Watched(browser)
    try:
        page = watched.open(notes_app)
        notes = sidebar(page).get_by_text("Notes on the charts")
        notes.click()
        sidebar(page).get_by_label("Note").fill(EVIL)  # dated the view's last day
        sidebar(page).get_by_role("button", name="Add note").click()
        watched.settle()
        trend = page.locator(".js-plotly-plot").first
        # the label, cut to 22 characters, reads as typed; no link anywhere on the page
        expect(trend.get_by_text('<a href="https://evil…')).to_be_visible()
        expect(trend.get_by_text("Loyalty programme lau…")).to_be_visible()
        assert page.locator('a[href*="evil"]').count() == 0
        assert trend.locator(".annotation").count() == 4  # "Hollow markers" and 3 notes
        assert watched.overlaps() == []
        watched.check("notes-desktop")
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(1500)  # Plotly redraws its charts on a resize
        assert watched.overlaps() == []
        watched.check("notes-phone")
    finally:
        watched.close()
