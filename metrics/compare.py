"""Compare two views: every KPI card of the Overview for two filter states (two segments,
two date ranges or two datasets) side by side, the difference B − A and whether it is
significant, with each state's trend for the charts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pandas as pd

from metrics.definitions import KPIS, Metric
from metrics.errors import InputError
from metrics.i18n import format_number, t
from metrics.kpis import kpi_table
from metrics.query.filters import Filters
from metrics.query.segments import segment_dimensions, segment_key, segment_values
from metrics.significance import NotTested, Significance, change_test
from metrics.store import Dataset, Store

# The keys of a state spec that are not segment columns.
RESERVED_KEYS = ("dataset", "from", "to")
# The columns of a comparison's records, one row per KPI card of the Overview.
COMPARISON_COLUMNS = ("metric", "unit", "a", "b", "difference", "difference_unit", "p_value",
                      "significant", "test")
# How many of a segment's values an error sentence lists before "and N more".
_VALUES_LISTED = 20


@dataclass(frozen=True)
class ViewState:
    """One side of a comparison: a dataset and the filter state it is shown with."""

    dataset: Dataset
    filters: Filters


@dataclass(frozen=True)
class Comparison:
    """Two views' KPIs side by side.

    Attributes
    ----------
    a, b
        The two states.
    period_a, period_b
        The first day of the period each state's values are of: its latest complete
        period (the latest one when none is complete).
    records
        One row per KPI card of the Overview (:data:`metrics.definitions.KPIS`), with the
        columns of :data:`COMPARISON_COLUMNS`.
    trend_a, trend_b
        Each state's KPI table (:func:`metrics.kpis.kpi_table`), one row per period.
    tests
        Each KPI's test result by id, for a caption (:func:`metrics.significance.caption`).
    """

    a: ViewState
    b: ViewState
    period_a: date
    period_b: date
    records: pd.DataFrame
    trend_a: pd.DataFrame
    trend_b: pd.DataFrame
    tests: Mapping[str, Significance | NotTested]


def compare(store: Store, a: ViewState, b: ViewState) -> Comparison:
    """Every KPI card of the Overview for two views, the difference B − A and its test.

    Parameters
    ----------
    store
        The database holding both datasets.
    a, b
        The two states; both must have the same granularity (the period type), so their
        periods are alike.

    Returns
    -------
    Comparison
        Each KPI's value in each state's latest complete period, the difference and the
        test its registry entry names (:func:`metrics.significance.change_test`, B's
        period against A's), and both states' trends.

    Raises
    ------
    InputError
        The states have different granularities.

    Notes
    -----
    The tests treat the two states as independent samples. Two states sharing customers
    (a segment against the whole shop, or two overlapping date ranges) are not, and
    their p-values overstate how uncertain the difference is.
    """
    if a.filters.period != b.filters.period:
        raise InputError(t("Both views must have the same granularity to be compared, not "
                           "{a} and {b}.", a=a.filters.period, b=b.filters.period))
    trend_a = kpi_table(store, a.dataset, a.filters)
    trend_b = kpi_table(store, b.dataset, b.filters)
    return compare_tables(a, b, trend_a, trend_b)


def compare_tables(a: ViewState, b: ViewState, trend_a: pd.DataFrame, trend_b: pd.DataFrame
                   ) -> Comparison:
    """:func:`compare` from the two states' KPI tables already computed (the dashboard's
    cached ones)."""
    if trend_a.empty or trend_b.empty:
        raise InputError(t("A view to compare has no periods: widen its date range."))
    row_a, row_b = compared_row(trend_a), compared_row(trend_b)
    # B's period "after" A's: the tests' difference is B − A
    tests = {metric.id: change_test(metric, row_b, row_a) for metric in KPIS}
    records = pd.DataFrame([_record(metric, row_a, row_b, tests[metric.id]) for metric in KPIS],
                           columns=list(COMPARISON_COLUMNS))
    return Comparison(a, b, row_a["period_start"], row_b["period_start"], records, trend_a,
                      trend_b, tests)


def compared_row(table: pd.DataFrame) -> pd.Series:
    """The period of a KPI table a comparison shows: the latest complete one (a whole
    period, which the tests can take), else the latest."""
    complete = table[table["complete"].astype(bool)]
    return (complete if not complete.empty else table).iloc[-1]


def _record(metric: Metric, row_a: pd.Series, row_b: pd.Series,
            result: Significance | NotTested) -> dict[str, Any]:
    value_a, value_b = _number(row_a[metric.id]), _number(row_b[metric.id])
    difference = None if value_a is None or value_b is None else value_b - value_a
    record = {"metric": metric.id, "unit": metric.unit, "a": value_a, "b": value_b,
              "difference": difference,
              # a difference of two percentages is in percentage points
              "difference_unit": "pp" if metric.unit == "percent" else metric.unit}
    if isinstance(result, NotTested):
        return record | {"p_value": None, "significant": None, "test": result.reason}
    return record | {"p_value": result.p_value, "significant": result.significant,
                     "test": result.method}


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


# -- the state spec grammar of the CLI -------------------------------------------------------


def parse_state(store: Store, dataset: Dataset, filters: Filters, specs: Sequence[str]
                ) -> ViewState:
    """A state from the command line: the shared ``dataset`` and ``filters`` changed by
    ``KEY=VALUE`` specs.

    KEY is ``dataset`` (another dataset, by name or id), ``from`` or ``to`` (the date
    range's first and last day, YYYY-MM-DD) or a segment column of the state's dataset;
    the VALUE is everything after the first ``=`` (it may hold ``=`` and commas). Specs
    naming the same segment column keep orders with any of their values, and replace that
    column's shared filter.

    Raises
    ------
    InputError
        A spec without ``=``, a date that is not one, a column the dataset does not have
        or a value the column does not hold: one sentence naming it and what exists.
    """
    pairs = [_key_value(spec) for spec in specs]
    for key, value in pairs:
        if key == "dataset":
            dataset = store.dataset(value)
    start, end = filters.start, filters.end
    chosen: dict[str, list[str]] = {}
    for key, value in pairs:
        if key == "from":
            start = _day(value)
        elif key == "to":
            end = _day(value)
        elif key != "dataset":
            chosen.setdefault(_segment(dataset, key), []).append(value)
    _check_values(store, dataset, chosen)
    segments = {column: list(values) for column, values in filters.segments} | chosen
    return ViewState(dataset, replace(filters, start=start, end=end,
                                      segments=Filters.segment_items(segments)))


def _key_value(spec: str) -> tuple[str, str]:
    key, sep, value = spec.partition("=")
    if not sep or not key.strip():
        raise InputError(t("“{spec}” is not of the form KEY=VALUE, where KEY is dataset, from, "
                           "to or a segment column.", spec=spec))
    return key.strip(), value.strip()


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(t("“{text}” is not a date: write it as YYYY-MM-DD.", text=text)
                         ) from None


def _segment(dataset: Dataset, name: str) -> str:
    """The segment key ``name`` means: as :func:`segment_key` finds it, else the one key
    spelled like it but for case (``Channel`` for the column stored as ``channel``)."""
    key = segment_key(dataset, name)
    known = segment_dimensions(dataset)
    alike = [k for k in known if k.casefold() == key.casefold()]
    if key not in known and len(alike) == 1:
        key = alike[0]
    if key not in known:
        raise InputError(t("“{key}” is neither dataset, from, to nor a segment column of the "
                           "dataset “{name}”; its segment columns are: {columns}.",
                           key=name, name=dataset.name,
                           columns=", ".join(sorted(known)) or t("none")))
    return key


def _check_values(store: Store, dataset: Dataset, chosen: dict[str, list[str]]) -> None:
    if not chosen:
        return
    existing = segment_values(store, dataset)
    for key, values in chosen.items():
        held = [str(value) for value in existing.get(key, [])]
        for value in values:
            if value not in held:
                raise InputError(t("“{value}” is not a value of the segment “{column}” in the "
                                   "dataset “{name}”; its values are: {values}.",
                                   value=value, column=key, name=dataset.name,
                                   values=_listed(held)))


def _listed(values: list[str]) -> str:
    """The first values, and how many more there are."""
    if not values:
        return t("none")
    shown = ", ".join(values[:_VALUES_LISTED])
    if len(values) <= _VALUES_LISTED:
        return shown
    return t("{values} and {count} more", values=shown,
             count=format_number(len(values) - _VALUES_LISTED))
