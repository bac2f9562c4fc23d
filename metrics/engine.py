"""The DuckDB engine's share of the machine: worker threads, their priority and memory,
from settings."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from metrics.errors import StoreUnavailable
from metrics.i18n import t

THREADS_ENV_VAR = "LOYALTYLENS_THREADS"
MEMORY_ENV_VAR = "LOYALTYLENS_MEMORY_LIMIT"
NICENESS_ENV_VAR = "LOYALTYLENS_WORKER_NICENESS"
# How much lower than the server's own threads DuckDB's worker threads run (Linux nice): a
# query's workers use the cores nobody else needs, and give way to the threads that serve
# pages (those of views already cached) and send them. With 20 sessions on one view a
# returning manager's browser drew its Overview on the same two cores while the server
# computed the others' Retention: side by side, 3.46 / 3.22 / 3.08 s against 4.45 / 3.71 /
# 3.56 s at equal priority, then, with the machine slower, 4.33 / 4.29 / 5.59 / 3.48 s
# against 3.94 / 4.47 / 5.26 / 3.41 s (README, "Many users on one server"). Alone on the
# machine a query's workers run as fast as before.
DEFAULT_WORKER_NICENESS = 10
# /proc/self/task: the threads of this process (Linux); elsewhere priorities stay as they are
_TASKS = Path("/proc/self/task")
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
    worker_niceness
        How much lower the priority of the worker threads is than the server's own
        (:func:`workers_below`; 0: the same).
    """

    threads: int
    memory_limit: str
    worker_niceness: int = DEFAULT_WORKER_NICENESS

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
    return EngineSettings(threads, os.environ.get(MEMORY_ENV_VAR) or DEFAULT_MEMORY_LIMIT,
                          worker_niceness())


def worker_niceness(environ: dict[str, str] | os._Environ[str] = os.environ) -> int:
    """``$LOYALTYLENS_WORKER_NICENESS``: 0 to 19, :data:`DEFAULT_WORKER_NICENESS` when
    unset (:func:`whole_number_setting`)."""
    return whole_number_setting(NICENESS_ENV_VAR, DEFAULT_WORKER_NICENESS,
                                "a niceness from 0 to 19", highest=19, environ=environ)


def whole_number_setting(name: str, default: int, meaning: str, highest: int | None = None,
                         environ: dict[str, str] | os._Environ[str] = os.environ) -> int:
    """The server setting ``$name``, a whole number from 0 (to ``highest``), ``default``
    when unset; another value is logged as not ``meaning`` and the default used (a server
    setting, no reason to refuse to start)."""
    raw = environ.get(name, "").strip()
    if raw.isdigit() and (highest is None or int(raw) <= highest):
        return int(raw)
    if raw:
        logging.getLogger(__name__).warning("%s = %r is not %s; using %d.", name, raw,
                                            meaning, default)
    return default


def _threads() -> set[int]:
    """The ids of this process's threads (none known where /proc is not)."""
    try:
        return {int(name) for name in os.listdir(_TASKS)}
    except OSError:
        return set()


@contextlib.contextmanager
def workers_below(niceness: int) -> Iterator[None]:
    """The threads the block starts that are not Python's (DuckDB starts its worker
    threads when a database opens) run ``niceness`` lower than the thread that opened it.

    Python's threads started meanwhile (a session's run, say) keep their priority: they
    are told apart by their ids. Without /proc (not Linux) nothing changes.
    """
    before = _threads() if niceness else set()
    yield
    if not niceness or not before:
        return
    python = {thread.native_id for thread in threading.enumerate()}
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    for thread in _threads() - before - python:
        with contextlib.suppress(OSError):  # ended meanwhile
            os.setpriority(os.PRIO_PROCESS, thread, min(19, base + niceness))
