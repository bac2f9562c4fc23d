"""Charts as PNG and SVG files: the figure the page draws, with its title, the filters as a
subtitle and its sources under it, rendered by Plotly's kaleido in a headless Chromium.

No ``st.`` here: the dashboard's download buttons and the report both call it.
"""

from __future__ import annotations

import threading
from typing import Literal

import kaleido  # type: ignore[import-untyped]  # ships no type hints
import plotly.graph_objects as go

from dashboard.charts import title_lines
from dashboard.safe import chart_text
from dashboard.view_summary import ViewSummary
from metrics.errors import LoyaltyLensError
from metrics.i18n import t

ImageFormat = Literal["png", "svg"]
MIME_TYPES: dict[ImageFormat, str] = {"png": "image/png", "svg": "image/svg+xml"}
# An image is made for a slide or an A4 page, not for the phone the page may be read on.
IMAGE_WIDTH = 1000
LINE_CHARS = 110
SUBTITLE_LINE_HEIGHT = 18
NOTE_COLOUR = "#555"
# The browser stays open this long after the last export: the first export of a cold
# browser takes seconds, the next ones a fraction of one. An idle server frees its memory.
WARM_SECONDS = 300.0

# kaleido's sync server is one browser fed by one queue whose answers come back in order;
# two threads sharing it would take each other's answers, and two starting it would start
# two browsers. Every export goes through this lock.
_EXPORT_LOCK = threading.Lock()
_idle_timer: threading.Timer | None = None


class ImageExportFailed(LoyaltyLensError):
    """The chart image could not be rendered (no Chromium, or it failed)."""


def benchmark_sources(figure: go.Figure) -> list[str]:
    """The sources of the benchmark lines drawn on ``figure`` (their traces' ``meta``, set
    by :func:`dashboard.charts.add_benchmark`), each once."""
    sources: list[str] = []
    for trace in figure.data:
        meta = trace.meta if isinstance(trace.meta, dict) else {}
        for source in meta.get("sources", []):
            if source not in sources:
                sources.append(source)
    return sources


def captioned(figure: go.Figure, view: ViewSummary | None, note: str = "") -> go.Figure:
    """A copy of ``figure`` that says what it shows on its own: its title, then as its
    subtitle the filters, ``note``, the benchmark sources and the dataset's name.

    Everything goes above the plot: under it the axis titles, the tick labels and the
    legend take a height Plotly only knows once it has drawn them.
    """
    image = go.Figure(figure)
    source = t("Source: LoyaltyLens, dataset “{dataset}”", dataset=view.dataset.name) \
        if view is not None else t("Source: LoyaltyLens")
    texts = [view.subtitle() if view is not None else "", note, *benchmark_sources(figure),
             source]
    # wrapped, then escaped: a line break never falls inside an escape like &amp;
    lines = [chart_text(line) for text in texts if text
             for line in title_lines(text, LINE_CHARS)]
    # the subtitle's lines go between the title and what the chart had under it (the
    # heatmap has its top axis there)
    own_top = int(image.layout.margin.t or 60)
    added = SUBTITLE_LINE_HEIGHT * len(lines)
    image.update_layout(
        title={"subtitle": {"text": "<br>".join(lines),
                            "font": {"size": 12, "color": NOTE_COLOUR}}},
        margin={"t": own_top + added}, width=IMAGE_WIDTH,
        height=int(image.layout.height or 420) + added)
    return image


def chart_image(figure: go.Figure, image_format: ImageFormat) -> bytes:
    """``figure`` rendered as PNG or SVG at its own size (:func:`captioned` sets it).

    One browser serves every export of the process: started by the first, kept warm for
    :data:`WARM_SECONDS` after the last, one export at a time.
    """
    with _EXPORT_LOCK:
        _keep_warm()
        try:
            kaleido.start_sync_server(silence_warnings=True)
            return bytes(kaleido.calc_fig_sync(
                figure, opts={"format": image_format, "width": figure.layout.width or
                              IMAGE_WIDTH, "height": figure.layout.height or 500}))
        except Exception as error:  # kaleido's errors have no common base class
            kaleido.stop_sync_server(silence_warnings=True)
            raise ImageExportFailed(t(
                "The chart image could not be made: Chromium is missing or failed ({error}). "
                "Install Chromium (make chromium) or set BROWSER_PATH to it.",
                error=type(error).__name__)) from error


def _keep_warm() -> None:
    """(Re)start the countdown that closes the browser once exports stop."""
    global _idle_timer
    if _idle_timer is not None:
        _idle_timer.cancel()
    _idle_timer = threading.Timer(WARM_SECONDS, _close_idle)
    _idle_timer.daemon = True
    _idle_timer.start()


def _close_idle() -> None:
    with _EXPORT_LOCK:
        kaleido.stop_sync_server(silence_warnings=True)
