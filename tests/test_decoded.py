"""The decoded frames the pages share (dashboard.decoded): a read never changes what another
read gets, the bounds hold, and a cached read through services no longer unpickles."""

from __future__ import annotations

import pickle
from datetime import date
from typing import Any

import pandas as pd
import pytest

from dashboard import services
from dashboard.decoded import DecodedFrames
from metrics.query.filters import Filters


def table() -> pd.DataFrame:
    return pd.DataFrame({"cohort": [date(2025, 1, 1), date(2025, 2, 1)],
                         "customers": [120, 80], "rate": [0.5, 0.25]})


def test_a_read_changing_its_frame_changes_nobody_elses() -> None:
    frames = DecodedFrames(max_bytes=10**6, ttl=60)
    first = frames.keep("k", table())
    first.loc[0, "customers"] = 0  # in place, as a page might
    first["extra"] = 1
    second = frames.get("k")
    assert second is not None
    pd.testing.assert_frame_equal(second, table())
    second["rate"] = second["rate"] * 100
    third = frames.get("k")
    assert third is not None and third["rate"].tolist() == [0.5, 0.25]


def test_the_bound_drops_the_least_recently_read_first() -> None:
    size = int(table().memory_usage(index=True, deep=True).sum())
    frames = DecodedFrames(max_bytes=2 * size, ttl=60)
    frames.keep("a", table())
    frames.keep("b", table())
    assert frames.get("a") is not None  # "b" is now the least recently read
    frames.keep("c", table())
    assert frames.bytes == 2 * size
    assert frames.get("b") is None
    assert frames.get("a") is not None and frames.get("c") is not None
    # a frame larger than the whole bound is handed back, not kept
    big = pd.DataFrame({"x": range(10_000)})
    assert frames.keep("big", big).equals(big)
    assert frames.get("big") is None and frames.bytes == 2 * size


def test_a_frame_expires_like_the_cache() -> None:
    now = [100.0]
    frames = DecodedFrames(max_bytes=10**6, ttl=60, clock=lambda: now[0])
    frames.keep("k", table())
    now[0] = 159.9
    assert frames.get("k") is not None
    now[0] = 160.0
    assert frames.get("k") is None and frames.bytes == 0


class FakeStore:
    path = "db"


def test_a_cached_frame_is_unpickled_once_then_shared(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    # the cache's own reads go through pickle.loads: counted, the first read unpickles the
    # result once and the next reads take the decoded frame
    name = next(iter(services._BY_KEY))
    computed: list[int] = []

    def metric(_store: Any, _dataset: Any, _filters: Filters, **options: Any) -> pd.DataFrame:
        computed.append(1)
        return table()

    monkeypatch.setitem(services._BY_KEY, name, metric)
    monkeypatch.setattr(FakeStore, "dataset", lambda self, dataset_id: None, raising=False)
    loads = pickle.loads
    unpickled: list[int] = []

    def counting_loads(data: bytes, *args: Any, **kwargs: Any) -> Any:
        unpickled.append(1)
        return loads(data, *args, **kwargs)

    services.clear_results()
    try:
        first = services._compute(FakeStore(), "db", "d", "v1", name, Filters(), ())
        monkeypatch.setattr(pickle, "loads", counting_loads)
        reads = [services._compute(FakeStore(), "db", "d", "v1", name, Filters(), ())
                 for _ in range(5)]
        assert computed == [1] and unpickled == []
        for read in [first, *reads]:
            pd.testing.assert_frame_equal(read, table())
        reads[0].loc[0, "customers"] = -1
        pd.testing.assert_frame_equal(
            services._compute(FakeStore(), "db", "d", "v1", name, Filters(), ()), table())
        # cleared, the next read computes again
        services.clear_results()
        services._compute(FakeStore(), "db", "d", "v1", name, Filters(), ())
        assert computed == [1, 1]
    finally:
        services.clear_results()
