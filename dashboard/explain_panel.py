"""The body of a card's "How is this computed?" expander, shared by the Overview's KPI
cards and the Satisfaction page's cards: the inputs, the formula, the SQL with its
parameters and the rows behind the number (metrics.explain)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import streamlit as st

from dashboard import services
from dashboard.formatting import format_day
from dashboard.safe import plain, show_error
from dashboard.widgets import data_table
from metrics.errors import LoyaltyLensError
from metrics.explain import json_parameters, row_headers, row_units
from metrics.i18n import t, tn
from metrics.query.filters import Filters
from metrics.store import Dataset

# An input's value as a card shows it, from the input's id and value.
InputText = Callable[[str, float | None], str]


def how_computed(metric_id: str, dataset: Dataset, filters: Filters, period_start: date,
                 currency: str | None, input_text: InputText, empty: str) -> None:
    """A card's inputs, formula, SQL with its parameters and the rows behind it. Computed
    only once the user asks (an expander's body always runs): the page's first draw runs
    no query of its own for them. ``empty`` says that no rows stand behind it."""
    if not st.toggle(t("Show the inputs, the SQL and the rows"),
                     key=f"explain_{metric_id}"):
        return
    try:
        e = services.explanation(dataset, metric_id, filters, period_start)
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
                   currency=currency, key=f"explain_{metric_id}_rows",
                   units={headers[column]: unit for column, unit in row_units(e.rows).items()})
    with st.popover(t("SQL of the rows")):
        st.code(e.rows_sql, language="sql", height=320)
        st.code(json.dumps(json_parameters(e.rows_parameters), ensure_ascii=False, indent=1),
                language="json")
