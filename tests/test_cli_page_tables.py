"""``loyaltylens kpis`` reads the KPI table stored with the orders (metrics/page_aggregates.py)
when it answers the command's filters, through the reader the Overview uses
(metrics.kpis.kpi_source), and prints exactly what the KPI query gives; any other filter
state runs the query (issue 22: kpis on a million orders within 3x a scan of them)."""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

import metrics.kpis
from metrics.cli import main
from metrics.ingest import ingest_file
from metrics.kpis import KPI_COLUMNS, kpi_query, kpi_rows
from metrics.page_aggregates import STORED_PERIODS, add_page_aggregates
from metrics.query.filters import Filters
from metrics.query.stored_pages import stored_kpi_query
from metrics.store import Dataset, Store
from tests.builders import cdnow_csv
from tests.test_page_aggregates import without_page_tables

# The sample SD adds floats in whatever order the engine's threads meet them: equal to 12
# significant digits (as in tests/test_kpis_history.py); every other value exactly.
NOISY = "order_value_sd"


@pytest.fixture(scope="module")
def cdnow_tables(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Dataset]]:
    """CDNOW (6,919 orders, under the size that stores page tables) with them forced."""
    store = Store(":memory:")
    ingest_file(store, cdnow_csv(tmp_path_factory.mktemp("cdnow")), dataset="CDNOW")
    add_page_aggregates(store, store.dataset("CDNOW"))
    yield store, store.dataset("CDNOW")
    store.close()


@pytest.fixture(scope="module")
def demo_stores(demo_db_template: Path, tmp_path_factory: pytest.TempPathFactory
                ) -> tuple[Path, Path]:
    """Two copies of the demo: as stored (no page tables), and with them forced."""
    folder = tmp_path_factory.mktemp("demo-cli-pages")
    plain, tables = folder / "plain.duckdb", folder / "tables.duckdb"
    shutil.copytree(demo_db_template, plain)
    shutil.copytree(demo_db_template, tables)
    with Store(tables) as store:
        add_page_aggregates(store, store.dataset("Demo shop"))
    return plain, tables


def _states(dataset: Dataset, period: str) -> list[tuple[Filters, bool]]:
    """Filter states of the command, each with whether the stored KPI table answers it."""
    first = dataset.tables["orders"].first_date
    last = dataset.tables["orders"].last_date
    assert first is not None and last is not None
    middle = first + (last - first) / 2
    return [
        (Filters(period=period), True),  # the command's defaults
        (Filters(period=period, start=middle), True),
        (Filters(period=period, start=middle, end=middle + timedelta(days=100)), True),
        (Filters(period=period, start=date(first.year - 1, 1, 1)), False),  # before the data
        (Filters(period=period, inactivity_days=45), False),  # a window not stored
    ]


class _Ran:
    """The SQL of every query kpi_rows runs (``metrics.kpis.query_columns_rows``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sql: list[str] = []
        real = metrics.kpis.query_columns_rows

        def recording(store: Store, sql: str, params: dict[str, Any]) -> Any:
            self.sql.append(sql)
            return real(store, sql, params)

        monkeypatch.setattr(metrics.kpis, "query_columns_rows", recording)


def _stored_sql(dataset: Dataset, filters: Filters) -> str | None:
    found = stored_kpi_query(dataset, filters, KPI_COLUMNS,
                             lambda whole: kpi_query(dataset, whole)[0])
    return None if found is None else found[0]


def _same_rows(columns: tuple[str, ...], rows: list[tuple[Any, ...]],
               expected: list[tuple[Any, ...]]) -> None:
    assert len(rows) == len(expected) > 0
    noisy = columns.index(NOISY)
    for row, other in zip(rows, expected, strict=True):
        assert [type(v) for v in row] == [type(v) for v in other]
        assert row[:noisy] + row[noisy + 1:] == other[:noisy] + other[noisy + 1:]
        assert (row[noisy] is None and other[noisy] is None) or math.isclose(
            row[noisy], other[noisy], rel_tol=1e-12)


@pytest.mark.parametrize("period", STORED_PERIODS)
def test_kpi_rows_read_the_stored_table_where_it_answers_and_equal_the_query(
        cdnow_tables: tuple[Store, Dataset], period: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    store, dataset = cdnow_tables
    ran = _Ran(monkeypatch)
    for filters, answered in _states(dataset, period):
        ran.sql.clear()
        columns, rows = kpi_rows(store, dataset, filters)
        stored_sql = _stored_sql(dataset, filters)
        assert (stored_sql is not None) == answered
        # the path it claims: the stored table's query, else the KPI query
        assert ran.sql == [stored_sql if answered else kpi_query(dataset, filters)[0]]
        queried = without_page_tables(dataset)  # as stored before the page tables
        ran.sql.clear()
        expected_columns, expected = kpi_rows(store, queried, filters)
        assert ran.sql == [kpi_query(queried, filters)[0]]
        assert columns == expected_columns == KPI_COLUMNS
        _same_rows(columns, rows, expected)


@pytest.mark.parametrize("options", [
    [],  # the defaults: month, W = 90, the whole data
    ["--period", "week", "--start", "2024-03-15"],
    ["--period", "quarter", "--end", "2024-06-30", "--format", "csv"],
])
def test_kpis_prints_the_same_from_the_page_tables_as_from_the_query(
        demo_stores: tuple[Path, Path], options: list[str],
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    plain, tables = demo_stores
    ran = _Ran(monkeypatch)
    printed = []
    for db in (plain, tables):
        assert main(["--db", str(db), "kpis", "--dataset", "Demo shop", *options]) == 0
        printed.append(capsys.readouterr().out)
    with Store(tables) as store:
        dataset = store.dataset("Demo shop")
        assert dataset.tables["orders"].page_aggregates  # forced: the demo is small
    assert "page_kpis" not in ran.sql[0] and "page_kpis" in ran.sql[1]
    assert ran.sql[1] == _stored_sql(dataset, Filters(
        period=options[1] if options else "month",
        start=date(2024, 3, 15) if "--start" in options else None,
        end=date(2024, 6, 30) if "--end" in options else None))
    if "csv" in options:
        queried, stored = ([line.split(",") for line in out.splitlines()] for out in printed)
        noisy = queried[0].index(NOISY)
        assert [row[:noisy] + row[noisy + 1:] for row in stored] == [
            row[:noisy] + row[noisy + 1:] for row in queried]
        assert all(math.isclose(float(a[noisy] or 0), float(b[noisy] or 0), rel_tol=1e-12)
                   for a, b in zip(stored[1:], queried[1:], strict=True))
        return
    queried_rows, stored_rows = (json.loads(out) for out in printed)
    assert len(stored_rows) == len(queried_rows) > 1
    for row, other in zip(stored_rows, queried_rows, strict=True):
        assert list(row) == list(other)  # every field, in its place
        sd, other_sd = row.pop(NOISY), other.pop(NOISY)
        assert row == other
        assert (sd is None and other_sd is None) or math.isclose(sd, other_sd, rel_tol=1e-12)
