"""The "Download report" button: the report of the view on screen, as ``loyaltylens report``
writes it for the same dataset and filters."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import streamlit as st

from dashboard import services
from dashboard.chart_downloads import in_language
from dashboard.filters import View
from dashboard.report import build_report
from metrics.i18n import t
from metrics.report import to_html, to_pdf


def _base_url() -> str | None:
    """The address the browser opened the dashboard at, without its page and query."""
    url = st.context.url
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _shown_period() -> date | None:
    """The Overview's chosen period (its ``at`` in the session), else the report's default."""
    at = st.session_state.get("at")
    try:
        return date.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        return None


def report_button(view: View) -> None:
    """In the sidebar: the view's report as a PDF, made when clicked.

    The report takes seconds (every chart is rendered by a browser), so it is made in
    Streamlit's deferred download, in a thread of its own: the button shows it is busy
    while other sessions and this page go on.
    """
    if view.dataset is None or view.filters is None:
        return
    dataset, filters, industry = view.dataset, view.filters, view.industry
    at, base_url = _shown_period(), _base_url()

    def pdf() -> bytes:
        report = build_report(services.get_store(), dataset, filters, industry=industry,
                              at=at, base_url=base_url)
        return to_pdf(to_html(report))

    with st.sidebar:
        st.download_button(t("Download report"), in_language(pdf),
                           f"loyaltylens-report-{date.today().isoformat()}.pdf",
                           mime="application/pdf", icon=":material/picture_as_pdf:",
                           key="download_report", width="stretch",
                           help=t("Every page's KPI cards, charts and key tables for these "
                                  "filters, with the definitions, as a PDF."))
