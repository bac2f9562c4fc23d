"""Plain language at the source: no text in the code a user can read (pages, metric
definitions, ingest messages, CLI help) names the reference articles or the engine."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).parent.parent
# "seed" is what the team calls the reference articles; DuckDB is the engine. Neither means
# anything to a marketing manager. (SQL's duckdb_tables() and the .duckdb file suffix are
# lower case and not user text.)
INTERNAL_WORDS = re.compile(r"\b[Ss]eeds?\b|DuckDB")


def text_literals(path: Path) -> Iterator[tuple[int, str]]:
    """The string literals of a module that are not docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value) for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in docstrings):
            yield node.lineno, node.value


def test_no_user_text_names_the_reference_articles_or_the_engine() -> None:
    found = [f"{path.relative_to(ROOT)}:{line}: {text[:80]}"
             for folder in ("dashboard", "metrics") for path in (ROOT / folder).rglob("*.py")
             for line, text in text_literals(path) if INTERNAL_WORDS.search(text)]
    assert not found
