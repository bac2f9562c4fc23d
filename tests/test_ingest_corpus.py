"""Real exports: encodings, delimiters, number and date styles, Excel, line items, the
other table kinds, warnings, refusals. Each file is written by the test (tests/corpus.py
states the expected rows, customers, orders and revenue)."""

from __future__ import annotations

import gzip
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from metrics.errors import InputError
from metrics.ingest import ingest_file, inspect_file
from metrics.kpis import kpi_table
from metrics.parsing import AmbiguousDates, currency_counts, suggest_currency
from metrics.query.filters import Filters
from metrics.store import Store
from tests.builders import write_csv
from tests.corpus import (
    CEDILLA,
    EXPECTED_CUSTOMERS,
    EXPECTED_ORDERS,
    EXPECTED_REVENUE,
    EXPECTED_ROWS,
    FRENCH,
    ORDERS,
    RUSSIAN,
    Style,
    column_values,
    orders_text,
    stored_orders,
    write_orders,
)

EXPECTED = (EXPECTED_ROWS, EXPECTED_CUSTOMERS, EXPECTED_ORDERS, EXPECTED_REVENUE)


def ingest(path: Path, **options: object) -> tuple[Store, object]:
    store = Store(":memory:")
    report = ingest_file(store, path, dataset="Shop", **options)  # type: ignore[arg-type]
    return store, report


def comma_decimal(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")


# -- encodings -------------------------------------------------------------------------

ROMANIAN_HEADER = ("Client", "Data", "Suma", "Oraș")
RUSSIAN_HEADER = ("Покупатель", "Дата", "Сумма", "Город")
FRENCH_HEADER = ("Customer", "Date", "Amount", "Ville")


@pytest.mark.parametrize(
    ("encoding", "names", "header", "detected"),
    [
        ("utf-8", str, ROMANIAN_HEADER, "UTF-8"),
        ("utf-8-sig", str, ROMANIAN_HEADER, "UTF-8 with BOM"),
        ("utf-16", str, ROMANIAN_HEADER, "UTF-16"),
        ("cp1250", lambda s: s.translate(CEDILLA), ("Client", "Data", "Suma", "Oraş"),
         "Windows-1250 (Central European)"),
        ("cp1251", lambda s: RUSSIAN.get(s, s), RUSSIAN_HEADER, "Windows-1251 (Cyrillic)"),
        ("latin-1", lambda s: FRENCH.get(s, s), FRENCH_HEADER, "Latin-1"),
    ],
)
def test_every_encoding_is_detected_and_its_letters_survive(
        tmp_path: Path, encoding: str, names: object, header: tuple[str, str, str, str],
        detected: str) -> None:
    style = Style(encoding=encoding, names=names, delimiter=";",  # type: ignore[arg-type]
                  amount=comma_decimal, header=header)
    store, report = ingest(write_orders(tmp_path / "o.csv", style))
    assert report.detected["encoding"] == detected
    assert report.mapping == {"customer_id": header[0], "order_date": header[1],
                              "amount": header[2]}
    dataset = store.dataset("Shop")
    assert stored_orders(store, dataset) == EXPECTED
    assert column_values(store, dataset, header[3]) == {style.names(city) for *_, city in ORDERS}


def test_romanian_letters_survive_into_segments_and_filters(tmp_path: Path) -> None:
    store, report = ingest(write_orders(tmp_path / "o.csv", Style()))
    dataset = store.dataset("Shop")
    assert report.segment_columns == ["City"]
    table = kpi_table(store, dataset, Filters(segments=(("City", ("Iași",)),)))
    assert table["revenue"].sum() == pytest.approx(1214.50)  # 1234.50 - 20.00


# -- delimiters, quoting, line endings -------------------------------------------------

@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_delimiters_and_line_endings(tmp_path: Path, delimiter: str, newline: str) -> None:
    style = Style(delimiter=delimiter, newline=newline)
    store, report = ingest(write_orders(tmp_path / "o.csv", style))
    assert report.detected["delimiter"] == delimiter
    assert stored_orders(store, store.dataset("Shop")) == EXPECTED


def test_quoted_fields_with_delimiters_and_newlines(tmp_path: Path) -> None:
    text = ('Customer;Order date;Amount;Note\r\n'
            '"Țăran; Ionuț";2025-01-03;"1 234,50";"two\r\nlines; and a ""quote"""\r\n'
            '"Șerban, Ștefan";2025-01-05;80,00;plain\r\n')
    path = tmp_path / "o.csv"
    path.write_bytes(text.encode("utf-8"))
    store, report = ingest(path)
    dataset = store.dataset("Shop")
    assert report.rows_stored == 2
    assert column_values(store, dataset, "customer_id") == {"Țăran; Ionuț", "Șerban, Ștefan"}
    assert column_values(store, dataset, "Note") == {'two\r\nlines; and a "quote"', "plain"}
    assert stored_orders(store, dataset)[3] == Decimal("1314.50")


# -- rows that do not fit the header --------------------------------------------------

@pytest.mark.parametrize(("delimiter", "mark"), [(",", "."), (";", ",")])
def test_rows_shorter_or_longer_than_the_header_are_set_aside_by_row(
        tmp_path: Path, delimiter: str, mark: str) -> None:
    rows = [
        ("a", "2025-01-03", "10.50", "Iași", "web"),                  # row 2: fits
        ("b", "2025-01-04", "5.00"),                                  # row 3: 3 fields
        ("c", "2025-01-05", "7.00", "Cluj", "web", "extra", "more"),  # row 4: 7 fields
        ("d", "2025-01-06", "8.00", "Cluj", "web"),                   # row 5: fits
        ("e", "2025-01-07", "2.00", "Cluj", "store", ""),             # row 6: an empty
    ]                                                                 # 6th field: fits
    lines = [delimiter.join(("Customer", "Order date", "Amount", "City", "Channel"))]
    lines += [delimiter.join(v.replace(".", mark) for v in row) for row in rows]
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert inspect_file(path).headers == ["Customer", "Order date", "Amount", "City",
                                          "Channel"]
    store, report = ingest(path)
    assert report.detected["delimiter"] == delimiter
    assert (report.rows_read, report.rows_stored, report.rows_rejected) == (5, 3, 2)
    assert [(r["row"], r["reason"]) for r in report.rejected_rows] == [
        (3, "The row has 3 fields where the header has 5."),
        (4, "The row has 7 fields where the header has 5."),
    ]
    assert report.rejected_rows[0]["values"]["Customer"] == "b"
    # stored: a 10.50, d 8.00, e 2.00
    assert stored_orders(store, store.dataset("Shop")) == (3, 3, 3, Decimal("20.50"))


def test_a_trailing_delimiter_on_the_header_or_the_rows_is_no_field(tmp_path: Path) -> None:
    # "Customer;Order date;Amount;" above rows without the last ";", and the other way
    # round: every row fits (a blank last name, a blank last field: nothing left out)
    for header, row_end in ((";", ""), ("", ";")):
        path = tmp_path / "trailing.csv"
        path.write_text(f"Customer;Order date;Amount{header}\n"
                        f"a;2025-01-03;10,50{row_end}\nb;2025-01-04;5,00{row_end}\n",
                        encoding="utf-8")
        store, report = ingest(path)
        assert (report.rows_read, report.rows_stored) == (2, 2)
        assert stored_orders(store, store.dataset("Shop"))[3] == Decimal("15.50")


def test_ragged_rows_far_down_the_file_keep_every_row_number(tmp_path: Path) -> None:
    # DuckDB decides the number of columns from the file's first rows; a longer row
    # after them must still be set aside, and the rows after it keep their numbers.
    lines = ["Customer;Order date;Amount"]
    lines += [f"c{n};2025-01-03;1,00" for n in range(2, 40_002)]  # rows 2 to 40,001
    lines[30_000 - 1] = "x;2025-01-03;1,00;4th;5th"                 # row 30,000: 5 fields
    lines[30_001 - 1] = "y;2025-01-03"                              # row 30,001: 2 fields
    lines[35_000 - 1] = "z;soon;1,00"                               # row 35,000: no date
    path = tmp_path / "late.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store, report = ingest(path)
    assert (report.rows_read, report.rows_stored) == (40_000, 39_997)
    assert [(r["row"], r["reason"], r["values"]["Customer"])
            for r in report.rejected_rows] == [
        (30_000, "The row has 5 fields where the header has 3.", "x"),
        (30_001, "The row has 2 fields where the header has 3.", "y"),
        (35_000, "Order date is not a date in the yyyy-mm-dd format.", "z"),
    ]
    assert stored_orders(store, store.dataset("Shop"))[3] == Decimal("39997.00")


# -- numbers ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("writes", "delimiter"),
    [
        (lambda a: f"{a:.1f}" if a == a.to_integral() or a * 10 % 1 == 0 else f"{a}", ","),
        (lambda a: f"{a:.2f}".replace(".", ","), ";"),                     # 1234,50
        (lambda a: f"{a:,.2f}".replace(",", " ").replace(".", ","), ";"),  # 1 234,50
        (lambda a: f"{a:,.2f}".replace(",", "\u00a0").replace(".", ","), ";"),  # no-break space
        (lambda a: f"{a:,.2f}".replace(",", "#").replace(".", ",").replace("#", "."), ";"),
        (lambda a: f"{a:,.2f}", ","),                                      # 1,234.50
        (lambda a: f"€{a:,.2f}", ","),
        (lambda a: f"{a:,.2f} lei".replace(",", " ").replace(".", ","), ";"),
        (lambda a: f"{a:.2f} RON".replace(".", ","), ";"),
        (lambda a: f"{a:,.2f}".replace(",", " ").replace(".", ",") + " руб.", ";"),
        (lambda a: f"${a:,.2f}", ","),
        # a sign the code page could not hold, written "?" (LibreOffice, ₽ in Windows-1251)
        (lambda a: f"{a:,.2f}".replace(",", "\u00a0").replace(".", ",") + " ?", ";"),
        (lambda a: f"?{a:.2f}", ","),
        (lambda a: f"({-a:.2f})?" if a < 0 else f"{a:.2f}?", ","),
    ],
    ids=["1234.5", "1234,5", "1 234,50", "1 234,50 nbsp", "1.234,50", "1,234.50", "€",
         "lei", "RON", "руб.", "$", "1 234,50 ?", "?1234.50", "(20.00)?"],
)
def test_number_styles(tmp_path: Path, writes: object, delimiter: str) -> None:
    style = Style(amount=writes, delimiter=delimiter)  # type: ignore[arg-type]
    store, report = ingest(write_orders(tmp_path / "o.csv", style))
    assert stored_orders(store, store.dataset("Shop")) == EXPECTED
    assert report.detected["decimal_mark"] == ("," if delimiter == ";" else ".")


@pytest.mark.parametrize(
    ("written", "code"),
    [(["12,50 €", "3 €"], "EUR"), (["1 234,50 lei", "5 RON"], "RON"), (["80 руб.", "5 ₽"], "RUB"),
     (["$3.50"], "USD"), (["12.50", "3"], None)],
)
def test_the_currency_is_read_from_the_amounts(written: list[str], code: str | None) -> None:
    from metrics.parsing import detect_currency

    assert detect_currency(written) == code


def test_a_question_mark_is_a_lost_sign_only_alone_and_beside_the_number(tmp_path: Path
                                                                        ) -> None:
    rows = [("a", "2025-01-03", "7.50 ?"), ("b", "2025-01-04", "12?50"),
            ("c", "2025-01-05", "5.00 ??"), ("d", "2025-01-06", "?"), ("e", "2025-01-07", "?? 3")]
    store, report = ingest(write_csv(tmp_path / "o.csv", ("customer", "date", "amount"), rows))
    assert [(r["row"], r["reason"]) for r in report.rejected_rows] == [
        (3, "Amount is not a number."), (4, "Amount is not a number."),
        (5, "Amount is not a number."), (6, "Amount is not a number.")]
    assert stored_orders(store, store.dataset("Shop")) == (1, 1, 1, Decimal("7.50"))
    assert "currency" not in report.detected  # a "?" names no currency


@pytest.mark.parametrize(
    ("amounts", "encoding", "romanian_text", "language", "expected"),
    [
        (["12,50 €"], "cp1251", False, "ru", ("EUR", "amounts")),  # a sign beats every hint
        (["1 234,50 ?"], "cp1251", False, None, ("RUB", "encoding")),
        (["1.234,50"], "cp1250", True, None, ("RON", "encoding")),
        (["1.234,50"], "cp1250", False, None, None),  # Polish, Czech, Hungarian ...
        (["1.234,50"], "cp1250", False, "ro", ("RON", "headers")),
        (["1 234,50"], "utf-8", False, "ru", ("RUB", "headers")),
        (["1234.50"], "xlsx", False, "ro", ("RON", "headers")),
        (["1234.50"], "utf-8", False, None, None),
        (["1234.50"], "latin_1", False, None, None),
    ],
)
def test_a_currency_is_suggested_only_from_what_the_file_shows(
        amounts: list[str], encoding: str, romanian_text: bool, language: str | None,
        expected: tuple[str, str] | None) -> None:
    assert suggest_currency(amounts, encoding, romanian_text, language) == expected


@pytest.mark.parametrize(
    ("column", "amounts", "encoding", "headers", "expected"),
    [
        # a currency column of one currency beats a sign, a name and every hint
        ({"RON": 3}, ["12,50 €"], "cp1251", ["Total (€)"], ("RON", "column")),
        ({"RON": 2, "EUR": 1}, ["12.50"], "utf-8", ["Amount"], None),  # several: no choice
        ({"RON": 2, "EUR": 1}, ["12,50 €"], "utf-8", ["Amount"], ("EUR", "amounts")),
        # a currency named in the amount column's name beats the encoding's guess
        (None, ["1 234,50"], "cp1251", ["Сумма (USD)"], ("USD", "amount_header")),
        (None, ["1 234,50"], "utf-8", ["Сумма, руб."], ("RUB", "amount_header")),
        (None, ["12.50"], "utf-8", ["Total (€)", "Discount (€)"], ("EUR", "amount_header")),
        (None, ["12.50"], "utf-8", ["Total (€)", "Discount (USD)"], None),  # two: no choice
        (None, ["12.50"], "utf-8", ["Europe revenue"], None),  # "eur" inside a word
    ],
)
def test_a_currency_column_and_the_amount_columns_name_tell_the_currency(
        column: dict[str, int] | None, amounts: list[str], encoding: str, headers: list[str],
        expected: tuple[str, str] | None) -> None:
    assert suggest_currency(amounts, encoding, False, None, column, headers) == expected


def test_the_values_of_a_currency_column_are_read_as_iso_codes() -> None:
    assert currency_counts({"RON": 3, "usd": 2, " lei ": 1, "€": 4, "N/A": 5, "": 1}) == {
        "RON": 4, "EUR": 4, "USD": 2}


def test_a_currency_column_is_the_datasets_currency(tmp_path: Path) -> None:
    # Shopify: the currency on each order's first line only, like its total
    path = write_csv(tmp_path / "shopify.csv", (*SHOPIFY[0], "Currency"),
                     [(*line, "RON" if line[3] else "") for line in SHOPIFY[1]])
    store, report = ingest(path)
    assert report.mapping["currency"] == "Currency"
    assert (report.currency, report.currency_source) == ("RON", "column")
    assert report.detected["currency"] == "RON" and "currency_hint" not in report.detected
    assert report.to_dict()["currency_reason"] == (
        "Currency: RON, read from the file's currency column")
    assert store.dataset("Shop").currency == "RON"
    assert report.warnings[1:] == []  # the line items' note only


def test_amounts_in_several_currencies_are_added_up_with_a_warning(tmp_path: Path) -> None:
    # Stripe writes its codes in lower case
    rows = [("a", "2025-01-03", "10", "usd"), ("b", "2025-01-04", "20", "eur"),
            ("c", "2025-01-05", "30", "usd"), ("d", "2025-01-06", "40", "")]
    _, report = ingest(write_csv(tmp_path / "stripe.csv",
                                 ("Customer", "Date", "Amount", "Currency"), rows))
    assert (report.currency, report.currency_source) == (None, None)
    assert report.warnings == [
        "The amounts are in several currencies (USD: 2 rows, EUR: 1 row) and are added up as "
        "they are: store each currency as a dataset of its own to keep them apart."]
    assert report.to_dict()["currency_reason"] == (
        "Currency: none, not detected (amounts are shown without a currency sign)")


def test_a_currency_in_the_amount_columns_name_beats_the_encodings_guess(tmp_path: Path
                                                                         ) -> None:
    path = tmp_path / "o.csv"
    path.write_bytes("Покупатель;Дата;Сумма (USD)\nп1;03.01.2025;1 234,50\n".encode("cp1251"))
    _, report = ingest(path)
    assert (report.currency, report.currency_source) == ("USD", "amount_header")
    assert report.to_dict()["currency_reason"] == (
        "Currency: USD, written in the name of the amount column")


ROMANIAN_ORDERS = ("Client", "Data", "Valoare", "Oraș")  # "Valoare": Romanian only


@pytest.mark.parametrize(
    ("style", "currency", "hint"),
    [
        (Style(encoding="cp1251", delimiter=";", names=lambda s: RUSSIAN.get(s, s),
               header=RUSSIAN_HEADER, amount=comma_decimal), "RUB", "encoding"),
        # ţ ş of the names (the header "Customer" ... is English)
        (Style(encoding="cp1250", delimiter=";", names=lambda s: s.translate(CEDILLA),
               amount=comma_decimal), "RON", "encoding"),
        (Style(encoding="cp1251", names=lambda s: RUSSIAN.get(s, s), header=RUSSIAN_HEADER,
               amount=lambda a: f"{a:.2f} €"), "EUR", None),
        (Style(header=ROMANIAN_ORDERS), "RON", "headers"),
        (Style(header=RUSSIAN_HEADER), "RUB", "headers"),
        (Style(encoding="utf-8-sig", header=("Client", "Data", "Suma", "Oras")), None, None),
        (Style(), None, None),  # Romanian names, English headers: no guess
    ],
    ids=["cp1251", "cp1250-romanian", "sign", "ro-headers", "ru-headers", "ro-or-not",
         "english"],
)
def test_amounts_without_a_sign_take_the_currency_the_file_hints_or_none(
        tmp_path: Path, style: Style, currency: str | None, hint: str | None) -> None:
    store, report = ingest(write_orders(tmp_path / "o.csv", style))
    assert stored_orders(store, store.dataset("Shop")) == EXPECTED
    expected = {"currency": currency, "currency_hint": hint}
    assert {key: report.detected.get(key) for key in expected} == expected
    assert (report.currency, report.currency_source) == (
        currency, (hint or "amounts") if currency else None)
    assert store.dataset("Shop").currency == currency
    assert report.to_dict()["detected"] == report.detected  # what the CLI prints


def test_a_given_currency_wins_and_a_dataset_keeps_its_own(tmp_path: Path) -> None:
    style = Style(encoding="cp1251", names=lambda s: RUSSIAN.get(s, s), header=RUSSIAN_HEADER)
    path = write_orders(tmp_path / "o.csv", style)
    store = Store(":memory:")
    report = ingest_file(store, path, dataset="Shop", currency="EUR")
    assert (report.currency, report.currency_source) == ("EUR", "given")
    assert (report.detected["currency"], report.detected["currency_hint"]) == ("RUB",
                                                                                "encoding")
    customers = write_csv(tmp_path / "c.csv", ("Покупатель", "Сумма привлечения"), [("x", "5")])
    again = ingest_file(store, customers, dataset="Shop", kind="customers",
                        mapping={"acquisition_cost": "Сумма привлечения"}, currency="USD")
    assert (again.currency, again.currency_source) == ("EUR", "dataset")
    assert store.dataset("Shop").currency == "EUR"


def test_too_many_long_rows_far_down_are_refused(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from metrics import ingest as ingest_module

    monkeypatch.setattr(ingest_module, "MAX_LONG_ROWS", 2)
    lines = ["Customer;Order date;Amount"] + [f"c{n};2025-01-03;1" for n in range(9000)]
    lines += ["x;2025-01-03;1;4th"] * 3  # three rows past the 5,000 the width comes from
    path = tmp_path / "late.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = Store(":memory:")
    with pytest.raises(InputError) as refused:
        ingest_file(store, path, dataset="X")
    assert refused.value.message == ("late.csv has over 2 rows with more fields than its "
                                     "first rows: check that the delimiter is right, or "
                                     "choose it.")
    assert store.datasets() == []


# -- the user's reading options, when a guess is wrong ----------------------------------

def test_the_user_overrides_delimiter_encoding_and_decimal_mark(tmp_path: Path) -> None:
    # KOI8-R (older Russian Unix exports) is not among the encodings detected, a colon is
    # not among the delimiters, and amounts all written with three decimals read as
    # thousands: the user says what the file is.
    style = Style(encoding="koi8-r", delimiter=":", names=lambda s: RUSSIAN.get(s, s),
                  header=RUSSIAN_HEADER, amount=lambda a: f"{a:.3f}")
    path = write_orders(tmp_path / "o.csv", style)
    guessed = inspect_file(path)
    assert guessed.detected["delimiter"] == "," and len(guessed.headers) == 1
    chosen = inspect_file(path, encoding="KOI8-R", delimiter=":")
    assert chosen.headers == list(RUSSIAN_HEADER)
    assert chosen.detected == {"encoding": "koi8-r", "delimiter": ":", "currency": "RUB",
                               "currency_hint": "headers"}
    store, report = ingest(path, encoding="koi8-r", delimiter=":", decimal_mark=".")
    assert report.detected["decimal_mark"] == "."
    dataset = store.dataset("Shop")
    assert stored_orders(store, dataset) == EXPECTED  # 1234.500 is 1234.5, not 1,234,500
    assert column_values(store, dataset, "Город") == {"Москва", "Казань", "Санкт-Петербург"}


def test_amounts_with_three_decimals_read_as_thousands_unless_the_user_says(
        tmp_path: Path) -> None:
    rows = [("a", date(2025, 1, 3), Decimal("12.5"), "x"),
            ("b", date(2025, 1, 5), Decimal("80"), "x"),
            ("c", date(2025, 2, 5), Decimal("15.5"), "x")]
    path = write_orders(tmp_path / "o.csv", Style(amount=lambda a: f"{a:.3f}"), rows)
    # "12.500", "80.000" and "15.500" alone could be thousands: the guess
    store, _ = ingest(path)
    assert stored_orders(store, store.dataset("Shop"))[3] == Decimal("108000.00")
    store, _ = ingest(path, decimal_mark="point")
    assert stored_orders(store, store.dataset("Shop"))[3] == Decimal("108.00")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"encoding": "utf-8"}, "o.csv cannot be read in the UTF-8 encoding: choose another "
                                "encoding, or let LoyaltyLens detect it."),
        ({"encoding": "base64"}, "“base64” is not an encoding LoyaltyLens knows"),
        ({"encoding": "klingon"}, "“klingon” is not an encoding LoyaltyLens knows"),
        ({"delimiter": ";;"}, "“;;” cannot be a delimiter: give one character"),
        ({"delimiter": '"'}, "“\"” cannot be a delimiter"),
        ({"decimal_mark": "x"}, "“x” is not a decimal mark: give , (comma) or . (point)."),
    ],
)
def test_a_wrong_reading_option_gets_one_sentence_and_stores_nothing(
        tmp_path: Path, options: dict[str, str], message: str) -> None:
    path = write_orders(tmp_path / "o.csv", Style(encoding="cp1251", delimiter=";",
                                                  names=lambda s: RUSSIAN.get(s, s)))
    store = Store(":memory:")
    with pytest.raises(InputError) as refused:
        ingest_file(store, path, dataset="X", **options)  # type: ignore[arg-type]
    assert refused.value.message.startswith(message)
    assert "\n" not in refused.value.message
    assert store.datasets() == []


# -- exports as they arrive: compressed, UTF-16 without a mark, repeated names ----------

def test_a_gzipped_csv_is_read(tmp_path: Path) -> None:
    text = orders_text(Style(encoding="cp1250", delimiter=";", amount=comma_decimal,
                             names=lambda s: s.translate(CEDILLA)))
    path = tmp_path / "orders.csv.gz"
    path.write_bytes(gzip.compress(text.encode("cp1250")))
    store, report = ingest(path)
    assert report.detected["encoding"] == "Windows-1250 (Central European)"
    assert stored_orders(store, store.dataset("Shop")) == EXPECTED


@pytest.mark.parametrize("macos", [False, True])
def test_a_zip_holding_one_csv_is_read(tmp_path: Path, macos: bool) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export/orders.csv", orders_text(Style(delimiter="\t")))
        if macos:  # what the Finder's "Compress" adds: not a second file of the user's
            archive.writestr("__MACOSX/export/._orders.csv", b"\x00\x05\x16\x07")
            archive.writestr("export/.DS_Store", b"\x00\x00\x00\x01Bud1")
    assert inspect_file(path).headers == ["Customer", "Order date", "Amount", "City"]
    store, report = ingest(path)
    assert report.detected["delimiter"] == "\t"
    assert stored_orders(store, store.dataset("Shop")) == EXPECTED


def test_a_workbook_in_a_zip_or_a_gz_is_read(tmp_path: Path) -> None:
    workbook = write_workbook(tmp_path / "o.xlsx")
    zipped, gzipped = tmp_path / "o.zip", tmp_path / "o.xlsx.gz"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(workbook, "o.xlsx")
    gzipped.write_bytes(gzip.compress(workbook.read_bytes()))
    for path in (zipped, gzipped):
        assert inspect_file(path).headers == inspect_file(workbook).headers
        assert inspect_file(path).detected["encoding"].startswith("Excel workbook")


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({}, "export.zip holds no file: put the CSV export in it, or upload the CSV itself."),
        ({"a.csv": "x", "b.csv": "y"},
         "export.zip holds 2 files (a.csv, b.csv): upload one CSV file, on its own or "
         "alone in a zip."),
    ],
)
def test_a_zip_with_no_file_or_several_gets_one_sentence(
        tmp_path: Path, members: dict[str, str], message: str) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in members.items():
            archive.writestr(member, text)
    store = Store(":memory:")
    with pytest.raises(InputError) as refused:
        ingest_file(store, path, dataset="X")
    assert refused.value.message == message
    assert store.datasets() == []


@pytest.mark.parametrize(("encoding", "detected"), [
    ("utf-16-le", "UTF-16 (little-endian, without BOM)"),
    ("utf-16-be", "UTF-16 (big-endian, without BOM)"),
])
def test_utf16_without_a_byte_order_mark_is_detected(tmp_path: Path, encoding: str,
                                                      detected: str) -> None:
    style = Style(encoding=encoding, delimiter=";", names=lambda s: RUSSIAN.get(s, s),
                  header=RUSSIAN_HEADER)
    store, report = ingest(write_orders(tmp_path / "o.csv", style))
    assert report.detected["encoding"] == detected
    dataset = store.dataset("Shop")
    assert stored_orders(store, dataset) == EXPECTED
    assert column_values(store, dataset, "Город") == {"Москва", "Казань", "Санкт-Петербург"}


def test_repeated_column_names_are_renamed_and_the_report_says_so(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", ("Customer", "Date", "Amount", "amount", "Note",
                                          "Note", "Note"),
                     [("a", "2025-01-03", "10", "9", "x", "y", "z")])
    _, report = ingest(path)
    assert report.mapping["amount"] == "Amount"
    assert report.warnings == [
        "Column names appear more than once; the copies were renamed: “amount (2)”, "
        "“Note (2)”, “Note (3)”."]


# -- dates ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("writes", "label"),
    [
        (date.isoformat, "yyyy-mm-dd"),
        (lambda d: f"{d.isoformat()}T23:30:00+02:00", "yyyy-mm-dd"),
        (lambda d: f"{d.isoformat()} 08:15:00-05:00", "yyyy-mm-dd"),
        (lambda d: d.strftime("%d.%m.%Y"), "dd.mm.yyyy"),
        (lambda d: d.strftime("%d.%m.%Y %H:%M"), "dd.mm.yyyy"),
        (lambda d: d.strftime("%Y%m%d"), "yyyymmdd"),
    ],
    ids=["iso", "iso-offset", "iso-space-offset", "dd.mm.yyyy", "dd.mm.yyyy-time", "yyyymmdd"],
)
def test_date_styles(tmp_path: Path, writes: object, label: str) -> None:
    style = Style(date=writes)  # type: ignore[arg-type]
    store, report = ingest(write_orders(tmp_path / "o.csv", style))
    assert report.detected["date_format"] == label
    # the calendar day as written, whatever the time zone offset
    assert column_values(store, store.dataset("Shop"), "order_date") == {d for _, d, _, _ in
                                                                          ORDERS}


def test_day_first_and_month_first_are_told_apart_by_the_values(tmp_path: Path) -> None:
    rows = [("a", date(2025, 1, 25), Decimal(1), "x"), ("b", date(2025, 2, 3), Decimal(2), "x")]
    for fmt, label in (("%d/%m/%Y", "dd/mm/yyyy"), ("%m/%d/%Y", "mm/dd/yyyy")):
        style = Style(date=lambda d, fmt=fmt: d.strftime(fmt))  # type: ignore[misc]
        store, report = ingest(write_orders(tmp_path / f"{label[:2]}.csv", style, rows))
        assert report.detected["date_format"] == label
        assert column_values(store, store.dataset("Shop"), "order_date") == {
            date(2025, 1, 25), date(2025, 2, 3)}


def test_when_the_values_cannot_tell_the_user_is_asked(tmp_path: Path) -> None:
    rows = [("a", date(2025, 1, 2), Decimal(1), "x"), ("b", date(2025, 3, 4), Decimal(2), "x")]
    path = write_orders(tmp_path / "o.csv", Style(date=lambda d: d.strftime("%m/%d/%Y")), rows)
    with pytest.raises(AmbiguousDates) as asked:
        ingest(path)
    assert asked.value.options == ("dd/mm/yyyy", "mm/dd/yyyy")
    assert "could be day-first or month-first" in asked.value.message
    store, _ = ingest(path, date_format="mm/dd/yyyy")
    assert column_values(store, store.dataset("Shop"), "order_date") == {
        date(2025, 1, 2), date(2025, 3, 4)}


# -- Excel ------------------------------------------------------------------------------

def write_workbook(path: Path) -> Path:
    """Sheet 1: date cells and number cells; sheet 2: dates as Excel serial numbers."""
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "Comenzi"
    first.append(("Client", "Data", "Valoare", "Oraș"))
    for customer, day, amount, city in ORDERS:
        first.append((customer, datetime(day.year, day.month, day.day), float(amount), city))
    second = workbook.create_sheet("Serial")
    second.append(("Customer", "Date", "Total"))
    second.append(("x", 45658, 10))   # 45658 = 2025-01-01 in Excel's count
    second.append(("y", 45689, 2.5))  # 45689 = 2025-02-01
    workbook.save(path)
    return path


def test_excel_first_sheet_by_default(tmp_path: Path) -> None:
    store, report = ingest(write_workbook(tmp_path / "o.xlsx"))
    # typed cells: nothing was read from a delimiter, a decimal mark or a date format
    assert report.detected == {"encoding": "Excel workbook, sheet “Comenzi”",
                               "date_format": "date cells", "decimal_mark": "number cells",
                               "currency": "RON", "currency_hint": "headers"}
    dataset = store.dataset("Shop")
    assert stored_orders(store, dataset) == EXPECTED
    assert column_values(store, dataset, "Oraș") == {"Iași", "Timișoara", "Brașov"}


def test_excel_chosen_sheet_with_serial_dates(tmp_path: Path) -> None:
    store, report = ingest(write_workbook(tmp_path / "o.xlsx"), sheet="Serial")
    assert report.detected == {"encoding": "Excel workbook, sheet “Serial”",
                               "date_format": "Excel serial number",
                               "decimal_mark": "number cells"}
    dataset = store.dataset("Shop")
    assert column_values(store, dataset, "order_date") == {date(2025, 1, 1), date(2025, 2, 1)}
    assert stored_orders(store, dataset)[3] == Decimal("12.50")
    with pytest.raises(InputError, match="no sheet “Nope”; its sheets are: Comenzi, Serial"):
        ingest(tmp_path / "o.xlsx", sheet="Nope")


def test_excel_cells_typed_as_text_report_how_the_text_was_read(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(("Customer", "Date", "Amount"))
    sheet.append(("a", "03.01.2025", "1.234,50"))  # text cells, as a user typed them
    sheet.append(("b", "05.01.2025", 80))          # a number cell among them
    workbook.save(tmp_path / "typed.xlsx")
    store, report = ingest(tmp_path / "typed.xlsx")
    assert report.detected == {"encoding": "Excel workbook, sheet “Sheet”",
                               "date_format": "dd.mm.yyyy", "decimal_mark": ","}
    assert stored_orders(store, store.dataset("Shop"))[3] == Decimal("1314.50")


# -- headers in three languages, overrides ---------------------------------------------

def test_russian_headers_map_without_help_and_every_mapping_can_be_overridden(
        tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", ("Покупатель", "Дата", "Сумма", "Итого со скидкой"),
                     [("п1", "2025-01-03", "100", "90"), ("п2", "2025-01-04", "50", "45")])
    store, report = ingest(path)
    assert report.mapping == {"customer_id": "Покупатель", "order_date": "Дата",
                              "amount": "Сумма"}
    store, report = ingest(path, mapping={"amount": "Итого со скидкой"})
    assert stored_orders(store, store.dataset("Shop"))[3] == Decimal("135.00")


# -- line items -------------------------------------------------------------------------

SHOPIFY = (
    ("Name", "Email", "Created at", "Total", "Lineitem name", "Lineitem quantity"),
    [
        ("#1001", "ana@x.ro", "2025-01-03 10:00:00 +0200", "150.00", "Tricou", "2"),
        ("#1001", "", "", "", "Cană", "1"),
        ("#1001", "", "", "", "Șosete", "3"),
        ("#1002", "ion@x.ro", "2025-01-04 11:00:00 +0200", "40.00", "Cană", "1"),
        ("#1003", "ana@x.ro", "2025-02-01 09:00:00 +0200", "-150.00", "Tricou", "2"),
    ],
)


def test_shopify_line_items_become_one_order_with_the_total_once(tmp_path: Path) -> None:
    store, report = ingest(write_csv(tmp_path / "shopify.csv", *SHOPIFY))
    dataset = store.dataset("Shop")
    assert report.detected["line_items"] == "first"
    assert report.orders == 3
    # orders: #1001 150, #1002 40, refund #1003 -150 -> 2 orders, 2 customers, revenue 40
    assert stored_orders(store, dataset) == (3, 2, 2, Decimal("40.00"))
    products = store.cursor().execute(
        f"SELECT order_id, product, quantity FROM {dataset.table('order_items')}").fetchall()
    assert sorted(products) == sorted([("#1001", "Tricou", 2.0), ("#1001", "Cană", 1.0),
                                       ("#1001", "Șosete", 3.0), ("#1002", "Cană", 1.0),
                                       ("#1003", "Tricou", 2.0)])
    assert report.warnings == [
        "1 order id appears on several rows: they were read as the lines of one order, and "
        "the total was taken from each order's first row."]
    # the dataset counts what the report counted: 3 orders (of 5 lines), not 5
    assert (dataset.tables["orders"].rows, dataset.tables["order_items"].rows) == (3, 5)


def test_woocommerce_repeated_totals_are_counted_once(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "woo.csv", ("Order ID", "Customer", "Date", "Order Total",
                                            "Product"), [
        ("7", "c1", "2025-03-01", "99.90", "A"), ("7", "c1", "2025-03-01", "99.90", "B"),
        ("8", "c2", "2025-03-02", "10.00", "A")])
    store, report = ingest(path)
    assert report.detected["line_items"] == "repeated"
    assert stored_orders(store, store.dataset("Shop")) == (2, 2, 2, Decimal("109.90"))


def test_line_amounts_are_added_up(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "lines.csv", ("Order ID", "Customer", "Date", "Amount",
                                              "Product"), [
        ("7", "c1", "2025-03-01", "60.00", "A"), ("7", "c1", "2025-03-01", "39.90", "B"),
        ("8", "c2", "2025-03-02", "10.00", "A")])
    store, report = ingest(path)
    assert report.detected["line_items"] == "sum"
    assert stored_orders(store, store.dataset("Shop")) == (2, 2, 2, Decimal("109.90"))


def test_an_order_with_a_bad_line_is_set_aside_whole(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "lines.csv", ("Order ID", "Customer", "Date", "Amount"), [
        ("7", "c1", "2025-03-01", "60.00"), ("7", "c1", "2025-03-01", "lots"),
        ("8", "c2", "2025-03-02", "10.00")])
    store, report = ingest(path)
    assert report.rows_rejected == 1
    assert stored_orders(store, store.dataset("Shop")) == (1, 1, 1, Decimal("10.00"))


# -- refunds ----------------------------------------------------------------------------

def test_refunds_are_kept_but_are_not_orders_or_new_customers(tmp_path: Path) -> None:
    rows = [("a", "2025-01-03", "100"), ("b", "2025-01-04", "-30"), ("a", "2025-01-10", "-100")]
    store, report = ingest(write_csv(tmp_path / "o.csv", ("customer", "date", "amount"), rows))
    assert report.refunds == 2
    kpis = kpi_table(store, store.dataset("Shop"), Filters(period="month")).iloc[0]
    # b only has a refund: not a new customer; orders count a's purchase only
    assert (kpis["new_customers"], kpis["orders"], kpis["revenue"], kpis["refunds"]) == (
        1, 1, -30.0, 130.0)


# -- the other table kinds --------------------------------------------------------------

def test_four_more_kinds_in_one_dataset(tmp_path: Path) -> None:
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "o.csv", ("customer", "date", "amount"), [
        ("a", "2025-01-03", "100"), ("b", "2025-01-04", "50"), ("c", "2025-01-05", "20")]),
        dataset="Shop")
    customers = ingest_file(store, write_csv(
        tmp_path / "c.csv", ("Клиент", "Дата регистрации", "Страна", "Уровень"),
        [("a", "01.12.2024", "Молдова", "Gold"), ("b", "02.12.2024", "România", "Silver"),
         ("c", "03.12.2024", "România", "Gold"), ("", "04.12.2024", "România", "Gold")]),
        dataset="Shop", kind="customers")
    assert (customers.rows_stored, customers.rows_rejected) == (3, 1)
    assert customers.mapping == {"customer_id": "Клиент", "signup_date": "Дата регистрации",
                                 "country": "Страна", "loyalty_tier": "Уровень"}
    subscriptions = ingest_file(store, write_csv(
        tmp_path / "s.csv", ("customer_id", "start_date", "end_date", "plan", "mrr"),
        [("a", "2024-01-01", "", "Pro", "19,90"), ("b", "2024-02-01", "2024-06-30", "Basic",
                                                    "9,90")]), dataset="Shop", kind="subscriptions")
    assert subscriptions.rows_stored == 2
    responses = ingest_file(store, write_csv(
        tmp_path / "r.csv", ("Date", "NPS", "Comment", "Customer"),
        [("2025-01-10", "10", "=cmd()", "a"), ("2025-01-11", "6", "", "b"),
         ("2025-01-12", "11", "too high", "c"), ("2025-01-13", "7.5", "", "c"),
         ("2025-01-14", "", "no score", "c")]), dataset="Shop", kind="responses")
    assert (responses.rows_stored, responses.rows_rejected) == (2, 3)
    assert [r["reason"] for r in responses.rejected_rows] == [
        "NPS score (0-10) is not a whole number from 0 to 10.",
        "NPS score (0-10) is not a whole number from 0 to 10.",
        "The row has no score."]
    spend = ingest_file(store, write_csv(tmp_path / "m.csv", ("Дата", "Расход", "Канал"), [
        ("01.01.2025", "1 000,00", "Google"), ("01.01.2025", "500,50", "Meta")]),
        dataset="Shop", kind="spend")
    assert spend.mapping == {"spend_date": "Дата", "amount": "Расход", "channel": "Канал"}
    dataset = store.dataset("Shop")
    assert set(dataset.tables) == {"orders", "customers", "subscriptions", "responses", "spend"}
    total = store.cursor().execute(f"SELECT sum(amount) FROM {dataset.table('spend')}").fetchone()
    assert total == (Decimal("1500.5000"),)
    # a customer attribute filters the orders of the customers who have it
    gold = kpi_table(store, dataset, Filters(segments=(("customers.loyalty_tier", ("Gold",)),)))
    assert gold["revenue"].sum() == 120.0  # a (100) and c (20)


def test_responses_need_a_score_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", ("Date", "Comment"), [("2025-01-10", "fine")])
    with pytest.raises(InputError, match="at least one of: NPS score"):
        ingest_file(Store(":memory:"), path, dataset="X", kind="responses")


# -- warnings ---------------------------------------------------------------------------

def test_warnings_for_future_dates_and_customer_id_spellings(tmp_path: Path) -> None:
    rows = [("Ana@X.ro", "2025-01-03", "10"), ("ana@x.ro ", "2025-01-04", "10"),
            ("b", "2099-05-01", "10")]
    _, report = ingest(write_csv(tmp_path / "o.csv", ("customer", "date", "amount"), rows),
                       keep_out_of_range_dates=True)
    assert report.rows_stored == 3
    assert report.warnings == [
        "1 row is dated after today (2099-05-01): check the date format.",
        "1 customer appears under several spellings (Ana@X.ro / ana@x.ro) and is counted as "
        "several customers: correct the spelling in the source if they are the same person.",
    ]


def lost_letters(path: Path, style: Style) -> Path:
    """The corpus as LibreOffice saves it in a code page: "?" for each missing letter."""
    path.write_bytes(orders_text(style).encode(style.encoding, errors="replace"))
    return path


def test_letters_a_code_page_lost_are_pointed_out(tmp_path: Path) -> None:
    # Windows-1250 has no ș ț with comma below. Between two letters (counted): Ia?i,
    # Timi?oara, Ana Mure?an, Bra?ov = 4 values, "Ia?i" first (row 2, after "Ionu? ?ăran",
    # whose "?" have a space on one side, as has the header "Ora?").
    path = lost_letters(tmp_path / "o.csv", Style(encoding="cp1250", delimiter=";",
                                                  header=ROMANIAN_HEADER))
    store, report = ingest(path)
    assert report.detected["encoding"] == "Windows-1250 (Central European)"
    assert report.warnings == [
        "4 values (for example “Ia?i”) have a “?” in place of letters that could not be saved "
        "in the Windows-1250 (Central European) encoding: save the file as UTF-8 (“CSV "
        "UTF-8”) to keep them."]
    assert stored_orders(store, store.dataset("Shop")) == EXPECTED  # stored all the same
    assert column_values(store, store.dataset("Shop"), "Ora?") == {"Ia?i", "Timi?oara",
                                                                  "Bra?ov"}


def test_one_lost_letter_is_one_value(tmp_path: Path) -> None:
    # Windows-1250 holds ţ ş (cedilla) and ă, not the ș of "Iași" (written "?" twice).
    text = ("Client;Data;Suma;Oraş\n"
            "Radu Ţepeş;03.01.2025;12,50;Iași\n"
            "Ioana Stănescu;04.01.2025;8,00;Iași\n"
            "Radu Ţepeş;05.01.2025;3,00;Piatra Neamţ\n")
    path = tmp_path / "o.csv"
    path.write_bytes(text.encode("cp1250", errors="replace"))
    _, report = ingest(path)
    assert report.detected["encoding"] == "Windows-1250 (Central European)"
    assert report.warnings == [
        "1 value (“Ia?i”) has a “?” in place of a letter that could not be saved in the "
        "Windows-1250 (Central European) encoding: save the file as UTF-8 (“CSV UTF-8”) to "
        "keep it."]


@pytest.mark.parametrize("encoding", ["utf-8", "cp1250"])
def test_question_marks_that_are_punctuation_are_not_lost_letters(tmp_path: Path,
                                                                  encoding: str) -> None:
    # "?" after a word, before one, alone, or where a currency sign stands
    text = ("Client;Data;Suma;Notă\n"
            "Radu Ţepeş;03.01.2025;12,50 ?;De ce? Nu ştiu\n"
            "Ana;04.01.2025;? 3,00;?A\n"
            "Ion;05.01.2025;1,00;?!\n")
    if encoding == "utf-8":  # a UTF-8 file holds every letter: its "?" is what was typed
        text += "Ia?i;06.01.2025;1,00;Ia?i\n"
    path = tmp_path / "o.csv"
    path.write_bytes(text.encode(encoding))
    _, report = ingest(path)
    assert report.rows_stored == text.count("\n") - 1
    assert report.warnings == []


# -- refusals: one sentence, nothing stored ---------------------------------------------

@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"   \r\n  ", "is empty"),
        (b"customer,date,amount\r\n", "has a header row but no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is not a text file"),
        (b"date,amount\n2025-01-01,3\n", "Choose which column holds Customer ID"),
        (b"customer,amount\na,3\n", "Choose which column holds Order date"),
        (b"customer,date,amount\na,soon,3\nb,later,4\n", "No value of the column “date” reads"),
        (b"customer,date,amount\na,2025-01-01," + b"9" * (3 << 20) + b"\n",
         "has a line longer than"),
    ],
    ids=["empty", "blank", "header-only", "binary", "no-customer", "no-date", "no-dates",
         "long-line"],
)
def test_unusable_files_are_refused_in_one_sentence(tmp_path: Path, content: bytes,
                                                    message: str) -> None:
    store = Store(":memory:")
    ingest_file(store, write_orders(tmp_path / "good.csv", Style()), dataset="Existing")
    before = stored_orders(store, store.dataset("Existing"))
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as refused:
        ingest_file(store, path, dataset="New")
    assert refused.value.message.count(". ") <= 2 and "\n" not in refused.value.message
    assert [d.name for d in store.datasets()] == ["Existing"]
    assert stored_orders(store, store.dataset("Existing")) == before


def test_files_over_the_upload_limit_are_refused_with_the_limit(tmp_path: Path) -> None:
    path = write_orders(tmp_path / "o.csv", Style())
    with pytest.raises(InputError, match=r"takes files up to 0 MB"):
        ingest_file(Store(":memory:"), path, dataset="X", max_bytes=10)


def test_a_dry_run_reports_and_stores_nothing(tmp_path: Path) -> None:
    store = Store(":memory:")
    report = ingest_file(store, write_orders(tmp_path / "o.csv", Style()), dataset="X",
                         dry_run=True)
    assert report.dry_run and report.rows_stored == 4
    assert report.dataset_id is None  # the dataset would be new: it has no id yet
    assert store.datasets() == []
    assert store.cursor().execute("SELECT count(*) FROM information_schema.schemata WHERE "
                                  "schema_name LIKE 'ds_%'").fetchone() == (0,)


def test_a_dry_run_into_an_existing_dataset_reports_its_id(tmp_path: Path) -> None:
    store = Store(":memory:")
    stored = ingest_file(store, write_orders(tmp_path / "o.csv", Style()), dataset="X")
    trial = ingest_file(store, write_orders(tmp_path / "o.csv", Style()), dataset="x",
                        replace=True, dry_run=True)
    assert trial.dataset_id == stored.dataset_id == store.dataset("X").id


def test_a_failure_half_way_leaves_no_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    store = Store(":memory:")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "register_table", broken)
    with pytest.raises(RuntimeError):
        ingest_file(store, write_orders(tmp_path / "o.csv", Style()), dataset="X")
    assert store.datasets() == []
    assert store.cursor().execute("SELECT count(*) FROM information_schema.tables WHERE "
                                  "table_schema LIKE 'ds_%'").fetchone() == (0,)


def test_the_direct_cast_of_plain_numbers_reads_what_the_full_cleaning_reads() -> None:
    # number_sql casts a value the engine reads as it stands and cleans only the others;
    # on 20,000 random strings over the characters exports use (digits, marks, signs,
    # spaces, exponents, currency letters, parentheses, "?") and hand-picked edge cases,
    # both give the same number (or both none), for both decimal marks and both types
    import random

    import duckdb

    from metrics.parsing import NumberStyle, cleaned_number_sql, number_sql

    rng = random.Random(20261124)
    alphabet = list("0123456789") * 3 + list(".,.,-+ eE_()?'$€\t") + [
        "\u00a0", "\u2212", "lei", "RON", "руб.", "inf", "nan"]
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9)))
              for _ in range(20_000)]
    values += ["1,234", "1.234", "1.234,5", "1,234.5", "1e5", "1E-2", "+.5e1", "5.", ".5",
               "1_000", " 7 ", "-0", "1.23456", "12345678901234567890", "(12.50)", "1 234,50",
               "12,5 lei", "?12.50", "1.2.3", "--5", "Infinity", ""]
    with duckdb.connect() as connection:
        connection.execute("CREATE TABLE t AS SELECT unnest($v) AS text", {"v": values})
        for mark in (".", ","):
            for type_sql in ("DECIMAL(18, 4)", "DOUBLE"):
                style = NumberStyle(mark)
                differ = connection.execute(
                    f"SELECT count(*), min(text) FROM t WHERE "
                    f"{number_sql('text', style, type_sql)} IS DISTINCT FROM "
                    f"{cleaned_number_sql('text', style, type_sql)}").fetchone()
                read = connection.execute(
                    f"SELECT count({number_sql('text', style, type_sql)}) FROM t").fetchone()
                assert differ == (0, None), (mark, type_sql, differ)
                assert read is not None and read[0] > 2_000  # plenty of numbers among them


@pytest.mark.parametrize("whole_file", [True, False])
def test_utf8_is_told_from_legacy_bytes_anywhere_in_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, whole_file: bool) -> None:
    # the file is checked in pieces (in one piece here, or in many): both see a bad byte
    # near the end of a long file, and a valid multi-byte letter split across pieces
    from metrics import readers

    if not whole_file:
        monkeypatch.setattr(readers, "UTF8_CHECK_BYTES", 1000)
    good = tmp_path / "good.csv"
    good.write_bytes(("a,b\n" + "x,ș\n" * 2000).encode("utf-8"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(("a,b\n" + "x,y\n" * 2000).encode("utf-8") + "z,ş\n".encode("cp1250"))
    assert readers._is_utf8(good) and not readers._is_utf8(bad)


def test_the_utf8_check_reads_the_file_piece_by_piece(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the check decodes pieces that stay in the processor's cache: it reads the whole
    # file (4 whole pieces and a part), never more than a piece at a time, nor all of it at once
    from metrics import readers

    monkeypatch.setattr(readers, "UTF8_CHECK_BYTES", 4096)
    path = tmp_path / "orders.csv"
    path.write_bytes(("a,b\n" + "x,ș\n" * 4000).encode("utf-8"))  # 4 + 4000 * 5 bytes
    reads: list[int] = []
    opened = Path.open

    class Counted:
        """The opened file, counting the bytes of each read."""

        def __init__(self, file: Any) -> None:
            self.file = file

        def __enter__(self) -> Counted:
            return self

        def __exit__(self, *exc: object) -> None:
            self.file.close()

        def read(self, size: int = -1) -> bytes:
            data: bytes = self.file.read(size)
            reads.append(len(data))
            return data

    def spying_open(self: Path, *args: Any, **kwargs: Any) -> Counted:
        return Counted(opened(self, *args, **kwargs))

    monkeypatch.setattr(Path, "open", spying_open)
    assert readers._is_utf8(path)
    assert sum(reads) == 20_004
    assert max(reads) == 4096 and len([n for n in reads if n]) == 5
