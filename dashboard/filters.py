"""The global filters in the sidebar (dataset, dates, granularity, W, segments).

They are drawn by the router on every page, so they stay the same across pages, and
they live in the URL: a copied link reopens the same view.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

import streamlit as st

from dashboard import services
from dashboard.formatting import PERIOD_NAMES, format_day, format_value, period_label
from dashboard.formatting import group_name as group_name  # the pages import it from here
from dashboard.guard import callback
from dashboard.language import LANGUAGE_KEY
from dashboard.safe import plain, show_warning
from dashboard.url_state import (
    UrlState,
    clamp_range,
    parse_choice,
    parse_date,
    parse_int,
    parse_text,
    parse_values,
    query_string_values,
)
from metrics.benchmarks import Benchmark
from metrics.benchmarks import sectors as benchmark_sectors
from metrics.errors import AccessDenied, DatasetNotFound
from metrics.i18n import N_, t
from metrics.kpis import SuggestedWindow
from metrics.query.filters import (
    DEFAULT_INACTIVITY_DAYS,
    MAX_INACTIVITY_DAYS,
    MIN_INACTIVITY_DAYS,
    Filters,
)
from metrics.query.segments import RFM_SEGMENT, SEGMENT_TABLES
from metrics.query.sql import PERIODS, Period, period_index, period_start_of_index
from metrics.roles import column_label
from metrics.store import Dataset, Store

T = TypeVar("T")
SEGMENT_PREFIX = "seg."
INCOMING_QUERY = "_incoming_query"
SELECT_DATASET = "_select_dataset"
# Why no dataset is shown (a link's unknown dataset, or the shown one deleted meanwhile).
MISSING_DATASET = "_missing_dataset"
# The (id, name) of the dataset shown last, to name it once it is deleted.
SHOWN_DATASET = "_shown_dataset"
GLOBAL_KEYS = (LANGUAGE_KEY, "dataset", "period", "start", "end", "w", "industry")
NO_INDUSTRY = ""


@dataclass
class View:
    """What every page shows: the dataset and the filter state (None without data)."""

    dataset: Dataset | None = None
    filters: Filters | None = None
    segment_options: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # The industry (benchmark sector) picked to compare with, and every benchmark figure.
    industry: str | None = None
    benchmarks: list[Benchmark] = field(default_factory=list)
    # Instead of a dataset: the sentence saying why none is shown, and the ones to choose.
    missing_dataset: str | None = None
    datasets: list[Dataset] = field(default_factory=list)


def _reset_filters() -> None:
    """A new dataset has other dates and segments: start its filters afresh."""
    st.session_state.pop(MISSING_DATASET, None)
    for key in list(st.session_state):
        if key in ("start", "end", "dates", "w") or str(key).startswith(SEGMENT_PREFIX):
            del st.session_state[key]


def segment_label(key: str) -> str:
    """A segment filter's name on screen: the role's label or the file's header."""
    if key == RFM_SEGMENT:
        return t("RFM segment")
    for kind, prefix in SEGMENT_TABLES:
        if prefix and key.startswith(prefix):
            return column_label(kind, key.removeprefix(prefix))
    return column_label("orders", key)


def _segment_key(column: str) -> str:
    return SEGMENT_PREFIX + column


def draw_sidebar() -> View:
    """Draw the global filters, write them to the URL and return the view they select."""
    store = services.get_store()
    datasets = [d for d in store.datasets() if _span(d) is not None]
    # The URL as it arrived: the pages seed their own keys from it after the sidebar has
    # rewritten the query string.
    st.session_state[INCOMING_QUERY] = {k: st.query_params.get_all(k) for k in st.query_params}
    url = UrlState(st.session_state[INCOMING_QUERY], st.session_state)
    view = View()
    with st.sidebar:
        st.header(t("Filters"))
        if not datasets:
            st.caption(t("No data yet: upload a file on the Data page."))
            view.warnings = url.finish()
            linked = st.session_state[INCOMING_QUERY].get("dataset")
            if linked:  # a link to data the user cannot see (the link stays as it came)
                view.missing_dataset = _link_refusal(store, linked[-1])
            else:
                st.query_params.from_dict(query_string_values(st.session_state,
                                                              [LANGUAGE_KEY]))
            return view

        ids = [d.id for d in datasets]
        by_id = {d.id: d for d in datasets}
        pending = st.session_state.pop(SELECT_DATASET, None)
        if pending in by_id:  # a page asked to show this dataset (e.g. after an upload)
            _reset_filters()
            st.session_state["dataset"] = pending
        url.seed("dataset", ids[0], parse_text, t("dataset"))
        _check_dataset_exists(store, by_id)
        # No choice only while a missing dataset is explained: a choice cannot be cleared.
        st.selectbox(t("Dataset"), ids, key="dataset", format_func=lambda i: by_id[i].name,
                     index=None if st.session_state["dataset"] is None else 0,
                     placeholder=t("Choose a dataset"), on_change=callback(_reset_filters))
        if st.session_state["dataset"] is None:  # say why, and let the user choose
            view.missing_dataset = st.session_state[MISSING_DATASET]
            view.datasets = datasets
            view.warnings = url.finish()
            return view
        dataset = by_id[st.session_state["dataset"]]
        st.session_state[SHOWN_DATASET] = (dataset.id, dataset.name)
        span = _span(dataset)
        assert span is not None
        first, last = span

        url.seed("period", "month", parse_choice(PERIODS), t("granularity"))
        st.radio(t("Granularity"), PERIODS, key="period", horizontal=True,
                 format_func=lambda p: t(PERIOD_NAMES[p]))

        url.seed("start", first, parse_date, t("start date"))
        url.seed("end", last, parse_date, t("end date"))
        if "dates" not in st.session_state:
            start, end = clamp_range(st.session_state["start"], st.session_state["end"],
                                     first, last)
            if (start, end) != (st.session_state["start"], st.session_state["end"]):
                st.session_state["_url_warnings"].append(
                    t("The link's dates fall outside the data ({first} to {last}), so they were "
                      "moved inside it.", first=format_day(first), last=format_day(last)))
            st.session_state["dates"] = (start, end)
        dates = st.date_input(t("Date range"), key="dates", min_value=first, max_value=last,
                              format="DD.MM.YYYY",
                              help=t("Whole periods are shown: a range starting mid-month "
                                     "shows that whole month."))
        if isinstance(dates, tuple) and len(dates) == 2:
            st.session_state["start"], st.session_state["end"] = dates
        st.caption(whole_periods(st.session_state["period"], st.session_state["start"],
                                 st.session_state["end"]))

        suggested = services.suggested_window(dataset) if "orders" in dataset.tables else None
        url.seed("w", DEFAULT_INACTIVITY_DAYS,
                 parse_int(MIN_INACTIVITY_DAYS, MAX_INACTIVITY_DAYS), t("inactivity window"))
        st.number_input(
            t("Inactivity window W (days)"), min_value=MIN_INACTIVITY_DAYS,
            max_value=MAX_INACTIVITY_DAYS, step=1, key="w",
            help=t("A customer without an order for more than W days has left the customer "
                   "base.") + (" " + _suggestion(suggested) if suggested else ""),
        )

        view.benchmarks = services.benchmarks()
        sectors = [NO_INDUSTRY, *benchmark_sectors(view.benchmarks)]
        url.seed("industry", NO_INDUSTRY, parse_choice(sectors), t("industry"))
        st.selectbox(t("Compare with industry"), sectors, key="industry",
                     format_func=lambda s: t("No benchmark") if s == NO_INDUSTRY else s,
                     help=t("Published industry figures (or your own targets, uploaded on the "
                            "Data page) are drawn beside your numbers, with their source."))
        view.industry = st.session_state["industry"] or None

        view.segment_options = services.segments(dataset)
        chosen: dict[str, list[str]] = {}
        if view.segment_options:
            st.subheader(t("Segments"))
        for column, values in view.segment_options.items():
            key = _segment_key(column)
            none_chosen: list[str] = []
            url.seed(key, none_chosen, parse_values(values),
                     t("segment “{column}”", column=segment_label(column)))
            chosen[column] = st.multiselect(plain(segment_label(column)), values, key=key,
                                            placeholder=t("All"))

    view.warnings = url.finish()
    keys = [*GLOBAL_KEYS, *(_segment_key(c) for c in view.segment_options)]
    st.query_params.from_dict(query_string_values(st.session_state, keys))
    view.dataset = dataset
    view.filters = Filters(
        period=st.session_state["period"],
        start=st.session_state["start"],
        end=st.session_state["end"],
        segments=Filters.segment_items(chosen),
        inactivity_days=int(st.session_state["w"]),
    )
    return view


def _check_dataset_exists(store: Store, by_id: dict[str, Dataset]) -> None:
    """A dataset the session asks for that is not there (a link's unknown id, one outside
    the user's workspaces, or the one shown until another session deleted it) is not
    swapped silently for another: no dataset is chosen, and the sentence saying why is
    kept for the page."""
    chosen = st.session_state["dataset"]
    if chosen is not None and chosen not in by_id:
        _reset_filters()
        shown = st.session_state.get(SHOWN_DATASET)
        st.session_state[MISSING_DATASET] = (
            t("The dataset “{name}” has been deleted: choose one of the datasets below.",
              name=shown[1]) if shown is not None and shown[0] == chosen else
            _link_refusal(store, chosen))
        st.session_state["dataset"] = None
    elif chosen is None and MISSING_DATASET not in st.session_state:
        st.session_state["dataset"] = next(iter(by_id))  # nothing to explain: the newest


def _link_refusal(store: Store, dataset_id: str) -> str:
    """Why a link's dataset is not shown, as ``metrics`` says when asked for it: to a user,
    that they have no access (whether it is another workspace's or none at all, naming
    neither); to the administrator, that it does not exist."""
    try:
        store.dataset(dataset_id)
    except AccessDenied as error:
        return error.message + " " + t("Choose one of your datasets below.")
    except DatasetNotFound:
        pass
    return t("The link's dataset “{dataset}” does not exist (it may have been deleted): "
             "choose one of the datasets below.", dataset=dataset_id)


# Why a suggested W is shorter than the data's gaps: W's input cannot hold more.
CAPPED_SUGGESTION = (N_("Suggested for this data: {days} days, the longest W there is: 9 in 10 "
                        "repeat purchases come within {gap} days, longer than W can be."))


def capped_suggestion(suggested: SuggestedWindow) -> str:
    """The sentence for a suggested W capped at the longest W: why it is not the gap."""
    return t(CAPPED_SUGGESTION, days=format_value(suggested.days, "days", None),
             gap=format_value(suggested.gap_days, "days", None))


def _suggestion(suggested: SuggestedWindow) -> str:
    if suggested.capped:
        return capped_suggestion(suggested)
    return t("Suggested for this data: {days} days (9 in 10 repeat purchases come sooner).",
             days=suggested.days)


# What the date range shows, by granularity: the metrics count whole periods.
WHOLE_PERIODS = {
    "week": N_("Shows whole weeks: {first} to {last}."),
    "month": N_("Shows whole months: {first} to {last}."),
    "quarter": N_("Shows whole quarters: {first} to {last}."),
    "year": N_("Shows whole years: {first} to {last}."),
}
WHOLE_PERIOD = N_("Shows the whole of {period}.")


def whole_periods(period: Period, start: date, end: date) -> str:
    """The periods a date range shows, named: every metric widens the range to whole
    periods (a range from 15 March shows all of March). Weeks by their first and last day."""
    first_index, last_index = period_index(period, start), period_index(period, end)
    first = period_start_of_index(period, first_index)
    if period == "week":
        last_day = period_start_of_index(period, last_index + 1) - timedelta(days=1)
        return t(WHOLE_PERIODS[period], first=format_day(first), last=format_day(last_day))
    if first_index == last_index:
        return t(WHOLE_PERIOD, period=period_label(period, first))
    return t(WHOLE_PERIODS[period], first=period_label(period, first),
             last=period_label(period, period_start_of_index(period, last_index)))


def select_dataset(dataset_id: str) -> None:
    """Show this dataset from the next run on (the sidebar's widget is already drawn)."""
    st.session_state[SELECT_DATASET] = dataset_id


def page_url_state() -> UrlState:
    """URL state for a page's own widgets, read from the URL as it arrived this run."""
    return UrlState(st.session_state.get(INCOMING_QUERY, {}), st.session_state)


def seed_from_url(key: str, default: T, parse: Callable[[Sequence[str]], T], what: str,
                  options: Collection[object] | None = None) -> None:
    """Give a page widget its value from the link (once a session), else ``default``, and
    show a warning when the link's value cannot be used. With ``options``, a remembered
    value no longer among them (e.g. after a dataset change) is dropped first."""
    if options is not None and st.session_state.get(key) not in options:
        st.session_state.pop(key, None)
    url = page_url_state()
    url.seed(key, default, parse, what)
    for warning in url.finish():
        show_warning(warning)


def segment_split(key: str, label: str, nothing: str, view: View, what: str) -> str | None:
    """A selectbox of the segment to split a view by (in the URL); ``None``: no split."""
    splits = ["", *view.segment_options]
    seed_from_url(key, "", parse_choice(splits), what, options=splits)
    st.selectbox(label, splits, key=key,
                 format_func=lambda k: nothing if k == "" else segment_label(k))
    return st.session_state[key] or None


def publish(keys: list[str]) -> None:
    """Add page-level widget values (e.g. the chosen metric) to the URL."""
    for key, value in query_string_values(st.session_state, keys).items():
        st.query_params[key] = value


def _span(dataset: Dataset) -> tuple[date, date] | None:
    """The dates the sidebar offers: the orders', else those of every table the dataset
    holds (a dataset may hold only survey responses); None when nothing is dated."""
    orders = dataset.tables.get("orders")
    if orders is not None and orders.first_date and orders.last_date:
        return orders.first_date, orders.last_date
    firsts = [i.first_date for i in dataset.tables.values() if i.first_date]
    lasts = [i.last_date for i in dataset.tables.values() if i.last_date]
    return (min(firsts), max(lasts)) if firsts and lasts else None


# What to upload when a page needs a kind of data the dataset does not have.
NEEDS = {
    "orders": N_("This page needs orders: open the Data page and upload an orders file into "
                 "the dataset “{name}”."),
    "responses": N_("This page needs survey responses: open the Data page and upload a survey "
                    "export (a date and a 0-10 score, CSAT or CLI answers) into the dataset "
                    "“{name}”."),
}


def page_data(title: str, needs: str | None = None) -> tuple[View, Dataset, Filters] | None:
    """Title a page and hand it the view, dataset and filters it shows; without data, or
    without the kind of data the page ``needs``, say how to get some (None)."""
    view: View = st.session_state.get("view", View())
    st.title(title)
    if view.missing_dataset is not None:
        show_warning(view.missing_dataset)
        for dataset in view.datasets:
            st.button(plain(dataset.name), key=f"open_dataset_{dataset.id}",
                      on_click=callback(select_dataset), args=(dataset.id,))
        return None
    if view.dataset is None or view.filters is None:
        st.info(t("There is no data yet. Open the Data page to upload an orders file, or run "
                  "`make run`, which loads the demo data."))
        return None
    if needs is not None and needs not in view.dataset.tables:
        st.info(plain(t(NEEDS[needs], name=view.dataset.name)), icon=":material/info:")
        return None
    return view, view.dataset, view.filters
