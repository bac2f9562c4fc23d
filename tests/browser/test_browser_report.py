"""The report's HTML in a real browser: opened from a file in Debian's Chromium, it draws its
charts and asks the network for nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import Browser

from metrics.cli import main
from tests.browser import test_browser

# the browser tests' Chromium fixture, started once for this module too
browser = test_browser.browser


def test_the_html_report_asks_the_network_for_nothing(
        demo_db_template: Path, tmp_path: Path, browser: Browser) -> None:
    db = tmp_path / "demo.duckdb"
    shutil.copytree(demo_db_template, db)
    html = tmp_path / "report.html"
    assert main(["--db", str(db), "report", "--dataset", "Demo shop", "--pages",
                 "overview,segments", "--format", "html", "--out", str(html),
                 "--base-url", "http://127.0.0.1:9/"]) == 0
    page = browser.new_page(viewport={"width": 1000, "height": 1400})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.goto(html.as_uri())
    page.wait_for_load_state("networkidle")
    # every image is drawn (decoded from its data: URL), at its full width
    widths = page.eval_on_selector_all("img", "images => images.map(i => i.naturalWidth)")
    assert len(widths) == 2 and all(width == 1000 for width in widths)
    # the page itself, then only its data: images; nothing else, nowhere else
    assert [url for url in requests if not url.startswith("data:")] == [html.as_uri()]
    assert errors == []
    test_browser.ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(test_browser.ARTIFACTS / "report-html.png"), full_page=False)
    page.close()


def test_a_chart_image_and_the_report_download_from_the_running_app(
        demo_db_template: Path, tmp_path: Path, browser: Browser) -> None:
    db = tmp_path / "app.duckdb"
    shutil.copytree(demo_db_template, db)
    with test_browser.serve(db) as url:
        watched = test_browser.Watched(browser)
        page = watched.open(url)
        # the Overview's trend, as a PNG made by kaleido in a thread of the server
        with page.expect_download(timeout=120_000) as image:
            page.get_by_role("button", name="Image as PNG").first.click()
        data = Path(image.value.path()).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(data[16:20], "big") == 1000  # IHDR width: the image's
        assert image.value.suggested_filename == "loyaltylens-trend.png"
        # the view's report, from the sidebar
        with page.expect_download(timeout=300_000) as report:
            test_browser.sidebar(page).get_by_role("button", name="Download report").click()
        assert Path(report.value.path()).read_bytes()[:5] == b"%PDF-"
        watched.check("report-downloads")
        watched.close()
