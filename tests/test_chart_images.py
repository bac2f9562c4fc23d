"""Chart images: the figure a page draws, captioned with its filters and sources, rendered by
kaleido in Chromium as a PNG and an SVG of the size the image asks for."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from dashboard.chart_images import IMAGE_WIDTH, captioned, chart_image
from dashboard.charts import trend_chart
from dashboard.view_summary import ViewSummary
from metrics.benchmarks import Benchmark, Comparison
from metrics.query.filters import Filters
from metrics.store import Store
from tests.test_app import open_app


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "period_start": [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)],
        "period_end": [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)],
        "complete": [True, True, True],
        "retention_rate": [80.0, 75.0, 90.0], "strict_retention_rate": [70.0, 65.0, 85.0]})


def _benchmark() -> Comparison:
    figure = Benchmark(
        metric_id="retention_rate", metric="Customer retention rate", sector="Retail",
        industry="Retail", value="63", low=63.0, high=63.0, bound="", unit="%",
        period="year", region="US", source="Example Survey [p. 4]", title="Loyalty report",
        year=2023, url="", definition="Share of customers kept.")
    return Comparison("retention_rate", 63.0, 63.0, (figure,), ())


def _view(store: Store) -> ViewSummary:
    dataset = store.dataset("Small shop")
    filters = Filters(period="month", start=date(2024, 1, 1), end=date(2024, 3, 31),
                      segments=(("channel", ("web",)),), inactivity_days=45)
    return ViewSummary(dataset, filters, industry="Retail")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (bytes 16-24 after the 8-byte signature)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def test_the_image_says_what_it_shows(demo_store: Store) -> None:
    figure = trend_chart(_frame(), "retention_rate", "month", "EUR", _benchmark(), "Retail")
    image = captioned(figure, _view(demo_store), note="Hollow markers: incomplete periods")
    subtitle = image.layout.title.subtitle.text
    # the title stays the chart's own; the subtitle names every filter and source
    assert image.layout.title.text == figure.layout.title.text
    for expected in ("Jan 1, 2024", "Mar 31, 2024", "Month", "45", "Retail", "web",
                     "Hollow markers", "Example Survey, 2023", "Small shop"):
        assert expected in subtitle, expected
    # the source's bracketed page reference is the hover's detail, not the image's
    assert "[p. 4]" not in subtitle
    # the page's figure is left as it was
    assert figure.layout.title.subtitle.text is None


def test_user_text_in_the_caption_is_escaped(demo_store: Store) -> None:
    figure = trend_chart(_frame(), "retention_rate", "month", "EUR")
    image = captioned(figure, _view(demo_store), note="<b>bold</b> & <a href='x'>link</a>")
    subtitle = image.layout.title.subtitle.text
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;a href='x'&gt;" in subtitle
    assert "<b>" not in subtitle and "<a " not in subtitle


def test_png_and_svg_have_the_size_of_the_image(demo_store: Store) -> None:
    image = captioned(trend_chart(_frame(), "retention_rate", "month", "EUR", _benchmark(),
                                  "Retail"), _view(demo_store))
    # the chart's 420 px and the subtitle's lines above it
    assert image.layout.width == IMAGE_WIDTH and image.layout.height > 420
    png = chart_image(image, "png")
    assert png_size(png) == (IMAGE_WIDTH, image.layout.height)
    svg = ElementTree.fromstring(chart_image(image, "svg"))
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert (svg.get("width"), svg.get("height")) == (str(IMAGE_WIDTH), str(image.layout.height))
    # the text is in the SVG as text: the title and the dataset's name
    words = " ".join(node.text or "" for node in svg.iter())
    assert "Small shop" in words and "Retention rate (CRR) by month" in words


@pytest.mark.parametrize("page", ["app_pages/overview.py", "app_pages/retention.py"])
def test_every_chart_has_its_image_buttons(db: Path, page: str) -> None:
    app = open_app(page=page)
    charts = [chart.proto.id for chart in app.get("plotly_chart")]
    labels = [button.proto.label for button in app.get("download_button")]
    assert charts
    assert labels.count("Image as PNG") == len(charts)
    assert labels.count("Image as SVG") == len(charts)


def test_exports_from_two_sessions_at_once_each_get_their_own_image() -> None:
    # kaleido's one browser answers in order through one queue: two sessions exporting at
    # once must not take each other's image (each is checked by its own height)
    figures = [trend_chart(_frame(), "retention_rate", "month", "EUR").update_layout(
        width=IMAGE_WIDTH, height=height) for height in (300, 500, 380, 460)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        images = list(pool.map(lambda figure: chart_image(figure, "png"), figures))
    assert [png_size(image)[1] for image in images] == [300, 500, 380, 460]
