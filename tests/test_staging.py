"""An upload staged in a child process and stored from there stores exactly what a direct
ingest stores; a dataset changed in between is refused; the CLI's ingest runs isolated."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from metrics.errors import DatasetNotFound, InputError
from metrics.ingest import IngestReport, ingest_file, matches_of_file_customers
from metrics.isolation import MEMORY_ENV_VAR
from metrics.staging import stage_isolated, store_staged
from metrics.store import Store
from tests.builders import SMALL_ORDERS, write_csv
from tests.test_cli import run

LINES = [("Order", "Customer", "Date", "Total", "Product"),
         ("1", "A", "2024-01-05", "100", "tea"), ("1", "", "", "", "cup"),
         ("2", "B", "2024-02-05", "40", "tea")]


def tables(store: Store, name: str) -> dict[str, pd.DataFrame]:
    """Every stored table of a dataset, with its catalogue entry's rows and segments."""
    dataset = store.dataset(name)
    with store.cursor() as cursor:  # in a fixed order: DuckDB writes in parallel
        return {kind: cursor.execute(f"SELECT * FROM {dataset.table(kind)} ORDER BY ALL").df()
                for kind in dataset.tables} | {
            "catalogue": pd.DataFrame([(i.kind, i.rows, i.segment_columns, i.first_date,
                                        i.last_date, i.mapping == {} or i.mapping)
                                       for i in dataset.tables.values()]).sort_values(0)}


def without_ids(report: IngestReport) -> IngestReport:
    return dataclasses.replace(report, dataset_id=None, dry_run=False)


def test_a_staged_upload_stores_what_a_direct_ingest_stores(tmp_path: Path) -> None:
    lines = write_csv(tmp_path / "lines.csv", LINES[0], LINES[1:])
    with Store(tmp_path / "direct.duckdb") as direct, \
            Store(tmp_path / "staged.duckdb") as staged_store:
        for store in (direct, staged_store):
            ingest_file(store, SMALL_ORDERS, dataset="Small shop", currency="EUR")
        # a new dataset, then new orders (with order lines) replacing the small shop's
        for path, name, replace in ((SMALL_ORDERS, "Copy", False),
                                    (lines, "Small shop", True)):
            expected = ingest_file(direct, path, dataset=name, replace=replace)
            folder = tmp_path / f"stage-{name}"
            folder.mkdir()
            staged = stage_isolated(staged_store, path, folder, dataset=name, replace=replace)
            assert staged.report.dry_run
            assert (staged.report.dataset_id is None) == (name == "Copy")
            stored = store_staged(staged_store, staged)
            assert without_ids(stored) == without_ids(expected)
            assert stored.dataset_id == staged_store.dataset(name).id
            assert not folder.exists()  # the staged tables are gone once stored
            for kind, frame in tables(direct, name).items():
                pd.testing.assert_frame_equal(tables(staged_store, name)[kind], frame)


def test_dropping_the_order_lines_when_orders_without_them_replace_them(tmp_path: Path
                                                                       ) -> None:
    lines = write_csv(tmp_path / "lines.csv", LINES[0], LINES[1:])
    with Store(tmp_path / "shop.duckdb") as store:
        ingest_file(store, lines, dataset="Shop")
        assert set(store.dataset("Shop").tables) == {"orders", "order_items"}
        folder = tmp_path / "stage"
        folder.mkdir()
        store_staged(store, stage_isolated(store, SMALL_ORDERS, folder, dataset="Shop",
                                           replace=True))
        assert set(store.dataset("Shop").tables) == {"orders"}
        assert store.dataset("Shop").tables["orders"].rows == 11


def test_a_dataset_changed_since_the_file_was_checked_stores_nothing(tmp_path: Path) -> None:
    with Store(tmp_path / "shop.duckdb") as store:
        folder = tmp_path / "stage"
        folder.mkdir()
        staged = stage_isolated(store, SMALL_ORDERS, folder, dataset="Shop")
        # another session stores a dataset of that name meanwhile
        ingest_file(store, SMALL_ORDERS, dataset="Shop", currency="RON")
        before = tables(store, "Shop")
        with pytest.raises(InputError) as refused:
            store_staged(store, staged)
        assert refused.value.message == ("The dataset “Shop” changed while the file was "
                                         "checked: check the file again, then store it.")
        assert [d.name for d in store.datasets()] == ["Shop"]
        for kind, frame in before.items():
            pd.testing.assert_frame_equal(tables(store, "Shop")[kind], frame)


def test_a_refused_file_comes_back_with_its_own_sentence(tmp_path: Path) -> None:
    empty = write_csv(tmp_path / "empty.csv", ["customer_id", "order_date", "amount"], [])
    with Store(tmp_path / "shop.duckdb") as store:
        folder = tmp_path / "stage"
        folder.mkdir()
        with pytest.raises(InputError) as refused:
            stage_isolated(store, empty, folder, dataset="Shop")
        assert refused.value.message == "empty.csv has a header row but no data rows."
        assert store.datasets() == []


def test_the_cli_ingest_out_of_memory_says_so_and_keeps_the_datasets(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "cli.duckdb"
    assert run("ingest", str(SMALL_ORDERS), "--dataset", "Small", db=db).returncode == 0
    # a third of a gigabyte of address space: the child's DuckDB cannot even open the file
    monkeypatch.setenv(MEMORY_ENV_VAR, "0.3")
    result = run("ingest", str(SMALL_ORDERS), "--dataset", "Again", db=db)
    assert result.returncode == 2
    # the last line is the user's sentence (the details are logged above it)
    assert result.stderr.splitlines()[-1] == (
        "error: Reading orders_small.csv needed more memory than an upload may use (0.3 GB), "
        "and was stopped; nothing was stored. Upload a smaller file (fewer rows or "
        "columns).")
    with Store(db) as store:
        assert [d.name for d in store.datasets()] == ["Small"]
        assert store.dataset("Small").tables["orders"].rows == 11


def test_matching_survey_customers_says_so_when_a_dataset_was_deleted_meanwhile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the small shop's customers are A to E: a file of A, B and Z matches 2 of its 3 rows
    customers = tmp_path / "customers.parquet"
    pd.DataFrame({"customer_id": ["A", "B", "Z"]}).to_parquet(customers)
    with Store(tmp_path / "db") as store:
        for name in ("Shop one", "Shop two"):
            ingest_file(store, SMALL_ORDERS, dataset=name, currency="EUR")
        assert [(m.dataset_name, m.matched, m.rows)
                for m in matches_of_file_customers(store, customers)] == [
            ("Shop two", 2, 3), ("Shop one", 2, 3)]
        listed = store.datasets()  # what the page listed, before another user deleted one
        with Store(tmp_path / "db") as other:
            other.delete_dataset("Shop one")
        calls = iter([listed])
        monkeypatch.setattr(store, "datasets", lambda: next(calls, None) or Store.datasets(
            store))
        with pytest.raises(DatasetNotFound) as deleted:
            matches_of_file_customers(store, customers)
    assert str(deleted.value) == ("The dataset was deleted while this was being computed: "
                                  "pick another dataset.")
