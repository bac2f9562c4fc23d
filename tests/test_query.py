"""The query toolkit (metrics/query/): no import cycle in metrics/, parameters bound exactly
as a query uses them, SQL pieces composed so that comments anywhere in them are safe."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from metrics.query import segments as segments_module
from metrics.query import sql as sql_module
from metrics.query.filters import Filters
from metrics.query.rfm import RFM_RULES
from metrics.query.segments import RFM_SEGMENT, segment_filter_sql
from metrics.query.sql import bind, load_sql, parameters_used, piece, with_ctes
from metrics.rfm import rfm_table
from tests.builders import small_store

METRICS = Path(__file__).parent.parent / "metrics"


def module_name(path: Path) -> str:
    parts = path.relative_to(METRICS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def metrics_imports(node: ast.AST, modules: set[str]) -> set[str]:
    """The modules of metrics/ an import statement loads (``from metrics import x`` loads
    ``metrics.x`` when x is a module)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in modules}
    if isinstance(node, ast.ImportFrom) and node.module and node.module in modules:
        submodules = {f"{node.module}.{alias.name}" for alias in node.names}
        return {node.module} | (submodules & modules)
    return set()


def import_graph() -> tuple[dict[str, set[str]], list[str]]:
    """Each module of metrics/ and the metrics modules it imports at module level; and
    every import of a metrics module inside a function (a dodged cycle)."""
    paths = {module_name(path): path for path in METRICS.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    in_functions: list[str] = []
    for name, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = set()
        for node in tree.body:
            graph[name] |= metrics_imports(node, set(paths))
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                in_functions += [f"{name}.{function.name} imports {imported}"
                                 for node in ast.walk(function)
                                 for imported in metrics_imports(node, set(paths))]
    return graph, in_functions


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph as the modules along it, or None (depth-first search
    with the modules on the current path)."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module):], module]
        if module in done:
            return None
        for imported in sorted(graph.get(module, ())):
            cycle = visit(imported, [*path, module])
            if cycle:
                return cycle
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module, [])
        if cycle:
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_metrics_has_no_import_cycle_and_no_import_inside_a_function() -> None:
    graph, in_functions = import_graph()
    assert "metrics.query.segments" in graph and "metrics.rfm" in graph
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])
    assert in_functions == []


def test_bind_keeps_a_parameter_only_where_the_query_uses_it_as_a_whole_name() -> None:
    params = {"a": 1, "ab": 2, "a_1": 3}
    assert bind("SELECT $a", params) == {"a": 1}
    assert bind("SELECT $ab + $a_1", params) == {"ab": 2, "a_1": 3}
    assert bind("SELECT 1", params) == {}


def test_a_parameter_in_a_comment_a_string_or_a_quoted_name_is_not_used() -> None:
    sql = ("SELECT $a AS x, '$b costs $c' AS price, 'it''s $d' AS quote, 1 AS \"$e\"\n"
           "-- $f in a line comment\n/* $g in a\nblock comment */ WHERE $h > 0")
    assert parameters_used(sql) == {"a", "h"}
    params = dict.fromkeys("abcdefgh", 1)
    # DuckDB agrees: it runs the query with exactly these parameters
    row = duckdb.connect().execute(sql, bind(sql, params)).fetchone()
    assert row == (1, "$b costs $c", "it's $d", 1)


def test_pieces_with_comments_at_line_ends_and_at_their_end_compose() -> None:
    numbers = ("numbers AS (\n    SELECT * FROM range(1, 5) AS t(n) -- 1 to 4\n"
               "    WHERE n > $low -- the lowest kept is low + 1\n) -- numbers")
    doubled = "doubled AS (SELECT 2 * n AS n FROM numbers) -- twice each"
    total = "SELECT sum(n) FROM (\n" + piece("SELECT n FROM doubled -- all") + ") AS d -- sum"
    # low = 1 keeps 2, 3, 4; doubled 4 + 6 + 8 = 18
    for sql in (with_ctes(numbers, doubled, query=total),
                with_ctes(numbers, doubled + "\n" + total)):
        assert duckdb.connect().execute(sql, bind(sql, {"low": 1})).fetchone() == (18,)


def test_the_rfm_segment_filter_survives_comments_at_line_ends_in_the_rfm_sql(
        monkeypatch: pytest.MonkeyPatch) -> None:
    store, dataset = small_store()
    selection = Filters(start=date(2000, 1, 1), end=date(2100, 12, 31))
    table = rfm_table(store, dataset, selection)
    segments = dict(zip(table["customer_id"], table["segment"], strict=True))
    kept = table["segment"].iloc[0]
    expected = sorted(c for c, segment in segments.items() if segment == kept)
    # the filter must keep some customers and drop others to show anything
    assert 0 < len(expected) < len(segments) and kept in {r.segment for r in RFM_RULES}

    original = segments_module.load_sql

    def commented(name: str) -> str:
        # a comment at the end of every line of code, and one closing the piece
        text = original(name)
        if name == "rfm":
            text = "".join(f"{line} -- note\n" if line.strip() and not line.lstrip()
                           .startswith("--") else f"{line}\n" for line in text.splitlines())
            text += "-- end of the RFM query"
        return text

    monkeypatch.setattr(segments_module, "load_sql", commented)
    chosen = replace(selection, segments=((RFM_SEGMENT, (kept,)),))
    condition, params = segment_filter_sql(dataset, chosen)
    assert condition.count("-- note") > 10
    sql = (f"SELECT DISTINCT customer_id FROM {dataset.table('orders')} WHERE "
           f"{condition} ORDER BY customer_id")
    with store.cursor() as cursor:
        kept_customers = [row[0] for row in cursor.execute(sql, bind(sql, params)).fetchall()]
    assert kept_customers == expected


def test_a_placeholder_named_in_a_comment_is_filled_in_the_code_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "comment_placeholder_probe.sql").write_text(
        "-- the sum of {numbers} (a query put in place of {numbers})\n"
        "SELECT sum(n) AS total, '{{kept}}' AS text FROM ({numbers}) AS t -- of {numbers}\n",
        encoding="utf-8")
    monkeypatch.setattr(sql_module, "SQL_DIR", tmp_path)
    numbers = piece("-- 1 to 3\nSELECT * FROM range(1, 4) AS r(n) -- three rows")
    sql = load_sql("comment_placeholder_probe").format(numbers=numbers)
    assert sql.startswith("-- the sum of {numbers} (a query put in place of {numbers})\n")
    # 1 + 2 + 3; a string literal is code: its doubled brackets are format's escape
    assert duckdb.connect().execute(sql).fetchone() == (6, "{kept}")
