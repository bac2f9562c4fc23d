"""The DuckDB engine's share of the machine: worker threads and memory, from settings."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from metrics.errors import StoreUnavailable
from metrics.i18n import t

THREADS_ENV_VAR = "LOYALTYLENS_THREADS"
MEMORY_ENV_VAR = "LOYALTYLENS_MEMORY_LIMIT"
# DuckDB spills to disk beyond this, so a large file ingests in bounded memory.
DEFAULT_MEMORY_LIMIT = "2GB"
# cgroup v2: the CPU time a container may use, "<quota> <period>" or "max <period>"
CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
# A whole number of megabytes, gigabytes or terabytes, decimal or binary ("3GB", "500 MiB"):
# a memory limit DuckDB always takes (tests/test_engine.py checks that it does).
_PLAIN_MEMORY_LIMIT = re.compile(r"\s*[1-9][0-9]*\s*[mgt]i?b\s*", re.IGNORECASE)


@dataclass(frozen=True)
class EngineSettings:
    """What one database's queries share, all sessions together.

    Attributes
    ----------
    threads
        DuckDB's worker threads: one pool for every query at once (each query's own
        thread works in it too), so many sessions queue for the cores instead of each
        starting a pool of its own.
    memory_limit
        Memory for every query at once, a DuckDB size such as ``2GB``.
    """

    threads: int
    memory_limit: str

    def as_config(self) -> dict[str, str | int]:
        """The settings as ``duckdb.connect(..., config=...)`` takes them."""
        return {"threads": self.threads, "memory_limit": self.memory_limit}

    @property
    def plain_memory_limit(self) -> bool:
        """Whether the memory limit is written as a size DuckDB always takes, so it is
        known good without starting DuckDB; any other text only DuckDB can judge (the
        store refuses it when it opens, metrics.store)."""
        return _PLAIN_MEMORY_LIMIT.fullmatch(self.memory_limit) is not None


def available_cores(cpu_max: Path = CPU_MAX) -> int:
    """The cores this process may use: those it may run on, fewer when a container's CPU
    quota allows less (``os.cpu_count()`` counts the host's, oversubscribing them)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)
    try:
        quota, period = cpu_max.read_text(encoding="utf-8").split()[:2]
    except (OSError, ValueError):
        return cores
    if quota == "max":
        return cores
    return max(1, min(cores, math.ceil(int(quota) / int(period))))


def engine_settings() -> EngineSettings:
    """The settings of ``$LOYALTYLENS_THREADS`` (default: :func:`available_cores`) and
    ``$LOYALTYLENS_MEMORY_LIMIT`` (default 2GB).

    Raises
    ------
    StoreUnavailable
        When the thread count is not a whole number of at least 1.
    """
    raw = os.environ.get(THREADS_ENV_VAR, "").strip()
    if not raw:
        threads = available_cores()
    elif raw.isdigit() and int(raw) >= 1:
        threads = int(raw)
    else:
        raise StoreUnavailable(t("{var} = “{value}” is not a number of threads; write a whole "
                                 "number such as 2, or leave it unset to use every core.",
                                 var=THREADS_ENV_VAR, value=raw))
    return EngineSettings(threads, os.environ.get(MEMORY_ENV_VAR) or DEFAULT_MEMORY_LIMIT)
