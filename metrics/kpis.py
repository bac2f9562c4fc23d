"""KPIs per period from a dataset's orders: the customer base, retention, churn, revenue.

One query computes every KPI of every period for one filter state (``sql/kpis.sql``, or
``sql/kpis_from_history.sql`` from the purchase history stored at ingest, with the rows of
``sql/kpi_rows.sql``); the Overview page, the CLI and the tests all call :func:`kpi_table`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from metrics.definitions import BASE_COUNTS, KPIS, METRICS
from metrics.errors import InputError
from metrics.query.filters import (
    MAX_INACTIVITY_DAYS,
    MIN_INACTIVITY_DAYS,
    Filters,
    orders_span,
    period_range,
)
from metrics.query.orders import narrowed_orders_query, orders_query
from metrics.query.run import query_columns_rows, query_frame, query_row
from metrics.query.segments import customer_groups_query, history_holds
from metrics.query.splits import SPLIT_COLUMNS, Split, split_by
from metrics.query.sql import (
    SQL_DIR,
    Period,
    add_days_sql,
    days_between_sql,
    integer_series_sql,
    load_sql,
    parameters_used,
    period_end_sql,
    period_index,
    period_index_sql,
    period_start_of_index,
    period_start_sql,
    piece,
    with_ctes,
)
from metrics.query.stored_pages import (
    STORED_KPIS,
    page_key,
    stored_kpi_query,
    stored_pieces_query,
)
from metrics.store import Dataset, Store

if TYPE_CHECKING:  # imported where a table is made: the CLI's kpis prints rows without it
    import pandas as pd

# The columns of the rows of ``sql/kpi_rows.sql`` before the KPI pieces'.
ROW_COLUMNS: tuple[str, ...] = (
    "period_start", "period_end", "start_customers", "new_customers", "end_customers",
    "retained_customers", "churned_customers", "lost_customers", "active_customers", "orders",
    "revenue", "refunds", "aov", "repeat_purchase_rate", "retention_rate", "churn_rate",
    "strict_retention_rate", "complete", "repeat_customers", "order_value_sd",
    "returning_customers", "resurrected_customers", "dormant_customers",
)

# KPI pieces: ``sql/kpi_piece_<name>.sql`` holds CTEs over the orders ending in the CTE
# ``<name>``, one row per ``period_index`` with a column named by the id of each KPI it
# computes. Both KPI queries take every piece and ``sql/kpi_rows.sql`` joins them by period;
# the KPI table gets a column for each KPI of the registry (metrics.definitions.KPIS, and
# the sums behind them in BASE_COUNTS) that its rows lack. So a new KPI is one piece and one
# registry entry (README, "Adding a metric").
KPI_PIECES: tuple[str, ...] = tuple(sorted(
    path.stem.removeprefix("kpi_piece_") for path in SQL_DIR.glob("kpi_piece_*.sql")))
PIECE_COLUMNS: tuple[str, ...] = tuple(
    m.id for m in BASE_COUNTS + KPIS if m.id not in ROW_COLUMNS)
KPI_COLUMNS: tuple[str, ...] = ROW_COLUMNS + PIECE_COLUMNS


# The longest period of each granularity, in days.
LONGEST_PERIOD_DAYS = {"week": 7, "month": 31, "quarter": 92, "year": 366}


def _lapsed_inside_pieces(filters: Filters, split: Split) -> dict[str, str]:
    """The CTE ``lapsed_inside`` of ``sql/kpis_from_history.sql``: customers whose spell in
    the base ends inside a period in which they buy. That needs the day after the window
    (d + W + 1) to fall in d's own period, so with W + 1 at least the longest period it
    is empty, and the query needs neither the customer ids nor the pairing."""
    if filters.inactivity_days + 1 >= LONGEST_PERIOD_DAYS[filters.period]:
        return {"customer_column": "", "lapsed_inside": (
            "lapsed_inside AS (\n    -- empty: W + 1 is at least the longest period\n"
            f"    SELECT {split.columns:null}CAST(NULL AS BIGINT) AS period_index, "
            "CAST(0 AS BIGINT) AS customers\n    WHERE FALSE\n)")}
    return {"customer_column": "customer_id,", "lapsed_inside": load_sql(
        "kpis_lapsed_inside").strip().format(
            split=split.columns, split_labelled=split.labelled,
            split_values_placed=split.placed_values, split_grouping=split.grouping)}


def period_out_sql(period: Period, day_expr: str) -> str:
    """SQL for the first period whose E (the base on its measuring day) no longer holds a
    customer who is out of the base from the day ``day_expr`` on.

    E is measured on a period's last day, except in the period the data stops inside:
    there on the data's last day (``$data_last_day``), since nobody can be seen buying
    after it. A day out after the data's last day keeps the customer in that period's E
    (DESIGN.md "Metric definitions"; a rate is never computed on days without data).
    """
    index = period_index_sql(period, day_expr)
    return (f"CASE WHEN {day_expr} > $data_last_day "
            f"THEN GREATEST({index}, $data_last_index + 1) ELSE {index} END")


def _piece_joins(names: tuple[str, ...] = KPI_PIECES) -> dict[str, str]:
    """The placeholders of ``sql/kpi_rows.sql`` that join each KPI piece by period and add
    its KPIs to the final SELECT (as DOUBLE: the pieces' KPIs are rates and amounts). A
    period a piece has no row for has no rate (NULL) and sums of nothing (0)."""
    columns = "".join(
        f",\n    CAST({column} AS DOUBLE) AS {column}" if METRICS[column].unit == "percent"
        else f",\n    COALESCE(CAST({column} AS DOUBLE), 0) AS {column}"
        for column in PIECE_COLUMNS if names)
    joins = "\n".join(f"LEFT JOIN {name} ON {name}.period_index = b.period_index"
                       for name in names)
    return {"piece_columns": columns, "piece_joins": joins}


def kpi_query(dataset: Dataset, filters: Filters,
              customers: tuple[str, dict[str, Any]] | None = None,
              split: tuple[str, ...] = (), *, stored_pieces: bool = True
              ) -> tuple[str, dict[str, Any]]:
    """The KPI SQL for a filter state and the parameters it binds, as :func:`kpi_table`
    runs it; ``customers`` (a condition on ``customer_id`` and its parameters) narrows it
    to whole customers, as :func:`group_condition` makes for one value of a split.

    From the purchase history stored with the orders when the filters keep whole customers
    (scans of the orders), else from the orders themselves; both give the same table.
    ``split`` (segment keys; only from the stored history) splits every row by each of
    them at once (:func:`kpi_split_table`): the rows of :data:`ROW_COLUMNS` after
    ``segment`` and ``group_value``, without the KPI pieces.

    At an inactivity window whose KPI table is not stored for the period, the KPI pieces
    (which do not depend on W) are read from a KPI table stored for it at another window
    when one answers the filters (:func:`metrics.query.stored_pages.stored_pieces_query`;
    not with ``stored_pieces=False``, as the page tables are built): revenue retention,
    a customer's revenue in each period joined to the period before, was about half of
    the query's processor time. At a stored window it is the query that computed the
    stored table (whose fingerprint is this text).
    """
    p = filters.period
    if split and not history_holds(dataset, filters):
        raise ValueError("a KPI query split by several segments needs the stored history")
    splitting = split_by(dataset, filters, split)
    piece_names = () if split else KPI_PIECES
    piece_sql = [load_sql(f"kpi_piece_{name}") for name in piece_names]
    stored_params: dict[str, Any] = {}
    if history_holds(dataset, filters):
        events = [load_sql("kpis_from_history")]
        pieces = {
            "period_of_previous_purchase": period_index_sql(p, "previous_purchase_on"),
            "period_of_next_purchase": period_index_sql(p, "next_purchase_on"),
            "period_out_after_previous_purchase": period_out_sql(
                p, add_days_sql("previous_purchase_on", "$inactivity_days + 1")),
            "period_out_after_order": period_out_sql(
                p, add_days_sql("order_date", "$inactivity_days + 1")),
            "split_values": splitting.values, "split_joins": splitting.joins,
            "split_labelled": splitting.labelled, "split_grouping": splitting.grouping,
            "split_values_placed": splitting.placed_values,
            **_lapsed_inside_pieces(filters, splitting),
        }
        if split:
            events.append(load_sql("kpi_split_groups"))
        stored = (_stored_pieces(dataset, filters, pieces)
                  if stored_pieces and piece_names and customers is None else None)
        if stored is not None:
            piece_names, piece_sql, stored_params = (STORED_PIECES,), [stored[0]], stored[1]
    else:
        events = [load_sql("kpis"), load_sql("lifecycle")]
        pieces = {
            "days_since_previous_purchase": days_between_sql(
                "LAG(order_date) OVER (PARTITION BY customer_id ORDER BY order_date)",
                "order_date"),
            "period_of_spell_start": period_index_sql(p, "first_day"),
            "period_after_spell": period_out_sql(
                p, add_days_sql("last_purchase", "$inactivity_days + 1")),
        }
    sql, params = narrowed_orders_query(
        with_ctes(*events, *piece_sql, load_sql("kpi_rows")), dataset, filters, customers,
        {**_piece_joins(piece_names), "split": splitting.columns,
         "period_series": integer_series_sql("low", "$last_index", "period_index"),
         "period_start": period_start_sql(p, "b.period_index"),
         "period_end": period_end_sql(p, "b.period_index"),
         **pieces})
    return sql, params | _rows_read(dataset, filters) | splitting.params | stored_params | {
        "inactivity_days": filters.inactivity_days}


# The CTE of sql/stored_kpi_pieces.sql, joined by sql/kpi_rows.sql in place of the pieces.
STORED_PIECES = "stored_pieces"


def _stored_pieces(dataset: Dataset, filters: Filters, pieces: dict[str, str]
                   ) -> tuple[str, dict[str, Any]] | None:
    """The KPI pieces' columns read from a KPI table stored for the period at another
    window (sql/stored_kpi_pieces.sql) and its parameters, or None: the filters' own
    window is stored for the period (its stored table answers them, or the query runs as
    it did to store it), no stored table answers them, or a piece depends on W."""
    orders = dataset.tables.get("orders")
    own = page_key(STORED_KPIS, filters.period, filters.inactivity_days)
    if orders is None or own in orders.page_aggregates or not _window_free(pieces):
        return None
    return stored_pieces_query(dataset, filters, PIECE_COLUMNS,
                               lambda whole: kpi_query(dataset, whole, stored_pieces=False)[0])


def _window_free(pieces: dict[str, str]) -> bool:
    """Whether no KPI piece depends on the inactivity window: none binds
    ``$inactivity_days``, in its text or through a placeholder filled with an expression
    that binds it (``pieces``). A piece computes from the orders (it serves both KPI
    queries, which share no other CTE of the orders), so W reaches it no other way."""
    carrying = [name for name, value in pieces.items()
                if "inactivity_days" in parameters_used(value)]
    for name in KPI_PIECES:
        text = load_sql(f"kpi_piece_{name}")
        if "inactivity_days" in parameters_used(text) or any(
                "{" + placeholder + "}" in text for placeholder in carrying):
            return False
    return True


def _rows_read(dataset: Dataset, filters: Filters) -> dict[str, date]:
    """``$rows_from`` and ``$rows_to``: the orders the range's rows need, read by
    ``sql/kpis_from_history.sql`` and the KPI pieces (the general query, sql/kpis.sql,
    reads every order: a spell starts with the purchases before it). A purchase on day d
    keeps its customer in the base until the period holding d + W + 1 at the latest, so a
    purchase more than W + 1 days before the range's first period adds to the base only
    before the range's S; the period before the range is read whole (its last orders make
    the first period's dormant customers, its revenue the base of the first period's
    revenue retention); nothing after the range's last day counts."""
    first_index, last_index = period_range(filters, *orders_span(dataset))
    p = filters.period
    first_day = period_start_of_index(p, first_index)
    rows_from = min(period_start_of_index(p, first_index - 1),
                    first_day - timedelta(days=filters.inactivity_days + 1))
    return {"rows_from": rows_from,
            "rows_to": period_start_of_index(p, last_index + 1) - timedelta(days=1)}


def kpi_table(store: Store, dataset: Dataset, filters: Filters, by: str | None = None
              ) -> pd.DataFrame:
    """Every KPI for every period of the filter's date range, oldest first.

    Parameters
    ----------
    store
        The database holding the dataset.
    dataset
        The dataset (its orders table is used).
    filters
        Period, date range (widened to whole periods), segments and the inactivity
        window W.
    by
        A segment key (:func:`metrics.query.segments.segment_dimensions`): the table of
        each group of customers by their value of it (a column of the orders: the value
        of their first purchase day, :func:`metrics.query.segments.customer_groups_sql`),
        every customer in exactly one group (None: the customers without a value), so
        the groups' counts add up to the unsplit table's.

    Returns
    -------
    pandas.DataFrame
        One row per period (and group, in ``group_value`` after the dates, groups with
        most customers first) with the columns of :data:`KPI_COLUMNS`; rates are
        percents, ``None`` where their denominator is zero. ``complete`` is False for a
        period the data starts or stops inside: compare it with care.
    """
    if by is not None:
        return _split_table(store, dataset, filters, by)
    return _table(store, *kpi_source(dataset, filters))


def kpi_source(dataset: Dataset, filters: Filters) -> tuple[str, dict[str, Any]]:
    """The query of the KPI table of a filter state (:func:`kpi_table` without a split,
    :func:`kpi_rows`) and the parameters it binds: it reads the KPI table stored at
    ingest when that answers the filter state (the same query's rows, checked by its
    fingerprint: metrics/page_aggregates.py), else it is the KPI query."""
    return _stored_source(dataset, filters) or kpi_query(dataset, filters)


def _stored_source(dataset: Dataset, filters: Filters) -> tuple[str, dict[str, Any]] | None:
    return stored_kpi_query(dataset, filters, KPI_COLUMNS,
                            lambda whole: kpi_query(dataset, whole, stored_pieces=False)[0])


def covering_filters(dataset: Dataset, filters: Filters) -> Filters:
    """The filter state whose KPI table holds the rows of ``filters``' table: the same
    period, window and segments over every period from the data's first (where the
    Overview's cards, its digest and Retention start: dashboard.report.history_start) or
    the range's first, whichever is earlier, to the data's last. Views of one period and
    window (the Overview's cards and trend, its alert digest, Retention) thus share one
    KPI query, each reading its rows with :func:`rows_in_range`.

    That holds since a row of the KPI table depends on the orders before and in its period
    only, never on where the range starts, and the table has no row after the data's last
    period (``sql/stored_kpis.sql`` reads the stored tables on the same grounds). Returns
    ``filters`` itself when the stored page tables answer it (reading them costs less
    than the query over more periods) or when the covering range would hold more periods
    than one view computes (:data:`metrics.query.filters.MAX_PERIODS`).
    """
    if _stored_source(dataset, filters) is not None:
        return filters
    first, last = orders_span(dataset)
    p = filters.period
    first_index, _ = period_range(filters, first, last)
    start = period_start_of_index(p, min(first_index, period_index(p, first)))
    covering = replace(filters, start=start, end=None)
    try:
        period_range(covering, first, last)
    except InputError:
        return filters
    return covering


def rows_in_range(table: pd.DataFrame, dataset: Dataset, filters: Filters) -> pd.DataFrame:
    """The rows of ``filters``' date range (widened to whole periods) of a KPI table
    computed for a filter state that covers it (:func:`covering_filters`): the table
    :func:`kpi_table` gives for ``filters``."""
    first_index, last_index = period_range(filters, *orders_span(dataset))
    p = filters.period
    starts = table["period_start"]
    kept = ((starts >= period_start_of_index(p, first_index))
            & (starts <= period_start_of_index(p, last_index)))
    return table[kept].reset_index(drop=True)


def kpi_rows(store: Store, dataset: Dataset, filters: Filters
             ) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """:func:`kpi_table` without a split, as plain rows: no pandas, for a program that
    must start at once (the CLI's ``kpis``).

    Returns
    -------
    tuple
        :data:`KPI_COLUMNS`, and one tuple a period in their order (dates as dates,
        ``None`` where the table has a missing value), from the same query (the stored
        KPI table where it answers the filters, :func:`kpi_source`).
    """
    columns, rows = query_columns_rows(store, *kpi_source(dataset, filters))
    order = [columns.index(column) for column in KPI_COLUMNS]
    return KPI_COLUMNS, [tuple(row[i] for i in order) for row in rows]


def _table(store: Store, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    return _period_dates(query_frame(store, sql, params))[list(KPI_COLUMNS)]


def _period_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its period start and end as dates (DuckDB gives timestamps)."""
    import pandas as pd

    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    frame["period_end"] = pd.to_datetime(frame["period_end"]).dt.date
    return frame


def group_values(store: Store, dataset: Dataset, filters: Filters, by: str
                 ) -> list[str | None]:
    """The values of the split ``by`` among the customers the filters keep, most customers
    first; None stands for the customers without a value (when there are any)."""
    groups, params = customer_groups_query(dataset, by, filters)
    sql, bound = orders_query(load_sql("customer_group_values"), dataset, filters,
                              groups=groups)
    import pandas as pd

    values = query_frame(store, sql, params | bound)["group_value"]
    return [None if pd.isna(value) else str(value) for value in values]


def group_condition(dataset: Dataset, filters: Filters, by: str, value: str | None
                    ) -> tuple[str, dict[str, Any]]:
    """The customers whose value of the split ``by`` is ``value`` (None: without a value),
    as a condition on ``customer_id`` and its parameters (:func:`kpi_query`'s
    ``customers``)."""
    groups, params = customer_groups_query(dataset, by, filters)
    if value is None:
        return piece(load_sql("customer_group_without_value").format(groups=groups)), params
    return (piece(load_sql("customer_group_members").format(groups=groups)),
            params | {"group_value": value})


def kpi_split_table(store: Store, dataset: Dataset, filters: Filters, keys: tuple[str, ...]
                    ) -> pd.DataFrame:
    """The KPI rows of every value of every segment of ``keys`` in one query over the
    orders (:func:`kpi_query` split, from the stored history: the filters keep or drop
    whole customers).

    Each customer belongs to one value of each segment, as in :func:`kpi_table`'s ``by``,
    so each segment's rows add up to the unsplit table's, period by period.

    Returns
    -------
    pandas.DataFrame
        ``segment``, ``period_start``, ``period_end``, ``group_value`` and the rest of
        :data:`ROW_COLUMNS`: one row per segment, value with an order in the rows the
        range needs, and period (the KPI pieces are left out).
    """
    frame = _period_dates(query_frame(store, *kpi_query(dataset, filters, split=keys)))
    frame["group_value"] = frame["group_value"].astype(object).where(
        frame["group_value"].notna(), None)
    return frame[[SPLIT_COLUMNS[0], *ROW_COLUMNS[:2], SPLIT_COLUMNS[1], *ROW_COLUMNS[2:]]]


def _split_table(store: Store, dataset: Dataset, filters: Filters, by: str) -> pd.DataFrame:
    """:func:`kpi_table` split by ``by``: the KPI query once per group of customers."""
    import pandas as pd

    frames = []
    for value in group_values(store, dataset, filters, by):
        sql, params = kpi_query(dataset, filters, group_condition(dataset, filters, by, value))
        frame = _table(store, sql, params)
        frame.insert(2, "group_value", pd.Series([value] * len(frame), dtype=object,
                                                 index=frame.index))
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=[*KPI_COLUMNS[:2], "group_value", *KPI_COLUMNS[2:]])
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class SuggestedWindow:
    """A data-driven inactivity window W.

    ``gap_days`` is the 90th percentile of the gaps between a customer's consecutive
    purchase days, rounded up to whole weeks; ``days`` is that within the range W can take
    (:data:`MIN_INACTIVITY_DAYS` to :data:`MAX_INACTIVITY_DAYS`).
    """

    days: int
    gap_days: int

    @property
    def capped(self) -> bool:
        """The gaps are longer than the longest W, so ``days`` is that longest W."""
        return self.days != self.gap_days


def suggest_inactivity_days(store: Store, dataset: Dataset) -> SuggestedWindow | None:
    """A data-driven inactivity window: the 90th percentile of the gaps between a
    customer's consecutive purchase days, rounded up to whole weeks, and kept within the
    range of W (data spanning centuries can have longer gaps than W can be).

    Nine in ten repeat purchases come within this many days of the previous one, so a
    customer silent for longer has probably left. ``None`` without repeat purchases.
    """
    sql = load_sql("purchase_gap_quantile").format(
        orders_table=dataset.table("orders"),
        days_since_previous_purchase=days_between_sql(
            "LAG(order_date) OVER (PARTITION BY customer_id ORDER BY order_date)", "order_date"),
    )
    row = query_row(store, sql, {})
    if row[0] is None:
        return None
    gap_days = int(-(-float(row[0]) // 7) * 7)
    return SuggestedWindow(
        days=min(max(gap_days, MIN_INACTIVITY_DAYS), MAX_INACTIVITY_DAYS), gap_days=gap_days)
