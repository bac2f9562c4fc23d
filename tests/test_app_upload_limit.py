"""The Data page's upload limit is the server's configured ``server.maxUploadSize``: the
uploader names it with how to raise it and the CLI for larger files, and a file over it
(which a browser refuses before sending, but a client of the server may send) gets the
same in one sentence and is not read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config

from dashboard.uploads import UPLOAD_FILE
from metrics.store import Store
from tests.builders import SMALL_ORDERS
from tests.test_app import open_app, unescaped, upload


@pytest.fixture
def one_megabyte_limit() -> Iterator[None]:
    """The server started with ``--server.maxUploadSize 1``."""
    before = config.get_option("server.maxUploadSize")
    config.set_option("server.maxUploadSize", 1)
    try:
        yield
    finally:
        config.set_option("server.maxUploadSize", before)


def test_the_uploader_names_the_configured_limit_and_how_to_go_past_it(
        isolated_db: Path, one_megabyte_limit: None) -> None:
    app = open_app(page="app_pages/data.py")
    uploader = next(u for u in app.file_uploader if u.key.startswith("upload_file_"))
    assert unescaped(uploader.label) == (
        "File (CSV or Excel .xlsx, also in a .zip or .gz, up to 1 MB)")
    assert uploader.help == (
        "The browser refuses files over 1 MB before they are sent. To take larger ones, raise "
        "server.maxUploadSize (in MB) in .streamlit/config.toml or start the app with "
        "--server.maxUploadSize, or store them with `loyaltylens ingest FILE --dataset "
        "NAME`, which takes files of any size.")


def test_a_file_over_the_configured_limit_gets_one_sentence_and_is_not_read(
        isolated_db: Path, one_megabyte_limit: None) -> None:
    # 1.5 MB of orders: the small shop's rows again and again
    header, *rows = SMALL_ORDERS.read_text(encoding="utf-8").splitlines()
    text = "\n".join([header, *rows * (3 * 2**19 // len("\n".join(rows)) + 1)]) + "\n"
    content = text.encode()
    assert 2**20 < len(content) < 2 * 2**20
    app = upload(open_app(page="app_pages/data.py"), "big orders.csv", content)
    size = f"{len(content) / 2**20:.0f}"  # 1.5 MB rounds to 2, as the page rounds it
    assert [unescaped(e.value) for e in app.error] == [
        f"big orders.csv is {size} MB; the Data page takes files up to 1 MB: raise the limit "
        "with server.maxUploadSize (in MB) in .streamlit/config.toml or "
        "--server.maxUploadSize when starting the app, or store it with `loyaltylens ingest "
        "FILE --dataset NAME`, which takes files of any size."]
    assert UPLOAD_FILE not in app.session_state  # not saved, not read
    assert not any(b.label == "Store" for b in app.button)
    with Store(isolated_db) as store:
        assert store.datasets() == []
