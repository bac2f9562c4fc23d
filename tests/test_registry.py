"""The registry's contract: every id of REGISTRY has an ENTRIES entry whose function,
given its options, returns on the demo data a table holding the entry's column."""

from __future__ import annotations

from collections import defaultdict

from metrics.definitions import ALL_METRICS, REGISTRY
from metrics.query.filters import Filters
from metrics.registry import ENTRIES, Entry
from metrics.store import Store


def test_every_registry_id_has_an_entry_of_its_own() -> None:
    assert list(ENTRIES) == [metric.id for metric in ALL_METRICS]
    assert all(ENTRIES[metric_id].metric is REGISTRY[metric_id] for metric_id in REGISTRY)


def test_every_entrys_function_returns_its_column_on_the_demo(demo_store: Store) -> None:
    dataset = demo_store.dataset("Demo shop")
    # one call per distinct function and options: many entries share a table
    by_call: dict[tuple[object, tuple[tuple[str, object], ...]], list[Entry]] = defaultdict(
        list)
    for entry in ENTRIES.values():
        by_call[(entry.compute, tuple(sorted(entry.options.items())))].append(entry)
    for entries in by_call.values():
        table = entries[0].table(demo_store, dataset, Filters())
        assert len(table), entries[0].compute.__name__
        for entry in entries:
            assert entry.value_column in table.columns, (entry.id, entry.value_column)
            assert table[entry.value_column].notna().any(), entry.id
