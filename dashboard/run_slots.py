"""Script runs take turns at Python: one at a time (``$LOYALTYLENS_RUN_SLOTS``), in the
order they started, a session's first page before the further clicks of the others.

Every session's script run is a thread of the one server process, and Python runs one
thread at a time. Twenty runs at once each get a twentieth of it, and so does the server's
event loop, which sends every page to its browser a message at a time and answers new
connections: a page computed in 0.2 s then waited 1 to 2 s to be sent (20 sessions on one
shared view, one of them a browser arriving late). Runs taking turns use the same Python
time in all, but each finishes sooner and the event loop shares Python with one thread
instead of twenty; someone opening the dashboard no longer waits behind everyone's clicks.

A turn is a lease, so no run holds up the others for long: a run gives its turn up when it
starts a computation (a result not cached yet: queries that take seconds, with Python's
lock free), waits for another session's computation of the same result, or waits for an
upload being read in a process of its own; and a run still holding its turn after
:data:`LEASE` seconds lets the next one in and carries on without it.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from metrics.engine import whole_number_setting

SLOTS_ENV_VAR = "LOYALTYLENS_RUN_SLOTS"
# One: Python runs one thread at a time anyway, and a run that waits (a query, another
# session's computation, an upload being read) gives its turn up. Every run beside it only
# takes Python's lock from the event loop (20 sessions on one view: a returning browser drew
# the Overview in 2.7 to 3.1 s with one turn, 3.1 to 4.6 s with two, 4.5 to 5.0 s with no
# turns). 0 turns the turns off (every run at once, as Streamlit does).
DEFAULT_SLOTS = 1
# A cached page's run takes 40 to 80 ms of Python (bench/page_cpu.py), well inside it; the
# known waits (a computation, another session's, an upload read in its own process) give
# the turn up anyway, so the lease only bounds what nobody foresaw.
LEASE = 1.0
# How often a run waiting in line asks whether its session still wants it (a click meanwhile
# reruns it: it leaves the line rather than be drawn for nothing).
POLL = 0.2

# How long a thread may hold Python's lock while another waits for it, in seconds (Python's
# default: 0.005). The event loop gives the lock up on every message it sends (each step
# waits for the socket), then waits this long to get it back from a running page: 5 ms a
# message, where a page is a hundred of them.
SWITCH_INTERVAL = 0.0005
# Python's garbage collector: a full collection walked every object of the server (the
# modules of Streamlit, pandas and Plotly included), 80 to 140 ms with Python's lock held,
# several times a minute with 20 sessions. The objects alive at the process's first page
# (its code, mostly) are set aside from the collector once (gc.freeze), and it looks at new
# objects every 50,000 allocations instead of 700.
GC_THRESHOLDS = (50_000, 20, 100)
# The session-state key of a session that has been shown a page (its next runs are not its
# first).
SHOWN = "_shown_a_page"


class RunSlots:
    """At most ``slots`` turns at once, given in the order asked for (a session's first
    page before the further pages of sessions that have one), each a lease of ``lease``
    seconds.

    :meth:`turn` waits for one and holds it while its block runs; :meth:`step_aside` gives
    this thread's turn up early. A thread asking again inside its turn gets it at once.
    """

    def __init__(self, slots: int, lease: float) -> None:
        self.slots, self.lease = slots, lease
        self._changed = threading.Condition()
        # the tickets waiting, first come first: sessions' first pages, then the others
        self._lines: tuple[deque[object], deque[object]] = (deque(), deque())
        self._held: dict[object, float] = {}  # the tickets holding a turn: since when
        self._mine = threading.local()  # this thread's ticket while in its turn

    @property
    def waiting(self) -> int:
        """How many threads wait for a turn."""
        with self._changed:
            return sum(map(len, self._lines))

    @property
    def held(self) -> int:
        """How many turns are held (leases not run out, not given up)."""
        with self._changed:
            self._expire(time.monotonic())
            return len(self._held)

    @contextmanager
    def turn(self, interrupted: Callable[[], None] | None = None, first: bool = False
             ) -> Iterator[None]:
        """Runs the block in a turn: after the turns asked for before it, while fewer than
        ``slots`` are held; ``first`` (a session's first page: someone opening the
        dashboard) goes ahead of every run that is not. While it waits, ``interrupted()``
        is called every :data:`POLL` seconds: what it raises (the session's run stopped or
        rerun) ends the wait and leaves the line."""
        if self.slots <= 0 or getattr(self._mine, "ticket", None) is not None:
            yield
            return
        ticket = object()
        self._wait_for(ticket, self._lines[0 if first else 1], interrupted)
        self._mine.ticket = ticket
        try:
            yield
        finally:
            self._mine.ticket = None
            self._give_up(ticket)

    def step_aside(self) -> None:
        """Gives this thread's turn to the next in line (its block goes on without it)."""
        ticket = getattr(self._mine, "ticket", None)
        if ticket is not None:
            self._give_up(ticket)

    def _wait_for(self, ticket: object, line: deque[object],
                  interrupted: Callable[[], None] | None) -> None:
        with self._changed:
            line.append(ticket)
        try:
            while True:
                with self._changed:
                    now = time.monotonic()
                    self._expire(now)
                    if self._next() is ticket and len(self._held) < self.slots:
                        line.popleft()
                        self._held[ticket] = now
                        self._changed.notify_all()  # the next in line may fit in too
                        return
                    # woken when a turn is given up or the line moves, else when the
                    # first lease runs out (or it is time to ask whether to go on)
                    timeout = self._until_a_lease_ends(now)
                    if interrupted is not None:
                        timeout = POLL if timeout is None else min(timeout, POLL)
                    self._changed.wait(timeout)
                if interrupted is not None:
                    interrupted()
        except BaseException:  # a stopped run leaves the line
            with self._changed:
                line.remove(ticket)
                self._changed.notify_all()
            raise

    def _next(self) -> object:
        return (self._lines[0] or self._lines[1])[0]

    def _expire(self, now: float) -> None:
        for ticket, since in list(self._held.items()):
            if now - since >= self.lease:
                del self._held[ticket]

    def _until_a_lease_ends(self, now: float) -> float | None:
        ends = [since + self.lease - now for since in self._held.values()]
        return max(min(ends), 0.001) if ends else None

    def _give_up(self, ticket: object) -> None:
        with self._changed:
            if self._held.pop(ticket, None) is not None:
                self._changed.notify_all()


def share_the_interpreter() -> None:
    """Lets the event loop take Python's lock back sooner (:data:`SWITCH_INTERVAL`), and
    keeps the garbage collector's walks short (:data:`GC_THRESHOLDS`): for the whole
    server process, set by its first run."""
    if sys.getswitchinterval() != SWITCH_INTERVAL:
        sys.setswitchinterval(SWITCH_INTERVAL)
    if gc.get_threshold() != GC_THRESHOLDS:  # the process's first run
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)


def slots_setting(environ: dict[str, str] | os._Environ[str] = os.environ) -> int:
    """``$LOYALTYLENS_RUN_SLOTS``: turns at once (0: no turns), :data:`DEFAULT_SLOTS`
    when unset (:func:`metrics.engine.whole_number_setting`)."""
    return whole_number_setting(SLOTS_ENV_VAR, DEFAULT_SLOTS,
                                "a whole number of script runs at once", environ=environ)


# One for the server process: every session's runs take turns here.
RUN_SLOTS = RunSlots(slots_setting(), LEASE)
