"""Progress of an ingest: the steps the ingest reports from its own process, and the CLI's
lines on standard error (throttled, timed with a fake clock), with ``--quiet`` none."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from metrics.cli import main
from metrics.errors import InputError
from metrics.isolation import Limits, run_isolated
from metrics.progress import ProgressLines, Step
from metrics.staging import ingest_isolated
from metrics.store import Store
from tests import isolation_tasks as tasks
from tests.builders import SMALL_ORDERS, write_csv


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
