"""Satisfaction (NPS): NPS, CSAT and CLI over time and by segment, the score distribution,
the comments and what promoters, passives and detractors buy next, from survey responses."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date

import pandas as pd
import streamlit as st
from babel.numbers import format_decimal

from dashboard import services
from dashboard.benchmark_overlay import (
    card_line,
    chart_notes,
    comparison,
    legend_name,
    not_comparable_note,
)
from dashboard.chart_downloads import show_chart
from dashboard.explain_panel import chart_explainer, how_computed
from dashboard.filters import (
    View,
    page_data,
    publish,
    seed_from_url,
    segment_label,
)
from dashboard.filters import group_name as segment_value_name
from dashboard.formatting import (
    change_sign,
    current_locale,
    format_day,
    format_value,
    is_missing,
    period_label,
)
from dashboard.safe import plain, show_error
from dashboard.satisfaction_charts import (
    behaviour_chart,
    cli_chart,
    csat_chart,
    nps_mix_chart,
    nps_segment_chart,
    nps_trend_chart,
    score_distribution_chart,
    score_group_name,
)
from dashboard.url_state import parse_choice
from dashboard.widgets import change_style, data_table, download_buttons
from metrics.definitions import CLI_QUESTION_MEANS, NPS_MIX, SURVEY_METRICS, Metric
from metrics.errors import LoyaltyLensError
from metrics.i18n import N_, t, tn
from metrics.query.filters import Filters
from metrics.query.sql import Period
from metrics.satisfaction import (
    MIN_RESPONSES,
    SCORE_GROUPS,
    Change,
    Measure,
    behaviour_by_group,
    behaviour_test,
    cli_table,
    comments,
    csat_table,
    latest_change,
    measure_table,
    measures,
    nps_by_segment,
    nps_latest_answers,
    nps_overall,
    nps_table,
    response_coverage,
    satisfaction_segments,
    score_distribution,
    survey_metric,
    with_changes,
)
from metrics.significance import (
    NotTested,
    Significance,
    caption,
    difference_caption,
    format_p_value,
    verdict_details,
)
from metrics.store import Dataset

MAX_SEARCH_LENGTH = 200
PAGE_KEYS = ["nps_by", "comment_group", "comment_period", "comment_search"]

# What each chart draws around its measure (the formulas are the registry's).
NPS_CHART_NOTE = (N_("The band is the 95% margin of error, {formula}; the bars are the answers "
                     "per period. Hollow markers: the responses start or stop inside that "
                     "period."))
CSAT_CHART_NOTE = N_("The band is the 95% margin of error, {formula}.")
CLI_CHART_NOTE = N_("The band is {formula}; dotted lines: each question's mean.")


def _chart_caption(metric: Metric, note: str) -> str:
    """The measure's definition, then what its chart draws."""
    formula = t(metric.margin_of_error) if metric.margin_of_error else ""
    return metric.describe() + " " + t(note, formula=formula)


def _signed(value: float, pattern: str = "#,##0.0") -> str:
    shown = format_decimal(abs(value), format=pattern, locale=current_locale())
    return change_sign(value, shown) + shown


def _value_text(metric: Metric, value: float | None) -> str:
    if is_missing(value):
        return "–"
    assert value is not None
    if metric.unit == "points":
        return _signed(value).replace("-", "−")
    if metric.unit == "percent":
        return format_value(value, "percent", None)
    return t("{value} of 6", value=format_decimal(value, format="0.00", locale=current_locale()))


def _change_text(metric: Metric, change: Change) -> str | None:
    difference = change.difference
    if difference is None:
        return None
    if metric.unit == "points":
        return t("{change} points", change=_signed(difference))
    if metric.unit == "percent":
        return t("{change} pp", change=_signed(difference))
    return _signed(difference, "#,##0.00")


def _test_name(metric: Metric, result: Significance) -> str:
    """What the tooltip names: the registry's summary of the test, else its method."""
    summary = metric.test.summary if metric.test is not None else None
    return t(summary or result.method)


def _input_text(name: str, value: float | None) -> str:
    """An explained measure's input: a count of answers, or the CLI's mean as its card
    shows it."""
    if name in SURVEY_METRICS:
        return _value_text(SURVEY_METRICS[name], value)
    return format_value(value, "customers", None)


def _how_computed(metric: Metric, dataset: Dataset, filters: Filters, period_start: date
                  ) -> None:
    """The card's "How is this computed?", as on the Overview's cards."""
    with st.expander(t("How is this computed?")):
        how_computed(metric.id, dataset, filters, period_start, None, _input_text,
                     t("No answers stand behind it in this period."))


def _card(view: View, measure: Measure, table: pd.DataFrame, dataset: Dataset,
          filters: Filters) -> None:
    period = filters.period
    metric = survey_metric(measure)
    change = latest_change(table, measure)
    with st.container(border=True):
        if change is None:
            st.metric(metric.title(), "–")
            st.caption(t("No complete period has answers yet."))
            return
        delta = _change_text(metric, change)
        st.metric(t("{measure} in {period}", measure=metric.title(),
                    period=period_label(period, change.period_start)),
                  _value_text(metric, change.value), delta=delta, **change_style(delta))
        if change.previous_start is not None:
            details = None if isinstance(change.result, NotTested) else t(
                "Test: {test}, {p_value}.", test=_test_name(metric, change.result),
                p_value=format_p_value(change.result.p_value))
            st.caption(t("{verdict} (against {previous})",
                         previous=period_label(period, change.previous_start),
                         verdict=caption(change.result)), help=details)
        row = table[table["period_start"] == change.period_start].iloc[0]
        st.caption(tn("{n} answer", "{n} answers", int(row["responses"])))
        card_line(view, metric.id, change.value, metric.unit)
        _how_computed(metric, dataset, filters, change.period_start)


def _overall_nps(overall: pd.Series, dataset: Dataset, filters: Filters) -> None:
    """The NPS of every answer in the date range, with its margin of error and count."""
    metric = SURVEY_METRICS["nps_overall"]
    with st.container(border=True):
        st.metric(metric.title(), _value_text(metric, overall["nps"]),
                  help=metric.describe())
        if not is_missing(overall["margin_of_error"]):
            st.caption(tn("± {margin} points (95%), {n} answer",
                          "± {margin} points (95%), {n} answers", int(overall["responses"]),
                          margin=format_decimal(overall["margin_of_error"], format="0.0",
                                                locale=current_locale())))
        else:
            st.caption(t("No answers in the date range."))
        # the whole range: explain() ignores the day it is given
        _how_computed(metric, dataset, filters, filters.start or date.today())


def _summary(view: View, dataset: Dataset, filters: Filters, present: tuple[Measure, ...]
             ) -> None:
    st.subheader(t("At a glance"))
    columns = st.columns(len(present) + (2 if "nps" in present else 0))
    if "nps" in present:  # the whole range first, then the latest period of each measure
        with columns[0]:
            _overall_nps(services.compute(nps_overall, dataset, filters).iloc[0], dataset,
                         filters)
        columns = columns[1:]
    for column, measure in zip(columns, present, strict=False):
        with column:
            table = services.compute(measure_table(measure), dataset, filters)
            _card(view, measure, table, dataset, filters)
    if "nps" in present:
        latest = services.compute(nps_latest_answers, dataset, filters).iloc[0]
        metric = SURVEY_METRICS["nps_latest"]
        with columns[-1], st.container(border=True):
            st.metric(metric.title(), _value_text(metric, latest["nps"]))
            if not is_missing(latest["margin_of_error"]):
                st.caption(t("± {margin} points (95%), {n} answers counted of {total}",
                             margin=format_decimal(latest["margin_of_error"], format="0.0",
                                                   locale=current_locale()),
                             n=format_value(latest["responses"], "customers", None),
                             total=format_value(latest["answers"], "customers", None)))
            st.caption(metric.describe())
            # the whole range: explain() ignores the day it is given
            _how_computed(metric, dataset, filters, filters.start or date.today())
    st.caption(t("Each card compares the latest period the responses cover completely with "
                 "the period before it; a change is real when a test at the 5% level says so "
                 "(the test and its p-value are in the tooltip)."))


def _period_explainer(key: str, metric_ids: Sequence[str], table: pd.DataFrame,
                      dataset: Dataset, filters: Filters) -> None:
    """A per-period chart's "How is this computed?", offering the chart's periods."""
    chart_explainer(key, metric_ids, dataset, filters, dataset.currency,
                    periods=list(table["period_start"]),
                    period_name=lambda day: period_label(filters.period, day),
                    empty=t("No answers stand behind it in this period."))


def _period_frame(table: pd.DataFrame, period: Period) -> pd.DataFrame:
    shown = table.copy()
    shown.insert(0, "period", [period_label(period, d) + ("" if c else " *")
                               for d, c in zip(shown["period_start"], shown["complete"],
                                               strict=True)])
    return shown


def _verdicts(shown: pd.DataFrame) -> pd.DataFrame:
    shown["verdict"] = [
        (t("A real change") if verdict else t("Within normal variation"))
        if verdict is not None
        else t("Not tested: {reason}", reason=t(reason))
        for verdict, reason in zip(shown["significant"], shown["change_test"], strict=True)]
    shown["p_value"] = ["–" if is_missing(v) else format_p_value(v) for v in shown["p_value"]]
    return shown


def _nps(view: View, dataset: Dataset, filters: Filters) -> None:
    st.subheader(t("Net Promoter Score by period"))
    table = services.compute(nps_table, dataset, filters)
    benchmark = comparison(view, "nps")
    show_chart(nps_trend_chart(table, filters.period, benchmark,
               legend_name(view)), width="stretch",
               key="nps_trend")
    chart_notes(benchmark)
    st.caption(_chart_caption(survey_metric("nps"), NPS_CHART_NOTE))
    _period_explainer("nps_trend", ["nps"], table, dataset, filters)
    shown = _verdicts(_period_frame(with_changes(table, "nps"), filters.period))
    shown = shown[["period", "responses", "promoters", "passives", "detractors", "nps",
                   "margin_of_error", "change", "p_value", "verdict"]].rename(columns={
                       "period": t("Period"), "responses": t("Answers"),
                       "promoters": t("Promoters"), "passives": t("Passives"),
                       "detractors": t("Detractors"), "nps": t("NPS"),
                       "margin_of_error": t("Margin of error (±)"),
                       "change": t("Change (points)"), "p_value": t("p-value"),
                       "verdict": t("Change")})
    with st.expander(t("NPS by period as a table")):
        data_table(shown, hide_index=True, width="stretch", column_config={
            c: st.column_config.NumberColumn(format="%.1f")
            for c in (t("NPS"), t("Margin of error (±)"), t("Change (points)"))},
            units={t(c): "customers" for c in ("Answers", "Promoters", "Passives",
                                               "Detractors")})
        test = survey_metric("nps").test
        st.caption(t("* the responses start or stop inside that period.")
                   + (" " + t(test.note) if test is not None and test.note else ""))
    download_buttons(shown, "nps", key="nps_download")

    show_chart(nps_mix_chart(table, filters.period), width="stretch", key="nps_mix")
    mix = _period_frame(table, filters.period)[["period", "responses", "promoters",
                                                "passives", "detractors"]]
    download_buttons(mix.rename(columns={
        "period": t("Period"), "responses": t("Answers"), "promoters": t("Promoters"),
        "passives": t("Passives"), "detractors": t("Detractors")}), "nps-groups",
        key="nps_mix_download")
    _period_explainer("nps_mix", [m.id for m in NPS_MIX], table, dataset, filters)

    distribution = services.compute(score_distribution, dataset, filters)
    show_chart(score_distribution_chart(distribution), width="stretch",
               key="nps_distribution")
    st.caption(t("Every answer of the date range counts."))
    download_buttons(distribution.assign(score_group=[score_group_name(g) for g in
                                                      distribution["score_group"]]).rename(
        columns={"score": t("Score"), "score_group": t("Group"), "responses": t("Answers"),
                 "share_pct": t("Share (%)")}), "nps-scores", key="nps_distribution_download")
    chart_explainer("nps_distribution", ["score_answers", "score_share"], dataset, filters,
                    dataset.currency, groups=[str(score) for score in distribution["score"]],
                    group_name=lambda score: t("Score {score}", score=score))


def _split_name(key: str, kind: str) -> str:
    return key if kind == "responses" else segment_label(key)


def _segments(dataset: Dataset, filters: Filters) -> None:
    st.subheader(t("NPS by segment"))
    known = satisfaction_segments(dataset)
    if not known:
        if "customer_id" in dataset.tables["responses"].mapping:
            st.caption(t("The responses have no segment column (such as a touchpoint or a "
                         "region). Upload orders or customer data with the same customer ids "
                         "to split the NPS by their segments."))
        else:
            st.caption(t("The responses have no segment column (such as a touchpoint or a "
                         "region), and no customer id to take their customers' segments "
                         "from."))
        return
    options = ["", *known]
    seed_from_url("nps_by", options[1], parse_choice(options), t("NPS split"),
                  options=options)
    st.selectbox(t("Split by"), options, key="nps_by",
                 format_func=lambda k: t("Choose a segment") if k == "" else
                 plain(_split_name(k, known[k][0])))
    by = st.session_state["nps_by"] or None
    if by is None:
        return
    table = services.compute(nps_by_segment, dataset, filters, by=by)
    if table.empty:
        st.info(t("No NPS answers in these filters."))
        return
    show_chart(nps_segment_chart(table, segment_value_name, MIN_RESPONSES),
               width="stretch", key="nps_segments")
    where = (t("the value of the response") if known[by][0] == "responses" else
             t("the customer's value (for a column of the orders, on their first purchase "
               "day); answers without a customer id are “Not set”"))
    st.caption(t("Every answer of the date range counts; segments use {where}. Error bars: "
                 "the 95% margin of error. † fewer than {n} answers: the margin of error is "
                 "then ±25 points or more, and the normal approximation behind it is poor, so "
                 "compare such segments with care.", where=where, n=MIN_RESPONSES))
    download_buttons(table.assign(group_value=[segment_value_name(v) for v in
                                               table["group_value"]]).rename(columns={
        "group_value": t("Segment"), "responses": t("Answers"), "promoters": t("Promoters"),
        "passives": t("Passives"), "detractors": t("Detractors"), "nps": t("NPS"),
        "margin_of_error": t("Margin of error (±)"),
        "too_few": t("Fewer than {n} answers", n=MIN_RESPONSES)}),
        "nps-segments", key="nps_segments_download")
    # a value is explained as "segment=value" ('' for answers without one)
    chart_explainer("nps_segments", ["nps_segment"], dataset, filters, dataset.currency,
                    groups=[f"{by}={'' if v is None else v}" for v in table["group_value"]],
                    group_name=lambda group: segment_value_name(group.split("=", 1)[1]))


def _csat(view: View, dataset: Dataset, filters: Filters) -> None:
    st.subheader(t(survey_metric("csat").name))
    table = services.compute(csat_table, dataset, filters)
    benchmark = comparison(view, "csat")
    show_chart(csat_chart(table, filters.period, benchmark,
               legend_name(view)), width="stretch",
               key="csat_trend")
    chart_notes(benchmark)
    not_comparable_note(view, "csat")
    st.caption(_chart_caption(survey_metric("csat"), CSAT_CHART_NOTE))
    _period_explainer("csat_trend", ["csat"], table, dataset, filters)
    shown = _verdicts(_period_frame(with_changes(table, "csat"), filters.period))
    shown = shown[["period", "responses", "satisfied", "csat", "margin_of_error", "change",
                   "p_value", "verdict"]].rename(columns={
                       "period": t("Period"), "responses": t("Answers"),
                       "satisfied": t("Answers of 4-5"), "csat": t("CSAT (%)"),
                       "margin_of_error": t("Margin of error (± pp)"),
                       "change": t("Change (pp)"), "p_value": t("p-value"),
                       "verdict": t("Change")})
    download_buttons(shown, "csat", key="csat_download")


def _cli(dataset: Dataset, filters: Filters) -> None:
    st.subheader(t(survey_metric("cli").name))
    table = services.compute(cli_table, dataset, filters)
    show_chart(cli_chart(table, filters.period), width="stretch", key="cli_trend")
    st.caption(_chart_caption(survey_metric("cli"), CLI_CHART_NOTE))
    _period_explainer("cli_trend", ["cli", *(m.id for m in CLI_QUESTION_MEANS)], table,
                      dataset, filters)
    shown = _verdicts(_period_frame(with_changes(table, "cli"), filters.period))
    shown = shown[["period", "responses", "cli", "cli_sd", "margin_of_error", "recommend",
                   "buy_again", "other_products", "change", "p_value", "verdict"]].rename(
        columns={"period": t("Period"), "responses": t("Answers"), "cli": t("CLI"),
                 "cli_sd": t("SD"), "margin_of_error": t("Margin of error (±)"),
                 "recommend": t("Would recommend"), "buy_again": t("Would buy again"),
                 "other_products": t("Would try other products"), "change": t("Change"),
                 "p_value": t("p-value"), "verdict": t("Significance")})
    download_buttons(shown, "cli", key="cli_download")


def _search_text(raw: Sequence[str]) -> str:
    return raw[-1][:MAX_SEARCH_LENGTH]


def _comments(dataset: Dataset, filters: Filters, periods: pd.DataFrame,
              has_nps: bool) -> None:
    st.subheader(t("Comments"))
    groups = ["", *SCORE_GROUPS] if has_nps else [""]
    starts = {d.isoformat(): (d, e) for d, e in zip(periods["period_start"],
                                                     periods["period_end"], strict=True)}
    period_options = ["", *reversed(list(starts))]
    seed_from_url("comment_group", "", parse_choice(groups), t("comment group"),
                  options=groups)
    seed_from_url("comment_period", "", parse_choice(period_options), t("comment period"),
                  options=period_options)
    seed_from_url("comment_search", "", _search_text, t("comment search"))
    columns = st.columns([1, 1, 2])
    columns[0].selectbox(t("Answer group"), groups, key="comment_group",
                         format_func=lambda g: t("All answers") if g == ""
                         else score_group_name(g))
    columns[1].selectbox(t("Period"), period_options, key="comment_period",
                         format_func=lambda p: t("The whole date range") if p == "" else
                         period_label(filters.period, starts[p][0]))
    columns[2].text_input(t("Search the comments"), key="comment_search",
                          max_chars=MAX_SEARCH_LENGTH,
                          placeholder=t("A word or phrase, e.g. delivery"))
    chosen = st.session_state["comment_period"]
    scope = filters if chosen == "" else dataclasses.replace(
        filters, start=starts[chosen][0], end=starts[chosen][1])
    found = services.compute(comments, dataset, scope,
                             group=st.session_state["comment_group"] or None,
                             search=st.session_state["comment_search"] or None)
    st.caption(tn("{n} comment matches.", "{n} comments match.", len(found))
               + " " + t("Comments are shown as their authors wrote them."))
    renamed = found.rename(columns={
        "response_date": t("Date"), "nps_score": t("Score (0-10)"),
        "score_group": t("Group"), "csat_score": t("CSAT (1-5)"),
        "customer_id": t("Customer"), "comment": t("Comment")})
    if "score_group" in found:
        renamed[t("Group")] = [None if g is None else score_group_name(g)
                               for g in found["score_group"]]
    data_table(renamed, hide_index=True, width="stretch",
               column_config={t("Comment"): st.column_config.TextColumn(width="large")})
    download_buttons(renamed, "comments", key="comments_download")


def _bar_name(bar: str) -> str:
    """A behaviour bar ("promoter/6") in words: its group and window."""
    group, months = bar.split("/")
    return t("{group}, {months} months", group=score_group_name(group), months=months)


def _behaviour(dataset: Dataset, filters: Filters) -> None:
    st.subheader(t("What promoters, passives and detractors buy next"))
    info = dataset.tables["responses"]
    if "customer_id" not in info.mapping:
        st.info(t("To see what customers buy after answering, the responses need a customer "
                  "id or e-mail that the orders use: upload a survey export with one."),
                icon=":material/info:")
        return
    if "orders" not in dataset.tables:
        st.info(plain(t("To see what customers buy after answering, upload an orders file "
                        "into the dataset “{name}” on the Data page.", name=dataset.name)),
                icon=":material/info:")
        return
    table = services.compute(behaviour_by_group, dataset, filters)
    if int(table["matched"].sum()) == 0:
        st.info(t("No answer's customer id is found in the orders: check that the survey "
                  "export and the orders use the same ids (or e-mails)."),
                icon=":material/info:")
        return
    columns = st.columns(2)
    show_chart(behaviour_chart(
        table, "retention_pct", t("Customers who ordered again"), t("Ordered again (%)")),
        width="stretch", key="behaviour_retention", container=columns[0])
    show_chart(behaviour_chart(
        table, "revenue_per_respondent", t("Revenue per answer"),
        t("Net revenue per answer ({currency})", currency=dataset.currency or "")
        if dataset.currency else t("Net revenue per answer"), dataset.currency),
        width="stretch", key="behaviour_revenue", container=columns[1])
    # each bar is a group and window, explained as "group/months"
    bars = [f"{g}/{m}" for g, m in zip(table["score_group"], table["window_months"],
                                       strict=True)]
    for column, key, metric_id in ((columns[0], "behaviour_retention", "behaviour_ordered_again"),
                                   (columns[1], "behaviour_revenue",
                                    "behaviour_revenue_per_answer")):
        with column:
            chart_explainer(key, [metric_id], dataset, filters, dataset.currency, groups=bars,
                            group_name=_bar_name)
    last = dataset.tables["orders"].last_date
    left_out = table.groupby("window_months")["left_out"].sum()
    answers = int(table[table["window_months"] == table["window_months"].min()]["answers"].sum())
    matched = int(table[table["window_months"] == table["window_months"].min()]["matched"].sum())
    st.caption(t("Each answer's customer is followed from the day after the answer for 6 and "
                 "12 months: the share who placed an order in that time, and the net revenue "
                 "(refunds subtracted) per answer. Segment filters apply to the orders "
                 "counted. {matched} of {answers} answers have a customer id found in the "
                 "orders. A window counts only when it ends by the last order day ({last}): "
                 "{left_6} answers are too recent for 6 months, {left_12} for 12 months.",
                 matched=format_value(matched, "customers", None),
                 answers=format_value(answers, "customers", None), last=format_day(last),
                 left_6=format_value(int(left_out.get(6, 0)), "customers", None),
                 left_12=format_value(int(left_out.get(12, 0)), "customers", None)))
    for months in sorted(table["window_months"].unique()):
        result = behaviour_test(table, int(months))
        if result is None:
            continue
        st.caption(t("Promoters against detractors who ordered again within {months} months: "
                     "{difference} pp. {verdict}.", months=int(months),
                     difference=_signed(100 * result.difference),
                     verdict=difference_caption(result)), help=verdict_details(result))
    groups = [score_group_name(g) for g in table["score_group"]]
    download_buttons(table.assign(score_group=groups).rename(columns={
                         "score_group": t("Group"), "window_months": t("Months after"),
                         "answers": t("Answers"), "matched": t("Customer in the orders"),
                         "followed": t("Followed"), "left_out": t("Too recent"),
                         "ordered_again": t("Ordered again"),
                         "retention_pct": t("Ordered again (%)"), "revenue": t("Net revenue"),
                         "revenue_per_respondent": t("Net revenue per answer")}),
                     "nps-behaviour", key="behaviour_download")


def _page(view: View, dataset: Dataset, filters: Filters) -> None:
    info = dataset.tables["responses"]
    present = measures(dataset)
    st.caption(plain(t("{dataset} · {count} survey responses from {first} to {last}",
                       dataset=dataset.name, count=format_value(info.rows, "customers", None),
                       first=format_day(info.first_date), last=format_day(info.last_date))))
    coverage = services.compute(response_coverage, dataset, filters)
    if coverage.dropped_without_customer:
        st.caption(tn("{n} response without a customer id is left out while a segment filter "
                      "is on: a segment belongs to a customer.",
                      "{n} responses without a customer id are left out while a segment "
                      "filter is on: a segment belongs to a customer.",
                      coverage.dropped_without_customer))
    if coverage.kept == 0:
        st.info(t("No survey responses match these filters. Widen the date range or clear a "
                  "segment filter in the sidebar."), icon=":material/info:")
        return
    if not present:
        st.info(t("These responses have no complete measure: NPS needs the 0-10 score, CSAT "
                  "the 1-5 score, CLI all three 1-6 questions. Upload a survey export with "
                  "one of them on the Data page."), icon=":material/info:")
        return
    if "nps" not in present:
        st.info(t("These responses have no 0-10 “How likely are you to recommend us?” score, "
                  "so there is no NPS: upload a survey export with it on the Data page."),
                icon=":material/info:")
    _summary(view, dataset, filters, present)
    if "nps" in present:
        _nps(view, dataset, filters)
        _segments(dataset, filters)
    if "csat" in present:
        _csat(view, dataset, filters)
    if "cli" in present:
        _cli(dataset, filters)
    if "comment" in info.mapping:
        periods = services.compute(measure_table(present[0]), dataset, filters)
        _comments(dataset, filters, periods, "nps" in present)
    if "nps" in present:
        _behaviour(dataset, filters)


def main() -> None:
    selected = page_data(t("Satisfaction (NPS)"), needs="responses")
    if selected is None:
        return
    view, dataset, filters = selected
    try:
        _page(view, dataset, filters)
    except LoyaltyLensError as error:
        show_error(error)
    publish(PAGE_KEYS)


main()
