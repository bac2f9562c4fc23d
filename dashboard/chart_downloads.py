"""The one way a page draws a chart: the interactive figure and its image as PNG and SVG."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from dashboard import figures, services
from dashboard.chart_images import MIME_TYPES, ImageFormat, captioned, chart_image
from dashboard.chart_notes import draw_notes, is_trend_chart
from dashboard.charts import CHART_HEIGHT
from dashboard.filters import View
from dashboard.view_summary import ViewSummary
from metrics.annotations import Annotation, list_annotations
from metrics.i18n import language, t

T = TypeVar("T")


def current_view() -> ViewSummary | None:
    """The page's dataset and filters (drawn by the router's sidebar), None without data."""
    view = st.session_state.get("view")
    if not isinstance(view, View) or view.dataset is None or view.filters is None:
        return None
    return ViewSummary(view.dataset, view.filters, view.industry)


def view_notes(view: ViewSummary | None) -> list[Annotation]:
    """The notes of the view's dataset (a small file: read for each chart, so a note added
    or deleted in another session shows on the next run)."""
    return [] if view is None else list_annotations(services.get_store(), view.dataset)


def in_language(make: Callable[[], T]) -> Callable[[], T]:
    """``make`` run in the page's language: Streamlit runs a download's callable in a thread
    of its own, where the session's language is not set."""
    lang = language.get()

    def run() -> T:
        token = language.set(lang)
        try:
            return make()
        finally:
            language.reset(token)

    return run


# The blank figure of a session's first page (chart_head_start): the least Plotly draws.
HEAD_START_HEIGHT = 10
PAGES_WITHOUT_CHARTS = ("data", "alerts")


def blank_chart(height: int) -> go.Figure:
    """A figure with nothing drawn: no data, no axes, ``height`` pixels of background."""
    figure = go.Figure()
    figure.update_layout(height=height, margin={"t": 0, "l": 0, "r": 0, "b": 0})
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def chart_slot(height: int = CHART_HEIGHT) -> DeltaGenerator:
    """The place of a chart that its page draws once it has its data, holding a blank
    figure of the chart's height meanwhile; draw the chart with ``show_chart(...,
    container=slot.container())``.

    Streamlit's browser fetches and starts plotly.js (4.7 MB, most of the app's
    JavaScript) only when a page's first chart arrives. Sent before the page waits for its
    data, the blank figure makes the browser do that while the server computes, instead
    of after the run (on the first Overview of a busy server: 1 to 3 s of the browser's
    time to render).
    """
    slot = st.empty()
    slot.plotly_chart(figures.figure(blank_chart, height), width="stretch",
                      config={"staticPlot": True, "displayModeBar": False})
    return slot


def chart_head_start(first_page: bool) -> DeltaGenerator:
    """The top of the page: on a session's first page that draws charts, a blank figure
    sent before the run waits its turn (:data:`dashboard.run_slots.RUN_SLOTS`), for the
    page to empty once it has it; on every other run an empty slot, so that the page's
    elements keep their places.

    With many sessions on a server, a browser opening the dashboard waits for the runs of
    those who came first, then for plotly.js (4.7 MB, evaluated in 0.85 s, 1.1 s on a busy
    2-core machine) once its first chart arrives. With the blank figure first, it starts
    plotly.js as soon as its session begins, while it waits; the Data and Alerts pages,
    which draw no chart, do not ask for it.
    """
    if first_page and requested_page() not in PAGES_WITHOUT_CHARTS:
        return chart_slot(HEAD_START_HEIGHT)
    return st.empty()


def requested_page() -> str | None:
    """The page the browser asked for (its path: "" for the first page, "retention"), as
    the run starts; None when it is not known."""
    context = get_script_run_ctx()
    return None if context is None else context.pages_manager.intended_page_name


def show_chart(figure: go.Figure, *, key: str, note: str = "",
               container: DeltaGenerator | None = None, **options: Any) -> None:
    """``st.plotly_chart`` (``options`` are its own) and buttons downloading the chart as a
    PNG and an SVG image that carry the title, the filters, ``note`` and the sources.
    A trend chart draws the dataset's notes (:func:`dashboard.chart_notes.draw_notes`).

    The image is rendered when the button is clicked, in a thread of its own (Streamlit's
    deferred download, which shows the button busy meanwhile): other sessions and this
    page's next run do not wait for the browser that draws it.
    """
    place: Any = st if container is None else container
    options.setdefault("width", "stretch")
    view = current_view()
    if is_trend_chart(figure):
        figure = draw_notes(figure, view_notes(view))
    place.plotly_chart(figure, key=key, **options)
    # one row holding the buttons: a single element where columns were four, each drawn
    # and sent on every run of every session
    row = place.container(horizontal=True)
    formats: tuple[ImageFormat, ...] = ("png", "svg")
    for image_format in formats:
        # the captioned copy is made on the click too: building a figure costs more than
        # drawing the page's cached data, and most views download no image
        row.download_button(
            t("Image as {format}", format=image_format.upper()),
            in_language(lambda f=image_format: chart_image(  # type: ignore[misc]
                captioned(figure, view, note), f)),
            f"loyaltylens-{key.replace('_', '-')}.{image_format}",
            mime=MIME_TYPES[image_format], icon=":material/image:",
            key=f"{key}_{image_format}")
