"""Types: mypy, with the project's configuration, finds no error in metrics/ and dashboard/,
so a plain ``pytest`` catches a type error as ``make test`` does."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent
PYPROJECT = ROOT / "pyproject.toml"


def test_the_configuration_checks_both_packages_strictly() -> None:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["files"] == ["metrics", "dashboard"]
    assert config["disallow_untyped_defs"] and config["check_untyped_defs"]
    assert config["warn_unused_ignores"] and config["warn_redundant_casts"]
    # missing stubs are excused per library, never for every import
    assert "ignore_missing_imports" not in config


def test_mypy_finds_no_type_error() -> None:
    # mypy's own cache in the checkout (as `make test`, which runs mypy first, leaves it):
    # a warm run takes a second or two, a cold one half a minute.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(PYPROJECT),
         "--cache-dir", str(ROOT / ".mypy_cache")],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found in ")
