"""The RFM segments' figures explained (:data:`RFM_EXPLAINED`): for one segment (``group``),
its customers, shares, revenue and mean recency, frequency and monetary value as
:func:`metrics.rfm.rfm_summary` shows them. The value and the inputs (the segment's counts
and sums and those of every scored customer) come from one query, the RFM query that
``rfm_summary`` groups by segment narrowed to the segment (``Explanation.sql``); the rows
behind them are the segment's customers with their figures and scores, whose columns
total the inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from metrics.definitions import RFM_FIGURES, Metric
from metrics.errors import InputError
from metrics.explain.base import (
    At,
    Explanation,
    Family,
    Formula,
    explanation,
    first_row,
    number,
    ratio_of,
    same,
)
from metrics.i18n import N_, t
from metrics.query.filters import Filters
from metrics.query.rfm import RFM_RULES, RFM_SEGMENTS, rfm_window
from metrics.query.run import query_row
from metrics.query.segments import rfm_query
from metrics.query.sql import bind, load_sql, piece, quote_ident
from metrics.rfm import SCORE_RULE
from metrics.store import Dataset, Store

# The parameter naming the explained segment; the RFM query itself does not use it.
SEGMENT_PARAMETER = "explained_segment"


def _formula(inputs: tuple[str, ...], compute: Any, text: str, value_sql: str) -> Formula:
    return Formula(inputs, compute, text, rows="rfm_customers", value_sql=value_sql)


def _mean(total: str, text: str) -> Formula:
    return _formula((total, "rfm_customers"), ratio_of(total, "rfm_customers"), text,
                    f"CAST({total} AS DOUBLE) / NULLIF(rfm_customers, 0)")


FORMULAS: dict[str, Formula] = {
    "rfm_customers": _formula(("rfm_customers",), same("rfm_customers"),
                              "the number of customers below", "rfm_customers"),
    "rfm_share": _formula(
        ("rfm_customers", "scored_customers"),
        ratio_of("rfm_customers", "scored_customers", 100.0),
        "the segment's customers ÷ every customer with a purchase × 100",
        "100.0 * rfm_customers / NULLIF(scored_customers, 0)"),
    "rfm_revenue": _formula(("monetary",), same("monetary"),
                            "the sum of the customers' net revenue below", "monetary"),
    "rfm_revenue_share": _formula(
        ("monetary", "scored_revenue"), ratio_of("monetary", "scored_revenue", 100.0),
        "the segment's revenue ÷ the revenue of every customer with a purchase × 100",
        "100.0 * monetary / NULLIF(scored_revenue, 0)"),
    "rfm_avg_recency_days": _mean(
        "recency_days", "the sum of the customers' days since their last purchase below "
                        "÷ the number of customers"),
    "rfm_avg_frequency": _mean(
        "frequency", "the sum of the customers' purchase days below ÷ the number of "
                     "customers"),
    "rfm_avg_monetary": _mean(
        "monetary", "the sum of the customers' net revenue below ÷ the number of customers"),
}

# The RFM figures explain() covers, in the registry's order.
RFM_EXPLAINED: tuple[Metric, ...] = tuple(m for m in RFM_FIGURES if m.id in FORMULAS)


def _segment(at: At) -> str:
    """The explained segment; an error listing the segments when it is missing or unknown."""
    if at.group not in RFM_SEGMENTS:
        raise InputError(t("Say which RFM segment to explain (“{segment}” is not one); the "
                           "RFM segments are: {segments}.", segment=at.group or "",
                           segments=", ".join(RFM_SEGMENTS)))
    return at.group


def segment_value_query(dataset: Dataset, filters: Filters, metric_id: str, formula: Formula,
                        segment: str) -> tuple[str, dict[str, Any]]:
    """The RFM query narrowed to one segment: the metric's value, then its inputs."""
    rfm, params = rfm_query(dataset, filters)
    sql = load_sql("explain_rfm_segment").format(
        value=formula.value_sql, metric=quote_ident(metric_id), rfm=piece(rfm),
        inputs=", ".join(quote_ident(name) for name in formula.inputs))
    return sql, bind(sql, params | {SEGMENT_PARAMETER: segment})


def segment_rows_query(dataset: Dataset, filters: Filters, segment: str
                       ) -> tuple[str, dict[str, Any]]:
    """The query returning the segment's customers with their figures and scores."""
    rfm, params = rfm_query(dataset, filters)
    sql = load_sql("explain_rfm_customers").format(rfm=piece(rfm))
    return sql, bind(sql, params | {SEGMENT_PARAMETER: segment})


def _rule_text(segment: str, reference_day: str) -> str:
    rule = next(rule for rule in RFM_RULES if rule.segment == segment)
    return t(SCORE_RULE, day=reference_day) + " " + rule.text()


def _explain(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
             filters: Filters, at: At) -> Explanation:
    """One RFM segment's figure with its inputs, the SQL of both and its customers."""
    segment = _segment(at)
    window = rfm_window(dataset, filters)
    sql, params = segment_value_query(dataset, filters, metric.id, formula, segment)
    values = dict(zip((metric.id, *formula.inputs),
                      (number(v) for v in query_row(store, sql, params)), strict=True))
    return explanation(
        store, metric, formula, filters, (window.start, window.reference_day), values,
        (sql, params), segment_rows_query(dataset, filters, segment),
        detail={"group": segment}, definition=metric.describe(),
        formula_text=t("{formula}. {rule}", formula=t(formula.text),
                       rule=_rule_text(segment, window.reference_day.isoformat())))


def _number_of_row(row: Mapping[str, Any], options: Mapping[str, Any]) -> At:
    """An RFM segment's figure."""
    return At(group=row["segment"])


RFM = Family(
    metrics=RFM_EXPLAINED, formulas=FORMULAS, explain=_explain,
    column_labels={
        "scored_customers": N_("Customers with a purchase (every segment)"),
        "scored_revenue": N_("Revenue of every customer with a purchase"),
        "recency_days": N_("Days since last purchase"),
        "frequency": N_("Purchase days"),
        "monetary": N_("Revenue"),
        "r": N_("R"), "f": N_("F"), "m": N_("M"),
    },
    column_units={"recency_days": "ratio", "frequency": "ratio", "monetary": "currency",
                  "r": "score", "f": "score", "m": "score"},
    example=first_row(_number_of_row),
)
