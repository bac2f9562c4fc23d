"""The drivers' figures explained (:data:`DRIVERS`): for one value of a segment (``group``,
``segment=value``), its share, rate, mix and rate effect and contribution to a rate KPI's
change between two periods (:mod:`metrics.drivers`).

The inputs come from one query (sql/explain_driver_value.sql): the KPI's own query
(:func:`metrics.kpis.kpi_query`, or the survey counts of
:func:`metrics.satisfaction.survey_query`) narrowed to the value's customers (answers)
beside the same query unsplit, giving the value's weight and rate and everyone's weight in
both periods; Kitagawa's formulas do the rest in Python. The rows behind it are the value's
customers (orders, answers) of the later period, as the KPI's own explanation lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from functools import partial
from typing import Any

from metrics.definitions import DRIVER_FIGURES, REGISTRY, Metric
from metrics.drivers import (
    decompose,
    latest_period,
    periods_compared,
    weight_column,
    window_filters,
)
from metrics.errors import InputError
from metrics.explain.base import (
    At,
    Explanation,
    Family,
    Formula,
    Inputs,
    explanation,
    first_row,
    number,
    ratio,
)
from metrics.explain.periods import FORMULAS as PERIOD_FORMULAS
from metrics.explain.periods import rows_query as period_rows_query
from metrics.i18n import t
from metrics.kpis import group_condition, kpi_query
from metrics.query.filters import Filters
from metrics.query.run import query_row
from metrics.query.sql import (
    bind,
    load_sql,
    period_index,
    period_start_of_index,
    piece,
    quote_ident,
)
from metrics.satisfaction import responses_cte, survey_query
from metrics.store import Dataset, Store

_INPUTS = ("weight_before", "total_before", "rate_before", "weight_after", "total_after",
           "rate_after")
# The survey counts' column of the answers each survey KPI is a share of (csat_table
# calls its csat_responses "responses").
_SURVEY_WEIGHTS = {"nps": "responses", "csat": "csat_responses"}
_VALUE_CONDITION = "group_value IS NOT DISTINCT FROM CAST($driver_value AS VARCHAR)"


def _share(when: str, i: Inputs) -> float | None:
    return ratio(i[f"weight_{when}"], i[f"total_{when}"])


def _rate(when: str, i: Inputs) -> float | None:
    """The value's rate; None without weight in that period."""
    return i[f"rate_{when}"] if i[f"weight_{when}"] else None


def _effect(part: str, i: Inputs) -> float | None:
    """Kitagawa's mix or rate effect of the value, or their sum (metrics.drivers)."""
    before, after = _rate("before", i), _rate("after", i)
    s0, s1 = _share("before", i), _share("after", i)
    if (before is None and after is None) or s0 is None or s1 is None:
        return None
    mix, rate = decompose(s0, s1, before, after)
    return {"mix": mix, "rate": rate, "contribution": mix + rate}[part]


_SHARE_TEXT = "the value's weight ÷ everyone's weight in the {when} period"
# Kitagawa's formulas over sql/explain_driver_value.sql's shares s0, s1 and rates r0, r1.
_MIX_SQL = "(s1 - s0) * (r0 + r1) / 2"
_RATE_SQL = "(r1 - r0) * (s0 + s1) / 2"
FORMULAS: dict[str, Formula] = {
    "driver_share_before": Formula(_INPUTS, partial(_share, "before"),
                                   _SHARE_TEXT.format(when="earlier"), value_sql="s0"),
    "driver_share_after": Formula(_INPUTS, partial(_share, "after"),
                                  _SHARE_TEXT.format(when="later"), value_sql="s1"),
    "driver_rate_before": Formula(
        _INPUTS, partial(_rate, "before"), "the KPI over the value's customers, earlier "
        "period", value_sql="CASE WHEN weight_before > 0 THEN rate_before END"),
    "driver_rate_after": Formula(
        _INPUTS, partial(_rate, "after"), "the KPI over the value's customers, later period",
        value_sql="CASE WHEN weight_after > 0 THEN rate_after END"),
    "driver_mix_effect": Formula(_INPUTS, partial(_effect, "mix"),
                                 "(s1 − s0) × (r0 + r1) ÷ 2, s the shares, r the rates; a "
                                 "rate missing in one period is taken from the other",
                                 value_sql=_MIX_SQL),
    "driver_rate_effect": Formula(_INPUTS, partial(_effect, "rate"),
                                  "(r1 − r0) × (s0 + s1) ÷ 2, s the shares, r the rates",
                                  value_sql=_RATE_SQL),
    "driver_contribution": Formula(_INPUTS, partial(_effect, "contribution"),
                                   "mix effect + rate effect = s1 × r1 − s0 × r0",
                                   value_sql=f"{_MIX_SQL} + {_RATE_SQL}"),
}


def _value_of_group(at: At) -> tuple[str, str | None]:
    """The segment and value ``at.group`` names (``segment=value``; an empty value: the
    customers without one), the segment falling back to the option ``by``."""
    group = at.group
    if group is None:
        raise InputError(t("Say which segment value to explain as segment=value."))
    by, sep, value = group.partition("=")
    if not sep:
        by, value = str(at.options.get("by", "")), group
    return by, value or None


def _value_query(dataset: Dataset, filters: Filters, figure: Metric, metric: Metric, by: str,
                 value: str | None, days: dict[str, date]) -> tuple[str, dict[str, Any]]:
    """sql/explain_driver_value.sql over the KPI's own query, split and unsplit: the
    figure, then its inputs."""
    if metric.id in _SURVEY_WEIGHTS:
        split, split_params = survey_query(dataset, filters, by)
        total, total_params = survey_query(dataset, filters)
        weight, condition = _SURVEY_WEIGHTS[metric.id], f"WHERE {_VALUE_CONDITION}"
        split_params |= {"driver_value": value}
    else:
        split, split_params = kpi_query(dataset, filters,
                                        group_condition(dataset, filters, by, value))
        total, total_params = kpi_query(dataset, filters)
        weight, condition = weight_column(metric), ""
    rate = PERIOD_FORMULAS[metric.id].value_sql or quote_ident(metric.id)
    sql = load_sql("explain_driver_value").format(
        split=piece(split), total=piece(total), weight=quote_ident(weight), rate=rate,
        split_condition=condition, value=FORMULAS[figure.id].value_sql,
        metric=quote_ident(figure.id))
    return sql, bind(sql, total_params | split_params | days)


def _rows(dataset: Dataset, filters: Filters, metric: Metric, by: str, value: str | None,
          start: date, end_day: date) -> tuple[str, dict[str, Any]]:
    """The value's customers (orders, answers) behind the KPI in the later period."""
    formula = PERIOD_FORMULAS[metric.id]
    if metric.id in _SURVEY_WEIGHTS:
        responses, params = responses_cte(dataset, filters, by)
        sql = load_sql(f"explain_{formula.rows}").format(
            responses=responses,
            period_condition=f"period_index = $explained_index AND {_VALUE_CONDITION}")
        return sql, bind(sql, params | {"driver_value": value, "explained_index":
                                        period_index(filters.period, start)})
    return period_rows_query(dataset, filters, formula, start, end_day,
                             group_condition(dataset, filters, by, value))


def _explain(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
             filters: Filters, at: At) -> Explanation:
    """One segment value's driver figure, its inputs, their SQL and its customers."""
    kpi = REGISTRY[str(at.options.get("metric_id", "churn_rate"))]
    by, value = _value_of_group(at)
    day = at.period_start or latest_period(dataset, filters, kpi.id)
    before, after = periods_compared(filters, day, at.options.get("against"))
    window = window_filters(filters, before, after)
    sql, params = _value_query(dataset, window, metric, kpi, by, value,
                               {"before_start": before, "after_start": after})
    values = dict(zip((metric.id, *_INPUTS),
                      (number(v) for v in query_row(store, sql, params)), strict=True))
    end_day = period_start_of_index(filters.period,
                                    period_index(filters.period, after) + 1) - timedelta(1)
    return explanation(store, metric, formula, filters, (before, end_day), values,
                       (sql, params), _rows(dataset, window, kpi, by, value, after, end_day),
                       detail={"group": f"{by}={value or ''}", "kpi": kpi.id,
                               "period_before": before.isoformat()})


def _number_of_row(row: Mapping[str, Any], options: Mapping[str, Any]) -> At:
    """A segment value's figure of the latest period, as segment=value (the KPI: the
    entry's option, which explain() applies itself)."""
    return At(period_start=row["period_start"], group=f"{row['segment']}={row['value'] or ''}")


DRIVERS = Family(
    metrics=DRIVER_FIGURES, formulas=FORMULAS, explain=_explain,
    column_labels={
        "weight_before": "The value's weight, earlier period",
        "total_before": "Everyone's weight, earlier period",
        "rate_before": "The value's rate, earlier period",
        "weight_after": "The value's weight, later period",
        "total_after": "Everyone's weight, later period",
        "rate_after": "The value's rate, later period",
    },
    column_units={"weight_before": "customers", "total_before": "customers",
                  "rate_before": "ratio", "weight_after": "customers",
                  "total_after": "customers", "rate_after": "ratio"},
    example=first_row(_number_of_row),
)
