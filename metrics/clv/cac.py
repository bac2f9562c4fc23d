"""Customer acquisition cost (CAC) by period and channel from the marketing spend table,
and the CLV:CAC ratio against the 3:1 rule of thumb (DESIGN.md, "Metric definitions").
One query, ``sql/cac_by_period.sql``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import pandas as pd

from metrics.clv.simple import simple_clv
from metrics.errors import InputError
from metrics.i18n import t
from metrics.query.filters import Filters
from metrics.query.orders import orders_query
from metrics.query.run import query_frame
from metrics.query.segments import segment_dimensions
from metrics.query.sql import (
    integer_series_sql,
    load_sql,
    period_end_sql,
    period_index_sql,
    period_start_sql,
    quote_ident,
    with_ctes,
)
from metrics.store import Dataset, Store

# CLV at least three times CAC: David Skok, "SaaS Metrics 2.0" (forEntrepreneurs), the
# rule of thumb in data/benchmarks (a rule of thumb for SaaS, not a law).
RULE_OF_THUMB = 3.0

ChannelSource = Literal["orders", "customers"]
CAC_COLUMNS = (
    "period_start", "period_end", "channel", "spend", "new_customers", "cac", "complete",
)
CAC_TOTAL_COLUMNS = ("channel", "periods", "spend", "new_customers", "cac")
RATIO_COLUMNS = ("clv", "clv_cac_ratio", "meets_rule_of_thumb")


def acquisition_channel_source(dataset: Dataset) -> ChannelSource | None:
    """Where a new customer's acquisition channel comes from: ``"orders"`` when the orders
    have a channel column (the channel of the first purchase), else ``"customers"`` when
    the customers table has an acquisition channel; ``None``: CAC has no channel split."""
    orders = dataset.tables.get("orders")
    if orders is not None and "channel" in orders.mapping:
        return "orders"
    customers = dataset.tables.get("customers")
    if customers is not None and "acquisition_channel" in customers.mapping:
        return "customers"
    return None


def _acquisition_channels_sql(dataset: Dataset, source: ChannelSource | None) -> str:
    """The query of each customer's acquisition channel (sql/cac_channels_*.sql)."""
    if source == "orders":
        return load_sql("cac_channels_from_orders").format(
            orders_table=dataset.table("orders")).strip()
    if source == "customers":
        return load_sql("cac_channels_from_customers").format(
            customers_table=dataset.table("customers")).strip()
    return load_sql("cac_channels_none").strip()


def cac_query(dataset: Dataset, filters: Filters, statement: str | None = None,
              **pieces: str) -> tuple[str, dict[str, Any]]:
    """The CAC SQL for a filter state and the parameters it binds, as
    :func:`customer_acquisition_cost` runs it; see there for what it computes.

    ``statement`` (a final SELECT over the CTEs ``acquired`` and ``spend`` of
    ``sql/cac_lines.sql``, its placeholders filled from ``pieces``) replaces the CAC's
    own: the lines behind it (:mod:`metrics.explain.clv`)."""
    spend = dataset.tables.get("spend")
    if spend is None:
        raise InputError(
            t("The dataset “{name}” has no marketing spend: upload a spend file (date, "
              "amount, optional channel) on the Data page to see the acquisition cost.",
              name=dataset.name))
    source = acquisition_channel_source(dataset)
    p = filters.period
    # spend by channel is only comparable with new customers by channel
    spend_channel = (quote_ident("channel") if source and "channel" in spend.mapping
                     else "CAST(NULL AS VARCHAR)")
    # segment filters are left out (Filters() has none): the spend cannot be split by them
    lines = load_sql("cac_lines")
    template = (with_ctes(lines, load_sql("cac_by_period")) if statement is None
                else with_ctes(lines, query=statement))
    sql, params = orders_query(
        template, dataset, Filters(period=p, start=filters.start,
                                                    end=filters.end),
        spend_table=dataset.table("spend"),
        spend_channel=spend_channel,
        acquisition_channels=_acquisition_channels_sql(dataset, source),
        period_of_first_day=period_index_sql(p, "f.first_day"),
        period_of_spend_date=period_index_sql(p, "spend_date"),
        period_series=integer_series_sql("$first_index", "$last_index", "period_index"),
        period_start=period_start_sql(p, "period_index"),
        period_end=period_end_sql(p, "period_index"),
        **pieces,
    )
    return sql, params


def customer_acquisition_cost(store: Store, dataset: Dataset, filters: Filters
                              ) -> pd.DataFrame:
    """CAC = marketing spend / new customers, per period and per acquisition channel.

    Parameters
    ----------
    store, dataset, filters
        The data and the filter state: ``period`` and the date range (widened to whole
        periods, as on every page). Segment filters are not applied: the spend table has
        no segments, and spend over a segment's new customers only would overstate its
        cost; the channel rows are the like-for-like split.

    Returns
    -------
    pandas.DataFrame
        Per period, oldest first, one row for all channels (``channel`` None) then one per
        channel, with :data:`CAC_COLUMNS`:

        - ``spend``: the period's marketing spend (all rows, including spend without a
          channel, in the all-channels row); None when the spend table has no row in the
          period (unknown, not 0); 0 for a channel without spend in a period that has
          other spend;
        - ``new_customers``: customers whose first purchase (refunds are not purchases)
          is in the period, all or of that acquisition channel;
        - ``cac`` = spend / new_customers, None without new customers (or spend);
        - ``complete``: the orders cover the whole period.

        A new customer's channel is their first purchase's channel when the orders have
        a channel column, else the customers table's acquisition channel
        (:func:`acquisition_channel_source`); without either, only the all-channels rows
        are returned. Channels match whatever their case; a customer without one counts
        in the all-channels row only.

    Raises
    ------
    InputError
        No spend table, no orders, or no new customer in the whole range.
    """
    sql, params = cac_query(dataset, filters)
    frame = query_frame(store, sql, params)
    everyone = frame[frame["channel"].isna()]
    if everyone["new_customers"].sum() == 0:
        raise InputError(
            t("No customer made a first purchase in the chosen dates, so there is no "
              "acquisition cost to compute: widen the date range."))
    for column in ("period_start", "period_end"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    frame["channel"] = frame["channel"].astype(object).where(frame["channel"].notna(), None)
    return frame[list(CAC_COLUMNS)].reset_index(drop=True)


def cac_totals(cac: pd.DataFrame) -> pd.DataFrame:
    """CAC over the whole range, all channels and per channel, from
    :func:`customer_acquisition_cost`.

    Only periods with known spend count (spend and new customers alike), so customers
    acquired while the spend data says nothing do not make the cost look lower.

    Returns
    -------
    pandas.DataFrame
        One row per channel (None first: all channels, then the channels in the order
        of the CAC table) with :data:`CAC_TOTAL_COLUMNS`:
        ``periods`` (how many count), ``spend``, ``new_customers``, ``cac`` (None without
        new customers).
    """
    known = cac[cac["spend"].notna()]
    rows = []
    for channel in [None, *dict.fromkeys(c for c in cac["channel"] if c is not None)]:
        part = known[known["channel"].isna()] if channel is None else known[
            known["channel"] == channel]
        spend = float(part["spend"].sum())
        new = int(part["new_customers"].sum())
        rows.append({"channel": channel, "periods": len(part), "spend": spend,
                     "new_customers": new, "cac": spend / new if new else None})
    totals = pd.DataFrame(rows, columns=list(CAC_TOTAL_COLUMNS))
    for column in ("channel", "cac"):  # None stays None, not NaN
        totals[column] = pd.Series([row[column] for row in rows], dtype=object)
    return totals


def _channel_key(channel: object) -> str | None:
    if channel is None or (isinstance(channel, float) and math.isnan(channel)):
        return None
    return str(channel).strip().casefold()


def clv_cac_ratio(cac: pd.DataFrame,
                  clv: float | Mapping[str | None, float | None] | pd.DataFrame,
                  rule_of_thumb: float = RULE_OF_THUMB) -> pd.DataFrame:
    """The CLV:CAC ratio of each row of a CAC table, against the 3:1 rule of thumb.

    A customer should bring back at least three times what acquiring them cost (David
    Skok, "SaaS Metrics 2.0"): below 3 the acquisition spend is hard to recover, well
    above it growth may be underfunded.

    Parameters
    ----------
    cac
        :func:`customer_acquisition_cost` (per period) or :func:`cac_totals` (whole
        range): rows with ``channel`` (None: all channels) and ``cac``.
    clv
        One CLV for every row; or a CLV per channel (``{channel: clv}``, the key None
        for the all-channels row), or a frame with ``group_value`` and ``clv`` such as
        :func:`metrics.clv.simple.simple_clv` with ``by`` the channel segment (None: the
        overall row). Channels match whatever their case; a row without a CLV of its
        channel gets None.
    rule_of_thumb
        The ratio a healthy acquisition reaches.

    Returns
    -------
    pandas.DataFrame
        ``cac`` with :data:`RATIO_COLUMNS` added: ``clv``, ``clv_cac_ratio`` = clv / cac
        (None when either is missing or CAC is 0) and ``meets_rule_of_thumb`` (ratio >=
        ``rule_of_thumb``; None without a ratio).
    """
    if isinstance(clv, pd.DataFrame):
        clv = dict(zip(clv["group_value"], clv["clv"], strict=True))
    if isinstance(clv, Mapping):
        by_key = {_channel_key(k): v for k, v in clv.items()}
        values = [by_key.get(_channel_key(c)) for c in cac["channel"]]
    else:
        values = [clv] * len(cac)
    clvs: list[float | None] = [
        None if v is None or math.isnan(float(v)) else float(v) for v in values]
    ratios: list[float | None] = []
    for value, cost in zip(clvs, cac["cac"], strict=True):
        usable = cost is not None and not math.isnan(float(cost)) and float(cost) != 0
        ratios.append(value / float(cost) if value is not None and usable else None)
    verdicts = [None if r is None else r >= rule_of_thumb for r in ratios]
    return cac.assign(clv=pd.Series(clvs, index=cac.index, dtype=object),
                      clv_cac_ratio=pd.Series(ratios, index=cac.index, dtype=object),
                      meets_rule_of_thumb=pd.Series(verdicts, index=cac.index, dtype=object))


def channel_segment(dataset: Dataset) -> str | None:
    """The segment key that splits customers by acquisition channel, as the CAC does
    (:func:`acquisition_channel_source`); None when the data has no such segment."""
    key = {"orders": "channel", "customers": "customers.acquisition_channel"}.get(
        acquisition_channel_source(dataset) or "")
    return key if key in segment_dimensions(dataset) else None


def clv_cac_table(store: Store, dataset: Dataset, filters: Filters,
                  gross_margin: float | None = None) -> pd.DataFrame:
    """CLV:CAC over the whole range, all channels and per channel, as the CLV page shows
    it: :func:`cac_totals` with each channel's simple CLV (the overall one for all
    channels).

    Parameters
    ----------
    store, dataset, filters
        The data and the filter state (see :func:`customer_acquisition_cost` and
        :func:`metrics.clv.simple.simple_clv`).
    gross_margin
        The margin of the simple CLV (None: revenue CLV).

    Returns
    -------
    pandas.DataFrame
        :func:`clv_cac_ratio` of the totals: :data:`CAC_TOTAL_COLUMNS` and
        :data:`RATIO_COLUMNS`.
    """
    totals = cac_totals(customer_acquisition_cost(store, dataset, filters))
    overall = simple_clv(store, dataset, filters, gross_margin=gross_margin)
    clv: dict[str | None, float | None] = {
        None: float(overall["clv"].iloc[0]) if len(overall) else None}
    key = channel_segment(dataset)
    if key is not None:
        per_channel = simple_clv(store, dataset, filters, by=key, gross_margin=gross_margin)
        clv |= dict(zip(per_channel["group_value"], per_channel["clv"], strict=True))
    return clv_cac_ratio(totals, clv)
