"""The ingest corpus through the Data page: the same files as tests/test_ingest_corpus.py
(one of each encoding, delimiter, number style and date style) and the real LibreOffice
exports, uploaded with AppTest's file uploader, confirmed with the suggested mapping and
stored; the stored rows, customers, orders and revenue equal the corpus's worked-out
figures (tests/corpus.py: 4 rows, 3 customers, 3 orders, 1310.00)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.store import Store
from tests.corpus import CEDILLA, RUSSIAN, Style, orders_text, stored_orders
from tests.test_app import LOCALE_EXPORTS, open_app, store_upload, unescaped, upload


def comma(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")


CORPUS = {
    "utf-8-bom.csv": (Style(encoding="utf-8-sig"), "utf-8-sig"),
    "utf-16.csv": (Style(encoding="utf-16"), "utf-16"),
    "cp1250.csv": (Style(encoding="cp1250", delimiter=";", amount=comma,
                         names=lambda s: s.translate(CEDILLA)), "cp1250"),
    "cp1251.csv": (Style(encoding="cp1251", delimiter=";", amount=comma,
                         names=lambda s: RUSSIAN.get(s, s)), "cp1251"),
    "tab-crlf.csv": (Style(delimiter="\t", newline="\r\n"), "utf-8"),
    "pipe.csv": (Style(delimiter="|"), "utf-8"),
    "space-thousands.csv": (Style(delimiter=";", amount=lambda a: f"{a:,.2f}".replace(
        ",", "\u00a0").replace(".", ",")), "utf-8"),
    "dot-thousands.csv": (Style(delimiter=";", amount=lambda a: f"{a:,.2f}".replace(
        ",", "#").replace(".", ",").replace("#", ".")), "utf-8"),
    "us-thousands.csv": (Style(amount=lambda a: f"{a:,.2f}"), "utf-8"),
    "lei.csv": (Style(delimiter=";", amount=lambda a: f"{comma(a)} lei"), "utf-8"),
    "dd.mm.yyyy.csv": (Style(date=lambda d: d.strftime("%d.%m.%Y")), "utf-8"),
    "iso-timestamps.csv": (Style(date=lambda d: f"{d.isoformat()}T23:30:00+02:00"), "utf-8"),
    "yyyymmdd.csv": (Style(date=lambda d: d.strftime("%Y%m%d")), "utf-8"),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_the_corpus_stores_the_same_orders_through_the_data_page(db: Path, name: str
                                                                   ) -> None:
    style, encoding = CORPUS[name]
    app = upload(open_app(page="app_pages/data.py"), name,
                 orders_text(style).encode(encoding))
    store_upload(app)
    with Store(db) as store:
        dataset = store.dataset(name.rsplit(".", 1)[0])
        assert stored_orders(store, dataset) == (4, 3, 3, Decimal("1310.00"))


# The LibreOffice exports (tests/data/locale_exports/README.md): 30 rows, 12 customers,
# 28 orders and 2 refunds; revenue as worked out in tests/test_locale_exports.py.
EXPORTS = {
    "ro_libreoffice_cp1250.csv": Decimal("62318.38"),
    "ro_libreoffice_utf8.csv": Decimal("62318.38"),
    "ro_libreoffice.xlsx": Decimal("62318.38"),
    "ru_libreoffice_cp1251.csv": Decimal("525550.83"),
    "ru_libreoffice_cp1251_rub.csv": Decimal("525550.83"),
    "ru_libreoffice.xlsx": Decimal("525550.83"),
}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_libreoffice_exports_need_nothing_but_confirming_the_mapping(db: Path, name: str
                                                                     ) -> None:
    app = upload(open_app(page="app_pages/data.py"), name, (LOCALE_EXPORTS / name).read_bytes())
    store_upload(app)
    with Store(db) as store:
        dataset = store.dataset(name.rsplit(".", 1)[0])
        assert stored_orders(store, dataset) == (30, 12, 28, EXPORTS[name])
        assert dataset.currency == ("RON" if name.startswith("ro") else "RUB")


def report_details(app: AppTest) -> str:
    """The report's line of what was detected (encoding, delimiter, ...)."""
    return next(unescaped(c.value) for c in app.caption if "Encoding: " in unescaped(c.value))


def test_reading_options_change_how_the_file_is_read(db: Path) -> None:
    # amounts written with three decimals, all below 1,000: read as thousands unless the
    # user says the decimal mark is a point (12.5 + 80 + 15.5 = 108)
    rows = [("a", date(2025, 1, 3), Decimal("12.5"), "x"),
            ("b", date(2025, 1, 5), Decimal("80"), "x"),
            ("c", date(2025, 2, 5), Decimal("15.5"), "x")]
    text = orders_text(Style(amount=lambda a: f"{a:.3f}", delimiter=";"), rows)
    app = upload(open_app(page="app_pages/data.py"), "three.csv", text.encode("utf-8"))
    assert "Decimal mark: comma" in report_details(app)
    options = {s.key.split("_")[1]: s for s in app.selectbox
               if s.key and s.key.startswith("read_")}
    assert [options[k].value for k in ("encoding", "delimiter", "decimal", "date")] == [
        None, None, None, None]  # "Detect"
    options["decimal"].set_value(".").run()
    assert not app.exception, app.exception
    assert "Decimal mark: point" in report_details(app)
    store_upload(app)
    with Store(db) as store:
        assert stored_orders(store, store.dataset("three"))[3] == Decimal("108.00")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file Orders May.csv is empty: export it again with its rows."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "Orders May.csv is not a text file."),
        (b"PK\x05\x06" + b"\x00" * 18, "Orders May.csv holds no file"),
    ],
    ids=["empty", "binary", "empty-zip"],
)
def test_errors_name_the_file_the_user_uploaded(db: Path, content: bytes, message: str
                                                ) -> None:
    # the page keeps uploads under a name made from their content: never shown
    app = upload(open_app(page="app_pages/data.py"), "Orders May.csv", content)
    errors = [unescaped(e.value) for e in app.error]
    assert len(errors) == 1 and errors[0].startswith(message), errors


def test_benchmark_file_errors_name_the_file_the_user_uploaded(db: Path) -> None:
    app = open_app(page="app_pages/data.py")
    uploader = next(u for u in app.file_uploader if u.key.startswith("benchmark_file_"))
    uploader.upload("Our targets.csv", b"", "text/csv").run()
    assert not app.exception, app.exception
    assert [unescaped(e.value) for e in app.error] == [
        "The file Our targets.csv is empty: export it again with its rows."]


def test_a_zipped_export_is_uploaded_and_stored(db: Path) -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("orders.csv", orders_text(Style(delimiter=";")))
    app = upload(open_app(page="app_pages/data.py"), "export.zip", buffer.getvalue())
    assert not app.error, [e.value for e in app.error]
    store_upload(app)
    with Store(db) as store:
        assert stored_orders(store, store.dataset("export")) == (4, 3, 3, Decimal("1310.00"))
