"""Progress of long work (an upload's reading, checking and storing) as steps: the rows done
of each phase (counted from DuckDB's own progress of the query at work), the time left at
the pace so far, and the CLI's way of showing them: a line of text a step, throttled."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, TextIO

import duckdb

from metrics.i18n import format_number, t

# "preparing": a check's rows written for storing later (the Data page stores on request)
Phase = Literal["reading", "checking", "preparing", "storing", "done"]


@dataclass(frozen=True)
class Step:
    """Where long work is: its phase, and the rows done of the phase's ``total``.

    ``rows`` and ``total`` are None while they are not known (a file being read has no
    row count yet); ``share`` is the share of the phase done (0 to 1) where rows are not
    counted (the bytes of a file read so far).
    """

    phase: Phase
    rows: int | None = None
    total: int | None = None
    share: float | None = None

    @property
    def done(self) -> float | None:
        """The share of the phase done, 0 to 1, or None when it is not known."""
        if self.rows is not None and self.total:
            return min(1.0, self.rows / self.total)
        return self.share


ProgressCallback = Callable[[Step], None]


def no_progress(step: Step) -> None:
    """The callback of work whose progress nobody shows."""


def _phase_label(phase: Phase) -> str:
    return {"reading": t("Reading the file"), "checking": t("Checking the rows"),
            "preparing": t("Preparing the rows"), "storing": t("Storing the rows"),
            "done": t("Done")}[phase]


def seconds_left(step: Step, elapsed: float) -> float | None:
    """The seconds the step's phase still needs at the pace of its ``elapsed`` seconds so
    far, or None when that is not known (nothing done yet, or no total)."""
    done = step.done
    if not done or done >= 1:
        return None
    return elapsed * (1 - done) / done


def step_text(step: Step, elapsed: float) -> str:
    """A step for people, e.g. "Checking the rows: 250,000 of 1,000,000 rows, about 30 s
    left" (numbers as the language writes them); ``elapsed`` is the time the phase has
    taken (for the time left)."""
    left = seconds_left(step, elapsed)
    if left is not None and left < 0.5:  # "about 0 s left" says nothing
        left = None
    if step.rows is not None and step.total is not None:
        rows = t("{rows} of {total} rows", rows=format_number(step.rows),
                 total=format_number(step.total))
    elif step.total is not None:
        rows = t("{total} rows", total=format_number(step.total))
    elif step.rows is not None:
        rows = t("{rows} rows", rows=format_number(step.rows))
    elif left is not None:  # a share without rows: the time left alone
        return t("{phase}: {rows}", phase=_phase_label(step.phase),
                 rows=t("about {seconds} s left", seconds=format_number(left)))
    else:
        return _phase_label(step.phase)
    if left is not None:
        rows = t("{rows}, about {seconds} s left", rows=rows, seconds=format_number(left))
    return t("{phase}: {rows}", phase=_phase_label(step.phase), rows=rows)


class PhaseClock:
    """The seconds the phase of each step has taken so far, by ``clock``: a phase begins
    with its first step (for the time left, at the pace since then)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._phase: Phase | None = None
        self._started = 0.0

    def elapsed(self, step: Step, now: float | None = None) -> float:
        """The seconds since the phase of ``step`` began (0 for a new phase's first step),
        at ``now`` (default: the clock's time)."""
        now = self._clock() if now is None else now
        if step.phase != self._phase:
            self._phase, self._started = step.phase, now
        return now - self._started

    def text(self, step: Step, now: float | None = None) -> str:
        """:func:`step_text` of ``step`` at ``now``, timed by this clock."""
        return step_text(step, self.elapsed(step, now))


class ProgressLines:
    """Steps written as lines on ``stream`` (the CLI's stderr): the first step of each phase
    always, further ones at most one every ``interval`` seconds of ``clock``.

    Only steps that count rows are written: the lines begin once the file is read, so a
    file refused while it is read prints its error alone, as it always did.
    """

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic,
                 interval: float = 1.0) -> None:
        self._stream = stream
        self._clock = clock
        self._phases = PhaseClock(clock)
        self._interval = interval
        self._phase: Phase | None = None
        self._written = 0.0

    def __call__(self, step: Step) -> None:
        if step.rows is None and step.total is None:
            return
        now = self._clock()
        if step.phase == self._phase and now - self._written < self._interval:
            return
        self._phase, self._written = step.phase, now
        self._stream.write(self._phases.text(step, now) + "\n")
        self._stream.flush()


class QueryProgress:
    """Steps passed on to ``progress`` with the rows done counted while the phase works:
    a thread asks DuckDB every ``interval`` seconds how far the query running on ``cursor``
    has come (its share of the rows, or of the file's bytes, it reads) and reports it as
    the rows done of the phase's ``total`` (else as its ``share``).

    A phase runs several queries one after another; its main one (the file read, the rows
    parsed, the table written) takes nearly all the time, so the rows done of a phase only
    grow: a short query after it leaves them as they are. Nothing is counted in the
    first ``delay`` seconds of a phase (work that short needs no count).

    Use it around the work: ``with QueryProgress(cursor, progress) as progress: ...``; the
    ingest's own steps go through it (one at a time with the thread's).
    """

    def __init__(self, cursor: duckdb.DuckDBPyConnection, progress: ProgressCallback,
                 interval: float = 0.5, delay: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._cursor = cursor
        self._progress = progress
        self._interval, self._delay, self._clock = interval, delay, clock
        self._lock = threading.Lock()
        self._step: Step | None = None
        self._phase_started = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="loyaltylens-progress",
                                        daemon=True)

    def __call__(self, step: Step) -> None:
        with self._lock:
            if self._step is None or step.phase != self._step.phase:
                self._phase_started = self._clock()
            self._step = step
            self._progress(step)

    def poll(self) -> None:
        """Report the rows done of the running query, when it has done more of the phase
        than the last step said."""
        try:
            percent = self._cursor.query_progress()
        except duckdb.Error:  # between queries, or the work just ended
            return
        with self._lock:
            step = self._step
            if (step is None or step.phase == "done" or percent <= 0
                    or self._clock() - self._phase_started < self._delay):
                return
            share = min(percent / 100, 1.0)
            counted = (dataclasses.replace(step, rows=round(share * step.total))
                       if step.total is not None else dataclasses.replace(step, share=share))
            if (counted.done or 0.0) <= (step.done or 0.0):
                return
            self._step = counted
            self._progress(counted)

    def _watch(self) -> None:
        while not self._stop.wait(self._interval):
            self.poll()

    def __enter__(self) -> QueryProgress:
        # DuckDB counts a query's progress only with its bar on; it draws it on standard
        # output (the CLI's JSON) unless told not to print it
        self._cursor.execute("SET enable_progress_bar_print = false")
        self._cursor.execute("SET enable_progress_bar = true")
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        with contextlib.suppress(duckdb.Error):  # a failed transaction refuses even a SET
            self._cursor.execute("SET enable_progress_bar = false")
