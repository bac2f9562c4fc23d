"""The report of a view: each page's KPI cards, charts (the figures the pages draw, as images)
and key tables, in words, for :mod:`metrics.report` to write as HTML or PDF.

No ``st.`` here: the dashboard's "Download report" button and ``loyaltylens report`` both
call :func:`build_report`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd
import plotly.graph_objects as go

from dashboard.chart_images import captioned, chart_image
from dashboard.chart_notes import draw_notes
from dashboard.charts import trend_chart
from dashboard.clv_charts import historic_chart
from dashboard.formatting import format_change, format_day, format_value, period_label
from dashboard.retention_charts import cohort_heatmap, lifecycle_chart, rates_chart
from dashboard.satisfaction_charts import nps_trend_chart
from dashboard.segments_charts import rfm_treemap
from dashboard.view_summary import ViewSummary
from metrics.annotations import Annotation, list_annotations
from metrics.benchmarks import Benchmark, Comparison, all_benchmarks, compare
from metrics.clv.historic import historic_clv
from metrics.clv.simple import simple_clv
from metrics.definitions import KPIS, LIFECYCLE, METRICS, REGISTRY, Metric
from metrics.errors import InputError
from metrics.i18n import language, t
from metrics.kpis import kpi_table
from metrics.query.filters import Filters, orders_span
from metrics.query.sql import Period, period_index, period_start_of_index
from metrics.report import Card, Chart, Report, Section, Table
from metrics.report.builder import REPORT_PAGES
from metrics.retention import cohort_average, cohort_table, lifecycle_table, retention_table
from metrics.rfm import rfm_summary
from metrics.satisfaction import nps_table
from metrics.significance import caption, change_test
from metrics.store import Dataset, Store

PAGES = REPORT_PAGES
# Each page's title on screen and its address on the server (the router's st.Page files).
PAGE_TITLES = {"overview": "Overview", "retention": "Retention", "clv": "Lifetime value",
               "segments": "Segments", "satisfaction": "Satisfaction"}
PAGE_PATHS = {"overview": "", "retention": "retention", "clv": "clv", "segments": "segments",
              "satisfaction": "satisfaction"}
# The table each page needs (the Satisfaction page reads the survey responses).
PAGE_TABLES = {"satisfaction": "responses"}
HISTORIC_COHORT_LINES = 12
# The cohort heatmap's rows and columns that stay readable across an A4 page.
HEATMAP_COHORTS = 24
HEATMAP_PERIODS = 12


def default_period(shown: pd.DataFrame) -> date:
    """The period a view opens on: the latest complete one with orders (a whole period,
    compared with the one before), else the latest with orders. A period without orders
    (a gap in the data, or a last period of a day or two) would open on zeros."""
    with_orders = shown[shown["orders"] > 0]
    complete = with_orders[with_orders["complete"].astype(bool)]
    chosen = complete if not complete.empty else with_orders if not with_orders.empty else shown
    return chosen["period_start"].iloc[-1]


def history_start(period: Period, first_shown: date, first_order: date) -> date:
    """First day of the cards' history: the period before the first one shown (the first
    one's changes are against it), unless the first one shown is the data's first. The
    period before the data holds no orders and no customers, so nothing is compared with
    it, and a range starting there is one the KPI table stored with the orders does not
    answer (metrics.query.stored_pages): the KPI query would run over every order."""
    shown = period_index(period, first_shown)
    return period_start_of_index(
        period, shown if shown <= period_index(period, first_order) else shown - 1)


@dataclass
class _Context:
    """What every section reads, and the metrics it showed (for the definitions)."""

    store: Store
    view: ViewSummary
    at: date | None
    images: bool
    benchmarks: list[Benchmark]
    notes: list[Annotation] = field(default_factory=list)
    shown: list[Metric] = field(default_factory=list)

    @property
    def dataset(self) -> Dataset:
        return self.view.dataset

    @property
    def filters(self) -> Filters:
        return self.view.filters

    @property
    def currency(self) -> str | None:
        return self.view.dataset.currency

    def comparison(self, metric_id: str) -> Comparison | None:
        if not self.view.industry:
            return None
        return compare(self.benchmarks, self.view.industry, metric_id, self.filters.period)

    def chart(self, figure: go.Figure, caption: str) -> tuple[Chart, ...]:
        """The chart as its PNG download (title, filters, sources, the dataset's notes on
        a trend chart) with ``caption``."""
        if not self.images:
            return ()
        title = str(figure.layout.title.text or "").replace("<br>", " ")
        drawn = draw_notes(figure, self.notes)
        return (Chart(title, caption, chart_image(captioned(drawn, self.view), "png")),)

    def metric(self, metric: Metric) -> Metric:
        if metric not in self.shown:
            self.shown.append(metric)
        return metric


def build_report(store: Store, dataset: Dataset, filters: Filters, *,
                 pages: Sequence[str] = PAGES, industry: str | None = None,
                 at: date | None = None, base_url: str | None = None,
                 images: bool = True) -> Report:
    """The report of the view ``dataset`` + ``filters`` (+ ``industry``) on ``pages``.

    ``at`` is a day in the period the Overview's cards show (default: the latest complete
    period); ``base_url`` the dashboard's address, for the link reopening the view.
    """
    span = orders_span(dataset) if "orders" in dataset.tables else None
    filters = dataclasses.replace(filters, start=filters.start or (span and span[0]),
                                  end=filters.end or (span and span[1]))
    view = ViewSummary(dataset, filters, industry)
    context = _Context(store, view, at, images, all_benchmarks(store) if industry else [],
                       _notes(store, dataset, filters))
    sections = tuple(_SECTIONS[page](context) for page in pages)
    cover = (*view.filter_lines(),
             (t("Pages"), ", ".join(t(PAGE_TITLES[page]) for page in pages)))
    first = PAGE_PATHS[pages[0]] if pages else ""
    return Report(
        title=t("LoyaltyLens report: {dataset}", dataset=dataset.name), cover=cover,
        link=view.link(base_url, first) if base_url else None, sections=sections,
        definitions=tuple((m.title(), m.describe(filters.inactivity_days))
                          for m in context.shown),
        notes=tuple((format_day(note.day), note.text) for note in context.notes),
        made=t("Made on {day} at {time}.", day=format_day(date.today()),
               time=datetime.now().strftime("%H:%M")),
        language=language.get())


def _notes(store: Store, dataset: Dataset, filters: Filters) -> list[Annotation]:
    """The dataset's notes in the whole periods the report shows (its charts show whole
    periods: a range starting mid-month shows that whole month)."""
    if filters.start is None or filters.end is None:
        return list_annotations(store, dataset)
    last = period_index(filters.period, filters.end)
    return list_annotations(
        store, dataset, period_start_of_index(filters.period, period_index(filters.period,
                                                                          filters.start)),
        period_start_of_index(filters.period, last + 1) - timedelta(days=1))


def _missing(context: _Context, page: str) -> Section | None:
    """The section saying the page needs data the dataset does not have, else None."""
    needed = PAGE_TABLES.get(page, "orders")
    if needed in context.dataset.tables:
        return None
    return Section(t(PAGE_TITLES[page]), notes=(
        t("This dataset has no {table}: upload them on the Data page to see this page.",
          table=t(needed)),))


def _table(context: _Context, title: str, frame: pd.DataFrame,
           columns: dict[str, tuple[str, Callable[[object], str]]]) -> Table:
    """``frame``'s ``columns`` (column -> heading, formatter) as text, in its order."""
    rows = [tuple(fmt(row[column]) for column, (_, fmt) in columns.items())
            for _, row in frame.iterrows()]
    return Table.first_rows(title, tuple(heading for heading, _ in columns.values()), rows)


def _metric_column(context: _Context, metric_id: str) -> tuple[str, Callable[[object], str]]:
    """A table column of a registry metric: its title and its unit's formatting."""
    metric = context.metric(REGISTRY[metric_id])
    return metric.title(), lambda v: format_value(v, metric.unit, context.currency)


def _period_column(context: _Context) -> tuple[str, Callable[[object], str]]:
    return t("Period"), lambda day: period_label(context.filters.period, day)


def _overview(context: _Context) -> Section:
    if (missing := _missing(context, "overview")) is not None:
        return missing
    filters = context.filters
    assert filters.start is not None
    history = kpi_table(context.store, context.dataset, dataclasses.replace(
        filters, start=history_start(filters.period, filters.start,
                                     orders_span(context.dataset)[0])))
    shown = history[[d >= filters.start or period_index(filters.period, d) ==
                     period_index(filters.period, filters.start)
                     for d in history["period_start"]]].reset_index(drop=True)
    if shown.empty:
        return Section(t(PAGE_TITLES["overview"]), notes=(t("No orders match these filters."),))
    at = default_period(shown) if context.at is None else period_start_of_index(
        filters.period, period_index(filters.period, context.at))
    rows = history.index[history["period_start"] == at]
    if rows.empty:
        raise InputError(t("{day} is outside the report's date range: choose a period in "
                           "it.", day=format_day(context.at)))
    row = history.loc[rows[0]]
    previous = history.loc[rows[0] - 1] if rows[0] > 0 else None
    compared = previous is not None and bool(row["complete"]) and bool(previous["complete"])
    cards = tuple(_card(context, metric, row, previous if compared else None)
                  for metric in KPIS)
    intro = t("Cards: {period}, changes against {previous}.", period=period_label(
        filters.period, at), previous=period_label(filters.period, previous["period_start"])
    ) if compared and previous is not None else t("Cards: {period}, not compared (the period "
                                                  "is incomplete or the first).",
                                                  period=period_label(filters.period, at))
    trend = context.metric(METRICS["retention_rate"])
    figure = trend_chart(shown, trend.id, filters.period, context.currency,
                         context.comparison(trend.id), t("Industry: {sector}",
                                                         sector=context.view.industry or ""))
    # two tables: the twelve KPIs side by side do not fit the width of an A4 page
    counts = [m for m in KPIS if m.unit != "percent"]
    rates = [m for m in KPIS if m.unit == "percent"]
    tables = tuple(_table(context, title, shown.iloc[::-1], {
        "period_start": _period_column(context)} | {
        metric.id: _metric_column(context, metric.id) for metric in metrics})
        for title, metrics in ((t("KPIs by period: customers, orders and revenue"), counts),
                               (t("KPIs by period: rates"), rates)))
    return Section(
        t(PAGE_TITLES["overview"]), intro=intro, cards=cards,
        charts=context.chart(figure, trend.describe(filters.inactivity_days)), tables=tables)


def _card(context: _Context, metric: Metric, row: pd.Series, previous: pd.Series | None
          ) -> Card:
    context.metric(metric)
    value = row[metric.id]
    change = None if previous is None else format_change(
        value, previous[metric.id], metric, context.currency, whole=True)
    significance = None if previous is None else caption(change_test(metric, row, previous))
    return Card(metric.title(), format_value(value, metric.unit, context.currency, whole=True),
                change, metric.describe(context.filters.inactivity_days), significance)


def _retention(context: _Context) -> Section:
    if (missing := _missing(context, "retention")) is not None:
        return missing
    filters = context.filters
    table = retention_table(context.store, context.dataset, filters)
    benchmarks = [(found, t("Industry {metric}: {sector}", metric=label,
                            sector=context.view.industry or ""))
                  for metric_id, label in (("retention_rate", t("retention")),
                                           ("churn_rate", t("churn")))
                  if (found := context.comparison(metric_id)) is not None]
    lifecycle = lifecycle_table(context.store, context.dataset, filters)
    charts = context.chart(rates_chart(table, filters.period, benchmarks),
                           METRICS["retention_rate"].describe(filters.inactivity_days))
    charts += _heatmap(context)
    if not lifecycle.empty:
        charts += context.chart(lifecycle_chart(lifecycle, filters.period), " ".join(
            f"{context.metric(m).title()}: {m.describe()}" for m in LIFECYCLE))
    columns = {"period_start": _period_column(context)} | {
        column: _metric_column(context, column)
        for column in ("retention_rate", "strict_retention_rate", "churn_rate",
                       "start_customers", "new_customers", "end_customers")}
    return Section(t(PAGE_TITLES["retention"]), charts=charts,
                   tables=(_table(context, t("Retention and churn by period"),
                                  table.iloc[::-1], columns),))


def _heatmap(context: _Context) -> tuple[Chart, ...]:
    """The customer-retention heatmap of the latest cohorts, as the Retention page opens it
    (classic counting, % of the cohort), cut to what an A4 page's width reads."""
    cohorts = cohort_table(context.store, context.dataset, context.filters)
    if cohorts.empty:
        return ()
    average = cohort_average(cohorts)
    latest = sorted(cohorts["cohort"].unique())[-HEATMAP_COHORTS:]
    shown = cohorts[cohorts["cohort"].isin(latest) &
                    (cohorts["period_offset"] < HEATMAP_PERIODS)]
    figure = cohort_heatmap(shown, average[average["period_offset"] < HEATMAP_PERIODS],
                            context.filters.period, None, "customers", context.currency)
    return context.chart(figure, t(
        "Customer retention: customers of the cohort active in period k ÷ cohort size; the "
        "latest {cohorts} cohorts and their first {periods} periods.",
        cohorts=len(latest), periods=HEATMAP_PERIODS))


def _clv(context: _Context) -> Section:
    if (missing := _missing(context, "clv")) is not None:
        return missing
    filters = context.filters
    table = simple_clv(context.store, context.dataset, filters)
    columns = {"customers": (t("Customers"), lambda v: format_value(v, "customers", None))}
    columns |= {column: _metric_column(context, metric_id) for column, metric_id in (
        ("aov", "clv_aov"), ("purchases_per_year", "clv_purchases_per_year"),
        ("annual_churn_pct", "clv_annual_churn"), ("lifespan_years", "clv_lifespan"),
        ("clv", "clv_simple"))}
    curves = historic_clv(context.store, context.dataset, filters)
    charts: tuple[Chart, ...] = ()
    if not curves.empty:
        latest = sorted(curves["cohort"].unique())[-HISTORIC_COHORT_LINES:]
        curves = curves[curves["cohort"].isin(latest)].assign(line=lambda f: f["cohort"])
        charts = context.chart(
            historic_chart(curves, lambda c: period_label("month", c),  # type: ignore[arg-type]
                           context.currency),
            context.metric(REGISTRY["clv_historic"]).describe(filters.inactivity_days))
    return Section(t(PAGE_TITLES["clv"]), charts=charts,
                   tables=(_table(context, t("Simple CLV"), table, columns),))


def _segments(context: _Context) -> Section:
    if (missing := _missing(context, "segments")) is not None:
        return missing
    summary = rfm_summary(context.store, context.dataset, context.filters)
    text = lambda v: t(str(v))  # noqa: E731  (the segment names are translated)
    columns = {"segment": (t("Segment"), text)} | {
        column: (heading, lambda v, unit=unit: format_value(v, unit, context.currency))
        for column, heading, unit in (
            ("customers", t("Customers"), "customers"),
            ("share", t("Share of customers"), "percent"),
            ("revenue", t("Revenue"), "currency"),
            ("revenue_share", t("Share of revenue"), "percent"))}
    return Section(
        t(PAGE_TITLES["segments"]),
        charts=context.chart(rfm_treemap(summary, context.currency),
                             t("RFM segments: customers by recency, frequency and monetary "
                               "value.")),
        tables=(_table(context, t("RFM segments"), summary, columns),))


def _satisfaction(context: _Context) -> Section:
    if (missing := _missing(context, "satisfaction")) is not None:
        return missing
    filters = context.filters
    table = nps_table(context.store, context.dataset, filters)
    nps = context.metric(REGISTRY["nps"])
    figure = nps_trend_chart(table, filters.period, context.comparison("nps"),
                             t("Industry: {sector}", sector=context.view.industry or ""))
    columns = {"period_start": _period_column(context),
               "nps": _metric_column(context, "nps"),
               "responses": (t("Responses"), lambda v: format_value(v, "customers", None))}
    return Section(t(PAGE_TITLES["satisfaction"]), charts=context.chart(figure, nps.describe()),
                   tables=(_table(context, t("Net Promoter Score by period"),
                                  table.iloc[::-1], columns),))


_SECTIONS: dict[str, Callable[[_Context], Section]] = {
    "overview": _overview, "retention": _retention, "clv": _clv, "segments": _segments,
    "satisfaction": _satisfaction}
