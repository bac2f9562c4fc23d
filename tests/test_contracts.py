"""Contracts: layers stay apart, every KPI column is defined, the README's commands exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from metrics.definitions import KPIS, METRICS
from metrics.kpis import KPI_COLUMNS

ROOT = Path(__file__).parent.parent


def module_imports(source: str) -> set[str]:
    """The top-level packages a module's source imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def imported_modules(folder: Path) -> dict[Path, set[str]]:
    return {path: module_imports(path.read_text(encoding="utf-8"))
            for path in folder.rglob("*.py")}


def test_metrics_imports_no_ui_library() -> None:
    for path, names in imported_modules(ROOT / "metrics").items():
        assert not names & {"streamlit", "plotly", "dashboard"}, path


SQL_LINE = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE FROM|CREATE TABLE)\b.*\b(FROM|INTO|SET|AS)\b")


def sql_in(folder: Path) -> list[str]:
    """Every line of ``folder``'s Python files that looks like SQL, and every file that
    imports duckdb (each file read and parsed once)."""
    found: list[str] = []
    for path in folder.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        found += [f"{path}:{number} looks like SQL: {line.strip()}"
                  for number, line in enumerate(source.splitlines(), 1) if SQL_LINE.search(line)]
        if "duckdb" in module_imports(source):
            found.append(f"{path} imports duckdb")
    return found


def test_dashboard_holds_no_sql() -> None:
    assert not sql_in(ROOT / "dashboard")


def test_the_no_sql_check_catches_sql_and_duckdb_planted_in_a_page(tmp_path: Path) -> None:
    pages = tmp_path / "app_pages"
    pages.mkdir()
    (pages / "clean.py").write_text('"""A page."""\nimport streamlit as st\n', encoding="utf-8")
    (pages / "query.py").write_text('rows = con.sql("SELECT id FROM orders")\n',
                                    encoding="utf-8")
    (pages / "engine.py").write_text("from duckdb import connect\n", encoding="utf-8")
    assert sorted(sql_in(tmp_path)) == [
        f"{pages / 'engine.py'} imports duckdb",
        f"{pages / 'query.py'}:1 looks like SQL: rows = con.sql(\"SELECT id FROM orders\")"]


def test_every_kpi_column_has_a_definition() -> None:
    measured = set(KPI_COLUMNS) - {"period_start", "period_end", "complete"}
    assert measured == set(METRICS)
    for metric in METRICS.values():
        assert metric.label and metric.definition.endswith("."), metric.id
        assert metric.unit in ("customers", "orders", "currency", "percent")
    assert {m.id for m in KPIS} == {
        "end_customers", "new_customers", "active_customers", "orders", "revenue", "aov",
        "repeat_purchase_rate", "retention_rate", "strict_retention_rate", "churn_rate",
        "net_revenue_retention", "gross_revenue_retention"}


def test_the_readme_set_up_commands_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^make (\w+)", readme, flags=re.MULTILINE)
    assert commands[:2] == ["run", "test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in set(commands):
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE), target
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_sql_files_start_with_a_comment_saying_what_they_compute() -> None:
    for path in (ROOT / "metrics" / "sql").glob("*.sql"):
        assert path.read_text(encoding="utf-8").startswith("-- "), path
