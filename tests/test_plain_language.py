"""Plain language at the source: no text in the code a user can read (pages, metric
definitions, ingest messages, CLI help) names the reference articles or the engine; a change
that reads as zero on a card is neither a rise nor a fall; tables write missing values,
dates and amounts as the rest of the app does."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from dashboard import formatting
from dashboard.formatting import (
    format_change,
    format_day,
    table_date_format,
    table_number_format,
)
from dashboard.widgets import change_style, table_columns
from metrics.definitions import METRICS

ROOT = Path(__file__).parent.parent
# "seed" is what the team calls the reference articles; DuckDB is the engine. Neither means
# anything to a marketing manager. (SQL's duckdb_tables() and the .duckdb file suffix are
# lower case and not user text.)
INTERNAL_WORDS = re.compile(r"\b[Ss]eeds?\b|DuckDB")


def text_literals(path: Path) -> Iterator[tuple[int, str]]:
    """The string literals of a module that are not docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value) for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in docstrings):
            yield node.lineno, node.value


def test_no_user_text_names_the_reference_articles_or_the_engine() -> None:
    found = [f"{path.relative_to(ROOT)}:{line}: {text[:80]}"
             for folder in ("dashboard", "metrics") for path in (ROOT / folder).rglob("*.py")
             for line, text in text_literals(path) if INTERNAL_WORDS.search(text)]
    assert not found


# -- cards: a change that reads as zero is neither up nor down ------------------------------


def test_a_change_that_reads_as_zero_has_no_sign_and_no_arrow() -> None:
    rate, revenue = METRICS["retention_rate"], METRICS["revenue"]
    # 50.04% against 50.00%: +0.04 points, shown with one decimal as 0.0
    assert format_change(50.04, 50.0, rate, None) == "0.0 pp"
    assert format_change(50.06, 50.0, rate, None) == "+0.1 pp"
    assert format_change(49.94, 50.0, rate, None) == "-0.1 pp"
    # €1,000.004 against €1,000: €0.004 rounds to €0.00, 0.0004% to 0.0%
    assert format_change(1000.004, 1000.0, revenue, "EUR") == "€0.00 (0.0%)"
    assert format_change(1100.0, 1000.0, revenue, "EUR") == "+€100.00 (+10.0%)"
    off = {"delta_color": "off", "delta_arrow": "off"}
    assert change_style("0.0 pp") == off
    assert change_style("€0.00 (0.0%)") == off
    assert change_style("RON\xa00") == off
    assert change_style(None) == off
    assert change_style("+0.1 pp") == {"delta_color": "normal"}
    assert change_style("+0.1 pp", higher_is_better=False) == {"delta_color": "inverse"}


# -- tables --------------------------------------------------------------------------------


def test_tables_write_dates_as_the_app_does() -> None:
    # format_day writes 20 Nov 2026 as "Nov 20, 2026" in English: Day.js "MMM D, YYYY".
    assert format_day(date(2026, 11, 20)) == "Nov 20, 2026"
    assert table_date_format() == "MMM D, YYYY"


def test_table_dates_follow_the_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    # CLDR's medium dates: Romanian "d MMM y", Russian "d MMM y 'г'." (quoted text kept,
    # after a narrow no-break space)
    monkeypatch.setattr(formatting, "LOCALE", "ro")
    assert table_date_format() == "D MMM YYYY"
    monkeypatch.setattr(formatting, "LOCALE", "ru")
    assert table_date_format() == "D MMM YYYY\u202f[г]."


def test_table_numbers_have_thousands_separators_and_the_currency() -> None:
    assert table_number_format("currency", "RON") == "RON\xa0%,.2f"  # as "RON 1,234.50"
    assert table_number_format("currency", "EUR") == "€%,.2f"
    assert table_number_format("currency", None) == "%,.2f"
    assert table_number_format("percent", None) == "%,.1f%%"
    assert table_number_format("customers", None) == "%,d"


def test_a_table_formats_its_dates_and_the_columns_named_with_a_unit() -> None:
    frame = pd.DataFrame({
        "Day": [date(2024, 1, 5), None], "When": pd.to_datetime(["2024-01-05", None]),
        "Revenue": [1234.5, None], "Customers": [3, 4], "Name": ["A", None]})
    config = table_columns(frame, "EUR", {"Revenue": "currency"})
    assert set(config) == {"Day", "When", "Revenue"}
    assert config["Day"]["type_config"]["type"] == "date"
    assert config["Day"]["type_config"]["format"] == "MMM D, YYYY"
    assert config["When"]["type_config"]["format"] == "MMM D, YYYY"
    assert config["Revenue"]["type_config"]["format"] == "€%,.2f"


def test_every_table_is_shown_through_the_one_table_helper() -> None:
    # st.dataframe shows a missing value as "None": pages call widgets.data_table instead.
    direct = [f"{path.relative_to(ROOT)}:{number}"
              for path in (ROOT / "dashboard").rglob("*.py") if path.name != "widgets.py"
              for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if re.search(r"\bst\.(dataframe|table|data_editor)\(", line)]
    assert not direct
