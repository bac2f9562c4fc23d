"""Running work on a user's file (the ingest) in a child process with limits, so that a
crash, a hang or a huge file there never reaches the server: any death is one sentence."""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.spawn
import os
import resource
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, TypeVar

import duckdb

from metrics.errors import InputError, LoyaltyLensError
from metrics.i18n import format_number, language, t, tn
from metrics.progress import ProgressCallback, Step

logger = logging.getLogger(__name__)

T = TypeVar("T")
PROCESS_NAME = "loyaltylens-ingest"
MEMORY_ENV_VAR = "LOYALTYLENS_INGEST_MEMORY_GB"
SECONDS_ENV_VAR = "LOYALTYLENS_INGEST_SECONDS"
# Address space, not resident memory: DuckDB and Python reserve far more than they touch
# (a 1-million-order ingest peaks at 1.7 GB of address space for 340 MB resident), and
# DuckDB's own limit (LOYALTYLENS_MEMORY_LIMIT, 2 GB) makes it spill to disk well before.
DEFAULT_MEMORY_GB = 6.0
# Ten million orders ingest in under a minute on two cores.
DEFAULT_SECONDS = 900
# What a child may write (its scratch database, the staged tables, DuckDB's spill files).
DEFAULT_FILE_BYTES = 20 * 2**30


def _env_number(name: str, default: float) -> float:
    """A positive number from the environment, else ``default``."""
    try:
        value = float(os.environ.get(name) or default)
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass(frozen=True)
class Limits:
    """What one child may use: address space, wall-clock and CPU seconds, file size.

    The defaults come from ``$LOYALTYLENS_INGEST_MEMORY_GB`` (6) and
    ``$LOYALTYLENS_INGEST_SECONDS`` (900). The CPU limit is a backstop behind the parent's
    wall-clock timeout (a child whose parent died): every core busy for the whole time.
    """

    memory_bytes: int = field(default_factory=lambda: int(
        _env_number(MEMORY_ENV_VAR, DEFAULT_MEMORY_GB) * 2**30))
    wall_seconds: float = field(default_factory=lambda: _env_number(
        SECONDS_ENV_VAR, DEFAULT_SECONDS))
    cpu_seconds: int | None = None
    file_bytes: int = DEFAULT_FILE_BYTES

    @property
    def cpu_limit(self) -> int:
        """The CPU seconds of the child, all its threads together."""
        if self.cpu_seconds is not None:
            return self.cpu_seconds
        return max(1, int(self.wall_seconds * (os.cpu_count() or 1)))


def run_isolated(task: Callable[..., T], name: str, limits: Limits | None = None,
                 progress: ProgressCallback | None = None, every: float | None = None) -> T:
    """Run ``task`` in a fresh process under ``limits`` and return what it returns.

    The child is started with ``spawn`` (never a fork of a server running DuckDB and
    Streamlit threads), so ``task`` must be picklable: a module-level function or a
    :func:`functools.partial` of one.

    Parameters
    ----------
    task
        The work, called without arguments in the child; with ``progress``, called with
        the keyword ``progress``: a :data:`~metrics.progress.ProgressCallback` whose steps
        reach ``progress`` here.
    name
        The file the work reads, as the user knows it (for the sentences).
    limits
        Address space, wall-clock and CPU time, and file size of the child.
    progress
        Called in this process with each :class:`~metrics.progress.Step` the task reports
        (the wall-clock limit counts from the start all the same). Whatever it raises
        (a page's Cancel, a Ctrl-C) stops the child at once and is raised here: the
        task's work is lost, as if it never ran.
    every
        With ``progress``: seconds after which ``progress`` is called again with the
        latest step when the child reported nothing new meanwhile, so that a page can
        redraw the time left and answer its Cancel during a long quiet stretch.

    Raises
    ------
    LoyaltyLensError
        The task's own error (an :class:`InputError` about the file), as it raised it.
    InputError
        One sentence when the child ran out of time, memory or disk, or died; the details
        go to the server's log.
    """
    limits = limits or Limits()
    _skip_main_in_children()
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    # the user's language goes with the task: a spawned child starts in English, and its
    # sentences (rejected rows, the report) are the user's to read
    child = context.Process(
        target=_child, args=(sender, task, limits, language.get(), progress is not None),
        daemon=True, name=f"{PROCESS_NAME} {name}")
    deadline = time.monotonic() + limits.wall_seconds
    child.start()
    sender.close()  # the child's end: a dead child then reads as the end of the pipe
    try:
        outcome = _outcome(receiver, deadline, progress, every)
        if outcome is None:
            logger.error("Ingest of %s stopped after %s s (pid %s)", name,
                         limits.wall_seconds, child.pid)
            raise InputError(_too_long(name, limits))
    except EOFError:
        child.join()
        raise InputError(_death(name, child.exitcode, limits)) from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    return _result(outcome, name, limits)


def _outcome(receiver: Connection, deadline: float, progress: ProgressCallback | None,
             every: float | None = None) -> tuple[Any, ...] | None:
    """The child's outcome, passing its progress steps on to ``progress`` until then (the
    latest again after ``every`` quiet seconds); None when ``deadline`` (of
    :func:`time.monotonic`) comes first."""
    latest: Step | None = None
    while (left := deadline - time.monotonic()) > 0:
        if not receiver.poll(min(left, every) if every else left):
            if every and latest is not None and progress is not None:
                progress(latest)  # nothing new meanwhile: the same step, later
            continue
        message: tuple[Any, ...] = receiver.recv()
        if message[0] != "progress":
            return message
        latest = message[1]
        if progress is not None:
            progress(latest)
    return None


def _skip_main_in_children() -> None:
    """Spawn our children without running the parent's ``__main__`` in them.

    A spawned child first runs the parent's main script again (so that what it defines
    unpickles); under Streamlit that is the page being run (its script runner makes the
    page ``__main__``), which would draw the whole app, and open the database, in the
    child. The tasks live in importable modules, so the children of this module (named
    :data:`PROCESS_NAME`) skip it; other processes are spawned as before.
    """
    prepare = multiprocessing.spawn.get_preparation_data
    if getattr(prepare, "skips_main", False):
        return

    def without_main(name: str) -> dict[str, Any]:
        data: dict[str, Any] = prepare(name)
        if name.startswith(PROCESS_NAME):
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
        return data

    without_main.__dict__["skips_main"] = True
    multiprocessing.spawn.get_preparation_data = without_main


def _child(sender: Connection, task: Callable[..., Any], limits: Limits, lang: str,
           reports_progress: bool) -> None:
    """The child's body: limits, the task in the parent's language, and its outcome sent
    to the parent (before it, the task's progress steps, when the parent follows them)."""
    apply_limits(limits)
    language.set(lang)

    def send_progress(step: Step) -> None:
        sender.send(("progress", step))

    try:
        outcome: tuple[Any, ...] = ("ok", task(progress=send_progress) if reports_progress
                                    else task())
    except LoyaltyLensError as error:  # sent as parts: subclasses take other arguments
        outcome = ("error", type(error), error.args, vars(error))
    except (MemoryError, duckdb.OutOfMemoryException) as error:
        outcome = ("memory", repr(error))
    except (OSError, duckdb.IOException) as error:
        outcome = ("disk" if _is_disk_full(error) else "crash", traceback.format_exc())
    except BaseException:  # anything else is a bug: the parent logs its traceback
        outcome = ("crash", traceback.format_exc())
    try:
        sender.send(outcome)
    except MemoryError:
        sender.send(("memory", "sending the result"))


def apply_limits(limits: Limits) -> None:
    """Apply ``limits`` to this process (a child doing work on a user's file)."""
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_limit, limits.cpu_limit + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file
    # a write past the file size limit then fails (EFBIG) where it is, as on a full disk,
    # instead of killing the process
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _is_disk_full(error: BaseException) -> bool:
    """Whether ``error`` is a write that found no room: a full disk, or the size limit."""
    text = str(error)
    return (isinstance(error, OSError) and error.errno in (28, 27)) or (
        "No space left" in text or "File too large" in text)


def _result(outcome: tuple[Any, ...], name: str, limits: Limits) -> Any:
    """The task's result from the child's outcome, or the error it stands for."""
    kind = outcome[0]
    if kind == "ok":
        return outcome[1]
    if kind == "error":
        error_type, args, state = outcome[1:]
        error = error_type.__new__(error_type)
        error.args = args
        error.__dict__.update(state)
        raise error
    logger.error("Ingest of %s failed in its process (%s): %s", name, kind, outcome[1])
    if kind == "memory":
        raise InputError(_out_of_memory(name, limits))
    if kind == "disk":
        raise InputError(_disk_full(name))
    raise InputError(_crashed(name))


def _death(name: str, exitcode: int | None, limits: Limits) -> str:
    """The sentence for a child that died without an answer, by how it died."""
    logger.error("Ingest of %s died: exit code %s", name, exitcode)
    if exitcode == -signal.SIGXCPU:
        return _too_long(name, limits)
    if exitcode == -signal.SIGXFSZ:
        return _disk_full(name)
    if exitcode == -signal.SIGKILL:  # what the kernel's out-of-memory killer sends
        return t("Reading {name} was stopped by the server (it may have run out of memory); "
                 "nothing was stored. Upload a smaller file (fewer rows or columns).",
                 name=name)
    return _crashed(name)


def _too_long(name: str, limits: Limits) -> str:
    seconds = round(limits.wall_seconds)
    if seconds % 60:
        limit = tn("{n} second", "{n} seconds", seconds)
    else:
        limit = tn("{n} minute", "{n} minutes", seconds // 60)
    return t("Reading {name} took longer than the {limit} an upload may take, and was "
             "stopped; nothing was stored. Upload a smaller file (fewer rows or columns).",
             name=name, limit=limit)


def _out_of_memory(name: str, limits: Limits) -> str:
    return t("Reading {name} needed more memory than an upload may use ({limit} GB), and was "
             "stopped; nothing was stored. Upload a smaller file (fewer rows or columns).",
             name=name, limit=format_number(limits.memory_bytes / 2**30, "#,##0.0"))


def _disk_full(name: str) -> str:
    return t("There is not enough disk space to read {name}; nothing was stored. Free some "
             "disk space on the server, or upload a smaller file.", name=name)


def _crashed(name: str) -> str:
    return t("Reading {name} failed and was stopped; nothing was stored and the datasets are "
             "unchanged. Check that it is a CSV or .xlsx export; if it is, send it to whoever "
             "runs LoyaltyLens.", name=name)
