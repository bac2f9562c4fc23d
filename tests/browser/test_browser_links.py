"""Links that phish: user text (a link's values, dataset names, file headers and values)
carrying a web address is shown as text in the real browser, never as a live link."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser

from metrics.ingest import ingest_file
from metrics.store import Store
from tests.browser.test_browser import Watched, browser, serve  # noqa: F401 (a fixture)
from tests.builders import write_csv

SSO = "Please re-login at https://evil.example/sso"
DATASET = "Offers https://evil.example/deal"
HEADER = "Visit www.evil.example"
VALUE = "mail admin@evil.example"


@pytest.fixture(scope="module")
def phishing_app(demo_db_template: Path, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[tuple[str, str, str]]:
    """The dashboard on the demo plus a dataset whose name, a header and a value hold web
    addresses; (its URL, the demo's id, the address dataset's id)."""
    folder = tmp_path_factory.mktemp("phishing")
    db = folder / "phishing.duckdb"
    shutil.copytree(demo_db_template, db)
    orders = write_csv(folder / "orders.csv", ["Customer ID", "Order date", "Amount", "segment",
                                               HEADER],
                       [["A", "2024-01-05", 100, "gold", VALUE],
                        ["A", "2024-02-20", 50, "gold", VALUE],
                        ["B", "2024-01-10", 200, "silver", "plain"],
                        ["B", "2024-03-12", 80, "silver", "plain"]])
    with Store(db) as store:
        ingest_file(store, orders, dataset=DATASET, currency="EUR")
        ids = store.dataset("Demo shop").id, store.dataset(DATASET).id
    with serve(db) as url:
        yield url, *ids


def wait_for_text(watched: Watched, expected: str) -> None:
    """Wait until a person can read ``expected`` on the page (the invisible word joiners
    left out): a first run of a fresh server can outlast Watched.settle's wait."""
    watched.page.wait_for_function(
        "expected => document.body.innerText.replaceAll('\u2060', '').includes(expected)",
        arg=expected, timeout=60_000)


@pytest.mark.parametrize(("path", "query", "shown"), [
    # the link's warning, the Overview's caption naming the dataset, a segment filter's label
    ("", "dataset={ours}&seg.segment=" + quote(SSO), [SSO, DATASET, HEADER]),
    ("", "dataset={ours}&w=" + quote("https://evil.example/w"), ["https://evil.example/w"]),
    # the missing dataset's sentence, and a button for each dataset, ours among them
    ("", "dataset=" + quote("https://evil.example/gone"), ["https://evil.example/gone",
                                                            DATASET]),
    ("satisfaction", "dataset={demo}&nps_by=" + quote("www.evil.example"),
     ["www.evil.example"]),
    ("retention", "dataset={ours}", [HEADER]),  # a segment filter's label
    ("data", "", []),  # the datasets' table (drawn on a canvas) and the delete choice
])
def test_web_addresses_in_user_text_are_never_links(
        phishing_app: tuple[str, str, str], browser: Browser,  # noqa: F811
        path: str, query: str, shown: list[str]) -> None:
    url, demo, ours = phishing_app
    watched = Watched(browser)
    try:
        watched.open(f"{url}/{path}?{query.format(demo=demo, ours=ours)}")
        for expected in shown:
            wait_for_text(watched, expected)
        links = watched.page.locator('a[href*="evil"]')
        assert links.count() == 0, links.first.evaluate("a => a.outerHTML")
        watched.check(f"links-{path or 'overview'}-{len(query)}")
    finally:
        watched.close()
