"""How a number is computed: its definition, its inputs with their values, the SQL that
computed it with its bound parameters, and the customers, orders or answers behind it.

:func:`explain` covers every entry of :data:`EXPLAINED_METRICS`, each explained by its
family (:class:`~metrics.explain.base.Family`): the period KPIs, lifecycle and survey
measures (:mod:`metrics.explain.periods`), the CLV page's numbers
(:mod:`metrics.explain.clv`). Each metric has a
:class:`~metrics.explain.base.Formula`, the components it is computed from and how, so
that :meth:`Explanation.recompute` gives the value from the inputs alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

import pandas as pd

from metrics.definitions import REGISTRY, Metric
from metrics.errors import InputError
from metrics.explain.base import At, Explanation, Family, Formula, json_parameters
from metrics.explain.clv import CLV_FAMILY
from metrics.explain.cohorts import COHORTS
from metrics.explain.drivers import DRIVERS
from metrics.explain.loyalty import LOYALTY_FAMILY
from metrics.explain.periods import DERIVED_EXPLAINED, EXPLAINED, PERIODS, SURVEY_EXPLAINED
from metrics.explain.rfm import RFM
from metrics.explain.segments import SEGMENTS
from metrics.explain.survey import SURVEY_FIGURES_FAMILY
from metrics.i18n import t
from metrics.query.filters import Filters
from metrics.registry import entry
from metrics.store import Dataset, Store

__all__ = [
    "DERIVED_EXPLAINED", "EXPLAINED", "EXPLAINED_METRICS", "FAMILIES", "FORMULAS",
    "SURVEY_EXPLAINED", "At", "Explanation", "Formula", "column_label", "column_unit", "explain",
    "explained_metric", "json_parameters", "row_headers", "row_units",
]

# Every family of numbers explain() covers.
FAMILIES: tuple[Family, ...] = (PERIODS, COHORTS, CLV_FAMILY, LOYALTY_FAMILY, RFM, SEGMENTS,
                                SURVEY_FIGURES_FAMILY, DRIVERS)
_FAMILY_OF: dict[str, Family] = {
    metric.id: family for family in FAMILIES for metric in family.metrics}
# Every metric explain() covers, in the registry's order.
EXPLAINED_METRICS: tuple[Metric, ...] = tuple(
    metric for family in FAMILIES for metric in family.metrics)
# The formula of every explained metric, by id.
FORMULAS: dict[str, Formula] = {
    metric_id: family.formulas[metric_id] for metric_id, family in _FAMILY_OF.items()}
_COLUMN_LABELS: dict[str, str] = {
    column: label for family in FAMILIES for column, label in family.column_labels.items()}
_COLUMN_UNITS: dict[str, str] = {
    column: unit for family in FAMILIES for column, unit in family.column_units.items()}


def explained_metric(metric_id: str) -> Metric:
    """The registry entry of a metric :func:`explain` covers; an error listing them if not."""
    if metric_id not in _FAMILY_OF:
        raise InputError(
            t("“{metric}” is not a metric that can be explained; use one of {metrics}.",
              metric=metric_id, metrics=", ".join(_FAMILY_OF)))
    return REGISTRY[metric_id]


def explain(store: Store, dataset: Dataset, metric_id: str, filters: Filters,
            period_start: date | None = None, *, offset: int | None = None,
            group: str | None = None, options: Mapping[str, Any] | None = None
            ) -> Explanation:
    """How one number is computed.

    Parameters
    ----------
    store
        The database holding the dataset.
    dataset
        The dataset the number is computed from.
    metric_id
        A metric of :data:`EXPLAINED_METRICS`, e.g. ``"retention_rate"`` or ``"nps"``.
    filters
        The filter state the number is shown for (segments, W, period type, range).
    period_start
        Any day of the period to explain (its first day, as the tables list it); for a
        cohort cell a day of the cohort's acquisition period; ignored by a figure over
        the whole date range (``"nps_overall"``).
    offset
        For a cohort cell: the periods since the cohort's acquisition.
    group
        For a figure per group: the group (an RFM segment, a loyalty type, ...).
    options
        The metric function's options the number is shown with, by parameter name
        (e.g. ``{"gross_margin": 0.3}`` for the simple CLV); those left out take the
        registry entry's (:attr:`metrics.registry.Entry.options`), then the function's
        defaults, as the entry's table does.

    Returns
    -------
    Explanation
        The definition, the formula, the value and its inputs as the metric's table has
        them, the SQL with its bound parameters, and the rows behind the number.

    Raises
    ------
    InputError
        The metric is not one :func:`explain` covers, or the selection has no such number.
    """
    metric = explained_metric(metric_id)
    family = _FAMILY_OF[metric_id]
    explanation = family.explain(store, dataset, metric, family.formulas[metric_id], filters,
                                 At(period_start, offset, group,
                                    {**entry(metric_id).options, **(options or {})}))
    # the family's own header first: families name some columns alike ("frequency" is
    # the RFM's orders and the CLV models' repeat purchase days)
    return replace(explanation, input_labels={
        name: t(family.column_labels[name]) if name in family.column_labels
        and name not in REGISTRY else column_label(name) for name in explanation.inputs})


def column_label(column: str) -> str:
    """A column's or input's name for people: a metric's label, else its header."""
    if column in REGISTRY:
        return REGISTRY[column].title()
    return t(_COLUMN_LABELS[column])


def row_headers(rows: pd.DataFrame) -> dict[str, str]:
    """A header in words for each column of an explanation's rows (a metric's column by
    the metric's label), in the current language."""
    return {column: column_label(column) for column in rows.columns}


def column_unit(column: str) -> str | None:
    """The unit of an input or rows' column (a metric's unit), None for one that is not a
    number (a customer id, a date)."""
    if column in REGISTRY:
        return REGISTRY[column].unit
    return _COLUMN_UNITS.get(column)


def row_units(rows: pd.DataFrame) -> dict[str, str]:
    """The unit of each number column of an explanation's rows, by its column id."""
    return {column: unit for column in rows.columns
            if (unit := column_unit(column)) is not None}
