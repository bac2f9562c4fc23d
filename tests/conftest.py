"""Shared fixtures: every test gets its own database file, never the user's."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.store import DB_ENV_VAR


@pytest.fixture(autouse=True)
def isolated_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point LOYALTYLENS_DB at a fresh file for the test (the app and CLI read it)."""
    path = tmp_path / "loyaltylens-test.duckdb"
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    return path
