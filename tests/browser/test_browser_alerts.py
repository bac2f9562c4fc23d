"""Alerts in a real browser: the Alerts page under ``streamlit run`` draws each rule's state
and the editor without an error, and the digest's HTML asks the network for nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import Browser, expect

from metrics.cli import main
from metrics.demo import DEMO_NAME
from metrics.store import Store
from tests.browser import test_browser

# the browser tests' fixtures: Chromium and the served demo, started once for this module
browser = test_browser.browser
app_url = test_browser.app_url


def test_the_alerts_page_shows_the_rules_state_and_editor(app_url: str, browser: Browser,
                                                          demo_db_template: Path) -> None:
    with Store(demo_db_template) as store:
        demo = store.dataset(DEMO_NAME).id
    watched = test_browser.Watched(browser)
    page = watched.open(f"{app_url}/alerts?dataset={demo}")
    main_area = page.get_by_test_id("stMainBlockContainer")
    expect(main_area.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()
    # the demo has no rules of its own: the default ones, the first on churn
    expect(main_area.get_by_text("Churn rate: up by more than 2 pp").first).to_be_visible()
    expect(main_area.get_by_role("button", name="Save rules")).to_be_visible()
    watched.check("desktop-alerts")


def test_the_digest_html_asks_the_network_for_nothing(
        demo_db_template: Path, tmp_path: Path, browser: Browser) -> None:
    db = tmp_path / "demo.duckdb"
    shutil.copytree(demo_db_template, db)
    assert main(["--db", str(db), "digest", "--dataset", DEMO_NAME, "--as-of", "2026-11-30",
                 "--industry", "Retail", "--out", str(tmp_path)]) != 3  # written
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    html = tmp_path / "digest.html"
    page.goto(html.as_uri())
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name="Alerts")).to_be_visible()
    assert requests == [html.as_uri()]
    assert errors == []
    page.close()
