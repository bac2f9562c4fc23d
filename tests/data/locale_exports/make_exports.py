"""Rebuild the locale export fixtures of this folder (needs LibreOffice: soffice).

    python tests/data/locale_exports/make_exports.py [OUTDIR]

Writes the two shop managers' workbooks (romanian_orders_source.xlsx,
russian_orders_source.xlsx: real date cells, amounts formatted with a thousands separator
and two decimals), then lets LibreOffice, running with its locale setting on ro-RO or
ru-RU, save them as CSV and as .xlsx the way a user in that locale would. See README.md.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import openpyxl
from openpyxl.styles import Font

HERE = Path(__file__).parent

ROMANIAN_HEADER = ("Nr. comandă", "Data", "Client", "Valoare", "Canal", "Oraș")
# ș ț (comma below) as today's keyboards type them, ş ţ (cedilla) as older ones did.
ROMANIAN_ROWS = [
    ("CMD-1001", date(2025, 1, 3), "Ana Mureșan", 1234.5, "Magazin online", "Iași"),
    ("CMD-1002", date(2025, 1, 4), "Ioana Stănescu", 89.9, "Magazin online", "București"),
    ("CMD-1003", date(2025, 1, 7), "Mihai Bălănescu", 12500, "Showroom", "Cluj-Napoca"),
    ("CMD-1004", date(2025, 1, 9), "Radu Ţepeş", 349.99, "Telefon", "Târgu Mureş"),
    ("CMD-1005", date(2025, 1, 12), "Cristina Vâlcu", 2150.75, "eMAG Marketplace",
     "Râmnicu Vâlcea"),
    ("CMD-1006", date(2025, 1, 15), "Ana Mureșan", 75, "Magazin online", "Iași"),
    ("CMD-1007", date(2025, 1, 20), "Andrei Pîrvulescu", 4999, "Showroom", "Brașov"),
    ("CMD-1008", date(2025, 1, 25), "Elena Dumitrașcu", 560.4, "Magazin online", "Constanța"),
    ("R-1002", date(2025, 1, 28), "Ioana Stănescu", -89.9, "Magazin online", "București"),
    ("CMD-1009", date(2025, 2, 2), "Gheorghe Iordache", 1875.25, "Telefon", "Bârlad"),
    ("CMD-1010", date(2025, 2, 5), "Maria Popescu", 129, "Magazin online", "Timișoara"),
    ("CMD-1011", date(2025, 2, 10), "Ştefan Costache", 3420.8, "Showroom", "Piatra Neamţ"),
    ("CMD-1012", date(2025, 2, 14), "Ana Mureșan", 249.5, "Magazin online", "Iași"),
    ("CMD-1013", date(2025, 2, 14), "Alexandru Țurcanu", 15780, "eMAG Marketplace",
     "Constanța"),
    ("CMD-1014", date(2025, 2, 18), "Florin Neagu", 99.99, "Magazin online", "București"),
    ("CMD-1015", date(2025, 2, 22), "Mihai Bălănescu", 1100, "Showroom", "Cluj-Napoca"),
    ("CMD-1016", date(2025, 3, 1), "Radu Ţepeş", 45.5, "Telefon", "Târgu Mureş"),
    ("CMD-1017", date(2025, 3, 4), "Cristina Vâlcu", 780, "eMAG Marketplace",
     "Râmnicu Vâlcea"),
    ("R-1007", date(2025, 3, 6), "Andrei Pîrvulescu", -500, "Showroom", "Brașov"),
    ("CMD-1018", date(2025, 3, 11), "Maria Popescu", 2345.6, "Magazin online", "Timișoara"),
    ("CMD-1019", date(2025, 3, 13), "Elena Dumitrașcu", 1234.5, "Magazin online", "Constanța"),
    ("CMD-1020", date(2025, 3, 17), "Gheorghe Iordache", 310, "Telefon", "Bârlad"),
    ("CMD-1021", date(2025, 3, 21), "Ioana Stănescu", 1049.9, "Magazin online", "București"),
    ("CMD-1022", date(2025, 3, 25), "Ştefan Costache", 89, "Showroom", "Piatra Neamţ"),
    ("CMD-1023", date(2025, 4, 1), "Florin Neagu", 6750, "eMAG Marketplace", "București"),
    ("CMD-1024", date(2025, 4, 3), "Ana Mureșan", 1234.5, "Magazin online", "Iași"),
    ("CMD-1025", date(2025, 4, 8), "Alexandru Țurcanu", 215.3, "eMAG Marketplace",
     "Constanța"),
    ("CMD-1026", date(2025, 4, 12), "Andrei Pîrvulescu", 880, "Showroom", "Brașov"),
    ("CMD-1027", date(2025, 4, 15), "Mihai Bălănescu", 59.9, "Magazin online", "Cluj-Napoca"),
    ("CMD-1028", date(2025, 4, 22), "Cristina Vâlcu", 3300, "Telefon", "Râmnicu Vâlcea"),
]

RUSSIAN_HEADER = ("Номер заказа", "Дата", "Покупатель", "Сумма", "Канал", "Город")
RUSSIAN_ROWS = [
    ("ЗК-0101", date(2025, 1, 9), "Иванов Пётр", 1234.5, "Интернет-магазин", "Москва"),
    ("ЗК-0102", date(2025, 1, 10), "Сидорова Анна", 15990, "Розница", "Санкт-Петербург"),
    ("ЗК-0103", date(2025, 1, 13), "Ёлкина Юлия", 2499.99, "Маркетплейс", "Казань"),
    ("ЗК-0104", date(2025, 1, 16), "ООО «Ромашка»", 125000, "Телефон", "Нижний Новгород"),
    ("ЗК-0105", date(2025, 1, 20), "Кузнецов Дмитрий", 780, "Интернет-магазин",
     "Екатеринбург"),
    ("ЗК-0106", date(2025, 1, 23), "Смирнова Ольга", 3450.75, "Розница", "Москва"),
    ("ЗК-0107", date(2025, 1, 27), "Иванов Пётр", 560.4, "Интернет-магазин", "Москва"),
    ("ЗК-0108", date(2025, 1, 30), "Щербаков Илья", 9999.9, "Маркетплейс", "Ростов-на-Дону"),
    ("ВЗ-0001", date(2025, 2, 3), "Сидорова Анна", -15990, "Розница", "Санкт-Петербург"),
    ("ЗК-0109", date(2025, 2, 5), "Попова Татьяна", 1875.25, "Интернет-магазин",
     "Новосибирск"),
    ("ЗК-0110", date(2025, 2, 7), "Васильев Алексей", 42300, "Телефон", "Самара"),
    ("ЗК-0111", date(2025, 2, 11), "Соколова Мария", 349, "Маркетплейс", "Казань"),
    ("ЗК-0112", date(2025, 2, 14), "Михайлов Сергей", 1299, "Интернет-магазин",
     "Санкт-Петербург"),
    ("ЗК-0113", date(2025, 2, 18), "Фёдорова Екатерина", 6780.5, "Розница", "Екатеринбург"),
    ("ЗК-0114", date(2025, 2, 21), "Ёлкина Юлия", 450, "Маркетплейс", "Казань"),
    ("ЗК-0115", date(2025, 2, 25), "ООО «Ромашка»", 87650.4, "Телефон", "Нижний Новгород"),
    ("ЗК-0116", date(2025, 3, 3), "Кузнецов Дмитрий", 2100, "Интернет-магазин",
     "Екатеринбург"),
    ("ЗК-0117", date(2025, 3, 6), "Иванов Пётр", 1234.5, "Интернет-магазин", "Москва"),
    ("ВЗ-0002", date(2025, 3, 10), "Щербаков Илья", -1999.9, "Маркетплейс", "Ростов-на-Дону"),
    ("ЗК-0118", date(2025, 3, 12), "Смирнова Ольга", 899.9, "Розница", "Москва"),
    ("ЗК-0119", date(2025, 3, 17), "Попова Татьяна", 15400, "Интернет-магазин",
     "Новосибирск"),
    ("ЗК-0120", date(2025, 3, 19), "Васильев Алексей", 720, "Телефон", "Самара"),
    ("ЗК-0121", date(2025, 3, 24), "Соколова Мария", 2650.35, "Маркетплейс", "Казань"),
    ("ЗК-0122", date(2025, 3, 28), "Михайлов Сергей", 129.99, "Интернет-магазин",
     "Санкт-Петербург"),
    ("ЗК-0123", date(2025, 4, 1), "Фёдорова Екатерина", 1100, "Розница", "Екатеринбург"),
    ("ЗК-0124", date(2025, 4, 4), "Сидорова Анна", 4320, "Розница", "Санкт-Петербург"),
    ("ЗК-0125", date(2025, 4, 9), "ООО «Ромашка»", 210500, "Телефон", "Нижний Новгород"),
    ("ЗК-0126", date(2025, 4, 14), "Ёлкина Юлия", 990, "Маркетплейс", "Казань"),
    ("ЗК-0127", date(2025, 4, 18), "Щербаков Илья", 3200.8, "Маркетплейс", "Ростов-на-Дону"),
    ("ЗК-0128", date(2025, 4, 23), "Иванов Пётр", 75.5, "Интернет-магазин", "Москва"),
]

# Number formats as a user picks them in Format > Cells: the date in the locale's short
# form (built-in format 14 of Excel and LibreOffice: "the system's short date"), the
# amount with a thousands separator and two decimals. Both are written in the locale's
# own marks when LibreOffice saves "as shown".
DATE_FORMAT = "mm-dd-yy"  # openpyxl's name for built-in format 14
AMOUNT_FORMAT = "#,##0.00"
# The same amounts formatted as currency (the toolbar's currency button in that locale):
# "1.234,50 lei" and "1 234,50 ₽". Windows-1251 has no ₽: LibreOffice writes "?" for it.
CURRENCY_FORMATS = {"ro-RO": "#,##0.00 [$lei-418]", "ru-RU": "#,##0.00 [$₽-419]"}

# LibreOffice's CSV export filter options (see README.md):
# 59 = ';' field separator, 34 = '"' text delimiter, charset, 1, (no column formats),
# language, quote all text cells = false, detect special numbers = true,
# save cell contents as shown = true.
CHARSETS = {"utf8": "76", "cp1250": "33", "cp1251": "34"}
LANGUAGES = {"ro-RO": "1048", "ru-RU": "1049"}


def write_workbook(path: Path, header: tuple[str, ...], rows: list[tuple],
                   amount_format: str = AMOUNT_FORMAT) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Comenzi" if header[0].startswith("Nr") else "Заказы"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
        sheet.cell(sheet.max_row, 2).number_format = DATE_FORMAT
        sheet.cell(sheet.max_row, 4).number_format = amount_format
    for column, width in zip("ABCDEF", (14, 12, 22, 14, 18, 18), strict=True):
        sheet.column_dimensions[column].width = width
    workbook.save(path)


def profile(folder: Path, locale: str) -> str:
    """A LibreOffice user profile whose Tools > Options > Language > Locale is ``locale``."""
    user = folder / f"profile-{locale}"
    (user / "user").mkdir(parents=True, exist_ok=True)
    (user / "user" / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        '<item oor:path="/org.openoffice.Setup/L10N">'
        f'<prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>{locale}</value></prop>'
        '</item>\n</oor:items>\n', encoding="utf-8")
    return user.as_uri()


def soffice(user: str, target: str, source: Path, outdir: Path) -> Path:
    subprocess.run(["soffice", f"-env:UserInstallation={user}", "--headless",
                    "--convert-to", target, "--outdir", str(outdir), str(source)],
                   check=True, capture_output=True)
    extension = target.split(":")[0]
    return outdir / f"{source.stem}.{extension}"


def export(work: Path, out: Path, source: Path, locale: str, charset: str, name: str
           ) -> None:
    options = f"59,34,{CHARSETS[charset]},1,,{LANGUAGES[locale]},false,true,true"
    made = soffice(profile(work, locale), f"csv:Text - txt - csv (StarCalc):{options}",
                   source, work / name)
    shutil.copy(made, out / f"{name}.csv")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        romanian = work / "romanian_orders_source.xlsx"
        russian = work / "russian_orders_source.xlsx"
        write_workbook(romanian, ROMANIAN_HEADER, ROMANIAN_ROWS)
        write_workbook(russian, RUSSIAN_HEADER, RUSSIAN_ROWS)
        shutil.copy(romanian, out)
        shutil.copy(russian, out)
        export(work, out, romanian, "ro-RO", "cp1250", "ro_libreoffice_cp1250")
        export(work, out, romanian, "ro-RO", "utf8", "ro_libreoffice_utf8")
        export(work, out, russian, "ru-RU", "cp1251", "ru_libreoffice_cp1251")
        for header, rows, locale, charset, name in (
                (ROMANIAN_HEADER, ROMANIAN_ROWS, "ro-RO", "cp1250", "ro_libreoffice_cp1250_lei"),
                (RUSSIAN_HEADER, RUSSIAN_ROWS, "ru-RU", "cp1251", "ru_libreoffice_cp1251_rub")):
            source = work / "currency" / f"{name}.xlsx"
            source.parent.mkdir(exist_ok=True)
            write_workbook(source, header, rows, CURRENCY_FORMATS[locale])
            export(work, out, source, locale, charset, name)
        for source, locale, name in ((romanian, "ro-RO", "ro_libreoffice"),
                                     (russian, "ru-RU", "ru_libreoffice")):
            made = soffice(profile(work, locale), "xlsx:Calc MS Excel 2007 XML", source,
                           work / name)
            shutil.copy(made, out / f"{name}.xlsx")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
