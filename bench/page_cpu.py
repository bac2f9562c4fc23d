"""Benchmark: the server's CPU time per page run on one shared view, its results cached.

With many sessions on one view the results are computed once; what each session then costs
the server is the Python of drawing the page (under one interpreter lock, so 20 sessions
arriving together queue on it). This measures that cost directly, less sensitive to other
work on the machine than a load test's wall times: the real server (``streamlit run``,
bench/load.py's) on the 1-million-order shop, one protocol session at a time
(bench/session_client.py) taking the load benchmark's steps (the Overview, weekly, the
Retention page) on the shared view once it is cached, and the CPU time the server process
used for each step (user and system, from /proc). Beside it, each step's wall time until the
server finished the run: with no other session, what one person waits for a cached view
(the CPU and the handing of each element over to the event loop).

LOAD_COMPARE_ROOT names another checkout (e.g. the main branch's worktree) whose server runs
beside this one on a copy of the same shop: their sessions alternate, so both see the same
machine. Sizes: BENCH_CUSTOMERS (default 300,000 customers, about 1 million orders),
PAGE_CPU_SESSIONS (default 20 sessions each); LOAD_SHOP_FOLDER as for bench/load.py.
Writes bench/results/page-cpu-<customers>.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.load import (
    RESULTS,
    SHARED_W,
    STEPS,
    checkouts,
    cpu_seconds,
    run_database,
    server,
)
from bench.session_client import SessionClient
from bench.session_client import Step as ProtocolStep
from metrics.query.sql import PERIODS

TIMEOUT = 300.0


# A step measured: the server's CPU seconds, the elements drawn, the seconds until finished.
Measured = tuple[float, int, float]


async def session(url: str, pid: int) -> dict[str, Measured]:
    """One user's steps on the shared view: each step's server CPU seconds, the number of
    elements it drew and its seconds until the server finished it."""
    week = PERIODS.index("week")
    measured: dict[str, Measured] = {}
    async with SessionClient(url) as client:
        actions = {"overview": lambda: client.open(f"/?w={SHARED_W}", TIMEOUT),
                   "weekly": lambda: client.choose("period", week, TIMEOUT),
                   "retention": lambda: client.switch_page("retention", TIMEOUT)}
        for step in STEPS:
            before = cpu_seconds(pid)
            answer: ProtocolStep = await actions[step]()
            if answer.error is not None or answer.seconds is None:
                raise RuntimeError(f"{step}: {answer.error}")
            measured[step] = cpu_seconds(pid) - before, len(answer.elements), answer.seconds
    return measured


async def measure(servers: dict[str, tuple[str, int]], sessions: int
                  ) -> dict[str, dict[str, Any]]:
    """Every server's CPU per step over ``sessions`` sessions, the servers' alternating."""
    idle = []  # a session left open: Streamlit drops its compiled scripts when none is
    for url, _ in servers.values():
        client = SessionClient(url)
        await client.__aenter__()
        await client.open(f"/?w={SHARED_W + 1}", TIMEOUT)
        idle.append(client)
    try:
        for url, pid in servers.values():  # the view computed and cached, the code warm
            for _ in range(2):
                await session(url, pid)
        taken: dict[str, list[dict[str, Measured]]] = {name: [] for name in servers}
        for _ in range(sessions):
            for name, (url, pid) in servers.items():
                taken[name].append(await session(url, pid))
    finally:
        for client in idle:
            await client.close()
    return {name: summary(runs) for name, runs in taken.items()}


def summary(runs: list[dict[str, Measured]]) -> dict[str, Any]:
    """Mean and median CPU milliseconds per step and per session, elements drawn, and the
    median milliseconds until finished."""
    steps = {step: {"cpu_ms_mean": 1000 * statistics.mean(r[step][0] for r in runs),
                    "cpu_ms_median": 1000 * statistics.median(r[step][0] for r in runs),
                    "elements": runs[-1][step][1],
                    "finished_ms_median": 1000 * statistics.median(r[step][2] for r in runs)}
             for step in STEPS}
    per_session = [sum(r[step][0] for step in STEPS) for r in runs]
    waited = [sum(r[step][2] for step in STEPS) for r in runs]
    return {"sessions": len(runs), "steps": steps,
            "session_cpu_ms_mean": 1000 * statistics.mean(per_session),
            "session_finished_ms_median": 1000 * statistics.median(waited)}


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    customers = int(os.environ.get("BENCH_CUSTOMERS") or 300_000)
    sessions = int(os.environ.get("PAGE_CPU_SESSIONS") or 20)
    roots = checkouts()
    folder = Path(tempfile.mkdtemp(prefix="loyaltylens-page-cpu-"))
    try:
        database, orders = run_database(customers, folder)
        with ExitStack() as stack:
            servers = {}
            for name, root in roots.items():
                copy = folder / name / database.name  # no two servers share a catalogue
                shutil.copytree(database, copy)
                servers[name] = stack.enter_context(
                    server(copy, folder / f"server-{name}.log", root / "dashboard" / "app.py",
                           root))
            results = asyncio.run(measure(servers, sessions))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{orders:,} orders; server CPU per step on the shared view (cached), "
          f"{sessions} sessions each, milliseconds (mean / median; the median until the "
          f"server finished the step after it):")
    for name, result in results.items():
        steps = "  ".join(f"{step} {figures['cpu_ms_mean']:.0f} / {figures['cpu_ms_median']:.0f}"
                          f" ({figures['elements']} elements), {figures['finished_ms_median']:.0f}"
                          for step, figures in result["steps"].items())
        print(f"{name:<9}{roots[name]}: {steps}; a session {result['session_cpu_ms_mean']:.0f}"
              f", {result['session_finished_ms_median']:.0f}")
    (RESULTS / f"page-cpu-{customers}.json").write_text(json.dumps({
        "orders": orders, "customers": customers,
        "roots": {name: str(root) for name, root in roots.items()}, "results": results,
    }, indent=2))


if __name__ == "__main__":
    main()
