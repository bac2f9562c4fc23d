"""Orders exports saved by LibreOffice in a Romanian and a Russian locale, ingested as a
new user would upload them (no option given: everything is detected).

The files are in tests/data/locale_exports/ (README.md there says how LibreOffice made
them). The expected numbers below are worked out by hand from the spreadsheet rows in
make_exports.py there, not by running the ingest.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from metrics.ingest import ingest_file
from metrics.kpis import kpi_table
from metrics.query.filters import Filters
from metrics.store import Store
from tests.corpus import column_values, stored_orders

EXPORTS = Path(__file__).parent / "data" / "locale_exports"

# -- the Romanian workbook: 30 rows, 28 orders and 2 refunds of 12 customers -------------
# Orders by month (amounts in lei):
#   Jan: 1234.50 + 89.90 + 12500.00 + 349.99 + 2150.75 + 75.00 + 4999.00 + 560.40
#        = 21959.54 (8 orders)
#   Feb: 1875.25 + 129.00 + 3420.80 + 249.50 + 15780.00 + 99.99 + 1100.00
#        = 22654.54 (7 orders)
#   Mar: 45.50 + 780.00 + 2345.60 + 1234.50 + 310.00 + 1049.90 + 89.00 = 5854.50 (7 orders)
#   Apr: 6750.00 + 1234.50 + 215.30 + 880.00 + 59.90 + 3300.00 = 12439.70 (6 orders)
#   gross = 21959.54 + 22654.54 + 5854.50 + 12439.70 = 62908.28 (8 + 7 + 7 + 6 = 28 orders)
# Refunds: R-1002 -89.90 (28.01), R-1007 -500.00 (06.03) = -589.90 (2 refunds)
# Revenue net of refunds = 62908.28 - 589.90 = 62318.38; rows = 28 + 2 = 30.
# Customers: Ana Mureșan, Ioana Stănescu, Mihai Bălănescu, Radu Ţepeş, Cristina Vâlcu,
# Andrei Pîrvulescu, Elena Dumitrașcu, Gheorghe Iordache, Maria Popescu, Ştefan Costache,
# Alexandru Țurcanu, Florin Neagu = 12 (both refunded customers also bought).
RO_ROWS, RO_CUSTOMERS, RO_ORDERS = 30, 12, 28
RO_REVENUE = Decimal("62318.38")
RO_REFUNDS, RO_REFUNDED = 2, Decimal("-589.90")
# "Târgu Mureş" (â, cedilla ş): Radu Ţepeş, CMD-1004 349.99 + CMD-1016 45.50 = 395.49
RO_CEDILLA_CITY_REVENUE = Decimal("395.49")
# "Iași" (comma-below ș): Ana Mureșan, 1234.50 + 75.00 + 249.50 + 1234.50 = 2793.50
RO_COMMA_CITY_REVENUE = Decimal("2793.50")

# -- the Russian workbook: 30 rows, 28 orders and 2 refunds of 12 customers --------------
# Orders by month (amounts in roubles):
#   Jan: 1234.50 + 15990.00 + 2499.99 + 125000.00 + 780.00 + 3450.75 + 560.40 + 9999.90
#        = 159515.54 (8 orders)
#   Feb: 1875.25 + 42300.00 + 349.00 + 1299.00 + 6780.50 + 450.00 + 87650.40
#        = 140704.15 (7 orders)
#   Mar: 2100.00 + 1234.50 + 899.90 + 15400.00 + 720.00 + 2650.35 + 129.99
#        = 23134.74 (7 orders)
#   Apr: 1100.00 + 4320.00 + 210500.00 + 990.00 + 3200.80 + 75.50 = 220186.30 (6 orders)
#   gross = 159515.54 + 140704.15 + 23134.74 + 220186.30 = 543540.73 (28 orders)
# Refunds: ВЗ-0001 -15990.00 (03.02), ВЗ-0002 -1999.90 (10.03) = -17989.90 (2 refunds)
# Revenue net of refunds = 543540.73 - 17989.90 = 525550.83; rows = 28 + 2 = 30.
# Customers: Иванов Пётр, Сидорова Анна, Ёлкина Юлия, ООО «Ромашка», Кузнецов Дмитрий,
# Смирнова Ольга, Щербаков Илья, Попова Татьяна, Васильев Алексей, Соколова Мария,
# Михайлов Сергей, Фёдорова Екатерина = 12.
RU_ROWS, RU_CUSTOMERS, RU_ORDERS = 30, 12, 28
RU_REVENUE = Decimal("525550.83")
RU_REFUNDS, RU_REFUNDED = 2, Decimal("-17989.90")
# "Санкт-Петербург": Сидорова Анна 15990.00 - 15990.00 (refund) + 4320.00,
# Михайлов Сергей 1299.00 + 129.99: 4320.00 + 1428.99 = 5748.99
RU_CITY_REVENUE = Decimal("5748.99")

RO_MAPPING = {"customer_id": "Client", "order_date": "Data", "amount": "Valoare",
              "order_id": "Nr. comandă", "channel": "Canal"}
RU_MAPPING = {"customer_id": "Покупатель", "order_date": "Дата", "amount": "Сумма",
              "order_id": "Номер заказа", "channel": "Канал"}
# What a user in the locale gets from LibreOffice's CSV export (see the first lines below).
LOCALE_CSV = {"delimiter": ";", "decimal_mark": ",", "date_format": "dd.mm.yyyy"}
# A workbook's dates and amounts are typed cells: no delimiter, mark or format was read.
WORKBOOK = {"decimal_mark": "number cells", "date_format": "date cells"}

# Windows-1250 lost the comma-below ș ț: the values of the Romanian rows (make_exports.py)
# with a "?" between two letters, in file order: Ana Mure?an, Ia?i (row 2), Bucure?ti
# (row 3), Bra?ov (CMD-1007), Elena Dumitra?cu and Constan?a (CMD-1008), Timi?oara
# (CMD-1010) = 7. Not counted: "Alexandru ?urcanu" and the header "Ora?" (no letter on
# one side of the "?").
RO_LOST_LETTERS = (
    "7 values (for example “Ana Mure?an”) have a “?” in place of letters that could not be "
    "saved in the Windows-1250 (Central European) encoding: save the file as UTF-8 (“CSV "
    "UTF-8”) to keep them.")

# Values written as the bytes the user's file holds, so the check is byte-exact.
TARGU_MURES = b"T\xe2rgu Mure\xba".decode("cp1250")  # â, ş with cedilla (U+015F)
IASI = b"Ia\xc8\x99i".decode("utf-8")  # ș with comma below (U+0219)
STEFAN = b"\xaatefan Costache".decode("cp1250")  # Ş with cedilla (U+015E)
ROMASHKA = b"\xce\xce\xce \xab\xd0\xee\xec\xe0\xf8\xea\xe0\xbb".decode("cp1251")
YOLKINA = b"\xa8\xeb\xea\xe8\xed\xe0 \xde\xeb\xe8\xff".decode("cp1251")  # Ё
PETERSBURG = b"\xd1\xe0\xed\xea\xf2-\xcf\xe5\xf2\xe5\xf0\xe1\xf3\xf0\xe3".decode("cp1251")


@dataclass(frozen=True)
class Export:
    file: str
    encoding: str
    csv: bool  # False for .xlsx: no delimiter, and its numbers and dates are typed cells
    mapping: dict[str, str]
    expected: tuple[int, int, int, Decimal]
    refunds: tuple[int, Decimal]
    city_column: str
    city: str
    city_revenue: Decimal
    customer: str
    # The currency suggested, and the hint it comes from (None: a sign beside the amounts)
    currency: tuple[str, str | None]
    warnings: tuple[str, ...] = ()


def romanian(file: str, encoding: str, city_column: str, currency: tuple[str, str | None],
             warnings: tuple[str, ...] = ()) -> Export:
    return Export(file, encoding, file.endswith(".csv"), RO_MAPPING,
                  (RO_ROWS, RO_CUSTOMERS, RO_ORDERS, RO_REVENUE), (RO_REFUNDS, RO_REFUNDED),
                  city_column, TARGU_MURES, RO_CEDILLA_CITY_REVENUE, STEFAN, currency,
                  warnings)


def russian(file: str, encoding: str, currency: tuple[str, str | None]) -> Export:
    return Export(file, encoding, file.endswith(".csv"), RU_MAPPING,
                  (RU_ROWS, RU_CUSTOMERS, RU_ORDERS, RU_REVENUE), (RU_REFUNDS, RU_REFUNDED),
                  "Город", PETERSBURG, RU_CITY_REVENUE, ROMASHKA, currency)


CP1250, CP1251 = "Windows-1250 (Central European)", "Windows-1251 (Cyrillic)"
# Where the currency comes from when the amounts carry no sign: Windows-1250 with Romanian
# letters (ă in "Nr. comandă", ş ţ in the names) is RON, Windows-1251 is RUB; a UTF-8 file
# or a workbook tells by its column names ("Nr. comandă", "Valoare"; Cyrillic).
EXPORTS_SAVED = [
    # Windows-1250 has no ș ț with comma below: LibreOffice wrote "?" for them (also in
    # the header "Oraș"), while ă â î and the cedilla ş ţ are kept. The user is told.
    romanian("ro_libreoffice_cp1250.csv", CP1250, "Ora?", ("RON", "encoding"),
             (RO_LOST_LETTERS,)),
    romanian("ro_libreoffice_cp1250_lei.csv", CP1250, "Ora?", ("RON", None),
             (RO_LOST_LETTERS,)),
    romanian("ro_libreoffice_utf8.csv", "UTF-8", "Oraș", ("RON", "headers")),
    romanian("ro_libreoffice.xlsx", "Excel workbook, sheet “Comenzi”", "Oraș",
             ("RON", "headers")),
    russian("ru_libreoffice_cp1251.csv", CP1251, ("RUB", "encoding")),
    # Amounts formatted as currency: Windows-1251 has no ₽, so every amount reads
    # "1 234,50 ?". The "?" stands where the sign stands: it is dropped and the number
    # read (the ingest used to refuse the file: "None of the 30 rows could be used:
    # Amount is not a number."). A "?" names no currency: the code page suggests RUB.
    russian("ru_libreoffice_cp1251_rub.csv", CP1251, ("RUB", "encoding")),
    russian("ru_libreoffice.xlsx", "Excel workbook, sheet “Заказы”", ("RUB", "headers")),
]


@pytest.mark.parametrize("export", EXPORTS_SAVED, ids=lambda e: e.file)
def test_a_locale_export_uploads_with_nothing_but_the_suggested_mapping(export: Export) -> None:
    store = Store(":memory:")
    report = ingest_file(store, EXPORTS / export.file, dataset="Shop")
    assert report.mapping == export.mapping
    code, hint = export.currency
    assert report.detected == {"encoding": export.encoding,
                               **(LOCALE_CSV if export.csv else WORKBOOK), "currency": code,
                               **({"currency_hint": hint} if hint else {})}
    assert (report.currency, report.currency_source) == (code, hint or "amounts")
    rows = export.expected[0]
    assert (report.rows_read, report.rows_stored, report.rows_rejected) == (rows, rows, 0)
    assert report.refunds == export.refunds[0]
    assert report.warnings == list(export.warnings)
    assert report.segment_columns == ["channel", export.city_column]

    dataset = store.dataset("Shop")
    assert dataset.currency == code
    assert stored_orders(store, dataset) == export.expected
    refunded = store.cursor().execute(
        f"SELECT count(*), sum(amount) FROM {dataset.table('orders')} WHERE amount < 0"
    ).fetchone()
    assert refunded is not None
    assert (refunded[0], Decimal(refunded[1]).quantize(Decimal("0.01"))) == export.refunds

    assert export.city in column_values(store, dataset, export.city_column)
    assert export.customer in column_values(store, dataset, "customer_id")
    table = kpi_table(store, dataset, Filters(segments=((export.city_column, (export.city,)),)))
    assert Decimal(str(round(table["revenue"].sum(), 2))) == export.city_revenue


@pytest.mark.parametrize("file", ["ro_libreoffice_utf8.csv", "ro_libreoffice.xlsx"])
def test_romanian_comma_below_letters_survive_utf8_and_excel(file: str) -> None:
    store = Store(":memory:")
    ingest_file(store, EXPORTS / file, dataset="Shop")
    dataset = store.dataset("Shop")
    cities = column_values(store, dataset, "Oraș")
    assert IASI in cities
    assert IASI.encode("utf-8") == b"Ia\xc8\x99i"
    table = kpi_table(store, dataset, Filters(segments=(("Oraș", (IASI,)),)))
    assert Decimal(str(round(table["revenue"].sum(), 2))) == RO_COMMA_CITY_REVENUE


def test_russian_yo_survives_windows_1251() -> None:
    store = Store(":memory:")
    ingest_file(store, EXPORTS / "ru_libreoffice_cp1251.csv", dataset="Shop")
    assert YOLKINA in column_values(store, store.dataset("Shop"), "customer_id")


# The first lines as LibreOffice wrote them: a guard against the fixtures being re-saved
# by an editor or re-encoded by git, and the evidence of what a user in the locale gets.
FIRST_LINES = {
    "ro_libreoffice_cp1250.csv":
        b"Nr. comand\xe3;Data;Client;Valoare;Canal;Ora?\n"
        b"CMD-1001;03.01.2025;Ana Mure?an;1.234,50;Magazin online;Ia?i\n",
    "ro_libreoffice_cp1250_lei.csv":
        b"Nr. comand\xe3;Data;Client;Valoare;Canal;Ora?\n"
        b"CMD-1001;03.01.2025;Ana Mure?an;1.234,50 lei;Magazin online;Ia?i\n",
    "ro_libreoffice_utf8.csv":
        b"Nr. comand\xc4\x83;Data;Client;Valoare;Canal;Ora\xc8\x99\n"
        b"CMD-1001;03.01.2025;Ana Mure\xc8\x99an;1.234,50;Magazin online;Ia\xc8\x99i\n",
    "ru_libreoffice_cp1251.csv":
        b"\xcd\xee\xec\xe5\xf0 \xe7\xe0\xea\xe0\xe7\xe0;\xc4\xe0\xf2\xe0;"
        b"\xcf\xee\xea\xf3\xef\xe0\xf2\xe5\xeb\xfc;\xd1\xf3\xec\xec\xe0;\xca\xe0\xed\xe0\xeb;"
        b"\xc3\xee\xf0\xee\xe4\n"
        b"\xc7\xca-0101;09.01.2025;\xc8\xe2\xe0\xed\xee\xe2 \xcf\xb8\xf2\xf0;1\xa0234,50;"
        b"\xc8\xed\xf2\xe5\xf0\xed\xe5\xf2-\xec\xe0\xe3\xe0\xe7\xe8\xed;\xcc\xee\xf1\xea\xe2\xe0\n",
    "ru_libreoffice_cp1251_rub.csv":
        b"\xcd\xee\xec\xe5\xf0 \xe7\xe0\xea\xe0\xe7\xe0;\xc4\xe0\xf2\xe0;"
        b"\xcf\xee\xea\xf3\xef\xe0\xf2\xe5\xeb\xfc;\xd1\xf3\xec\xec\xe0;\xca\xe0\xed\xe0\xeb;"
        b"\xc3\xee\xf0\xee\xe4\n"
        b"\xc7\xca-0101;09.01.2025;\xc8\xe2\xe0\xed\xee\xe2 \xcf\xb8\xf2\xf0;1\xa0234,50 ?;"
        b"\xc8\xed\xf2\xe5\xf0\xed\xe5\xf2-\xec\xe0\xe3\xe0\xe7\xe8\xed;\xcc\xee\xf1\xea\xe2\xe0\n",
}


@pytest.mark.parametrize("file", sorted(FIRST_LINES))
def test_the_fixtures_hold_what_libreoffice_wrote(file: str) -> None:
    data = (EXPORTS / file).read_bytes()
    assert data.startswith(FIRST_LINES[file])
    assert data.count(b"\n") == 31 and b"\r" not in data  # header + 30 rows, LF endings


def test_the_question_mark_for_the_rouble_sign_costs_no_amount() -> None:
    # The same sheet saved with and without the currency format: "1 234,50 ?" and
    # "1 234,50" must give every order the same amount.
    amounts = []
    for file in ("ru_libreoffice_cp1251.csv", "ru_libreoffice_cp1251_rub.csv"):
        store = Store(":memory:")
        ingest_file(store, EXPORTS / file, dataset="Shop")
        amounts.append(store.cursor().execute(
            f"SELECT order_id, amount FROM {store.dataset('Shop').table('orders')} "
            f"ORDER BY order_id").fetchall())
    assert amounts[0] == amounts[1]
    assert len(amounts[1]) == RU_ROWS
    assert ("ЗК-0101", Decimal("1234.5000")) in amounts[1]  # "1\xa0234,50 ?", the first row
    assert ("ВЗ-0001", Decimal("-15990.0000")) in amounts[1]  # "-15\xa0990,00 ?", a refund
