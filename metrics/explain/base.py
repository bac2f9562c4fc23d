"""What every explanation is made of: :class:`Formula` (how a number is computed from its
inputs), :class:`At` (which number of a table: its period, cohort age or group),
:class:`Explanation` (the number, its inputs, its SQL and the rows behind it) and
:class:`Family` (the numbers one kind of query explains, and how)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from operator import itemgetter
from typing import Any

import pandas as pd

from metrics.definitions import Metric
from metrics.errors import InputError
from metrics.export import json_value
from metrics.i18n import t
from metrics.query.filters import Filters
from metrics.query.run import query_frame
from metrics.query.sql import piece
from metrics.registry import entry
from metrics.satisfaction import Measure
from metrics.store import Dataset, Store

# How many rows behind a number an explanation carries (the query itself returns all).
ROWS_SHOWN = 100

Inputs = Mapping[str, float | None]
# A formula's computation from its inputs alone. It travels with the explanation (which
# the dashboard's cache pickles), so it is a module-level function, a partial of one or an
# operator.itemgetter, never a lambda.
Compute = Callable[[Inputs], float | None]


def ratio(numerator: float | None, denominator: float | None, scale: float = 1.0
          ) -> float | None:
    """``scale x numerator / denominator``; None where the denominator is zero, as the
    queries' ``NULLIF(x, 0)`` leaves it."""
    if numerator is None or not denominator:
        return None
    return scale * numerator / denominator


def _ratio_of(numerator: str, denominator: str, scale: float, inputs: Inputs
              ) -> float | None:
    return ratio(inputs[numerator], inputs[denominator], scale)


def ratio_of(numerator: str, denominator: str, scale: float = 1.0) -> Compute:
    """The formula ``scale x inputs[numerator] / inputs[denominator]``."""
    return partial(_ratio_of, numerator, denominator, scale)


def same(name: str) -> Compute:
    """A count or sum: the metric is its one input, counted by the rows behind it."""
    return itemgetter(name)


def value_of(inputs: Inputs, name: str) -> float:
    """An input's value, 0 for a missing (NULL) one."""
    value = inputs[name]
    return 0.0 if value is None else float(value)


# Where a KPI's value and inputs come from: a column of the KPI table
# (metrics.kpis.kpi_query) or of the survey counts (metrics.satisfaction.survey_query).
KPI_SOURCE = "kpis"
SURVEY_SOURCE = "survey"


@dataclass(frozen=True)
class Formula:
    """How a metric is computed from its inputs.

    ``inputs`` are the names of the components, in the order a user reads them;
    ``compute`` gives the metric from their values alone (see :data:`Compute`); ``text``
    is the formula for people, in the inputs' symbols (English; translated when shown).

    The other fields serve the family that explains the metric. For the period KPIs and
    survey measures (:mod:`metrics.explain.periods`): ``rows`` says which rows stand
    behind the number, ``"customers"``, ``"orders"``, ``"revenue_retention"`` (the
    previous period's buyers with their revenues) or ``"<measure>_answers"``;
    ``row_condition`` (customers only) which customers, as a constant SQL condition over
    the 0/1 columns of ``sql/explain_customers.sql``; ``source`` is :data:`KPI_SOURCE` or
    :data:`SURVEY_SOURCE`; ``value_sql`` computes a metric that is not a column of its
    source from the input columns; ``measure`` names a survey measure and ``whole_range``
    explains it over the filter's whole date range instead of one period; ``row_sums``
    names the inputs that are not columns of the source but sums of the rows' columns of
    that name (the order amounts and their squares behind the spread of order values),
    added up by the value query over the rows query of the same period.
    For the CLV page's numbers (:mod:`metrics.explain.clv`), ``rows`` names the rows
    behind them (the CLV's customers, a cohort's customers, the customers' summaries, a
    holdout week's purchase days, the spend lines and new customers), and so which query
    explains them.
    """

    inputs: tuple[str, ...]
    compute: Compute
    text: str
    rows: str = "customers"
    row_condition: str = "TRUE"
    source: str = KPI_SOURCE
    value_sql: str = ""
    measure: Measure = "nps"
    whole_range: bool = False
    row_sums: tuple[str, ...] = ()


@dataclass(frozen=True)
class At:
    """Which number of a metric's table to explain.

    ``period_start`` is any day of the period (for a cohort cell: of the cohort's
    acquisition period; ignored by figures over the whole date range); ``offset`` the
    periods since acquisition of a cohort cell; ``group`` the group a figure belongs to
    (an RFM segment, a loyalty type, members or non-members, a channel); ``options`` the
    metric function's own options the number is shown with (e.g. the simple CLV's
    ``gross_margin``), by the function's parameter names; a family ignores the others.
    """

    period_start: date | None = None
    offset: int | None = None
    group: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Explanation:
    """One number and how it is computed.

    ``inputs`` maps each input's id to its value, in reading order, and ``input_labels``
    each id to its label; ``sql`` with ``parameters`` computes the value and the inputs
    (one row: the value first, then the inputs); ``rows_sql`` with ``rows_parameters``
    returns every customer, order or answer behind it, ``rows`` the first
    :data:`ROWS_SHOWN` of them. Each input with a column of that name in the rows is that
    column's total. ``period_start`` and ``period_end`` are the days the number covers;
    ``detail`` says which cell or group of its table it is (``offset``, ``group``), empty
    for a period's figure.
    """

    metric_id: str
    label: str
    unit: str
    definition: str
    formula: str
    period_start: date
    period_end: date
    value: float | None
    inputs: Mapping[str, float | None]
    input_labels: Mapping[str, str]
    sql: str
    parameters: Mapping[str, Any]
    rows_sql: str
    rows_parameters: Mapping[str, Any]
    rows: pd.DataFrame
    compute: Compute
    detail: Mapping[str, Any] = field(default_factory=dict)

    def recompute(self) -> float | None:
        """The value computed again from :attr:`inputs` alone, by the metric's formula."""
        return self.compute(self.inputs)

    def to_dict(self) -> dict[str, Any]:
        """The explanation as JSON-ready data (the CLI's ``--format json``)."""
        return {
            "metric": self.metric_id, "label": self.label, "unit": self.unit,
            "definition": self.definition, "formula": self.formula,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            **{name: json_value(value) for name, value in self.detail.items()},
            "value": json_value(self.value),
            "inputs": [{"id": name, "label": self.input_labels[name],
                        "value": json_value(value)} for name, value in self.inputs.items()],
            "sql": self.sql, "parameters": json_parameters(self.parameters),
            "rows_sql": self.rows_sql, "rows_parameters": json_parameters(self.rows_parameters),
            "rows": [{column: json_value(value) for column, value in record.items()}
                     for record in self.rows.to_dict(orient="records")],
        }


def explanation(store: Store, metric: Metric, formula: Formula, filters: Filters,
                span: tuple[date, date], values: Mapping[str, float | None],
                query: tuple[str, Mapping[str, Any]],
                rows_query: tuple[str, Mapping[str, Any]], *,
                detail: Mapping[str, Any] | None = None, formula_text: str | None = None,
                definition: str | None = None, shown_rows: pd.DataFrame | None = None
                ) -> Explanation:
    """The explanation of a metric's value and inputs (``values``, by column), computed by
    ``query`` over the days ``span``, with the first :data:`ROWS_SHOWN` rows behind them:
    those of ``rows_query``, or ``shown_rows`` where Python adds a column to them.
    ``formula_text`` and ``definition`` replace the formula's text and the metric's
    definition (both in the current language) where a family says more; the input labels
    are filled in by :func:`metrics.explain.explain`."""
    rows_sql, rows_params = rows_query
    rows = (query_frame(store, f"{piece(rows_sql)}LIMIT {ROWS_SHOWN}", rows_params)
            if shown_rows is None else shown_rows.head(ROWS_SHOWN))
    return Explanation(
        metric_id=metric.id, label=metric.title(), unit=metric.unit,
        definition=definition or metric.describe(filters.inactivity_days),
        formula=formula_text or t(formula.text), period_start=span[0], period_end=span[1],
        value=values[metric.id], inputs={name: values[name] for name in formula.inputs},
        input_labels={}, sql=query[0], parameters=dict(query[1]), rows_sql=rows_sql,
        rows_parameters=dict(rows_params), rows=rows, compute=formula.compute,
        detail=dict(detail or {}))


def json_parameters(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Bound parameters as JSON-ready values (dates as ISO text)."""
    return {name: json_value(value) for name, value in sorted(parameters.items())}


def number(value: Any) -> float | None:
    """A value of a result row as a plain number; None for SQL NULL."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


# How a family explains one of its metrics: (store, dataset, metric, formula, filters,
# at) -> the explanation.
Explainer = Callable[[Store, Dataset, Metric, Formula, Filters, At], Explanation]
# Which number of its table a family can explain for a dataset: (store, dataset, filters,
# metric) -> the first number the metric's table shows (the CLI's and a report's example,
# the contract test's case). An InputError where the dataset has none.
Example = Callable[[Store, Dataset, Filters, Metric], At]
# A table's row (by column) and the options the registry entry computes the table with ->
# the number of that row as explain() names it; None for a row the family does not name.
RowNumber = Callable[[Mapping[str, Any], Mapping[str, Any]], "At | None"]


def _first_row(to_at: RowNumber, store: Store, dataset: Dataset, filters: Filters,
               metric: Metric) -> At:
    metric_entry = entry(metric.id)
    table = metric_entry.table(store, dataset, filters)
    shown = table[table[metric_entry.value_column].notna()]
    for row in shown.to_dict(orient="records"):
        at = to_at(row, metric_entry.options)
        if at is not None:
            return at
    raise InputError(t("{metric} has no value in the selection.", metric=metric.title()))


def first_row(to_at: RowNumber) -> Example:
    """The :data:`Example` naming the first row of the metric's table (its registry
    entry's) that holds a value and that ``to_at`` names."""
    return partial(_first_row, to_at)


def period_of_row(row: Mapping[str, Any], options: Mapping[str, Any]) -> At:
    """A row's period (its ``period_start``), or the whole range for a table without."""
    return At(period_start=row.get("period_start"))


@dataclass(frozen=True)
class Family:
    """The numbers one kind of query explains: its registry entries (``metrics``), the
    formula of each (``formulas``, by metric id), how it explains one of them
    (``explain``), and the headers (``column_labels``) and units (``column_units``) of
    the inputs and rows' columns that are not metrics of the registry, and ``example``,
    the first number of a metric's table it can explain for a dataset."""

    metrics: tuple[Metric, ...]
    formulas: Mapping[str, Formula]
    explain: Explainer
    column_labels: Mapping[str, str] = field(default_factory=dict)
    column_units: Mapping[str, str] = field(default_factory=dict)
    example: Example = field(default_factory=lambda: first_row(period_of_row))
