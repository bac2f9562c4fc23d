"""Turning result tables into files a user downloads: CSV, JSON records, Excel.

Text cells that a spreadsheet would run as a formula (starting with = + - @, or a tab or
carriage return) get a leading apostrophe, so a segment name or comment from a user's
file can never execute in the colleague's spreadsheet. Numbers are left as numbers.
"""

from __future__ import annotations

import io
import math
from datetime import date, datetime
from typing import Any

import pandas as pd
from babel.numbers import get_decimal_symbol

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """Prefix a text value that a spreadsheet would treat as a formula with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and headers are safe to open in a spreadsheet."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise_cell)
    safe.columns = [neutralise_cell(str(c)) for c in safe.columns]
    return safe


def to_csv(frame: pd.DataFrame, delimiter: str = ",", decimal: str = ".") -> str:
    """CSV text (UTF-8, ISO dates), formula-safe: comma-separated with a decimal point, or
    with another ``delimiter`` and ``decimal`` mark (``;`` and ``,`` as a spreadsheet in
    Romania or Russia reads it: :func:`locale_csv_style`)."""
    return neutralised(frame).to_csv(index=False, date_format="%Y-%m-%d", sep=delimiter,
                                     decimal=decimal)


def locale_csv_style(locale: str) -> tuple[str, str] | None:
    """The delimiter and decimal mark of a CSV file as the spreadsheets of ``locale`` read
    it, or None where that is the standard comma and point: a locale that writes decimals
    with a comma separates the fields with a semicolon."""
    decimal = get_decimal_symbol(locale)
    return None if decimal == "." else (";", decimal)


def to_excel(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    """An .xlsx workbook with one sheet, formula-safe."""
    buffer = io.BytesIO()
    neutralised(frame).to_excel(buffer, index=False, sheet_name=sheet[:31])
    return buffer.getvalue()


def json_value(value: Any) -> Any:
    """A value JSON can carry: ISO dates, ``None`` for missing, plain ints and floats."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else \
            value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return json_value(value.item())
    return value


def to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One JSON-ready dictionary per row."""
    return [
        {column: json_value(value) for column, value in zip(frame.columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]
