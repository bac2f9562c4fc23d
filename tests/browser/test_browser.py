"""The real app in a real browser: ``streamlit run`` on 127.0.0.1, driven by Playwright in
Debian's Chromium (the Makefile installs it; nothing is downloaded at test time).

The path a marketing manager takes: open the demo, change the granularity, the date
range and a segment filter, switch pages and keep the filters, open the copied URL in a
fresh browser with the same view, upload a CSV and see it stored, download a chart's
data. Every page is screenshotted to tests/artifacts/; a Streamlit exception box or a
browser console error fails the test.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from metrics.demo import DEMO_NAME
from metrics.store import DB_ENV_VAR, Store

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# No background traffic: this machine has no network but the package registries.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
# Opening a page's own path (/retention?...), Streamlit's client first asks for its
# health and host config under that path, gets 404, and then asks at the root: that
# probe is Streamlit's, not an error of the app.
STREAMLIT_PROBE = re.compile(r"/[^/]+/_stcore/(health|host-config)$")
# The tests run on two workers sharing two cores, so a page can take longer to draw than
# Playwright's 5 s default wait for an element.
expect.set_options(timeout=30_000)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(url: str, server: subprocess.Popen[bytes], output: Callable[[], str],
                       seconds: float = 60) -> None:
    """Until the server at ``url`` answers Streamlit's health check; its ``output()`` in
    the error when it stops or does not answer within ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{output()}") from None
            time.sleep(0.3)


@contextmanager
def serve(db: Path, *, env: Mapping[str, str] | None = None, args: Sequence[str] = (),
          port: int | None = None) -> Iterator[str]:
    """The dashboard under ``streamlit run`` on ``db``, on a free port of 127.0.0.1 (or
    ``port``), with more environment variables and command-line options if given."""
    port = port or free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false", *args],
        cwd=ROOT, env={**os.environ, DB_ENV_VAR: str(db), **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, server, lambda: server.stdout.read().decode()
                           if server.stdout else "")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture(scope="module")
def app_url(demo_db_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard under ``streamlit run`` on a copy of the demo database."""
    db = tmp_path_factory.mktemp("browser") / "browser.duckdb"
    shutil.copytree(demo_db_template, db)
    with serve(db) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs it"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Watched:
    """A browser page that records console errors and failed requests."""

    def __init__(self, browser: Browser, width: int = 1440, height: int = 900) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height},
                                           accept_downloads=True)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda message: self.errors.append(message.text)
                     if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.failed: list[str] = []
        self.page.on("response", lambda response: self.failed.append(response.url)
                     if response.status >= 400 else None)

    def open(self, url: str) -> Page:
        self.page.goto(url)
        self.settle()
        return self.page

    def settle(self) -> None:
        """Wait until Streamlit has finished running the script and drawing."""
        page = self.page
        page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=60_000)
        page.wait_for_timeout(500)
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
            " && !document.querySelector('[data-testid=\"stSkeleton\"]')",
            timeout=60_000)
        page.wait_for_timeout(700)

    def check(self, name: str) -> None:
        """Screenshot the page and fail on an exception box or a console error."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.screenshot(ARTIFACTS / f"{name}.png")
        exceptions = self.page.locator('[data-testid="stException"]')
        assert exceptions.count() == 0, exceptions.first.inner_text()
        unexplained = [url for url in self.failed if not STREAMLIT_PROBE.search(url)]
        assert not unexplained, unexplained
        probes = len(self.failed) - len(unexplained)
        errors = [e for e in self.errors if "Failed to load resource" not in e]
        assert not errors, errors
        assert sum("Failed to load resource" in e for e in self.errors) <= probes, self.errors

    def screenshot(self, path: Path) -> None:
        """The whole page: Streamlit scrolls its main area inside a window-high box, so the
        window is made as tall as the content for the picture (its width stays)."""
        page = self.page
        viewport = page.viewport_size
        assert viewport is not None
        height = page.evaluate(
            "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        if height > viewport["height"]:
            page.set_viewport_size({"width": viewport["width"], "height": height})
            page.wait_for_timeout(700)  # Plotly redraws its charts on a resize
        page.screenshot(path=str(path), full_page=True)
        page.set_viewport_size(viewport)

    def overlaps(self) -> list[str]:
        """Parts of a chart drawn over each other (title, legend, axis titles, tick labels
        and the plotting area, as the browser laid them out) and titles cut off."""
        return self.page.evaluate(CHART_OVERLAPS)

    def close(self) -> None:
        self.context.close()


# Boxes of every chart's parts; two that must stay apart and intersect are reported.
CHART_OVERLAPS = """() => {
  const found = [];
  const box = (e) => { const r = e.getBoundingClientRect();
                       return r.width && r.height ? r : null; };
  const hit = (a, b) => a && b && a.left < b.right - 1 && b.left < a.right - 1
                        && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  document.querySelectorAll('.js-plotly-plot').forEach((chart, n) => {
    const title = chart.querySelector('.g-gtitle .gtitle');
    const legend = chart.querySelector('.legend .bg') || chart.querySelector('.legend');
    const parts = {
      title: title ? [box(title)] : [],
      legend: legend ? [box(legend)] : [],
      'axis title': [...chart.querySelectorAll('.g-xtitle text, .g-ytitle text, '
                                               + '.g-x2title text, .g-y2title text')].map(box),
      'tick label': [...chart.querySelectorAll('.xtick text, .ytick text, .x2tick text, '
                                               + '.y2tick text')].map(box),
      'plot area': [...chart.querySelectorAll('.nsewdrag')].map(box),
      annotation: [...chart.querySelectorAll('.annotation')].map(box),
    };
    const pairs = [['title', 'axis title'], ['title', 'tick label'], ['title', 'legend'],
                   ['title', 'plot area'], ['legend', 'axis title'], ['legend', 'tick label'],
                   ['legend', 'plot area']];
    const name = title ? title.textContent : 'chart ' + (n + 1);
    const whole = box(chart);
    if (parts.title[0] && whole && (parts.title[0].right > whole.right + 1
                                    || parts.title[0].left < whole.left - 1)) {
      found.push(name + ': title cut off at the edge');
    }
    // Plotly never wraps an annotation: a long one runs off the chart's right edge
    if (whole && parts.annotation.some((a) => a && a.right > whole.right + 1)) {
      found.push(name + ': annotation cut off at the edge');
    }
    pairs.push(['annotation', 'annotation']);  // e.g. the titles of side-by-side panels
    for (const [a, b] of pairs) {
      if (parts[a].some((x, i) => parts[b].some((y, j) => (a !== b || i < j) && hit(x, y)))) {
        found.push(name + ': ' + a + ' over ' + b);
      }
    }
  });
  return found;
}"""


def sidebar(page: Page) -> Locator:
    return page.locator('[data-testid="stSidebar"]')


def test_the_managers_path(app_url: str, browser: Browser, tmp_path: Path) -> None:
    first = Watched(browser)
    page = first.open(app_url)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.get_by_text("Customers in the base").first).to_be_visible()
    first.check("overview")

    # granularity, date range and a segment filter, the way a user sets them
    sidebar(page).get_by_text("Quarter", exact=True).click()
    first.settle()
    dates = sidebar(page).locator('[data-testid="stDateInput"] input')
    dates.nth(0).fill("2025-01-01")
    dates.nth(0).press("Tab")
    first.settle()
    dates.nth(1).fill("2025-12-31")
    dates.nth(1).press("Tab")
    first.settle()
    channel = sidebar(page).get_by_role("combobox", name="Channel")
    channel.press_sequentially("Market")
    expect(page.get_by_role("option", name="Marketplace")).to_be_visible()
    channel.press("Enter")
    channel.press("Escape")
    first.settle()
    assert "period=quarter" in page.url
    assert "start=2025-01-01" in page.url and "end=2025-12-31" in page.url
    assert "seg.channel=Marketplace" in page.url
    first.check("overview-filtered")
    overview_numbers = page.locator('[data-testid="stMetricValue"]').all_inner_texts()

    # another page keeps the filters
    sidebar(page).get_by_role("link", name="Retention").click()
    first.settle()
    expect(page.get_by_role("heading", name="Retention", exact=True)).to_be_visible()
    assert "seg.channel=Marketplace" in page.url and "period=quarter" in page.url
    expect(sidebar(page).get_by_text("Marketplace", exact=True)).to_be_visible()
    first.check("retention")
    shared = page.url

    # a colleague opens the copied link in a fresh browser and sees the same view
    colleague = Watched(browser)
    other = colleague.open(shared)
    expect(other.get_by_role("heading", name="Retention", exact=True)).to_be_visible()
    expect(sidebar(other).get_by_text("Marketplace", exact=True)).to_be_visible()
    expect(sidebar(other).get_by_label("Quarter")).to_be_checked()
    colleague.check("retention-shared")
    sidebar(other).get_by_role("link", name="Overview").click()
    colleague.settle()
    # the same numbers as the first browser saw (retried while the page is still drawing)
    expect(other.locator('[data-testid="stMetricValue"]')).to_have_text(overview_numbers,
                                                                         timeout=60_000)
    colleague.check("overview-shared")
    colleague.close()

    # a chart's data downloads as CSV
    sidebar(page).get_by_role("link", name="Retention").click()
    first.settle()
    with page.expect_download() as download:
        page.get_by_role("button", name="Data as CSV").first.click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert rows[0][:2] == ["Period", "Retention rate (CRR)"]
    assert [row[0] for row in rows[1:]] == ["Q4 2025", "Q3 2025", "Q2 2025", "Q1 2025"]

    # upload a CSV on the Data page and see it stored
    sidebar(page).get_by_role("link", name="Data").click()
    first.settle()
    upload = tmp_path / "browser-shop.csv"
    upload.write_text("Customer ID,Order date,Amount\nA,2025-01-05,100\nB,2025-02-01,50\n"
                      "A,2025-03-01,80\n", encoding="utf-8")
    orders_upload = page.locator('[data-testid="stFileUploaderDropzoneInput"]').first
    orders_upload.set_input_files(str(upload))
    first.settle()
    page.get_by_role("button", name="Store").click()
    first.settle()
    expect(page.get_by_text("browser-shop").first).to_be_visible()
    first.check("data")
    first.close()


PAGES = (("", "Overview"), ("retention", "Retention"), ("clv", "Customer lifetime value"),
         ("segments", "Segments"), ("satisfaction", "Satisfaction (NPS)"), ("data", "Data"))
SEGMENTS_TABS = ("RFM segments", "Loyalty types", "Upsell", "Loyalty programme",
                 "Retention uplift simulator")


@pytest.mark.parametrize(("device", "width", "height"),
                         [("desktop", 1440, 900), ("phone", 390, 844)])
def test_every_page_renders_on_a_desktop_and_a_phone(app_url: str, browser: Browser,
                                                    demo_db_template: Path, device: str,
                                                    width: int, height: int) -> None:
    """Every page and tab of the demo, screenshotted as tests/artifacts/<device>-<page>.png:
    nothing wider than the screen, and no chart's legend, title or axis titles drawn over
    each other or over the plot."""
    # The demo by its id: another test may have uploaded a newer dataset (the default).
    with Store(demo_db_template) as store:
        demo = store.dataset(DEMO_NAME).id
    overlapping: list[str] = []
    watched = Watched(browser, width, height)  # one browser for every page: a returning visit
    for path, heading in PAGES:
        page = watched.open(f"{app_url}/{path}?dataset={demo}")
        main = page.get_by_test_id("stMainBlockContainer")
        expect(main.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        views = [(path or "overview", None)]
        if path == "segments":
            views = [(f"segments-{tab.lower().replace(' ', '-')}", tab) for tab in SEGMENTS_TABS]
        for name, tab in views:
            if tab:
                page.get_by_role("tab", name=tab).click()
                watched.settle()
            watched.check(f"{device}-{name}")
            overlapping += [f"{name}: {found}" for found in watched.overlaps()]
            # The page itself never scrolls sideways (a wide table or heatmap scrolls
            # inside its own box).
            assert page.evaluate("() => document.documentElement.scrollWidth") <= width, name
    watched.close()
    assert not overlapping, "\n".join(overlapping)


@pytest.mark.parametrize("language", ["ro", "ru"])
def test_the_overviews_chart_fits_a_phone_in_romanian_and_russian(
        app_url: str, browser: Browser, demo_db_template: Path, language: str) -> None:
    """The trend's note above the plot ("Hollow markers: ...") is longer in Romanian and
    Russian; Plotly never wraps it, so at 390 px it must come in lines that fit."""
    with Store(demo_db_template) as store:
        demo = store.dataset(DEMO_NAME).id
    watched = Watched(browser, 390, 844)
    try:
        watched.open(f"{app_url}/?dataset={demo}&lang={language}")
        assert watched.overlaps() == []
        watched.check(f"phone-overview-{language}")
    finally:
        watched.close()


# Each chart's title, how tall its plotting areas are drawn (one per row of panels, added
# up) and the chart's height.
PLOT_HEIGHTS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(chart => {
  const title = chart.querySelector('.g-gtitle .gtitle');
  const rows = new Map([...chart.querySelectorAll('.nsewdrag')].map(plot => {
    const box = plot.getBoundingClientRect();
    return [Math.round(box.top), box.height];
  }));
  return [title ? title.textContent : '', [...rows.values()].reduce((a, b) => a + b, 0),
          chart.getBoundingClientRect().height];
})"""


# A narrow phone's walk: (language, page, the tab opened on it). Russian's words and month
# names are the longest of the three languages.
NARROW_PHONE_VIEWS = (("en", "retention", None), ("ru", "retention", None), ("ru", "clv", None),
                      ("ru", "compare", None), ("ru", "segments", "Программа лояльности"))


def test_the_charts_keep_their_plot_and_titles_on_a_narrow_phone(
        app_url: str, browser: Browser, demo_db_template: Path) -> None:
    """At 360 px (many Android phones), each chart keeps more than a third of its height for
    its plot, no title is cut off at the edge and nothing is drawn over anything.

    What it caught: the retention curves' legend of 13 names fell to one column, took half
    the 420 px chart and left the plot 85 px (capped at a quarter, 105 px, then it scrolls,
    the plot keeps about 190 px); Compare's three years of months, named in full and stood
    on their side, left its plot 95 px (now every sixth is named, shortly, as on the
    Overview); Russian titles of more than 38 characters ran off the edge; the loyalty
    programme's panel titles of 20 characters ran into each other."""
    with Store(demo_db_template) as store:
        demo = store.dataset(DEMO_NAME).id
    watched = Watched(browser, 360, 780)
    found: list[str] = []
    try:
        for language, path, tab in NARROW_PHONE_VIEWS:
            page = watched.open(f"{app_url}/{path}?dataset={demo}&lang={language}")
            if tab:
                page.get_by_role("tab", name=tab).click()
                watched.settle()
            page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')]"
                                   ".some(chart => chart.querySelector('.main-svg'))",
                                   timeout=60_000)
            charts = page.evaluate(PLOT_HEIGHTS)
            assert charts, (language, path)
            # a chart of a tab not shown has no size
            found += [f"{language} {path}: {title}: plot {plot:.0f} px of {height:.0f}"
                      for title, plot, height in charts if 0 < plot <= height / 3]
            found += [f"{language} {path}: {overlap}" for overlap in watched.overlaps()]
            watched.check(f"narrow-phone-{language}-{path}")
    finally:
        watched.close()
    assert found == []


def test_an_industry_benchmark_and_every_segments_view(app_url: str, browser: Browser,
                                                       demo_db_template: Path) -> None:
    # The demo by its id: another test may have uploaded a newer dataset (the default).
    with Store(demo_db_template) as store:
        demo = store.dataset(DEMO_NAME).id
    watched = Watched(browser)
    page = watched.open(f"{app_url}/satisfaction?dataset={demo}")
    industry = sidebar(page).get_by_role("combobox", name="Compare with industry")
    industry.click()
    # typed, as a user narrows a long list: the list draws only the options in view
    page.keyboard.type("Retail")
    page.get_by_role("option", name="Retail", exact=True).click()
    page.wait_for_function("() => location.search.includes('industry=Retail')")
    watched.settle()
    # the page reruns with the benchmark once the choice reaches the server
    expect(page.get_by_text("vs industry").first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Industry: Retail").first).to_be_visible()  # the chart's legend
    watched.check("satisfaction-retail")

    sidebar(page).get_by_role("link", name="Segments").click()
    watched.settle()
    assert "industry=Retail" in page.url
    for tab in SEGMENTS_TABS:
        page.get_by_role("tab", name=tab).click()
        watched.settle()
        watched.check("segments-" + tab.lower().replace(" ", "-"))
    watched.close()
