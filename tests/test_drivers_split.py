"""The drivers of every segment column from one query (metrics.kpis.kpi_split_table, the
KPI query split by GROUPING SETS) against the per-column path: the KPI query once per
segment value (metrics.kpis.kpi_table's ``by``), and the drivers of a dataset stored
without the purchase history (the general query over the orders, value by value).

CDNOW with synthetic segments: ``region`` (the customer id mod 4, a planted churn in one
group as in tests/test_drivers.py), ``tier`` (changing from order to order, so the value
of the first purchase day decides, with the alphabetically first of several orders that
day; empty for one customer in seven: the group without a value) and a customers-table
``loyalty_tier`` (joined, not read from the orders).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from metrics.drivers import (
    DRIVER_METRICS,
    all_drivers,
    driver_segments,
    drivers,
    periods_compared,
    window_filters,
)
from metrics.ingest import ingest_file
from metrics.kpis import ROW_COLUMNS, kpi_split_table, kpi_table
from metrics.query.filters import Filters
from metrics.query.segments import COHORT_SPLIT, RFM_SEGMENT
from metrics.satisfaction import measures
from metrics.store import Dataset, Store
from tests.builders import cdnow_csv, write_csv
from tests.test_kpis_history import add_customer_groups, without_history

TIERS = ("bronze", "gold", "silver")
RATES = ["aov", "repeat_purchase_rate", "retention_rate", "churn_rate",
         "strict_retention_rate"]
# the rows' counts and sums, the rates' numerators and denominators
COUNTS = [c for c in ROW_COLUMNS[2:] if c not in ("complete", "order_value_sd", *RATES)]
RECORD_NUMBERS = ("share_before", "share_after", "rate_before", "rate_after", "mix_effect",
                  "rate_effect", "contribution", "p_value")


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Dataset]]:
    folder = tmp_path_factory.mktemp("cdnow-split")
    regions = {0: "north", 1: "south", 2: "planted", 3: "east"}
    rows = []
    with cdnow_csv(folder).open(encoding="utf-8") as file:
        next(file)
        for number, line in enumerate(file):
            customer, day, cds, amount = line.strip().split(",")
            region = regions[int(customer) % 4]
            if region == "planted" and day > "19970630":
                continue
            tier = "" if int(customer) % 7 == 0 else TIERS[(number * 7 + int(day)) % 3]
            rows.append((customer, day, cds, amount, region, tier))
    store = Store(":memory:")
    ingest_file(store, write_csv(folder / "planted.csv", ("customer_id", "date", "cds",
                                                          "amount", "region", "tier"), rows),
                dataset="CDNOW")
    add_customer_groups(store, "CDNOW", folder)
    yield store, store.dataset("CDNOW")
    store.close()


@pytest.fixture(scope="module")
def demo(demo_db_template: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[Store, Dataset]]:
    path = tmp_path_factory.mktemp("demo-split") / "demo.duckdb"
    shutil.copytree(demo_db_template, path)
    with Store(path) as store:
        yield store, store.dataset("Demo shop")


def column_keys(dataset: Dataset, metric_id: str) -> tuple[str, ...]:
    return tuple(k for k in driver_segments(dataset, metric_id)
                 if k not in (RFM_SEGMENT, COHORT_SPLIT))


def by_group(table: pd.DataFrame) -> pd.DataFrame:
    keyed = table.assign(group_value=table["group_value"].map(
        lambda v: "(none)" if v is None else v))
    return keyed.set_index(["group_value", "period_start"]).sort_index()


@pytest.mark.parametrize(("period", "window"), [("month", 90), ("month", 20), ("quarter", 60),
                                                ("week", 30)])
def test_cdnow_split_table_equals_each_values_query(cdnow: tuple[Store, Dataset],
                                                    period: str, window: int) -> None:
    """Every segment's rows of the one split query are the rows of the KPI query run for
    each of its values (W = 20 days: customers lapse inside a month they buy in, the
    pairing of sql/kpis_lapsed_inside.sql). A value without an order in the rows the range
    needs has nothing in either."""
    store, dataset = cdnow
    filters = Filters(period=period, inactivity_days=window)  # type: ignore[arg-type]
    before, after = periods_compared(filters, date(1997, 9, 1), date(1997, 6, 1))
    window_range = window_filters(filters, before, after)
    keys = (*column_keys(dataset, "churn_rate"), COHORT_SPLIT)
    assert set(keys) >= {"region", "tier", "customers.loyalty_tier"}
    split = kpi_split_table(store, dataset, window_range, keys)
    for key in keys:
        fast = by_group(split[split["segment"] == key].drop(columns="segment"))
        each = by_group(kpi_table(store, dataset, window_range, by=key))
        empty = each.drop(index=fast.index)
        assert (empty[COUNTS] == 0).all().all(), key
        each = each.loc[fast.index]
        pd.testing.assert_frame_equal(fast[COUNTS + RATES], each[COUNTS + RATES],
                                      check_exact=True)
        pd.testing.assert_series_equal(fast["period_end"], each["period_end"])
        pd.testing.assert_series_equal(fast["order_value_sd"], each["order_value_sd"],
                                       check_exact=False, rtol=1e-12, atol=0)
    # each segment's values add up to the unsplit table (the amounts summed here in
    # floating point, to 12 significant digits)
    whole = kpi_table(store, dataset, window_range).set_index("period_start")
    for key in keys:
        sums = split[split["segment"] == key].groupby("period_start")[COUNTS].sum()
        pd.testing.assert_frame_equal(sums, whole.loc[sums.index, COUNTS],
                                      check_dtype=False, check_exact=False, rtol=1e-12)


def assert_same_records(found: Any, expected: Any) -> None:
    assert (found.segment, found.period_before, found.period_after) == (
        expected.segment, expected.period_before, expected.period_after)
    assert found.rate_before == pytest.approx(expected.rate_before, rel=1e-12, abs=1e-12)
    assert found.rate_after == pytest.approx(expected.rate_after, rel=1e-12, abs=1e-12)
    ours = found.records.set_index("value", drop=False)
    theirs = expected.records.set_index("value", drop=False)
    assert sorted(ours.index, key=str) == sorted(theirs.index, key=str)
    for value in ours.index:
        for column in RECORD_NUMBERS:
            a, b = ours.loc[value, column], theirs.loc[value, column]
            assert (a is None) == (b is None), (value, column)
            if a is not None:
                assert a == pytest.approx(b, rel=1e-12, abs=1e-12), (found.segment, value,
                                                                      column)
        for column in ("significant", "change_test"):
            assert ours.loc[value, column] == theirs.loc[value, column]


def rate_kpis(dataset: Dataset) -> list[str]:
    survey = set(measures(dataset)) if "responses" in dataset.tables else set()
    return [m for m in DRIVER_METRICS if m not in ("nps", "csat") or m in survey]


@pytest.mark.parametrize(("name", "period", "against"), [
    ("cdnow", date(1997, 9, 1), None), ("cdnow", date(1997, 12, 1), date(1997, 4, 1)),
    ("demo", date(2025, 3, 1), None)])
def test_all_drivers_equal_the_per_column_path(cdnow: tuple[Store, Dataset],
                                               demo: tuple[Store, Dataset], name: str,
                                               period: date, against: date | None) -> None:
    """For every rate KPI, the drivers of every column from one query equal those of each
    column computed value by value by the general query (the dataset without its stored
    history), to 1e-12."""
    store, dataset = cdnow if name == "cdnow" else demo
    filters = Filters(period="month", inactivity_days=90)
    for metric_id in rate_kpis(dataset):
        found = {d.segment: d for d in all_drivers(store, dataset, filters, metric_id, period,
                                                   against)}
        assert set(found) == set(column_keys(dataset, metric_id))
        for key, ours in found.items():
            expected = drivers(store, without_history(dataset), filters, metric_id, key,
                               period, against)
            assert_same_records(ours, expected)


@pytest.mark.parametrize(("period", "window"), [("month", 90), ("month", 20), ("week", 30),
                                                ("quarter", 365)])
def test_a_ranges_rows_are_the_whole_datas(cdnow: tuple[Store, Dataset], period: str,
                                           window: int) -> None:
    """The KPI query of a range reads only the orders the range needs (from W + 1 days
    before it): its rows, revenue retention included, are those of the same periods
    computed over the whole data."""
    store, dataset = cdnow
    whole = Filters(period=period, inactivity_days=window)  # type: ignore[arg-type]
    part = Filters(period=period, inactivity_days=window,  # type: ignore[arg-type]
                   start=date(1997, 9, 10), end=date(1997, 12, 20))
    ranged = kpi_table(store, dataset, part).set_index("period_start")
    everything = kpi_table(store, dataset, whole).set_index("period_start").loc[ranged.index]
    assert len(ranged) >= 2
    pd.testing.assert_frame_equal(ranged, everything, check_exact=False, rtol=1e-12)
