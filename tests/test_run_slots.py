"""Script runs take turns at Python (dashboard.run_slots): at most so many at once, in the
order they asked, a turn given up by a computation or ended by its lease. Threads stand in
for sessions' runs; events order them. No time is measured: a lease of a minute never runs
out within a test, and a short one is only waited for, never timed."""

from __future__ import annotations

import gc
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dashboard import run_slots, services
from dashboard.run_slots import SHOWN, RunSlots, slots_setting
from metrics.query.filters import Filters
from tests.test_app import open_app

# How long a thread may take to reach a point before the test gives up (a hang, not a
# measurement: each wait returns as soon as the other thread gets there).
GIVE_UP = 60
LONG = 3600.0  # a lease no test outlives


def started(run: Callable[[], Any], name: str = "") -> threading.Thread:
    thread = threading.Thread(target=run, name=name or None, daemon=True)
    thread.start()
    return thread


def until(condition: Callable[[], bool]) -> None:
    """Waits until ``condition()`` holds (another thread got somewhere)."""
    deadline = time.monotonic() + GIVE_UP
    while not condition():
        assert time.monotonic() < deadline, "the other thread never got there"
        time.sleep(0.001)


def test_no_more_runs_at_once_than_slots() -> None:
    slots = RunSlots(2, LONG)
    inside, most, lock = 0, 0, threading.Lock()
    release = threading.Event()

    def run() -> None:
        nonlocal inside, most
        with slots.turn():
            with lock:
                inside += 1
                most = max(most, inside)
            release.wait(GIVE_UP)
            with lock:
                inside -= 1

    threads = [started(run) for _ in range(6)]
    until(lambda: slots.waiting == 4)  # two in their turn, four in line
    assert slots.held == 2 and inside == 2
    release.set()
    for thread in threads:
        thread.join(GIVE_UP)
    assert most == 2 and inside == 0 and slots.held == 0 and slots.waiting == 0


def order_of_turns(arrivals: list[tuple[str, bool]]) -> list[str]:
    """The order in which runs asking one after the other (name, whether it is a session's
    first page) get their turns, one at a time, while another run holds the turn."""
    slots = RunSlots(1, LONG)
    order: list[str] = []
    hold = threading.Event()

    def holder() -> None:
        with slots.turn():
            hold.wait(GIVE_UP)

    def run(name: str, first: bool) -> None:
        with slots.turn(first=first):
            order.append(name)

    threads = [started(holder)]
    until(lambda: slots.held == 1)
    for n, (name, first) in enumerate(arrivals):  # each in line before the next asks
        threads.append(started(lambda name=name, first=first: run(name, first)))
        until(lambda n=n: slots.waiting == n + 1)
    hold.set()
    for thread in threads:
        thread.join(GIVE_UP)
    return order


def test_turns_come_in_the_order_asked_for() -> None:
    names = [str(n) for n in range(5)]
    assert order_of_turns([(name, False) for name in names]) == names


def test_a_turn_held_past_its_lease_lets_the_next_run_in() -> None:
    slots = RunSlots(1, 0.05)
    long_run_inside, release = threading.Event(), threading.Event()
    seen: list[bool] = []

    def long_run() -> None:  # a page that takes long, or waits for another's computation
        with slots.turn():
            long_run_inside.set()
            release.wait(GIVE_UP)

    def next_run() -> None:
        with slots.turn():
            seen.append(not release.is_set())  # got in while the long run still ran

    first = started(long_run)
    long_run_inside.wait(GIVE_UP)
    second = started(next_run)
    second.join(GIVE_UP)
    release.set()
    first.join(GIVE_UP)
    assert seen == [True]


def test_a_run_that_steps_aside_lets_the_next_in_at_once() -> None:
    slots = RunSlots(1, LONG)
    stepped_aside, release = threading.Event(), threading.Event()
    seen: list[bool] = []

    def computing_run() -> None:
        with slots.turn():
            slots.step_aside()
            stepped_aside.set()
            release.wait(GIVE_UP)

    def next_run() -> None:
        with slots.turn():
            seen.append(not release.is_set())

    first = started(computing_run)
    stepped_aside.wait(GIVE_UP)
    second = started(next_run)
    second.join(GIVE_UP)  # with the lease of an hour, only the step aside lets it in
    release.set()
    first.join(GIVE_UP)
    assert seen == [True] and slots.held == 0


def test_a_failing_run_gives_its_turn_back_and_turns_nest() -> None:
    slots = RunSlots(1, LONG)

    def failing() -> None:
        with slots.turn(), slots.turn():  # the same run asking again: no wait for itself
            raise RuntimeError("the page failed")

    with pytest.raises(RuntimeError):
        failing()
    assert slots.held == 0
    done = threading.Event()

    def next_run() -> None:
        with slots.turn():
            done.set()

    started(next_run).join(GIVE_UP)
    assert done.is_set()


def test_a_run_stopped_while_in_line_leaves_it() -> None:
    slots = RunSlots(1, LONG)
    hold, stop = threading.Event(), threading.Event()
    outcome: list[BaseException] = []

    class Rerun(Exception):
        """What Streamlit raises in a run whose session asked for another."""

    def interrupted() -> None:
        if stop.is_set():
            raise Rerun()

    def first() -> None:
        with slots.turn():
            hold.wait(GIVE_UP)

    def in_line() -> None:
        try:
            with slots.turn(interrupted):
                outcome.append(AssertionError("drawn although stopped"))
        except Rerun as error:
            outcome.append(error)

    holder = started(first)
    until(lambda: slots.held == 1)
    waiting = started(in_line)
    until(lambda: slots.waiting == 1)
    stop.set()  # the session's user clicked again: the run left waiting is rerun
    waiting.join(GIVE_UP)
    assert [type(error) for error in outcome] == [Rerun] and slots.waiting == 0
    assert slots.held == 1  # the first run's turn is still its own
    hold.set()
    holder.join(GIVE_UP)
    assert slots.held == 0


def test_no_slots_means_no_turns() -> None:
    slots = RunSlots(0, LONG)
    inside = threading.Barrier(3, timeout=GIVE_UP)  # three runs at once, none waits

    def run() -> None:
        with slots.turn():
            inside.wait()

    threads = [started(run) for _ in range(3)]
    for thread in threads:
        thread.join(GIVE_UP)
    assert not inside.broken and slots.held == 0


@pytest.mark.parametrize(("value", "slots"), [("", 1), ("0", 0), ("3", 3), (" 4 ", 4),
                                             ("two", 1), ("-1", 1)])
def test_the_setting(value: str, slots: int) -> None:
    assert slots_setting({"LOYALTYLENS_RUN_SLOTS": value}) == slots


class FakeStore:
    """What the cached calls ask of a store: a dataset by id (the fake metric ignores it)."""

    def dataset(self, dataset_id: str) -> None:
        return None


@dataclass
class SlowMetric:
    """A cached metric whose computation says when it starts and waits to be released,
    and the turns the dashboard's services take (one at a time, a lease of an hour)."""

    slots: RunSlots
    computing: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    name: str = ""
    dataset_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def page(self) -> Any:
        """A page's call of the metric, as ``services.compute`` makes it."""
        return services._compute(FakeStore(), ("db", True, ()), self.dataset_id, "v1",
                                 self.name, Filters(), ())

    def compute(self, store: object, dataset: object, filters: Filters) -> bool:
        self.computing.set()
        return self.release.wait(GIVE_UP)


@pytest.fixture
def metric(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlowMetric]:
    slow = SlowMetric(RunSlots(1, LONG), name=next(iter(services._BY_KEY)))
    monkeypatch.setattr(run_slots, "RUN_SLOTS", slow.slots)
    monkeypatch.setattr(services, "RUN_SLOTS", slow.slots)
    monkeypatch.setitem(services._BY_KEY, slow.name, slow.compute)
    services.clear_results()
    yield slow
    services.clear_results()


def test_a_computation_gives_the_turn_up_and_a_cached_result_keeps_it(
        metric: SlowMetric) -> None:
    slots, page, release = metric.slots, metric.page, metric.release
    other_got_a_turn = threading.Event()
    held_after: list[int] = []

    def computing_run() -> None:
        with slots.turn():
            page()  # not cached: computed
            held_after.append(slots.held)
            page()  # cached now: read, the run keeps on without a turn all the same
            held_after.append(slots.held)

    def other_run() -> None:
        with slots.turn():
            other_got_a_turn.set()

    first = started(computing_run)
    metric.computing.wait(GIVE_UP)
    started(other_run).join(GIVE_UP)
    assert other_got_a_turn.is_set() and not release.is_set()  # while it computed
    release.set()
    first.join(GIVE_UP)
    assert held_after == [0, 0]

    # a run whose result is cached keeps its turn: the next run waits for it
    held: list[int] = []

    def cached_run() -> None:
        with slots.turn():
            page()
            held.append(slots.held)

    started(cached_run).join(GIVE_UP)
    assert held == [1]


def test_a_run_waiting_for_another_sessions_computation_gives_its_turn_up(
        monkeypatch: pytest.MonkeyPatch, metric: SlowMetric) -> None:
    slots, page, release = metric.slots, metric.page, metric.release
    stepped_aside, step_aside = threading.Event(), slots.step_aside
    monkeypatch.setattr(slots, "step_aside", lambda: (step_aside(), stepped_aside.set()))
    got: dict[str, Any] = {}
    first = started(lambda: got.setdefault("first", page()))  # computes (no turn needed)
    metric.computing.wait(GIVE_UP)

    def waiting_run() -> None:  # the same view: it waits for the first's computation
        with slots.turn():
            got["waiting"] = page()

    def cached_view_run() -> None:  # another session's view, cached: it needs only a turn
        with slots.turn():
            got["other"] = not release.is_set()

    waiting = started(waiting_run)
    assert stepped_aside.wait(GIVE_UP)  # its turn given up before it waits
    started(cached_view_run).join(GIVE_UP)
    assert got.get("other") is True  # served while the computation still ran
    release.set()
    first.join(GIVE_UP)
    waiting.join(GIVE_UP)
    assert got["first"] is True and got["waiting"] is True


def test_a_sessions_first_page_goes_ahead_of_further_clicks() -> None:
    # two clicks of sessions that have a page, then two people opening the dashboard, then
    # another click
    assert order_of_turns([("click 1", False), ("click 2", False), ("opened 1", True),
                           ("opened 2", True), ("click 3", False)]) == [
        "opened 1", "opened 2", "click 1", "click 2", "click 3"]


def test_the_app_asks_for_a_first_turn_once_per_session(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[bool] = []
    turn = run_slots.RUN_SLOTS.turn

    def recorded(interrupted: Callable[[], None] | None = None, first: bool = False) -> Any:
        asked.append(first)
        return turn(interrupted, first)

    monkeypatch.setattr(run_slots.RUN_SLOTS, "turn", recorded)
    app = open_app()  # a session's first page
    app.run()  # a click: its second
    assert not app.exception
    assert asked == [True, False]
    assert open_app().session_state[SHOWN] is True and asked == [True, False, True]
    # and the server's threads hand Python's lock over ten times as often as by default,
    # its collector leaving the objects of the first run's time alone
    assert sys.getswitchinterval() == pytest.approx(0.0005)
    assert gc.get_threshold() == (50_000, 20, 100) and gc.get_freeze_count() > 0
