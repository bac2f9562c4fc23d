"""The portable subset: every metric SQL file stays inside it, and each construct outside
it is found (in a file and in a composed query) and refused before reaching Spark."""

from __future__ import annotations

import pytest

from metrics.engines.portable import (
    DUCKDB_ONLY_PREFIXES,
    UNPORTABLE,
    checked_files,
    unportable_constructs,
)
from metrics.engines.spark_sql import to_spark
from metrics.errors import InputError
from metrics.query.sql import SQL_DIR, load_sql


def test_every_metric_sql_file_is_portable() -> None:
    files = checked_files(SQL_DIR)
    found = {path.name: [rule.name for rule in unportable_constructs(load_sql(path.stem))]
             for path in files}
    assert {name: rules for name, rules in found.items() if rules} == {}
    # every file but the ingest's and the export's is checked (they run on DuckDB only)
    all_files = sorted(SQL_DIR.glob("*.sql"))
    assert len(files) == len([p for p in all_files
                              if not p.name.startswith(("ingest_", "export_"))])
    assert DUCKDB_ONLY_PREFIXES == ("ingest_", "export_")
    assert len(files) > 90


# One example of each construct, in DuckDB SQL as a metric file would write it, and a
# neighbour that is portable.
EXAMPLES = {
    "QUALIFY": ("SELECT c FROM t QUALIFY row_number() OVER (ORDER BY d) = 1",
                "SELECT c FROM (SELECT c, row_number() OVER (ORDER BY d) AS n FROM t) "
                "WHERE n = 1"),
    "ASOF JOIN": ("SELECT * FROM a ASOF JOIN b ON a.d >= b.d",
                  "SELECT * FROM a JOIN b ON a.d >= b.d"),
    "PIVOT": ("PIVOT t ON channel USING sum(amount)",
              "SELECT sum(amount) FILTER (WHERE channel = 'web') FROM t"),
    "ordered list()": ("SELECT list(product ORDER BY order_date) FROM t",
                       "SELECT list(product) FROM t"),
    "len()": ("SELECT len(list(product)) FROM t",
              "SELECT array_length(list(product)), length(product) FROM t"),
    "date_diff in other units": ("SELECT date_diff('week', a, b) FROM t",
                                 "SELECT date_diff('month', a, b) FROM t"),
    "date_part in other units": ("SELECT date_part('doy', d), extract(week FROM d) FROM t",
                                 "SELECT date_part('dow', d), extract(month FROM d) FROM t"),
    "quantile_disc()": ("SELECT quantile_disc(x, 0.5), quantile(x, 0.5) FROM t",
                        "SELECT quantile_cont(x, 0.5) FROM t"),
}


def test_each_rule_has_an_example_and_a_reason() -> None:
    assert sorted(EXAMPLES) == sorted(rule.name for rule in UNPORTABLE)
    assert all(len(rule.reason) > 40 for rule in UNPORTABLE)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_construct_is_found_and_its_portable_neighbour_is_not(name: str) -> None:
    unportable, portable = EXAMPLES[name]
    assert [rule.name for rule in unportable_constructs(unportable)] == [name]
    assert unportable_constructs(portable) == []


def test_a_construct_in_a_comment_or_a_string_is_not_code() -> None:
    sql = "-- no QUALIFY here, nor len(x)\nSELECT 'ASOF JOIN' AS words FROM t"
    assert unportable_constructs(sql) == []


def test_a_file_with_placeholders_is_read_too() -> None:
    # a metric file is a template: the check reads its tokens, no parse is needed
    sql = "WITH\n{responses}\nSELECT {value} AS x FROM responses QUALIFY x = 1"
    assert [rule.name for rule in unportable_constructs(sql)] == ["QUALIFY"]


def test_an_unportable_query_is_refused_before_spark_sees_it() -> None:
    with pytest.raises(InputError, match=r"uses QUALIFY, which cannot run on Spark"):
        to_spark("SELECT c FROM t QUALIFY row_number() OVER (ORDER BY d) = 1")


def test_tables_and_parameters_are_translated() -> None:
    spark_sql = to_spark('SELECT o.amount FROM "ds_ab12"."orders" AS o WHERE o.day >= $start',
                         {("ds_ab12", "orders"): "shop.orders"})
    assert spark_sql == "SELECT o.amount FROM shop.orders AS o WHERE o.day >= :start"


def test_a_nested_with_stays_nested() -> None:
    # sqlglot writes Spark as Hive and hoists nested CTEs to the top, where the two "a"
    # collide (Spark refuses the query) or the inner one is read for the outer
    spark_sql = to_spark("WITH a AS (SELECT 1 AS x) SELECT x FROM a "
                         "WHERE x NOT IN (WITH a AS (SELECT 2 AS x) SELECT x FROM a)")
    assert spark_sql == ("WITH a AS (SELECT 1 AS x) SELECT x FROM a "
                         "WHERE NOT x IN (WITH a AS (SELECT 2 AS x) SELECT x FROM a)")


def test_division_is_floating_point_as_on_duckdb() -> None:
    # DuckDB's 10 / 3.0 is the double 3.3333333333333335; Spark would divide decimals
    assert to_spark("SELECT a / 3.0 FROM t") == "SELECT CAST(a AS DOUBLE) / 3.0 FROM t"
