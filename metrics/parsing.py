"""Reading numbers and dates written the way people write them, decided from the values.

Detection looks at a sample of a column's values in Python (a few thousand strings);
parsing is a SQL expression DuckDB applies to every row, so files of any size stay fast.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from metrics.errors import InputError
from metrics.i18n import t
from metrics.query.sql import sql_literal

# Currency signs and codes written around amounts, removed before reading the number.
_CURRENCY_WORDS = r"(руб\.?|р\.|lei|ron|rub|eur|usd|gbp|pln|mdl|uah|kzt|chf|zł|€|\$|£|₽|₴|₸)"
CURRENCY_PATTERN = "(?i)" + _CURRENCY_WORDS
# The same, as a word of a column name ("Valoare (RON)", "Сумма, руб.", "Total (€)"): not
# inside a word, where "ron" or "eur" are letters of another one.
HEADER_CURRENCY_PATTERN = rf"(?i)(?<!\w){_CURRENCY_WORDS}(?!\w)"
# Spaces used as thousands separators: space, no-break space, narrow no-break space,
# thin space, and the apostrophe of Swiss exports.
SPACES_PATTERN = "[ \u00a0\u202f\u2009']"
_MINUS_SIGNS = "\u2212\u2013"  # minus sign and en dash written for negative numbers
# A lone "?" right before or after the number, where a currency sign stands: what a legacy
# code page writes for a sign it cannot hold (Windows-1251 has no ₽, so LibreOffice writes
# "1 234,50 ?"). Applied once spaces and minus signs are normalised, as anchored patterns
# with a group put back (DuckDB's regex engine has no lookbehind): "12?50" and "5??" stay
# unreadable.
UNKNOWN_SIGN_PATTERNS = ((r"^\?([-+(]?\d)", r"\1"), (r"(\d\)?)\?$", r"\1"))


# What a currency sign or word written beside amounts means, as an ISO 4217 code.
CURRENCY_CODES = {
    "€": "EUR", "eur": "EUR", "lei": "RON", "ron": "RON", "руб": "RUB", "руб.": "RUB",
    "р.": "RUB", "₽": "RUB", "rub": "RUB", "$": "USD", "usd": "USD", "£": "GBP", "gbp": "GBP",
    "zł": "PLN", "pln": "PLN", "mdl": "MDL", "₴": "UAH", "uah": "UAH", "₸": "KZT",
    "kzt": "KZT", "chf": "CHF",
}


def detect_currency(values: Sequence[str]) -> str | None:
    """The currency most amounts are written with (ISO code), if they name one."""
    found: dict[str, int] = {}
    for value in values:
        match = re.search(CURRENCY_PATTERN, value)
        if match:
            code = CURRENCY_CODES[match.group(0).lower()]
            found[code] = found.get(code, 0) + 1
    return max(found, key=lambda code: found[code]) if found else None


def header_currency(header: str) -> str | None:
    """The currency a column name names ("Valoare (RON)" -> RON), if it names one."""
    match = re.search(HEADER_CURRENCY_PATTERN, header)
    return CURRENCY_CODES[match.group(0).lower()] if match else None


def currency_counts(values: Mapping[str, int]) -> dict[str, int]:
    """The currencies of a currency column, most rows first: ``{ISO code: rows}``.

    ``values`` counts the rows of each value of the column as written: ISO codes in any
    letter case (``RON``, ``usd``, as Shopify, Stripe and WooCommerce write them) or a
    sign or word (``€``, ``lei``). Other values name no currency and are left out.
    """
    codes: dict[str, int] = {}
    for value, rows in values.items():
        text = value.strip()
        code = CURRENCY_CODES.get(text.lower()) or (
            text.upper() if re.fullmatch("[A-Za-z]{3}", text) else None)
        if code:
            codes[code] = codes.get(code, 0) + rows
    return dict(sorted(codes.items(), key=lambda item: (-item[1], item[0])))


# The currency of the language a file is written in, for amounts that carry no sign.
LANGUAGE_CURRENCIES = {"ro": "RON", "ru": "RUB"}
# Why a currency is suggested: a currency column holding one currency, a sign beside the
# amounts, a currency named in the amount column's name, else a hint from the file's
# encoding or from the language of its column names.
FROM_COLUMN, FROM_AMOUNTS, FROM_AMOUNT_HEADER = "column", "amounts", "amount_header"
FROM_ENCODING, FROM_HEADERS = "encoding", "headers"
# The sources that are hints, not a currency the file writes.
CURRENCY_HINTS = (FROM_ENCODING, FROM_HEADERS)


def suggest_currency(amounts: Sequence[str], encoding: str, romanian_text: bool,
                     header_language: str | None, column: Mapping[str, int] | None = None,
                     amount_headers: Sequence[str] = ()) -> tuple[str, str] | None:
    """The currency of the amounts and why: ``(ISO code, source)``, or None.

    A currency column holding a single currency decides; then a sign or code written
    beside the amounts (:func:`detect_currency`); then a currency named in the name of an
    amount column (:func:`header_currency`). Without any, the file may hint: Windows-1251
    is the code page of Russian offices (RUB); Windows-1250 holding Romanian letters is a
    Romanian office's (RON); otherwise column names in Romanian or Russian. Nothing else
    is guessed.

    Parameters
    ----------
    amounts
        A sample of the amount column's values.
    encoding
        The file's encoding, a key of :data:`metrics.readers.ENCODING_NAMES`.
    romanian_text
        Whether the file's text holds letters only Romanian writes (ă ş ţ ș ț).
    header_language
        ``"ro"``, ``"ru"`` or None: the language of the mapped column names
        (:func:`metrics.roles.header_language`).
    column
        The currencies of the file's currency column (:func:`currency_counts`), if it
        has one; several currencies decide nothing.
    amount_headers
        The names of the columns holding amounts.
    """
    if column and len(column) == 1:
        return next(iter(column)), FROM_COLUMN
    code = detect_currency(amounts)
    if code:
        return code, FROM_AMOUNTS
    named = {header_currency(header) for header in amount_headers} - {None}
    if len(named) == 1:
        return str(named.pop()), FROM_AMOUNT_HEADER
    if encoding == "cp1251":
        return "RUB", FROM_ENCODING
    if encoding == "cp1250" and romanian_text:
        return "RON", FROM_ENCODING
    if header_language in LANGUAGE_CURRENCIES:
        return LANGUAGE_CURRENCIES[header_language], FROM_HEADERS
    return None


@dataclass(frozen=True)
class NumberStyle:
    """How a column writes its numbers: the decimal mark (the other mark groups thousands)."""

    decimal_mark: str  # "." or ","

    @property
    def thousands_mark(self) -> str:
        return "," if self.decimal_mark == "." else "."

    @property
    def label(self) -> str:
        return t("point") if self.decimal_mark == "." else t("comma")


# What a user may type for a decimal mark besides the mark itself.
DECIMAL_MARK_WORDS = {"comma": ",", "point": ".", "dot": ".", "period": "."}


def parse_decimal_mark(text: str) -> str:
    """A decimal mark from what a user typed: ``,`` or ``.`` (or ``comma``, ``point``)."""
    mark = DECIMAL_MARK_WORDS.get(text.strip().lower(), text.strip())
    if mark not in (",", "."):
        raise InputError(t("“{text}” is not a decimal mark: give , (comma) or . (point).",
                           text=text))
    return mark


def _bare_number(text: str) -> str:
    text = re.sub(CURRENCY_PATTERN, "", text.strip())
    text = re.sub(SPACES_PATTERN, "", text)
    for sign in _MINUS_SIGNS:
        text = text.replace(sign, "-")
    for pattern, kept in UNKNOWN_SIGN_PATTERNS:
        text = re.sub(pattern, kept, text)
    return text.strip("()")


def detect_number_style(values: Sequence[str]) -> NumberStyle:
    """The decimal mark that reads the values best.

    A value with both marks, or with a mark followed by other than three digits, decides;
    ``1,234`` or ``1.234`` alone could be either and is read as a thousands group (money
    rarely has three decimals) unless decisive values say otherwise.
    """
    votes = {".": 0, ",": 0}
    grouped = {".": 0, ",": 0}
    for value in values:
        bare = _bare_number(value)
        has_dot, has_comma = "." in bare, "," in bare
        if has_dot and has_comma:
            votes["." if bare.rfind(".") > bare.rfind(",") else ","] += 1
        elif has_dot or has_comma:
            mark = "." if has_dot else ","
            if re.fullmatch(rf"[-+]?[1-9]\d{{0,2}}(\{mark}\d{{3}})+", bare):
                grouped[mark] += 1  # 1,234 or 1.234.567: a thousands group, probably
            else:
                votes[mark] += 1
    if votes[","] > votes["."]:
        return NumberStyle(",")
    if votes["."] > votes[","]:
        return NumberStyle(".")
    # only grouped values: a comma group means a decimal point, a dot group a decimal comma
    return NumberStyle("," if grouped["."] > grouped[","] else ".")


def typed_first_sql(typed: str, cleaned: str) -> str:
    """SQL taking the engine's own reading of a value (``typed``) where it has one, and the
    cleaning (``cleaned``) only for the other rows: a CASE reads its ELSE branch only for
    the rows the WHEN leaves, so a column of plain values never pays for the cleaning."""
    return f"CASE WHEN {typed} IS NOT NULL THEN {typed} ELSE {cleaned} END"


def typed_number_sql(text_expr: str, style: NumberStyle, type_sql: str = "DECIMAL(18, 4)"
                     ) -> str:
    """SQL for the engine's own cast of a number written as it reads one ("1234.50", or
    "1234,50" with a decimal comma); NULL for any other text, which needs cleaning.

    Cleaning leaves such a value as it is, so both read the same number (a cast reads a
    number between spaces: no trim needed).
    """
    if style.decimal_mark == ",":  # "1.234" groups thousands here: clean it
        return (f"CASE WHEN NOT contains({text_expr}, '.') THEN "
                f"TRY_CAST(replace({text_expr}, ',', '.') AS {type_sql}) END")
    return f"TRY_CAST({text_expr} AS {type_sql})"


def number_sql(text_expr: str, style: NumberStyle, type_sql: str = "DECIMAL(18, 4)",
               typed: bool = True) -> str:
    """SQL reading ``text_expr`` as a number in ``style``; NULL when it is not one.

    A value the engine reads as it stands is cast directly (:func:`typed_number_sql`);
    only the others go through the cleaning of :func:`cleaned_number_sql` (currency
    signs, grouped thousands, accounting negatives). Both give the same number; the
    direct cast is what keeps a file of millions of plain amounts fast. ``typed=False``
    cleans every value (a column where the sample holds no plain number).
    """
    cleaned = cleaned_number_sql(text_expr, style, type_sql)
    if not typed:
        return cleaned
    return typed_first_sql(typed_number_sql(text_expr, style, type_sql), cleaned)


def cleaned_number_sql(text_expr: str, style: NumberStyle, type_sql: str = "DECIMAL(18, 4)"
                       ) -> str:
    """SQL reading ``text_expr`` as a number in ``style`` after taking out currency signs
    and words, spaces and apostrophes grouping thousands, the thousands mark, and reading
    minus signs, a lone "?" for a lost currency sign and accounting negatives (12.50)."""
    cleaned = f"regexp_replace(trim({text_expr}), {sql_literal(CURRENCY_PATTERN)}, '', 'g')"
    cleaned = f"regexp_replace({cleaned}, {sql_literal(SPACES_PATTERN)}, '', 'g')"
    for sign in _MINUS_SIGNS:
        cleaned = f"replace({cleaned}, '{sign}', '-')"
    for pattern, kept in UNKNOWN_SIGN_PATTERNS:
        cleaned = f"regexp_replace({cleaned}, {sql_literal(pattern)}, {sql_literal(kept)})"
    cleaned = f"replace({cleaned}, '{style.thousands_mark}', '')"
    if style.decimal_mark == ",":
        cleaned = f"replace({cleaned}, ',', '.')"
    # accounting negatives: (12.50)
    cleaned = (f"CASE WHEN {cleaned} LIKE '(%)' THEN '-' || trim({cleaned}, '()') "
               f"ELSE {cleaned} END")
    return f"TRY_CAST({cleaned} AS {type_sql})"


# -- dates -------------------------------------------------------------------------------

EXCEL_SERIAL = "excel-serial"
# What the report says for a workbook column of typed cells: no written format was read.
DATE_CELLS = "date cells"
NUMBER_CELLS = "number cells"
# DuckDB strptime formats tried on a date column, with the label users read.
DATE_FORMATS: dict[str, str] = {
    "%Y-%m-%d": "yyyy-mm-dd",
    "%d.%m.%Y": "dd.mm.yyyy",
    "%d/%m/%Y": "dd/mm/yyyy",
    "%m/%d/%Y": "mm/dd/yyyy",
    "%Y/%m/%d": "yyyy/mm/dd",
    "%d-%m-%Y": "dd-mm-yyyy",
    "%m-%d-%Y": "mm-dd-yyyy",
    "%Y%m%d": "yyyymmdd",
    "%d.%m.%y": "dd.mm.yy",
    "%d/%m/%y": "dd/mm/yy",
    "%m/%d/%y": "mm/dd/yy",
    EXCEL_SERIAL: t("Excel serial number"),
}
# Day-first formats and their month-first twins: the values must tell them apart.
TWINS = {"%d/%m/%Y": "%m/%d/%Y", "%d-%m-%Y": "%m-%d-%Y", "%d/%m/%y": "%m/%d/%y"}
LABEL_TO_FORMAT = {label: fmt for fmt, label in DATE_FORMATS.items()}


class AmbiguousDates(InputError):
    """Day-first and month-first both read every date: the user has to say which."""

    def __init__(self, message: str, column: str, options: tuple[str, str]) -> None:
        super().__init__(message)
        self.column = column
        self.options = options  # the two format labels


def date_token_sql(text_expr: str) -> str:
    """SQL for the date part of a date or timestamp text: before a space or a 'T'.

    A timestamp with a time zone offset keeps the calendar day it was written with.
    """
    return f"regexp_extract(trim({text_expr}), '^[^ T]+')"


def typed_date_sql(text_expr: str, date_format: str) -> str | None:
    """SQL for the engine's own reading of a date written exactly in ``date_format`` (no
    time after it, no spaces); NULL for any other text, which needs the cleaning of
    :func:`cleaned_date_sql`. None for Excel serial numbers, which have no such form.

    Such a text is its own date part, so both read the same day; this one spares the
    pattern that cuts the date part off, the costliest step of reading dates.
    """
    if date_format == EXCEL_SERIAL:
        return None
    return (f"CASE WHEN NOT contains({text_expr}, ' ') AND NOT contains({text_expr}, 'T') "
            f"THEN CAST(try_strptime({text_expr}, {sql_literal(date_format)}) AS DATE) END")


def cleaned_date_sql(text_expr: str, date_format: str) -> str:
    """SQL reading the date part of ``text_expr`` (:func:`date_token_sql`) as a date in
    ``date_format``; NULL when it is not one."""
    if date_format == EXCEL_SERIAL:
        # Excel counts days from 1899-12-30 (with its 1900 leap-year quirk folded in);
        # 1 to 2958465 is 1900-01-01 to 9999-12-31.
        number = f"TRY_CAST(trim({text_expr}) AS DOUBLE)"
        return (f"CASE WHEN {number} BETWEEN 1 AND 2958465 THEN "
                f"CAST(DATE '1899-12-30' + CAST(floor({number}) AS INTEGER) AS DATE) END")
    return f"CAST(try_strptime({date_token_sql(text_expr)}, {sql_literal(date_format)}) AS DATE)"


def date_sql(text_expr: str, date_format: str, typed: bool = True) -> str:
    """SQL reading ``text_expr`` as a date in ``date_format``; NULL when it is not one.

    A date written exactly in the format is read directly (:func:`typed_date_sql`), the
    others (a time or a zone after it, spaces) through :func:`cleaned_date_sql`; both
    give the same day. ``typed=False`` cleans every value.
    """
    cleaned = cleaned_date_sql(text_expr, date_format)
    plain = typed_date_sql(text_expr, date_format) if typed else None
    return cleaned if plain is None else typed_first_sql(plain, cleaned)


def date_format_label(date_format: str) -> str:
    return DATE_FORMATS[date_format]


def parse_date_format(label_or_format: str) -> str:
    """A date format from what a user typed: ``dd/mm/yyyy`` or ``%d/%m/%Y``."""
    text = label_or_format.strip()
    if text in DATE_FORMATS:
        return text
    if text.lower() in LABEL_TO_FORMAT:
        return LABEL_TO_FORMAT[text.lower()]
    raise InputError(t("“{text}” is not a date format LoyaltyLens reads; use one of: {formats}.",
                       text=text, formats=", ".join(list(DATE_FORMATS.values())[:-1])))


def choose_date_format(counts: dict[str, int], column: str, example: str | None) -> str:
    """The format reading the most values; refuse when none does or a twin ties.

    ``counts`` maps each format of :data:`DATE_FORMATS` to the sampled values it reads.
    """
    best_count = max(counts.values())
    if best_count == 0:
        raise InputError(
            t("No value of the column “{column}” reads as a date (for example “{example}”): "
              "choose the column that holds the dates.", column=column, example=example or "")
        )
    order = list(DATE_FORMATS)
    best = min((fmt for fmt, n in counts.items() if n == best_count), key=order.index)
    twin = TWINS.get(best)
    if twin and counts[twin] == best_count:
        raise AmbiguousDates(
            t("The dates of “{column}” (for example “{example}”) could be day-first or "
              "month-first: choose {day} or {month}.", column=column, example=example or "",
              day=DATE_FORMATS[best], month=DATE_FORMATS[twin]),
            column, (DATE_FORMATS[best], DATE_FORMATS[twin]))
    return best
