"""The two cohort queries (general and from the stored history, guarded by the equivalence
test in tests/test_retention.py) share their final SELECT (sql/cohort_grid.sql) and the
conditions that keep the date range's cohorts and cells, one piece each
(sql/cohort_condition_*.sql), instead of a copy in each."""

from __future__ import annotations

import re

from metrics.query.filters import Filters
from metrics.query.segments import history_holds
from metrics.query.sql import load_sql
from metrics.retention import cohort_query
from tests.builders import small_store

CELLS = ("cohort_cells", "cohort_cells_from_history")


def _code(sql: str) -> str:
    """The SQL without its ``--`` comments."""
    return re.sub(r"--[^\n]*", "", sql)


def test_neither_cohort_query_writes_a_range_condition_of_its_own() -> None:
    for name in CELLS:
        assert "BETWEEN" not in _code(load_sql(name)), name
        assert "FROM" in _code(load_sql(name))  # the file's code, not only comments


def test_both_cohort_queries_use_the_one_piece_of_each_condition() -> None:
    _, dataset = small_store()
    web = Filters(segments=Filters.segment_items({"channel": ["web"]}))
    assert history_holds(dataset, Filters()) and not history_holds(dataset, web)
    cohort = _code(load_sql("cohort_condition_cohort_in_range")).strip()
    cell = _code(load_sql("cohort_condition_cell_in_range")).strip()
    for filters, columns in ((Filters(), ("period_index", "cohort_index")),
                             (web, ("a.period_index", "m.cohort_index"))):
        sql, _ = cohort_query(dataset, filters)
        assert cohort.format(cohort="cohort_index") in sql
        assert cell.format(period=columns[0], cohort=columns[1]) in sql
