""""How is this computed?": the body of a card's expander (:func:`how_computed`), shared by
every card, and a chart's expander (:func:`chart_explainer`): the definitions of the
numbers a chart draws, and for the one a user picks, its inputs, formula, SQL with its
parameters and the rows behind it (metrics.explain)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import streamlit as st

from dashboard import services
from dashboard.formatting import format_day, format_value
from dashboard.safe import plain, show_error
from dashboard.widgets import data_table
from metrics.definitions import REGISTRY
from metrics.errors import LoyaltyLensError
from metrics.explain import column_unit, json_parameters, row_headers, row_units
from metrics.i18n import t, tn
from metrics.query.filters import Filters
from metrics.store import Dataset

# An input's value as a card shows it, from the input's id and value.
InputText = Callable[[str, float | None], str]


def how_computed(metric_id: str, dataset: Dataset, filters: Filters, period_start: date | None,
                 currency: str | None, input_text: InputText, empty: str, *,
                 offset: int | None = None, group: str | None = None, key: str = "",
                 options: Mapping[str, Any] | None = None) -> None:
    """A card's inputs, formula, SQL with its parameters and the rows behind it. Computed
    only once the user asks (an expander's body always runs): the page's first draw runs
    no query of its own for them. ``empty`` says that no rows stand behind it; ``offset``
    and ``group`` say which cell of a table it is (:func:`metrics.explain.explain`);
    ``key`` keeps the widgets of two explainers of one metric on a page apart; ``options``
    are the metric function's options the page shows it with."""
    key = key or metric_id
    if not st.toggle(t("Show the inputs, the SQL and the rows"), key=f"explain_{key}"):
        return
    try:
        e = services.explanation(dataset, metric_id, filters, period_start, offset=offset,
                                 group=group, options=options)
    except LoyaltyLensError as error:
        show_error(error)
        return
    st.caption(plain(t("Formula: {formula}", formula=e.formula)))
    # one line per input: a card is too narrow for a table of them
    for name, value in e.inputs.items():
        st.caption(plain(t("{input} = {value}", input=e.input_labels[name],
                           value=input_text(name, value))))
    st.caption(plain(t("The SQL that computed it, for {first} to {last}:",
                       first=format_day(e.period_start), last=format_day(e.period_end))))
    st.code(e.sql, language="sql", height=320)
    st.code(json.dumps(json_parameters(e.parameters), ensure_ascii=False, indent=1),
            language="json")
    if e.rows.empty:
        st.caption(empty)
    else:
        st.caption(tn("The row behind it:", "The first {n} rows behind it:", len(e.rows)))
        headers = row_headers(e.rows)
        data_table(e.rows.rename(columns=headers), hide_index=True, width="stretch",
                   currency=currency, key=f"explain_{key}_rows",
                   units={headers[column]: unit for column, unit in row_units(e.rows).items()})
    with st.popover(t("SQL of the rows")):
        st.code(e.rows_sql, language="sql", height=320)
        st.code(json.dumps(json_parameters(e.rows_parameters), ensure_ascii=False, indent=1),
                language="json")


def unit_text(currency: str | None) -> InputText:
    """An input's value as its unit writes it (a metric's unit, or the one its family
    gives the input; a plain number when it has none: a count of answers, a model
    parameter)."""
    def text(name: str, value: float | None) -> str:
        return format_value(value, column_unit(name) or "ratio", currency)
    return text


def chart_explainer(key: str, metric_ids: Sequence[str], dataset: Dataset, filters: Filters,
                    currency: str | None, *, periods: Sequence[date] = (),
                    period_name: Callable[[date], str] = format_day,
                    offsets: Sequence[int] = (), groups: Sequence[str | None] = (),
                    group_name: Callable[[Any], str] = str,
                    empty: str | None = None, offset_label: str | None = None,
                    options: Mapping[str, Any] | None = None) -> None:
    """A chart's "How is this computed?" expander: the definition of each number it
    draws, then for the number a user picks (metric, and the period, cohort age or group
    of the chart it stands at) :func:`how_computed`.

    ``periods`` are the chart's periods (or cohorts), latest last and preselected;
    ``offsets`` the periods since acquisition of a cohort chart (or what
    ``offset_label`` names: the age in days of a survival curve, the simulator's years);
    ``groups`` the chart's groups (None: a figure of everyone, e.g. all channels), shown
    by ``group_name`` (user data: shown as plain text). Leave out what the chart does not
    have; a figure over the whole range needs none of them. ``options`` are the options
    the chart's numbers are computed with (a gross margin, a horizon).
    The expander's body is built only while it is open (its state under
    ``explain_<key>_open``).
    """
    panel = st.expander(t("How is this computed?"), key=f"explain_{key}_open",
                        on_change="rerun")
    with panel:
        if not panel.open:
            # closed, it draws nothing: its definitions, select boxes and switch would
            # otherwise be built and sent on every run of every session (opening it
            # reruns the page, which then draws them)
            return
        for metric_id in metric_ids:
            metric = REGISTRY[metric_id]
            st.caption(plain(t("{label}: {definition}", label=metric.title(),
                               definition=metric.describe(filters.inactivity_days))))
        metric_id = metric_ids[0]
        if len(metric_ids) > 1:
            metric_id = st.selectbox(t("Number"), metric_ids, key=f"explain_{key}_metric",
                                     format_func=lambda m: REGISTRY[m].title())
        period = offset = group = None
        if periods:
            period = st.selectbox(t("Period"), list(periods), index=len(periods) - 1,
                                  key=f"explain_{key}_period", format_func=period_name)
        if offsets:
            offset = st.selectbox(offset_label or t("Periods since acquisition"), list(offsets),
                                  key=f"explain_{key}_offset")
        if groups:
            group = st.selectbox(t("Group"), list(groups), key=f"explain_{key}_group",
                                 format_func=group_name)
        how_computed(metric_id, dataset, filters, period, currency, unit_text(currency),
                     empty or t("Nothing stands behind it in this selection."),
                     offset=offset, group=group, key=f"{key}_{metric_id}", options=options)
