"""The CLV modules hold no SQL of their own: every SELECT they run is a file of
metrics/sql/ loaded with load_sql (STYLE.md: "SQL lives in metrics/ in .sql files"), so
no query is spliced together with f-strings."""

from __future__ import annotations

import ast
import re
from pathlib import Path

CLV = Path(__file__).parent.parent / "metrics" / "clv"
SQL_WORDS = re.compile(r"\b(SELECT|FROM|WHERE|GROUP BY)\b")


def _spliced_sql(path: Path) -> list[int]:
    """The lines of the f-strings of a module that write SQL."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
            and SQL_WORDS.search("".join(part.value for part in node.values
                                         if isinstance(part, ast.Constant)
                                         and isinstance(part.value, str)))]


def test_no_clv_module_splices_sql_with_f_strings() -> None:
    spliced = {path.name: lines for path in sorted(CLV.glob("*.py"))
               if (lines := _spliced_sql(path))}
    assert spliced == {}
