"""Numbers, dates and period names formatted for people (Babel, the user's locale)."""

from __future__ import annotations

import functools
import math
import re
from datetime import date, timedelta

import pandas as pd
from babel import Locale
from babel.dates import format_date, get_date_format
from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)

from metrics.definitions import Metric
from metrics.i18n import DEFAULT_LANGUAGE, N_, language, t
from metrics.query.sql import Period, period_index, period_start_of_index

# The Babel locale English is written in; every other language is written in its own.
LOCALE = "en"
# How a month is named in a period label: CLDR's short "Oct 2026" in English; in the
# other languages the month's full standalone name ("martie 2024", "март 2024"), as their
# short names end in a dot ("mar. 2024") or carry the year's "г.".
MONTH_LABELS = {"en": "MMM y"}
FULL_MONTH_LABEL = "LLLL y"
# What a missing value reads as, in a card or a table cell (never None, nan or NaT).
MISSING = "–"


def current_locale() -> str:
    """The Babel locale numbers, currencies and dates are written in: the session's
    language (:data:`LOCALE` for English)."""
    lang = language.get()
    return LOCALE if lang == DEFAULT_LANGUAGE else lang


def percent_text(value: float) -> str:
    """A percentage (of 100) with one decimal as the locale writes it: 12.5% (en), 12,5 %
    (ro, ru: a no-break space before the sign)."""
    locale = current_locale()
    pattern = Locale.parse(locale).percent_formats[None].pattern.split(";")[0]
    start, end = min(pattern.index("#"), pattern.index("0")), pattern.rindex("0") + 1
    number = format_decimal(value, format=pattern[start:end].replace("#,##0", "#,##0.0"),
                            locale=locale)
    return pattern[:start] + number + pattern[end:]


def streamlit_formats_fit() -> bool:
    """Whether Streamlit's own column formats (printf numbers, Day.js dates, which write
    English separators and month names) write the locale's numbers and dates."""
    return Locale.parse(current_locale()).language == "en"


def chart_separators() -> str:
    """Plotly's ``separators`` for the locale: its decimal mark, then its thousands
    separator (".," in English, ",." in Romanian, "," and a no-break space in Russian)."""
    locale = current_locale()
    return get_decimal_symbol(locale) + get_group_symbol(locale)


def known(value: float | int | None) -> float | int | None:
    """``value``, or None when it is missing (None or NaN): an ``is None`` test of the
    result tells the type checker what :func:`is_missing` cannot."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def group_name(value: object) -> str:
    """A segment value on screen; a missing one says so."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return t("Not set")
    return str(value)


def is_missing(value: float | int | None) -> bool:
    return known(value) is None


def format_value(value: float | int | None, unit: str, currency: str | None,
                 whole: bool = False) -> str:
    """A metric value: thousands separators, currency of the data, percent with one decimal.

    ``whole`` drops the cents of amounts of 1,000 or more (KPI cards have little room).
    """
    value = known(value)
    if value is None:
        return MISSING
    locale = current_locale()
    if unit == "percent":
        return percent_text(value)
    if unit == "currency":
        digits = "#,##0" if whole and abs(value) >= 1000 else "#,##0.00"
        if not currency:
            return format_decimal(value, format=digits, locale=locale)
        return format_currency(value, currency, format=_currency_pattern(currency, digits),
                               locale=locale, currency_digits=False)
    if unit == "ratio":  # a plain number: a rate a year, a model parameter, a count
        return format_decimal(value, format="#,##0.####", locale=locale)
    return format_decimal(value, format="#,##0", locale=locale)


def _currency_pattern(currency: str, digits: str) -> str:
    """The locale's currency pattern with ``digits``: ¤#,##0.00 (en), #,##0.00 ¤ (ro, ru).

    A letter code (RON, lei) reads better apart from the number: RON 1,234.50, not
    RON1,234.50; the negative form is the positive one after a minus sign.
    """
    locale = current_locale()
    pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0]
    pattern = re.sub(r"#,##0(\.0+)?", digits, pattern)
    if get_currency_symbol(currency, locale=locale)[-1:].isalpha():
        pattern = re.sub(r"¤(?=[#0])", "¤\xa0", pattern)
        pattern = re.sub(r"(?<=0)¤", "\xa0¤", pattern)
    return pattern


def format_change(current: float | int | None, previous: float | int | None, metric: Metric,
                  currency: str | None, whole: bool = False) -> str | None:
    """The change against the previous period: points for rates, amount and % otherwise."""
    current, previous = known(current), known(previous)
    if current is None or previous is None:
        return None
    difference = current - previous
    if metric.unit == "percent":
        points = format_decimal(abs(difference), format="#,##0.0", locale=current_locale())
        return t("{sign}{points} pp", sign=change_sign(difference, points), points=points)
    amount = format_value(abs(difference), metric.unit, currency, whole=whole)
    sign = change_sign(difference, amount)
    if previous == 0:
        return f"{sign}{amount}"
    relative = percent_text(abs(difference) / abs(previous) * 100)
    return f"{sign}{amount} ({sign}{relative})"


def reads_as_zero(shown: str) -> bool:
    """Whether a number as shown ("0.0 pp", "RON 0", "+0.00") is zero once rounded."""
    return not any(digit in shown for digit in "123456789")


def change_sign(difference: float, shown: str) -> str:
    """"+" or "-" before a change shown as ``shown`` (its absolute value); none when it
    reads as zero, so a change of 0.04 pp shown as "0.0 pp" is neither up nor down."""
    if reads_as_zero(shown):
        return ""
    # ASCII minus: st.metric reads a leading "-" as a decrease.
    return "+" if difference > 0 else "-"


def format_day(day: date | None) -> str:
    """A date as the user's locale writes it (e.g. 20 Nov 2026); a missing one as
    :data:`MISSING` (a table with no dated rows has no first or last day)."""
    return MISSING if day is None else _medium_date(day, current_locale())


# Remembered per locale: the pages write the same days (every period of a select box's
# options) on every run of every session, and Babel takes tens of microseconds a date.
@functools.lru_cache(maxsize=16384)
def _medium_date(day: date, locale: str) -> str:
    return format_date(day, format="medium", locale=locale)


# Babel's (CLDR) date fields and the Day.js tokens Streamlit's DateColumn writes them with.
_DAYJS_TOKENS = {"y": "YYYY", "yyyy": "YYYY", "yy": "YY", "M": "M", "MM": "MM",
                 "MMM": "MMM", "MMMM": "MMMM", "L": "M", "LL": "MM", "LLL": "MMM",
                 "LLLL": "MMMM", "d": "D", "dd": "DD", "E": "ddd", "EEE": "ddd",
                 "EEEE": "dddd"}


def table_date_format() -> str:
    """The format of :func:`format_day` for a table's date column (Streamlit's DateColumn),
    so a table writes 20 Nov 2026 as the rest of the app does and still sorts by date."""

    def token(match: re.Match[str]) -> str:
        field = match.group(0)
        if field.startswith("'"):  # quoted literal text, e.g. 'г.'
            return "[" + field.strip("'") + "]"
        return _DAYJS_TOKENS.get(field, field)

    pattern = get_date_format("medium", locale=current_locale()).pattern
    return re.sub(r"'[^']*'|([A-Za-z])\1*", token, pattern)


def table_number_format(unit: str, currency: str | None) -> str:
    """The printf format of a table's number column in ``unit`` (a metric's unit), written
    as :func:`format_value` writes it: thousands separators, the currency where it goes."""
    if unit == "currency":
        sample = 1234.5  # placed like any amount: "€1,234.50", "RON 1,234.50"
        return format_value(sample, unit, currency).replace(
            format_value(sample, unit, None), "%,.2f")
    if unit == "percent":
        return "%,.1f%%"
    return "%,d"


def period_label(period: Period, start: date, end: date | None = None) -> str:
    """The name of a period: 'Oct 2026', 'Q3 2026', 'Week of 2 Nov 2026', '2026'.

    With ``end`` (a KPI row's ``period_end``) before the period's last day, the period the
    data stops inside, it says how far its numbers reach: '2026 to 20 Nov 2026'.
    """
    return _period_label(period, start, end, language.get())


# Remembered per language, like :func:`_medium_date`.
@functools.lru_cache(maxsize=16384)
def _period_label(period: Period, start: date, end: date | None, lang: str) -> str:
    if period == "month":
        name = format_date(start, format=MONTH_LABELS.get(language.get(), FULL_MONTH_LABEL),
                           locale=current_locale())
    elif period == "quarter":
        name = t("Q{quarter} {year}", quarter=(start.month - 1) // 3 + 1, year=start.year)
    elif period == "year":
        name = str(start.year)
    else:
        name = t("Week of {day}", day=format_day(start))
    last_day = period_start_of_index(period, period_index(period, start) + 1) - timedelta(1)
    if end is not None and end < last_day:
        return t("{period} to {day}", period=name, day=format_day(end))
    return name


def period_tick(period: Period, start: date) -> str:
    """The short name of a period under a chart's axis: 'Nov 2026' ('nov. 2026' in
    Romanian), 'Q3 2026', the week's first day, '2026'. A chart's points and hover keep
    :func:`period_label`; a tick has the width of a few characters on a phone."""
    return _period_tick(period, start, language.get())


@functools.lru_cache(maxsize=16384)
def _period_tick(period: Period, start: date, lang: str) -> str:
    if period == "month":
        return format_date(start, format="LLL y", locale=current_locale())
    if period == "week":
        return format_day(start)
    return _period_label(period, start, None, lang)


def period_labels(period: Period, frame: pd.DataFrame) -> list[str]:
    """:func:`period_label` of each row of a table by period (``period_start`` and, when
    it has one, ``period_end``)."""
    ends = frame["period_end"] if "period_end" in frame else [None] * len(frame)
    return [period_label(period, start, end)
            for start, end in zip(frame["period_start"], ends, strict=True)]


PERIOD_NAMES = {"week": N_("Week"), "month": N_("Month"), "quarter": N_("Quarter"),
                "year": N_("Year")}
# The period in a sentence ("Revenue by month").
PERIOD_WORDS = {"week": N_("week"), "month": N_("month"), "quarter": N_("quarter"),
                "year": N_("year")}


def period_word(period: str) -> str:
    """The period's word in a sentence, in the current language ("month")."""
    return t(PERIOD_WORDS[period])
