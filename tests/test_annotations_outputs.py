"""A dataset's notes in the report (its trend chart images and its list, escaped) and in the
digest (Markdown, HTML, JSON: the reported period and the one before)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest

from dashboard.chart_notes import NOTE_NAME
from dashboard.report import build_report
from metrics.annotations import add_annotation
from metrics.cli import main
from metrics.ingest import ingest_file
from metrics.query.filters import Filters
from metrics.report import to_html
from metrics.store import Store
from tests.builders import shop_with_known_changes, small_store, write_csv

EVIL = '<a href="https://evil.example">x</a>'
# Jinja2 escapes < > & " ' (markupsafe writes " as &#34;)
EVIL_IN_HTML = "&lt;a href=&#34;https://evil.example&#34;&gt;x&lt;/a&gt;"


def _note_lines(figure: go.Figure) -> list[float]:
    return [shape.x0 for shape in figure.layout.shapes if shape.name == NOTE_NAME]


def test_the_report_draws_the_notes_on_its_trend_charts_and_lists_them_escaped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    store, dataset = small_store()  # orders from Jan 5 to Apr 15, 2024: months Jan to Apr
    for day, text in (("2023-12-31", "Before the report"), ("2024-02-15", EVIL),
                      ("2024-04-30", "Spring sale"), ("2024-05-01", "After the report")):
        add_annotation(store, dataset, day, text)
    drawn: dict[str, go.Figure] = {}

    def image(figure: go.Figure, image_format: str) -> bytes:
        drawn[str(figure.layout.title.text)] = figure
        return b"\x89PNG"

    monkeypatch.setattr("dashboard.report.chart_image", image)
    report = build_report(store, dataset, Filters(period="month", inactivity_days=45),
                          pages=("overview", "retention"))
    # February is category 1 (0.5 to 1.5), the 15th 14 of its 29 days in; 30 April is
    # category 3's 29th day of 30
    expected = [0.5 + 14 / 29, 2.5 + 29 / 30]
    by_title = {title.split("<br>")[0]: figure for title, figure in drawn.items()}
    assert _note_lines(by_title["Retention rate (CRR) by month"]) == expected
    assert _note_lines(by_title["Retention and churn by month"]) == expected
    assert _note_lines(by_title["Customer lifecycle by month"]) == expected
    assert _note_lines(by_title["Cohorts by month: customer retention"]) == []  # not over time

    assert report.notes == (("Feb 15, 2024", EVIL), ("Apr 30, 2024", "Spring sale"))
    html = to_html(report)
    assert EVIL not in html and EVIL_IN_HTML in html
    assert "<dt>Feb 15, 2024</dt><dd>" + EVIL_IN_HTML + "</dd>" in html
    assert "<dt>Apr 30, 2024</dt><dd>Spring sale</dd>" in html
    assert "Before the report" not in html and "After the report" not in html
    store.close()


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    path = tmp_path / "shop.duckdb"
    orders = write_csv(tmp_path / "orders.csv", ("customer_id", "order_date", "amount"),
                       shop_with_known_changes())
    with Store(path) as store:
        ingest_file(store, orders, dataset="Shop", currency="EUR")
        dataset = store.dataset("Shop")
        for day, text in (("2024-01-31", "January's last day"), ("2024-02-01", EVIL),
                          ("2024-03-31", "*Price* increase | [x](y)"),
                          ("2024-04-01", "April's first day")):
            add_annotation(store, dataset, day, text)
    return path


def _digest_files(db: Path, out: Path) -> tuple[dict[str, Any], str, str]:
    out.mkdir()
    # as of 15 April the latest complete month is March, the one before it February
    main(["--db", str(db), "digest", "--dataset", "Shop", "--as-of", "2024-04-15",
          "--inactivity-days", "20", "--out", str(out)])
    return (json.loads((out / "digest.json").read_text(encoding="utf-8")),
            (out / "digest.md").read_text(encoding="utf-8"),
            (out / "digest.html").read_text(encoding="utf-8"))


def test_the_digest_lists_the_notes_of_its_period_and_the_one_before(shop: Path,
                                                                     tmp_path: Path) -> None:
    data, markdown, page = _digest_files(shop, tmp_path / "out")
    assert [(n["date"], n["text"], n["added_by"]) for n in data["notes"]] == [
        ("2024-02-01", EVIL, None), ("2024-03-31", "*Price* increase | [x](y)", None)]
    assert set(data["notes"][0]) == {"id", "date", "text", "added_by", "added_at"}
    # Markdown: shown as written (no link, no emphasis, no broken line)
    assert markdown.endswith(
        "## Notes on these periods\n\n"
        '- 2024-02-01: \\<a href="https://evil.example"\\>x\\</a\\>\n'
        "- 2024-03-31: \\*Price\\* increase \\| \\[x\\](y)\n")
    # HTML: escaped, no link
    assert "<a " not in page
    assert ("<li>2024-02-01: &lt;a href=&quot;https://evil.example&quot;&gt;x&lt;/a&gt;</li>"
            in page)
    for outside in ("January's last day", "April's first day"):
        assert outside not in markdown and outside not in page


def test_a_digest_without_notes_has_no_notes_section(tmp_path: Path) -> None:
    path = tmp_path / "plain.duckdb"
    orders = write_csv(tmp_path / "orders.csv", ("customer_id", "order_date", "amount"),
                       shop_with_known_changes())
    with Store(path) as store:
        ingest_file(store, orders, dataset="Shop")
    data, markdown, page = _digest_files(path, tmp_path / "out")
    assert data["notes"] == []
    assert "Notes on these periods" not in markdown and "Notes on these periods" not in page
