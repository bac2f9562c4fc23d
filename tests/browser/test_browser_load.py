"""The load benchmark's two kinds of browser visit (bench/load.py), in its browser
(Chromium's headless shell) against the real server on the small shop: a first visit in a
fresh browser downloads Streamlit's JavaScript, a returning manager's visit (a browser that
opened the app before) takes it from its HTTP cache; each runs in a round of its own on a
fresh server, both are timed per step and reported apart, and the targets are judged on the
server's times and the returning visit's.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import streamlit
from playwright.async_api import async_playwright

from bench import load
from bench.load import SHARED_W, STEPS, LevelResult, RoundCosts, run_one, slowest_p95
from bench.timing import verdict
from tests.browser.test_browser import CHROMIUM_ARGS
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
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small shop's database, stored with the CLI (each round serves a copy)."""
    db = tmp_path_factory.mktemp("browser_load") / "shop.duckdb"
    cli(db, "ingest", str(SMALL_ORDERS), "--dataset", "Small shop")
    return db


def measured(database: Path, folder: Path, result: LevelResult,
             monkeypatch: pytest.MonkeyPatch) -> tuple[LevelResult, list[int]]:
    """``result`` after its level ran (both rounds, warm-ups included), and the process
    id of every server the level started."""
    servers: list[int] = []
    started = load.server

    @contextmanager
    def counted(*args: Any, **kwargs: Any) -> Iterator[tuple[str, int]]:
        with started(*args, **kwargs) as (url, pid):
            servers.append(pid)
            yield url, pid

    monkeypatch.setattr(load, "server", counted)
    assert load.BROWSERS["headless-shell"], "The headless shell is missing: `make test` installs it"

    async def level() -> None:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=load.BROWSERS["headless-shell"], args=CHROMIUM_ARGS)
            try:
                await run_one(browser, database, load.ROOT, folder, result, STEP_TIMEOUT,
                              6 * STEP_TIMEOUT)
            finally:
                await browser.close()
    asyncio.run(level())
    return result, servers


@pytest.mark.parametrize("sessions", [1, 3])
def test_a_first_visit_and_a_returning_one_are_timed_apart_each_in_its_own_round(
        shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sessions: int) -> None:
    result, servers = measured(shop, tmp_path, LevelResult("shared", sessions), monkeypatch)
    assert not result.errors, result.errors
    # two rounds, each on a server of its own
    assert len(servers) == len(set(servers)) == 2
    # each round: its kind of visit and the other sessions over the protocol, all on the
    # shared view's link; so each step has the server times of twice the level's sessions,
    # and one first visit's and one returning visit's time to draw
    each_round = {"cold": {"cold": 1, "protocol": sessions - 1},
                  "returning": {"returning": 1, "protocol": sessions - 1}}
    for step in STEPS:
        assert len(result.finished[step]) == 2 * sessions, step
        assert len(result.seconds[step]) == 1 and len(result.returning[step]) == 1, step
        for visit, clients in each_round.items():
            ran = Counter(entry["client"] for entry in result.each
                          if entry["step"] == step and entry["round"] == visit)
            assert ran == +Counter(clients), (step, visit)
    assert {entry["w"] for entry in result.each} == {SHARED_W}
    # the first visit downloaded Streamlit's page's files; the returning one none of them
    (first,), (returning,) = result.downloaded_mb["cold"], result.downloaded_mb["returning"]
    assert first * 1e6 >= bundle_bytes()
    assert returning == 0
    summary = result.summary()
    assert summary["downloaded_mb"] == {"cold": first, "returning": 0}
    for step in STEPS:
        figures = summary["steps"][step]
        assert figures["finished"] == 2 * sessions
        assert figures["render_p95"] == result.seconds[step][0]
        assert figures["returning_p50"] == figures["returning_p95"] == result.returning[step][0]
        assert figures["returned"] == 1
    # each round's costs measured on its own server
    for visit in ("cold", "returning"):
        costs = summary["rounds"][visit]
        assert costs["peak_rss_mb"] > 0 and costs["server_cpu_s"] > 0, visit


def test_a_level_shows_the_higher_peak_and_the_mean_costs_of_its_two_rounds() -> None:
    result = LevelResult("distinct", 5)
    result.rounds = {"cold": RoundCosts(400.0, 10.0, 2.0, 30.0, 4.0),
                     "returning": RoundCosts(450.0, 12.0, 1.0, 6.0, 3.0)}
    summary = result.summary()
    assert summary["peak_rss_mb"] == 450.0
    assert (summary["server_cpu_s"], summary["clients_cpu_s"], summary["browser_cpu_s"],
            summary["load_average"]) == (11.0, 1.5, 18.0, 3.5)
    assert summary["rounds"]["cold"] == {"peak_rss_mb": 400.0, "server_cpu_s": 10.0,
                                         "clients_cpu_s": 2.0, "browser_cpu_s": 30.0,
                                         "load_average": 4.0}
    # a round whose server did not start measured nothing: the other's figures stand
    result.rounds["returning"] = RoundCosts()
    assert (result.peak_rss_mb, result.server_cpu_s) == (400.0, 10.0)


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


def test_the_targets_are_judged_on_this_checkout_in_the_browser_named_first() -> None:
    """Levels at 20 sessions: this checkout in the headless shell (judged), the same in the
    full Chromium and a compared checkout (shown beside it, not judged)."""
    def level(views: str, seconds: float, browser: str = "headless-shell",
              checkout: str = "this", errors: int = 0) -> LevelResult:
        result = LevelResult(views, 20, "protocol", checkout, browser,
                             judged=(checkout, browser) == ("this", "headless-shell"))
        for step in STEPS:
            result.finished[step] = [1.0]
            result.returning[step] = [seconds]
            result.failures[step] = ["exception"] * errors
        return result

    results = [level("distinct", 9.0), level("distinct", 25.0, "chromium"),
               level("shared", 2.5), level("shared", 3.4, "chromium"),
               level("shared", 9.0, checkout="compared", errors=1)]
    assert list(load.targets(results).values()) == [verdict(True)] * 3
    results[2] = level("shared", 3.1)
    assert list(load.targets(results).values()) == [verdict(True), verdict(True),
                                                    verdict(False)]


def test_a_round_stopped_at_its_time_limit_counts_its_own_unfinished_steps(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The level's first round finished both its sessions; in the second, one session
    finishes the Overview and hangs, the other hangs from the start: the round's
    unfinished steps count as errors (the one's two and the other's three), not the first
    round's finished sessions."""
    result = LevelResult("distinct", 2)
    for step in STEPS:
        result.finished[step] = [1.0, 1.0]  # the cold round's two sessions

    async def overview_then_hang() -> None:
        result.finished["overview"].append(1.0)
        await asyncio.Event().wait()

    async def hang() -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(load, "level_sessions",
                        lambda *args: [overview_then_hang(), hang()])
    unused: Any = None  # no browser: the sessions are the two above
    asyncio.run(load.measure(unused, unused, "http://unused", os.getpid(), result,
                             "returning", STEP_TIMEOUT, 0.1))
    assert result.timed_out
    assert {step: len(failed) for step, failed in result.failures.items()} == {
        "overview": 1, "weekly": 2, "retention": 2}
    assert result.rounds["returning"].server_cpu_s is not None
    assert result.rounds["cold"].server_cpu_s is None
