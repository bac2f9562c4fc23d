"""Compare: view A (the sidebar's) beside a view B that differs in its segments, its dates or
its dataset; each KPI of the Overview in both, the difference and whether it is real, and
a KPI's trend in both. View B lives in the URL under ``b.`` keys, like every view."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from dashboard import services
from dashboard.chart_downloads import show_chart
from dashboard.compare_charts import compare_trend_chart
from dashboard.explain_panel import chart_explainer
from dashboard.filters import page_data, publish, seed_from_url, segment_label
from dashboard.formatting import MISSING, format_change, format_day, format_value, period_label
from dashboard.guard import callback
from dashboard.safe import plain, show_error, show_warning
from dashboard.url_state import clamp_range, parse_choice, parse_date, parse_values
from dashboard.widgets import data_table, download_buttons
from metrics.compare import Comparison, ViewState, compare_tables
from metrics.definitions import KPIS, METRICS
from metrics.errors import LoyaltyLensError
from metrics.i18n import t
from metrics.query.filters import Filters, orders_span
from metrics.significance import NotTested, caption, difference_caption, format_p_value
from metrics.store import Dataset

# View B's keys, in the URL as they are here: its dataset, dates and segment filters.
B_DATASET, B_START, B_END, B_DATES = "b.dataset", "b.start", "b.end", "b.dates"
B_SEGMENT_PREFIX = "b.seg."
# The dataset view A had on the page's last run: a B on that same dataset follows A's.
_A_DATASET = "_compare_a_dataset"
METRIC_KEY = "compare_metric"
SEGMENT_COLUMNS_PER_ROW = 4
TABLE_ROW_PIXELS = 35  # st.dataframe's row height
VALUE_PIXELS, DIFFERENCE_PIXELS = 110, 160


def _reset_b() -> None:
    """Another dataset for B has other dates and segments: start them afresh."""
    for key in list(st.session_state):
        if key in (B_START, B_END, B_DATES) or str(key).startswith(B_SEGMENT_PREFIX):
            del st.session_state[key]


def _with_orders() -> list[Dataset]:
    return [d for d in services.get_store().datasets()
            if d.tables.get("orders") is not None and d.tables["orders"].first_date]


def _view_b(dataset_a: Dataset, filters_a: Filters) -> tuple[Dataset, Filters, list[str]]:
    """View B's widgets, seeded from the link (else: A's dataset and dates, every segment);
    B's dataset, filters and the URL keys of its segments."""
    st.subheader(t("View B"))
    previous_a = st.session_state.get(_A_DATASET)
    if previous_a not in (None, dataset_a.id) and st.session_state.get(B_DATASET) == previous_a:
        # B compared A's dataset within itself: it moves with A to the new one
        st.session_state.pop(B_DATASET)
        _reset_b()
    st.session_state[_A_DATASET] = dataset_a.id
    datasets = _with_orders()
    by_id = {d.id: d for d in datasets}
    ids = list(by_id)
    seed_from_url(B_DATASET, dataset_a.id, parse_choice(ids), t("dataset of view B"),
                  options=ids)
    top = st.columns(2)
    top[0].selectbox(t("Dataset"), ids, key=B_DATASET, format_func=lambda i: by_id[i].name,
                     on_change=callback(_reset_b))
    dataset = by_id[st.session_state[B_DATASET]]
    first, last = orders_span(dataset)
    same = dataset.id == dataset_a.id
    seed_from_url(B_START, filters_a.start if same and filters_a.start else first,
                  parse_date, t("start date of view B"))
    seed_from_url(B_END, filters_a.end if same and filters_a.end else last, parse_date,
                  t("end date of view B"))
    if B_DATES not in st.session_state:
        start, end = clamp_range(st.session_state[B_START], st.session_state[B_END], first,
                                 last)
        if (start, end) != (st.session_state[B_START], st.session_state[B_END]):
            show_warning(t("The link's dates of view B fall outside its data ({first} to "
                           "{last}), so they were moved inside it.",
                           first=format_day(first), last=format_day(last)))
        st.session_state[B_DATES] = (start, end)
    dates = top[1].date_input(t("Date range"), key=B_DATES, min_value=first, max_value=last,
                              format="DD.MM.YYYY")
    if isinstance(dates, tuple) and len(dates) == 2:
        st.session_state[B_START], st.session_state[B_END] = dates
    chosen: dict[str, list[str]] = {}
    options = services.segments(dataset)
    columns = list(options)
    for row in range(0, len(columns), SEGMENT_COLUMNS_PER_ROW):
        shown = columns[row:row + SEGMENT_COLUMNS_PER_ROW]
        for place, column in zip(st.columns(SEGMENT_COLUMNS_PER_ROW), shown, strict=False):
            key = B_SEGMENT_PREFIX + column
            # none by default: a link leaves an empty choice out, so "every value" is the
            # only default a link can reopen faithfully
            none_chosen: list[str] = []
            seed_from_url(key, none_chosen, parse_values(options[column]),
                          t("segment “{column}” of view B", column=segment_label(column)))
            chosen[column] = place.multiselect(plain(segment_label(column)), options[column],
                                               key=key, placeholder=t("All"))
    filters = dataclasses.replace(filters_a, start=st.session_state[B_START],
                                  end=st.session_state[B_END],
                                  segments=Filters.segment_items(chosen))
    return dataset, filters, [B_SEGMENT_PREFIX + column for column in columns]


def view_name(letter: str, view: ViewState, other: ViewState) -> str:
    """A view named by what sets it apart from the other: its dataset, its dates, its
    segment values (data, shown as they are), e.g. "B · channel: store"."""
    parts = []
    if view.dataset.id != other.dataset.id:
        parts.append(view.dataset.name)
    filters, others = view.filters, other.filters
    if (filters.start, filters.end) != (others.start, others.end):
        parts.append(_dates(filters))
    segments, other_segments = dict(filters.segments), dict(others.segments)
    for column in sorted(set(segments) | set(other_segments)):
        if segments.get(column) != other_segments.get(column):
            values = segments.get(column)
            parts.append(t("{segment}: {values}", segment=segment_label(column),
                           values=", ".join(values) if values else t("All")))
    return " · ".join([letter, *parts])


def _dates(filters: Filters) -> str:
    if filters.start is None or filters.end is None:
        return t("All dates")
    first = period_label(filters.period, filters.start)
    last = period_label(filters.period, filters.end)
    return first if first == last else f"{first} – {last}"


def _table(found: Comparison, currency: str | None) -> pd.DataFrame:
    """Each KPI as read: both values, the difference and whether it is real."""
    records = found.records.set_index("metric")
    rows = []
    for metric in KPIS:
        a, b = records.loc[metric.id, "a"], records.loc[metric.id, "b"]
        result = found.tests[metric.id]
        rows.append({
            t("KPI"): metric.title(),
            t("View A"): format_value(a, metric.unit, currency),
            t("View B"): format_value(b, metric.unit, currency),
            t("Difference (B − A)"): format_change(b, a, metric, currency) or MISSING,
            t("Significance"): caption(result) if isinstance(result, NotTested)
            else difference_caption(result),
            t("Test"): "" if isinstance(result, NotTested) else t(
                "{test}, {p_value}", test=t(result.method),
                p_value=format_p_value(result.p_value)),
        })
    return pd.DataFrame(rows)


def main() -> None:
    selected = page_data(t("Compare"), needs="orders")
    if selected is None:
        return
    _, dataset_a, filters_a = selected
    st.caption(t("View A is the view the sidebar sets. Choose what view B differs in: "
                 "another segment value, another date range or another dataset. Each "
                 "view's KPIs are of its latest complete period."))
    dataset_b, filters_b, segment_keys = _view_b(dataset_a, filters_a)
    publish([B_DATASET, B_START, B_END, *segment_keys])
    a, b = ViewState(dataset_a, filters_a), ViewState(dataset_b, filters_b)
    try:
        found = compare_tables(a, b, services.kpis(dataset_a, filters_a),
                               services.kpis(dataset_b, filters_b))
    except LoyaltyLensError as error:
        show_error(error)
        return
    name_a, name_b = view_name("A", a, b), view_name("B", b, a)
    if a == b:
        st.info(t("View B is the same as view A: choose another segment value, date range "
                  "or dataset for it."), icon=":material/info:")
    _headline(found, name_a, name_b)
    currency = dataset_a.currency if dataset_a.currency == dataset_b.currency else None
    table = _table(found, currency)
    # every KPI in view, without a scroll bar of its own: the header and one row each
    # the values' columns as wide as an amount with its currency, in every language
    values = {t("View A"): VALUE_PIXELS, t("View B"): VALUE_PIXELS,
              t("Difference (B − A)"): DIFFERENCE_PIXELS}
    data_table(table, hide_index=True, width="stretch",
               height=(len(table) + 1) * TABLE_ROW_PIXELS + 3,
               column_config={name: st.column_config.TextColumn(width=pixels)
                              for name, pixels in values.items()})
    st.caption(t("Each test takes the two views as independent samples, as the cards take two "
                 "periods: views sharing customers (a segment against the whole shop, "
                 "overlapping dates) make its verdict approximate."))
    download_buttons(found.records, "compare", "compare_table")
    st.subheader(t("Trend"))
    metric_ids = [m.id for m in KPIS]
    seed_from_url(METRIC_KEY, "retention_rate", parse_choice(metric_ids), t("metric"))
    st.selectbox(t("Metric"), metric_ids, key=METRIC_KEY,
                 format_func=lambda m: METRICS[m].title())
    metric_id = st.session_state[METRIC_KEY]
    show_chart(compare_trend_chart(found.trend_a, found.trend_b, metric_id, filters_a.period,
                                   currency, name_a, name_b),
               key="compare_trend")
    _explainers(found, metric_id, (name_a, name_b))
    publish([METRIC_KEY])


def _explainers(found: Comparison, metric_id: str, names: tuple[str, str]) -> None:
    """Each view's number explained down to its customers, the compared period first
    offered (so the table's value is the one explained)."""
    period = found.a.filters.period
    sides = ((found.a, found.trend_a, found.period_a, "compare_a"),
             (found.b, found.trend_b, found.period_b, "compare_b"))
    for column, name, (view, trend, day, key) in zip(st.columns(2), names, sides,
                                                     strict=True):
        with column:
            st.caption(plain(name))
            periods = [start for start in trend["period_start"] if start <= day]
            chart_explainer(key, [metric_id], view.dataset, view.filters,
                            view.dataset.currency, periods=periods,
                            period_name=lambda start: period_label(period, start),
                            empty=t("No customers or orders stand behind it in this period."))


def _headline(found: Comparison, name_a: str, name_b: str) -> None:
    """Which view is which, and the period each one's values are of."""
    period = found.a.filters.period
    for name, day in ((name_a, found.period_a), (name_b, found.period_b)):
        st.markdown(plain(t("{view}, values of {period}", view=name,
                            period=period_label(period, day))))


main()
