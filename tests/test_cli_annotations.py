"""``loyaltylens annotate`` and ``loyaltylens annotations``: their JSON and CSV, errors, access."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from tests.builders import SMALL_ORDERS
from tests.test_cli_access import NO_ACCESS, Cli, cli, shared  # noqa: F401  (fixtures)

EVIL = '<a href="https://evil.example">x</a>'


def test_notes_are_added_listed_as_json_and_csv_and_deleted(shared: tuple[Cli, str]) -> None:  # noqa: F811
    run, _ = shared
    before = datetime.now(UTC).replace(microsecond=0)
    later = run("annotate", "--dataset", "Shop A", "--date", "2024-03-01", "--text",
                f"=Price increase {EVIL}", user="alice")
    assert later.code == 0, later.err
    added = later.json()["added"]
    assert set(added) == {"id", "date", "text", "added_by", "added_at"}
    assert re.fullmatch(r"[0-9a-f]{8}", added["id"])
    assert (added["date"], added["text"], added["added_by"]) == (
        "2024-03-01", f"=Price increase {EVIL}", "alice")
    assert before <= datetime.fromisoformat(added["added_at"]) <= datetime.now(UTC)
    earlier = run("annotate", "--dataset", "Shop A", "--date", "2024-01-15", "--text",
                  "Loyalty programme launched").json()["added"]  # the administrator

    listed = run("annotations", "--dataset", "Shop A", user="alice").json()
    assert listed == [earlier, added]  # by date, not by when they were added
    assert earlier["added_by"] is None
    rows = list(csv.reader(io.StringIO(run("annotations", "--dataset", "Shop A", "--format",
                                           "csv").out)))
    assert rows[0] == ["id", "date", "text", "added_by", "added_at"]
    # a spreadsheet would run "=..." as a formula: the cell starts with an apostrophe
    assert [row[:4] for row in rows[1:]] == [
        [earlier["id"], "2024-01-15", "Loyalty programme launched", ""],
        [added["id"], "2024-03-01", f"'=Price increase {EVIL}", "alice"]]

    deleted = run("annotate", "--dataset", "Shop A", "--delete", added["id"], user="alice")
    assert (deleted.code, deleted.json()) == (0, {"deleted": added})
    assert run("annotations", "--dataset", "Shop A").json() == [earlier]


def test_wrong_options_and_notes_get_one_sentence_and_store_nothing(cli: Cli) -> None:  # noqa: F811
    assert cli("ingest", str(SMALL_ORDERS), "--dataset", "Shop", "--quiet").code == 0
    for args, message in (
            (("--date", "2024-02-30", "--text", "x"),
             "“2024-02-30” is not a date: write the note's date as YYYY-MM-DD, e.g. "
             "2024-03-01."),
            (("--date", "2024-02-01", "--text", ""),
             "The note is empty: write what happened on that day."),
            (("--date", "2024-02-01", "--text", "é" * 201),
             "The note has 201 characters: shorten it to 200 or fewer."),
            (("--text", "x"), "A note needs --date and --text (or --delete ID to delete one)."),
            (("--delete", "abc", "--text", "x"),
             "Give either --delete ID or --date and --text, not both."),
            (("--delete", "abc"), "The dataset “Shop” has no note “abc”: list its notes with "
                                  "`loyaltylens annotations` to see their ids.")):
        result = cli("annotate", "--dataset", "Shop", *args)
        assert (result.code, result.out, result.err) == (2, "", f"error: {message}\n"), args
    assert cli("annotations", "--dataset", "Shop").json() == []


def test_another_workspaces_notes_are_refused(shared: tuple[Cli, str]) -> None:  # noqa: F811
    run, shop_id = shared
    note = run("annotate", "--dataset", "Shop A", "--date", "2024-03-01", "--text", "Launch",
               user="alice").json()["added"]
    for args in (("annotations",), ("annotate", "--date", "2024-03-02", "--text", "Mine"),
                 ("annotate", "--delete", note["id"])):
        for dataset in ("Shop A", shop_id):
            result = run(*args[:1], "--dataset", dataset, *args[1:], user="bob")
            assert (result.code, result.out, result.err) == (2, "", f"error: {NO_ACCESS}\n")
    assert run("annotations", "--dataset", "Shop A", user="alice").json() == [note]
