"""The CLI run as a user: ``--user`` / ``LOYALTYLENS_USER``, the users, workspaces, move and
audit commands, and every dataset command refusing another workspace's dataset."""

from __future__ import annotations

import io
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from metrics import access
from metrics.cli import USER_ENV_VAR, main
from tests.builders import SMALL_ORDERS

# What a user reads about a dataset outside their workspaces, or none at all.
NO_ACCESS = ("You have no access to this dataset: it is not in your workspaces, or there is "
             "none by that name. Ask your administrator for access.")
# orders_small.csv has 11 orders (tests/test_store.py works its amounts out by hand)
SMALL_ORDER_COUNT = 11


@dataclass
class Output:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class Cli:
    """``loyaltylens --db <folder> ...`` in this process, with its output."""

    db: Path
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch

    def __call__(self, *args: str, user: str | None = None, stdin: str = "") -> Output:
        self.capsys.readouterr()
        self.monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(["--db", str(self.db), *(["--user", user] if user else []), *args])
        captured = self.capsys.readouterr()
        return Output(code, captured.out, captured.err)


@pytest.fixture
def cli(isolated_db: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.delenv(USER_ENV_VAR, raising=False)
    return Cli(isolated_db, capsys, monkeypatch)


@pytest.fixture
def shared(cli: Cli) -> tuple[Cli, str]:
    """Workspaces A and B, alice in A with the dataset "Shop A", bob in B with none;
    returns the CLI and the dataset's id."""
    for workspace in ("A", "B"):
        assert cli("workspaces", "add", workspace).code == 0
    for name, workspace in (("alice", "A"), ("bob", "B")):
        added = cli("users", "add", name, "--workspace", workspace, "--password-stdin",
                    stdin=f"{name}-secret\n")
        assert added.code == 0, added.err
    stored = cli("ingest", str(SMALL_ORDERS), "--dataset", "Shop A", user="alice")
    assert stored.code == 0, stored.err
    return cli, str(stored.json()["dataset_id"])


FILTERS = ("--start", "2024-01-01", "--end", "2024-04-30")
# Every command that opens a dataset, with the options it needs besides --dataset.
DATASET_COMMANDS = [
    ("kpis", *FILTERS), ("retention", *FILTERS), ("cohorts", *FILTERS),
    ("lifecycle", *FILTERS), ("rfm", *FILTERS), ("segments", "--by", "channel", *FILTERS),
    ("nps", *FILTERS), ("clv",), ("explain", "--metric", "aov", "--period", "2024-01"),
    ("delete",), ("drivers", "--metric", "churn_rate", "--by", "channel"),
    ("report", "--format", "html", "--out", "{out}/report.html"),
]


def test_a_user_cannot_reach_another_workspaces_dataset_by_any_command(
        shared: tuple[Cli, str], tmp_path: Path) -> None:
    cli, shop_id = shared
    assert cli("datasets", user="bob").json() == []
    expected = f"error: {NO_ACCESS}\n"
    out = tmp_path / "out"
    out.mkdir()
    for command, *options in DATASET_COMMANDS:
        for dataset in ("Shop A", shop_id, "No such shop"):
            result = cli(command, "--dataset", dataset,
                         *(o.format(out=out) for o in options), user="bob")
            assert (result.code, result.out, result.err) == (2, "", expected), command
            assert "Shop" not in result.err and shop_id not in result.err
            assert not re.search(r"\d", result.err)  # no number of the dataset either
    assert not list(out.iterdir())  # no report written
    # the digest answers as monitoring tools expect an error: status 3, the same sentence
    digest = cli("digest", "--dataset", "Shop A", "--as-of", "2024-03-01", "--out",
                 str(out), user="bob")
    assert (digest.code, digest.out, digest.err) == (3, "", expected)
    assert not list(out.iterdir())
    # nothing happened to it: alice and the administrator still see all of it
    for user in ("alice", None):
        listed = cli("datasets", user=user).json()
        assert [(d["id"], d["workspace"], d["orders"]) for d in listed] == [
            (shop_id, "A", SMALL_ORDER_COUNT)]
    # her own numbers she gets: January's orders, worked out in tests/test_store.py: 4
    kpis = cli("kpis", "--dataset", "Shop A", *FILTERS, user="alice")
    assert kpis.code == 0, kpis.err
    assert kpis.json()[0]["orders"] == 4


def test_the_user_comes_from_the_environment_too(shared: tuple[Cli, str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    cli, shop_id = shared
    monkeypatch.setenv(USER_ENV_VAR, "bob")
    assert cli("datasets").json() == []
    assert cli("kpis", "--dataset", shop_id).code == 2
    monkeypatch.setenv(USER_ENV_VAR, "alice")
    assert [d["id"] for d in cli("datasets").json()] == [shop_id]
    unknown = cli("datasets", user="mallory")
    assert (unknown.code, unknown.out) == (2, "")
    assert "no user of that name" in unknown.err


def test_only_the_administrator_manages_users_workspaces_moves_and_reads_the_audit(
        shared: tuple[Cli, str]) -> None:
    cli, shop_id = shared
    for args in (("users", "list"), ("users", "remove", "bob"),
                 ("users", "passwd", "bob", "--password-stdin"),
                 ("users", "add", "eve", "--workspace", "A", "--password-stdin"),
                 ("workspaces", "add", "C"), ("workspaces", "remove", "B"),
                 ("move", "--dataset", shop_id, "--workspace", "B"), ("audit",)):
        result = cli(*args, user="alice", stdin="eve-secret-1\n")
        assert (result.code, result.out) == (2, ""), args
        assert "Only the administrator" in result.err
    assert [u["name"] for u in access.users(cli.db)] == ["alice", "bob"]
    assert access.workspaces(cli.db) == ["default", "A", "B"]


def test_the_users_commands(shared: tuple[Cli, str]) -> None:
    cli, _ = shared
    listed = cli("users", "list", "--format", "json")
    assert listed.json() == [{"name": "alice", "workspaces": ["A"], "admin": False},
                             {"name": "bob", "workspaces": ["B"], "admin": False}]
    assert "hash" not in listed.out and "argon2" not in listed.out
    assert cli("users", "passwd", "bob", "--password-stdin", stdin="bob-new-secret\n").code == 0
    assert access.authenticate(cli.db, "bob", "bob-new-secret").name == "bob"
    no_password = cli("users", "add", "carol", "--workspace", "A")
    assert no_password.code == 2 and "--password-stdin" in no_password.err
    two = cli("users", "add", "carol", "--workspace", "A", "--workspace", "B",
              "--password-stdin", stdin="carol-secret\n")
    assert two.code == 0, two.err
    assert cli("users", "remove", "bob").code == 0
    assert [u["name"] for u in cli("users", "list").json()] == ["alice", "carol"]
    assert cli("datasets", user="bob").code == 2


def test_ingest_into_a_workspace_and_move_between_workspaces(shared: tuple[Cli, str]) -> None:
    cli, shop_id = shared
    added = cli("users", "add", "carol", "--workspace", "A", "--workspace", "B",
                "--password-stdin", stdin="carol-secret\n")
    assert added.code == 0
    unsure = cli("ingest", str(SMALL_ORDERS), "--dataset", "Shop B", user="carol")
    assert unsure.code == 2 and "--workspace" in unsure.err
    stored = cli("ingest", str(SMALL_ORDERS), "--dataset", "Shop B", "--workspace", "B",
                 user="carol")
    assert stored.code == 0, stored.err
    assert [d["name"] for d in cli("datasets", user="bob").json()] == ["Shop B"]
    refused = cli("ingest", str(SMALL_ORDERS), "--dataset", "Mine", "--workspace", "B",
                  user="alice")
    assert refused.code == 2
    moved = cli("move", "--dataset", shop_id, "--workspace", "B")
    assert moved.json() == {"moved": {"id": shop_id, "name": "Shop A", "from": "A",
                                      "to": "B"}}
    assert cli("datasets", user="alice").json() == []
    assert sorted(d["name"] for d in cli("datasets", user="bob").json()) == [
        "Shop A", "Shop B"]


def test_workspaces_commands(shared: tuple[Cli, str]) -> None:
    cli, _ = shared
    assert cli("workspaces", "list").json() == [
        {"name": "default", "datasets": 0}, {"name": "A", "datasets": 1},
        {"name": "B", "datasets": 0}]
    assert cli("workspaces", "list", user="alice").json() == [{"name": "A", "datasets": 1}]
    held = cli("workspaces", "remove", "A")
    assert held.code == 2 and "still holds datasets" in held.err
    assert cli("workspaces", "remove", "B").code == 0
    assert cli("workspaces", "add", "A").code == 2  # exists already
    assert [w["name"] for w in cli("workspaces", "list").json()] == ["default", "A"]


def test_the_audit_command(shared: tuple[Cli, str]) -> None:
    cli, shop_id = shared
    assert cli("delete", "--dataset", shop_id, user="alice").code == 0
    events = cli("audit", "--user", "alice").json()
    assert [(e["action"], e["workspace"], e["dataset"]) for e in events] == [
        ("store", "A", shop_id), ("delete", "A", shop_id)]
    everything = cli("audit", "--since", "2000-01-01", "--format", "table")
    lines = everything.out.splitlines()
    # a header, two workspaces, two users, alice's store and delete
    assert len(lines) == 1 + 2 + 2 + 2
    assert lines[0].split() == ["time", "user", "action", "workspace", "dataset", "subject",
                                "outcome"]
    assert cli("audit", "--since", "2999-01-01").json() == []


def test_the_data_folder_is_made_for_its_owner_only(cli: Cli) -> None:
    assert cli("datasets").code == 0
    assert stat.S_IMODE(os.stat(cli.db).st_mode) == 0o700
