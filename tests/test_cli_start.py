"""The CLI starts at once: a command imports only what it uses (no pandas, SciPy nor CLV
models to list datasets or print the help), with the same options and output as before."""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from metrics.cli import COMMANDS, build_parser, main
from metrics.export import rows_to_csv, rows_to_records, to_csv, to_records
from metrics.kpis import kpi_table
from metrics.lazy import lazy_functions
from metrics.query.filters import Filters
from metrics.store import Store
from tests.builders import SMALL_ORDERS

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "scipy", "metrics.clv", "metrics.explain", "metrics.registry")


# What a command that runs no query need not start: the engine, the store that opens it,
# and the password hashing (issue 22: --help and datasets imported all three).
ENGINE = ("duckdb", "metrics.store", "argon2")


def _imported_after(*argv: str, modules: tuple[str, ...] = HEAVY,
                    env: dict[str, str] | None = None) -> dict[str, bool]:
    """Which of ``modules`` a fresh interpreter has imported after ``main(argv)``."""
    code = textwrap.dedent(f"""
        import contextlib, io, json, sys
        import metrics.cli
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                metrics.cli.main({list(argv)!r})
            except SystemExit:
                pass  # --help
        print(json.dumps({{name: name in sys.modules for name in {list(modules)!r}}}))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, check=True,
                          env=None if env is None else {**os.environ, **env})
    imported: dict[str, bool] = json.loads(done.stdout.strip().splitlines()[-1])
    return imported


def test_help_and_datasets_import_neither_pandas_nor_scipy_nor_the_models(
        tmp_path: Path) -> None:
    db = str(tmp_path / "cli.duckdb")
    assert main(["--db", db, "ingest", str(SMALL_ORDERS), "--dataset", "Small"]) == 0
    nothing = dict.fromkeys(HEAVY, False)
    assert _imported_after("--help") == nothing
    assert _imported_after("--db", db, "datasets") == nothing
    assert _imported_after("--db", db, "datasets", "--format", "csv") == nothing
    # kpis prints the KPI query's rows as they come (issue 22: it imported pandas before)
    assert _imported_after("--db", db, "kpis", "--dataset", "Small") == nothing


def test_help_and_datasets_start_no_engine_and_kpis_no_password_hashing(
        tmp_path: Path) -> None:
    """--help prints texts and datasets reads the catalogue: neither imports DuckDB, the
    store nor Argon2; kpis needs DuckDB, still not Argon2 (no user signs in)."""
    db = str(tmp_path / "cli.duckdb")
    assert main(["--db", db, "ingest", str(SMALL_ORDERS), "--dataset", "Small"]) == 0
    nothing = dict.fromkeys(ENGINE, False)
    assert _imported_after("--help", modules=ENGINE) == nothing
    assert _imported_after("--db", db, "kpis", "--help", modules=ENGINE) == nothing
    assert _imported_after("--db", db, "datasets", modules=ENGINE) == nothing
    # a memory limit written as a plain size needs no DuckDB to check
    assert _imported_after("--db", db, "datasets", "--format", "csv", modules=ENGINE,
                           env={"LOYALTYLENS_MEMORY_LIMIT": "3GB"}) == nothing
    assert _imported_after("--db", db, "kpis", "--dataset", "Small", modules=ENGINE) == {
        "duckdb": True, "metrics.store": True, "argon2": False}


def test_datasets_lists_from_the_catalogue_what_the_store_lists(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "cli.duckdb"
    for name in ("Small", "Second"):
        assert main(["--db", str(db), "ingest", str(SMALL_ORDERS), "--dataset", name]) == 0
    capsys.readouterr()
    assert main(["--db", str(db), "datasets"]) == 0
    with Store(db) as store:
        expected = [(d.id, d.name, d.tables["orders"].rows, d.tables["orders"].first_date)
                    for d in store.datasets()]
    printed = json.loads(capsys.readouterr().out)
    assert [(d["id"], d["name"], d["orders"], date.fromisoformat(d["first_date"]))
            for d in printed] == expected
    assert [d["name"] for d in printed] == ["Second", "Small"]  # newest first


def _command_help(parser: argparse.ArgumentParser, name: str) -> str:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name].format_help()
    raise AssertionError("the program has no subcommands")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_command_parsed_lazily_has_the_options_of_the_whole_parser(
        name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """main adds a command's options only when it parses it: its help is the same."""
    with pytest.raises(SystemExit):
        main([name, "--help"])
    assert capsys.readouterr().out == _command_help(build_parser(), name)


def test_plain_rows_are_written_as_a_frame_of_them_is() -> None:
    columns = ["name", "orders", "first_date", "note"]
    rows = [("=cmd|' /C calc'!A0", 3, date(2024, 1, 31), 'say "hi", then go'),
            ("Shop, RO", 12, None, None), ("-5", 0, date(2025, 12, 1), "line\nbreak")]
    frame = pd.DataFrame(rows, columns=columns)
    assert rows_to_csv(columns, rows) == to_csv(frame)
    assert rows_to_records(columns, rows) == to_records(frame)
    assert rows_to_records(columns, rows)[1] == {"name": "Shop, RO", "orders": 12,
                                                 "first_date": None, "note": None}
    assert rows_to_csv(columns, []) == to_csv(pd.DataFrame([], columns=columns))


def test_a_lazy_function_imports_its_module_when_first_called(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "lazy_example.py").write_text("def twice(x):\n    return 2 * x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "lazy_example", raising=False)
    (twice,) = lazy_functions("lazy_example", "twice")
    assert "lazy_example" not in sys.modules
    assert twice(21) == 42
    assert "lazy_example" in sys.modules
    monkeypatch.setattr(sys.modules["lazy_example"], "twice", lambda x: -x)
    assert twice(21) == -21  # looked up at each call


def test_the_digest_error_status_written_in_the_cli_is_the_digests() -> None:
    # the command table names it without importing the digest (and pandas) at start
    from metrics import cli, digest
    assert cli.DIGEST_ERROR == digest.EXIT_ERROR


def _same_values(printed: Any, expected: Any) -> bool:
    """JSON values alike, floats to 12 digits: DuckDB adds a standard deviation's terms in
    parallel, in an order that changes its last bits from one run to the next."""
    if isinstance(printed, float) and isinstance(expected, float):
        return math.isclose(printed, expected, rel_tol=1e-12)
    return type(printed) is type(expected) and printed == expected


@pytest.mark.parametrize("period", ["week", "month", "quarter", "year"])
def test_kpis_prints_the_kpi_table_of_the_overview(
        demo_store: Store, period: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The rows the command prints without pandas are the Overview's table (kpi_table's
    frame), each value and each column in its place, as JSON and as CSV."""
    dataset = demo_store.dataset("Demo shop")
    filters = Filters(period=period, start=date(2024, 1, 1), inactivity_days=60)
    table = kpi_table(demo_store, dataset, filters).rename(columns={"period_start": "period"})
    options = ["--db", demo_store.path, "kpis", "--dataset", "Demo shop", "--period", period,
               "--start", "2024-01-01", "--inactivity-days", "60"]
    assert main(options) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = json.loads(json.dumps(to_records(table)))
    assert [list(row) for row in printed] == [list(row) for row in expected]
    assert all(_same_values(row[key], other[key])
               for row, other in zip(printed, expected, strict=True) for key in row)
    assert main([*options, "--format", "csv"]) == 0
    csv_rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    expected_csv = list(csv.reader(io.StringIO(to_csv(table))))
    assert csv_rows[0] == expected_csv[0]
    assert all(_same_cells(cell, other)
               for row, other_row in zip(csv_rows, expected_csv, strict=True)
               for cell, other in zip(row, other_row, strict=True))


def _same_cells(printed: str, expected: str) -> bool:
    """CSV cells alike: the same text, or numbers alike as :func:`_same_values` says."""
    if printed == expected:
        return True
    try:
        return _same_values(float(printed), float(expected))
    except ValueError:
        return False
