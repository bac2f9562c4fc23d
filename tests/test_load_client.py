"""The load benchmark's protocol client (bench/session_client.py) against a real server.

``streamlit run`` on 127.0.0.1, as the browser tests start it: the client's steps finish,
show the view a browser would (the Overview's KPI cards carry the numbers `loyaltylens
kpis` prints for the same dataset, period and W; the sidebar's filters survive a page
switch; an element sent again as a reference is drawn), and a page that raises, or a run
that does not finish in time, is an error that the benchmark counts.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from bench.load import ROOT, STEPS, LevelResult, protocol_session, server
from bench.session_client import SessionClient, Step
from metrics.definitions import KPIS
from metrics.query.sql import PERIODS
from tests.builders import SMALL_ORDERS

TIMEOUT = 120  # seconds a step may take on a busy 2-core machine
W = 40
# A page that fails unless its link says ?ok, and takes the seconds its ?sleep= asks for.
FAILING_SCRIPT = """
import time
import streamlit as st

st.title("A test page")
if "sleep" in st.query_params:
    time.sleep(float(st.query_params["sleep"]))
if "ok" not in st.query_params:
    raise ValueError("a page that fails")
st.write("drawn")
"""


def cli(db: Path, *args: str) -> Any:
    """What ``loyaltylens`` prints (JSON), run as a user runs it."""
    done = subprocess.run([sys.executable, "-m", "metrics.cli", "--db", str(db), *args],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def shop_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, int]]:
    """The dashboard serving the small shop (12 orders), stored with the CLI: its URL,
    database and process id."""
    folder = tmp_path_factory.mktemp("load_client")
    db = folder / "shop.duckdb"
    cli(db, "ingest", str(SMALL_ORDERS), "--dataset", "Small shop")
    # Every element cacheable, however small (Streamlit's default is 10 KB and up), so that
    # the small shop's charts come back as references the client must resolve.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STREAMLIT_GLOBAL_MIN_CACHED_MESSAGE_SIZE", "0")
        with server(db, folder / "server.log") as (url, pid):
            yield url, db, pid


@pytest.fixture(scope="module")
def shop(shop_server: tuple[str, Path, int]) -> tuple[str, Path]:
    url, db, _ = shop_server
    return url, db


@pytest.fixture(scope="module")
def failing_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("failing_page")
    script = folder / "failing.py"
    script.write_text(FAILING_SCRIPT)
    with server(folder / "unused.duckdb", folder / "server.log", script) as (url, _):
        yield url


def shown_number(body: str) -> tuple[float, int] | None:
    """A card's number as drawn ("1,234.50", "66.7%") and its decimals; None for a card
    without a number (a rate whose denominator is zero)."""
    digits = body.removesuffix("%").replace(",", "")
    if not any(c.isdigit() for c in digits):
        return None
    return float(digits), len(digits.partition(".")[2])


def assert_cards_show(step: Step, row: dict[str, Any]) -> None:
    """The KPI cards of the run carry ``row``'s values, rounded as drawn."""
    cards = {card.label: card.body for card in step.of_type("metric")}
    assert set(cards) == {metric.title() for metric in KPIS}
    for metric in KPIS:
        shown, value = shown_number(cards[metric.title()]), row[metric.id]
        if shown is None or value is None:
            assert shown is None and value is None, (metric.id, cards[metric.title()])
        else:
            assert shown[0] == round(value, shown[1]), (metric.id, cards[metric.title()])


def query(step: Step) -> dict[str, list[str]]:
    return parse_qs(step.query_string)


def trend_charts(step: Step) -> list[Any]:
    """The Overview's trend charts a run drew (its element key is "trend"), not the blank
    figure its slot holds meanwhile (dashboard.chart_downloads.chart_slot)."""
    return [chart for chart in step.of_type("plotly_chart") if chart.id.endswith("-trend")]


def test_the_overview_shows_the_cli_numbers_and_weekly_and_retention_keep_the_view(
        shop: tuple[str, Path]) -> None:
    url, db = shop
    monthly = {row["period"]: row for row in
               cli(db, "kpis", "--dataset", "Small shop", "--inactivity-days", str(W))}
    weekly = {row["period"]: row for row in cli(db, "kpis", "--dataset", "Small shop",
                                                "--period", "week",
                                                "--inactivity-days", str(W))}

    async def steps() -> list[Step]:
        async with SessionClient(url) as session:
            return [await session.open(f"/?w={W}&at=2024-02-01", TIMEOUT),
                    await session.choose("period", PERIODS.index("week"), TIMEOUT),
                    await session.switch_page("retention", TIMEOUT),
                    await session.switch_page("", TIMEOUT)]

    overview, week, retention, back = asyncio.run(steps())
    for step in (overview, week, retention, back):
        assert step.error is None and step.seconds is not None, step.error
    assert query(overview)["w"] == [str(W)] and query(overview)["at"] == ["2024-02-01"]
    assert_cards_show(overview, monthly["2024-02-01"])
    # The click on "Week": a weekly Overview of the week its period box shows.
    assert query(week)["period"] == ["week"]
    assert_cards_show(week, weekly[query(week)["at"][0]])
    # The Retention page, with the filters the user had chosen (not the defaults).
    assert retention.page == "retention"
    assert query(retention)["period"] == ["week"] and query(retention)["w"] == [str(W)]
    assert not retention.of_type("metric") and retention.of_type("plotly_chart")
    # Back on the Overview: the same weekly view, with its trend chart, which the client
    # holds already, so the server sends only a reference to it (see the fixture). The
    # chart's slot holds a blank figure until then, which Streamlit drops unsent when the
    # chart replaces it before the server's next send: a run may or may not show it.
    assert back.page == "" and query(back)["at"] == query(week)["at"]
    assert_cards_show(back, weekly[query(week)["at"][0]])
    assert trend_charts(back) == trend_charts(week) != []


def test_a_page_that_raises_is_an_error(failing_page: str) -> None:
    async def steps() -> tuple[Step, Step]:
        async with SessionClient(failing_page) as session:
            return (await session.open("/", TIMEOUT),
                    await session.open("/?ok", TIMEOUT))

    failed, fine = asyncio.run(steps())
    # the project's config redacts the message (client.showErrorDetails), not the box
    assert failed.error is not None and failed.error.startswith("exception: ")
    assert failed.seconds is not None  # the run finished, showing the exception
    assert fine.error is None and [e.markdown.body for e in fine.elements
                                   if e.WhichOneof("type") == "markdown"] == ["drawn"]


def test_a_run_not_finished_within_the_step_timeout_is_an_error(failing_page: str) -> None:
    async def step() -> Step:
        async with SessionClient(failing_page) as session:
            return await session.open("/?ok&sleep=5", 1)

    late = asyncio.run(step())
    assert late.seconds is None and late.error == "not finished within 1 s"


def test_the_benchmark_counts_a_page_that_raises_as_an_error(failing_page: str) -> None:
    """The benchmark's session opens the page (?w=30, no ?ok): its first step fails and
    the steps after it count as not reached."""
    result = LevelResult("distinct", 1)
    asyncio.run(protocol_session(failing_page, 30, result, TIMEOUT))
    assert result.finished == {step: [] for step in STEPS}
    assert result.failures == {
        "overview": [result.failures["overview"][0]],
        "weekly": ["not reached (overview failed)"],
        "retention": ["not reached (overview failed)"]}
    assert result.failures["overview"][0].startswith("overview, W=30: exception: ")


def test_a_page_switch_keeps_every_filter_of_the_sidebar(shop: tuple[str, Path]) -> None:
    """After a click the sidebar's values live in the widgets' state, which Streamlit
    drops on a page switch unless the browser sends them again: the link's dates,
    segment and W, and the granularity clicked, all stay."""
    url, _ = shop
    link = {"start": ["2024-02-01"], "end": ["2024-03-31"], "w": ["45"],
            "seg.channel": ["web"]}

    async def steps() -> list[Step]:
        async with SessionClient(url) as session:
            return [await session.open("/?" + "&".join(f"{k}={v[0]}" for k, v in link.items()),
                                       TIMEOUT),
                    await session.choose("period", PERIODS.index("quarter"), TIMEOUT),
                    await session.switch_page("retention", TIMEOUT)]

    opened, clicked, switched = asyncio.run(steps())
    assert [step.error for step in (opened, clicked, switched)] == [None, None, None]
    assert switched.page == "retention"
    for shown in (query(clicked), query(switched)):
        assert {key: shown.get(key) for key in [*link, "period"]} == {
            **link, "period": ["quarter"]}


def test_the_overview_sends_its_chart_before_its_cards(shop: tuple[str, Path]) -> None:
    """The trend's slot holds a blank figure from before the page waits for its numbers,
    so a browser starts plotly.js while the server computes; the chart then takes it."""
    url, _ = shop

    async def first_visit() -> Step:
        async with SessionClient(url) as session:
            return await session.open(f"/?w={W + 1}", TIMEOUT)

    overview = asyncio.run(first_visit())
    assert overview.error is None, overview.error
    kinds = [element.WhichOneof("type") for element in overview.elements]
    assert kinds.index("plotly_chart") < kinds.index("metric")
    blank, trend = overview.of_type("plotly_chart")
    assert json.loads(blank.spec)["data"] == []
    # the trend of the default metric (CRR), one point per month of the small shop's orders
    months = {row["period"] for row in cli(shop[1], "kpis", "--dataset", "Small shop",
                                            "--inactivity-days", str(W + 1))}
    first_trace = json.loads(trend.spec)["data"][0]
    assert len(first_trace["x"]) == len(months)


@pytest.mark.skipif(sys.platform != "linux", reason="reads the server's memory map in /proc")
def test_the_server_runs_on_uvloop(shop_server: tuple[str, Path, int]) -> None:
    """Streamlit serves on uvloop's event loop when it is installed (a dependency for that
    alone: a page's cached run took 133 ms instead of 235 ms, README), which loads its
    compiled loop into the server process."""
    url, _, pid = shop_server

    async def opened() -> Step:
        async with SessionClient(url) as session:
            return await session.open("/", TIMEOUT)

    assert asyncio.run(opened()).error is None  # the server has served a page
    mapped = Path(f"/proc/{pid}/maps").read_text()
    assert "/uvloop/loop." in mapped


def blank_height(element: Any) -> int | None:
    """The height of a Plotly figure element with nothing drawn in it; None for any other
    element."""
    if element.WhichOneof("type") != "plotly_chart":
        return None
    spec = json.loads(element.plotly_chart.spec)
    return None if spec.get("data") else spec["layout"].get("height")


def test_a_sessions_first_page_starts_plotly_while_it_waits_its_turn(
        shop: tuple[str, Path]) -> None:
    """Sessions opening the dashboard together take turns: each first page begins with a
    blank 10-pixel figure, sent while the run waits (the browser starts plotly.js), and
    empties that place once it has its turn. A run that does not wait replaces the figure
    before it is sent; at least the last of four sessions waits for the other three. The
    session's next runs, and the Data page that draws no chart, only hold the empty place.
    """
    url, _ = shop

    async def first_pages(link: str) -> list[Step]:
        async def first_page() -> Step:
            async with SessionClient(url) as session:
                return await session.open(link, TIMEOUT)
        return list(await asyncio.gather(*(first_page() for _ in range(4))))

    async def click() -> Step:
        async with SessionClient(url) as session:
            await session.open("/", TIMEOUT)
            return await session.choose("period", PERIODS.index("week"), TIMEOUT)

    for link, blank in (("/", True), ("/data", False)):
        firsts = asyncio.run(first_pages(link))
        assert [step.error for step in firsts] == [None] * 4
        heads = [head(step) for step in firsts]  # the slot: empty, the figure, emptied again
        assert all(kinds and kinds[-1] == "empty" and set(kinds) <= {"empty", 10}
                   for kinds in heads), heads
        assert any(10 in kinds for kinds in heads) == blank, (link, heads)
    clicked = asyncio.run(click())
    assert clicked.error is None
    assert head(clicked) == ["empty"] and 10 not in map(blank_height, clicked.elements)


def head(step: Step) -> list[str | int]:
    """What a run drew at the top of the page before anything else: "empty", or the
    height of a blank figure."""
    kinds: list[str | int] = []
    for element in step.elements:
        kind = element.WhichOneof("type")
        height = blank_height(element)
        if kind != "empty" and height is None:
            break
        kinds.append("empty" if kind == "empty" else height)
    return kinds
