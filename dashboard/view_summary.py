"""A view (dataset and filters) in words and as the link that reopens it, for chart images
and reports: what a reader of an exported file needs to know about what they see."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from dashboard.filters import SEGMENT_PREFIX, segment_label
from dashboard.formatting import PERIOD_NAMES, format_day
from dashboard.url_state import query_string_values
from metrics.i18n import t
from metrics.query.filters import Filters
from metrics.store import Dataset


@dataclass(frozen=True)
class ViewSummary:
    """The dataset and filter state a chart or a report shows."""

    dataset: Dataset
    filters: Filters
    industry: str | None = None

    def filter_lines(self) -> list[tuple[str, str]]:
        """(label, value) for each filter, in the sidebar's order."""
        f = self.filters
        lines = [
            (t("Dataset"), self.dataset.name),
            (t("Date range"), t("{first} to {last}", first=format_day(f.start),
                                last=format_day(f.end))),
            (t("Granularity"), t(PERIOD_NAMES[f.period])),
            (t("Inactivity window W (days)"), str(f.inactivity_days)),
            (t("Compare with industry"), self.industry or t("No benchmark")),
        ]
        lines += [(segment_label(column), ", ".join(values)) for column, values in f.segments]
        return lines

    def subtitle(self) -> str:
        """The filters in one line, as an image's subtitle."""
        return " · ".join(f"{label}: {value}" for label, value in self.filter_lines()[1:])

    def query(self) -> str:
        """The query string of the dashboard's URL for this view (dashboard.filters)."""
        f = self.filters
        # the sidebar's URL keys (dashboard.filters.GLOBAL_KEYS and its segments)
        state: dict[str, object] = {
            "dataset": self.dataset.id, "period": f.period, "start": f.start, "end": f.end,
            "w": f.inactivity_days, "industry": self.industry or ""}
        state |= {SEGMENT_PREFIX + column: list(values) for column, values in f.segments}
        return urlencode(query_string_values(state, list(state)), doseq=True)

    def link(self, base_url: str, page: str = "") -> str:
        """The address reopening the view on ``page`` (``""``: the Overview) of the server at
        ``base_url``."""
        return f"{base_url.rstrip('/')}/{page}?{self.query()}"

