"""Progress of long work (an ingest's reading, checking and storing) as steps, and the CLI's
way of showing them: a line of text a step, on a stream, throttled."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TextIO

from metrics.i18n import t

Phase = Literal["reading", "checking", "storing", "done"]


@dataclass(frozen=True)
class Step:
    """Where long work is: its phase, and the rows done of the phase's ``total``.

    ``rows`` and ``total`` are None while they are not known (a file being read has no
    row count yet).
    """

    phase: Phase
    rows: int | None = None
    total: int | None = None


ProgressCallback = Callable[[Step], None]


def no_progress(step: Step) -> None:
    """The callback of work whose progress nobody shows."""


def _phase_label(phase: Phase) -> str:
    return {"reading": t("Reading the file"), "checking": t("Checking the rows"),
            "storing": t("Storing the rows"), "done": t("Done")}[phase]


def seconds_left(step: Step, elapsed: float) -> float | None:
    """The seconds the step's phase still needs at the pace of its ``elapsed`` seconds so
    far, or None when that is not known (no rows done yet, or no total)."""
    if not step.rows or step.total is None or step.rows >= step.total:
        return None
    return elapsed * (step.total - step.rows) / step.rows


def step_text(step: Step, elapsed: float) -> str:
    """A step for people, e.g. "Checking the rows: 250,000 of 1,000,000 rows, about 30 s
    left"; ``elapsed`` is the time the phase has taken (for the time left)."""
    if step.rows is not None and step.total is not None:
        rows = t("{rows} of {total} rows", rows=f"{step.rows:,}", total=f"{step.total:,}")
    elif step.total is not None:
        rows = t("{total} rows", total=f"{step.total:,}")
    elif step.rows is not None:
        rows = t("{rows} rows", rows=f"{step.rows:,}")
    else:
        return _phase_label(step.phase)
    left = seconds_left(step, elapsed)
    if left is not None:
        rows = t("{rows}, about {seconds} s left", rows=rows, seconds=f"{left:,.0f}")
    return t("{phase}: {rows}", phase=_phase_label(step.phase), rows=rows)


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
        self._interval = interval
        self._phase: Phase | None = None
        self._phase_started = self._written = 0.0

    def __call__(self, step: Step) -> None:
        if step.rows is None and step.total is None:
            return
        now = self._clock()
        if step.phase != self._phase:
            self._phase, self._phase_started = step.phase, now
        elif now - self._written < self._interval:
            return
        self._written = now
        self._stream.write(step_text(step, now - self._phase_started) + "\n")
        self._stream.flush()
