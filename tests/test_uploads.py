"""Uploads on the server's disk: a private folder per server (0700), a folder per upload,
removed once stored, replaced or abandoned; and an upload whose reading process dies
shows one sentence while the app goes on serving."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.uploads import (
    LEGACY_FOLDER,
    MAX_AGE_SECONDS,
    ROOT_PREFIX,
    UPLOAD_FILE,
    make_upload_root,
    save_upload,
)
from metrics.isolation import MEMORY_ENV_VAR
from metrics.store import Store
from tests.builders import SMALL_ORDERS
from tests.test_app import open_app, store_upload, unescaped, upload

ORDERS = SMALL_ORDERS.read_bytes()


def saved_path(app: AppTest) -> Path:
    """Where the session's upload is kept on the server."""
    path: Path = app.session_state[UPLOAD_FILE][1]
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_two_sessions_uploading_the_same_file_both_store_it(isolated_db: Path) -> None:
    first = upload(open_app(page="app_pages/data.py"), "orders.csv", ORDERS)
    second = upload(open_app(page="app_pages/data.py"), "orders.csv", ORDERS)
    assert saved_path(first) != saved_path(second)  # a copy each, not one shared name
    store_upload(first)
    assert saved_path(second).read_bytes() == ORDERS  # the first store left it alone
    name = next(box for box in second.text_input if box.key.startswith("name_"))
    name.set_value("orders again").run()
    store_upload(second)
    assert not second.exception and not second.error
    with Store(isolated_db) as store:
        assert sorted(d.name for d in store.datasets()) == ["orders", "orders again"]
        assert [store.dataset(n).tables["orders"].rows for n in ("orders", "orders again")
                ] == [11, 11]


def test_an_upload_is_private_and_gone_once_stored(isolated_db: Path) -> None:
    app = upload(open_app(page="app_pages/data.py"), "orders.csv", ORDERS)
    path = saved_path(app)
    root = path.parent.parent
    assert root.name.startswith(f"{ROOT_PREFIX}{os.getpid()}-")
    assert (mode(root), mode(path.parent), mode(path)) == (0o700, 0o700, 0o600)
    assert path.read_bytes() == ORDERS
    staged = list(path.parent.glob("staged-*/*.parquet"))
    assert [p.name for p in staged] == ["orders.parquet"]  # the checked rows, ready
    store_upload(app)
    assert not path.parent.exists()  # the upload and its staged tables
    assert UPLOAD_FILE not in app.session_state


def test_a_new_upload_replaces_the_previous_one(isolated_db: Path) -> None:
    app = upload(open_app(page="app_pages/data.py"), "orders.csv", ORDERS)
    first = saved_path(app)
    upload(app, "other.csv", ORDERS.replace(b"web", b"app"))
    assert not first.parent.exists()
    assert saved_path(app).read_bytes() == ORDERS.replace(b"web", b"app")


def test_uploads_older_than_a_day_are_removed_with_the_next_one(tmp_path: Path) -> None:
    old = save_upload(tmp_path, "old.csv", b"a")
    day_ago = time.time() - MAX_AGE_SECONDS - 60
    os.utime(old.parent, (day_ago, day_ago))
    recent = save_upload(tmp_path, "recent.csv", b"b")
    new = save_upload(tmp_path, "new.csv", b"c")
    assert not old.parent.exists()
    assert recent.exists() and new.exists()


def test_a_server_start_removes_what_stopped_servers_left(tmp_path: Path) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    dead = tmp_path / f"{ROOT_PREFIX}{finished.stdout.strip()}-abc"
    running = tmp_path / f"{ROOT_PREFIX}{os.getppid()}-abc"  # the process that runs pytest
    for folder in (dead, running, tmp_path / LEGACY_FOLDER / "0123abc"):
        folder.mkdir(parents=True)
        (folder / "orders.csv").write_bytes(ORDERS)
    root = make_upload_root(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([running.name, root.name])
    assert mode(root) == 0o700


def spawned_children() -> list[int]:
    """The processes this one spawned with multiprocessing (not its resource tracker)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if parent == os.getpid() and b"spawn_main" in command:
            pids.append(int(entry.name))
    return pids


def kill_the_next_child() -> None:
    """SIGKILL the next spawned child, as the kernel's out-of-memory killer would."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for pid in spawned_children():
            os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.01)


def assert_the_app_serves_on(app: AppTest, db: Path) -> None:
    app.switch_page("app_pages/overview.py").run()
    assert not app.exception
    assert app.title[0].value == "Overview"
    assert open_app().title[0].value == "Overview"  # and another session
    with Store(db) as store:
        assert sorted(d.name for d in store.datasets()) == ["Demo shop", "Small shop"]


def test_an_upload_whose_process_is_killed_says_so_and_the_app_serves_on(db: Path) -> None:
    app = open_app(page="app_pages/data.py")
    killer = threading.Thread(target=kill_the_next_child)
    killer.start()
    upload(app, "orders.csv", ORDERS)
    killer.join()
    assert [unescaped(e.value) for e in app.error] == [
        "Reading orders.csv was stopped by the server (it may have run out of memory); "
        "nothing was stored. Upload a smaller file (fewer rows or columns)."]
    assert_the_app_serves_on(app, db)


def test_an_upload_whose_process_runs_out_of_memory_says_so_and_the_app_serves_on(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a third of a gigabyte of address space: the process reading the file runs out
    monkeypatch.setenv(MEMORY_ENV_VAR, "0.3")
    app = upload(open_app(page="app_pages/data.py"), "orders.csv", ORDERS)
    assert [unescaped(e.value) for e in app.error] == [
        "Reading orders.csv needed more memory than an upload may use (0.3 GB), and was "
        "stopped; nothing was stored. Upload a smaller file (fewer rows or columns)."]
    monkeypatch.delenv(MEMORY_ENV_VAR)
    assert_the_app_serves_on(app, db)


def test_a_dataset_stored_by_another_session_meanwhile_is_checked_again(
        isolated_db: Path) -> None:
    first = upload(open_app(page="app_pages/data.py"), "orders.csv", ORDERS)
    second = upload(open_app(page="app_pages/data.py"), "orders.csv", ORDERS)
    store_upload(first)  # a new dataset "orders", which the second session also checked
    # its click reruns the page, which checks the file again against the datasets now there
    store_upload(second)
    assert [unescaped(e.value) for e in second.error] == [
        "The dataset “orders” already has orders data: choose another dataset name, or "
        "replace its data."]
    with Store(isolated_db) as store:
        assert [d.name for d in store.datasets()] == ["orders"]
        assert store.dataset("orders").tables["orders"].rows == 11
