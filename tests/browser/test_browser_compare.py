"""A shared comparison in the real browser: the Compare page opened from a link, its URL
copied (with view B's ``b.`` keys the app wrote back) and opened in a fresh browser
context, which shows both views' values again; at 1440 and 390 px, and in Romanian.

Small shop, W = 30, March 2024 (tests/test_app_compare.py works it out by hand): churn
50.0% in view A (channel web) and 100.0% in view B (channel store), +50.0 pp."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, expect

from metrics.store import Store
from tests.browser.test_browser import Watched, browser, serve  # noqa: F401 (a fixture)
from tests.browser.test_browser_links import wait_for_text


@pytest.fixture(scope="module")
def compare_app(demo_db_template: Path, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[tuple[str, str]]:
    """The dashboard on the demo and the small shop; (its URL, the small shop's id)."""
    db = tmp_path_factory.mktemp("compare") / "compare.duckdb"
    shutil.copytree(demo_db_template, db)
    with Store(db) as store:
        small = store.dataset("Small shop").id
    with serve(db) as url:
        yield url, small


def _churn_row(watched: Watched) -> list[str]:
    """The comparison table's churn row as the browser shows it (the grid's cells)."""
    row = watched.page.locator("table tr", has_text="Churn rate").first
    expect(row).to_contain_text("%")  # the grid draws its cells after the page settles
    return [text.strip() for text in row.locator("td").all_inner_texts()]


@pytest.mark.parametrize("width", [1440, 390])
def test_a_shared_comparison_reopens_in_a_fresh_browser(
        compare_app: tuple[str, str], browser: Browser, width: int) -> None:  # noqa: F811
    url, small = compare_app
    sender = Watched(browser, width=width)
    try:
        sender.open(f"{url}/compare?dataset={small}&w=30&seg.channel=web"
                    "&b.seg.channel=store&compare_metric=churn_rate")
        wait_for_text(sender, "B · Channel: store, values of Mar 2024")
        shared = sender.page.url
        sender.check(f"compare-sender-{width}")
    finally:
        sender.close()
    query = parse_qs(urlsplit(shared).query)
    assert query["b.seg.channel"] == ["store"] and query["seg.channel"] == ["web"]

    colleague = Watched(browser, width=width)  # a fresh context: no session, no cookies
    try:
        colleague.open(shared)
        wait_for_text(colleague, "A · Channel: web, values of Mar 2024")
        wait_for_text(colleague, "B · Channel: store, values of Mar 2024")
        cells = _churn_row(colleague)
        assert cells[:3] == ["Churn rate", "50.0%", "100.0%"], cells
        if width == 1440:  # a phone's grid draws the columns scrolled into view only
            assert cells[3] == "+50.0 pp", cells
        legend = colleague.page.locator(".js-plotly-plot .legend").first.text_content() or ""
        assert "A · Channel: web" in legend and "B · Channel: store" in legend
        colleague.check(f"compare-colleague-{width}")
    finally:
        colleague.close()


@pytest.mark.parametrize("width", [1440, 390])
def test_the_comparison_in_romanian(compare_app: tuple[str, str], browser: Browser,  # noqa: F811
                                    width: int) -> None:
    url, small = compare_app
    watched = Watched(browser, width=width)
    try:
        watched.open(f"{url}/compare?lang=ro&dataset={small}&w=30&seg.channel=web"
                     "&b.seg.channel=store")
        # segment values are data: "web" and "store" as the file has them
        wait_for_text(watched, "web")
        wait_for_text(watched, "store")
        expect(watched.page.locator("table").first).to_contain_text("100,0")
        watched.check(f"compare-ro-{width}")
    finally:
        watched.close()
