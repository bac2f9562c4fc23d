"""Reports of a view: a document of KPI cards, chart images and tables, written as one
self-contained HTML file (a template, every value escaped) or as a PDF made from it."""

from metrics.report.document import Card, Chart, Report, Section, Table
from metrics.report.render import to_html, to_pdf

__all__ = ["Card", "Chart", "Report", "Section", "Table", "to_html", "to_pdf"]
