"""What a report holds, already in words: the renderer only lays it out."""

from __future__ import annotations

import base64
from dataclasses import dataclass

# A table shows its first rows; the data files hold the rest.
TABLE_ROWS = 20


@dataclass(frozen=True)
class Card:
    """One KPI as its card shows it: the value, the change against the previous period
    (None when not compared), whether that change is significant, and the definition."""

    label: str
    value: str
    change: str | None
    definition: str
    significance: str | None = None


@dataclass(frozen=True)
class Chart:
    """A chart as an image (PNG, or SVG when ``mime`` says so) with its caption."""

    title: str
    caption: str
    image: bytes
    mime: str = "image/png"

    @property
    def data_uri(self) -> str:
        """The image inside the page, so the HTML file needs nothing else."""
        return f"data:{self.mime};base64," + base64.b64encode(self.image).decode("ascii")


@dataclass(frozen=True)
class Table:
    """A table's first :data:`TABLE_ROWS` rows as text; ``total_rows`` counts them all."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    total_rows: int

    @classmethod
    def first_rows(cls, title: str, columns: tuple[str, ...],
                   rows: list[tuple[str, ...]]) -> Table:
        return cls(title, columns, tuple(rows[:TABLE_ROWS]), len(rows))


@dataclass(frozen=True)
class Section:
    """One dashboard page in the report."""

    title: str
    intro: str = ""
    cards: tuple[Card, ...] = ()
    charts: tuple[Chart, ...] = ()
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    """The whole report: the cover's facts, the pages, and the definitions appendix;
    ``notes`` are the dataset's dated notes in its date range (day, text)."""

    title: str
    cover: tuple[tuple[str, str], ...]
    link: str | None
    sections: tuple[Section, ...]
    definitions: tuple[tuple[str, str], ...]
    made: str
    language: str = "en"
    notes: tuple[tuple[str, str], ...] = ()
