"""Sessions of one server share the dashboard's cached results: one computation per filter
state at a time (its failure included), and a cached view never waits for another view's
computation. Threads stand in for sessions; events order them, no timing is measured."""

from __future__ import annotations

import ast
import gc
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboard import services
from metrics.errors import InputError
from metrics.query.filters import Filters

# How long a thread may take to reach a point before the test gives up (a hang, not a
# measurement: every wait below returns as soon as the other thread gets there).
GIVE_UP = 60
SERVICES = Path(services.__file__)


class FakeStore:
    """What the cached calls ask of a store: a dataset by id (the fake metric ignores it)."""

    def dataset(self, dataset_id: str) -> None:
        return None


class Arrival:
    """A metric option that tells when a named thread has passed it to the cache: the
    cache hashes a call's arguments before it waits for anyone else's computation."""

    def __init__(self, thread_name: str) -> None:
        self.thread_name = thread_name
        self.seen = threading.Event()

    def __reduce__(self) -> tuple[Any, ...]:
        if threading.current_thread().name == self.thread_name:
            self.seen.set()
        return (Arrival, (self.thread_name,))


@pytest.fixture
def metric(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The name of a cached metric function, free for the test to replace."""
    services.clear_results()
    yield next(iter(services._BY_KEY))
    services.clear_results()


def call(name: str, dataset_id: str, **options: Any) -> Any:
    """The page's cached metric call, as ``services.compute`` makes it."""
    return services._compute(FakeStore(), "db", dataset_id, "v1", name, Filters(),
                             tuple(sorted(options.items())))


def in_thread(name: str, run: Callable[[], Any], outcome: dict[str, Any]) -> threading.Thread:
    def target() -> None:
        try:
            outcome[name] = run()
        except Exception as error:
            outcome[name] = error

    thread = threading.Thread(target=target, name=name)
    thread.start()
    return thread


def two_sessions_at_once(monkeypatch: pytest.MonkeyPatch, name: str,
                         result: Callable[[], Any]) -> tuple[list[str], dict[str, Any]]:
    """A first session computes ``result()`` and a second asks for the same filter state
    while it runs; the computations made and what each session got."""
    dataset_id = uuid.uuid4().hex
    arrival = Arrival("second")
    computed: list[str] = []
    computing = threading.Event()

    def fake_metric(store: object, dataset: object, filters: Filters, **options: Any) -> Any:
        computed.append(threading.current_thread().name)
        if threading.current_thread().name == "first":
            computing.set()
            assert arrival.seen.wait(GIVE_UP), "the second session never asked"
        return result()

    monkeypatch.setitem(services._BY_KEY, name, fake_metric)
    outcome: dict[str, Any] = {}
    first = in_thread("first", lambda: call(name, dataset_id, arrival=arrival), outcome)
    # the second asks once the first computes (started together, either may come first)
    assert computing.wait(GIVE_UP), "the first session never computed"
    second = in_thread("second", lambda: call(name, dataset_id, arrival=arrival), outcome)
    first.join(GIVE_UP)
    second.join(GIVE_UP)
    return computed, outcome


def test_two_sessions_asking_for_one_filter_state_share_one_computation(
        monkeypatch: pytest.MonkeyPatch, metric: str) -> None:
    computed, outcome = two_sessions_at_once(monkeypatch, metric, lambda: {"crr": 80.0})
    assert computed == ["first"]
    # each session has its own copy (a page may change what it gets)
    assert outcome == {"first": {"crr": 80.0}, "second": {"crr": 80.0}}
    assert outcome["first"] is not outcome["second"]


def test_a_failed_computation_is_shared_with_the_session_that_waited_for_it(
        monkeypatch: pytest.MonkeyPatch, metric: str) -> None:
    def fails() -> None:
        raise InputError("The dataset has no subscriptions data yet.")

    computed, outcome = two_sessions_at_once(monkeypatch, metric, fails)
    assert computed == ["first"]  # the second session did not repeat the failing work
    assert [str(outcome[s]) for s in ("first", "second")] == [
        "The dataset has no subscriptions data yet."] * 2
    assert all(isinstance(outcome[s], InputError) for s in ("first", "second"))


def test_a_session_asking_after_a_failure_computes_afresh(monkeypatch: pytest.MonkeyPatch,
                                                          metric: str) -> None:
    answers: list[Any] = [InputError("Not yet."), 42]

    def fake_metric(store: object, dataset: object, filters: Filters, **options: Any) -> Any:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setitem(services._BY_KEY, metric, fake_metric)
    dataset_id = uuid.uuid4().hex
    with pytest.raises(InputError, match="Not yet"):
        call(metric, dataset_id)
    assert call(metric, dataset_id) == 42  # a failure is not cached
    assert answers == []


def test_a_remembered_failure_does_not_keep_the_computations_data(
        monkeypatch: pytest.MonkeyPatch, metric: str) -> None:
    class Orders:
        """Stands in for the frames a computation holds when it fails."""

    held: list[weakref.ref[Orders]] = []

    def fake_metric(store: object, dataset: object, filters: Filters, **options: Any) -> Any:
        orders = Orders()
        held.append(weakref.ref(orders))
        raise InputError("The dates are out of range.")

    monkeypatch.setitem(services._BY_KEY, metric, fake_metric)
    with pytest.raises(InputError):
        call(metric, uuid.uuid4().hex)
    gc.collect()
    assert held[0]() is None


def test_a_cached_view_never_waits_for_another_views_computation(
        monkeypatch: pytest.MonkeyPatch, metric: str) -> None:
    dataset_id = uuid.uuid4().hex
    started, release = threading.Event(), threading.Event()

    def fake_metric(store: object, dataset: object, filters: Filters, **options: Any) -> Any:
        if options.get("w") == "slow":
            started.set()
            assert release.wait(GIVE_UP)
        return options["w"]

    monkeypatch.setitem(services._BY_KEY, metric, fake_metric)
    assert call(metric, dataset_id, w="cached") == "cached"  # one user's view, cached

    outcome: dict[str, Any] = {}
    slow = in_thread("slow", lambda: call(metric, dataset_id, w="slow"), outcome)
    assert started.wait(GIVE_UP)
    viewer = in_thread("viewer", lambda: call(metric, dataset_id, w="cached"), outcome)
    viewer.join(GIVE_UP)
    # the cached view came back while the other computation was still running
    assert outcome == {"viewer": "cached"}
    assert slow.is_alive()
    release.set()
    slow.join(GIVE_UP)
    assert outcome == {"viewer": "cached", "slow": "slow"}


def test_every_cache_of_the_services_is_bounded_in_entries_size_and_time() -> None:
    """Each ``st.cache_data`` call in services.py names its bounds (a cache without them
    grows with every filter state any session ever opened)."""
    calls = [node for node in ast.walk(ast.parse(SERVICES.read_text(encoding="utf-8")))
             if isinstance(node, ast.Call) and ast.unparse(node.func) == "st.cache_data"]
    assert calls
    for node in calls:
        assert {"max_entries", "max_size", "ttl"} <= {k.arg for k in node.keywords}, (
            ast.unparse(node))
    decorated = [ast.unparse(d) for node in ast.walk(ast.parse(SERVICES.read_text()))
                 if isinstance(node, ast.FunctionDef) for d in node.decorator_list]
    assert not [d for d in decorated if d.startswith("st.cache_data")], decorated
