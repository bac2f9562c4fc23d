"""explain() of the Retention page's cohort cells and survival: for every entry of the
family, on the small shop and the demo, the value and the inputs' recomputation equal the
number the metric function's table shows, the SQL computes it, the rows behind it total
the count and sum inputs, and the explanation survives a pickle; cells and ages worked out
by hand.

The small shop (``orders_small.csv``, see tests/test_retention.py), monthly, W = 30:
the January 2024 cohort is {A, B, E} (first purchases 01-05, 01-10, 01-31): size 3. Two
months later, in March (k = 2), only A bought (03-25, 60): retention 1 / 3 = 33.3%. Their
last purchases fall in March (A), April (B) and January (E): active in March or later
{A, B}, 2 / 3. Their January revenue is 100 + 50 + 200 + 90 = 440, February's 80 (A),
March's 60 (A): revenue retention 60 / 440 = 13.6%, cumulative revenue per customer
(440 + 80 + 60) / 3 = 580 / 3.

Survival with W = 30 (a lifetime runs from the first purchase to the last + 30 days, or is
censored at the data's last day, 2024-04-15): A 01-05 .. 04-15 = 101 days and B 01-10 ..
04-15 = 96 days, censored; C 02-03 + 30 = 30 days (the refund is not a purchase), E 30
days and D 03-01 .. 03-02 + 30 = 31 days, left. Day 30: 2 of 5 leave, S = 3 / 5 = 60%;
day 31: 1 of the 3 left leaves, S = 60% x (1 - 1 / 3) = 40%.
"""

from __future__ import annotations

import json
import math
import pickle
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from metrics.definitions import COHORT_AVERAGES, COHORT_CELLS, SURVIVAL
from metrics.errors import InputError
from metrics.explain import FAMILIES, explain
from metrics.explain.cohorts import CELLS_EXPLAINED, COHORTS, SURVIVAL_EXPLAINED
from metrics.query.filters import Filters
from metrics.query.run import query_frame, query_row
from metrics.registry import entry
from metrics.store import Dataset, Store
from metrics.survival import ONE_TIME, REPEAT
from tests.builders import small_store
from tests.test_cli import run
from tests.test_survival import orders_store, subscriptions_store

MONTHLY = Filters(period="month", inactivity_days=30)
JAN = date(2024, 1, 1)


def _close(a: float | None, b: Any) -> bool:
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return a is None
    return a is not None and math.isclose(a, float(b), rel_tol=1e-9, abs_tol=1e-9)


def _check(store: Store, explanation_of: Any, shown: Any, where: str) -> None:
    """The explanation's value, recomputation, SQL and rows against the shown number."""
    e = explanation_of()
    assert _close(e.value, shown), (where, e.value, shown)
    assert _close(e.recompute(), shown), where
    assert _close(pickle.loads(pickle.dumps(e)).recompute(), shown), where
    assert _close(query_row(store, e.sql, e.parameters)[0], shown), where
    rows = query_frame(store, e.rows_sql, e.rows_parameters)
    assert len(e.rows) == min(len(rows), 100), where
    for name, value in e.inputs.items():
        if name in rows:  # each count or sum input is its column's total
            assert _close(float(rows[name].sum()), value), f"{where} {name}"


def _check_cells(store: Store, dataset: Dataset, filters: Filters,
                 cells: list[tuple[date, int]] | None = None) -> None:
    """Every cohort cell entry at ``cells`` (default: every cell of the table), and every
    average of the cells at their periods since acquisition (default: at each)."""
    for metric in CELLS_EXPLAINED:
        table = entry(metric.id).table(store, dataset, filters)
        column = entry(metric.id).value_column
        if COHORTS.formulas[metric.id].whole_range:  # the average row: one per offset
            averages = table.set_index("period_offset")[column]
            offsets = {k for _, k in cells if k in averages.index} if cells else averages.index
            for offset, shown in averages[sorted(offsets)].items():
                _check(store, lambda k=offset, m=metric.id: explain(
                    store, dataset, m, filters, offset=k), shown, f"{metric.id} +{offset}")
            continue
        by_cell = table.set_index(["cohort", "period_offset"])[column]
        for cohort, offset in cells or list(by_cell.index):
            _check(store, lambda c=cohort, k=offset, m=metric.id: explain(
                store, dataset, m, filters, c, offset=k), by_cell.loc[(cohort, offset)],
                f"{metric.id} {cohort} +{offset}")


def _check_survival(store: Store, dataset: Dataset, filters: Filters,
                    ages: list[int] | None = None, group: str | None = None) -> None:
    """The survival at ``ages`` (default: every day of the curve) against the curve's
    step, for the curve of ``group`` (the one-time vs repeat view) or of everyone."""
    options: dict[str, Any] = {"view": "one_time_vs_repeat"} if group else {}
    for metric in SURVIVAL_EXPLAINED:
        curve = entry(metric.id).table(store, dataset, filters, **options)
        if group:
            curve = curve[curve["group"] == group]
        column = entry(metric.id).value_column
        for age in ages or list(curve["days"]):
            # the curve is a step: its value at a day is the last step on or before it
            shown = curve[curve["days"] <= age][column].iloc[-1]
            _check(store, lambda a=age, m=metric.id: explain(
                store, dataset, m, filters, offset=a, group=group), shown,
                f"{metric.id} {group} day {age}")


def test_every_cohort_and_survival_entry_is_explained() -> None:
    assert COHORTS in FAMILIES
    assert {m.id for m in COHORT_CELLS + COHORT_AVERAGES + SURVIVAL} == {
        m.id for m in COHORTS.metrics}
    for metric in COHORTS.metrics:
        # a rate is computed from its components, never read back as itself
        if metric.unit == "percent":
            assert len(COHORTS.formulas[metric.id].inputs) >= 2, metric.id


def test_small_shop_every_cell_by_month() -> None:
    store, dataset = small_store()
    _check_cells(store, dataset, MONTHLY)


def test_small_shop_every_cell_with_a_segment_filter() -> None:
    # a filter on an orders column: the cohort query computes from the orders, not from
    # the stored purchase history
    store, dataset = small_store()
    web = Filters(period="month", inactivity_days=30,
                  segments=Filters.segment_items({"channel": ["web"]}))
    _check_cells(store, dataset, web)


def test_small_shop_survival_at_every_day_and_between(tmp_path: Path) -> None:
    store, dataset = small_store()
    _check_survival(store, dataset, MONTHLY, [0, 1, 29, 30, 31, 60, 96, 100, 101])
    # the survival tests' shop: one-time and repeat customers, and subscriptions
    shop, shop_dataset = orders_store(tmp_path)
    _check_survival(shop, shop_dataset, MONTHLY)
    for group in (ONE_TIME, REPEAT):
        _check_survival(shop, shop_dataset, MONTHLY, group=group)
    subscribers, subscribers_dataset = subscriptions_store(tmp_path)
    _check_survival(subscribers, subscribers_dataset, MONTHLY)


def test_demo_cells_and_survival(demo_store: Store) -> None:
    dataset = demo_store.dataset("Demo shop")
    filters = Filters()
    table = entry("cohort_size").table(demo_store, dataset, filters)
    cohorts = sorted(table["cohort"].unique())
    last = int(table["period_offset"].max())
    cells = [(cohorts[0], 0), (cohorts[0], last // 2), (cohorts[0], last),
             (cohorts[len(cohorts) // 2], 1), (cohorts[-1], 0)]
    _check_cells(demo_store, dataset, filters, cells)
    curve = entry("survival").table(demo_store, dataset, filters)
    days = list(curve["days"])
    _check_survival(demo_store, dataset, filters,
                    [0, days[1], days[len(days) // 2], days[len(days) // 2] + 1, days[-1]])


def test_the_january_cohort_two_months_on_worked_out_by_hand() -> None:
    store, dataset = small_store()
    by_hand = {
        "cohort_size": ({"cohort_size": 3}, 3),
        "cohort_active_customers": ({"cohort_active_customers": 1}, 1),
        "cohort_retention": ({"cohort_active_customers": 1, "cohort_size": 3}, 100 / 3),
        "cohort_unbounded_retention": ({"cohort_active_or_later": 2, "cohort_size": 3},
                                       200 / 3),
        "cohort_revenue_retention": ({"cohort_revenue": 60,
                                      "cohort_first_period_revenue": 440}, 100 * 60 / 440),
        "cumulative_revenue_per_customer": ({"cumulative_revenue": 580, "cohort_size": 3},
                                            580 / 3),
    }
    for metric_id, (inputs, value) in by_hand.items():
        e = explain(store, dataset, metric_id, MONTHLY, date(2024, 1, 20), offset=2)
        assert dict(e.inputs) == inputs, metric_id
        assert e.value == pytest.approx(value), metric_id
        assert (e.period_start, e.period_end) == (date(2024, 3, 1), date(2024, 3, 31))
        assert e.detail == {"cohort": JAN, "offset": 2}
    e = explain(store, dataset, "cohort_unbounded_retention", MONTHLY, JAN, offset=2)
    rows = e.rows.set_index("customer_id")
    assert list(rows.index) == ["A", "B", "E"]
    assert list(rows["cohort_active_customers"]) == [1, 0, 0]
    assert list(rows["cohort_active_or_later"]) == [1, 1, 0]
    assert list(rows["cohort_first_period_revenue"]) == [150, 200, 90]
    assert list(rows["cumulative_revenue"]) == [290, 200, 90]
    assert e.parameters["explained_first_cohort"] == JAN
    assert e.parameters["explained_last_cohort"] == JAN
    assert e.parameters["explained_offset"] == 2


def test_the_average_one_month_on_worked_out_by_hand() -> None:
    # one month after their first: January's and February's cohorts have completed it
    # (1 of 3 and 0 of 1 active), March's has not (April is in progress): (1 + 0) / (3 + 1)
    store, dataset = small_store()
    e = explain(store, dataset, "cohort_average_retention", MONTHLY, offset=1)
    assert dict(e.inputs) == {"cohort_active_customers": 1, "cohort_size": 4}
    assert e.value == pytest.approx(25.0)
    assert list(e.rows["customer_id"]) == ["A", "B", "E", "C"]
    assert [day.date() for day in e.rows["cohort"]] == [JAN, JAN, JAN, date(2024, 2, 1)]
    assert e.detail == {"offset": 1}
    with pytest.raises(InputError) as error:
        explain(store, dataset, "cohort_average_retention", MONTHLY, offset=3)
    assert error.value.message == ("Say how many months after their first one to explain "
                                   "the average at: from 0 to 2 in the selection.")


def test_the_survival_at_day_31_worked_out_by_hand() -> None:
    store, dataset = small_store()
    e = explain(store, dataset, "survival", MONTHLY, offset=31)
    assert dict(e.inputs) == {"survival_before": pytest.approx(60.0), "at_risk": 3,
                              "events": 1}
    assert e.value == pytest.approx(40.0)
    assert list(e.rows["customer_id"]) == ["D", "B", "A"]  # still followed on day 31
    assert list(e.rows["duration_days"]) == [31, 96, 101]
    assert list(e.rows["events"]) == [1, 0, 0]
    assert e.detail == {"age_days": 31}


@pytest.mark.parametrize(("metric_id", "at", "message"), [
    ("cohort_retention", {"period_start": date(2024, 6, 1), "offset": 0},
     "There is no cohort of the month holding 2024-06-01 in the selection; its cohorts run "
     "from 2024-01-01 to 2024-04-01."),
    ("cohort_retention", {"period_start": date(2024, 3, 1), "offset": 2},
     "Say how many months after its first one to explain the cohort of 2024-03-01 at: from "
     "0 to 1 in the selection."),
    ("cohort_retention", {"offset": 1},
     "Say which cohort to explain (a day of its first month): Cohort retention is computed "
     "per cohort."),
    ("cohort_size", {"period_start": date(2024, 4, 1)},
     "No customer's first purchase falls in the month of 2024-04-01 in the selection: that "
     "cohort is empty."),
    ("survival", {"offset": 102},
     "Say the age in days to explain the survival at: the curve runs from 0 to 101 days."),
    ("survival", {"offset": 30, "group": "Champions"},
     "“Champions” is not a group of the survival curve: use one-time, repeat, or no group "
     "for all customers."),
])
def test_a_cell_or_age_that_does_not_exist_is_one_sentence_saying_what_does(
        metric_id: str, at: dict[str, Any], message: str) -> None:
    store, dataset = small_store()
    with pytest.raises(InputError) as error:
        explain(store, dataset, metric_id, MONTHLY, at.pop("period_start", None), **at)
    assert error.value.message == message


def test_the_cli_explains_a_cohort_cell_as_the_cohorts_command_shows_it(
        small_cli_db: Path) -> None:
    db = small_cli_db  # the small shop, ingested through the command
    result = run("explain", "--metric", "cohort_retention", "--dataset", "Small", "--period",
                 "2024-01", "--offset", "2", "--inactivity-days", "30", "--format", "json",
                 db=db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["cohort"], data["offset"]) == ("2024-01-01", 2)
    inputs = {item["id"]: item["value"] for item in data["inputs"]}
    assert inputs == {"cohort_active_customers": 1, "cohort_size": 3}
    recomputed = 100 * inputs["cohort_active_customers"] / inputs["cohort_size"]
    assert data["value"] == pytest.approx(recomputed)
    assert [row["customer_id"] for row in data["rows"]] == ["A", "B", "E"]
    cohorts = pd.DataFrame(json.loads(run("cohorts", "--dataset", "Small",
                                          "--inactivity-days", "30", "--format", "json",
                                          db=db).stdout))
    cell = cohorts[(cohorts["cohort"] == "2024-01-01") & (cohorts["period_offset"] == 2)]
    assert data["value"] == pytest.approx(float(cell["retention_pct"].iloc[0]))
