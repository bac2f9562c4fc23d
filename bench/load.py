"""Load benchmark: many sessions at once against one real dashboard server.

The server is the real one (``streamlit run dashboard/app.py`` on 127.0.0.1, a free port)
on a temporary database holding the generated shop (bench/generate.py). N sessions at once
each take the path a marketing manager takes: open the Overview, switch to weekly, open
Retention. With distinct views each session has its own inactivity window W in its link
(so no two sessions share a cached result); with one shared view all sessions open the
same link.

In production each manager's browser runs on their own laptop, so the clients must not
take the server's cores. By default (LOAD_CLIENTS=protocol) N - 1 sessions are protocol
clients (bench/session_client.py: Streamlit's websocket messages as a browser sends them,
without drawing anything) and ONE is a real browser session, driven by Playwright, doing
the same steps at the same time. That browser is Chromium's headless shell (Debian's
chromium-headless-shell, the build Playwright itself runs headless): the same Blink and V8
drawing the same page, without the browser's own interface. The full browser opens the
pages of its toolbar (the address bar's popup, in a renderer of its own) for every tab it
opens, and its browser process works for them: in all 3.2 to 3.5 s of CPU for a returning
visit's Overview alone, against 2.3 to 2.6 s for the shell (the page's own renderer 1.5 s
in both), taken from the server's two cores where a manager's browser takes none.
LOAD_BROWSERS=headless-shell,chromium runs each level in both, in turn (the targets are
judged on the first named). LOAD_CLIENTS=browser makes all N
sessions Chromium contexts (one browser, one context a session, the others fresh ones);
on one 2-core machine their drawing then competes with the server.

Two times are reported per step. "Server": from the link opened or the click (the rerun
sent) until the server has finished the script run it started (Streamlit's
``script_finished`` on the session's websocket), for all sessions. "Render": for the real
browser(s) only, until the page is also drawn at rest: no running indicator, no
placeholder, the page's main chart drawn. A step counts when it shows the view asked for
(the query string and page the server wrote back).

The browser's time to render is reported for two kinds of visit. A first visit ("cold") is
a fresh browser context: it downloads and compiles Streamlit's JavaScript and plotly.js
(7.9 MB for the Overview) before it draws anything. A returning manager's visit
("returning") is a context that has opened the app before (the round's warm-up session ran
in it, on another view), so its HTTP cache holds those files, as a colleague's browser does
on every visit after the first. The targets are judged on the returning visit (a team opens
its dashboard every day; the first visit happens once per browser and Streamlit version);
the first visit's figure is printed and written beside it.

Each kind of visit runs in a round of its own: a level of N sessions is two rounds, each on
a freshly started server, "cold" (the first visit and N - 1 protocol sessions, all at once)
and then "returning" (the returning visit and N - 1 protocol sessions, all at once); a
level of one session is the first visit alone on its server and the returning visit alone
on its own, both on the view's W. Why: in production the two visits are different
people's computers, but here they would share the server's two cores. With both browsers in
one level, the first visit's download and JavaScript compiling slowed the returning visit's
drawing: two browsers and nothing else (the 1-million-order shop, a quiet 2-core machine)
drew the returning visit's Overview in 3.53 s, against 2.17 s alone; at 20 sessions on one
shared view it took 5.2 to 6.2 s, against 3.9 to 4.7 s with the returning browser and 19
protocol sessions. A level's figures hold both rounds: the server's times of all 2 N
sessions, the first visit's and the returning visit's times to render, and the errors of
both.

An exception (an exception box in the browser, an exception element in a protocol
session's deltas) or a step that does not finish within LOAD_STEP_TIMEOUT seconds counts
as an error (and ends that session); a round that does not finish within
LOAD_LEVEL_TIMEOUT seconds is stopped and its unfinished steps are reported as errors.

Each round's server is warmed by one browser session on a view no measured session uses (a
long-running server has its code loaded and the orders in DuckDB's buffers, but none of
the measured results cached). Its peak memory is the server process's high-water mark
(VmHWM), read before it stops; a level's is the higher of its two rounds. Its CPU time is
what the server used during the measured sessions (user and system, warm-up excluded),
shown beside the CPU time of the clients driving it (this process: the protocol sessions
and Playwright's Python side; and the browser: Playwright's driver and Chromium) and the
machine's highest 1-minute load average during the round: the JSON has them per round,
the printed table the mean of the two rounds.

Sizes: BENCH_CUSTOMERS (default 300,000 customers, about 1 million orders), LOAD_LEVELS
(default 1,5,10,20 sessions), LOAD_VIEWS (default distinct,shared). LOAD_SHOP_FOLDER keeps
the generated shop in a folder for later runs (each round serves a copy of it).
LOAD_COMPARE_ROOT names another checkout (e.g. the main branch's worktree): each level then
runs on servers of each checkout in turn, side by side on the same machine (the targets
are judged on this one's). Writes
bench/results/load-<customers>.json; the targets (issue 16) apply at 20 sessions on about
1 million orders, to the slower of the server's p95 (all sessions) and the returning
browser's p95 to render.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    ViewportSize,
    WebSocket,
    async_playwright,
)
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.generate import orders_frame, write
from bench.session_client import SessionClient
from bench.session_client import Step as ProtocolStep
from bench.timing import verdict
from metrics.ingest import ingest_file
from metrics.page_aggregates import refresh_page_tables, stale_page_tables
from metrics.query.sql import PERIODS
from metrics.store import DB_ENV_VAR, Store
from tests.browser.test_browser import CHROMIUM, CHROMIUM_ARGS, free_port, wait_until_serving

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"
APP = ROOT / "dashboard" / "app.py"
STEPS = ("overview", "weekly", "retention")
VIEWS = ("distinct", "shared")
CLIENTS = ("protocol", "browser")  # a round: N - 1 protocol sessions and a browser, or N browsers
# the real browser: Chromium's headless shell (see above), or the full Chromium
BROWSERS = {"headless-shell": shutil.which("chromium-headless-shell"), "chromium": CHROMIUM}
VISITS = ("cold", "returning")  # a fresh browser context, one that opened the app before;
# a level runs a round of each, in this order, each on a fresh server
VIEWPORT: ViewportSize = {"width": 1440, "height": 900}
SHARED_W = 90
WARM_UP_W = 365  # no measured session uses it
TARGET_ORDERS = 900_000  # "the 1-million-order shop": the targets apply from here
TARGET_SESSIONS = 20
# The page at rest: Streamlit's running indicator and placeholders gone, the main chart of
# the page drawn (its SVG exists once Plotly has drawn it) with its data (not the blank
# figure a chart's slot holds until then, dashboard.chart_downloads.chart_slot).
AT_REST = """() => {
  if (document.querySelector('[data-testid="stException"]')) return 'exception';
  const busy = document.querySelector('[data-testid="stStatusWidget"]')
               || document.querySelector('[data-testid="stSkeleton"]');
  const chart = [...document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')]
    .some(plot => plot.querySelector('.main-svg') && plot.data && plot.data.length);
  return !busy && chart ? 'drawn' : null;
}"""
# The bytes of Streamlit's static files (its JavaScript, CSS, fonts) the page downloaded:
# none when they came from the browser's HTTP cache.
STATIC_BYTES = """() => performance.getEntriesByType('resource')
  .filter(r => new URL(r.name).pathname.includes('/static/'))
  .reduce((total, r) => total + r.transferSize, 0)"""


class StepFailed(Exception):
    """A step that did not render: an exception box, a timeout, a lost server."""


@dataclass
class RoundCosts:
    """What one round cost: its server's peak memory, the CPU time of its server, of the
    clients and of the browser during the measured sessions, the highest load average."""

    peak_rss_mb: float | None = None
    server_cpu_s: float | None = None
    clients_cpu_s: float | None = None  # this process: protocol sessions, Playwright's side
    browser_cpu_s: float | None = None
    load_average: float | None = None  # the highest 1-minute load average of the round


@dataclass
class LevelResult:
    """One level: its two rounds' times of each step and what failed, by step (a
    session's steps after a failed one count as failed: that user never saw them)."""

    views: str
    sessions: int
    clients: str = "protocol"
    checkout: str = "this"  # or "compared": the checkout of LOAD_COMPARE_ROOT
    browser: str = "headless-shell"  # the real browser's name in BROWSERS
    judged: bool = True  # this checkout, in the browser named first: the targets' level
    # until the server had finished the step's run, for every session of both rounds
    finished: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    # until a real browser had also drawn the page: a first visit (fresh browser contexts)
    seconds: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    # ... and a returning manager's visit (a browser context that opened the app before)
    returning: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    # MB of Streamlit's static files each kind of visit downloaded to open the app
    downloaded_mb: dict[str, list[float]] = field(
        default_factory=lambda: {v: [] for v in VISITS})
    failures: dict[str, list[str]] = field(default_factory=lambda: {s: [] for s in STEPS})
    # every step of every session: its round, which client, its W, when it started (seconds
    # from its round's start), its server time and (browsers) its time to draw, to see who
    # sets a p95
    each: list[dict[str, Any]] = field(default_factory=list)
    # what each round cost, by the kind of visit it measured
    rounds: dict[str, RoundCosts] = field(default_factory=lambda: {v: RoundCosts()
                                                                   for v in VISITS})
    current_round: str = VISITS[0]  # the round running now, and when it started (monotonic)
    started: float = field(default_factory=time.monotonic)
    timed_out: bool = False

    @property
    def browsers(self) -> int:
        """How many of a round's sessions are real browsers (its kind of visit at least)."""
        return self.sessions if self.clients == "browser" else 1

    @property
    def peak_rss_mb(self) -> float | None:
        """The higher of the two rounds' servers' peak memory."""
        return max(self._costs("peak_rss_mb"), default=None)

    @property
    def server_cpu_s(self) -> float | None:
        """The mean of the two rounds' server CPU times (of those measured)."""
        return _mean(self._costs("server_cpu_s"))

    @property
    def clients_cpu_s(self) -> float | None:
        """The mean of the two rounds' CPU times of this process's clients."""
        return _mean(self._costs("clients_cpu_s"))

    @property
    def browser_cpu_s(self) -> float | None:
        """The mean of the two rounds' CPU times of Playwright's driver and Chromium."""
        return _mean(self._costs("browser_cpu_s"))

    @property
    def load_average(self) -> float | None:
        """The mean of the two rounds' highest 1-minute load averages."""
        return _mean(self._costs("load_average"))

    def _costs(self, name: str) -> list[float]:
        """One cost of each round that measured it."""
        return [value for costs in self.rounds.values()
                if (value := getattr(costs, name)) is not None]

    def summary(self) -> dict[str, Any]:
        steps = {step: {"server_p50": percentile(self.finished[step], 50),
                        "server_p95": percentile(self.finished[step], 95),
                        "finished": len(self.finished[step]),
                        "render_p50": percentile(times, 50),
                        "render_p95": percentile(times, 95),
                        "rendered": len(times),
                        "returning_p50": percentile(self.returning[step], 50),
                        "returning_p95": percentile(self.returning[step], 95),
                        "returned": len(self.returning[step]),
                        "errors": len(self.failures[step])}
                 for step, times in self.seconds.items()}
        return {"checkout": self.checkout, "browser": self.browser,
                "views": self.views, "sessions": self.sessions, "clients": self.clients,
                "browsers": self.browsers, "steps": steps,
                "downloaded_mb": {visit: percentile(mb, 50)
                                  for visit, mb in self.downloaded_mb.items()},
                "errors": len(self.errors), "error_messages": self.errors[:20],
                "peak_rss_mb": self.peak_rss_mb, "server_cpu_s": self.server_cpu_s,
                "clients_cpu_s": self.clients_cpu_s, "browser_cpu_s": self.browser_cpu_s,
                "load_average": self.load_average, "timed_out": self.timed_out,
                "rounds": {visit: asdict(costs) for visit, costs in self.rounds.items()},
                "each_step": self.each}

    @property
    def errors(self) -> list[str]:
        return [message for step in STEPS for message in self.failures[step]]

    def fail(self, step: str, message: str) -> None:
        """``step`` failed with ``message``; the session's later steps are not reached."""
        self.failures[step].append(message)
        for later in STEPS[STEPS.index(step) + 1:]:
            self.failures[later].append(f"not reached ({step} failed)")

    def record(self, step: str, client: str, w: int, began: float, server: float,
               drawn: float | None = None, runs: ScriptRuns | None = None) -> None:
        """One finished step of one session, kept for the JSON (``began``: monotonic; a
        browser's first step also says when its page opened the websocket, sent its first
        message and received the server's first, from the step's start)."""
        step_times = {"round": self.current_round, "step": step, "client": client, "w": w,
                      "began_s": round(began - self.started, 3), "server_s": round(server, 3),
                      "drawn_s": None if drawn is None else round(drawn, 3)}
        if runs is not None and step == STEPS[0]:
            for name, moment in (("socket_s", runs.connected), ("first_sent_s", runs.first_sent),
                                 ("first_message_s", runs.first_message)):
                step_times[name] = None if moment is None else round(moment - began, 3)
        self.each.append(step_times)


def percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def setting(name: str, default: str) -> str:
    return os.environ.get(name) or default


# -- the shop and the server ---------------------------------------------------------


def shop_database(customers: int, folder: Path) -> tuple[Path, int]:
    """The generated shop's orders, stored in a database in ``folder`` unless one is
    there already (made by an earlier run for the same ``customers``), and its orders."""
    database = folder / "load.duckdb"
    if not database.exists():
        frame = orders_frame(customers)
        csv_path, _ = write(frame, folder, "load-shop")
        with Store(database) as store:
            ingest_file(store, csv_path, dataset="bench", currency="EUR")
    with Store(database) as store:
        return database, store.dataset("bench").tables["orders"].rows


def checkouts() -> dict[str, Path]:
    """The checkouts whose servers a run measures: this one, and LOAD_COMPARE_ROOT's."""
    roots = {"this": ROOT}
    if os.environ.get("LOAD_COMPARE_ROOT"):
        roots["compared"] = Path(os.environ["LOAD_COMPARE_ROOT"]).resolve()
    return roots


def run_database(customers: int, folder: Path) -> tuple[Path, int]:
    """The database a run serves, in its temporary ``folder``: a copy of the shop kept in
    LOAD_SHOP_FOLDER (made there first if missing; a run never changes it) with page
    tables of this code's queries, else a shop generated for this run alone."""
    kept = os.environ.get("LOAD_SHOP_FOLDER")
    if kept:
        if not (Path(kept) / "load.duckdb").exists():
            shop_database(customers, Path(kept))
        shutil.copytree(Path(kept) / "load.duckdb", folder / "load.duckdb")
        current_page_tables(folder / "load.duckdb")
    return shop_database(customers, folder)  # the copy is only opened to count its orders


def current_page_tables(database: Path) -> None:
    """Build the page tables of the copied shop now when they are stale or missing for
    this code (a shop kept from an earlier version), before any server starts: outside
    the measured time, and no server rebuilds them in the background during a level."""
    with Store(database) as store:
        dataset = store.find_dataset("bench")  # opened as a page would, it would rebuild
        if dataset is None or not stale_page_tables(dataset):
            print("page tables of the kept shop: those of this code", flush=True)
            return
        started = time.perf_counter()
        built = refresh_page_tables(store, dataset.id)
    print(f"page tables of the kept shop were stale or missing for this code: "
          f"{len(built)} built in the copy in {time.perf_counter() - started:.1f} s, "
          f"before the server started (not measured)", flush=True)


@contextmanager
def server(database: Path, log: Path, script: Path = APP, root: Path = ROOT
           ) -> Iterator[tuple[str, int]]:
    """The dashboard (or another ``script``) under ``streamlit run`` on 127.0.0.1: its URL
    and process id. ``root`` is the checkout it runs from (its code and its
    ``.streamlit`` settings): another one compares two versions side by side."""
    port = free_port()
    env = {**os.environ, DB_ENV_VAR: str(database), "PYTHONPATH": str(root)}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script),
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=root, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process, lambda: log.read_text(errors="replace")[-3000:],
                           seconds=120)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, ...)."""
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int, reaped: bool = False) -> float:
    """The CPU time the process has used so far (user and system), in seconds: what the
    sessions cost the server, less sensitive than wall time to other work on the machine.
    With ``reaped``, that of its children that have ended too (those it has waited for)."""
    fields = _stat(pid)
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def browser_cpu_seconds(server_pid: int) -> float:
    """The CPU time of this benchmark's other child processes (Playwright's driver and
    Chromium's), which share the machine's cores with the server: those that have ended
    too (a closed tab's renderer), once their parent has waited for them."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        with suppress(OSError, ValueError, IndexError):
            parents[int(entry.name)] = int(_stat(int(entry.name))[1])
    mine, total = {os.getpid()}, 0.0
    for pid in sorted(parents):  # children have higher ids than their parents, mostly
        if parents[pid] in mine and pid != server_pid:
            mine.add(pid)
            with suppress(OSError):
                total += cpu_seconds(pid, reaped=True)
    return total


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident memory so far (VmHWM), in MB."""
    with suppress(OSError), open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


# -- one session ---------------------------------------------------------------------


class ScriptRuns:
    """Counts the script runs the server finished for one page (its websocket messages)."""

    def __init__(self, page: Page) -> None:
        self.finished = 0
        self.changed = asyncio.Event()
        self.connected: float | None = None  # when the page opened its websocket (monotonic)
        self.first_sent: float | None = None  # ... when it sent its first message
        self.first_message: float | None = None  # ... and when the server's first came
        page.on("websocket", self._watch)

    def _watch(self, socket: WebSocket) -> None:
        self.connected = self.connected or time.monotonic()
        socket.on("framereceived", self._frame)
        socket.on("framesent", self._sent)

    def _sent(self, payload: str | bytes) -> None:
        self.first_sent = self.first_sent or time.monotonic()

    def _frame(self, payload: str | bytes) -> None:
        if isinstance(payload, str):
            return
        self.first_message = self.first_message or time.monotonic()
        message = ForwardMsg.FromString(payload)
        if message.WhichOneof("type") == "script_finished" and message.script_finished in (
                ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR):
            self.finished += 1
            self.changed.set()

    async def wait_beyond(self, count: int) -> None:
        """Until a run has finished after the first ``count``."""
        while self.finished <= count:
            self.changed.clear()
            await self.changed.wait()


async def render(page: Page, runs: ScriptRuns, action: Any, url_part: str,
                 timeout: float) -> tuple[float, float]:
    """Seconds from ``action`` (an awaitable factory) until the server has finished the run,
    and until the page is drawn at rest showing the view whose URL holds ``url_part``."""
    started = time.monotonic()
    before = runs.finished
    try:
        async with asyncio.timeout(timeout):
            await action()
            await runs.wait_beyond(before)
            finished = time.monotonic() - started
            state = await page.wait_for_function(AT_REST, timeout=0)
    except TimeoutError:
        raise StepFailed(f"not drawn within {timeout:.0f} s") from None
    if await state.json_value() == "exception":
        text = await page.locator('[data-testid="stException"]').first.inner_text()
        raise StepFailed("exception box: " + text[:200])
    if url_part not in page.url:  # the run that finished was not the one asked for
        raise StepFailed(f"drawn, but {page.url} is not the view asked for")
    return finished, time.monotonic() - started


async def browser_session(browser: Browser, url: str, w: int, result: LevelResult,
                          timeout: float, profile: BrowserContext | None = None) -> None:
    """Overview, weekly, Retention for one user with W = ``w`` in a Chromium context;
    times into ``result``. In a fresh context (a first visit), or in ``profile``, a
    context that opened the app before (a returning visit: a new tab of that browser)."""
    context = profile or await browser.new_context(viewport=VIEWPORT)
    visit = VISITS[0] if profile is None else VISITS[1]
    drawn_times = result.seconds if profile is None else result.returning
    page: Page | None = None
    try:
        page = await context.new_page()
        runs = ScriptRuns(page)
        sidebar = page.locator('[data-testid="stSidebar"]')
        actions = {  # each step: what the user does, and what the URL then shows
            "overview": (lambda: page.goto(f"{url}/?w={w}"), f"w={w}"),
            "weekly": (lambda: sidebar.get_by_text("Week", exact=True).click(),
                       "period=week"),
            "retention": (lambda: sidebar.get_by_role("link", name="Retention").click(),
                          "/retention?"),
        }
        for step in STEPS:
            action, url_part = actions[step]
            try:
                began = time.monotonic()
                finished, drawn = await render(page, runs, action, url_part, timeout)
                result.finished[step].append(finished)
                drawn_times[step].append(drawn)
                result.record(step, visit, w, began, finished, drawn, runs)
                if step == STEPS[0]:
                    result.downloaded_mb[visit].append(await page.evaluate(STATIC_BYTES) / 1e6)
            except StepFailed as error:
                result.fail(step, f"{step}, W={w}: {error}")
                return
            except Exception as error:  # a lost server or browser: the step failed
                result.fail(step, f"{step}, W={w}: {type(error).__name__}: {error}")
                return
    finally:
        with suppress(Exception):
            if profile is None:
                await context.close()
            elif page is not None:  # the tab, not the returning manager's browser
                await page.close()


async def protocol_session(url: str, w: int, result: LevelResult, timeout: float) -> None:
    """The browser session's steps, sent as a browser sends them over Streamlit's websocket
    (bench/session_client.py) and timed until the server finished each run."""
    week, step = PERIODS.index("week"), STEPS[0]
    try:
        async with SessionClient(url) as session:
            actions = {  # each step: what the browser sends, and what its URL then shows
                "overview": (lambda: session.open(f"/?w={w}", timeout), f"w={w}"),
                "weekly": (lambda: session.choose("period", week, timeout), "period=week"),
                "retention": (lambda: session.switch_page("retention", timeout),
                              "/retention?"),
            }
            for step in STEPS:
                action, url_part = actions[step]
                began = time.monotonic()
                answer: ProtocolStep = await action()
                failure = answer.error or _not_the_view(answer, url_part)
                if failure is not None:
                    result.fail(step, f"{step}, W={w}: {failure}")
                    return
                assert answer.seconds is not None
                result.finished[step].append(answer.seconds)
                result.record(step, "protocol", w, began, answer.seconds)
    except Exception as error:  # the server refused the connection: the step failed
        result.fail(step, f"{step}, W={w}: {type(error).__name__}: {error}")


def _not_the_view(answer: ProtocolStep, url_part: str) -> str | None:
    """Why the finished run is not the view asked for (its address lacks ``url_part``)."""
    address = f"/{answer.page}?{answer.query_string}"
    return None if url_part in address else f"finished, but {address} is not the view asked for"


class LoadAverage:
    """The machine's highest 1-minute load average while it runs (sampled every 2 s)."""

    def __init__(self) -> None:
        self.highest = os.getloadavg()[0]
        self._task = asyncio.ensure_future(self._sample())

    async def _sample(self) -> None:
        while True:
            await asyncio.sleep(2)
            self.highest = max(self.highest, os.getloadavg()[0])

    async def stop(self) -> float:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return max(self.highest, os.getloadavg()[0])


async def run_level(browser: Browser, url: str, pid: int, result: LevelResult, visit: str,
                    step_timeout: float, level_timeout: float) -> None:
    """The level's round of ``visit`` ("cold" or "returning") against the server at
    ``url`` (process ``pid``), warm-up first."""
    # The returning manager's browser: the warm-up session (a view no measured session
    # uses) fills its HTTP cache, as an earlier visit to the app would have. The cold round
    # warms its server alike, so that both rounds start from the same server.
    profile = await browser.new_context(viewport=VIEWPORT)
    try:
        warm_up = LevelResult("warm-up", 1)
        await browser_session(browser, url, WARM_UP_W, warm_up, step_timeout, profile)
        if warm_up.errors:  # reported, not counted: no measured user saw it
            print(f"    warm-up failed: {warm_up.errors[0]}", flush=True)
        await measure(browser, profile, url, pid, result, visit, step_timeout, level_timeout)
    finally:
        with suppress(Exception):
            await profile.close()


def level_sessions(browser: Browser, profile: BrowserContext, url: str, result: LevelResult,
                   visit: str, step_timeout: float) -> list[Any]:
    """The sessions of the level's round of ``visit``, to run at once: the first that
    kind of visit (a fresh browser, or a returning one in ``profile``), the others
    protocol sessions (or fresh browsers with LOAD_CLIENTS=browser)."""
    windows = ([SHARED_W] * result.sessions if result.views == "shared"
               else [30 + i for i in range(result.sessions)])  # never WARM_UP_W

    def session(n: int, w: int) -> Any:
        if n == 0:
            return browser_session(browser, url, w, result, step_timeout,
                                   profile if visit == VISITS[1] else None)
        if n < result.browsers:
            return browser_session(browser, url, w, result, step_timeout)
        return protocol_session(url, w, result, step_timeout)

    return [session(n, w) for n, w in enumerate(windows)]


async def measure(browser: Browser, profile: BrowserContext, url: str, pid: int,
                  result: LevelResult, visit: str, step_timeout: float,
                  level_timeout: float) -> None:
    """Runs the sessions of the level's round of ``visit`` at once (see
    :func:`level_sessions`), their times into ``result``, the round's costs into
    ``result.rounds[visit]``."""
    costs, before = result.rounds[visit], _counts(result)
    cpu_before, browser_before = cpu_seconds(pid), browser_cpu_seconds(pid)
    result.current_round, result.started = visit, time.monotonic()
    clients_before, load = time.process_time(), LoadAverage()
    sessions = [asyncio.ensure_future(session) for session in
                level_sessions(browser, profile, url, result, visit, step_timeout)]
    _, pending = await asyncio.wait(sessions, timeout=level_timeout)
    if pending:
        result.timed_out = True
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for step, now, then in zip(STEPS, _counts(result), before, strict=True):
            unfinished = result.sessions - (now - then)  # of this round's sessions
            result.failures[step] += [f"{step}: not finished before the round stopped "
                                      f"after {level_timeout:.0f} s"] * unfinished
    costs.server_cpu_s = cpu_seconds(pid) - cpu_before
    costs.clients_cpu_s = time.process_time() - clients_before
    costs.browser_cpu_s = browser_cpu_seconds(pid) - browser_before
    costs.load_average = await load.stop()


def _counts(result: LevelResult) -> list[int]:
    """The sessions each step has counted so far, finished or failed."""
    return [len(result.finished[step]) + len(result.failures[step]) for step in STEPS]


async def run_all(database: Path, levels: list[int], views: list[str], clients: str,
                  folder: Path, step_timeout: float, level_timeout: float,
                  roots: dict[str, Path] | None = None,
                  browsers: tuple[str, ...] = ("headless-shell",)) -> list[LevelResult]:
    """Every level, each on fresh servers of each checkout of ``roots`` (by default this
    one) and in each of ``browsers`` (names in :data:`BROWSERS`) in turn, so that two
    versions or two browsers compared see the same machine."""
    roots = roots or {"this": ROOT}
    results: list[LevelResult] = []
    async with async_playwright() as playwright:
        launched = {name: await playwright.chromium.launch(executable_path=BROWSERS[name],
                                                           args=CHROMIUM_ARGS)
                    for name in browsers}
        try:
            for kind in views:
                for sessions in levels:
                    for (checkout, root), name in itertools.product(roots.items(), browsers):
                        result = LevelResult(kind, sessions, clients, checkout, name,
                                             judged=checkout == "this" and name == browsers[0])
                        await run_one(launched[name], database, root, folder, result,
                                      step_timeout, level_timeout)
                        results.append(result)
        finally:
            for browser in launched.values():
                await browser.close()
    return results


async def run_one(browser: Browser, database: Path, root: Path, folder: Path,
                  result: LevelResult, step_timeout: float, level_timeout: float) -> None:
    """One level: its round of each kind of visit in turn, each on a fresh server of the
    checkout ``root`` (see :func:`run_round`)."""
    for visit in VISITS:
        await run_round(browser, database, root, folder, result, visit, step_timeout,
                        level_timeout)
    print_level(result)


async def run_round(browser: Browser, database: Path, root: Path, folder: Path,
                    result: LevelResult, visit: str, step_timeout: float,
                    level_timeout: float) -> None:
    """The level's round of ``visit`` on a fresh server of the checkout ``root``, serving
    its own copy of ``database`` (no round sees another's cache or catalogue)."""
    name = f"{result.checkout}-{result.views}-{result.sessions}-{visit}"
    copy = folder / name / database.name
    shutil.copytree(database, copy)
    log = folder / f"server-{name}.log"
    errors_before = len(result.errors)
    try:
        with server(copy, log, root / "dashboard" / "app.py", root) as (url, pid):
            await run_level(browser, url, pid, result, visit, step_timeout, level_timeout)
            result.rounds[visit].peak_rss_mb = peak_rss_mb(pid)
    except RuntimeError as error:  # the server did not start: no step ran
        for _ in range(result.sessions):
            result.fail(STEPS[0], str(error).splitlines()[0])
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)
    if len(result.errors) > errors_before:  # the server's side of them, kept for reading
        shutil.copy(log, RESULTS / f"load-server-{name}.log")


# -- reporting -----------------------------------------------------------------------


# CPU times and the load average: the mean of the level's two rounds; peak RSS: the higher
HEADER = (f"{'checkout':<10}{'browser':<16}{'views':<10}{'sessions':>9}  {'step':<11}"
          f"{'server p50':>11}"
          f"{'server p95':>11}{'cold p50':>11}{'cold p95':>11}{'return p50':>11}"
          f"{'return p95':>11}{'errors':>8}{'peak RSS MB':>13}"
          f"{'server CPU s':>14}{'clients CPU s':>15}{'browser CPU s':>15}{'load':>6}")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def print_level(result: LevelResult) -> None:
    summary = result.summary()
    for step in STEPS:
        figures = summary["steps"][step]
        times = "".join(f"{_seconds(figures[q]):>11}" for q in
                        ("server_p50", "server_p95", "render_p50", "render_p95",
                         "returning_p50", "returning_p95"))
        print(f"{result.checkout:<10}{result.browser:<16}{result.views:<10}"
              f"{result.sessions:>9}  {step:<11}{times}"
              f"{figures['errors']:>8}{result.peak_rss_mb or 0:>13,.0f}"
              f"{result.server_cpu_s or 0:>14.1f}{result.clients_cpu_s or 0:>15.1f}"
              f"{result.browser_cpu_s or 0:>15.1f}{result.load_average or 0:>6.1f}",
              flush=True)
    for message in [m for m in result.errors if not m.startswith("not reached")][:5]:
        print(f"    {message}", flush=True)


def slowest_p95(result: LevelResult, visit: str = "returning") -> float | None:
    """The slowest step's p95, of the server's (all sessions) and the browser's render
    times on ``visit`` ("returning" or "cold") alike; None when a step has no time or the
    level had errors."""
    drawn = result.returning if visit == "returning" else result.seconds
    p95s = [percentile(times, 95) for times in (*result.finished.values(), *drawn.values())]
    if None in p95s or result.errors:
        return None
    return max(p for p in p95s if p is not None)


def first_visits(results: list[LevelResult]) -> dict[str, float | None]:
    """The first visit's slowest p95 (server and the fresh browser) at 20 sessions, by
    kind of view: stated beside the targets, which a returning visit judges."""
    return {r.views: slowest_p95(r, "cold") for r in results
            if r.sessions == TARGET_SESSIONS and r.judged}


def targets(results: list[LevelResult]) -> dict[str, str]:
    """The issue's targets, judged on the levels run (missed where a level is missing)."""
    def p95_at(views: str) -> float | None:
        return next((slowest_p95(r) for r in results
                     if r.views == views and r.sessions == TARGET_SESSIONS
                     and r.judged), None)

    distinct, shared = p95_at("distinct"), p95_at("shared")
    return {
        "0 errors at every level": verdict(all(not r.errors for r in results if r.judged)),
        "distinct views, p95 at 20 sessions under 20 s": verdict(
            distinct is not None and distinct < 20),
        "one shared view, p95 at 20 sessions under 3 s": verdict(
            shared is not None and shared < 3),
    }


def first_visit_line(results: list[LevelResult]) -> str:
    """The first visit's figures at 20 sessions, in words (not judged)."""
    return "; ".join(f"{views} views: slowest p95 {_seconds(p95)} s" for views, p95 in
                     first_visits(results).items())


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    customers = int(setting("BENCH_CUSTOMERS", "300000"))
    levels = [int(n) for n in setting("LOAD_LEVELS", "1,5,10,20").split(",")]
    views = [v for v in setting("LOAD_VIEWS", ",".join(VIEWS)).split(",") if v in VIEWS]
    clients = setting("LOAD_CLIENTS", CLIENTS[0])
    browsers = tuple(setting("LOAD_BROWSERS", "headless-shell").split(","))
    if (not views or not all(0 < n <= 50 for n in levels) or clients not in CLIENTS
            or not browsers or not all(BROWSERS.get(name) for name in browsers)):
        raise SystemExit("LOAD_LEVELS takes 1 to 50 sessions a level (e.g. 1,5,10,20); "
                         "LOAD_VIEWS takes distinct, shared or both; LOAD_CLIENTS takes "
                         "protocol (one browser, the other sessions over the protocol) or "
                         "browser (every session a browser); LOAD_BROWSERS takes "
                         "headless-shell, chromium or both, installed (make bench "
                         "installs them).")
    step_timeout = float(setting("LOAD_STEP_TIMEOUT", "300"))
    level_timeout = float(setting("LOAD_LEVEL_TIMEOUT", "1200"))
    roots = checkouts()
    folder = Path(tempfile.mkdtemp(prefix="loyaltylens-load-"))
    try:
        database, orders = run_database(customers, folder)
        print(f"{orders:,} orders from {customers:,} customers; sessions at once: "
              f"{', '.join(map(str, levels))}; each level a round of a first browser visit "
              "and then one of a returning visit, each on a fresh server, with the other "
              + ("sessions fresh browsers" if clients == "browser" else
                 "sessions over Streamlit's protocol")
              + "; CPU and load: the mean of the two rounds, peak RSS the higher")
        print(HEADER, flush=True)
        results = asyncio.run(run_all(database, levels, views, clients, folder,
                                      step_timeout, level_timeout, roots, browsers))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    at_size = orders >= TARGET_ORDERS and TARGET_SESSIONS in levels and len(views) == 2
    judged = targets(results) if at_size else None
    print("targets at 20 sessions, 1 million orders (server and a returning visit): "
          + ("; ".join(f"{name}: {met}" for name, met in judged.items()) if judged else
             "(not judged: they need BENCH_CUSTOMERS=300000, level 20 and both kinds of "
             "view, distinct and shared)"))
    if first_visits(results):
        print("a first visit (fresh browser) at 20 sessions, not judged: "
              + first_visit_line(results))
    (RESULTS / f"load-{customers}.json").write_text(json.dumps({
        "orders": orders, "customers": customers, "clients": clients, "browsers": browsers,
        "roots": {name: str(root) for name, root in roots.items()},
        "step_timeout_s": step_timeout,
        "level_timeout_s": level_timeout, "levels": [r.summary() for r in results],
        "targets": judged, "targets_judge": "server p95 and the returning visit's p95",
        "first_visit_p95_at_20": first_visits(results),
    }, indent=2))


if __name__ == "__main__":
    main()
