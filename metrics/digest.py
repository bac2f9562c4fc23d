"""The digest: the latest complete period's KPIs against the previous period and benchmarks,
and the alert rules that fire on them (``loyaltylens digest``, the Overview's banner)."""

from __future__ import annotations

import html
import json
import math
import re
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from metrics.annotations import Annotation, list_annotations
from metrics.benchmarks import all_benchmarks, compare
from metrics.definitions import KPIS, REGISTRY, SURVEY, Metric
from metrics.errors import InputError, LoyaltyLensError
from metrics.i18n import format_number, t
from metrics.query.filters import DEFAULT_INACTIVITY_DAYS, Filters
from metrics.query.sql import Period
from metrics.registry import entry
from metrics.significance import Significance, caption, change_test
from metrics.store import Dataset, Store, alert_rules_path

Severity = Literal["warning", "critical"]
SEVERITIES: tuple[Severity, ...] = ("warning", "critical")
# Exit statuses as monitoring tools (Nagios, cron wrappers) read them.
EXIT_OK, EXIT_WARNING, EXIT_CRITICAL, EXIT_ERROR = 0, 1, 2, 3
# The metrics a rule can watch: one value per period, compared with the previous one.
RULE_METRICS: tuple[str, ...] = tuple(m.id for m in KPIS + SURVEY)
# The metrics every digest lists, with the rules' own metrics.
DIGEST_METRICS: tuple[str, ...] = ("active_customers", "new_customers", "revenue", "aov",
                                   "retention_rate", "strict_retention_rate", "churn_rate",
                                   "repeat_purchase_rate")
STATE_FILE = "digest-state.json"
WEBHOOK_TIMEOUT_SECONDS = 10.0
_RULE_KEYS = {"metric", "severity", "above", "below", "change_below", "change_above",
              "significant_drop", "min_base"}


@dataclass(frozen=True)
class Rule:
    """An alert rule on one metric; it fires when every condition it sets holds and the
    period's sample (the metric's test denominator or count) holds at least ``min_base``.

    ``above`` / ``below`` compare the value; ``change_below`` / ``change_above`` the change
    against the previous period in the metric's unit (percentage points for a rate);
    ``significant_drop`` asks for a change for the worse (a drop, or a rise for a metric
    where lower is better such as churn) that its significance test
    (:func:`metrics.significance.change_test`) finds real: beyond its margin of error.
    """

    metric: str
    severity: Severity = "warning"
    above: float | None = None
    below: float | None = None
    change_below: float | None = None
    change_above: float | None = None
    significant_drop: bool = False
    min_base: int = 0

    @property
    def key(self) -> str:
        """What identifies the rule in the state file."""
        return json.dumps(asdict(self), sort_keys=True)

    def describe(self) -> str:
        """The rule in words, in the current language: "Churn rate: above 8%"."""
        metric = REGISTRY[self.metric]
        unit = t(" pp") if metric.unit == "percent" else ""
        level = "%" if metric.unit == "percent" else ""
        parts = [text for text in (
            self.above is not None and t("above {value}", value=_number(self.above) + level),
            self.below is not None and t("below {value}", value=_number(self.below) + level),
            self.change_below is not None and _change_words(self.change_below, unit, False),
            self.change_above is not None and _change_words(self.change_above, unit, True),
            self.significant_drop and t("worse by more than its margin of error"),
        ) if text]
        text = t("{metric}: {conditions}", metric=t(metric.label),
                 conditions=t(" and ").join(parts))
        if self.min_base:
            text += t(" (with a sample of at least {n})", n=self.min_base)
        return text


def _change_words(threshold: float, unit: str, rise: bool) -> str:
    """A change condition in words: ``change_below = -3`` is "down by more than 3"."""
    value = _number(abs(threshold)) + unit
    if rise:
        return (t("up by more than {value}", value=value) if threshold >= 0
                else t("down by less than {value}", value=value))
    return (t("down by more than {value}", value=value) if threshold <= 0
            else t("up by less than {value}", value=value))


# Without --rules and without rules saved for the dataset (README, "The digest"). They watch
# changes, not levels: a level worth an alert depends on the shop and on the granularity
# (a quarter's churn is about three months'), a real change for the worse does not.
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("churn_rate", "critical", change_above=2.0, significant_drop=True, min_base=100),
    Rule("strict_retention_rate", "warning", change_below=-3.0, min_base=100),
    Rule("revenue", "warning", significant_drop=True, min_base=30),
    Rule("nps", "warning", significant_drop=True, min_base=30),
)


def _number(value: float) -> str:
    return f"{value:g}"


def _rule_error(index: int, problem: str) -> InputError:
    return InputError(t("Rule {index} of the rules: {problem}", index=index, problem=problem))


def _float(index: int, name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _rule_error(index, t("{name} must be a number.", name=name))
    return float(value)


def sample_column(metric: Metric) -> str | None:
    """The column of the metric's table holding its period's sample size (None: the
    metric is not a sample, so no minimum base applies)."""
    test = metric.test
    if test is not None and (test.denominator or test.count):
        return test.denominator or test.count
    if test is not None and test.kind == "count":
        return metric.id
    if test is not None and test.kind == "total":
        return "orders"
    return metric.denominator


def rule_from_mapping(index: int, fields: Mapping[str, Any]) -> Rule:
    """A rule from its TOML table (numbered from 1 for the message); a wrong one raises
    :class:`InputError` naming what is wrong."""
    unknown = sorted(set(fields) - _RULE_KEYS)
    if unknown:
        raise _rule_error(index, t("“{name}” is not a rule setting; use {names}.",
                                   name=unknown[0], names=", ".join(sorted(_RULE_KEYS))))
    metric_id = fields.get("metric")
    if metric_id not in RULE_METRICS:
        raise _rule_error(index, t("“{metric}” is not a metric a rule can watch; use one of "
                                   "{metrics}.", metric=metric_id,
                                   metrics=", ".join(RULE_METRICS)))
    severity = fields.get("severity", "warning")
    if severity not in SEVERITIES:
        raise _rule_error(index, t("the severity must be “warning” or “critical”."))
    min_base = fields.get("min_base", 0)
    if isinstance(min_base, bool) or not isinstance(min_base, int) or min_base < 0:
        raise _rule_error(index, t("min_base must be a whole number, 0 or more."))
    drop = fields.get("significant_drop", False)
    if not isinstance(drop, bool):
        raise _rule_error(index, t("significant_drop must be true or false."))
    rule = Rule(metric_id, severity, **{name: _float(index, name, fields.get(name)) for name in
                                        ("above", "below", "change_below", "change_above")},
                significant_drop=drop, min_base=min_base)
    _check_rule(index, rule)
    return rule


def _check_rule(index: int, rule: Rule) -> None:
    metric = REGISTRY[rule.metric]
    if (rule.above, rule.below, rule.change_below, rule.change_above) == (None,) * 4 \
            and not rule.significant_drop:
        raise _rule_error(index, t("set a condition: above, below, change_below, change_above "
                                   "or significant_drop."))
    if rule.min_base and sample_column(metric) is None:
        raise _rule_error(index, t("{metric} is not counted on a sample, so min_base does "
                                   "not apply: leave it out.", metric=t(metric.label)))
    if rule.significant_drop and (metric.test is None or metric.test.kind == "none"):
        raise _rule_error(index, t("{metric} has no significance test, so significant_drop "
                                   "does not apply.", metric=t(metric.label)))


def parse_rules(text: str) -> tuple[Rule, ...]:
    """The rules of a TOML text: ``[[rule]]`` tables (README, "The digest")."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(t("The rules are not valid TOML ({error}): correct the file.",
                           error=str(error))) from error
    tables = document.get("rule", [])
    if set(document) - {"rule"} or not isinstance(tables, list):
        raise InputError(t("The rules file holds [[rule]] tables only: correct the file."))
    return tuple(rule_from_mapping(index, fields) for index, fields in enumerate(tables, 1))


def read_rules(path: Path) -> tuple[Rule, ...]:
    """The rules of a TOML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(t("The rules file {path} could not be read: give a UTF-8 TOML "
                           "file.", path=str(path))) from error
    return parse_rules(text)


def rules_toml(rules: Iterable[Rule]) -> str:
    """The rules as the TOML text :func:`parse_rules` reads."""
    blocks = []
    for rule in rules:
        lines = ["[[rule]]", f"metric = {json.dumps(rule.metric)}",
                 f"severity = {json.dumps(rule.severity)}"]
        lines += [f"{name} = {value!r}" for name in ("above", "below", "change_below",
                                                     "change_above")
                  if (value := getattr(rule, name)) is not None]
        if rule.significant_drop:
            lines.append("significant_drop = true")
        lines.append(f"min_base = {rule.min_base}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _rules_path(store: Store, dataset: Dataset) -> Path:
    return alert_rules_path(store.root, dataset.id)


def saved_rules(store: Store, dataset: Dataset) -> tuple[Rule, ...]:
    """The rules saved for the dataset, else :data:`DEFAULT_RULES`."""
    path = _rules_path(store, dataset)
    return read_rules(path) if path.is_file() else DEFAULT_RULES


def save_rules(store: Store, dataset: Dataset, rules: Iterable[Rule]) -> None:
    """Save the dataset's rules in the store folder (whole or not at all)."""
    text = rules_toml(rules)
    parse_rules(text)  # what is saved must read back
    path = _rules_path(store, dataset)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_whole(path, text)


def _write_whole(path: Path, text: str) -> None:
    """``text`` into ``path`` whole or not at all (written beside it, then renamed), so a
    reader never sees half a file and a failure leaves the old one."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise InputError(t("{path} could not be written ({error}): choose a folder you can "
                           "write to.", path=str(path), error=error.strerror)) from error


# -- evaluating ----------------------------------------------------------------------------

RuleStatus = Literal["fired", "clear", "small_base", "no_data"]


@dataclass(frozen=True)
class Band:
    """A benchmark band of one sector (:class:`metrics.benchmarks.Comparison`)."""

    sector: str
    low: float
    high: float


@dataclass(frozen=True)
class Line:
    """One metric of the digest: its value, the previous period's, the change, the
    change's test and its benchmark band in each sector compared (an industry, the
    user's targets: a saved benchmark set), by sector; a sector without a comparable
    figure has none."""

    metric_id: str
    label: str
    unit: str
    value: float | None
    previous: float | None
    change: float | None
    test: str
    bands: tuple[Band, ...] = ()


@dataclass(frozen=True)
class Alert:
    """A rule's outcome in the digest's period; ``new`` when it fires and was not already
    reported (the state file)."""

    rule: Rule
    status: RuleStatus
    value: float | None
    previous: float | None
    base: int | None
    detail: str = ""
    new: bool = False

    @property
    def fired(self) -> bool:
        return self.status == "fired"


@dataclass(frozen=True)
class Digest:
    """The digest of one dataset as of a day; ``notes`` are the dataset's dated notes
    (:mod:`metrics.annotations`) in the reported period and the one before it."""

    dataset: str
    as_of: date
    period: Period
    period_start: date
    period_end: date
    previous_start: date | None
    lines: tuple[Line, ...]
    alerts: tuple[Alert, ...]
    sectors: tuple[str, ...] = ()
    currency: str | None = None
    notes: tuple[Annotation, ...] = ()

    @property
    def fired(self) -> tuple[Alert, ...]:
        return tuple(alert for alert in self.alerts if alert.fired)

    @property
    def exit_status(self) -> int:
        """0 when no rule fired, 1 for a warning, 2 for a critical rule."""
        severities = {alert.rule.severity for alert in self.fired}
        return (EXIT_CRITICAL if "critical" in severities
                else EXIT_WARNING if severities else EXIT_OK)


@dataclass
class _Tables:
    """Each metric function's table, computed once for the digest."""

    store: Store
    dataset: Dataset
    filters: Filters
    computed: dict[Callable[..., pd.DataFrame], pd.DataFrame | InputError] = field(
        default_factory=dict)

    def rows(self, metric_id: str, start: date, previous_start: date | None
             ) -> tuple[pd.Series | None, pd.Series | None] | InputError:
        registered = entry(metric_id)
        if registered.compute not in self.computed:
            try:
                self.computed[registered.compute] = registered.table(
                    self.store, self.dataset, self.filters)
            except InputError as error:  # e.g. a dataset without survey responses
                self.computed[registered.compute] = error
        table = self.computed[registered.compute]
        if isinstance(table, InputError):
            return table
        return _row(table, start), _row(table, previous_start)


def _row(table: pd.DataFrame, start: date | None) -> pd.Series | None:
    if start is None:
        return None
    found = table[table["period_start"] == start]
    return None if found.empty else found.iloc[0]


def _value(row: pd.Series | None, column: str) -> float | None:
    if row is None or column not in row.index:
        return None
    value = row[column]
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return float(value)


def latest_complete_period(kpis: pd.DataFrame, as_of: date) -> tuple[date, date, date | None]:
    """The first and last day of the latest complete period ending on or before ``as_of``
    and the first day of the period before it (None for the first period)."""
    ended = kpis[(kpis["period_end"] <= as_of) & kpis["complete"].astype(bool)]
    if ended.empty:
        raise InputError(t("No complete period ends on or before {day}: choose a later "
                           "--as-of day.", day=as_of.isoformat()))
    position = kpis.index.get_loc(ended.index[-1])
    row = kpis.iloc[position]
    previous = kpis.iloc[position - 1]["period_start"] if position > 0 else None
    return row["period_start"], row["period_end"], previous


def evaluate(rule: Rule, row: pd.Series | None, previous: pd.Series | None) -> Alert:
    """A rule's outcome on a period's row of its metric's table and the previous one's."""
    metric = REGISTRY[rule.metric]
    value, before = _value(row, rule.metric), _value(previous, rule.metric)
    column = sample_column(metric)
    base_value = _value(row, column) if column else None
    base = None if base_value is None else int(base_value)
    if value is None:
        return Alert(rule, "no_data", value, before, base)
    if rule.min_base and (base is None or base < rule.min_base):
        return Alert(rule, "small_base", value, before, base)
    change = None if before is None else value - before
    conditions = [
        rule.above is None or value > rule.above,
        rule.below is None or value < rule.below,
        rule.change_below is None or (change is not None and change < rule.change_below),
        rule.change_above is None or (change is not None and change > rule.change_above),
    ]
    detail = ""
    if rule.significant_drop:
        result = change_test(metric, row, previous) if previous is not None else None
        worse = change is not None and (change < 0 if metric.higher_is_better else change > 0)
        conditions.append(isinstance(result, Significance) and result.significant and worse)
        detail = caption(result) if result is not None else ""
    return Alert(rule, "fired" if all(conditions) else "clear", value, before, base, detail)


def _line(metric_id: str, row: pd.Series | None, previous: pd.Series | None,
          bands: tuple[Band, ...]) -> Line:
    metric = REGISTRY[metric_id]
    value, before = _value(row, metric_id), _value(previous, metric_id)
    change = None if value is None or before is None else value - before
    test = caption(change_test(metric, row, previous)) if (
        row is not None and previous is not None) else ""
    return Line(metric_id, t(metric.label), metric.unit, value, before, change, test,
                bands)


def digest_filters(as_of: date, period: Period, inactivity_days: int) -> Filters:
    """The filter state a digest's tables are computed for: the data up to ``as_of``."""
    return Filters(period=period, end=as_of, inactivity_days=inactivity_days)


def build_digest(store: Store, dataset: Dataset, as_of: date, rules: Iterable[Rule], *,
                 period: Period = "month", inactivity_days: int = DEFAULT_INACTIVITY_DAYS,
                 sectors: tuple[str, ...] = (), kpi_frame: pd.DataFrame | None = None
                 ) -> Digest:
    """The digest of ``dataset`` as of ``as_of``: the latest complete period's figures
    against the previous period (and the benchmark bands of ``sectors``: industries, or
    the user's targets saved as a benchmark set; shipped figures and
    the user's saved sets) and each rule's outcome there.

    Parameters
    ----------
    store, dataset
        The data.
    as_of
        The day the digest is made: the latest period complete by then is reported.
    rules
        The alert rules (:data:`DEFAULT_RULES`, :func:`saved_rules`, :func:`read_rules`).
    period, inactivity_days
        The granularity and the inactivity window W, as on the Overview.
    sectors
        Sectors of :func:`metrics.benchmarks.sectors` to compare with: an industry, a
        saved set of targets (its name is its sector).
    kpi_frame
        The KPI table of the digest's filter state (``period``, ``inactivity_days``, the
        data up to ``as_of``: :func:`metrics.kpis.kpi_table`) when the caller has it
        already, as the dashboard has from its Overview; None: computed here.

    Returns
    -------
    Digest
        ``alerts`` in the rules' order; ``new`` is False until :func:`mark_new` says;
        ``notes`` dated in the reported period or the one before, by date.

    Raises
    ------
    InputError
        No complete period ends by ``as_of``, or the dataset has no orders.
    """
    rules = tuple(rules)
    filters = digest_filters(as_of, period, inactivity_days)
    tables = _Tables(store, dataset, filters)
    kpis = entry("churn_rate")
    if kpi_frame is None:
        kpi_frame = kpis.table(store, dataset, filters)
    tables.computed[kpis.compute] = kpi_frame
    start, end, previous_start = latest_complete_period(kpi_frame, as_of)
    benchmarks = all_benchmarks(store) if sectors else []
    lines = []
    for metric_id in dict.fromkeys(DIGEST_METRICS + tuple(r.metric for r in rules)):
        rows = tables.rows(metric_id, start, previous_start)
        if isinstance(rows, InputError):
            continue
        bands = tuple(Band(sector, found.low, found.high) for sector in sectors
                      if (found := compare(benchmarks, sector, metric_id, period)))
        lines.append(_line(metric_id, *rows, bands))
    alerts = []
    for rule in rules:
        rows = tables.rows(rule.metric, start, previous_start)
        alerts.append(Alert(rule, "no_data", None, None, None, rows.message)
                      if isinstance(rows, InputError) else evaluate(rule, *rows))
    notes = list_annotations(store, dataset, previous_start or start, end)
    return Digest(dataset.name, as_of, period, start, end, previous_start, tuple(lines),
                  tuple(alerts), sectors, dataset.currency, tuple(notes))


# -- what was already reported -------------------------------------------------------------


def _read_state(path: Path) -> dict[str, list[str]]:
    if not path.is_file():
        return {}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(t("The digest's state file {path} cannot be read: delete it (the "
                           "alerts firing now will be reported again).",
                           path=str(path))) from error
    return state if isinstance(state, dict) else {}


def mark_new(digest: Digest, dataset: Dataset, state_path: Path) -> Digest:
    """The digest with ``new`` set on each firing rule the state file does not hold for
    the dataset (a rule that cleared since is reported again when it fires again)."""
    reported = set(_read_state(state_path).get(dataset.id, []))
    return replace(digest, alerts=tuple(
        replace(alert, new=alert.fired and alert.rule.key not in reported)
        for alert in digest.alerts))


def save_state(digest: Digest, dataset: Dataset, state_path: Path) -> None:
    """Remember the rules firing now as reported, forgetting those that cleared."""
    state = _read_state(state_path)
    state[dataset.id] = [alert.rule.key for alert in digest.fired]
    _write_whole(state_path, json.dumps(state, indent=2))


# -- writing -------------------------------------------------------------------------------


def _shown(value: float | None, unit: str = "") -> str:
    """A figure as the current language writes numbers (1,234.5; 1.234,5; 1 234,5)."""
    if value is None:
        return "–"
    text = format_number(value, "#,##0.0" if unit in (
        "percent", "points", "score", "currency", "ratio") else "#,##0")
    return f"{text}%" if unit == "percent" else text


def _change(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    suffix = t(" pp") if unit == "percent" else ""
    sign = "-" if math.copysign(1.0, value) < 0 else "+"  # as f"{value:+}" signs it
    return f"{sign}{format_number(abs(value), '#,##0.0')}{suffix}"


def alert_sentence(alert: Alert) -> str:
    """One line for a firing (or not) rule, in the current language."""
    status = {"fired": t("FIRED"), "clear": t("clear"),
              "small_base": t("not checked: sample too small"),
              "no_data": t("not checked: no data")}[alert.status]
    severity = t("critical") if alert.rule.severity == "critical" else t("warning")
    unit = REGISTRY[alert.rule.metric].unit
    text = t("{status} ({severity}): {rule}; now {value}, before {previous}",
             status=status, severity=severity, rule=alert.rule.describe(),
             value=_shown(alert.value, unit), previous=_shown(alert.previous, unit))
    if alert.new:
        text += t(" (new)")
    return text


def _heading(digest: Digest) -> str:
    return t("Digest of {dataset}, {start} – {end}, as of {day}", dataset=digest.dataset,
             start=digest.period_start.isoformat(), end=digest.period_end.isoformat(),
             day=digest.as_of.isoformat())


def _band(band: Band, unit: str) -> str:
    low, high = _shown(band.low, unit), _shown(band.high, unit)
    return f"{band.sector}: {low}" if low == high else f"{band.sector}: {low} – {high}"


def _table_rows(digest: Digest) -> list[list[str]]:
    # amounts carry the data's currency in their label, as on the Overview's cards
    return [[f"{line.label} ({digest.currency})" if line.unit == "currency" and
             digest.currency else line.label,
             _shown(line.value, line.unit), _shown(line.previous, line.unit),
             _change(line.change, line.unit), line.test,
             "; ".join(_band(band, line.unit) for band in line.bands)]
            for line in digest.lines]


def _note_lines(digest: Digest) -> list[str]:
    """Each note as "2024-03-01: Price increase" (user text: escape it where it goes)."""
    return [f"{note.day.isoformat()}: {note.text}" for note in digest.notes]


def _columns() -> list[str]:
    return [t("Metric"), t("This period"), t("Previous period"), t("Change"),
            t("Significance"), t("Benchmark")]


# The characters that make inline Markdown (emphasis, code, links, HTML, tables, strikes).
_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>|~&])")


def _md_cell(text: str) -> str:
    """Text, user text included (a dataset's or a saved set's name), as Markdown showing
    it literally: no markup, no HTML, no broken table."""
    return _MARKDOWN.sub(r"\\\1", text).replace("\n", " ")


def to_markdown(digest: Digest) -> str:
    """The digest as Markdown."""
    alerts, figures = t("Alerts"), t("Key figures")  # not inside f-strings: extracted
    lines = [f"# {_md_cell(_heading(digest))}", "", f"## {alerts}", ""]
    lines += [f"- {_md_cell(alert_sentence(a))}" for a in digest.alerts] or [t("No rules.")]
    lines += ["", f"## {figures}", "", "| " + " | ".join(_columns()) + " |",
              "|" + "---|" * len(_columns())]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in _table_rows(digest)]
    if digest.notes:
        notes = t("Notes on these periods")
        lines += ["", f"## {notes}", ""] + [f"- {_md_cell(line)}" for line in _note_lines(digest)]
    return "\n".join(lines) + "\n"


def to_html(digest: Digest) -> str:
    """The digest as a self-contained HTML page, every text escaped."""
    e = html.escape
    titles = e(t("Alerts")), e(t("Key figures"))  # not inside f-strings: extracted
    alerts = "".join(f'<li class="{e(a.status)} {e(a.rule.severity)}">{e(alert_sentence(a))}'
                     "</li>" for a in digest.alerts)
    head = "".join(f"<th>{e(c)}</th>" for c in _columns())
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>"
                   for row in _table_rows(digest))
    notes_title = e(t("Notes on these periods"))  # not inside the f-string: extracted
    notes = (f"<h2>{notes_title}</h2><ul>"
             + "".join(f"<li>{e(line)}</li>" for line in _note_lines(digest)) + "</ul>"
             ) if digest.notes else ""
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{e(_heading(digest))}</title><style>"
        "body{font-family:sans-serif;margin:2em}td,th{border:1px solid #ccc;padding:4px 8px}"
        "table{border-collapse:collapse}li.fired.critical{color:#b00020;font-weight:bold}"
        "li.fired.warning{color:#a05a00;font-weight:bold}</style></head><body>"
        f"<h1>{e(_heading(digest))}</h1><h2>{titles[0]}</h2><ul>{alerts}</ul>"
        f"<h2>{titles[1]}</h2><table><tr>{head}</tr>{body}</table>{notes}"
        "</body></html>\n")


def to_json(digest: Digest) -> dict[str, Any]:
    """The digest as JSON-ready data."""
    return {
        "dataset": digest.dataset, "as_of": digest.as_of.isoformat(),
        "period": digest.period, "period_start": digest.period_start.isoformat(),
        "period_end": digest.period_end.isoformat(),
        "previous_start": digest.previous_start.isoformat() if digest.previous_start else None,
        "sectors": list(digest.sectors), "currency": digest.currency,
        "exit_status": digest.exit_status,
        "metrics": [asdict(line) for line in digest.lines],
        "alerts": [{**asdict(alert.rule), "status": alert.status, "value": alert.value,
                    "previous": alert.previous, "base": alert.base, "new": alert.new,
                    "detail": alert.detail, "text": alert_sentence(alert)}
                   for alert in digest.alerts],
        "notes": [note.to_dict() for note in digest.notes],
    }


def write_digest(digest: Digest, folder: Path) -> None:
    """digest.md, digest.html and digest.json into ``folder``."""
    if not folder.is_dir():
        raise InputError(t("The folder {folder} does not exist: create it or choose another "
                           "--out.", folder=str(folder)))
    for name, text in (("digest.md", to_markdown(digest)), ("digest.html", to_html(digest)),
                       ("digest.json", json.dumps(to_json(digest), ensure_ascii=False,
                                                  indent=2) + "\n")):
        _write_whole(folder / name, text)


def webhook_text(digest: Digest) -> str:
    """The message posted for the newly firing rules; ``&``, ``<`` and ``>`` escaped as
    Slack asks, so a dataset's name makes no link or @channel mention."""
    text = "\n".join([_heading(digest), *(alert_sentence(a) for a in digest.fired if a.new)])
    return html.escape(text, quote=False)


def post_webhook(url: str, text: str, timeout: float = WEBHOOK_TIMEOUT_SECONDS) -> None:
    """Post ``{"text": text}`` to a Slack/Teams/Mattermost-style incoming webhook."""
    if not url.lower().startswith(("https://", "http://")):
        # urllib would also open file: and ftp: addresses
        raise WebhookError(t("The webhook address must start with https:// (or http://): "
                             "check the environment variable."))
    request = urllib.request.Request(
        url, data=json.dumps({"text": text}).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        raise WebhookError(t("The webhook post failed ({reason}): check the address in the "
                             "environment variable and that the service is reachable.",
                             reason=str(reason))) from error


class WebhookError(LoyaltyLensError):
    """The webhook could not be posted to."""
