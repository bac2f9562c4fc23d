"""The report of a view (``loyaltylens report`` and the dashboard's button): the PDF holds the
numbers ``loyaltylens kpis`` prints for the same view, renders to images page by page, keeps
every chart whole on one page, and its HTML escapes user text and needs nothing fetched."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from pypdf import PdfReader

from dashboard.charts import COMPLETE_COLOUR
from dashboard.view_summary import ViewSummary
from metrics.cli import main
from metrics.definitions import KPIS, REGISTRY
from metrics.query.filters import Filters
from metrics.report import Card, Chart, Report, Section, Table, to_html, to_pdf
from metrics.report.render import page_counter_css
from metrics.store import Store
from tests.test_app import open_app

ROOT = Path(__file__).parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
A4_POINTS = (595.276, 841.89)
DPI = 60


@dataclass(frozen=True)
class Made:
    """A report written by the CLI and the KPIs the CLI prints for the same view."""

    db: Path
    pdf: Path
    html: Path
    kpis: list[dict[str, object]]


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(list(args)) == 0
    return capsys.readouterr().out


@pytest.fixture(scope="module")
def made(demo_db_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Made:
    folder = tmp_path_factory.mktemp("report")
    db = folder / "demo.duckdb"
    shutil.copytree(demo_db_template, db)
    view = ["--dataset", "Demo shop", "--period", "month", "--inactivity-days", "60"]
    for out, fmt in (("report.pdf", "pdf"), ("report.html", "html")):
        assert main(["--db", str(db), "report", *view, "--format", fmt,
                     "--out", str(folder / out), "--base-url", "http://dash.example:8501",
                     "--industry", "Retail"]) == 0
    return Made(db, folder / "report.pdf", folder / "report.html", [])


def _kpis(made: Made, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return list(json.loads(_cli(capsys, "--db", str(made.db), "kpis", "--dataset",
                                "Demo shop", "--period", "month", "--inactivity-days", "60")))


def _pdf_text(path: Path) -> str:
    # pypdf writes the no-break space between a currency code and its amount as a space
    text = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return text.replace("\xa0", " ")


def _written(value: object, unit: str) -> str:
    """A card's number written out here, independently of the app's formatting: whole
    counts with thousands commas, percentages with one decimal, amounts to the unit."""
    assert isinstance(value, int | float)
    if unit == "percent":
        return f"{value:,.1f}%"
    if unit == "currency":
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"
    return f"{value:,.0f}"


def test_the_pdf_holds_the_numbers_the_cli_prints(made: Made,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    rows = _kpis(made, capsys)
    # the cards' period: the latest complete month with orders, and the month before it
    complete = [i for i, row in enumerate(rows) if row["complete"] and row["orders"]]
    card, before = rows[complete[-1]], rows[complete[-1] - 1]
    text = _pdf_text(made.pdf)
    for metric in KPIS:
        value = card[metric.id]
        assert _written(value, metric.unit) in text, (metric.id, value)
    # a change as a card shows it: percentage points between the two months' rates
    change = float(card["churn_rate"]) - float(before["churn_rate"])  # type: ignore[arg-type]
    assert f"{change:+.1f} pp".replace("-", "−") in text or f"{change:+.1f} pp" in text
    # the tables: the rates of the latest month, whole or not, in its row
    latest = rows[-1]
    assert _written(latest["strict_retention_rate"], "percent") in text


def test_the_pdf_is_a4_with_page_numbers_and_a_cover(made: Made) -> None:
    reader = PdfReader(made.pdf)
    pages = len(reader.pages)
    assert pages >= 6  # the cover, five pages, the definitions
    for page in reader.pages:
        assert [round(float(v), 1) for v in page.mediabox[2:]] == [round(v, 1)
                                                                   for v in A4_POINTS]
    texts = [page.extract_text() or "" for page in reader.pages]
    assert all(f"Page {n} of {pages}" in text for n, text in enumerate(texts, 1))
    cover = texts[0].replace("\n", " ")
    for fact in ("Demo shop", "Month", "60", "Retail", "Inactivity window W (days)"):
        assert fact in cover, fact
    # the link that reopens the view carries the same filters (it may wrap across lines)
    link = texts[0].replace("\n", "")
    assert "http://dash.example:8501/?dataset=" in link and "w=60" in link
    assert "period=month" in link and "industry=Retail" in link
    # the appendix comes last, and may take more than a page
    appendix = "".join(texts[next(i for i, text in enumerate(texts) if i and
                                  text.startswith("Definitions")):])
    for metric_id in ("churn_rate", "clv_simple", "nps"):
        assert REGISTRY[metric_id].title() in appendix, metric_id


def test_every_chart_is_whole_on_one_page(made: Made) -> None:
    # Each chart is one image; an image split over two pages would be drawn on both: count
    # the pages' drawing operators ("/name Do") of their image objects.
    html = made.html.read_text(encoding="utf-8")
    charts = len(re.findall(r'<img src="data:image/png;base64,', html))
    assert charts == 7  # trend, rates, cohort heatmap, lifecycle, historic CLV, RFM, NPS
    drawn = 0
    for page in PdfReader(made.pdf).pages:
        images = {name.lstrip("/") for name, item in page["/Resources"]["/XObject"].items()
                  if item.get_object()["/Subtype"] == "/Image"}
        used = re.findall(rb"/([^\s/]+)\s+Do\b", page.get_contents().get_data())
        drawn += sum(name.decode() in images for name in used)
    assert drawn == charts


def test_the_report_renders_to_png(made: Made, tmp_path: Path) -> None:
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm is missing: `make test` installs poppler-utils"
    subprocess.run([pdftoppm, "-r", str(DPI), "-png", str(made.pdf), str(tmp_path / "page")],
                   check=True, timeout=120)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == len(PdfReader(made.pdf).pages)
    # A4: 595.276 x 841.89 points of 1/72 inch
    width, height = (round(points / 72 * DPI) for points in A4_POINTS)
    overview_chart = Image.open(images[2]).convert("RGB")
    assert abs(overview_chart.width - width) <= 1 and abs(overview_chart.height - height) <= 1
    # the trend's line, drawn in the chart's colour, is on the page after the cards
    blue = tuple(int(COMPLETE_COLOUR[i:i + 2], 16) for i in (1, 3, 5))
    near = [count for count, pixel in overview_chart.getcolors(width * height) or []
            if sum(abs(a - b) for a, b in zip(pixel, blue, strict=True)) < 60]
    assert sum(near) > 100
    ARTIFACTS.mkdir(exist_ok=True)
    for image in images[:4]:
        shutil.copy(image, ARTIFACTS / f"report-{image.name}")


def test_the_html_is_self_contained(made: Made) -> None:
    html = made.html.read_text(encoding="utf-8")
    assert not re.findall(r'(?:src|href)\s*=\s*"(?!data:)', html)
    assert "@import" not in html and "url(" not in html
    assert "<script" not in html


def _report(text: str) -> Report:
    image = io.BytesIO()
    Image.new("RGB", (4, 3), "white").save(image, "PNG")
    section = Section(text, intro=text, cards=(Card(text, "1", text, text, text),),
                      charts=(Chart(text, text, image.getvalue()),),
                      tables=(Table.first_rows(text, (text,), [(text,)] * 25),),
                      notes=(text,))
    return Report(text, ((text, text),), "http://x/?dataset=a&b=<c>", (section,),
                  ((text, text),), text)


def test_user_text_is_escaped_everywhere() -> None:
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)> & \"q\""
    html = to_html(_report(hostile))
    assert "<script>" not in html and "<img src=x" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 10
    # the link is text, escaped too
    assert "http://x/?dataset=a&amp;b=&lt;c&gt;" in html
    # a table shows its first 20 rows and says how many there are
    assert html.count("<tr><td>") == 20
    assert "The first 20 of 25 rows" in html


def test_the_page_counter_is_css_of_the_translated_sentence() -> None:
    assert str(page_counter_css()) == '"Page " counter(page) " of " counter(pages)'


def test_bad_pages_and_a_missing_folder_say_what_to_do(
        made: Made, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "missing" / "report.pdf"
    assert main(["--db", str(made.db), "report", "--dataset", "Demo shop", "--out",
                 str(out)]) == 2
    assert "The folder" in capsys.readouterr().err and not out.parent.exists()
    assert main(["--db", str(made.db), "report", "--dataset", "Demo shop", "--pages",
                 "overview,charts", "--out", str(tmp_path / "r.pdf")]) == 2
    assert "names no report page" in capsys.readouterr().err
    assert not (tmp_path / "r.pdf").exists()


def test_every_page_has_the_download_report_button(db: Path) -> None:
    for page in ("app_pages/overview.py", "app_pages/satisfaction.py"):
        app = open_app(page=page)
        buttons = [b for b in app.get("download_button") if b.proto.label == "Download report"]
        assert len(buttons) == 1, page


def test_the_cover_link_reopens_the_same_view(db: Path) -> None:
    with Store(db) as store:
        dataset = store.dataset("Demo shop")
        filters = Filters(period="quarter", start=date(2024, 4, 1), end=date(2025, 3, 31),
                          segments=(("channel", ("Marketplace", "Online shop")),),
                          inactivity_days=120)
        link = ViewSummary(dataset, filters, "Retail").link("http://host:8501", "retention")
    parts = urlsplit(link)
    assert (parts.netloc, parts.path) == ("host:8501", "/retention")
    app = open_app({key: values if len(values) > 1 else values[0]
                    for key, values in parse_qs(parts.query).items()},
                   page="app_pages/retention.py")
    assert app.selectbox(key="dataset").value == dataset.id
    assert app.radio(key="period").value == "quarter"
    assert app.date_input(key="dates").value == (date(2024, 4, 1), date(2025, 3, 31))
    assert app.number_input(key="w").value == 120
    assert app.selectbox(key="industry").value == "Retail"
    assert app.multiselect(key="seg.channel").value == ["Marketplace", "Online shop"]


def test_romanian_and_russian_text_reach_the_pdf(tmp_path: Path) -> None:
    # the system's fonts (fonts-noto-core) have ș ț ă î â and Cyrillic: the PDF's text holds
    # them as written, not as missing-glyph boxes
    words = "Magazinul „Țară și Brașov” — Магазин «Лояльность»"
    pdf = tmp_path / "fonts.pdf"
    pdf.write_bytes(to_pdf(to_html(_report(words))))
    text = _pdf_text(pdf)
    assert "Țară și Brașov" in text and "Магазин «Лояльность»" in text
    fonts = {str(font["/BaseFont"]) for page in PdfReader(pdf).pages
             for font in (page["/Resources"]["/Font"][name].get_object()
                          for name in page["/Resources"]["/Font"])}
    assert any("Noto" in font or "DejaVu" in font for font in fonts), fonts
