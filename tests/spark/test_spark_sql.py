"""Each rewrite of metrics.engines.spark_sql on a tiny query, run on DuckDB as written and
on Spark as translated: both give the values worked out by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pytest

from metrics.engines.spark_sql import to_spark

pytestmark = pytest.mark.spark

# Four dates: a month end, a month start, a leap day and a Sunday at a year's start.
DAYS = "(VALUES (1, DATE '2024-01-31'), (2, DATE '2024-02-01'), (3, DATE '2024-02-29'), " \
       "(4, DATE '2023-01-01')) AS days(n, d)"


def both(spark: Any, sql: str, params: dict[str, Any] | None = None) -> tuple[list, list]:
    """The rows of ``sql`` on DuckDB and of its translation on Spark, as tuples."""
    params = params or {}
    on_duckdb = duckdb.connect().execute(sql, params).fetchall()
    on_spark = [tuple(row) for row in spark.sql(to_spark(sql), args=params).collect()]
    return on_duckdb, on_spark


def test_month_quarter_and_year_differences_count_boundaries(spark: Any) -> None:
    # 31 Jan to 1 Feb crosses one month boundary (Spark's own DATEDIFF(MONTH) says 0);
    # Q1 2023 to Q1 2024 is 4 quarters; 31 Dec 2023 to any day of 2024 is 1 year.
    sql = (f"SELECT n, date_diff('month', DATE '2024-01-31', d) AS m, "
           f"date_diff('quarter', DATE '2023-01-01', d) AS q, "
           f"date_diff('year', DATE '2023-12-31', d) AS y FROM {DAYS} ORDER BY n")
    expected = [(1, 0, 4, 1), (2, 1, 4, 1), (3, 1, 4, 1), (4, -12, 0, 0)]
    on_duckdb, on_spark = both(spark, sql)
    assert on_duckdb == expected
    assert on_spark == expected


def test_day_of_week_keeps_duckdbs_numbers(spark: Any) -> None:
    # 2024-01-31 is a Wednesday, 2024-02-01 a Thursday, 2024-02-29 a Thursday,
    # 2023-01-01 a Sunday: dow counts Sunday 0, isodow Monday 1 .. Sunday 7.
    sql = (f"SELECT n, date_part('dow', d), extract(isodow FROM d), dayofweek(d) "
           f"FROM {DAYS} ORDER BY n")
    expected = [(1, 3, 3, 3), (2, 4, 4, 4), (3, 4, 4, 4), (4, 0, 7, 0)]
    on_duckdb, on_spark = both(spark, sql)
    assert on_duckdb == expected
    assert on_spark == expected


def test_percentiles_interpolate_on_both(spark: Any) -> None:
    # 1, 2, 4, 10: the 0.9 quantile sits at position 0.9 * 3 = 2.7 between 4 and 10:
    # 4 + 0.7 * 6 = 8.2; the median halfway between 2 and 4.
    sql = ("SELECT quantile_cont(x, 0.9), median(x) "
           "FROM (VALUES (1), (2), (4), (10)) AS v(x)")
    on_duckdb, on_spark = both(spark, sql)
    for rows in (on_duckdb, on_spark):
        assert rows[0] == pytest.approx((8.2, 3.0), abs=1e-12)


def test_list_lengths(spark: Any) -> None:
    # three products of customer a (one twice), one of b
    sql = ("SELECT c, array_length(list(p)) FROM (VALUES ('a', 'x'), ('a', 'y'), ('a', 'x'),"
           " ('b', 'z')) AS v(c, p) GROUP BY c ORDER BY c")
    on_duckdb, on_spark = both(spark, sql)
    assert on_duckdb == on_spark == [("a", 3), ("b", 1)]


def test_adding_months_keeps_the_last_day(spark: Any) -> None:
    # 31 Jan + 1 month = 29 Feb 2024 (leap year); 29 Feb 2024 + 12 months = 28 Feb 2025
    sql = (f"SELECT n, CAST(d + to_months(CAST($months AS INTEGER)) AS DATE) "
           f"FROM {DAYS} WHERE n IN (1, 3) ORDER BY n")
    on_duckdb, on_spark = both(spark, sql, {"months": 1})
    assert on_duckdb == on_spark == [(1, date(2024, 2, 29)), (3, date(2024, 3, 29))]
    on_duckdb, on_spark = both(spark, sql, {"months": 12})
    assert on_duckdb == on_spark == [(1, date(2025, 1, 31)), (3, date(2025, 2, 28))]


def test_the_period_helpers_of_metrics_query_sql(spark: Any) -> None:
    # the DuckDB expressions every metric query is built from: week/month numbers, their
    # first and last days, a day count and a series (19 Feb 2024 is a Monday)
    from metrics.query.sql import (
        days_between_sql,
        integer_series_sql,
        period_end_sql,
        period_index_sql,
        period_start_sql,
    )

    sql = (f"SELECT {period_index_sql('week', 'd')} AS w, {period_index_sql('month', 'd')} m, "
           f"{period_start_sql('week', period_index_sql('week', 'd'))} AS ws, "
           f"{period_end_sql('quarter', period_index_sql('quarter', 'd'))} AS qe, "
           f"{days_between_sql('DATE ' + repr('2024-01-01'), 'd')} AS days "
           f"FROM {DAYS} WHERE n = 3")
    # 1970-01-05 to 2024-02-29: 19,778 days = 2825 weeks + 3 days; month 2024*12 + 1
    expected = [(2825, 24289, date(2024, 2, 26), date(2024, 3, 31), 59)]
    on_duckdb, on_spark = both(spark, sql)
    assert on_duckdb == on_spark == expected
    series = f"SELECT {integer_series_sql('2', '4', 'k')}"
    on_duckdb, on_spark = both(spark, series)
    assert on_duckdb == on_spark == [(2,), (3,), (4,)]
