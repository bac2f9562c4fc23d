"""Timing and memory shared by the benchmarks: the median of repeated runs, and the peak
resident memory of a piece of work run in a fresh process."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# What a child prints last: its peak resident memory. VmHWM is the high-water mark of
# the process's own memory map, which exec starts afresh (ru_maxrss would carry over the
# parent's peak from before the fork).
REPORT_PEAK = """
import json as _json
def _peak_rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
print(_json.dumps({"peak_rss_mb": _peak_rss_mb(), **globals().get("REPORT", {})}))
"""


def median_seconds(run: Callable[[], Any], repeats: int = 5) -> tuple[float, Any]:
    """The median wall time of ``repeats`` calls of ``run``, and the last call's result."""
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def in_fresh_process(code: str, *args: str, checkout: Path = ROOT) -> dict[str, Any]:
    """Run ``code`` (Python, given ``args`` as sys.argv[1:]) in a new interpreter from the
    repository root (or another ``checkout`` of it, whose code it then imports); return
    its peak RSS in MB and whatever it put in a dict ``REPORT``."""
    env = os.environ | {"PYTHONPATH": str(checkout)}
    output = subprocess.run([sys.executable, "-c", code + REPORT_PEAK, *args], check=True,
                            capture_output=True, text=True, cwd=checkout, env=env).stdout
    return json.loads(output.strip().splitlines()[-1])


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"
