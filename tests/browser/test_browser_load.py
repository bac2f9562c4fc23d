"""The load benchmark's two kinds of browser visit (bench/load.py), in Debian's Chromium
against the real server on the small shop: a first visit in a fresh browser downloads
Streamlit's JavaScript, a returning manager's visit (a browser that opened the app before)
takes it from its HTTP cache; both are timed per step and reported apart, and the targets
are judged on the server's times and the returning visit's.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit
from playwright.async_api import async_playwright

from bench.load import STEPS, LevelResult, run_level, server, slowest_p95
from tests.browser.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.builders import SMALL_ORDERS
from tests.test_load_client import cli

STEP_TIMEOUT = 120  # seconds a step may take on a busy 2-core machine
STATIC = Path(streamlit.__file__).parent / "static"


def bundle_bytes() -> int:
    """The bytes of the static files Streamlit's page names (its script, the modules it
    preloads, its style sheet and font): what a first visit must download at least."""
    page = (STATIC / "index.html").read_text()
    names = set(re.findall(r'(?:src|href)="\./(static/[^"]+)"', page))
    assert names, "Streamlit's page names no static file"
    return sum((STATIC / name).stat().st_size for name in names)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """The dashboard serving the small shop, stored with the CLI: its URL and process."""
    folder = tmp_path_factory.mktemp("browser_load")
    db = folder / "shop.duckdb"
    cli(db, "ingest", str(SMALL_ORDERS), "--dataset", "Small shop")
    with server(db, folder / "server.log") as (url, pid):
        yield url, pid


def measured(url: str, pid: int, result: LevelResult) -> LevelResult:
    """``result`` after its level ran against the server (warm-up included)."""
    async def level() -> None:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                       args=CHROMIUM_ARGS)
            try:
                await run_level(browser, url, pid, result, STEP_TIMEOUT, 6 * STEP_TIMEOUT)
            finally:
                await browser.close()
    asyncio.run(level())
    return result


@pytest.mark.parametrize("sessions", [1, 3])
def test_a_first_visit_and_a_returning_one_are_timed_apart(
        shop: tuple[str, int], sessions: int) -> None:
    result = measured(*shop, LevelResult("shared", sessions))
    assert not result.errors, result.errors
    # one first visit and one returning visit, each through every step; with one session
    # the returning visit comes after the first (two sessions' server times a step)
    for step in STEPS:
        assert len(result.seconds[step]) == 1 and len(result.returning[step]) == 1, step
        assert len(result.finished[step]) == max(sessions, 2), step
    # the first visit downloaded Streamlit's page's files; the returning one none of them
    (first,), (returning,) = result.downloaded_mb["cold"], result.downloaded_mb["returning"]
    assert first * 1e6 >= bundle_bytes()
    assert returning == 0
    summary = result.summary()
    assert summary["downloaded_mb"] == {"cold": first, "returning": 0}
    for step in STEPS:
        figures = summary["steps"][step]
        assert figures["render_p95"] == result.seconds[step][0]
        assert figures["returning_p50"] == figures["returning_p95"] == result.returning[step][0]
        assert figures["returned"] == 1


def test_the_targets_are_judged_on_the_server_and_the_returning_visit() -> None:
    result = LevelResult("shared", 3)
    for n, step in enumerate(STEPS):
        result.finished[step] = [1.0, 2.0, 1.5 + n]
        result.seconds[step] = [5.0 + n]  # a first visit: not judged
        result.returning[step] = [2.5 - n]
    # the slowest p95 of the server (Retention: numpy's p95 of 1, 2 and 3.5 is 3.35) and
    # of the returning visit (overview: 2.5)
    assert slowest_p95(result) == pytest.approx(3.35)
    assert slowest_p95(result, "cold") == 7.0
    result.returning["weekly"] = []  # a step the returning visit never drew: no figure
    assert slowest_p95(result) is None
