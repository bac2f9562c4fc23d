"""The demo dataset: what it holds, and that an older stored demo is brought up to date."""

from __future__ import annotations

from metrics.demo import DEMO_NAME, DEMO_ORDER_ROLES, ensure_demo
from metrics.ingest import ingest_file
from metrics.store import Store
from tests.builders import SMALL_ORDERS


def test_an_older_demo_is_stored_again_under_the_same_id() -> None:
    store = Store(":memory:")
    # A demo stored by an earlier version: orders only, without products or points.
    ingest_file(store, SMALL_ORDERS, dataset=DEMO_NAME, currency="RON")
    old = store.dataset(DEMO_NAME)
    demo = ensure_demo(store)
    assert demo.id == old.id  # shared links keep pointing at the demo
    assert set(demo.tables) >= {"orders", "spend", "responses"}
    assert set(DEMO_ORDER_ROLES) <= set(demo.tables["orders"].mapping)
    assert demo.tables["orders"].rows > 10_000  # the generated orders, not the old file
    loaded = demo.tables["orders"].loaded_at
    assert ensure_demo(store).tables["orders"].loaded_at == loaded  # current: left alone
