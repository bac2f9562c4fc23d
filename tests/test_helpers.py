"""Pure helpers: URL state, number formatting, formula-safe exports, period arithmetic,
the demo generator."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from dashboard.formatting import format_change, format_day, format_value, period_label
from dashboard.safe import chart_text, plain
from dashboard.url_state import UrlState, clamp_range, parse_choice, parse_date, parse_values
from metrics.definitions import METRICS
from metrics.demo import generate_orders
from metrics.export import neutralise_cell, to_csv
from metrics.query.sql import period_index, period_start_of_index


def test_url_values_seed_once_then_defaults() -> None:
    session: dict[str, object] = {}
    query = {"period": ["quarter"], "start": ["2024-02-30"]}
    url = UrlState(query, session)
    url.seed("period", "month", parse_choice(["month", "quarter"]), "granularity")
    url.seed("start", date(2024, 1, 1), parse_date, "start date")
    assert session["period"] == "quarter"
    assert session["start"] == date(2024, 1, 1)
    assert url.finish() == [
        "The link's start date “2024-02-30” cannot be used, so the default is shown."]
    del session["period"]  # e.g. the filters were reset
    UrlState(query, session).seed("period", "month", parse_choice(["month", "quarter"]), "g")
    assert session["period"] == "month"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # the data runs from 1 Mar to 30 Jun 2024
        (date(2024, 4, 10), date(2024, 5, 20), (date(2024, 4, 10), date(2024, 5, 20))),
        (date(2024, 1, 1), date(2024, 4, 15), (date(2024, 3, 1), date(2024, 4, 15))),
        (date(2024, 5, 1), date(2031, 1, 1), (date(2024, 5, 1), date(2024, 6, 30))),
        # wholly after or before the data: the whole data, not its last or first day
        (date(2030, 1, 1), date(2031, 1, 1), (date(2024, 3, 1), date(2024, 6, 30))),
        (date(2030, 1, 1), date(2024, 6, 30), (date(2024, 3, 1), date(2024, 6, 30))),
        (date(1990, 1, 1), date(1990, 12, 31), (date(2024, 3, 1), date(2024, 6, 30))),
        (date(2024, 5, 20), date(2024, 4, 10), (date(2024, 3, 1), date(2024, 6, 30))),
    ],
)
def test_a_links_dates_are_clamped_to_the_data(start: date, end: date,
                                               expected: tuple[date, date]) -> None:
    assert clamp_range(start, end, date(2024, 3, 1), date(2024, 6, 30)) == expected


def test_multi_values_must_all_be_known() -> None:
    parse = parse_values(["web", "store"])
    assert parse(["web", "web", "store"]) == ["web", "store"]
    with pytest.raises(ValueError):
        parse(["web", "fax"])


@pytest.mark.parametrize(
    ("value", "unit", "currency", "expected"),
    [
        (1234567.891, "currency", "RON", "RON\xa01,234,567.89"),  # no break inside
        (1234567.891, "currency", "EUR", "€1,234,567.89"),
        (-3.5, "currency", "RON", "-RON\xa03.50"),
        (66.6666, "percent", None, "66.7%"),
        (12345, "customers", None, "12,345"),
        (None, "percent", None, "–"),
        (float("nan"), "orders", None, "–"),
    ],
)
def test_values_are_formatted_for_people(value: float | None, unit: str, currency: str | None,
                                         expected: str) -> None:
    assert format_value(value, unit, currency) == expected


def test_changes_use_points_for_rates_and_percent_for_amounts() -> None:
    assert format_change(70.5, 66.7, METRICS["retention_rate"], None) == "+3.8 pp"
    assert format_change(1200, 1000, METRICS["revenue"], "EUR") == "+€200.00 (+20.0%)"
    assert format_change(90, 100, METRICS["orders"], None) == "-10 (-10.0%)"
    assert format_change(5, 0, METRICS["orders"], None) == "+5"
    assert format_change(None, 3, METRICS["orders"], None) is None


def test_a_missing_day_reads_as_missing_not_as_today() -> None:
    # a table without dated rows has no first or last day; Babel would write today's date
    assert format_day(None) == "–"
    assert format_day(date(2026, 11, 20)) == "Nov 20, 2026"


def test_period_labels() -> None:
    assert period_label("month", date(2026, 10, 1)) == "Oct 2026"
    assert period_label("quarter", date(2026, 7, 1)) == "Q3 2026"
    assert period_label("year", date(2026, 1, 1)) == "2026"
    assert period_label("week", date(2026, 11, 2)) == "Week of Nov 2, 2026"


@pytest.mark.parametrize("period", ["week", "month", "quarter", "year"])
def test_period_index_round_trips(period: str) -> None:
    for day in (date(1997, 1, 1), date(2024, 2, 29), date(2026, 12, 31)):
        start = period_start_of_index(period, period_index(period, day))
        assert start <= day
        assert period_index(period, start) == period_index(period, day)
        assert period_index(period, start) - 1 == period_index(
            period, date.fromordinal(start.toordinal() - 1))


def test_user_text_is_shown_literally() -> None:
    assert plain("**bold** <b>x</b> [link](http://x)") == (
        r"\*\*bold\*\* \<b\>x\<\/b\> \[link\]\(http\:\/\/x\)")
    assert chart_text("<a href='x'>y</a>") == "&lt;a href='x'&gt;y&lt;/a&gt;"


def test_exported_text_cells_cannot_run_as_formulas() -> None:
    assert [neutralise_cell(v) for v in ("=1+2", "+1", "-x", "@SUM", "ok", -5)] == [
        "'=1+2", "'+1", "'-x", "'@SUM", "ok", -5]
    csv_text = to_csv(pd.DataFrame({"segment": ["=HYPERLINK(1)", "web"], "revenue": [-3.5, 2]}))
    assert csv_text.splitlines() == ["segment,revenue", "'=HYPERLINK(1),-3.5", "web,2.0"]


def test_the_demo_is_reproducible(tmp_path: Path) -> None:
    first = generate_orders(tmp_path / "a.csv", customers=300)
    second = generate_orders(tmp_path / "b.csv", customers=300)
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (first, second)]
    assert digest[0] == digest[1]
    frame = pd.read_csv(first)
    assert frame["Customer ID"].nunique() == 300
    assert (frame["Total"] < 0).any(), "the demo has refunds"
    assert set(frame["Channel"]) == {"Online shop", "Physical store", "Marketplace"}
