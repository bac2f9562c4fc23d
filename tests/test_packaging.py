"""The wheel: built offline with the project's own build backend, clean and complete."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).parent.parent
PACKAGES = ("metrics", "dashboard")


def build_wheel(tmp_path: Path) -> tuple[Path, str]:
    """Build the wheel from a copy of the sources (an in-tree build would leave build/ behind).

    No build isolation: the build backend comes from this environment, so no network is needed.
    """
    build_system = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]
    for requirement in map(Requirement, build_system["requires"]):
        assert requirement.specifier.contains(version(requirement.name)), (
            f"the build needs {requirement} (the test extra installs it): "
            f"pip install -e '.[test]'")
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp_path / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
         "--no-index", "--verbose", "--wheel-dir", str(dist)],
        capture_output=True, text=True, timeout=300, check=False)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    (wheel,) = dist.glob("loyaltylens-*.whl")
    return wheel, log


def test_the_wheel_builds_without_warnings_and_holds_code_sql_assets_and_catalogues(
        tmp_path: Path) -> None:
    wheel, log = build_wheel(tmp_path)
    # setuptools says "BuildBackendWarning: Package 'metrics.sql' is absent from the
    # `packages` configuration" (and the like) when package data is declared wrongly.
    assert not re.findall(r"\w+Warning: .*", log), re.findall(r"\w+Warning: .*", log)
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    expected = {path.relative_to(ROOT).as_posix()
                for package in PACKAGES for path in (ROOT / package).rglob("*")
                if path.suffix in {".py", ".sql", ".png", ".mo"}
                and "__pycache__" not in path.parts}
    assert {"metrics/sql/kpis.sql", "dashboard/assets/icon.png", "metrics/cli.py",
            "dashboard/app_pages/overview.py", "metrics/clv/bgnbd.py",
            # every language's compiled catalogue, which t() reads in an installed copy
            "metrics/locale/ro/LC_MESSAGES/loyaltylens.mo",
            "metrics/locale/ru/LC_MESSAGES/loyaltylens.mo"} <= expected
    assert expected <= shipped, sorted(expected - shipped)
    assert not {name for name in shipped if "__pycache__" in name or name.startswith("tests/")}
