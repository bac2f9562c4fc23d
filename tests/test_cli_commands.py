"""The command table of ``metrics.cli``: every command is registered once, with its options
and its handler, and ``main`` dispatches through the table, never by a command's name."""

from __future__ import annotations

import argparse
import ast
import inspect
import json
from pathlib import Path

import pandas as pd
import pytest

import metrics.cli
from metrics.cli import COMMANDS, Command, build_parser, main
from metrics.errors import InputError
from metrics.store import Store
from tests.builders import SMALL_ORDERS


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, str]:
    """The program's commands with the help text ``--help`` lists them with."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {choice.dest: choice.help or "" for choice in action._choices_actions}
    raise AssertionError("the program has no subcommands")


def test_every_registered_command_is_a_subcommand_with_a_help_text() -> None:
    listed = _subcommands(build_parser())
    assert list(listed) == list(COMMANDS)
    assert all(text.strip() for text in listed.values()), listed


def test_no_code_branches_on_a_command_name() -> None:
    """The table is the one place a command is named: no ``args.command == "kpis"`` (nor a
    ``match`` case on a name) in main or anything it calls in the module."""
    names = set(COMMANDS)
    tree = ast.parse(inspect.getsource(metrics.cli))
    compared: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare | ast.MatchValue):  # also `in ("kpis", "rfm")`
            compared += [part.value for part in ast.walk(node)
                         if isinstance(part, ast.Constant) and part.value in names]
    assert compared == []


def _hello_configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--who", required=True)


def _hello(args: argparse.Namespace, store: Store) -> None:
    if args.who == "nobody":
        raise InputError("Nobody is there to greet: name someone.")
    print(json.dumps({"hello": args.who, "datasets": len(store.datasets())}))


def test_a_command_added_to_the_table_is_parsed_and_run_by_main(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    hello = Command("hello", lambda: "Greet someone.", _hello_configure, _hello)
    monkeypatch.setattr(metrics.cli, "COMMANDS", {**COMMANDS, "hello": hello})
    db = str(tmp_path / "cli.duckdb")

    assert main(["--db", db, "hello", "--who", "Ana"]) == 0
    assert json.loads(capsys.readouterr().out) == {"hello": "Ana", "datasets": 0}

    assert main(["--db", db, "hello", "--who", "nobody"]) == 2
    assert capsys.readouterr().err == "error: Nobody is there to greet: name someone.\n"

    assert _subcommands(build_parser())["hello"] == "Greet someone."


def test_nps_prints_the_columns_of_nps_table_less_the_charts_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A column nps_table gains reaches the command without a second list to update."""
    db = str(tmp_path / "cli.duckdb")
    assert main(["--db", db, "ingest", str(SMALL_ORDERS), "--dataset", "Small"]) == 0
    capsys.readouterr()
    table = pd.DataFrame({
        "period_start": ["2024-01-01"], "period_end": ["2024-01-31"], "responses": [4],
        "promoters": [2], "passives": [1], "detractors": [1], "nps": [25.0],
        "margin_of_error": [None], "complete": [True], "too_few": [True],
        "median_score": [8.5],
    })
    monkeypatch.setattr(metrics.cli, "nps_table", lambda *args, **kwargs: table)

    assert main(["--db", db, "nps", "--dataset", "Small"]) == 0
    assert json.loads(capsys.readouterr().out) == [{
        "period": "2024-01-01", "responses": 4, "promoters": 2, "passives": 1,
        "detractors": 1, "nps": 25.0, "margin_of_error": None, "median_score": 8.5,
    }]
