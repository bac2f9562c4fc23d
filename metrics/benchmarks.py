"""Industry benchmarks and the user's own targets, compared with LoyaltyLens metrics.

The shipped figures live in ``data/benchmarks.csv``, each with its source, year, URL and a
sentence saying what it measures (DESIGN.md: "Benchmarks are data with a source and a year
per figure"). A user's own file in the same format (targets, figures they collected) is
validated and stored as a named set in the DuckDB file; saved sets are picked like an
industry ("sector").

:func:`compare` turns the figures of one sector and metric into a band in the LoyaltyLens
metric's unit and the user's period: a monthly churn figure is converted to a yearly one
through the retention it implies, ``annual = 1 − (1 − monthly)^12``, and every conversion
is stated in the comparison's notes.
"""

from __future__ import annotations

import csv
import math
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Literal

import pandas as pd
from babel.numbers import format_decimal

from metrics.definitions import REGISTRY, Unit
from metrics.errors import InputError
from metrics.export import FORMULA_PREFIXES, to_csv
from metrics.i18n import N_, language, t
from metrics.query.sql import PERIODS
from metrics.readers import prepare_file
from metrics.store import Store

BENCHMARKS_PATH = Path(__file__).resolve().parent.parent / "data" / "benchmarks.csv"
BENCHMARK_COLUMNS: tuple[str, ...] = (
    "metric_id", "metric", "sector", "industry", "value", "unit", "period", "region",
    "source", "title", "year", "url", "definition",
)
# What a user's file must have; the other columns default (sector to the set's name).
REQUIRED_COLUMNS: tuple[str, ...] = ("metric_id", "value", "unit", "period", "source", "year")

Basis = Literal["monthly", "quarterly", "annual"]
BASES: tuple[Basis, ...] = ("monthly", "quarterly", "annual")
NOT_APPLICABLE = "n.a."
PERIOD_BASES: tuple[str, ...] = (*BASES, NOT_APPLICABLE)
ALL_INDUSTRIES = "All industries"
MAX_SET_NAME = 60
# Years a figure may carry: targets may lie a little in the future.
FIRST_YEAR, LAST_YEAR = 1900, 2100

UnitFamily = Literal["percent", "nps", "index", "ratio", "months", "multiple"]
ValidRange = Literal["percent", "nps", "score", "non_negative", "positive"]
Conversion = Literal["churn", "retention"]

# Months in each basis and each LoyaltyLens period; a week is 7 of a month's 30.4375 days
# (365.25 / 12), so weekly and yearly figures convert consistently.
DAYS_PER_MONTH = 30.4375
BASIS_MONTHS: dict[str, float] = {"monthly": 1, "quarterly": 3, "annual": 12}
PERIOD_MONTHS: dict[str, float] = {"week": 7 / DAYS_PER_MONTH, "month": 1, "quarter": 3,
                                   "year": 12}
_BASIS_DAYS = {"monthly": "30.4375", "quarterly": "91.3125", "annual": "365.25"}
_PERIOD_BASIS = {"week": N_("weekly"), "month": N_("monthly"), "quarter": N_("quarterly"),
                 "year": N_("annual")}
# How long "a period" is, as a note says it.
_PER_PERIOD = {"week": N_("a week"), "month": N_("a month"), "quarter": N_("a quarter"),
               "year": N_("a year")}


@dataclass(frozen=True)
class BenchmarkMetric:
    """A metric benchmark figures may be given for, and how its figures are checked.

    ``units`` are the unit families a figure may be written in; ``comparable`` is the one
    :func:`compare` uses (the LoyaltyLens metric's own unit), ``None`` for figures that
    are only listed. ``conversion`` says how a rate moves between periods.

    A LoyaltyLens metric's name and unit come from its registry entry
    (:data:`metrics.definitions.REGISTRY`); only a figure without a metric of its own
    names them here (``own_label``, ``own_comparable``).
    """

    id: str
    units: tuple[UnitFamily, ...]
    valid: ValidRange
    conversion: Conversion | None = None
    # Where published figures differ from the LoyaltyLens definition, said to the user.
    caveat: str | None = None
    own_label: str | None = None
    own_comparable: UnitFamily | None = None

    def __post_init__(self) -> None:
        if (self.id in REGISTRY) == bool(self.own_label or self.own_comparable):
            raise ValueError(f"{self.id}: a LoyaltyLens metric's name and unit come from its "
                             "registry entry, and only a benchmark-only figure names its own")

    @property
    def label(self) -> str:
        """The metric's name (English; translate it where it is shown)."""
        metric = REGISTRY.get(self.id)
        if metric is None:
            assert self.own_label is not None
            return self.own_label
        return metric.name

    @property
    def comparable(self) -> UnitFamily | None:
        metric = REGISTRY.get(self.id)
        return self.own_comparable if metric is None else _FAMILIES[metric.unit]


# The unit family a figure must be written in to compare with a LoyaltyLens metric's unit.
_FAMILIES: dict[Unit, UnitFamily | None] = {
    "percent": "percent", "points": "nps", "ratio": "ratio", "customers": None,
    "orders": None, "currency": None, "score": None,
}


RETENTION_CAVEAT = (
    N_("Published retention rates rarely say who counts as a customer or over which window; "
       "LoyaltyLens counts the customers in the base (an order within the inactivity window) "
       "at the start and at the end of each period."))
CHURN_CAVEAT = (
    N_("Published churn rates mostly count cancelled subscriptions; with orders only, "
       "LoyaltyLens counts a customer as lost once their last order is older than the "
       "inactivity window."))
REPEAT_CAVEAT = (
    N_("Published repeat-purchase rates use their own window (for example a second purchase "
       "within 12 months); LoyaltyLens counts the period's active customers with at least two "
       "orders to date, so the windows differ."))
NPS_CAVEAT = (
    N_("Published NPS come from industry studies with their own panels and question wording; "
       "yours comes from your own survey answers."))
CSAT_CAVEAT = (N_("Published CSAT figures are shares of satisfied answers on their own scales; "
                  "LoyaltyLens counts 4-5 answers on a 1-5 scale."))
REVENUE_CAVEAT = (
    N_("Published revenue retention is usually gross revenue retention of subscription "
       "revenue; LoyaltyLens follows the revenue of a cohort of customers."))
STRICT_NOTE = (
    N_("Your strict retention rate is compared with published customer retention rates, which "
       "do not say whether customers who left and came back count as retained."))

BENCHMARK_METRICS: dict[str, BenchmarkMetric] = {m.id: m for m in (
    BenchmarkMetric("retention_rate", ("percent",), "percent", "retention", RETENTION_CAVEAT),
    BenchmarkMetric("churn_rate", ("percent",), "percent", "churn", CHURN_CAVEAT),
    BenchmarkMetric("repeat_purchase_rate", ("percent",), "percent", None, REPEAT_CAVEAT),
    BenchmarkMetric("nps", ("nps",), "nps", None, NPS_CAVEAT),
    # ACSI is a 0-100 index, not a share of satisfied customers: listed, never compared.
    BenchmarkMetric("csat", ("percent", "index"), "score", None, CSAT_CAVEAT),
    # Figures of numbers the dashboard shows without a registry entry yet, and figures
    # with no LoyaltyLens metric of their own (listed with their sector).
    BenchmarkMetric("clv_cac_ratio", ("ratio",), "positive", own_label=N_("CLV:CAC ratio"),
                    own_comparable="ratio"),
    BenchmarkMetric("cac_payback_months", ("months",), "positive",
                    own_label=N_("Months to recover CAC"), own_comparable="months"),
    BenchmarkMetric("acquisition_vs_retention_cost", ("multiple",), "positive",
                    own_label=N_("Cost of winning vs keeping a customer"),
                    own_comparable="multiple"),
    BenchmarkMetric("profit_uplift_from_retention", ("percent",), "non_negative",
                    own_label=N_("Profit uplift from higher retention"), own_comparable="percent"),
    BenchmarkMetric("revenue_retention", ("percent",), "non_negative", "retention",
                    REVENUE_CAVEAT, own_label=N_("Revenue retention"), own_comparable="percent"),
    BenchmarkMetric("voluntary_churn_rate", ("percent",), "percent", "churn",
                    own_label=N_("Voluntary churn rate"), own_comparable="percent"),
    BenchmarkMetric("involuntary_churn_rate", ("percent",), "percent", "churn",
                    own_label=N_("Involuntary churn rate"), own_comparable="percent"),
    BenchmarkMetric("net_churn_rate", ("percent",), "percent", "churn",
                    own_label=N_("Net churn rate (returning subscribers netted out)"),
                    own_comparable="percent"),
    BenchmarkMetric("annual_repurchase_rate", ("percent",), "percent",
                    own_label=N_("Annual repurchase rate"), own_comparable="percent"),
)}
METRIC_IDS: tuple[str, ...] = tuple(BENCHMARK_METRICS)
# A LoyaltyLens metric compared with another metric's figures (said in a note).
COMPARED_WITH = {"strict_retention_rate": ("retention_rate", STRICT_NOTE),
                 "gross_revenue_retention": ("revenue_retention", None)}
_UNIT_EXAMPLES = {"percent": "%", "nps": "NPS points", "index": "ACSI 0-100",
                  "ratio": "ratio", "months": "months", "multiple": "x (multiple)"}

_NUMBER = r"[-−]?\d+(?:[.,]\d+)?"
_VALUE = re.compile(
    rf"^(?P<bound>[<>])?\s*(?P<low>{_NUMBER})(?:\s*[-–]\s*(?P<high>{_NUMBER}))?\s*%?$")
_YEAR = re.compile(r"^\d{4}$")

_BENCHMARKS_TABLE_SQL = """
-- The user's saved benchmark sets (their own targets or figures): one row per figure.
CREATE TABLE IF NOT EXISTS loyaltylens_benchmarks (
    set_name VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    metric_id VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    sector VARCHAR NOT NULL,
    industry VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    low DOUBLE NOT NULL,
    high DOUBLE NOT NULL,
    bound VARCHAR NOT NULL,
    unit VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    region VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    url VARCHAR NOT NULL,
    definition VARCHAR NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    PRIMARY KEY (set_name, position)
)
"""
_STORED_FIELDS = ("metric_id", "metric", "sector", "industry", "value", "low", "high",
                  "bound", "unit", "period", "region", "source", "title", "year", "url",
                  "definition")


@dataclass(frozen=True)
class Benchmark:
    """One published figure (or one of the user's targets) and where it comes from.

    ``value`` is the figure as published: a number (``"63"``), a range (``"92-93"``) or a
    bound (``">3"``, ``"<12"``). ``low`` and ``high`` are its numbers: equal for a single
    figure; for a bound both are the bound and ``bound`` says which side (``">"`` or
    ``"<"``; ``""`` otherwise). ``set_name`` is ``""`` for the figures LoyaltyLens ships,
    else the name of the user's saved set.
    """

    metric_id: str
    metric: str
    sector: str
    industry: str
    value: str
    low: float
    high: float
    bound: str
    unit: str
    period: str
    region: str
    source: str
    title: str
    year: int
    url: str
    definition: str
    set_name: str = ""

    @property
    def basis(self) -> Basis | None:
        """The period a rate is per: monthly, quarterly or annual; None when not applicable."""
        return next((basis for basis in BASES if basis == self.period), None)

    @property
    def shipped(self) -> bool:
        """Whether the figure comes with LoyaltyLens (not from a user's saved set)."""
        return not self.set_name

    @property
    def citation(self) -> str:
        """Short source and year for a hover text, e.g. "Recurly Research, 2019"."""
        return f"{short_source(self.source)}, {self.year}"

    def record(self) -> dict[str, str | int]:
        """The figure as a row of the benchmark file (:data:`BENCHMARK_COLUMNS`)."""
        return {column: getattr(self, column) for column in BENCHMARK_COLUMNS}


def short_source(source: str) -> str:
    """The publisher without the qualifiers in brackets: "Recurly [secondary: …]" -> "Recurly"."""
    return re.split(r"\s[\[(]", source, maxsplit=1)[0].strip() or source


def metric_label(metric_id: str) -> str:
    """The metric's name in the current language ("Churn rate"); the id when unknown."""
    metric = BENCHMARK_METRICS.get(metric_id)
    return t(metric.label) if metric else metric_id


def unit_family(unit: str) -> UnitFamily | None:
    """What kind of unit a figure is written in: "% per month" -> "percent", ... or None."""
    text = unit.strip().casefold()
    if text.startswith(("%", "percent", "pct")):
        return "percent"
    if "acsi" in text or "index" in text:
        return "index"
    if "nps" in text or text in ("points", "score"):
        return "nps"
    if "month" in text:
        return "months"
    if "ratio" in text or ":" in text:
        return "ratio"
    if text.startswith("x") or "multiple" in text or "times" in text:
        return "multiple"
    return None


def parse_value(text: str) -> tuple[float, float, str] | None:
    """``(low, high, bound)`` of a value as published, or None when it is not one.

    ``"63"`` -> ``(63, 63, "")``; ``"92-93"`` -> ``(92, 93, "")``; ``">3"`` -> ``(3, 3, ">")``;
    a decimal comma is read as a point (``"30,1"``).
    """
    match = _VALUE.match(text.strip())
    if match is None or (match["bound"] and match["high"]):
        return None

    def number(part: str) -> float:
        return float(part.replace(",", ".").replace("−", "-"))

    low = number(match["low"])
    high = number(match["high"]) if match["high"] else low
    if high < low:
        return None
    return low, high, match["bound"] or ""


# -- reading figures -------------------------------------------------------------------


def _cell(text: str | None) -> str:
    """A cell's text, without the apostrophe our own CSV exports put before = + - @."""
    value = (text or "").strip()
    if value[:1] == "'" and value[1:2] and value[1] in FORMULA_PREFIXES:
        return value[1:]
    return value


def _range_error(row: int, metric: BenchmarkMetric, value: str) -> InputError:
    messages = {
        "percent": N_("Row {row}: {metric_id} is a percentage, so its value must lie between 0 "
                      "and 100, not “{value}”."),
        "nps": N_("Row {row}: an NPS lies between −100 and 100, not “{value}”."),
        "score": N_("Row {row}: {metric_id} lies between 0 and 100, not “{value}”."),
        "non_negative": N_("Row {row}: {metric_id} cannot be negative, so “{value}” cannot be "
                           "right."),
        "positive": N_("Row {row}: {metric_id} must be above 0, not “{value}”."),
    }
    return InputError(t(messages[metric.valid], row=row, metric_id=metric.id, value=value))


def _in_range(metric: BenchmarkMetric, number: float) -> bool:
    if metric.valid == "percent":
        return 0 <= number <= 100
    if metric.valid == "nps":
        return -100 <= number <= 100
    if metric.valid == "score":
        return 0 <= number <= 100
    if metric.valid == "non_negative":
        return number >= 0
    return number > 0


def _benchmark(fields: dict[str, str], row: int, set_name: str, default_sector: str
               ) -> Benchmark:
    """One row of a benchmark file, checked; raises InputError naming the row."""
    for column in REQUIRED_COLUMNS:
        if not fields.get(column):
            raise InputError(t("Row {row}: the {column} is empty; every figure needs one.",
                               row=row, column=column))
    metric_id = fields["metric_id"]
    metric = BENCHMARK_METRICS.get(metric_id)
    if metric is None:
        raise InputError(t("Row {row}: “{value}” is not a metric id; use one of: {ids}.",
                           row=row, value=metric_id, ids=", ".join(METRIC_IDS)))
    value = fields["value"]
    parsed = parse_value(value)
    if parsed is None:
        raise InputError(t("Row {row}: the value “{value}” is not a number, a range like "
                           "92-93 or a bound like >3.", row=row, value=value))
    low, high, bound = parsed
    if not (_in_range(metric, low) and _in_range(metric, high)):
        raise _range_error(row, metric, value)
    unit = fields["unit"]
    if unit_family(unit) not in metric.units:
        raise InputError(t("Row {row}: the unit “{unit}” does not fit {metric_id}; write "
                           "{units}.", row=row, unit=unit, metric_id=metric_id,
                           units=t(" or ").join(_UNIT_EXAMPLES[u] for u in metric.units)))
    period = fields["period"].casefold()
    if period not in PERIOD_BASES:
        raise InputError(t("Row {row}: the period “{value}” is not monthly, quarterly, "
                           "annual or n.a. (not applicable).", row=row,
                           value=fields["period"]))
    year = fields["year"]
    if not _YEAR.match(year) or not FIRST_YEAR <= int(year) <= LAST_YEAR:
        raise InputError(t("Row {row}: “{value}” is not a year; write it with four digits, "
                           "e.g. 2024.", row=row, value=year))
    sector = fields.get("sector") or default_sector
    return Benchmark(
        metric_id=metric_id, metric=fields.get("metric") or t(metric.label), sector=sector,
        industry=fields.get("industry") or sector, value=value, low=low, high=high,
        bound=bound, unit=unit, period=period, region=fields.get("region", ""),
        source=fields["source"], title=fields.get("title", ""), year=int(year),
        url=fields.get("url", ""), definition=fields.get("definition", ""),
        set_name=set_name)


def _header_name(text: str) -> str:
    return text.strip().lstrip("\ufeff").casefold().replace(" ", "_")


def _benchmarks_from_rows(rows: Sequence[Sequence[str]], file_name: str, set_name: str,
                          default_sector: str) -> list[Benchmark]:
    if not rows:
        raise InputError(t("The file {name} is empty: it needs a header row and one row per "
                           "figure.", name=file_name))
    header = [_header_name(h) for h in rows[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError(t("The file {name} is missing {columns}: a benchmark file needs the "
                           "columns {required} (download the template on the Data page).",
                           name=file_name, columns=", ".join(missing),
                           required=", ".join(REQUIRED_COLUMNS)))
    known = [c if c in BENCHMARK_COLUMNS else None for c in header]
    benchmarks = []
    for number, cells in enumerate(rows[1:], start=2):
        values = [_cell(c) for c in cells]
        if not any(values):
            continue
        fields = {column: values[i] if i < len(values) else ""
                  for i, column in enumerate(known) if column}
        benchmarks.append(_benchmark(fields, number, set_name, default_sector))
    if not benchmarks:
        raise InputError(t("The file {name} holds no figures under its header row.",
                           name=file_name))
    return benchmarks


@cache
def _shipped() -> tuple[Benchmark, ...]:
    with BENCHMARKS_PATH.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    return tuple(_benchmarks_from_rows(rows, BENCHMARKS_PATH.name, "", ALL_INDUSTRIES))


def shipped_benchmarks() -> list[Benchmark]:
    """The published figures LoyaltyLens ships (``data/benchmarks.csv``), in file order."""
    return list(_shipped())


def _set_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InputError(t("Give the benchmark set a name, e.g. “Our targets 2025”."))
    if len(cleaned) > MAX_SET_NAME:
        raise InputError(t("The name “{name}” is longer than {limit} characters; choose a "
                           "shorter one.", name=cleaned, limit=MAX_SET_NAME))
    return cleaned


def read_benchmark_file(path: str | Path, name: str) -> list[Benchmark]:
    """A user's benchmark file (their targets or figures), checked row by row.

    The file has the columns of ``data/benchmarks.csv`` (:data:`BENCHMARK_COLUMNS`);
    ``metric_id``, ``value``, ``unit``, ``period``, ``source`` and ``year`` are required.
    An empty ``sector`` is the set's ``name``, so the set is picked like an industry; an
    empty ``metric`` is the metric's label and an empty ``industry`` the sector. Any
    encoding and delimiter the ingest reads (UTF-8, cp1250, cp1251, ``,`` ``;`` tab ...)
    and Excel workbooks are accepted; columns other than the benchmark columns are ignored.

    Parameters
    ----------
    path
        The CSV or .xlsx file.
    name
        The set's name, shown to the user.

    Raises
    ------
    InputError
        One sentence naming the first bad row and what is wrong with it (unknown metric
        id, a value that is no number, range or bound, a value outside the metric's range,
        a unit that does not fit, a period or year that is not one).
    """
    set_name = _set_name(name)
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="loyaltylens-benchmarks-") as workdir:
        prepared = prepare_file(path, Path(workdir))
        with prepared.path.open(encoding="utf-8", newline="") as file:
            rows = list(csv.reader(file, delimiter=prepared.delimiter))
    return _benchmarks_from_rows(rows, path.name, set_name, set_name)


# -- saved sets ---------------------------------------------------------------------------


def _has_saved_sets(store: Store) -> bool:
    """Whether the saved-sets table exists yet (a read, so a page never waits for the
    write lock an ingest may hold)."""
    with store.cursor() as cursor:
        row = cursor.execute("-- does the saved benchmark sets table exist?\n"
                             "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' "
                             "AND table_name = 'loyaltylens_benchmarks'").fetchone()
    return bool(row and row[0])


def save_benchmarks(store: Store, name: str, rows: list[Benchmark]) -> None:
    """Store ``rows`` as the benchmark set ``name``; a set of that name is replaced.

    Names match case-insensitively. Nothing is stored when anything fails.
    """
    set_name = _set_name(name)
    if not rows:
        raise InputError(t("The benchmark set “{name}” has no figures to save.", name=set_name))
    values = [(set_name, position, *[getattr(row, f) for f in _STORED_FIELDS])
              for position, row in enumerate(rows)]
    with store.transaction() as cursor:
        cursor.execute(_BENCHMARKS_TABLE_SQL)
        cursor.execute("-- forget the set being replaced\n"
                       "DELETE FROM loyaltylens_benchmarks WHERE lower(set_name) = lower($name)",
                       {"name": set_name})
        cursor.executemany(
            "-- one figure of a saved benchmark set\n"
            "INSERT INTO loyaltylens_benchmarks VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
            values)


def saved_benchmark_sets(store: Store) -> list[str]:
    """The names of the user's saved benchmark sets, sorted."""
    if not _has_saved_sets(store):
        return []
    with store.cursor() as cursor:
        rows = cursor.execute("-- names of the saved benchmark sets\n"
                              "SELECT DISTINCT set_name FROM loyaltylens_benchmarks").fetchall()
    return sorted((name for (name,) in rows), key=str.casefold)


def delete_benchmarks(store: Store, name: str) -> None:
    """Delete the saved benchmark set ``name`` (case-insensitive)."""
    names = saved_benchmark_sets(store)
    if not any(saved.casefold() == name.strip().casefold() for saved in names):
        raise InputError(t("There is no saved benchmark set “{name}”; the saved sets are: "
                           "{names}.", name=name, names=", ".join(names) or t("none")))
    with store.transaction() as cursor:
        cursor.execute("-- delete a saved benchmark set\n"
                       "DELETE FROM loyaltylens_benchmarks WHERE lower(set_name) = lower($name)",
                       {"name": name.strip()})


def saved_benchmarks(store: Store) -> list[Benchmark]:
    """Every figure of the user's saved sets, set by set in file order."""
    if not _has_saved_sets(store):
        return []
    with store.cursor() as cursor:
        rows = cursor.execute(
            "-- every figure of every saved benchmark set\n"
            f"SELECT set_name, {', '.join(_STORED_FIELDS)} FROM loyaltylens_benchmarks "
            "ORDER BY lower(set_name), position").fetchall()
    return [Benchmark(**dict(zip(_STORED_FIELDS, values, strict=True)), set_name=set_name)
            for set_name, *values in rows]


def all_benchmarks(store: Store) -> list[Benchmark]:
    """The shipped figures followed by the user's saved sets."""
    return shipped_benchmarks() + saved_benchmarks(store)


def sectors(benchmarks: Iterable[Benchmark]) -> list[str]:
    """The sectors to pick from: "All industries" first, then the others alphabetically."""
    names = {b.sector for b in benchmarks}
    rest = sorted(names - {ALL_INDUSTRIES}, key=str.casefold)
    return ([ALL_INDUSTRIES] if ALL_INDUSTRIES in names else []) + rest


def find_sector(benchmarks: Iterable[Benchmark], sector: str) -> str | None:
    """The sector named ``sector`` (case-insensitive), or None."""
    wanted = sector.strip().casefold()
    return next((s for s in sectors(benchmarks) if s.casefold() == wanted), None)


def benchmark_frame(benchmarks: Iterable[Benchmark]) -> pd.DataFrame:
    """A table of the figures: the file's columns, the parsed ``low``, ``high`` and
    ``bound``, and ``set_name`` (empty for shipped figures)."""
    columns = [*BENCHMARK_COLUMNS, "low", "high", "bound", "set_name"]
    return pd.DataFrame([[getattr(b, c) for c in columns] for b in benchmarks],
                        columns=columns)


TEMPLATE_ROWS: tuple[dict[str, str], ...] = (
    {"metric_id": "retention_rate", "metric": N_("Customer retention rate (our target)"),
     "value": "80", "unit": "%", "period": "annual", "source": N_("Our 2025 plan"),
     "year": "2025",
     "definition": N_("Share of last year's customers we aim to keep over the year.")},
    {"metric_id": "nps", "metric": N_("Net Promoter Score (our target)"), "value": "40",
     "unit": "NPS points", "period": "n.a.", "source": N_("Our 2025 plan"), "year": "2025",
     "definition": N_("NPS we aim for in our own customer survey.")},
)
# The template's example texts, written in the reader's language.
TEMPLATE_TEXTS = ("metric", "source", "definition")


def template_csv() -> str:
    """A benchmark file to fill in: the header and two example targets (sector left empty,
    so it becomes the set's name)."""
    return to_csv(pd.DataFrame([{c: t(row[c]) if c in TEMPLATE_TEXTS else row.get(c, "")
                                 for c in BENCHMARK_COLUMNS}
                                for row in TEMPLATE_ROWS], columns=list(BENCHMARK_COLUMNS)))


# -- comparing ---------------------------------------------------------------------------


def _check_period(period: str) -> None:
    if period not in PERIODS:
        raise InputError(t("“{period}” is not a period; use one of: {periods}.",
                           period=period, periods=", ".join(PERIODS)))


def conversion(value: float, kind: Conversion, basis: Basis, period: str) -> float:
    """A churn or retention rate per ``basis`` restated per LoyaltyLens ``period``.

    The rate is compounded through the share of customers kept: retention ``r`` per basis
    is ``r^k`` per period and churn ``c`` is ``1 − (1 − c)^k``, with ``k`` the period's
    length over the basis's in months (a week is 7/30.4375 of a month). Values are in
    percent: 5% monthly churn is 1 − 0.95^12 = 45.96% a year.

    Parameters
    ----------
    value
        The rate in percent (0-100).
    kind
        ``"churn"`` or ``"retention"``.
    basis
        The period the rate is per: ``"monthly"``, ``"quarterly"`` or ``"annual"``.
    period
        The LoyaltyLens period: ``"week"``, ``"month"``, ``"quarter"`` or ``"year"``.
    """
    _check_period(period)
    if basis not in BASIS_MONTHS:
        raise InputError(t("“{basis}” is not monthly, quarterly or annual.", basis=basis))
    exponent = PERIOD_MONTHS[period] / BASIS_MONTHS[basis]
    share = value / 100
    if kind == "churn":
        return (1 - (1 - share) ** exponent) * 100
    return share ** exponent * 100


def _exponent_text(basis: Basis, period: str) -> str:
    if period == "week":
        return f"(7/{_BASIS_DAYS[basis]})"
    ratio = Fraction(int(PERIOD_MONTHS[period]), int(BASIS_MONTHS[basis]))
    return str(ratio) if ratio.denominator == 1 else f"({ratio})"


def _percent(number: float) -> str:
    return format_decimal(number, format="#,##0.0", locale=language.get()) + "%"


def _conversion_note(row: Benchmark, kind: Conversion, basis: Basis, period: str,
                     low: float, high: float) -> str:
    target = t(_PERIOD_BASIS[period])
    source_basis = t(basis)
    exponent = _exponent_text(basis, period)
    if kind == "churn":
        formula = f"{target} = 1 − (1 − {source_basis})^{exponent}"
        text = N_("{value}% {basis} churn ({citation}) is {converted} {per}: {formula}.")
    else:
        formula = f"{target} = {source_basis}^{exponent}"
        text = N_("{value}% {basis} retention ({citation}) is {converted} {per}: {formula}.")
    converted = _percent(low) if low == high else f"{_percent(low)}–{_percent(high)}"
    return t(text, citation=row.citation, value=row.value, basis=source_basis,
             converted=converted, per=t(_PER_PERIOD[period]), formula=formula)


@dataclass(frozen=True)
class Comparison:
    """The benchmark band for one metric of one sector, in the user's unit and period.

    ``low`` and ``high`` are equal for a single figure; ``rows`` are the figures behind
    the band and ``notes`` the sentences a user reads with it (each conversion, and where
    the figures' definitions differ from the LoyaltyLens metric).
    """

    metric_id: str
    low: float
    high: float
    rows: tuple[Benchmark, ...]
    notes: tuple[str, ...]

    def position(self, value: float | None) -> float | None:
        """How far ``value`` lies outside the band: ``value − high`` above it, ``value −
        low`` below it, 0 within; None for a missing value. A bound (">3") counts as the
        single figure 3."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        if value > self.high:
            return value - self.high
        if value < self.low:
            return value - self.low
        return 0.0


def compare(benchmarks: list[Benchmark], sector: str, metric_id: str, period: str
            ) -> Comparison | None:
    """The benchmark band of ``sector`` for the LoyaltyLens metric ``metric_id``.

    Only figures in the metric's own unit are used (an ACSI index is not a CSAT share, so
    ACSI figures give no CSAT band). Churn and retention figures are restated per
    ``period`` with :func:`conversion`; NPS, repeat purchase rates, rules of thumb and
    figures with no period (n.a.) are not converted. ``strict_retention_rate`` is
    compared with the customer retention rate figures, as a note says.

    Parameters
    ----------
    benchmarks
        The figures to choose from (:func:`all_benchmarks`).
    sector
        The sector picked, as :func:`sectors` lists it.
    metric_id
        The LoyaltyLens metric (``retention_rate``, ``churn_rate``, ``nps``, ...).
    period
        The user's period: ``"week"``, ``"month"``, ``"quarter"`` or ``"year"``.

    Returns
    -------
    Comparison or None
        None when the sector has no comparable figure for the metric.
    """
    _check_period(period)
    source_id, lead_note = COMPARED_WITH.get(metric_id, (metric_id, None))
    metric = BENCHMARK_METRICS.get(source_id)
    if metric is None or metric.comparable is None:
        return None
    rows = tuple(b for b in benchmarks if b.sector == sector and b.metric_id == source_id
                 and unit_family(b.unit) == metric.comparable)
    if not rows:
        return None
    notes: list[str] = [t(lead_note)] if lead_note else []
    lows, highs = [], []
    for row in rows:
        low, high = row.low, row.high
        basis = row.basis
        if metric.conversion and basis and basis != _PERIOD_BASIS[period]:
            low = conversion(row.low, metric.conversion, basis, period)
            high = conversion(row.high, metric.conversion, basis, period)
            notes.append(_conversion_note(row, metric.conversion, basis, period, low, high))
        elif metric.conversion and basis is None:
            notes.append(t("{value}% ({citation}) states no period, so it is not "
                           "converted.", citation=row.citation, value=row.value))
        if row.bound:
            notes.append(t("{value} ({citation}) is a bound: a threshold to pass, not an "
                           "average.", citation=row.citation, value=row.value))
        lows.append(low)
        highs.append(high)
    if metric.caveat:
        notes.append(t(metric.caveat))
    return Comparison(metric_id=metric_id, low=min(lows), high=max(highs), rows=rows,
                      notes=tuple(notes))
