"""A report as HTML (a Jinja2 template that escapes every value: user text is data) and as
an A4 PDF made from the same HTML by WeasyPrint, without a browser."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from metrics.i18n import t, tn
from metrics.report.document import Report

TEMPLATES = Path(__file__).parent / "templates"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined)


def _css_string(text: str) -> str:
    """``text`` as a CSS string: quotes and backslashes escaped, and no ``<`` (it sits in a
    ``<style>`` element, which ``</style>`` would end)."""
    return '"' + re.sub(r'(["\\<>])', lambda m: f"\\{ord(m.group(1)):x} ", text) + '"'


def page_counter_css() -> Markup:
    """The CSS ``content`` of the page footer: "Page 3 of 12" in the current language,
    the numbers from WeasyPrint's page counters."""
    parts = re.split(r"(\{page\}|\{pages\})", t("Page {page} of {pages}"))
    counters = {"{page}": "counter(page)", "{pages}": "counter(pages)"}
    return Markup(" ".join(counters.get(part) or _css_string(part) for part in parts if part))


def to_html(report: Report) -> str:
    """The report as one self-contained HTML page: images inside it, fonts of the system,
    nothing fetched from a network."""
    return _environment().get_template("report.html").render(
        report=report, t=t, tn=tn, page_counter=page_counter_css())


def to_pdf(html: str) -> bytes:
    """The HTML of :func:`to_html` as an A4 PDF with page numbers."""
    # Pango and its fonts load with it: only when a PDF is made (it ships no type hints)
    import weasyprint  # type: ignore[import-untyped]

    # the images are data: URLs; nothing else is fetched, whatever the page says
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"data"})
    return bytes(weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf())
