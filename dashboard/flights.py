"""One computation per filter state across sessions: concurrent calls share its failure too.

``st.cache_data`` already lets one session compute an uncached key while the others asking
for it wait on a lock of that key, then read the cached result (each its own copy; a call
of another key never waits). A failure is not cached, though: each waiting session would
then repeat the failing computation, one after another. :class:`Flights` hands the failure
to the sessions that were waiting for it; a session arriving later computes afresh.
"""

from __future__ import annotations

import itertools
import threading
import traceback
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

R = TypeVar("R")


class Flights:
    """Shares a failed computation with the calls of the same key that waited for it.

    :meth:`arrive` marks when a call starts waiting (before the cache's lock);
    :meth:`compute` runs inside the cache, under that lock: it raises the error of a
    computation of the same key that failed after this call arrived instead of
    computing again. :meth:`computing` tells whether a key is being computed now.
    """

    def __init__(self, remembered: int = 64) -> None:
        self._lock = threading.Lock()  # held only to read or note a failure, never to compute
        self._clock = itertools.count()
        self._failures: OrderedDict[Hashable, tuple[int, Exception]] = OrderedDict()
        # only failures whose waiters may still be queued matter: a few keys at a time
        self._remembered = remembered
        self._arrivals = threading.local()
        self._computing: Counter[Hashable] = Counter()  # the keys being computed now

    def _now(self) -> int:
        with self._lock:
            return next(self._clock)

    def arrive(self) -> None:
        """Note that this thread's call starts now (before it may wait for another)."""
        self._arrivals.at = self._now()

    def computing(self, key: Hashable) -> bool:
        """Whether a computation of ``key`` runs now (a call of it would wait for it)."""
        try:
            with self._lock:
                return self._computing[key] > 0
        except TypeError:  # not hashable: never shared
            return False

    def compute(self, key: Hashable, compute: Callable[[], R]) -> R:
        """``compute()``, unless a computation of ``key`` failed while this call waited."""
        try:
            hash(key)
        except TypeError:  # an option no dict can key: computed, not shared
            return compute()
        arrived: int | None = getattr(self._arrivals, "at", None)
        with self._lock:
            failure = self._failures.get(key)
        if failure is not None and arrived is not None and arrived < failure[0]:
            raise failure[1]
        with self._lock:
            self._computing[key] += 1
        try:
            result = compute()
        except Exception as error:  # not a stop or rerun of the session (BaseException)
            # the failed computation's frames would keep its data alive while the failure
            # is remembered; the traceback still says where it failed
            traceback.clear_frames(error.__traceback__)
            with self._lock:
                self._failures[key] = (next(self._clock), error)
                self._failures.move_to_end(key)
                while len(self._failures) > self._remembered:
                    self._failures.popitem(last=False)
            raise
        finally:
            with self._lock:
                self._computing[key] -= 1
                if not self._computing[key]:
                    del self._computing[key]
        with self._lock:
            self._failures.pop(key, None)
        return result
