"""Ingest: column-role suggestions, row validation, and stores that fail cleanly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from metrics.errors import DatasetNotFound, InputError
from metrics.ingest import customer_matches, ingest_file, inspect_file
from metrics.kpis import kpi_table
from metrics.query.filters import Filters
from metrics.roles import ORDERS, header_language, suggest_mapping
from metrics.store import Store
from tests.builders import DATA, SMALL_ORDERS, write_csv

LOCALE_EXPORTS = DATA / "locale_exports"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Customer ID", "Order date", "Amount"],
         {"customer_id": "Customer ID", "order_date": "Order date", "amount": "Amount"}),
        (["Clientul", "Data", "Valoare"],
         {"customer_id": "Clientul", "order_date": "Data", "amount": "Valoare"}),
        (["Покупатель", "Дата", "Сумма", "Номер заказа"],
         {"customer_id": "Покупатель", "order_date": "Дата", "amount": "Сумма",
          "order_id": "Номер заказа"}),
        (["email", "created_at", "Total", "Name"],
         {"customer_id": "email", "order_date": "created_at", "amount": "Total",
          "order_id": "Name"}),
        (["Region", "Colour"], {}),
    ],
)
def test_roles_are_suggested_from_english_romanian_and_russian_headers(
        headers: list[str], expected: dict[str, str]) -> None:
    assert suggest_mapping(ORDERS, headers) == expected


@pytest.mark.parametrize(
    ("headers", "language"),
    [
        (["Nr. comandă", "Data", "Client", "Valoare"], "ro"),  # ă, and "Valoare"
        (["Clientul", "Data", "Suma"], "ro"),
        (["Client", "Data", "Suma", "Canal"], None),  # Polish, Spanish, English write these
        (["Покупатель", "Дата", "Сумма"], "ru"),
        (["Покупець", "Дата", "Сума", "Кількість"], None),  # Ukrainian: і
        (["Customer ID", "Order date", "Amount"], None),
        (["Clientul", "Сумма"], None),  # two languages tell nothing
    ],
)
def test_the_language_of_column_names(headers: list[str], language: str | None) -> None:
    assert header_language(headers) == language


def test_inspect_shows_headers_preview_and_suggestion_without_storing() -> None:
    inspection = inspect_file(SMALL_ORDERS)
    assert inspection.headers == ["Customer ID", "Order date", "Amount", "Channel"]
    assert inspection.rows == 11
    assert inspection.preview.iloc[0].tolist() == ["A", "2024-01-05", "100", "web"]
    assert inspection.suggested_mapping["amount"] == "Amount"
    assert inspection.detected == {"encoding": "UTF-8", "delimiter": ","}


@pytest.mark.parametrize(
    ("file", "detected"),
    [
        ("ru_libreoffice_cp1251_rub.csv",
         {"encoding": "Windows-1251 (Cyrillic)", "delimiter": ";", "currency": "RUB",
          "currency_hint": "encoding"}),
        ("ro_libreoffice_cp1250_lei.csv",
         {"encoding": "Windows-1250 (Central European)", "delimiter": ";",
          "currency": "RON"}),
        ("ro_libreoffice.xlsx",  # a workbook has no delimiter
         {"encoding": "Excel workbook, sheet “Comenzi”", "currency": "RON",
          "currency_hint": "headers"}),
    ],
)
def test_inspect_suggests_the_currency_the_ingest_will(file: str, detected: dict[str, str]
                                                       ) -> None:
    assert inspect_file(LOCALE_EXPORTS / file).detected == detected


def test_rows_that_cannot_be_used_are_set_aside_with_their_reason(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orders.csv", ("client", "date", "amount", "channel"), [
        ("a", "2024-01-02", "10.50", "web"),        # row 2: fine
        ("", "2024-01-03", "5", "web"),             # row 3: no customer
        ("b", "yesterday", "5", "web"),             # row 4: not a date
        ("c", "2024-01-04", "five", "web"),         # row 5: not a number
        ("", "", "", ""),                           # row 6: blank, skipped silently
        ("d", "2024-01-05T10:30:00+02:00", "-3", "store"),  # row 7: refund, timestamp
        (" ", "\u00a0", "  ", "\u2003"),           # row 8: spaces only, skipped silently
        ("\u00a0", "\u00a0", "\u00a0", "\u00a0e"),  # row 9: a letter after a space: read
    ])
    store = Store(":memory:")
    report = ingest_file(store, path, dataset="Mixed")
    assert (report.rows_read, report.rows_stored, report.rows_rejected) == (6, 2, 4)
    assert [(r["row"], r["reason"]) for r in report.rejected_rows] == [
        (3, "Customer ID is empty."),
        (4, "Order date is not a date in the yyyy-mm-dd format."),
        (5, "Amount is not a number."),
        (9, "Customer ID is empty."),
    ]
    assert report.rejected_rows[1]["values"] == {"client": "b", "date": "yesterday",
                                                 "amount": "5", "channel": "web"}
    assert sorted(r["rows"] for r in report.rejected_by_reason) == [1, 1, 2]
    assert report.first_date == date(2024, 1, 2) and report.last_date == date(2024, 1, 5)
    stored = store.cursor().execute(
        f"SELECT customer_id, order_date, amount FROM {store.dataset('Mixed').table('orders')} "
        "ORDER BY customer_id").fetchall()
    assert [(c, d.isoformat(), float(a)) for c, d, a in stored] == [
        ("a", "2024-01-02", 10.5), ("d", "2024-01-05", -3.0)]


UPLOAD_DAY = date(2026, 12, 5)


def test_rows_dated_after_the_upload_day_or_before_1990_are_set_aside(tmp_path: Path
                                                                        ) -> None:
    path = write_csv(tmp_path / "orders.csv", ("client", "date", "amount"), [
        ("a", "2025-01-03", "10"),   # row 2: fine
        ("b", "2099-05-01", "20"),   # row 3: after the upload day
        ("c", "2026-12-05", "30"),   # row 4: the upload day itself: fine
        ("d", "2026-12-06", "40"),   # row 5: the day after it
        ("e", "1989-12-31", "50"),   # row 6: the day before 1990
        ("f", "1990-01-01", "60"),   # row 7: 1990's first day: fine
    ])
    store = Store(":memory:")
    report = ingest_file(store, path, dataset="Dated", today=UPLOAD_DAY)
    assert (report.rows_read, report.rows_stored, report.rows_rejected) == (6, 3, 3)
    assert [(r["row"], r["reason"]) for r in report.rejected_rows] == [
        (3, "Order date is after today (2026-12-05)."),
        (5, "Order date is after today (2026-12-05)."),
        (6, "Order date is before 1990."),
    ]
    assert sorted((r["reason"], r["rows"]) for r in report.rejected_by_reason) == [
        ("Order date is after today (2026-12-05).", 2), ("Order date is before 1990.", 1)]
    assert (report.first_date, report.last_date) == (date(1990, 1, 1), date(2026, 12, 5))
    assert report.rows_out_of_range == 3
    assert report.warnings == []
    orders = store.dataset("Dated").tables["orders"]
    assert (orders.first_date, orders.last_date) == (date(1990, 1, 1), date(2026, 12, 5))

    kept = ingest_file(Store(":memory:"), path, dataset="Dated", today=UPLOAD_DAY,
                       keep_out_of_range_dates=True)
    assert (kept.rows_stored, kept.rows_rejected, kept.rows_out_of_range) == (6, 0, 0)
    assert (kept.first_date, kept.last_date) == (date(1989, 12, 31), date(2099, 5, 1))
    assert kept.warnings == [
        "2 rows are dated after today (the first on 2026-12-06): check the date format.",
        "1 row is dated before 1990 (1989-12-31): check the date format."]


@pytest.mark.parametrize(("kind", "header"), [
    ("responses", ("Date", "NPS")),
    ("subscriptions", ("Customer", "Start date")),
    ("spend", ("Date", "Amount")),
])
def test_every_kind_sets_aside_its_main_date_out_of_range(
        tmp_path: Path, kind: str, header: tuple[str, str]) -> None:
    def row(day: str) -> tuple[str, str]:  # the date in its column, "7" in the other
        return (day, "7") if header[0] == "Date" else ("7", day)

    path = write_csv(tmp_path / f"{kind}.csv", header,
                     [row("2026-01-10"), row("2027-01-01"), row("1970-06-30")])
    report = ingest_file(Store(":memory:"), path, dataset="Dated", kind=kind, today=UPLOAD_DAY)
    label = {"responses": "Response date", "subscriptions": "Start date",
             "spend": "Date"}[kind]
    assert [(r["row"], r["reason"]) for r in report.rejected_rows] == [
        (3, f"{label} is after today (2026-12-05)."), (4, f"{label} is before 1990.")]
    assert (report.rows_stored, report.first_date, report.last_date) == (
        1, date(2026, 1, 10), date(2026, 1, 10))


def test_an_order_with_a_line_dated_in_the_future_is_set_aside_whole(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "lines.csv", ("Order ID", "Customer", "Date", "Amount"), [
        ("7", "c1", "2025-03-01", "60.00"), ("7", "c1", "2099-03-01", "39.90"),
        ("8", "c2", "2025-03-02", "10.00")])
    store = Store(":memory:")
    report = ingest_file(store, path, dataset="Lines", today=UPLOAD_DAY)
    assert report.orders == 1
    assert report.last_date == date(2025, 3, 2)


def test_survey_answers_are_matched_with_the_customers_of_each_dataset(tmp_path: Path
                                                                       ) -> None:
    store = Store(":memory:")
    ingest_file(store, SMALL_ORDERS, dataset="Small shop")  # customers A, B, C, D, E
    ingest_file(store, write_csv(tmp_path / "c.csv", ("Customer",), [("X",), ("Y",)]),
                dataset="CRM only", kind="customers")
    ingest_file(store, write_csv(tmp_path / "n.csv", ("Date", "NPS"), [("2025-01-01", "9")]),
                dataset="Answers only", kind="responses")  # no customers to match
    answers = write_csv(tmp_path / "nps.csv", ("Date", "NPS", "Client"), [
        ("2025-01-01", "9", "A"), ("2025-01-02", "7", " B "), ("2025-01-03", "3", "a"),
        ("2025-01-04", "10", "X"), ("2025-01-05", "8", ""), ("2025-01-06", "6", "A")])
    matches = customer_matches(store, answers, "Client")
    # A, " B " (trimmed) and A again; "a" is another id; X is the CRM's
    assert [(m.dataset_name, m.matched, m.rows) for m in matches] == [
        ("Small shop", 3, 6), ("CRM only", 1, 6)]
    assert matches[0].dataset_id == store.dataset("Small shop").id
    with pytest.raises(InputError, match="no column “Email”"):
        customer_matches(store, answers, "Email")


def test_day_first_dates_are_detected_from_the_values(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ro.csv", ("client", "data", "suma"), [
        ("a", "25.12.2024", "100"), ("a", "03.01.2025", "50")])
    store = Store(":memory:")
    report = ingest_file(store, path, dataset="Romania")
    assert report.detected["date_format"] == "dd.mm.yyyy"
    assert (report.first_date, report.last_date) == (date(2024, 12, 25), date(2025, 1, 3))


def test_segment_columns_are_text_columns_with_few_values(tmp_path: Path) -> None:
    rows = [(f"c{n}", "2024-01-01", "10", ["web", "store"][n % 2], f"note {n}", str(n % 3))
            for n in range(60)]
    path = write_csv(tmp_path / "o.csv", ("customer", "date", "amount", "channel", "note",
                                          "quantity"), rows)
    report = ingest_file(Store(":memory:"), path, dataset="Segments")
    # note: 60 distinct values (too many); quantity: numbers, not text
    assert report.segment_columns == ["channel"]


def test_a_failed_upload_stores_nothing_and_keeps_existing_datasets(tmp_path: Path) -> None:
    store = Store(":memory:")
    ingest_file(store, SMALL_ORDERS, dataset="Good")
    before = kpi_table(store, store.dataset("Good"), Filters(inactivity_days=30))
    bad = write_csv(tmp_path / "bad.csv", ("customer", "date", "amount"),
                    [("a", "not a date", "1"), ("b", "never", "2")])
    with pytest.raises(InputError, match="No value of the column “date” reads as a date"):
        ingest_file(store, bad, dataset="Bad")
    with pytest.raises(InputError, match="already has orders data"):
        ingest_file(store, bad, dataset="good")
    assert [d.name for d in store.datasets()] == ["Good"]
    with pytest.raises(DatasetNotFound):
        store.dataset("Bad")
    schemas = store.cursor().execute(
        "SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'ds_%'"
    ).fetchone()
    assert schemas == (1,)
    after = kpi_table(store, store.dataset("Good"), Filters(inactivity_days=30))
    assert after.equals(before)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("customer,date,amount\n", "has a header row but no data rows"),
        ("customer,date\na,2024-01-01\n", "Choose which column holds Amount"),
    ],
)
def test_unusable_files_get_one_clear_sentence(tmp_path: Path, content: str, message: str
                                               ) -> None:
    path = tmp_path / "f.csv"
    path.write_text(content, encoding="utf-8")
    store = Store(":memory:")
    with pytest.raises(InputError, match=message):
        ingest_file(store, path, dataset="X")
    assert store.datasets() == []


def test_mapping_errors_name_the_problem(tmp_path: Path) -> None:
    store = Store(":memory:")
    with pytest.raises(InputError, match="no column “Montant”"):
        ingest_file(store, SMALL_ORDERS, dataset="X", mapping={"amount": "Montant"})
    with pytest.raises(InputError, match="only one role"):
        ingest_file(store, SMALL_ORDERS, dataset="X",
                    mapping={"amount": "Channel", "order_id": "Channel"})
    with pytest.raises(InputError, match="“colour” is not a column role"):
        ingest_file(store, SMALL_ORDERS, dataset="X", mapping={"colour": "Channel"})


def test_hostile_column_names_and_values_are_data_not_sql(tmp_path: Path) -> None:
    header = ("customer", "date", "amount", 'seg"; DROP TABLE loyaltylens_datasets; --')
    rows = [(f"c{n}", "2024-01-0" + str(1 + n % 3), "10", ["x'); DROP --", "=1+2"][n % 2])
            for n in range(6)]
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "h.csv", header, rows), dataset="Hostile")
    dataset = store.dataset("Hostile")
    assert dataset.tables["orders"].segment_columns == (header[3],)
    table = kpi_table(store, dataset, Filters(
        period="month", segments=((header[3], ("x'); DROP --",)),)))
    assert table["orders"].tolist() == [3]
    assert [d.name for d in store.datasets()] == ["Hostile"]


def test_replace_swaps_a_datasets_orders_in_one_step(tmp_path: Path) -> None:
    store = Store(":memory:")
    first = ingest_file(store, SMALL_ORDERS, dataset="Shop")
    newer = write_csv(tmp_path / "new.csv", ("customer", "date", "amount"),
                      [("z", "2025-05-05", "7")])
    second = ingest_file(store, newer, dataset="Shop", replace=True)
    assert second.dataset_id == first.dataset_id
    assert store.dataset("Shop").tables["orders"].rows == 1


def test_datasets_survive_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    with Store(path) as store:
        report = ingest_file(store, SMALL_ORDERS, dataset="Kept", currency="EUR")
    with Store(path) as store:
        dataset = store.dataset(report.dataset_id)
        assert (dataset.name, dataset.currency, dataset.tables["orders"].rows) == ("Kept",
                                                                                   "EUR", 11)
        store.delete_dataset("kept")
    with Store(path) as store:
        assert store.datasets() == []
