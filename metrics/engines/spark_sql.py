"""DuckDB metric SQL to Spark SQL: sqlglot's translation plus the few rewrites the metric
SQL needs, after refusing what is outside the portable subset (metrics.engines.portable).

Each rewrite keeps DuckDB's meaning on Spark 4 (tested on both engines in
tests/test_spark_sql.py): sqlglot 30 alone would translate these silently into something
else or something Spark refuses. A list's length needs no rule of ours: the portable subset
writes array_length(), which sqlglot turns into Spark's size().
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar

import sqlglot
from sqlglot import exp
from sqlglot.dialects.spark import Spark
from sqlglot.generators.spark import SparkGenerator

from metrics.engines.portable import unportable_constructs
from metrics.errors import InputError
from metrics.i18n import t


def _percentile(node: exp.Expression) -> exp.Expression:
    """quantile_cont(x, p) and median(x) interpolate between the two nearest values, as
    Spark's percentile(x, p) does; sqlglot writes PERCENTILE_CONT(x, p), which Spark
    refuses. (DuckDB's quantile(x, p) is the discrete one: outside the portable subset.)"""
    if isinstance(node, exp.Median):
        return exp.Anonymous(this="percentile",
                             expressions=[node.this, exp.Literal.number("0.5")])
    if isinstance(node, exp.PercentileCont) and node.args.get("expression") is not None:
        return exp.Anonymous(this="percentile",
                             expressions=[node.this, node.args["expression"]])
    return node


# date_diff in these units counts the boundaries crossed (DuckDB: 31 Jan to 1 Feb is one
# month); Spark's DATEDIFF(MONTH, ...) counts whole months (none). The boundary count is
# the difference of the periods' running numbers.
_PERIOD_NUMBER: dict[str, Callable[[exp.Expression], exp.Expression]] = {
    "YEAR": lambda day: exp.Year(this=day),
    "QUARTER": lambda day: exp.Add(this=exp.Mul(this=exp.Year(this=day),
                                                expression=exp.Literal.number(4)),
                                   expression=exp.Quarter(this=day)),
    "MONTH": lambda day: exp.Add(this=exp.Mul(this=exp.Year(this=day),
                                              expression=exp.Literal.number(12)),
                                 expression=exp.Month(this=day)),
}


def _unit(node: exp.Expression) -> str:
    unit = node.args.get("unit")
    return unit.name.upper() if unit is not None else "DAY"


def _boundary_difference(node: exp.Expression) -> exp.Expression:
    if not isinstance(node, exp.DateDiff):
        return node
    number = _PERIOD_NUMBER.get(_unit(node))
    if number is None:
        return node
    later, earlier = node.this, node.expression
    return exp.Paren(this=exp.Sub(this=exp.Paren(this=number(later.copy())),
                                  expression=exp.Paren(this=number(earlier.copy()))))


def _day_of_week(node: exp.Expression) -> exp.Expression:
    """DuckDB numbers Sunday 0 to Saturday 6 (dow, dayofweek) or Monday 1 to Sunday 7
    (isodow); Spark's dayofweek numbers Sunday 1 to Saturday 7, its weekday Monday 0."""
    part, day = _date_part(node)
    if part in ("DOW", "DAYOFWEEK"):
        return exp.Paren(this=exp.Sub(this=exp.Anonymous(this="dayofweek", expressions=[day]),
                                      expression=exp.Literal.number(1)))
    if part == "ISODOW":
        return exp.Paren(this=exp.Add(this=exp.Anonymous(this="weekday", expressions=[day]),
                                      expression=exp.Literal.number(1)))
    return node


def _date_part(node: exp.Expression) -> tuple[str | None, exp.Expression | None]:
    """The part and the date of date_part('dow', d), extract(dow FROM d) or dayofweek(d)."""
    if isinstance(node, exp.DayOfWeek):
        return "DAYOFWEEK", node.this
    if isinstance(node, exp.Extract):
        return node.this.name.upper(), node.expression
    if (isinstance(node, exp.Anonymous) and node.name.lower() in ("date_part", "datepart")
            and len(node.expressions) == 2 and isinstance(node.expressions[0], exp.Literal)):
        return node.expressions[0].name.upper(), node.expressions[1]
    return None, None


def _add_months(node: exp.Expression) -> exp.Expression:
    """date + to_months(n) (metrics.query.sql.add_months_sql) is Spark's add_months(date,
    n): both give a day the target month lacks as its last day (31 Jan + 1 = 28/29 Feb)."""
    if not isinstance(node, exp.Add):
        return node
    months = node.expression
    if isinstance(months, exp.Anonymous) and months.name.lower() == "to_months":
        return exp.Anonymous(this="add_months", expressions=[node.this, *months.expressions])
    return node


def _floating_division(node: exp.Expression) -> exp.Expression:
    """DuckDB's ``/`` always divides in floating point (decimals too: 10 / 3.0 is
    3.3333333333333335); Spark divides decimals as decimals, rounded to a few places."""
    if not isinstance(node, exp.Div) or node.this.is_type(exp.DataType.Type.DOUBLE):
        return node
    return exp.Div(this=exp.cast(node.this, exp.DataType.Type.DOUBLE),
                   expression=node.expression)


# The rewrites, applied to every node of a parsed query (bottom up) before it is written as
# Spark SQL.
REWRITES: tuple[Callable[[exp.Expression], exp.Expression], ...] = (
    _percentile, _boundary_difference, _day_of_week, _add_months, _floating_division,
)


class _NestedSpark(Spark):
    """Spark SQL with WITH inside subqueries, as Spark 3 and later read it: sqlglot writes
    for Hive and moves every CTE to the top, where two CTEs of one name (a nested query's
    own "filtered", say) collide, or one shadows the other."""

    class Generator(SparkGenerator):
        EXPRESSIONS_WITHOUT_NESTED_CTES: ClassVar[set[type[exp.Expr]]] = set()


def _rewrite(node: exp.Expression) -> exp.Expression:
    for rewrite in REWRITES:
        node = rewrite(node)
    return node


def _rename_tables(tree: exp.Expression, tables: Mapping[tuple[str, str], str]) -> None:
    """Point each ``schema.table`` of the DuckDB store at the engine's name for it."""
    for table in tree.find_all(exp.Table):
        name = tables.get((table.db, table.name))
        if name is not None:
            replacement = exp.to_table(name, dialect="spark")
            if table.alias:
                replacement.set("alias", table.args["alias"])
            table.replace(replacement)


def to_spark(sql: str, tables: Mapping[tuple[str, str], str] | None = None) -> str:
    """``sql`` (DuckDB, ``$name`` parameters) as Spark SQL (``:name`` parameters).

    Parameters
    ----------
    sql
        One metric query, composed and with its placeholders filled.
    tables
        The Spark name of each ``(schema, table)`` the query reads, e.g.
        ``("ds_0123", "orders") -> "loyaltylens_orders"``.

    Raises
    ------
    InputError
        The query uses a construct outside the portable subset
        (:data:`metrics.engines.portable.UNPORTABLE`).
    """
    found = unportable_constructs(sql)
    if found:
        raise InputError(t("This computation uses {construct}, which cannot run on Spark: "
                           "{reason}. Run it on the built-in engine (without --engine spark).",
                           construct=found[0].name, reason=found[0].reason))
    tree = sqlglot.parse_one(sql, read="duckdb")
    tree = tree.transform(_rewrite)
    _rename_tables(tree, tables or {})
    # without the comments: the SQL Spark parses and logs is a third as long
    return tree.sql(dialect=_NestedSpark, comments=False)
