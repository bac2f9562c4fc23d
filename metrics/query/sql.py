"""SQL building blocks: loading the ``metrics/sql`` files, identifier quoting, composing
pieces, binding parameters, and the few DuckDB-specific expressions.

Everything engine-specific that the metric SQL needs is here, so the metric queries stay
close to standard SQL and can move to another engine (for example Spark SQL) later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

Period = Literal["week", "month", "quarter", "year"]
PERIODS: tuple[Period, ...] = ("week", "month", "quarter", "year")

# A Monday: weeks start on Monday (ISO 8601), as date_trunc('week', ...) does.
_WEEK_ORIGIN = "DATE '1970-01-05'"


SQL_DIR = Path(__file__).parent.parent / "sql"

# What a query holds besides code: a line comment, a block comment, a string literal or a
# quoted identifier ('' and "" inside them are escaped quotes, so they need no rule).
_NOT_CODE = re.compile(r"--[^\n]*|/\*.*?\*/|'[^']*'|\"[^\"]*\"", re.DOTALL)
_PARAMETER = re.compile(r"\$([A-Za-z_]\w*)")


@cache
def load_sql(name: str) -> str:
    """The text of ``metrics/sql/<name>.sql``, a query template with ``{placeholders}``.

    This is the one way metric SQL is read from a file; each file starts with a comment
    saying what it computes. Curly brackets in its comments are escaped, so ``.format``
    fills the placeholders of the code only: a piece spanning several lines, placed in a
    comment that names its placeholder, would otherwise turn into code."""
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    return _NOT_CODE.sub(_escape_comment, text)


def _escape_comment(match: re.Match[str]) -> str:
    found = match.group()
    if not found.startswith(("--", "/*")):
        return found  # a string literal or a quoted identifier: code
    return found.replace("{", "{{").replace("}", "}}")


def parameters_used(sql: str) -> set[str]:
    """The names of the ``$name`` parameters a query uses: in its code, not in a comment,
    a string literal or a quoted identifier (where DuckDB does not read them either)."""
    return set(_PARAMETER.findall(_NOT_CODE.sub(" ", sql)))


def bind(sql: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Exactly the parameters of ``params`` that ``sql`` uses (DuckDB refuses a parameter a
    query does not use, and a query is often built from optional pieces). Parameters the
    query uses but ``params`` lacks are left for the caller to add."""
    used = parameters_used(sql)
    return {name: value for name, value in params.items() if name in used}


def piece(sql: str) -> str:
    """A SQL piece ready to be placed inside another query (a subquery, a condition, a
    CTE body): trimmed and ended by a line break, so that a ``--`` comment on its last
    line cannot swallow what the enclosing query writes after it."""
    return sql.strip() + "\n"


def with_ctes(*ctes: str, query: str = "") -> str:
    """``WITH`` and the pieces of ``ctes`` (each one or more ``name AS (...)``) separated by
    commas, then ``query``, the statement over them; the last piece may instead end in that
    statement itself (a file holding the last CTEs and the final SELECT). Every piece sits
    on lines of its own, so comments anywhere in it are safe."""
    return "WITH\n" + ",\n".join(piece(cte) for cte in ctes) + (piece(query) if query else "")


def quote_ident(name: str) -> str:
    """Quote an identifier (a column or schema name that may come from a user's file)."""
    return '"' + name.replace('"', '""') + '"'


def period_index_sql(period: Period, date_expr: str) -> str:
    """SQL for the running number of the period containing ``date_expr``.

    Consecutive periods have consecutive numbers, so "the previous period" is ``index - 1``.
    """
    if period == "week":
        return f"CAST(floor(date_diff('day', {_WEEK_ORIGIN}, {date_expr}) / 7) AS BIGINT)"
    if period == "month":
        return f"(year({date_expr}) * 12 + month({date_expr}) - 1)"
    if period == "quarter":
        return f"(year({date_expr}) * 4 + quarter({date_expr}) - 1)"
    if period == "year":
        return f"CAST(year({date_expr}) AS BIGINT)"
    raise ValueError(f"unknown period {period!r}")


def period_start_sql(period: Period, index_expr: str) -> str:
    """SQL for the first day of the period numbered ``index_expr`` (inverse of the index)."""
    i = index_expr
    if period == "week":
        return f"CAST({_WEEK_ORIGIN} + CAST(7 * ({i}) AS INTEGER) AS DATE)"
    if period == "month":
        return f"make_date(CAST(({i}) // 12 AS INTEGER), CAST(({i}) % 12 + 1 AS INTEGER), 1)"
    if period == "quarter":
        return (
            f"make_date(CAST(({i}) // 4 AS INTEGER), CAST((({i}) % 4) * 3 + 1 AS INTEGER), 1)"
        )
    if period == "year":
        return f"make_date(CAST({i} AS INTEGER), 1, 1)"
    raise ValueError(f"unknown period {period!r}")


def period_index(period: Period, day: date) -> int:
    """Python twin of :func:`period_index_sql`, for choosing periods outside SQL."""
    if period == "week":
        return (day - date(1970, 1, 5)).days // 7
    if period == "month":
        return day.year * 12 + day.month - 1
    if period == "quarter":
        return day.year * 4 + (day.month - 1) // 3
    if period == "year":
        return day.year
    raise ValueError(f"unknown period {period!r}")


def in_list(column: str, values: Sequence[str], prefix: str) -> tuple[str, dict[str, str]]:
    """``"column" IN ($p0, $p1, ...)`` with every value bound as a named parameter."""
    names = [f"{prefix}{n}" for n in range(len(values))]
    placeholders = ", ".join(f"${name}" for name in names)
    return f"{quote_ident(column)} IN ({placeholders})", dict(zip(names, values, strict=True))


def period_end_sql(period: Period, index_expr: str) -> str:
    """SQL for the last day of the period numbered ``index_expr``."""
    return f"CAST({period_start_sql(period, f'({index_expr}) + 1')} - 1 AS DATE)"


def days_between_sql(earlier: str, later: str) -> str:
    """SQL for the number of days from ``earlier`` to ``later`` (dates)."""
    return f"date_diff('day', {earlier}, {later})"


def add_days_sql(date_expr: str, days_expr: str) -> str:
    """SQL for the date ``days_expr`` days after ``date_expr``."""
    return f"CAST({date_expr} + CAST({days_expr} AS INTEGER) AS DATE)"


def integer_series_sql(low_expr: str, high_expr: str, column: str) -> str:
    """SQL select list producing one row per integer from ``low_expr`` to ``high_expr``."""
    return f"unnest(range({low_expr}, ({high_expr}) + 1)) AS {column}"


def period_start_of_index(period: Period, index: int) -> date:
    """Python twin of :func:`period_start_sql`: the first day of period number ``index``."""
    if period == "week":
        return date.fromordinal(date(1970, 1, 5).toordinal() + 7 * index)
    if period == "month":
        return date(index // 12, index % 12 + 1, 1)
    if period == "quarter":
        return date(index // 4, (index % 4) * 3 + 1, 1)
    if period == "year":
        return date(index, 1, 1)
    raise ValueError(f"unknown period {period!r}")


def sql_literal(text: str) -> str:
    """A constant of ours (a pattern, a format) as a SQL string literal. Never user text:
    that is bound as a parameter."""
    return "'" + text.replace("'", "''") + "'"


def add_months_sql(date_expr: str, months_expr: str) -> str:
    """SQL for the date ``months_expr`` calendar months after ``date_expr`` (a day the
    target month lacks becomes its last day: 31 Jan + 1 month = 28 or 29 Feb)."""
    return f"CAST({date_expr} + to_months(CAST({months_expr} AS INTEGER)) AS DATE)"
