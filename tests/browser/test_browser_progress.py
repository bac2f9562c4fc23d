"""A big upload in a real browser, in Romanian: the Data page shows its progress (the step,
the rows done, the time left) while the file is read and checked in its own process, and
stays responsive: Cancel stops the work, nothing is stored, and the uploaded file is gone
from the server. Screenshotted mid-upload at 1440 px and 390 px (tests/artifacts/)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from metrics.store import Store
from tests.browser.test_browser import (  # noqa: F401 (fixtures)
    ARTIFACTS,
    Watched,
    browser,
    serve,
)
from tests.browser.test_browser_languages import translated

# Enough orders for a check of several seconds on a busy machine (about 60 MB).
ORDERS = 1_000_000
NAME = "progress-shop-d41d8.csv"  # a name no other upload has: looked for on the server


@pytest.fixture(scope="module")
def big_orders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("progress") / NAME
    with path.open("w", encoding="utf-8") as file:
        file.write("customer_id,order_date,amount,channel\n")
        for n in range(ORDERS):
            file.write(f"c{n % 250_000},2024-{n % 12 + 1:02d}-{n % 28 + 1:02d},"
                       f"{n % 500 + 0.5},{('web', 'shop')[n % 2]}\n")
    return path


@pytest.fixture(scope="module")
def served(demo_db_template: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[str, Path]]:
    db = tmp_path_factory.mktemp("browser-progress") / "progress.duckdb"
    shutil.copytree(demo_db_template, db)
    with serve(db) as url:
        yield url, db


def uploads_on_the_server() -> list[Path]:
    """Every saved copy of the test's file in the upload folders of the servers here."""
    return list(Path("/tmp").glob(f"loyaltylens-uploads-*/upload-*/{NAME}"))


@pytest.mark.parametrize(("device", "width", "height"), [("desktop", 1440, 900),
                                                         ("phone", 390, 844)])
def test_a_big_upload_shows_its_progress_and_cancel_stores_nothing(
        served: tuple[str, Path], browser: Browser, big_orders: Path,  # noqa: F811
        device: str,
        width: int, height: int) -> None:
    url, db = served
    with Store(db) as store:
        before = store.datasets()
    watched = Watched(browser, width, height)
    page = watched.open(f"{url}/data?lang=ro")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        str(big_orders))
    bar = page.locator('[data-testid="stProgress"]')
    # the file's rows in Romanian's numbers: "din 1.000.000" with the rows counted so far
    # and the time left, or "rânduri: 1.000.000" in a phase done before the first count
    # (the typed ingest checks a million rows in about a second; the counting and the time
    # left are tested with a fake clock in tests/test_progress.py)
    expect(bar).to_contain_text(re.compile(r"\b1\.000\.000\b"), timeout=120_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    bar.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"progress-ro-{device}.png"))
    page.get_by_role("button", name=translated("ro", "Cancel")).click()
    expect(page.get_by_text(translated(
        "ro", "The upload was cancelled: nothing of it was stored."))
           ).to_be_visible(timeout=60_000)
    watched.settle()
    expect(bar).to_have_count(0)
    expect(page.get_by_role("button", name=translated("ro", "Store"))).to_have_count(0)
    watched.check(f"progress-cancelled-ro-{device}")
    watched.close()
    with Store(db) as store:
        assert store.datasets() == before
    assert uploads_on_the_server() == []
