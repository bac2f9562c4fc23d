"""Cancelling an upload: whatever the progress callback raises (the Data page's Cancel)
stops the work's process at once, even one that has gone quiet; cancelled mid-store,
nothing is stored and nothing stored is harmed; on the Data page the upload and all that
was read or staged of it are gone."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from dashboard.progress_bar import CANCELLED
from dashboard.uploads import UPLOAD_FILE
from metrics.ingest import ingest_file
from metrics.isolation import Limits, run_isolated
from metrics.progress import Step
from metrics.staging import stage_isolated, store_staged_isolated
from metrics.store import Store
from tests import isolation_tasks as tasks
from tests.builders import SMALL_ORDERS, write_csv
from tests.test_app import open_app, store_upload, unescaped, upload
from tests.test_staging import tables

# A limit no test reaches: a child that is not stopped by the cancel fails the test with
# this limit's sentence, not a hang.
LIMITS = Limits(memory_bytes=4 * 2**30, wall_seconds=120, cpu_seconds=240)


class Cancelled(Exception):
    """What the page's Cancel raises in its progress callback (there: Streamlit's rerun)."""


def test_a_child_gone_quiet_is_still_stopped_by_a_cancel() -> None:
    steps: list[Step] = []

    def cancel_at_the_second_call(step: Step) -> None:
        steps.append(step)
        if len(steps) == 2:
            raise Cancelled

    with pytest.raises(Cancelled):
        run_isolated(tasks.report_once_then_go_quiet, "orders.csv", LIMITS,
                     progress=cancel_at_the_second_call, every=0.1)
    # the child said "reading" once; the second call is the same step, asked again
    assert steps == [Step("reading"), Step("reading")]


def files_of(folder: Path) -> dict[str, tuple[int, int]]:
    """Each file under ``folder``: its size and modification time in nanoseconds."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_cancelling_mid_store_stores_nothing_and_harms_nothing_stored(tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    other = write_csv(tmp_path / "other.csv", ("customer", "date", "amount"),
                      [("z", "2024-02-01", "5")])
    with Store(db) as store:
        ingest_file(store, SMALL_ORDERS, dataset="Shop", currency="EUR")
        ingest_file(store, other, dataset="Other")
        folder = tmp_path / "stage"
        folder.mkdir()
        # new orders for Shop: a storing would replace its 11 orders with this one
        staged = stage_isolated(store, other, folder, dataset="Shop", replace=True)
        datasets = store.datasets()
        before = {d.name: tables(store, d.name) for d in datasets}
    files = files_of(db)

    def cancel_once_rows_are_written(step: Step) -> None:
        if step.rows is not None:
            raise Cancelled

    task = functools.partial(tasks.store_and_stop_midway, str(db), staged)
    with pytest.raises(Cancelled):
        run_isolated(task, "other.csv", LIMITS, progress=cancel_once_rows_are_written)
    with Store(db) as store:
        assert store.datasets() == datasets
        for name, frames in before.items():
            for kind, frame in tables(store, name).items():
                assert frame.equals(frames[kind]), (name, kind)
        assert store.dataset("Shop").tables["orders"].rows == 11
        shop = store.dataset("Shop").id
        # stopped mid-store: the new version of Shop was being written
        assert any(name.startswith(f"datasets/{shop}/") for name in set(files_of(db)) - set(files))
        # every stored file is as it was; the half-written version the child left is
        # removed by the next write (here a dataset of its own)
        assert {name: files_of(db)[name] for name in files} == files
        later = ingest_file(store, other, dataset="Later").dataset_id
    new = {name for name in files_of(db) if name not in files}
    assert new and all(name.startswith(f"datasets/{later}/") for name in new), new


def test_cancel_on_the_data_page_drops_the_upload_and_all_read_of_it(isolated_db: Path
                                                                    ) -> None:
    app = upload(open_app(page="app_pages/data.py"), "orders.csv", SMALL_ORDERS.read_bytes())
    folder = app.session_state[UPLOAD_FILE][1].parent
    assert list(folder.glob("staged-*/*.parquet"))  # checked and staged, ready to store
    # what the Cancel button's callback does before the rerun its click asks for (the
    # check or the store it interrupts is stopped in its process: the tests above)
    app.session_state[CANCELLED] = True
    app.run()
    assert not app.exception, app.exception
    assert [unescaped(i.value) for i in app.info] == [
        "No datasets yet: upload an orders file below.",
        "The upload was cancelled: nothing of it was stored."]
    assert not folder.exists()  # the upload, its staged tables: all gone
    assert UPLOAD_FILE not in app.session_state
    uploader = next(u for u in app.file_uploader if u.key.startswith("upload_file_"))
    assert uploader.value is None  # an empty uploader, ready for another file
    assert not any(b.label == "Store" for b in app.button)
    with Store(isolated_db) as store:
        assert store.datasets() == []


def test_a_cancel_that_comes_once_the_upload_is_stored_takes_nothing_back(
        isolated_db: Path) -> None:
    """The click reached the server after the store ended: the page says it was stored."""
    app = upload(open_app(page="app_pages/data.py"), "orders.csv", SMALL_ORDERS.read_bytes())
    store_upload(app)
    app.session_state[CANCELLED] = True
    app.run()
    assert not app.exception, app.exception
    assert not [i for i in app.info if "cancelled" in i.value]
    with Store(isolated_db) as store:
        assert [d.name for d in store.datasets()] == ["orders"]


def test_a_store_waiting_for_another_writer_answers_a_cancel(tmp_path: Path) -> None:
    """Storing says so before it waits for the store's one writer (another upload, a CLI
    ingest), so a Cancel is answered meanwhile, not once the other is done."""
    other = write_csv(tmp_path / "other.csv", ("customer", "date", "amount"),
                      [("z", "2024-02-01", "5")])
    steps: list[Step] = []

    def cancel(step: Step) -> None:
        steps.append(step)
        raise Cancelled

    with Store(tmp_path / "shop.duckdb") as store:
        ingest_file(store, SMALL_ORDERS, dataset="Shop")
        folder = tmp_path / "stage"
        folder.mkdir()
        staged = stage_isolated(store, other, folder, dataset="New")
        with store.writer(), pytest.raises(Cancelled):  # another writer, busy meanwhile
            store_staged_isolated(store, staged, limits=LIMITS, progress=cancel, every=0.1)
        assert steps == [Step("storing", total=1)]
        assert [d.name for d in store.datasets()] == ["Shop"]
