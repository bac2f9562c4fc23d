"""Satisfaction from survey responses: NPS, CSAT and CLI by period and segment, the score
distribution, the comments, and what promoters, passives and detractors do next.

Definitions (DESIGN.md, "Metric definitions"; seed: "Ce este loialitatea clienților? 5
moduri de a construi o cultură loială", 2022):

- NPS = % promoters (9-10) - % detractors (0-6) of the answers on the 0-10 scale, with its
  95% margin of error 1.96 x sqrt((pP + pD - (pP - pD)^2) / n) x 100 (the Wald interval of
  Rocks 2016, *The American Statistician* 70(4)) and the number of answers n.
- CSAT = share of 4 and 5 answers on the 1-5 scale.
- CLI = mean of the three 6-point answers (would recommend, buy again, try other products);
  a response counts when it answers all three.

Every function takes the same :class:`~metrics.query.filters.Filters` as the other pages: the date
range picks responses by their date (widened to whole periods); segment filters on orders
or customers keep the responses of the customers they keep, so responses without a
customer id drop out while one is on (:func:`response_coverage` counts them).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import pandas as pd

from metrics.definitions import SURVEY_METRICS, Metric
from metrics.errors import InputError
from metrics.i18n import N_, t
from metrics.query.filters import Filters, period_range
from metrics.query.run import query_frame
from metrics.query.segments import (
    customer_filter_sql,
    customer_groups_query,
    segment_dimensions,
    segment_filter_sql,
)
from metrics.query.sql import (
    add_months_sql,
    integer_series_sql,
    load_sql,
    period_end_sql,
    period_index_sql,
    period_start_sql,
    piece,
    quote_ident,
    with_ctes,
)
from metrics.significance import (
    TOO_LITTLE_DATA,
    NotTested,
    Significance,
    change_test,
    changes_against_previous,
    two_proportions,
)
from metrics.store import Dataset, Store, TableInfo

Measure = Literal["nps", "csat", "cli"]
MEASURES: tuple[Measure, ...] = ("nps", "csat", "cli")
ScoreGroup = Literal["promoter", "passive", "detractor"]
SCORE_GROUPS: tuple[ScoreGroup, ...] = ("promoter", "passive", "detractor")
CLI_QUESTIONS = ("cli_q1", "cli_q2", "cli_q3")

# Fewer answers than this are flagged. With n = 30 the NPS margin of error is already about
# ±25-35 points (1.96 x sqrt(0.5 ... 1 / 30)), and below it the normal approximation behind
# the margin is poor (Rocks 2016 finds the Wald interval under-covers in small samples).
MIN_RESPONSES = 30
# Months after an answer in which the behaviour view follows its customer.
BEHAVIOUR_WINDOWS = (6, 12)
Z_95 = 1.96

NPS_COLUMNS = (
    "period_start", "period_end", "responses", "promoters", "passives", "detractors", "nps",
    "margin_of_error", "complete", "too_few",
)
CSAT_COLUMNS = (
    "period_start", "period_end", "responses", "satisfied", "csat", "margin_of_error",
    "complete",
)
CLI_COLUMNS = (
    "period_start", "period_end", "responses", "cli", "cli_sd", "margin_of_error",
    "recommend", "buy_again", "other_products", "complete",
)
SEGMENT_COLUMNS = (
    "group_value", "responses", "promoters", "passives", "detractors", "nps",
    "margin_of_error", "too_few",
)
OVERALL_COLUMNS = (
    "responses", "promoters", "passives", "detractors", "nps", "margin_of_error", "too_few",
)
LATEST_COLUMNS = (
    "answers", "responses", "customers", "anonymous", "promoters", "passives", "detractors",
    "nps", "margin_of_error", "too_few",
)
MIX_COLUMNS = (
    "period_start", "period_end", "responses", "promoters", "passives", "detractors",
    "promoter_share", "passive_share", "detractor_share", "complete",
)
DISTRIBUTION_COLUMNS = ("score", "score_group", "responses", "share_pct")
BEHAVIOUR_COLUMNS = (
    "score_group", "window_months", "answers", "matched", "followed", "left_out",
    "ordered_again", "retention_pct", "revenue", "revenue_per_respondent",
)

# Which stored column each measure needs (CLI: all three questions).
_NEEDS: dict[Measure, tuple[str, ...]] = {
    "nps": ("nps_score",), "csat": ("csat_score",), "cli": CLI_QUESTIONS,
}
_NEEDS_TEXT: dict[Measure, str] = {
    "nps": N_("The survey responses of “{name}” have no 0-10 recommendation score (NPS): "
              "upload a survey export with that column on the Data page."),
    "csat": N_("The survey responses of “{name}” have no 1-5 satisfaction score (CSAT): "
               "upload a survey export with that column on the Data page."),
    "cli": N_("The survey responses of “{name}” lack one of the three 1-6 CLI questions "
              "(recommend, buy again, try other products): upload a survey export with all "
              "three on the Data page."),
}
_ROLE_COLUMNS = ("nps_score", "csat_score", *CLI_QUESTIONS, "customer_id", "comment")
_ROLE_TYPES = {"nps_score": "INTEGER", "csat_score": "INTEGER", "cli_q1": "INTEGER",
               "cli_q2": "INTEGER", "cli_q3": "INTEGER", "customer_id": "VARCHAR",
               "comment": "VARCHAR"}


# -- the formulas, on plain numbers ---------------------------------------------------------


def net_promoter_score(promoters: int, detractors: int, responses: int) -> float | None:
    """NPS in points (-100 to 100): % promoters - % detractors; None without answers."""
    if responses == 0:
        return None
    return 100.0 * (promoters - detractors) / responses


def nps_margin_of_error(promoters: int, detractors: int, responses: int) -> float | None:
    """The NPS's 95% margin of error in points (DESIGN.md):
    1.96 x sqrt((pP + pD - (pP - pD)^2) / n) x 100.

    The variance of an answer scored +1 / 0 / -1 (Rocks 2016, "Interval Estimation for the
    'Net Promoter Score'", *The American Statistician* 70(4), 365-372). One answer, or
    answers that all agree, give 0: there is no spread to measure, not certainty.
    None without answers.
    """
    if responses == 0:
        return None
    p_promoter, p_detractor = promoters / responses, detractors / responses
    variance = max(0.0, p_promoter + p_detractor - (p_promoter - p_detractor) ** 2)
    return Z_95 * math.sqrt(variance / responses) * 100.0


def score_group(score: int) -> ScoreGroup:
    """The NPS group of a 0-10 answer: promoter (9-10), passive (7-8), detractor (0-6)."""
    if not 0 <= score <= 10:
        raise ValueError(f"an NPS answer is 0-10, not {score}")
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def _with_nps(frame: pd.DataFrame, min_responses: int) -> pd.DataFrame:
    """``frame`` (counts) with nps, margin_of_error and too_few from one definition."""
    counts = list(zip(frame["promoters"], frame["detractors"], frame["responses"],
                      strict=True))
    frame["nps"] = pd.Series([net_promoter_score(int(p), int(d), int(n)) for p, d, n in counts],
                             index=frame.index, dtype=object)
    frame["margin_of_error"] = pd.Series(
        [nps_margin_of_error(int(p), int(d), int(n)) for p, d, n in counts],
        index=frame.index, dtype=object)
    frame["too_few"] = frame["responses"] < min_responses
    return frame


def _nullable(values: pd.Series) -> pd.Series:
    """Floats with None (not NaN) where missing: JSON and the tests read None."""
    return pd.Series([None if v is None or pd.isna(v) else float(v) for v in values],
                     index=values.index, dtype=object)


# -- which data there is --------------------------------------------------------------------


def _responses(dataset: Dataset) -> TableInfo:
    info = dataset.tables.get("responses")
    if info is None or info.first_date is None or info.last_date is None:
        raise InputError(t("The dataset “{name}” has no survey responses: upload a survey "
                           "export (a date and a 0-10 score per answer) on the Data page.",
                           name=dataset.name))
    return info


def response_span(dataset: Dataset, measure: Measure) -> tuple[date, date]:
    """The first and last response date of a dataset whose responses carry ``measure``;
    the error of the measure's tables if they do not."""
    info = _require(dataset, measure)
    assert info.first_date is not None and info.last_date is not None  # _responses
    return info.first_date, info.last_date


def measures(dataset: Dataset) -> tuple[Measure, ...]:
    """The measures the dataset's responses carry: of ``"nps"``, ``"csat"``, ``"cli"``
    (CLI only with all three questions). Empty without responses."""
    info = dataset.tables.get("responses")
    if info is None:
        return ()
    return tuple(m for m in MEASURES if all(c in info.mapping for c in _NEEDS[m]))


def _require(dataset: Dataset, measure: Measure) -> TableInfo:
    info = _responses(dataset)
    if measure not in measures(dataset):
        raise InputError(t(_NEEDS_TEXT[measure], name=dataset.name))
    return info


def satisfaction_segments(dataset: Dataset) -> dict[str, tuple[str, str]]:
    """What NPS can be split by: ``{key: (table kind, column)}``.

    The segment columns of the responses (keyed by their name, e.g. a "Touchpoint"
    column), then, when responses carry a customer id, every segment of the orders and
    customers (:func:`metrics.query.segments.segment_dimensions`; the customer's value). A response
    column wins when both have the same name.
    """
    info = dataset.tables.get("responses")
    if info is None:
        return {}
    found = {column: ("responses", column) for column in info.segment_columns}
    if "customer_id" in info.mapping:
        for key, place in segment_dimensions(dataset).items():
            found.setdefault(key, place)
    return found


# -- the responses CTE ----------------------------------------------------------------------


def _period_range(filters: Filters, info: TableInfo) -> tuple[int, int]:
    first, last = filters.start or info.first_date, filters.end or info.last_date
    assert first is not None and last is not None  # _responses refuses undated responses
    return period_range(filters, first, last)


def _customer_filter(dataset: Dataset, filters: Filters, info: TableInfo
                     ) -> tuple[str, dict[str, Any]]:
    """The segment filters as a condition on the responses' customer id ("TRUE" without
    filters; "FALSE" when they are on and the responses carry no customer id)."""
    if not filters.segments:
        return "TRUE", {}
    if "customer_id" not in info.mapping:
        return "FALSE", {}
    return customer_filter_sql(dataset, filters)


def responses_cte(dataset: Dataset, filters: Filters, by: str | None = None,
                   extras: tuple[str, ...] = ()) -> tuple[str, dict[str, Any]]:
    """The ``responses AS (...)`` CTE (sql/survey_responses.sql) and its parameters.

    ``extras``: response columns to carry along as ``extra_0``, ``extra_1``, ...
    """
    info = _responses(dataset)
    p = filters.period
    customer_filter, params = _customer_filter(dataset, filters, info)
    columns = [f"r.{c}" if c in info.mapping else f"CAST(NULL AS {_ROLE_TYPES[c]}) AS {c}"
               for c in _ROLE_COLUMNS]
    columns += [f"r.{quote_ident(column)} AS extra_{n}" for n, column in enumerate(extras)]
    stored = ["response_date", *(c for c in _ROLE_COLUMNS if c in info.mapping), *extras]
    group_value, group_join = "CAST(NULL AS VARCHAR)", ""
    if by is not None:
        known = satisfaction_segments(dataset)
        if by not in known:
            raise InputError(t("“{column}” is not a segment of the survey responses of "
                               "“{name}”; they can be split by: {segments}.", column=by,
                               name=dataset.name, segments=", ".join(known) or t("none")))
        kind, column = known[by]
        if kind == "responses":
            stored.append(column)
            group_value = f"CAST(r.{quote_ident(column)} AS VARCHAR)"
        else:
            groups_sql, group_params = customer_groups_query(dataset, by, filters)
            params |= group_params
            group_value = "origin.group_value"
            group_join = (f"LEFT JOIN ({groups_sql}\n    ) AS origin "
                          f"ON origin.customer_id = r.customer_id")
    cte = load_sql("survey_responses").strip().format(
        period_of_response=period_index_sql(p, "r.response_date"),
        period_of_response_date=period_index_sql(p, "response_date"),
        columns=",\n        ".join(columns),
        nps_score="r.nps_score" if "nps_score" in info.mapping else "CAST(NULL AS INTEGER)",
        stored_columns=", ".join(quote_ident(c) for c in dict.fromkeys(stored)),
        responses_table=dataset.table("responses"),
        customer_filter=customer_filter,
        group_value=group_value,
        group_join=group_join,
    )
    first_index, last_index = _period_range(filters, info)
    params |= {"first_index": first_index, "last_index": last_index,
               "data_first_day": info.first_date, "data_last_day": info.last_date}
    return cte, params


def _with_dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


def survey_query(dataset: Dataset, filters: Filters, by: str | None = None
                 ) -> tuple[str, dict[str, Any]]:
    """The SQL of the per-period counts (NPS, CSAT and CLI) and its parameters."""
    p = filters.period
    responses, params = responses_cte(dataset, filters, by)
    sql = load_sql("survey_by_period").format(
        responses=responses,
        period_series=integer_series_sql("$first_index", "$last_index", "period_index"),
        groups=("SELECT DISTINCT group_value FROM counts" if by is not None
                else "SELECT CAST(NULL AS VARCHAR) AS group_value"),
        period_start=period_start_sql(p, "s.period_index"),
        period_end=period_end_sql(p, "s.period_index"),
    )
    return sql, params


def _by_period(store: Store, dataset: Dataset, filters: Filters, by: str | None
               ) -> pd.DataFrame:
    sql, params = survey_query(dataset, filters, by)
    frame = _with_dates(query_frame(store, sql, params), "period_start", "period_end")
    frame["group_value"] = frame["group_value"].astype(object).where(
        frame["group_value"].notna(), None)
    return frame


# -- NPS ------------------------------------------------------------------------------------


def nps_table(store: Store, dataset: Dataset, filters: Filters, by: str | None = None,
              min_responses: int = MIN_RESPONSES) -> pd.DataFrame:
    """NPS per period of the filter's date range, every response counted in its period.

    Parameters
    ----------
    store, dataset, filters
        The data and the filter state: period, date range (widened to whole periods, on
        the response date), segment filters (through the response's customer).
    by
        A key of :func:`satisfaction_segments`: one row per period and segment value
        (``group_value``; None for responses without a value).
    min_responses
        Periods with fewer answers are flagged ``too_few``.

    Returns
    -------
    pandas.DataFrame
        One row per period (and segment value) with :data:`NPS_COLUMNS` (and
        ``group_value`` after the dates when split): answers, promoters (9-10), passives
        (7-8), detractors (0-6), NPS in points and its 95% margin of error in points. A
        period without answers has ``responses`` 0 and ``nps`` / ``margin_of_error``
        None. ``complete`` is False for a period the responses start or stop inside.

    Raises
    ------
    InputError
        The dataset has no responses, or they have no 0-10 score.
    """
    _require(dataset, "nps")
    frame = _with_nps(_by_period(store, dataset, filters, by), min_responses)
    columns = list(NPS_COLUMNS)
    if by is not None:
        columns.insert(2, "group_value")
    return frame[columns]


def nps_overall(store: Store, dataset: Dataset, filters: Filters,
                min_responses: int = MIN_RESPONSES) -> pd.DataFrame:
    """The NPS of the whole date range, every answer counted (as in :func:`nps_table`).

    The per-period counts of :func:`nps_table` added up, with the NPS and its margin of
    error from the same formulas, so it is the per-period NPS of one period spanning the
    range (widened to whole periods).

    Returns
    -------
    pandas.DataFrame
        One row, :data:`OVERALL_COLUMNS`; without answers ``responses`` is 0 and ``nps`` /
        ``margin_of_error`` None.
    """
    counts = ["responses", "promoters", "passives", "detractors"]
    periods = nps_table(store, dataset, filters, min_responses=min_responses)
    total = pd.DataFrame([{c: int(periods[c].sum()) for c in counts}], columns=counts)
    return _with_nps(total, min_responses)[list(OVERALL_COLUMNS)]


def nps_mix(store: Store, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """Promoters, passives and detractors per period as shares of its answers.

    Returns
    -------
    pandas.DataFrame
        One row per period of :func:`nps_table`: its dates, counts and ``complete``, with
        ``promoter_share``, ``passive_share`` and ``detractor_share`` in percent (None for
        a period without answers).
    """
    table = nps_table(store, dataset, filters)
    for group in SCORE_GROUPS:
        table[f"{group}_share"] = pd.Series(
            [100.0 * count / n if n else None
             for count, n in zip(table[f"{group}s"], table["responses"], strict=True)],
            index=table.index, dtype=object)
    return table[list(MIX_COLUMNS)]


def nps_by_segment(store: Store, dataset: Dataset, filters: Filters, by: str,
                   min_responses: int = MIN_RESPONSES) -> pd.DataFrame:
    """NPS per segment value over the whole date range, best first.

    Every answer counts (as in :func:`nps_table`). Segment values with fewer than
    ``min_responses`` answers are flagged ``too_few`` (:data:`MIN_RESPONSES`: below it the
    margin of error is ±25 points or more and the normal approximation is poor); values
    without any NPS answer are left out.

    Returns
    -------
    pandas.DataFrame
        :data:`SEGMENT_COLUMNS`, sorted by NPS (highest first), then by answers.
    """
    _require(dataset, "nps")
    periods = _by_period(store, dataset, filters, by)
    counts = ["responses", "promoters", "passives", "detractors"]
    frame = (periods.assign(group_value=periods["group_value"].fillna(""))
             .groupby("group_value", sort=True)[counts].sum().reset_index())
    frame = frame[frame["responses"] > 0].reset_index(drop=True)
    frame["group_value"] = frame["group_value"].astype(object).where(
        frame["group_value"] != "", None)
    frame = _with_nps(frame, min_responses)
    order = sorted(range(len(frame)), key=lambda i: (-frame["nps"][i], -frame["responses"][i]))
    return frame.iloc[order].reset_index(drop=True)[list(SEGMENT_COLUMNS)]


def nps_latest_answers(store: Store, dataset: Dataset, filters: Filters,
                       min_responses: int = MIN_RESPONSES) -> pd.DataFrame:
    """The NPS of the whole date range from each customer's latest answer.

    A customer who answered several times counts once, with their latest score (two
    answers on the same day: the lower one). Responses without a customer id cannot be
    told apart, so each counts on its own.

    Returns
    -------
    pandas.DataFrame
        One row, :data:`LATEST_COLUMNS`: ``answers`` (every NPS answer in the range),
        ``responses`` (those counted), ``customers`` and ``anonymous`` (counted answers
        with and without a customer id), the group counts, NPS and margin of error.
    """
    _require(dataset, "nps")
    responses, params = responses_cte(dataset, filters)
    sql = with_ctes(responses, load_sql("survey_latest"), query=load_sql("survey_latest_answers"))
    frame = query_frame(store, sql, params)
    return _with_nps(frame, min_responses)[list(LATEST_COLUMNS)]


def score_distribution_query(dataset: Dataset, filters: Filters
                             ) -> tuple[str, dict[str, Any]]:
    """The SQL of the answers per score 0-10 (:func:`score_distribution`) and its
    parameters; an error when the responses have no 0-10 score."""
    _require(dataset, "nps")
    responses, params = responses_cte(dataset, filters)
    return load_sql("survey_score_distribution").format(
        responses=responses, score_series=integer_series_sql("0", "10", "score")), params


def score_distribution(store: Store, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """How many answers gave each score 0-10 over the date range (every answer counts).

    Returns
    -------
    pandas.DataFrame
        11 rows, :data:`DISTRIBUTION_COLUMNS`; ``share_pct`` is None without answers.
    """
    frame = query_frame(store, *score_distribution_query(dataset, filters))
    total = int(frame["responses"].sum())
    frame["score"] = frame["score"].astype(int)
    frame["score_group"] = [score_group(s) for s in frame["score"]]
    frame["share_pct"] = pd.Series([100.0 * n / total if total else None
                                    for n in frame["responses"]], dtype=object)
    return frame[list(DISTRIBUTION_COLUMNS)]


# -- CSAT and CLI ---------------------------------------------------------------------------


def csat_table(store: Store, dataset: Dataset, filters: Filters, by: str | None = None
               ) -> pd.DataFrame:
    """CSAT per period: the share of 4 and 5 answers on the 1-5 scale.

    ``by`` (optional) splits it as :func:`nps_table`'s ``by`` does.

    Returns
    -------
    pandas.DataFrame
        :data:`CSAT_COLUMNS` (and ``group_value`` after the dates when split): answers,
        satisfied (4-5), CSAT in percent and its 95% margin of error in points,
        1.96 x sqrt(p (1 - p) / n) x 100 (the normal, Wald interval of a proportion);
        None for a period without answers.

    Raises
    ------
    InputError
        The dataset has no responses, or they have no CSAT column.
    """
    _require(dataset, "csat")
    frame = _by_period(store, dataset, filters, by)
    shares = [(int(x), int(n)) for x, n in zip(frame["satisfied"], frame["csat_responses"],
                                                strict=True)]
    frame["responses"] = frame["csat_responses"]
    frame["csat"] = pd.Series([100.0 * x / n if n else None for x, n in shares], dtype=object)
    frame["margin_of_error"] = pd.Series(
        [Z_95 * math.sqrt((x / n) * (1 - x / n) / n) * 100.0 if n else None
         for x, n in shares], dtype=object)
    columns = list(CSAT_COLUMNS)
    if by is not None:
        columns.insert(2, "group_value")
    return frame[columns]


def cli_table(store: Store, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """CLI per period: the mean of each response's three 1-6 answers (seed).

    A response counts when it answers all three questions (a mean of fewer would mix
    scales of different questions); the CLI of the period is the mean of those responses'
    CLIs, ``cli_sd`` their sample standard deviation (None below two responses), and
    ``recommend`` / ``buy_again`` / ``other_products`` each question's mean over the same
    responses. ``margin_of_error`` = 1.96 x SD / sqrt(n) on the 1-6 scale.

    Raises
    ------
    InputError
        The dataset has no responses, or they lack one of the three CLI questions.
    """
    _require(dataset, "cli")
    frame = _by_period(store, dataset, filters, None)
    frame["responses"] = frame["cli_responses"]
    frame["cli"] = _nullable(frame["cli"])
    frame["cli_sd"] = _nullable(frame["cli_sd"])
    frame["margin_of_error"] = pd.Series(
        [Z_95 * sd / math.sqrt(n) if sd is not None and n else None
         for sd, n in zip(frame["cli_sd"], frame["responses"], strict=True)], dtype=object)
    frame = frame.rename(columns={"cli_recommend": "recommend", "cli_buy_again": "buy_again",
                                  "cli_other_products": "other_products"})
    for column in ("recommend", "buy_again", "other_products"):
        frame[column] = _nullable(frame[column])
    return frame[list(CLI_COLUMNS)]


def measure_table(measure: Measure) -> Callable[[Store, Dataset, Filters], pd.DataFrame]:
    """The function of a measure's table by period: :func:`nps_table`, :func:`csat_table`
    or :func:`cli_table`."""
    tables: dict[Measure, Callable[[Store, Dataset, Filters], pd.DataFrame]] = {
        "nps": nps_table, "csat": csat_table, "cli": cli_table}
    return tables[measure]


# -- changes against the previous period ----------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A period's value of a measure against the period before it, and the test."""

    measure: Measure
    period_start: date
    previous_start: date | None
    value: float | None
    previous_value: float | None
    result: Significance | NotTested

    @property
    def difference(self) -> float | None:
        """Current minus previous, in the measure's unit (points for NPS and CSAT)."""
        if self.value is None or self.previous_value is None:
            return None
        return self.value - self.previous_value


def survey_metric(measure: Measure) -> Metric:
    """The registry entry of a measure: label, unit, definition and change test."""
    return SURVEY_METRICS[measure]


def latest_change(table: pd.DataFrame, measure: Measure) -> Change | None:
    """The latest complete period with answers against the period just before it.

    ``table`` is the measure's table without a split. None when no complete period has
    answers.
    """
    column = survey_metric(measure).id
    rows = [i for i in range(len(table))
            if bool(table["complete"].iloc[i]) and int(table["responses"].iloc[i]) > 0]
    if not rows:
        return None
    position = rows[-1]
    row = table.iloc[position]
    if position == 0:
        return Change(measure, row["period_start"], None, row[column], None,
                      NotTested(TOO_LITTLE_DATA))
    previous = table.iloc[position - 1]
    return Change(measure, row["period_start"], previous["period_start"], row[column],
                  previous[column], change_test(survey_metric(measure), row, previous))


def with_changes(table: pd.DataFrame, measure: Measure) -> pd.DataFrame:
    """``table`` (one row per period, no split) with the change against the previous row:
    ``change`` (points; CLI: scale points), ``p_value``, ``significant`` (None when not
    tested) and ``change_test`` (the test's name, or why there is none)."""
    metric = survey_metric(measure)
    found = changes_against_previous(
        table, metric.id, lambda row, previous: change_test(metric, row, previous))
    return table.assign(**{name: pd.Series(values, index=table.index, dtype=object)
                           for name, values in found.items() if name != "change_test"},
                        change_test=found["change_test"])


# -- comments -------------------------------------------------------------------------------


def _like_pattern(search: str) -> str:
    """A LIKE pattern matching ``search`` anywhere: its own \\, % and _ escaped."""
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def comments(store: Store, dataset: Dataset, filters: Filters,
             group: ScoreGroup | None = None, search: str | None = None) -> pd.DataFrame:
    """The verbatim comments of the date range, newest first.

    Parameters
    ----------
    store, dataset, filters
        The data and the filter state (the date range picks the responses).
    group
        Only the comments of promoters, passives or detractors (by their 0-10 answer).
    search
        Only comments containing this text, ignoring letter case (``%`` and ``_`` are
        plain characters here).

    Returns
    -------
    pandas.DataFrame
        response_date, then the columns the responses have of nps_score, score_group,
        csat_score, customer_id, then comment and the responses' segment columns (by their
        names). Comments are data: show them as plain text.

    Raises
    ------
    InputError
        No responses, no comment column, or a score group without NPS answers.
    """
    info = _responses(dataset)
    if "comment" not in info.mapping:
        raise InputError(t("The survey responses of “{name}” have no comment column: upload "
                           "a survey export with the comments on the Data page.",
                           name=dataset.name))
    if group is not None and group not in SCORE_GROUPS:
        raise InputError(t("“{group}” is not a score group: use promoter, passive or "
                           "detractor.", group=group))
    if group is not None and "nps_score" not in info.mapping:
        raise InputError(t(_NEEDS_TEXT["nps"], name=dataset.name))
    extras = tuple(info.segment_columns)
    responses, params = responses_cte(dataset, filters, extras=extras)
    conditions = ""
    if group is not None:
        conditions += "\n    AND score_group = $score_group"
        params["score_group"] = group
    if search and search.strip():
        conditions += "\n    AND lower(comment) LIKE lower($search) ESCAPE '\\'"
        params["search"] = _like_pattern(search.strip())
    sql = load_sql("survey_comments").format(
        responses=responses, conditions=conditions,
        extras="".join(f", extra_{n}" for n in range(len(extras))))
    frame = _with_dates(query_frame(store, sql, params), "response_date")
    frame = frame.rename(columns={f"extra_{n}": column for n, column in enumerate(extras)})
    shown = ["response_date",
             *(["nps_score", "score_group"] if "nps_score" in info.mapping else []),
             *(["csat_score"] if "csat_score" in info.mapping else []),
             *(["customer_id"] if "customer_id" in info.mapping else []),
             "comment", *extras]
    frame = frame[shown].copy()
    for column in frame.columns:
        if column in ("nps_score", "csat_score"):  # whole numbers, <NA> where not answered
            frame[column] = frame[column].astype("Int64")
        elif column != "response_date":  # text, None where missing
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


# -- coverage -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseCoverage:
    """The responses of the date range and what the segment filters leave of them."""

    responses: int
    without_customer: int
    kept: int
    segment_filter_on: bool

    @property
    def dropped(self) -> int:
        """Responses the segment filters leave out."""
        return self.responses - self.kept

    @property
    def dropped_without_customer(self) -> int:
        """Responses left out only because they carry no customer id."""
        return self.without_customer if self.segment_filter_on else 0


def response_coverage(store: Store, dataset: Dataset, filters: Filters) -> ResponseCoverage:
    """How many responses the date range holds and how many the segment filters keep.

    While a segment filter (a column of the orders or customers) is on, a response counts
    only when its customer is kept, so responses without a customer id drop out; the page
    says how many.
    """
    info = _responses(dataset)
    customer_filter, params = _customer_filter(dataset, filters, info)
    first_index, last_index = _period_range(filters, info)
    sql = load_sql("survey_coverage").format(
        customer_id="customer_id" if "customer_id" in info.mapping else "NULL",
        customer_filter=customer_filter,
        responses_table=dataset.table("responses"),
        period_of_response_date=period_index_sql(filters.period, "response_date"),
    )
    row = query_frame(store, sql, params | {"first_index": first_index, "last_index": last_index}
               ).iloc[0]
    return ResponseCoverage(int(row["responses"]), int(row["without_customer"]),
                            int(row["kept"]), bool(filters.segments))


# -- behaviour after the answer -------------------------------------------------------------


def behaviour_by_group(store: Store, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """What promoters, passives and detractors did in the 6 and 12 months after answering.

    Each NPS answer of the date range whose customer id is in the orders is followed from
    the day after the answer to the same day 6 (12) months later. Only windows that end
    on or before the data's last order day count: a later one is still running, and would
    understate what its customer does (``left_out`` says how many). Segment filters apply
    to the orders counted, as on the other pages. A customer who answered twice is
    followed once per answer.

    Returns
    -------
    pandas.DataFrame
        One row per score group (promoter, passive, detractor) and window, with
        :data:`BEHAVIOUR_COLUMNS`: ``answers`` (NPS answers), ``matched`` (their customer
        is in the orders), ``followed`` (matched, window complete), ``left_out``,
        ``ordered_again`` (a purchase in the window), ``retention_pct`` = ordered_again /
        followed x 100, ``revenue`` (net, refunds subtracted) and
        ``revenue_per_respondent`` = revenue / followed (None when no one is followed).

    Raises
    ------
    InputError
        No responses, no NPS answers, no customer id on the responses, or no orders.
    """
    ctes, params = followed_ctes(dataset, filters)
    found = query_frame(store, with_ctes(ctes, query=load_sql("survey_behaviour")), params)
    grid = pd.DataFrame([(g, w) for g in SCORE_GROUPS for w in BEHAVIOUR_WINDOWS],
                        columns=["score_group", "window_months"])
    frame = grid.merge(found, on=["score_group", "window_months"], how="left")
    counts = ["answers", "matched", "followed", "left_out", "ordered_again"]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    frame["revenue"] = frame["revenue"].fillna(0.0).astype(float)
    frame["retention_pct"] = pd.Series(
        [100.0 * x / n if n else None for x, n in zip(frame["ordered_again"],
                                                      frame["followed"], strict=True)],
        dtype=object)
    frame["revenue_per_respondent"] = pd.Series(
        [r / n if n else None for r, n in zip(frame["revenue"], frame["followed"],
                                              strict=True)], dtype=object)
    return frame[list(BEHAVIOUR_COLUMNS)]


def followed_ctes(dataset: Dataset, filters: Filters) -> tuple[str, dict[str, Any]]:
    """The CTEs of :func:`behaviour_by_group` up to ``followed`` (one row per NPS answer
    and window, sql/survey_followed.sql) and their parameters; an error when the dataset
    lacks what they need (see :func:`behaviour_by_group`)."""
    info = _require(dataset, "nps")
    if "customer_id" not in info.mapping:
        raise InputError(t("The survey responses of “{name}” carry no customer id: upload a "
                           "survey export with the customer id or e-mail the orders use, to "
                           "see what promoters and detractors buy afterwards.",
                           name=dataset.name))
    orders = dataset.tables.get("orders")
    if orders is None or orders.last_date is None:
        raise InputError(t("Linking answers to behaviour needs orders: upload an orders file "
                           "into the dataset “{name}” on the Data page.", name=dataset.name))
    responses, params = responses_cte(dataset, filters)
    segment_sql, segment_params = segment_filter_sql(dataset, filters)
    followed = load_sql("survey_followed").format(
        orders_table=dataset.table("orders"),
        segment_filter=segment_sql,
        window_end=add_months_sql("a.response_date", "w.window_months"),
        window_values=", ".join(f"({months})" for months in BEHAVIOUR_WINDOWS),
    )
    return (piece(responses) + ",\n" + piece(followed),
            params | segment_params | {"data_last_day": orders.last_date})


def behaviour_test(table: pd.DataFrame, window_months: int) -> Significance | None:
    """Do promoters order again more often than detractors in this window? The
    two-proportion z-test of their ``ordered_again`` shares (:func:`behaviour_by_group`'s
    table); None when either group has no one followed."""
    rows = table[table["window_months"] == window_months].set_index("score_group")
    if "promoter" not in rows.index or "detractor" not in rows.index:
        return None
    promoters, detractors = rows.loc["promoter"], rows.loc["detractor"]
    return two_proportions(int(promoters["ordered_again"]), int(promoters["followed"]),
                           int(detractors["ordered_again"]), int(detractors["followed"]))
