"""The data frames read from the cache lately, kept decoded and shared by every run.

``st.cache_data`` keeps each result pickled and unpickles it for every read, so that no
caller can change another's copy: with 20 sessions on one shared view, a quarter of a cached
Retention page's Python went to unpickling its cohort table (py-spy). Pandas copies on write
(always, from pandas 3): a frame made by ``frame.copy(deep=False)`` shares the data until
either is changed, and changing it never changes the other. :class:`DecodedFrames` keeps
the frames read lately and hands each read such a copy, as safe as a copy of its own and
made in microseconds. It is bounded in memory and time like the cache it sits on, and the
cache's keys hold everything a result depends on (the dataset's version among them), so it
never hands out a frame the cache would not.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

import pandas as pd


class DecodedFrames:
    """Data frames by key, at most ``max_bytes`` of them (the least recently read dropped
    first), each for ``ttl`` seconds after it was kept; every read gets a shallow copy."""

    def __init__(self, max_bytes: int, ttl: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_bytes, self.ttl, self._clock = max_bytes, ttl, clock
        self._lock = threading.Lock()
        self._frames: OrderedDict[Hashable, tuple[pd.DataFrame, int, float]] = OrderedDict()
        self._bytes = 0

    @property
    def bytes(self) -> int:
        """The memory of the frames kept (their values and index, texts and dates included)."""
        with self._lock:
            return self._bytes

    def get(self, key: Hashable) -> pd.DataFrame | None:
        """A copy of the frame kept for ``key``, None when there is none (or it expired)."""
        with self._lock:
            held = self._frames.get(key)
            if held is None:
                return None
            frame, _, kept = held
            if self._clock() - kept >= self.ttl:
                self._drop(key)
                return None
            self._frames.move_to_end(key)
        return frame.copy(deep=False)

    def keep(self, key: Hashable, frame: pd.DataFrame) -> pd.DataFrame:
        """Keeps ``frame`` for ``key`` (the caller must not use it again) and returns a copy
        of it for the caller. A frame larger than the whole bound is not kept."""
        size = int(frame.memory_usage(index=True, deep=True).sum())
        with self._lock:
            if key in self._frames:
                self._drop(key)
            if size <= self.max_bytes:
                self._frames[key] = (frame, size, self._clock())
                self._bytes += size
                while self._bytes > self.max_bytes:
                    self._drop(next(iter(self._frames)))
        return frame.copy(deep=False)

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()
            self._bytes = 0

    def _drop(self, key: Hashable) -> None:
        _, size, _ = self._frames.pop(key)
        self._bytes -= size
