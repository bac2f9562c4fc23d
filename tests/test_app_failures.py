"""The server's own trouble and bugs under the dashboard: one sentence for the user, the
traceback in the server's log, no exception box; the shipped config keeps details off."""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

import duckdb
import pytest
from streamlit.config import ShowErrorDetailsConfigOptions
from streamlit.testing.v1 import AppTest

import dashboard.services
from dashboard.guard import UNEXPECTED, UNEXPECTED_ERROR
from tests.test_app import APP, unescaped

ROOT = Path(__file__).resolve().parents[1]
DISK_FULL = ("The server could not finish this: it could not read or write its data (its "
             "disk may be full). Try again later, or tell your administrator.")
OUT_OF_MEMORY = ("The server could not finish this: it ran out of memory. Try again later, "
                 "or tell your administrator.")


def open_failing_overview(monkeypatch: pytest.MonkeyPatch, error: Exception) -> AppTest:
    """The Overview whose KPI query (its first metric call) raises ``error``."""
    def fail(*_args: object) -> None:
        raise error
    monkeypatch.setattr(dashboard.services, "kpi_table", fail)
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    return app


@pytest.mark.parametrize(("error", "sentence"), [
    (duckdb.IOException('Could not write file "x.duckdb.wal": No space left on device'),
     DISK_FULL),
    (duckdb.TransactionException("Current transaction is aborted (please ROLLBACK)"),
     DISK_FULL),
    (duckdb.OutOfMemoryException("could not allocate block of size 256.0 KiB"),
     OUT_OF_MEMORY),
])
def test_server_trouble_is_one_sentence_and_a_logged_traceback(
        db: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        error: Exception, sentence: str) -> None:
    app = open_failing_overview(monkeypatch, error)
    assert not app.exception, app.exception
    assert [unescaped(e.value) for e in app.error] == [sentence]
    logged = [r for r in caplog.records if r.name == "loyaltylens.dashboard"]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert logged[0].exc_info[1] is error  # the traceback goes to the log, not the page
    assert not getattr(logged[0], UNEXPECTED)


def test_a_bug_is_a_logged_sentence_too(db: Path, monkeypatch: pytest.MonkeyPatch,
                                        caplog: pytest.LogCaptureFixture) -> None:
    app = open_failing_overview(monkeypatch, KeyError("secret_column"))
    assert not app.exception, app.exception
    assert len(app.error) == 1
    assert "error in LoyaltyLens" in app.error[0].value
    assert "secret_column" not in app.error[0].value  # no detail of the failure shown
    logged = [r for r in caplog.records if getattr(r, UNEXPECTED, False)]
    assert len(logged) == 1 and logged[0].levelno == logging.ERROR
    caplog.clear()  # expected here; conftest fails every other test that logs a bug


def test_shipped_config_listens_on_localhost_and_hides_error_details() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "localhost"
    assert config["client"]["showErrorDetails"] == "none"
    # one of the values Streamlit accepts (it warns and shows everything for others)
    assert config["client"]["showErrorDetails"] in {o.value for o in ShowErrorDetailsConfigOptions}


def _failing_callback_app() -> None:
    import streamlit as st

    from dashboard.guard import callback
    from metrics.errors import InputError

    def refuse() -> None:
        raise InputError("That dataset was deleted a moment ago; choose another.")

    def crash() -> None:
        raise RuntimeError("a bug in a callback")

    st.button("Refuse", on_click=callback(refuse))
    st.button("Crash", on_click=callback(crash))
    st.write("The page goes on.")


def test_a_failing_widget_callback_is_one_sentence_and_the_page_goes_on(
        caplog: pytest.LogCaptureFixture) -> None:
    # Streamlit runs callbacks before the script, outside the router's page_failures
    app = AppTest.from_function(_failing_callback_app)
    app.run()
    app.button[0].click().run()
    assert not app.exception, app.exception
    assert [unescaped(e.value) for e in app.error] == [
        "That dataset was deleted a moment ago; choose another."]
    assert app.markdown[-1].value == "The page goes on."
    app.button[1].click().run()
    assert not app.exception, app.exception
    assert [unescaped(e.value) for e in app.error] == [UNEXPECTED_ERROR]
    # the bug is in the server's log with its traceback; taken out of the records the
    # autouse check fails on, since this one is planted
    bugs = [r for r in caplog.records if getattr(r, UNEXPECTED, False)]
    assert len(bugs) == 1 and bugs[0].exc_info is not None
    assert str(bugs[0].exc_info[1]) == "a bug in a callback"
    caplog.clear()
