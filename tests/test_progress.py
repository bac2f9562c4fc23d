"""Progress of an ingest: the steps the ingest reports from its own process, and the CLI's
lines on standard error (throttled, timed with a fake clock), with ``--quiet`` none."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import cast

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.progress_bar import CANCELLED
from metrics.cli import main
from metrics.errors import InputError
from metrics.i18n import language
from metrics.isolation import Limits, run_isolated
from metrics.progress import (
    PhaseClock,
    ProgressLines,
    QueryProgress,
    Step,
    seconds_left,
    step_text,
)
from metrics.staging import ingest_isolated, stage_isolated
from metrics.store import Store
from tests import isolation_tasks as tasks
from tests.builders import SMALL_ORDERS, write_csv
from tests.test_app import unescaped


def test_progress_lines_say_the_rows_and_the_time_left_throttled() -> None:
    stream = io.StringIO()
    times = iter([0.5, 1.0, 10.5, 11.0, 12.0])
    lines = ProgressLines(stream, clock=lambda: next(times), interval=1.0)
    lines(Step("reading"))                              # no rows known yet: no line
    lines(Step("checking", total=1000))                 # 0.5: a new phase, written
    lines(Step("checking", rows=100, total=1000))       # 1.0: 0.5 s after the last line
    lines(Step("checking", rows=250, total=1000))       # 10.5: 250 rows in 10 s of the phase
    lines(Step("storing", total=990))                   # 11.0
    lines(Step("done", rows=990))                       # 12.0
    # 750 rows left at 250 rows in 10 s: 30 s
    assert stream.getvalue().splitlines() == [
        "Checking the rows: 1,000 rows",
        "Checking the rows: 250 of 1,000 rows, about 30 s left",
        "Storing the rows: 990 rows",
        "Done: 990 rows",
    ]


def _file_rows(path: Path) -> int:
    """The data rows of a small CSV file without blank lines or quoted line breaks."""
    return len(path.read_text(encoding="utf-8-sig").splitlines()) - 1


def test_the_isolated_ingest_reports_each_phase_in_the_parent(tmp_path: Path) -> None:
    steps: list[Step] = []
    path = write_csv(tmp_path / "orders.csv", ("customer", "date", "amount"),
                     [("a", "2024-01-01", "1"), ("b", "2024-01-02", "x"),
                      ("c", "2024-01-03", "3")])
    report = ingest_isolated(tmp_path / "db", path, dataset="Shop", progress=steps.append)
    # three rows in the file, one amount is no number: two stored
    assert steps == [Step("reading"), Step("checking", total=3), Step("storing", total=2),
                     Step("done", rows=2)]
    assert report.rows_stored == 2
    with Store(tmp_path / "db") as store:
        assert store.dataset("Shop").tables["orders"].rows == 2


def test_a_child_busy_with_progress_is_still_stopped_at_the_time_limit() -> None:
    steps: list[Step] = []
    limits = Limits(memory_bytes=2 * 2**30, wall_seconds=4, cpu_seconds=60)
    with pytest.raises(InputError) as error:
        run_isolated(tasks.report_progress_forever, "orders.csv", limits,
                     progress=steps.append)
    assert error.value.message.startswith(
        "Reading orders.csv took longer than the 4 seconds an upload may take")
    assert steps and steps[0] == Step("checking", rows=1, total=10**9)


def test_the_cli_ingest_prints_progress_on_stderr_and_the_same_json_quiet_or_not(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cli.duckdb")
    rows = _file_rows(SMALL_ORDERS)
    assert main(["--db", db, "ingest", str(SMALL_ORDERS), "--dataset", "Loud"]) == 0
    loud = capsys.readouterr()
    assert loud.err.splitlines() == [f"Checking the rows: {rows} rows",
                                     f"Storing the rows: {rows} rows", f"Done: {rows} rows"]
    assert main(["--db", db, "ingest", str(SMALL_ORDERS), "--dataset", "Quiet",
                 "--quiet"]) == 0
    quiet = capsys.readouterr()
    assert quiet.err == ""
    loud_report, quiet_report = json.loads(loud.out), json.loads(quiet.out)
    for report in (loud_report, quiet_report):
        del report["dataset_id"], report["dataset_name"]
    assert loud_report == quiet_report
    assert loud_report["rows_stored"] == rows


def test_duckdb_draws_no_progress_bar_of_its_own(tmp_path: Path) -> None:
    """Its bar goes to standard output, where the CLI's JSON goes."""
    with Store(tmp_path / "db") as store, store.cursor() as cursor:
        assert cursor.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (
            False,)


def test_progress_text_counts_in_the_languages_numbers_and_the_pace_of_the_phase() -> None:
    """250,000 of 1,000,000 rows in 10 s: 25,000 rows a second, so the 750,000 left take
    30 s; Romanian groups thousands with "." (tests/test_i18n_formatting.py)."""
    seconds = iter([100.0, 110.0])
    phases = PhaseClock(clock=lambda: next(seconds))
    token = language.set("ro")
    try:
        phases.text(Step("checking", total=1_000_000))                  # the phase begins
        text = phases.text(Step("checking", rows=250_000, total=1_000_000))
    finally:
        language.reset(token)
    assert text == "Verificarea rândurilor – rânduri: 250.000 din 1.000.000, mai rămân " \
                   "aproximativ 30 s"


def test_time_left_from_a_share_a_new_phase_and_what_cannot_be_known() -> None:
    # a quarter of a file's bytes read in 4 s: the other three quarters take 12 s
    assert seconds_left(Step("reading", share=0.25), 4.0) == 12.0
    assert step_text(Step("reading", share=0.25), 4.0) == "Reading the file: about 12 s left"
    # nothing done yet, or all of it: no time left to tell
    assert seconds_left(Step("storing", total=10), 5.0) is None
    assert seconds_left(Step("storing", rows=10, total=10), 5.0) is None
    assert Step("storing", rows=3, total=12).done == 0.25
    # a new phase starts its own clock; the same phase goes on counting
    times = iter([0.0, 7.0, 9.0])
    clock = PhaseClock(clock=lambda: next(times))
    assert clock.elapsed(Step("checking", total=5)) == 0.0
    assert clock.elapsed(Step("storing", total=5)) == 0.0   # at 7: storing begins
    assert clock.elapsed(Step("storing", rows=1, total=5)) == 2.0


class ScriptedCursor:
    """A cursor whose query reports the progress (percent, or -1: none) of a script."""

    def __init__(self, percents: list[float]) -> None:
        self.percents = iter(percents)

    def query_progress(self) -> float:
        return next(self.percents)


def test_rows_done_come_from_the_running_query_and_only_grow_within_a_phase() -> None:
    now = [0.0]
    steps: list[Step] = []
    cursor = ScriptedCursor([50.0, -1.0, 40.0, 60.0, 30.0, 25.0, 20.0])
    progress = QueryProgress(cast(duckdb.DuckDBPyConnection, cursor), steps.append,
                             delay=1.0, clock=lambda: now[0])
    progress(Step("checking", total=1000))
    progress.poll()             # 0 s into the phase: too early to count (50 % unused)
    now[0] = 2.0
    progress.poll()             # no query running
    progress.poll()             # 40 % of the rows: 400 done
    progress.poll()             # 60 %: 600
    progress.poll()             # a shorter query after it, at 30 %: still 600
    now[0] = 3.0
    progress(Step("reading"))   # a phase without rows: counted as a share of the file
    now[0] = 4.5
    progress.poll()             # 25 % of the file read
    progress(Step("done", rows=990))
    progress.poll()             # nothing counts once done
    assert steps == [Step("checking", total=1000), Step("checking", rows=400, total=1000),
                     Step("checking", rows=600, total=1000), Step("reading"),
                     Step("reading", share=0.25), Step("done", rows=990)]


def progress_bar_page() -> None:
    """A page with a bar that has shown a quarter of a check, 10 s into it."""
    from dashboard.progress_bar import ProgressBar
    from metrics.i18n import language
    from metrics.progress import Step

    language.set("ro")  # as the app sets it at the start of each run
    seconds = iter([0.0, 10.0])
    bar = ProgressBar(Step("checking", total=1_000_000), "check",
                      clock=lambda: next(seconds))
    bar(Step("checking", rows=250_000, total=1_000_000))


def test_the_page_bar_shows_the_rows_and_time_left_and_cancel_marks_the_session() -> None:
    app = AppTest.from_function(progress_bar_page).run()
    [bar] = app.get("progress")
    # 250,000 rows in 10 s: the 750,000 left take 30 s, in Romanian's numbers
    assert bar.proto.value == 25
    assert unescaped(bar.proto.text) == (
        "Verificarea rândurilor – rânduri: 250.000 din 1.000.000, mai rămân aproximativ 30 s")
    cancel = next(b for b in app.button if b.key == "cancel_check")
    cancel.click().run()
    assert app.session_state[CANCELLED] is True


def test_a_check_reports_its_rows_prepared_for_storing_not_stored(tmp_path: Path) -> None:
    """The Data page's check writes the rows into a scratch store to stage them: it says
    it prepares them (storing them comes on request), and is done once they are staged."""
    steps: list[Step] = []
    path = write_csv(tmp_path / "orders.csv", ("customer", "date", "amount"),
                     [("a", "2024-01-01", "1"), ("b", "2024-01-02", "x"),
                      ("c", "2024-01-03", "3")])
    folder = tmp_path / "stage"
    folder.mkdir()
    with Store(tmp_path / "db") as store:
        staged = stage_isolated(store, path, folder, dataset="Shop", progress=steps.append)
        assert store.datasets() == []
    # three rows in the file, one amount is no number: two to store
    assert steps == [Step("reading"), Step("checking", total=3), Step("preparing", total=2),
                     Step("done", rows=2)]
    assert staged.report.rows_stored == 2
