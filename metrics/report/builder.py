"""Where ``loyaltylens report`` finds the function that fills a report.

The report's charts are the Plotly figures the dashboard draws, rendered by kaleido: that
code lives in ``dashboard/`` beside the chart builders, and ``metrics/`` imports no UI
library. The command looks the builder up by its module's name when it runs, the way a
plugin is found, so the layers stay one-way at import time.
"""

from __future__ import annotations

import importlib
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Protocol

from metrics.errors import InputError
from metrics.i18n import t
from metrics.query.filters import Filters
from metrics.report.document import Report
from metrics.store import Dataset, Store

BUILDER_MODULE = "dashboard.report"
# The dashboard's pages a report can hold, in its order.
REPORT_PAGES = ("overview", "retention", "clv", "segments", "satisfaction")
# The dashboard's address, for the link on a report's cover (the CLI cannot know it).
BASE_URL_ENV_VAR = "LOYALTYLENS_BASE_URL"


class ReportBuilder(Protocol):
    """``dashboard.report.build_report``'s signature."""

    def __call__(self, store: Store, dataset: Dataset, filters: Filters, *,
                 pages: tuple[str, ...], industry: str | None = None,
                 at: date | None = None, base_url: str | None = None,
                 images: bool = True) -> Report: ...


def report_pages(text: str) -> tuple[str, ...]:
    """``overview,clv`` as the pages it names, in the report's order; a wrong name raises."""
    named = [name.strip().lower() for name in text.split(",") if name.strip()]
    if not named or any(name not in REPORT_PAGES for name in named):
        raise InputError(t("“{text}” names no report page: use some of {pages}, separated by "
                           "commas.", text=text, pages=",".join(REPORT_PAGES)))
    return tuple(page for page in REPORT_PAGES if page in named)


def check_folder(path: Path) -> None:
    """Raise before any work when ``path``'s folder does not exist."""
    if not path.parent.is_dir():
        raise InputError(t("The folder {folder} does not exist: create it or write the report "
                           "elsewhere.", folder=str(path.parent)))


def write_report(path: Path, data: bytes) -> None:
    """``data`` written to ``path`` whole or not at all: into a file beside it, then
    renamed, so a failure leaves no half report (nor harms a file already there)."""
    check_folder(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_bytes(data)
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise InputError(t("The report could not be written to {path} ({error}): choose "
                           "another file.", path=str(path), error=error.strerror)) from error


def load_builder() -> ReportBuilder:
    """The dashboard's report builder."""
    builder: ReportBuilder = getattr(_module(), "build_report")  # noqa: B009
    return builder


def _module() -> ModuleType:
    try:
        return importlib.import_module(BUILDER_MODULE)
    except ImportError as error:
        raise InputError(t("Reports are drawn by the dashboard's charts, which could not be "
                           "loaded ({error}): install LoyaltyLens with its dashboard.",
                           error=str(error))) from error
