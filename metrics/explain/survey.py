"""The Satisfaction page's figures besides the per-period NPS, CSAT and CLI explained
(:data:`SURVEY_FIGURES_EXPLAINED`): the NPS mix and the CLI questions' means per period
(the period explainer of :mod:`metrics.explain.periods` over the survey counts), the NPS
of the latest answers, the answers per score (``group`` = the score), the NPS of a
segment value (``group`` = ``segment=value``) and what an NPS group buys next
(``group`` = ``group/months``, e.g. ``promoter/6``). Each value and its inputs come from
the query of the figure's own table narrowed to the number (``Explanation.sql``); the
rows behind it are the answers counted, whose 0/1 and amount columns total the inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from metrics.definitions import SURVEY_FIGURES, SURVEY_SUMMARIES, Metric
from metrics.errors import InputError
from metrics.explain.base import (
    SURVEY_SOURCE,
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
from metrics.explain.periods import FORMULAS as PERIOD_FORMULAS
from metrics.explain.periods import PERIODS
from metrics.i18n import N_, t
from metrics.query.filters import Filters
from metrics.query.run import query_row
from metrics.query.sql import (
    bind,
    load_sql,
    period_index,
    period_start_of_index,
    piece,
    quote_ident,
    with_ctes,
)
from metrics.satisfaction import (
    BEHAVIOUR_WINDOWS,
    SCORE_GROUPS,
    followed_ctes,
    nps_by_segment,
    response_span,
    responses_cte,
    satisfaction_segments,
    score_distribution_query,
    survey_query,
)
from metrics.store import Dataset, Store

_NPS = PERIOD_FORMULAS["nps"]  # (promoters − detractors) ÷ answers × 100


def _share(group: str) -> Formula:
    count = f"{group}s"
    return Formula((count, "responses"), ratio_of(count, "responses", 100.0),
                   f"{group}s ÷ answers × 100", rows="nps_answers", source=SURVEY_SOURCE,
                   value_sql=f"100.0 * {count} / NULLIF(responses, 0)", measure="nps")


def _whole_range_nps(rows: str) -> Formula:
    return Formula(_NPS.inputs, _NPS.compute, _NPS.text, rows=rows, source=SURVEY_SOURCE,
                   value_sql=_NPS.value_sql, whole_range=True)


def _question_mean(mean: str, question: str) -> Formula:
    return Formula(("cli_responses", mean), same(mean),
                   f"the mean of the answers to {question} below (the responses that "
                   "answer all three questions)", rows="cli_answers", source=SURVEY_SOURCE,
                   value_sql=mean, measure="cli")


FORMULAS: dict[str, Formula] = {
    **{f"{group}_share": _share(group) for group in SCORE_GROUPS},
    "cli_recommend": _question_mean("cli_recommend", "“would recommend” (cli_q1)"),
    "cli_buy_again": _question_mean("cli_buy_again", "“would buy again” (cli_q2)"),
    "cli_other_products": _question_mean("cli_other_products",
                                         "“would try other products” (cli_q3)"),
    "nps_latest": _whole_range_nps("nps_latest_answers"),
    "score_answers": Formula(("score_answers",), same("score_answers"),
                             N_("the number of answers below"), rows="nps_answers",
                             value_sql="score_answers", whole_range=True),
    "score_share": Formula(("score_answers", "responses"),
                           ratio_of("score_answers", "responses", 100.0),
                           N_("answers with the score ÷ every answer × 100"), rows="nps_answers",
                           value_sql="100.0 * score_answers / NULLIF(responses, 0)",
                           whole_range=True),
    "nps_segment": _whole_range_nps("nps_answers"),
    "behaviour_ordered_again": Formula(
        ("ordered_again", "followed"), ratio_of("ordered_again", "followed", 100.0),
        N_("answers whose customer ordered again ÷ answers followed × 100"),
        rows="behaviour_answers",
        value_sql="100.0 * ordered_again / NULLIF(followed, 0)", whole_range=True),
    "behaviour_revenue_per_answer": Formula(
        ("revenue", "followed"), ratio_of("revenue", "followed"),
        N_("net revenue in the windows ÷ answers followed"), rows="behaviour_answers",
        value_sql="revenue / NULLIF(followed, 0)", whole_range=True),
}

# The figures explain() covers here, in the registry's order.
SURVEY_FIGURES_EXPLAINED: tuple[Metric, ...] = tuple(
    m for m in SURVEY_SUMMARIES + SURVEY_FIGURES if m.id in FORMULAS)

# The parameters naming the explained number; the figures' own queries do not use them.
SCORE_PARAMETER, VALUE_PARAMETER = "explained_score", "explained_value"
GROUP_PARAMETER, MONTHS_PARAMETER = "explained_group", "explained_months"

Query = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class _Number:
    """The number of a whole-range figure to explain: the SQL file narrowing its table's
    query to it (``template``, with ``nested``, the queries it wraps, and ``params``), the
    query of the rows behind it and what it is (``detail``)."""

    template: str
    nested: dict[str, str]
    params: dict[str, Any]
    rows: Query
    detail: dict[str, Any]


def _whole_range(dataset: Dataset, filters: Filters) -> tuple[date, date]:
    """The filter's date range widened to whole periods, within the NPS answers' days."""
    p, (first, last) = filters.period, response_span(dataset, "nps")
    end = period_start_of_index(p, period_index(p, filters.end or last) + 1)
    return (max(period_start_of_index(p, period_index(p, filters.start or first)), first),
            min(end - timedelta(days=1), last))


def _answers_rows(dataset: Dataset, filters: Filters, condition: str, params: dict[str, Any],
                  by: str | None = None) -> Query:
    """The NPS answers of the range meeting ``condition`` (sql/explain_nps_answers.sql)."""
    responses, found = responses_cte(dataset, filters, by)
    sql = load_sql("explain_nps_answers").format(responses=responses,
                                                 period_condition=condition)
    return sql, bind(sql, found | params)


def _latest(store: Store, dataset: Dataset, filters: Filters, at: At) -> _Number:
    responses, params = responses_cte(dataset, filters)
    latest = with_ctes(responses, load_sql("survey_latest"),
                       query=load_sql("survey_latest_answers"))
    rows = with_ctes(responses, load_sql("survey_latest"),
                     query=load_sql("explain_nps_latest_answers"))
    return _Number("explain_nps_latest", {"latest": latest}, params,
                   (rows, bind(rows, params)), {})


def _score(store: Store, dataset: Dataset, filters: Filters, at: At) -> _Number:
    if at.group not in [str(score) for score in range(11)]:
        raise InputError(t("Say which score to explain (“{score}” is not one): a score from "
                           "0 to 10.", score=at.group or ""))
    distribution, params = score_distribution_query(dataset, filters)
    chosen = {SCORE_PARAMETER: int(at.group)}
    return _Number("explain_score_answers", {"distribution": distribution}, params | chosen,
                   _answers_rows(dataset, filters, f"nps_score = ${SCORE_PARAMETER}", chosen),
                   {"group": at.group})


def _segment(store: Store, dataset: Dataset, filters: Filters, at: At) -> _Number:
    known = satisfaction_segments(dataset)
    by, _, value = (at.group or "").partition("=")
    if by not in known:
        raise InputError(t("Say which segment value to explain as segment=value (“{group}” "
                           "is not one); the NPS can be split by: {segments}.",
                           group=at.group or "", segments=", ".join(known) or t("none")))
    values = ["" if v is None else str(v)
              for v in nps_by_segment(store, dataset, filters, by)["group_value"]]
    if value not in values:
        raise InputError(t("“{value}” is not a value of “{segment}” with NPS answers in this "
                           "selection; they are: {values}.", value=value, segment=by,
                           values=", ".join(values)))
    survey, params = survey_query(dataset, filters, by)
    chosen = {VALUE_PARAMETER: value}
    return _Number("explain_nps_segment", {"survey": survey}, params | chosen,
                   _answers_rows(dataset, filters,
                                 f"COALESCE(group_value, '') = ${VALUE_PARAMETER}", chosen, by),
                   {"group": f"{by}={value}"})


def _behaviour(store: Store, dataset: Dataset, filters: Filters, at: At) -> _Number:
    groups = [f"{group}/{months}" for group in SCORE_GROUPS for months in BEHAVIOUR_WINDOWS]
    if at.group not in groups:
        raise InputError(t("Say which group and window to explain as group/months (“{group}” "
                           "is not one); they are: {groups}.", group=at.group or "",
                           groups=", ".join(groups)))
    group, months = at.group.split("/")
    ctes, params = followed_ctes(dataset, filters)
    chosen = {GROUP_PARAMETER: group, MONTHS_PARAMETER: int(months)}
    rows = with_ctes(ctes, query=load_sql("explain_behaviour_answers"))
    return _Number("explain_behaviour",
                   {"behaviour": with_ctes(ctes, query=load_sql("survey_behaviour"))},
                   params | chosen, (rows, bind(rows, params | chosen)), {"group": at.group})


_NUMBERS: dict[str, Callable[[Store, Dataset, Filters, At], _Number]] = {
    "nps_latest": _latest, "score_answers": _score, "score_share": _score,
    "nps_segment": _segment, "behaviour_ordered_again": _behaviour,
    "behaviour_revenue_per_answer": _behaviour,
}


def _explain(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
             filters: Filters, at: At) -> Explanation:
    """A whole-range figure of the Satisfaction page with its inputs, the SQL of both and
    the answers behind it; the NPS mix per period through the period explainer."""
    if metric.id not in _NUMBERS:
        return PERIODS.explain(store, dataset, metric, formula, filters, at)
    chosen = _NUMBERS[metric.id](store, dataset, filters, at)
    sql = load_sql(chosen.template).format(
        value=formula.value_sql, metric=quote_ident(metric.id),
        inputs=", ".join(quote_ident(name) for name in formula.inputs),
        **{name: piece(nested) for name, nested in chosen.nested.items()})
    params = bind(sql, chosen.params)
    values = dict(zip((metric.id, *formula.inputs),
                      (number(v) for v in query_row(store, sql, params)), strict=True))
    return explanation(store, metric, formula, filters, _whole_range(dataset, filters),
                       values, (sql, params), chosen.rows, detail=chosen.detail,
                       definition=metric.describe())


def _number_of_row(row: Mapping[str, Any], options: Mapping[str, Any]) -> At:
    """A survey table's number: a score, a group and window, a segment value, a period;
    the whole range for the latest answers."""
    if "score" in row:
        return At(group=str(row["score"]))
    if "window_months" in row:
        return At(group=f"{row['score_group']}/{row['window_months']}")
    if "group_value" in row:
        return At(group=f"{options['by']}={row['group_value']}")
    return At(period_start=row.get("period_start"))


SURVEY_FIGURES_FAMILY = Family(
    metrics=SURVEY_FIGURES_EXPLAINED, formulas=FORMULAS, explain=_explain,
    column_labels={
        "passives": N_("Passives (7-8)"),
        "score_answers": N_("Answers with the score"),
        "followed": N_("Answers followed"),
        "ordered_again": N_("Answers whose customer ordered again"),
    },
    column_units={"followed": "customers", "ordered_again": "customers"},
    example=first_row(_number_of_row),
)
