"""The ingest's size limits: too many columns, too long a line, too many rows, each refused
in one sentence with nothing stored; a file at the column limit ingests in little memory."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import metrics.limits
from metrics.errors import InputError
from metrics.ingest import ingest_file, inspect_file
from metrics.readers import SAMPLE_BYTES
from metrics.store import MEMORY_ENV_VAR, Store
from tests.builders import SMALL_ORDERS, write_csv
from tests.corpus import stored_orders


def wide_csv(folder: Path, columns: int, rows: int = 3) -> Path:
    """Orders with ``columns`` columns: the three roles, then text columns each holding
    three values (v0, v1, v2), so every one of them is a segment dimension."""
    extra = columns - 3
    return write_csv(
        folder / f"wide-{columns}.csv",
        ["customer_id", "order_date", "amount", *(f"x{i}" for i in range(extra))],
        [[f"c{r}", f"2024-01-{r + 1:02d}", "10.50", *(f"v{(r + i) % 3}" for i in range(extra))]
         for r in range(rows)])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A store holding the small shop, which a refused file must leave as it is."""
    store = Store(tmp_path / "limits.duckdb")
    ingest_file(store, SMALL_ORDERS, dataset="Small shop", currency="EUR")
    return store


def assert_only_the_small_shop(store: Store) -> None:
    assert [d.name for d in store.datasets()] == ["Small shop"]
    # orders_small.csv: 11 rows, customers A to E, 10 orders and a refund of 30
    assert stored_orders(store, store.dataset("Small shop")) == (11, 5, 10, Decimal("710.00"))


@pytest.mark.parametrize("columns", [3003, 2003, 201])
def test_a_file_with_too_many_columns_is_refused_in_one_sentence(
        store: Store, tmp_path: Path, columns: int) -> None:
    path = wide_csv(tmp_path, columns)
    sentence = (f"wide-{columns}.csv has {columns:,} columns; LoyaltyLens reads files of up "
                f"to 200 columns. Export only the columns you need (the ids, dates, amounts "
                f"and a few segments) and upload that file.")
    with pytest.raises(InputError) as refused:
        inspect_file(path)
    assert refused.value.message == sentence
    for dry_run in (True, False):
        with pytest.raises(InputError) as refused:
            ingest_file(store, path, dataset="Wide", dry_run=dry_run)
        assert refused.value.message == sentence
    assert_only_the_small_shop(store)


def test_a_file_at_the_column_limit_ingests_in_little_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # One count(DISTINCT) per column in one query took several MB each: 197 of them ran
    # out of 256 MB before the segment detection counted a few columns at a time.
    monkeypatch.setenv(MEMORY_ENV_VAR, "256MB")
    with Store(tmp_path / "wide.duckdb") as store:
        report = ingest_file(store, wide_csv(tmp_path, 200), dataset="Wide")
        assert (report.rows_read, report.rows_stored) == (3, 3)
        # every extra column holds three texts: a segment each, in the file's order
        assert report.segment_columns == [f"x{i}" for i in range(197)]
        assert store.dataset("Wide").tables["orders"].segment_columns == tuple(
            f"x{i}" for i in range(197))


def test_a_line_longer_than_the_limit_is_refused(store: Store, tmp_path: Path) -> None:
    comment = "a" * (512 * 1024 + 1)  # one character over 512 KB
    path = write_csv(tmp_path / "long.csv", ["customer_id", "order_date", "amount", "note"],
                     [["c1", "2024-01-01", "10", comment]])
    with pytest.raises(InputError) as refused:
        ingest_file(store, path, dataset="Long")
    assert refused.value.message == (
        "long.csv has a line longer than LoyaltyLens reads (over 512 KB): it is probably not "
        "a CSV export. Export the data again as CSV or .xlsx.")
    assert_only_the_small_shop(store)


def test_a_long_line_past_the_sample_is_refused_by_the_reader(store: Store, tmp_path: Path
                                                              ) -> None:
    # the first 1 MB (the sample) has short lines only: DuckDB's reader meets the long one
    rows = [["c1", "2024-01-01", "10", "short"]] * 60_000
    path = write_csv(tmp_path / "late.csv", ["customer_id", "order_date", "amount", "note"],
                     [*rows, ["c2", "2024-01-02", "10", "b" * (600 * 1024)]])
    assert path.stat().st_size - 600 * 1024 > SAMPLE_BYTES  # the long line starts past it
    with pytest.raises(InputError, match="over 512 KB"):
        ingest_file(store, path, dataset="Late")
    assert_only_the_small_shop(store)


def test_a_file_with_more_rows_than_the_limit_is_refused(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics.limits, "MAX_ROWS", 10)
    path = write_csv(tmp_path / "rows.csv", ["customer_id", "order_date", "amount"],
                     [[f"c{n}", "2024-01-01", "10"] for n in range(11)])
    with pytest.raises(InputError) as refused:
        ingest_file(store, path, dataset="Rows")
    assert refused.value.message == (
        "rows.csv has 11 rows; LoyaltyLens reads files of up to 10 rows. Export a shorter "
        "period (for example the last years) and upload that file.")
    assert_only_the_small_shop(store)
    # ten rows are within the limit
    write_csv(path, ["customer_id", "order_date", "amount"],
              [[f"c{n}", "2024-01-01", "10"] for n in range(10)])
    assert ingest_file(store, path, dataset="Rows").rows_stored == 10
