"""Workspaces, users and sign-in (metrics/access.py), and the store obeying them."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from metrics import access, audit
from metrics.access import ADMIN, Principal
from metrics.benchmarks import save_benchmarks, shipped_benchmarks
from metrics.errors import AccessDenied, DatasetNotFound, InputError
from metrics.ingest import ingest_file
from metrics.kpis import kpi_table
from metrics.query.filters import Filters
from metrics.query.run import query_frame
from metrics.staging import stage_isolated, store_staged_isolated
from metrics.store import CATALOGUE_FILE, Store
from tests.builders import SMALL_ORDERS
from tests.test_store import _write_single_file_database

# What a user reads about a dataset outside their workspaces, or none at all.
NO_ACCESS = ("You have no access to this dataset: it is not in your workspaces, or there is "
             "none by that name. Ask your administrator for access.")
# orders_small.csv has 11 orders (tests/test_store.py works its amounts out by hand)
SMALL_ORDER_COUNT = 11


@dataclass
class Team:
    """A store shared by two brands: alice sees A, bob sees B, carol both."""

    root: Path
    shop_a: str
    shop_b: str

    def store(self, name: str | None) -> Store:
        return Store(self.root, access.principal_for(self.root, name))


@pytest.fixture
def team(isolated_db: Path) -> Team:
    root = isolated_db
    access.add_workspace(root, "A")
    access.add_workspace(root, "B")
    access.add_user(root, "alice", ["A"], "alice-secret")
    access.add_user(root, "bob", ["B"], "bob-secret")
    access.add_user(root, "carol", ["A", "B"], "carol-secret")
    with Store(root, access.principal_for(root, "alice")) as store:
        shop_a = ingest_file(store, SMALL_ORDERS, dataset="Shop A").dataset_id
    with Store(root, access.principal_for(root, "bob")) as store:
        shop_b = ingest_file(store, SMALL_ORDERS, dataset="Shop B").dataset_id
    assert shop_a and shop_b
    return Team(root, shop_a, shop_b)


# -- the store obeys the workspaces ------------------------------------------------------------


def test_a_user_lists_and_opens_only_their_workspaces_datasets(team: Team) -> None:
    with team.store("alice") as alice, team.store("carol") as carol, team.store(None) as admin:
        assert [(d.name, d.workspace) for d in alice.datasets()] == [("Shop A", "A")]
        assert alice.dataset(team.shop_a).tables["orders"].rows == SMALL_ORDER_COUNT
        assert sorted(d.name for d in carol.datasets()) == ["Shop A", "Shop B"]
        assert sorted(d.name for d in admin.datasets()) == ["Shop A", "Shop B"]


def test_another_workspaces_dataset_is_refused_as_if_it_did_not_exist(team: Team) -> None:
    with team.store("alice") as alice:
        refusals = []
        for wanted in (team.shop_b, "Shop B", "No such shop", "0123456789abcdef"):
            with pytest.raises(AccessDenied) as refused:
                alice.dataset(wanted)
            refusals.append(refused.value.message)
            assert alice.find_dataset(wanted) is None
        assert set(refusals) == {NO_ACCESS}  # one sentence for all four
        assert "Shop" not in NO_ACCESS and not any(c.isdigit() for c in NO_ACCESS)


def test_the_administrator_still_hears_that_a_dataset_does_not_exist(team: Team) -> None:
    with team.store(None) as admin, pytest.raises(DatasetNotFound, match="No such shop"):
        admin.dataset("No such shop")


def test_sql_naming_another_workspaces_tables_is_refused(team: Team) -> None:
    with team.store("alice") as alice:
        sql = f"SELECT count(*) AS n FROM ds_{team.shop_b}.orders"
        with pytest.raises(AccessDenied):  # its file is not even attached for alice
            query_frame(alice, sql, {})
        own = query_frame(alice, f"SELECT count(*) AS n FROM ds_{team.shop_a}.orders", {})
        assert int(own["n"][0]) == SMALL_ORDER_COUNT
        with pytest.raises(AccessDenied):  # a metric on a Dataset object from elsewhere
            kpi_table(alice, team.store(None).dataset(team.shop_b), Filters())


def test_a_user_cannot_delete_or_add_to_another_workspaces_dataset(team: Team) -> None:
    with team.store("alice") as alice:
        with pytest.raises(AccessDenied):
            alice.delete_dataset(team.shop_b)
        # "Shop B" is not alice's: her upload of that name is a new dataset in her workspace
        mine = ingest_file(alice, SMALL_ORDERS, dataset="Shop B").dataset_id
    with team.store(None) as admin:
        theirs = admin.dataset(team.shop_b)
        assert (theirs.workspace, theirs.tables["orders"].rows) == ("B", SMALL_ORDER_COUNT)
        assert admin.dataset(mine).workspace == "A"
        with pytest.raises(InputError, match="Several datasets are named “Shop B”"):
            admin.dataset("Shop B")


def test_a_user_of_several_workspaces_says_which_one_a_new_dataset_goes_into(
        team: Team) -> None:
    with team.store("carol") as carol:
        with pytest.raises(InputError, match=r"several workspaces \(A, B\)"):
            ingest_file(carol, SMALL_ORDERS, dataset="New")
        stored = ingest_file(carol, SMALL_ORDERS, dataset="New", workspace="B")
        assert carol.dataset("New").workspace == "B"
        assert stored.dataset_id == carol.dataset("New").id
    with team.store("alice") as alice, pytest.raises(AccessDenied):
        ingest_file(alice, SMALL_ORDERS, dataset="Sneaky", workspace="B")
    with team.store(None) as admin:
        assert sorted(d.name for d in admin.datasets()) == ["New", "Shop A", "Shop B"]


def test_the_administrator_moves_a_dataset_and_its_id_stays(team: Team) -> None:
    with team.store("alice") as alice, pytest.raises(AccessDenied):
        alice.move_dataset(team.shop_a, "B")
    with team.store(None) as admin:
        with pytest.raises(InputError, match="no workspace “C”"):
            admin.move_dataset(team.shop_a, "C")
        admin.move_dataset(team.shop_a, "B")
    with team.store("alice") as alice, team.store("bob") as bob:
        assert alice.datasets() == []
        assert sorted(d.id for d in bob.datasets()) == sorted([team.shop_a, team.shop_b])


def test_existing_datasets_belong_to_the_default_workspace(isolated_db: Path) -> None:
    with Store(isolated_db) as store:  # stored before any workspace existed
        old = ingest_file(store, SMALL_ORDERS, dataset="Old shop").dataset_id
    catalogue_path = isolated_db / CATALOGUE_FILE
    catalogue = json.loads(catalogue_path.read_text("utf-8"))
    for entry in catalogue["datasets"].values():  # as an older LoyaltyLens wrote it
        entry.pop("workspace", None)
    catalogue_path.write_text(json.dumps(catalogue), "utf-8")
    access.add_workspace(isolated_db, "A")
    access.add_user(isolated_db, "dora", ["default"], "dora-secret")
    access.add_user(isolated_db, "alice", ["A"], "alice-secret")
    with Store(isolated_db, access.principal_for(isolated_db, "dora")) as dora:
        assert [(d.id, d.workspace) for d in dora.datasets()] == [(old, "default")]
    with Store(isolated_db, access.principal_for(isolated_db, "alice")) as alice:
        assert alice.datasets() == []
    with pytest.raises(InputError, match="always exists"):
        access.remove_workspace(isolated_db, "default")


def test_a_single_file_database_migrates_into_the_default_workspace(tmp_path: Path) -> None:
    with Store(tmp_path / "fresh") as fresh:
        old = ingest_file(fresh, SMALL_ORDERS, dataset="Old shop").dataset_id
        save_benchmarks(fresh, "Ours", shipped_benchmarks()[:1])  # the old file had some
        legacy = tmp_path / "old.duckdb"
        _write_single_file_database(legacy, fresh)
    with Store(legacy) as migrated:
        assert [(d.id, d.workspace) for d in migrated.datasets()] == [(old, "default")]
    catalogue = json.loads((legacy / CATALOGUE_FILE).read_text("utf-8"))
    assert catalogue["datasets"][old]["workspace"] == "default"
    assert stat.S_IMODE(os.stat(legacy).st_mode) == 0o700


def test_a_workspace_holding_datasets_is_not_removed(team: Team) -> None:
    with pytest.raises(InputError, match="“A” still holds datasets"):
        access.remove_workspace(team.root, "A")
    with team.store(None) as admin:
        admin.delete_dataset(team.shop_a)
    access.remove_workspace(team.root, "A")
    assert access.workspaces(team.root) == ["default", "B"]
    # alice kept her account but sees nothing; carol keeps B
    assert {u["name"]: u["workspaces"] for u in access.users(team.root)} == {
        "alice": [], "bob": ["B"], "carol": ["B"]}


def test_the_data_folder_and_the_users_file_are_the_owners_only(isolated_db: Path) -> None:
    Store(isolated_db).close()
    assert stat.S_IMODE(os.stat(isolated_db).st_mode) == 0o700
    access.add_workspace(isolated_db, "A")
    access.add_user(isolated_db, "alice", ["A"], "alice-secret")
    assert stat.S_IMODE(os.stat(isolated_db / access.AUTH_FILE).st_mode) == 0o600
    stored = json.loads((isolated_db / access.AUTH_FILE).read_text("utf-8"))
    assert stored["users"]["alice"]["hash"].startswith("$argon2id$")
    assert "alice-secret" not in (isolated_db / access.AUTH_FILE).read_text("utf-8")
    assert access.users(isolated_db) == [{"name": "alice", "workspaces": ["A"],
                                          "admin": False}]


# -- users --------------------------------------------------------------------------------------


def test_users_are_checked_when_added(isolated_db: Path) -> None:
    access.add_workspace(isolated_db, "A")
    with pytest.raises(InputError, match="no workspace “Z”"):
        access.add_user(isolated_db, "alice", ["Z"], "alice-secret")
    with pytest.raises(InputError, match="at least 8 characters"):
        access.add_user(isolated_db, "alice", ["A"], "short")
    with pytest.raises(InputError, match="at least one workspace"):
        access.add_user(isolated_db, "alice", [], "alice-secret")
    with pytest.raises(InputError, match="cannot name a user"):
        access.add_user(isolated_db, "<script>", ["A"], "alice-secret")
    access.add_user(isolated_db, "alice", ["A"], "alice-secret")
    with pytest.raises(InputError, match="exists already"):
        access.add_user(isolated_db, "alice", ["A"], "other-secret")
    assert [u["name"] for u in access.users(isolated_db)] == ["alice"]


def test_principals_of_users_and_of_the_administrator(team: Team) -> None:
    assert access.principal_for(team.root, None) == ADMIN
    assert access.principal_for(team.root, "carol") == Principal(
        "carol", frozenset({"A", "B"}), False)
    with pytest.raises(AccessDenied):
        access.principal_for(team.root, "mallory")
    access.remove_user(team.root, "bob")
    with pytest.raises(AccessDenied):
        access.principal_for(team.root, "bob")


# -- signing in ---------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_an_unknown_user_and_a_wrong_password_get_the_same_answer_and_work(
        team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    verified: list[str] = []
    real_verify = PasswordHasher.verify

    def counting_verify(self: PasswordHasher, password_hash: str, password: str) -> bool:
        verified.append(password_hash)
        return real_verify(self, password_hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    answers = []
    for name, password in (("alice", "wrong-password"), ("mallory", "alice-secret")):
        with pytest.raises(AccessDenied) as refused:
            access.authenticate(team.root, name, password, clock=FakeClock())
        answers.append(refused.value.message)
    assert answers[0] == answers[1] == "The user name or the password is wrong."
    assert len(verified) == 2 and all(h.startswith("$argon2id$") for h in verified)
    assert access.authenticate(team.root, "alice", "alice-secret") == Principal(
        "alice", frozenset({"A"}), False)


def test_repeated_failures_of_one_name_are_refused_until_the_window_passes(
        team: Team) -> None:
    clock = FakeClock()
    start = clock.now
    for second in range(5):  # five failures, one a second
        clock.now = start + second
        with pytest.raises(AccessDenied, match="is wrong"):
            access.authenticate(team.root, "alice", "guess", clock=clock)
    clock.now = start + 60
    # the right password too: the sixth attempt is not even checked; the first failure
    # leaves the 15-minute window at start + 900, 840 s = 14 minutes from now
    with pytest.raises(AccessDenied, match="wait 14 minutes"):
        access.authenticate(team.root, "alice", "alice-secret", clock=clock)
    # another name is not held up by alice's guesser
    assert access.authenticate(team.root, "bob", "bob-secret", clock=clock).name == "bob"
    clock.now = start + 900.5  # four failures left in the window
    assert access.authenticate(team.root, "alice", "alice-secret", clock=clock).name == "alice"
    clock.now = start + 901  # a success forgets her failures: five more may fail again
    for _ in range(4):
        with pytest.raises(AccessDenied, match="is wrong"):
            access.authenticate(team.root, "alice", "guess", clock=clock)


def test_failures_spread_over_many_names_are_slowed_overall(team: Team) -> None:
    clock = FakeClock()
    for n in range(access.MAX_FAILURES_OVERALL):  # 20 names, one failure each
        with pytest.raises(AccessDenied, match="is wrong"):
            access.authenticate(team.root, f"guess{n}", "guess", clock=clock)
    with pytest.raises(AccessDenied, match="wait 15 minutes"):
        access.authenticate(team.root, "carol", "carol-secret", clock=clock)
    clock.now += 15 * 60 + 1
    assert access.authenticate(team.root, "carol", "carol-secret", clock=clock).name == "carol"


def test_the_throttle_is_shared_through_the_data_folder(team: Team) -> None:
    """Another process (another dashboard, the CLI) reads the same failures: here, the
    state file is all there is between two calls."""
    clock = FakeClock()
    for _ in range(5):
        with pytest.raises(AccessDenied):
            access.authenticate(team.root, "bob", "guess", clock=clock)
    state = json.loads((team.root / access.STATE_FILE).read_text("utf-8"))
    assert state["names"]["bob"] == [clock.now] * 5
    assert stat.S_IMODE(os.stat(team.root / access.STATE_FILE).st_mode) == 0o600


# -- the sign-in mode ---------------------------------------------------------------------------


def test_the_sign_in_mode(isolated_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(access.AUTH_ENV_VAR, raising=False)
    isolated_db.mkdir()
    assert access.sign_in_mode(isolated_db) == "open"  # nobody to sign in
    access.add_user(isolated_db, "dora", ["default"], "dora-secret")
    assert access.sign_in_mode(isolated_db) == "password"
    config = isolated_db / access.CONFIG_FILE
    config.write_text('[auth]\nmode = "header"\n', "utf-8")
    with pytest.raises(InputError, match="trusted_proxies"):
        access.sign_in(isolated_db)
    config.write_text('[auth]\nmode = "header"\ntrusted_proxies = ["10.0.0.5"]\n'
                      'header = "X-Auth-Request-Email"\n', "utf-8")
    assert access.sign_in(isolated_db) == access.SignIn(
        "header", "X-Auth-Request-Email", ("10.0.0.5",))
    monkeypatch.setenv(access.AUTH_ENV_VAR, "oidc")
    assert access.sign_in_mode(isolated_db) == "oidc"
    monkeypatch.setenv(access.AUTH_ENV_VAR, "ldap")
    with pytest.raises(InputError, match="“ldap” is not a sign-in mode"):
        access.sign_in_mode(isolated_db)


# -- the audit log ------------------------------------------------------------------------------


def test_sign_ins_stores_deletes_and_moves_are_audited(team: Team) -> None:
    clock = FakeClock()
    with pytest.raises(AccessDenied):
        access.authenticate(team.root, "bob", "guess", clock=clock)
    access.authenticate(team.root, "bob", "bob-secret", clock=clock)
    with team.store(None) as admin:
        admin.move_dataset(team.shop_a, "B")
    with team.store("bob") as bob:
        bob.delete_dataset(team.shop_a)
    seen = [(e["user"], e["action"], e["workspace"], e["dataset"], e["subject"],
             e["outcome"]) for e in audit.events(team.root)]
    assert seen == [
        (None, "workspace_add", "A", None, None, "ok"),
        (None, "workspace_add", "B", None, None, "ok"),
        (None, "user_add", None, None, "alice", "ok"),
        (None, "user_add", None, None, "bob", "ok"),
        (None, "user_add", None, None, "carol", "ok"),
        ("alice", "store", "A", team.shop_a, None, "ok"),
        ("bob", "store", "B", team.shop_b, None, "ok"),
        ("bob", "sign_in_failed", None, None, None, "wrong"),
        ("bob", "sign_in", None, None, None, "ok"),
        (None, "move", "B", team.shop_a, "A", "ok"),
        ("bob", "delete", "B", team.shop_a, None, "ok"),
    ]
    # 1_800_000_000 s after the epoch, worked out: 2027-01-15 08:00:00 UTC
    assert [e["time"] for e in audit.events(team.root, user="bob")][1:3] == [
        "2027-01-15T08:00:00+00:00"] * 2
    assert [e["action"] for e in audit.events(team.root, user="alice")] == ["store"]
    assert stat.S_IMODE(os.stat(team.root / audit.AUDIT_FILE).st_mode) == 0o600


def test_the_audit_log_from_a_day_on(tmp_path: Path) -> None:
    audit.record(tmp_path, "sign_in", user="alice", now=0)  # 1970-01-01 00:00 UTC
    audit.record(tmp_path, "sign_in", user="bob", now=86_400)  # a day later
    assert [e["user"] for e in audit.events(tmp_path)] == ["alice", "bob"]
    assert [e["user"] for e in audit.events(tmp_path, since=date(1970, 1, 2))] == ["bob"]
    assert audit.events(tmp_path, since=date(1970, 1, 3)) == []


def test_an_upload_staged_and_stored_in_child_processes_goes_into_the_chosen_workspace(
        team: Team, tmp_path: Path) -> None:
    """The Data page's path: checked in one child process, stored in another, as carol."""
    with team.store("carol") as carol:
        with pytest.raises(InputError, match="several workspaces"):
            stage_isolated(carol, SMALL_ORDERS, tmp_path / "unsure", dataset="New")
        staged = stage_isolated(carol, SMALL_ORDERS, tmp_path / "staged", dataset="New",
                                workspace="B")
        stored = store_staged_isolated(carol, staged)
    with team.store("bob") as bob, team.store("alice") as alice:
        assert [(d.id, d.tables["orders"].rows) for d in bob.datasets() if d.name == "New"
                ] == [(stored.dataset_id, SMALL_ORDER_COUNT)]
        assert alice.find_dataset("New") is None
    assert [(e["user"], e["workspace"], e["dataset"]) for e in audit.events(team.root)
            if e["action"] == "store"][-1] == ("carol", "B", stored.dataset_id)
