"""Annotations (metrics/annotations.py): validation, access, persistence, concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from metrics.annotations import (
    FOLDER,
    add_annotation,
    delete_annotation,
    list_annotations,
)
from metrics.errors import AccessDenied, DatasetNotFound, InputError
from metrics.ingest import ingest_file
from metrics.store import Store
from tests.builders import SMALL_ORDERS, write_csv
from tests.test_access import NO_ACCESS, Team, team  # noqa: F401  (the fixture)


def _texts(store: Store, name: str) -> list[tuple[date, str]]:
    return [(note.day, note.text) for note in list_annotations(store, store.dataset(name))]


def _notes_file(store: Store, name: str) -> Path:
    return Path(store.root) / FOLDER / f"{store.dataset(name).id}.json"


@pytest.fixture
def shop(isolated_db: Path) -> Store:
    store = Store(isolated_db)
    ingest_file(store, SMALL_ORDERS, dataset="Shop", currency="EUR")
    return store


# -- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "text", "message"), [
    ("2024-02-30", "Price increase",
     "“2024-02-30” is not a date: write the note's date as YYYY-MM-DD, e.g. 2024-03-01."),
    ("last Monday", "Price increase",
     "“last Monday” is not a date: write the note's date as YYYY-MM-DD, e.g. 2024-03-01."),
    ("2024-03-01", "   ", "The note is empty: write what happened on that day."),
    ("2024-03-01", "x" * 201, "The note has 201 characters: shorten it to 200 or fewer."),
    ("2024-03-01", "Price\nincrease",
     "The note holds a control character (a line break, a tab or an invisible mark): "
     "write it as one line of plain text."),
    ("2024-03-01", "Price\tincrease",
     "The note holds a control character (a line break, a tab or an invisible mark): "
     "write it as one line of plain text."),
    # a right-to-left override makes "launch‮gnp.exe" read as "launchexe.png"
    ("2024-03-01", "launch\u202egnp.exe",
     "The note holds a control character (a line break, a tab or an invisible mark): "
     "write it as one line of plain text."),
])
def test_a_bad_note_is_refused_in_one_sentence_and_nothing_is_stored(
        shop: Store, day: str, text: str, message: str) -> None:
    add_annotation(shop, shop.dataset("Shop"), "2024-01-15", "Kept")
    with pytest.raises(InputError) as raised:
        add_annotation(shop, shop.dataset("Shop"), day, text)
    assert raised.value.message == message
    assert _texts(shop, "Shop") == [(date(2024, 1, 15), "Kept")]


def test_a_note_of_exactly_200_characters_and_joined_emoji_are_kept(shop: Store) -> None:
    family = "\U0001f469\u200d\U0001f467"  # woman, zero-width joiner, girl: one emoji
    add_annotation(shop, shop.dataset("Shop"), date(2024, 1, 1), "y" * 200)
    add_annotation(shop, shop.dataset("Shop"), date(2024, 1, 2), f"  Family day {family} ")
    assert _texts(shop, "Shop") == [(date(2024, 1, 1), "y" * 200),
                                    (date(2024, 1, 2), f"Family day {family}")]


# -- listing, adding, deleting -------------------------------------------------------------------


def test_notes_are_listed_by_date_and_within_a_range(shop: Store) -> None:
    dataset = shop.dataset("Shop")
    for day, text in (("2024-03-01", "Price increase"), ("2024-01-10", "Programme launched"),
                      ("2024-02-14", "Valentine's campaign"), ("2024-01-10", "Second note")):
        add_annotation(shop, dataset, day, text)
    assert _texts(shop, "Shop") == [
        (date(2024, 1, 10), "Programme launched"), (date(2024, 1, 10), "Second note"),
        (date(2024, 2, 14), "Valentine's campaign"), (date(2024, 3, 1), "Price increase")]
    inside = list_annotations(shop, dataset, start=date(2024, 1, 11), end=date(2024, 3, 1))
    assert [note.text for note in inside] == ["Valentine's campaign", "Price increase"]


def test_a_note_records_who_added_it_and_when(team: Team) -> None:  # noqa: F811
    before = datetime.now(UTC).replace(microsecond=0)
    with team.store("alice") as alice:
        note = add_annotation(alice, alice.dataset("Shop A"), "2024-01-10", "Launch")
        (listed,) = list_annotations(alice, alice.dataset("Shop A"))
    assert (listed.added_by, listed.id) == ("alice", note.id)
    assert before <= listed.added_at <= datetime.now(UTC)
    with team.store(None) as admin:  # the local administrator has no name
        assert add_annotation(admin, admin.dataset("Shop A"), "2024-01-11", "x").added_by is None


def test_a_note_is_deleted_by_its_id_and_an_unknown_id_is_refused(shop: Store) -> None:
    dataset = shop.dataset("Shop")
    first = add_annotation(shop, dataset, "2024-01-10", "Launch")
    add_annotation(shop, dataset, "2024-02-10", "Price increase")
    assert delete_annotation(shop, dataset, first.id) == first
    assert _texts(shop, "Shop") == [(date(2024, 2, 10), "Price increase")]
    with pytest.raises(InputError) as raised:
        delete_annotation(shop, dataset, first.id)
    assert raised.value.message == (
        f"The dataset “Shop” has no note “{first.id}”: list its notes with "
        "`loyaltylens annotations` to see their ids.")
    assert _texts(shop, "Shop") == [(date(2024, 2, 10), "Price increase")]


# -- access --------------------------------------------------------------------------------------


def test_only_the_datasets_workspace_reads_and_changes_its_notes(team: Team) -> None:  # noqa: F811
    with team.store("alice") as alice:
        note = add_annotation(alice, alice.dataset("Shop A"), "2024-01-10", "Launch")
        shop_a = alice.dataset("Shop A")
    with team.store("bob") as bob:
        for attempt in (lambda: list_annotations(bob, shop_a),
                        lambda: add_annotation(bob, shop_a, "2024-01-11", "Mine now"),
                        lambda: delete_annotation(bob, shop_a, note.id)):
            with pytest.raises(AccessDenied) as raised:
                attempt()
            assert raised.value.message == NO_ACCESS
    with team.store("carol") as carol:  # in both workspaces: reads and changes
        assert _texts(carol, "Shop A") == [(date(2024, 1, 10), "Launch")]
        add_annotation(carol, carol.dataset("Shop A"), "2024-01-12", "Carol's")
    with team.store("alice") as alice:
        assert [n.added_by for n in list_annotations(alice, shop_a)] == ["alice", "carol"]


# -- persistence ---------------------------------------------------------------------------------


def test_notes_survive_a_new_version_of_the_dataset(shop: Store, tmp_path: Path) -> None:
    add_annotation(shop, shop.dataset("Shop"), "2024-01-10", "Launch")
    version = shop.dataset("Shop").version
    more = write_csv(tmp_path / "more.csv", ("Customer ID", "Order date", "Amount"),
                     [("Z", "2024-03-03", "10")])
    ingest_file(shop, more, dataset="Shop", replace=True)
    assert shop.dataset("Shop").version != version  # a new file, the same dataset
    assert shop.dataset("Shop").tables["orders"].rows == 1
    assert _texts(shop, "Shop") == [(date(2024, 1, 10), "Launch")]
    with Store(shop.root) as reopened:  # and another process reads them
        assert _texts(reopened, "Shop") == [(date(2024, 1, 10), "Launch")]


def test_notes_go_with_their_dataset(shop: Store) -> None:
    add_annotation(shop, shop.dataset("Shop"), "2024-01-10", "Launch")
    path = _notes_file(shop, "Shop")
    assert path.is_file()
    shop.delete_dataset("Shop")
    assert not path.exists()
    ingest_file(shop, SMALL_ORDERS, dataset="Shop")  # a new dataset of the same name
    assert _texts(shop, "Shop") == []


def test_a_note_for_a_dataset_deleted_meanwhile_is_refused(isolated_db: Path) -> None:
    with Store(isolated_db) as first, Store(isolated_db) as second:
        ingest_file(first, SMALL_ORDERS, dataset="Shop")
        seen = second.dataset("Shop")
        first.delete_dataset("Shop")
        with pytest.raises(DatasetNotFound):
            add_annotation(second, seen, "2024-01-10", "Too late")
        assert not (isolated_db / FOLDER / f"{seen.id}.json").exists()


# -- concurrency ---------------------------------------------------------------------------------


def test_two_sessions_adding_at_once_both_keep_their_notes(isolated_db: Path) -> None:
    each = 25
    with Store(isolated_db) as store:
        ingest_file(store, SMALL_ORDERS, dataset="Shop")
    stores = [Store(isolated_db), Store(isolated_db)]
    start = threading.Barrier(len(stores))
    failures: list[BaseException] = []

    def add_many(number: int, store: Store) -> None:
        try:
            start.wait()
            for index in range(each):
                add_annotation(store, store.dataset("Shop"), "2024-01-10",
                               f"session {number} note {index}")
        except BaseException as error:  # surfaced below, with the thread's error
            failures.append(error)

    threads = [threading.Thread(target=add_many, args=(n, s)) for n, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    with Store(isolated_db) as reader:
        texts = {text for _, text in _texts(reader, "Shop")}
    assert texts == {f"session {n} note {i}" for n in range(2) for i in range(each)}
    for store in stores:
        store.close()

