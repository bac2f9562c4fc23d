"""Numbers, currencies, dates and period names in each language's locale (Babel), in cards,
tables, charts and downloads; English stays as it was (tests/test_plain_language.py).

The expected texts are written out by hand from the conventions of each language: Romanian
groups thousands with "." and writes decimals with ","; Russian groups with a no-break
space (U+00A0); both put the currency and the % sign after the number, apart.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pandas as pd
import pytest
from babel.dates import format_date as babel_format_date

from dashboard import formatting, services
from dashboard.charts import trend_chart
from dashboard.formatting import (
    chart_separators,
    format_change,
    format_day,
    format_value,
    period_label,
)
from dashboard.widgets import localised
from metrics.definitions import METRICS
from metrics.export import locale_csv_style, to_csv
from metrics.i18n import DOMAIN, LOCALE_DIR, format_number, language, language_of, tn

NBSP = "\xa0"


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """The current language for the block, as a script run or a CLI command sets it."""
    token = language.set(lang)
    try:
        yield
    finally:
        language.reset(token)


@pytest.mark.parametrize(("lang", "amount", "currency", "shown"), [
    ("en", 1234.5, "RON", "RON\xa01,234.50"),
    ("ro", 1234.5, "RON", "1.234,50\xa0RON"),
    ("ro", 1234.5, "EUR", "1.234,50\xa0EUR"),
    ("ru", 1234.5, "RUB", "1\xa0234,50\xa0₽"),
    ("ru", -1234.5, "EUR", "-1\xa0234,50\xa0€"),
])
def test_amounts_in_the_currency_of_the_data(lang: str, amount: float, currency: str,
                                             shown: str) -> None:
    with speaking(lang):
        assert format_value(amount, "currency", currency) == shown


@pytest.mark.parametrize(("lang", "percent", "count", "ratio"), [
    ("en", "12.5%", "1,234,567", "1,234.5"),
    ("ro", "12,5\xa0%", "1.234.567", "1.234,5"),
    ("ru", "12,5\xa0%", "1\xa0234\xa0567", "1\xa0234,5"),
])
def test_numbers_and_percentages(lang: str, percent: str, count: str, ratio: str) -> None:
    with speaking(lang):
        assert format_value(12.5, "percent", None) == percent
        assert format_value(1234567, "customers", None) == count
        assert format_value(1234.5, "ratio", None) == ratio
        assert format_number(1234.5, "#,##0.0") == ratio


def test_a_change_in_each_locale() -> None:
    revenue = METRICS["revenue"]
    with speaking("ro"):
        assert format_change(1100.0, 1000.0, revenue, "RON") == "+100,00\xa0RON (+10,0\xa0%)"
    points = gettext.translation(DOMAIN, LOCALE_DIR, languages=["ru"], fallback=True
                                 ).gettext("{sign}{points} pp")
    with speaking("ru"):
        assert format_change(52.5, 50.0, METRICS["churn_rate"], None) == points.format(
            sign="+", points="2,5")


@pytest.mark.parametrize(("lang", "day", "month"), [
    ("en", "Mar 5, 2024", "Mar 2024"),
    ("ro", "5 mar. 2024", "martie 2024"),
    ("ru", "5 мар. 2024\u202fг.", "март 2024"),
])
def test_dates_and_month_names(lang: str, day: str, month: str) -> None:
    with speaking(lang):
        assert format_day(date(2024, 3, 5)) == day
        assert period_label("month", date(2024, 3, 1)) == month
        assert period_label("year", date(2024, 1, 1)) == "2024"
        # a week is named by its first day, as the locale writes a day
        assert format_day(date(2024, 3, 4)) in period_label("week", date(2024, 3, 4))


def test_a_day_is_written_by_babel_once_per_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    # the pages write the same days on every run of every session (a select box of periods)
    calls: list[str] = []

    def counted(day: date, format: str, locale: str) -> str:
        calls.append(locale)
        return babel_format_date(day, format=format, locale=locale)

    monkeypatch.setattr(formatting, "format_date", counted)
    formatting._medium_date.cache_clear()
    formatting._period_label.cache_clear()
    for _ in range(3):
        with speaking("en"):
            assert format_day(date(2023, 11, 7)) == "Nov 7, 2023"
            assert period_label("week", date(2023, 11, 6)) == "Week of Nov 6, 2023"
        with speaking("ro"):
            assert format_day(date(2023, 11, 7)) == "7 nov. 2023"
    assert sorted(calls) == ["en", "en", "ro"]  # each day and locale once


def test_a_count_in_a_sentence_has_the_locales_separators() -> None:
    with speaking("ru"):
        assert "1\xa0234" in tn("{n} row", "{n} rows", 1234)
    with speaking("en"):
        assert tn("{n} row", "{n} rows", 1234) == "1,234 rows"


@pytest.mark.parametrize(("lang", "separators"), [("en", ".,"), ("ro", ",."), ("ru", ",\xa0")])
def test_charts_write_numbers_with_the_locales_marks(lang: str, separators: str) -> None:
    frame = pd.DataFrame({"period_start": [date(2024, 1, 1), date(2024, 2, 1)],
                          "period_end": [date(2024, 1, 31), date(2024, 2, 29)],
                          "revenue": [1234.5, 2345.25], "complete": [True, True]})
    with speaking(lang):
        assert chart_separators() == separators
        figure = trend_chart(frame, "revenue", "month", "RON")
    assert figure.layout.separators == separators
    # the time axis is named by Babel, not by Plotly (whose month names are English)
    expected = {"en": ["Jan 2024", "Feb 2024"], "ro": ["ianuarie 2024", "februarie 2024"],
                "ru": ["январь 2024", "февраль 2024"]}[lang]
    assert list(figure.data[0].x) == expected


def test_tables_show_the_locales_texts_and_keep_the_values() -> None:
    frame = pd.DataFrame({"Revenue": [1234.5, None], "Day": [date(2024, 3, 5), None]})
    with speaking("ro"):
        styled = localised(frame, "RON", {"Revenue": "currency"})
        shown = styled.to_string(delimiter="|")
    assert "1.234,50\xa0RON" in shown and "5 mar. 2024" in shown and "–" in shown
    assert styled.data["Revenue"].iloc[0] == 1234.5  # still sorts by the number


def test_downloads_in_the_locales_csv_style() -> None:
    frame = pd.DataFrame({"Revenue": [1234.5], "Day": [date(2024, 3, 5)]})
    assert locale_csv_style("en") is None
    assert locale_csv_style("ro") == (";", ",")
    assert locale_csv_style("ru") == (";", ",")
    text = to_csv(frame, ";", ",")
    assert text.splitlines() == ["Revenue;Day", "1234,5;2024-03-05"]
    # read back as a spreadsheet set to Romanian or Russian reads it
    back = pd.read_csv(io.StringIO(text), sep=";", decimal=",")
    assert back["Revenue"].iloc[0] == 1234.5
    assert to_csv(frame).splitlines() == ["Revenue,Day", "1234.5,2024-03-05"]


def test_cached_results_are_kept_apart_by_language() -> None:
    # A cached result may hold texts in the language of the session that computed it.
    calls: list[str] = []

    @services._shared(max_entries=4, max_size="1MB")
    def amount(_store: object, value: float) -> str:
        calls.append(language.get())
        return format_number(value, "#,##0.0")

    with speaking("ru"):
        assert amount(None, 1234.5) == "1\xa0234,5"
    with speaking("en"):
        assert amount(None, 1234.5) == "1,234.5"
        assert amount(None, 1234.5) == "1,234.5"
    assert calls == ["ru", "en"]


@pytest.mark.parametrize(("tag", "lang"), [
    ("ro-RO", "ro"), ("ru_RU.UTF-8", "ru"), ("en-US", "en"), ("RU", "ru"), ("de-DE", None),
    (None, None), ("", None),
])
def test_a_browsers_language_tag(tag: str | None, lang: str | None) -> None:
    assert language_of(tag) == lang
