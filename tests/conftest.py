"""Shared fixtures: every test gets its own database file, never the user's."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.guard import UNEXPECTED
from metrics.demo import ensure_demo
from metrics.ingest import ingest_file
from metrics.store import DB_ENV_VAR, Store
from tests.builders import SMALL_ORDERS
from tests.test_cli import run
from tests.test_clv_models import cdnow_sample_csv


@pytest.fixture(autouse=True)
def isolated_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point LOYALTYLENS_DB at a fresh file for the test (the app and CLI read it)."""
    path = tmp_path / "loyaltylens-test.duckdb"
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    return path


@pytest.fixture(scope="session")
def demo_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with Store(path) as store:  # the newest dataset, the demo, is the default
        ingest_file(store, SMALL_ORDERS, dataset="Small shop", currency="EUR")
        ensure_demo(store)
    return path


@pytest.fixture
def db(demo_db_template: Path, isolated_db: Path) -> Path:
    """A copy of the demo database (plus the small shop) for one test."""
    shutil.copytree(demo_db_template, isolated_db)
    return isolated_db


@pytest.fixture(scope="session")
def small_cli_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small shop ingested through the ``loyaltylens`` command as dataset "Small",
    once for the session."""
    path = tmp_path_factory.mktemp("small_cli") / "cli.duckdb"
    result = run("ingest", str(SMALL_ORDERS), "--dataset", "Small", db=path)
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def small_cli_db(small_cli_template: Path, tmp_path: Path) -> Path:
    """A copy of the small shop ingested through the command, for one test to read or
    change (instead of ingesting it again)."""
    path = tmp_path / "cli.duckdb"
    shutil.copytree(small_cli_template, path)
    return path


@pytest.fixture(scope="module")
def demo_store(demo_db_template: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[Store]:
    """An open store on a copy of the demo database, shared by a module's read-only tests."""
    path = tmp_path_factory.mktemp("demo_store") / "demo.duckdb"
    shutil.copytree(demo_db_template, path)
    with Store(path) as store:
        yield store


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A store holding the CDNOW sample the CLV papers fit their models on (dataset
    "CDNOW"), shared by a module's read-only tests."""
    store = Store(":memory:")
    ingest_file(store, cdnow_sample_csv(tmp_path_factory.mktemp("cdnow")), dataset="CDNOW")
    yield store
    store.close()


@pytest.fixture(autouse=True)
def no_unexpected_page_error(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """The router turns any exception of a page into one sentence (the user sees no
    traceback), so a bug would no longer show as AppTest's exception: fail on its log."""
    yield
    bugs = [record for record in caplog.get_records("call")
            if getattr(record, UNEXPECTED, False)]
    assert not bugs, "\n".join(record.getMessage() + "\n" + logging.Formatter().formatException(
        record.exc_info) for record in bugs if record.exc_info)
