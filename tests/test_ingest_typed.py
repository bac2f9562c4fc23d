"""The typed fast path of the ingest: values the engine reads as they stand are cast by it
directly, only the others are cleaned; every table stored either way is the same, row for
row, and so is the report."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from metrics import ingest as ingest_module
from metrics.ingest import IngestReport, ingest_file
from metrics.parsing import DATE_FORMATS, EXCEL_SERIAL, cleaned_date_sql, date_sql
from metrics.store import Store
from tests.builders import write_csv
from tests.corpus import CEDILLA, Style, write_orders

TODAY = date(2025, 6, 1)


def test_the_typed_reading_of_dates_reads_what_the_cleaning_reads() -> None:
    # date_sql reads a date written exactly in the format directly and cuts the date part
    # off the others first; on 20,000 random strings over the characters dates are written
    # with (digits, separators, a time, a zone, spaces of several kinds) and on real dates
    # with a time or junk after them, both give the same day (or both none), in every format
    rng = random.Random(20261205)
    alphabet = list("0123456789") * 4 + list("-./ T:+Z") + ["\u00a0", "\u202f", "\t", "x"]
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 19)))
              for _ in range(20_000)]
    tails = ["", " ", "T10:30:00", "T23:30:00+02:00", " 08:15", " 08:15:00-05:00", "\u00a0",
             "x", "  ", " T", "0", ".", "T"]
    days = [date(1990, 1, 1) + timedelta(days=rng.randint(0, 15_000)) for _ in range(2_000)]
    formats = [fmt for fmt in DATE_FORMATS if fmt != EXCEL_SERIAL]
    values += [rng.choice(["", " ", "\u00a0"]) + day.strftime(fmt) + rng.choice(tails)
               for day in days for fmt in formats[:1]] + [
        day.strftime(fmt) + rng.choice(tails) for day in days[:300] for fmt in formats]
    values += ["2025-1-5", "5.1.2025", "05. 1.2025", "2025- 01-05", " 2025-01-05", "2025-02-30",
               "2025-01-05 ", "20250105", "2025-01-05T", "T2025-01-05", "infinity", "epoch"]
    with duckdb.connect() as connection:
        connection.execute("CREATE TABLE t AS SELECT unnest($v) AS text", {"v": values})
        for fmt in formats:
            differ = connection.execute(
                f"SELECT count(*), min(text) FROM t WHERE {date_sql('text', fmt)} "
                f"IS DISTINCT FROM {cleaned_date_sql('text', fmt)}").fetchone()
            typed = connection.execute(
                f"SELECT count({date_sql('text', fmt)}) FROM t").fetchone()
            assert differ == (0, None), (fmt, differ)
            assert typed is not None and typed[0] >= 200, fmt  # most of the real dates


# -- the same stored tables either way ---------------------------------------------------

def _mixed_point(path: Path) -> Path:
    """Orders with a decimal point: plain ISO dates and amounts, and among them rows that
    need cleaning (a time and a zone, currency signs, grouped thousands, an accounting
    negative), rows that cannot be used (no date, no number, short, long, in the future,
    before 1990), a spelling of a customer id, a segment column."""
    lines = ["Customer,Order date,Amount,Channel",
             "a,2025-01-03,100.50,web", "b,2025-01-04,20,shop",
             "a,2025-01-05T10:30:00+02:00,$1,234.50,web", "c, 2025-01-06 ,(20.00),shop",
             "A ,2025-01-07,\"1,000\",web", "d,2025-13-01,5,web", "e,2025-01-08,lots,web",
             "f,2025-01-09", "g,2025-01-09,5,web,extra", "h,2099-01-01,5,web",
             "i,1989-12-31,5,shop", "j,,5,web", "k,2025-02-01,,shop", "a,2025-02-01,-15.5,web",
             "l,2025/02/01,7,shop", "m,2025-02-02 08:15,8.25 USD,shop", "c,2025-02-03,1e2,web"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _mixed_comma(path: Path) -> Path:
    """Orders with a decimal comma and day-first dates, plain and with the usual noise."""
    lines = ["Client;Data;Suma;Oraș",
             "a;03.01.2025;100,50;Iași", "b;04.01.2025;1 234,50;Cluj",
             "a;05.01.2025 10:30;1.234,50;Iași", "c;06.01.2025;80,00 lei;Cluj",
             "d;31.02.2025;5;Iași", "e;07.01.2025;abc;Iași", "f;08.01.2025;−12,00;Cluj",
             "g;09.01.2025;12.345;Cluj", "h;2025-01-10;5;Iași", "i;10.01.2025;7,5 RON;Iași"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _lost_letters(path: Path) -> Path:
    """A Windows-1250 export where a letter the code page lacks became "?"."""
    style = Style(encoding="cp1250", delimiter=";", names=lambda s: s.translate(CEDILLA),
                  amount=lambda a: f"{a:.2f}".replace(".", ","))
    write_orders(path, style)
    path.write_bytes(path.read_bytes().replace("Iaşi".encode("cp1250"), b"Ia?i", 1))
    return path


def _shopify(path: Path) -> Path:
    return write_csv(path, ("Name", "Email", "Created at", "Total", "Lineitem name",
                            "Lineitem quantity"), [
        ("#1001", "ana@x.ro", "2025-01-03 10:15:00 +0200", "150.00", "Tricou", "2"),
        ("#1001", "", "", "", "Cană", "1"),
        ("#1002", "ion@x.ro", "2025-01-04 11:00:00 +0200", "40.00", "Cană", "1"),
        ("#1003", "ana@x.ro", "2025-02-01", "-150.00", "Tricou", "x"),
        ("#1004", "dan@x.ro", "2025-02-02", "1,050.00", "Tricou", "1")])


def _customers(path: Path) -> Path:
    return write_csv(path, ("Клиент", "Дата регистрации", "Страна", "Стоимость привлечения"), [
        ("a", "01.12.2024", "Молдова", "12,50"), ("b", "02.12.2024 10:00", "România", "1 200"),
        ("c", "31.11.2024", "România", "3"), ("", "04.12.2024", "România", "4")])


def _subscriptions(path: Path) -> Path:
    return write_csv(path, ("customer_id", "start_date", "end_date", "plan", "mrr"), [
        ("a", "2024-01-01", "", "Pro", "19.90"), ("b", "2024-02-01", "2024-06-30", "Basic",
                                                  "$9.90"),
        ("c", "2024-02-01T00:00:00Z", "soon", "Basic", "9.90")])


def _responses(path: Path) -> Path:
    return write_csv(path, ("Date", "NPS", "CSAT", "Comment", "Customer"), [
        ("2025-01-10", "10", "5", "=cmd()", "a"), ("2025-01-11", "6", "", "", "b"),
        ("2025-01-12", "11", "4", "too high", "c"), ("2025-01-13", "7.5", "", "", "c"),
        ("2025-01-14", "", "", "no score", "c"), ("2025-01-15 09:00", "9,0", "3", "", "d")])


def _spend(path: Path) -> Path:
    return write_csv(path, ("Дата", "Расход", "Канал"), [
        ("01.01.2025", "1 000,00", "Google"), ("01.01.2025", "500,50", "Meta"),
        ("02.01.2025", "200", "Meta")])


# (file, kind, ingest options): the messy corpus, every table kind
CORPUS: dict[str, tuple[Callable[[Path], Path], str, dict[str, Any]]] = {
    "point": (_mixed_point, "orders", {}),
    "point-kept-dates": (_mixed_point, "orders", {"keep_out_of_range_dates": True}),
    "comma": (_mixed_comma, "orders", {}),
    "cp1250": (_lost_letters, "orders", {}),
    "shopify": (_shopify, "orders", {}),
    "customers": (_customers, "customers", {}),
    "subscriptions": (_subscriptions, "subscriptions", {}),
    "responses": (_responses, "responses", {}),
    "spend": (_spend, "spend", {}),
}


def _stored(store: Store) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every table of the dataset: its columns, and its rows in one order."""
    dataset = store.dataset("Shop")
    tables = {}
    for kind in dataset.tables:
        result = store.cursor().execute(f"SELECT * FROM {dataset.table(kind)} ORDER BY ALL")
        tables[kind] = ([column[0] for column in result.description], result.fetchall())
    return tables


def _ingest(path: Path, kind: str, options: dict[str, Any], typed: bool,
            monkeypatch: pytest.MonkeyPatch) -> tuple[Store, IngestReport, set[str]]:
    """Ingest with the typed fast path on or off; also the roles it read typed."""
    monkeypatch.setattr(ingest_module, "TYPED_FAST_PATH", typed)
    typed_roles: set[str] = set()
    parse_rows = ingest_module._parse_rows

    def spy(cursor: Any, plan: Any, *args: Any) -> int:
        typed_roles.update(plan.typed_roles)
        return parse_rows(cursor, plan, *args)

    monkeypatch.setattr(ingest_module, "_parse_rows", spy)
    store = Store(":memory:")
    report = ingest_file(store, path, dataset="Shop", kind=kind, today=TODAY, **options)
    return store, report, typed_roles


def _report(report: IngestReport) -> dict[str, Any]:
    return report.to_dict() | {"dataset_id": None}


@pytest.mark.parametrize("case", list(CORPUS))
def test_the_typed_fast_path_stores_what_the_text_path_stores(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    write, kind, options = CORPUS[case]
    path = write(tmp_path / f"{case}.csv")
    typed_store, typed_report, typed_roles = _ingest(path, kind, options, True, monkeypatch)
    text_store, text_report, text_roles = _ingest(path, kind, options, False, monkeypatch)
    assert typed_roles and not text_roles  # each file has a column read typed
    assert _stored(typed_store) == _stored(text_store)
    assert _report(typed_report) == _report(text_report)
    assert typed_report.rows_stored > 0


def test_a_file_where_one_column_needs_cleaning_falls_back_for_that_column_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # plain ISO dates, amounts all written "1 234,50 lei": the dates are read by the
    # engine's cast, the amounts cleaned, and the stored orders are those of the text path
    path = write_csv(tmp_path / "lei.csv", ("Client", "Data", "Suma"), [
        ("a", "2025-01-03", "1 234,50 lei"), ("b", "2025-01-04", "80,00 lei"),
        ("a", "2025-02-05", "-20,00 lei"), ("c", "2025-02-06", "nimic")])
    typed_store, typed_report, typed_roles = _ingest(path, "orders", {}, True, monkeypatch)
    text_store, text_report, _ = _ingest(path, "orders", {}, False, monkeypatch)
    assert typed_roles == {"order_date"}
    assert _stored(typed_store) == _stored(text_store)
    assert _report(typed_report) == _report(text_report)
    orders = _stored(typed_store)["orders"][1]
    assert sorted(row[2] for row in orders) == sorted([1234.5, 80, -20])


# -- a parsed column's text is trimmed only where its parse reads nothing -----------------

def _parse_statement(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """The statement that parses a file's rows into ``parsed``, and its data-rows filter."""
    statements: list[str] = []
    filters: list[str] = []
    parse_rows = ingest_module._parse_rows

    class Recording:
        def __init__(self, cursor: Any) -> None:
            self.cursor = cursor

        def execute(self, sql: str, *args: Any) -> Any:
            statements.append(sql)
            return self.cursor.execute(sql, *args)

    def spy(cursor: Any, plan: Any, headers: Any, where: str, *args: Any) -> int:
        filters.append(where)
        return parse_rows(Recording(cursor), plan, headers, where, *args)

    monkeypatch.setattr(ingest_module, "_parse_rows", spy)
    ingest_file(Store(":memory:"), path, dataset="Shop", today=TODAY)
    [statement] = [sql for sql in statements if "TEMP TABLE parsed AS" in sql]
    return statement, filters[0]


def test_the_dates_and_amounts_are_parsed_from_their_untrimmed_text(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # trimming every value of every column was half the parsing's CPU: the date (c1) and
    # the amount (c2) are read by casts that read a value between spaces and by cleanings
    # that trim, so only the text columns (customer c0, channel c3) are trimmed for every
    # row; the date and amount texts only where their parse read nothing (blank or bad)
    path = write_csv(tmp_path / "plain.csv", ("Customer", "Order date", "Amount", "Channel"), [
        ("a", "2025-01-03", "100.50", "web"), ("b", " 2025-01-04 ", " 20 ", "shop"),
        ("c", "   ", "5", "web"), ("d", "2025-01-05", "lots", "web")])
    statement, rows_filter = _parse_statement(path, monkeypatch)
    parsing = statement.replace(rows_filter, "")  # the filter tests blank rows itself
    assert "trim(c0)" in parsing and "trim(c3)" in parsing
    assert "trim(c1)" not in parsing and "trim(c2)" not in parsing
    assert 'c1 AS "t_order_date"' in parsing and 'c2 AS "t_amount"' in parsing


def _pad(rows: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The rows with spaces around each value: a space, a no-break space, several."""
    pads = [(" ", " "), ("\u00a0", ""), ("", "  "), ("   ", "\u00a0 ")]
    return [tuple(pads[(n + i) % len(pads)][0] + cell + pads[(n + i) % len(pads)][1]
                  for i, cell in enumerate(row)) for n, row in enumerate(rows)]


# (kind, header, rows, the file rows set aside): each row's reason worked out by hand
PADDED: dict[str, tuple[tuple[str, ...], list[tuple[str, ...]], list[int]]] = {
    "orders": (("Customer", "Order date", "Amount", "Note"), [
        ("a", "2025-01-03", "100.50", "x"), ("b", "2025-01-04", "20", "y"),
        ("a", "2025-02-05T10:30:00", "-15.5", ""), ("c", "2025-02-06", "", "z"),
        ("d", "", "5", "x"), ("e", "2025-13-01", "5", "y"), ("f", "2025-01-07", "lots", "z")],
        [5, 6, 7, 8]),  # no amount, no date, 2025-13-01, "lots"
    "responses": (("Date", "NPS", "CSAT", "Customer"), [
        ("2025-01-10", "10", "5", "a"), ("2025-01-11", "6", "", "b"),
        ("2025-01-12", "", "", "c"), ("2025-01-13", "11", "4", "d"),
        ("2025-01-14", "9", "x", "e"), ("", "9", "4", "f")],
        [4, 5, 6, 7]),  # no score, an NPS of 11, a CSAT of "x", no date
}


@pytest.mark.parametrize("kind", list(PADDED))
def test_spaces_around_values_change_no_stored_value_and_no_reason(
        tmp_path: Path, kind: str) -> None:
    # each value of the second file is the first file's with spaces around it: both
    # store the same rows and set aside the same rows for the same reasons; a cell of
    # spaces only is empty (missing, or no score), not a bad value
    header, rows, rejected = PADDED[kind]
    results = []
    for name, body in (("bare", rows), ("padded", _pad(rows))):
        store = Store(":memory:")
        report = ingest_file(store, write_csv(tmp_path / f"{name}.csv", header, body),
                             dataset="Shop", kind=kind, today=TODAY)
        results.append((_stored(store), report.rejected_by_reason,
                        [row["row"] for row in report.rejected_rows]))
    assert results[0] == results[1]
    stored, reasons, rejected_rows = results[0]
    assert rejected_rows == rejected
    assert len(stored[kind][1]) == len(rows) - len(rejected)
    assert [reason["rows"] for reason in reasons] == [1] * len(rejected)
