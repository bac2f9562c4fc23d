"""explain() of the Retention page's split views: the cohort cells and curves split by a
segment (``options={"by": ...}``, ``group`` = the segment value) and the survival curves
split by one, or of the repeat customers from their second purchase
(``options={"view": "repeat_from_second"}``). For every entry of the cohorts family, on the
small shop and the demo, the value and its recomputation equal the split table's number,
the SQL computes it, the rows total the count and sum inputs, and it survives a pickle.

The small shop (``orders_small.csv``), monthly, W = 30, split by the channel of each
customer's first purchase: web = {A, C, D}, store = {B, E}.

- Retention curves, one month on, web: January's web cohort {A} bought in February (1 of
  1), February's {C} not in March (0 of 1), March's {D} has not completed April: the line
  is (1 + 0) / (1 + 1) = 50%. Store: January's {B, E}, neither bought in February: 0%.
- Survival, web: A is followed 01-05 .. 04-15 = 101 days (censored), C leaves on day 30
  (02-03 + 30), D on day 31 (03-01 .. 03-02 + 30). Day 30: 1 of 3 leaves, S = 2/3; day 31:
  1 of the 2 left, S = 2/3 x 1/2 = 1/3 = 33.3%.
- Repeat customers from their second purchase: A from 01-20 (86 days to 04-15, censored),
  B from 04-15 (0 days, censored), D from 03-02 to 04-01 (30 days, left). Day 30: 1 of the
  2 still followed (A, D) leaves: S = 50%.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from metrics.errors import InputError
from metrics.explain import explain
from metrics.explain.cohorts import CELLS_EXPLAINED, COHORTS, SURVIVAL_EXPLAINED
from metrics.query.filters import Filters
from metrics.registry import entry
from metrics.store import Dataset, Store
from tests.builders import small_store
from tests.test_cli import run
from tests.test_explain_cohorts import _check
from tests.test_survival import orders_store

MONTHLY = Filters(period="month", inactivity_days=30)


def _group(value: Any) -> str | None:
    return None if pd.isna(value) else str(value)


def _check_split_cells(store: Store, dataset: Dataset, filters: Filters, by: str,
                       limit: int | None = None) -> None:
    """Every cohort entry split by ``by``: each cell (cohort, group, offset) of the split
    cohort table and each point of each group's average line (the retention curves), the
    first ``limit`` of each group (default: all)."""
    options = {"by": by}
    for metric in CELLS_EXPLAINED:
        table = entry(metric.id).table(store, dataset, filters, by=by)
        column = entry(metric.id).value_column
        whole_range = COHORTS.formulas[metric.id].whole_range
        for group_value, rows in table.groupby(table["group_value"].fillna(""), sort=True):
            group = _group(rows["group_value"].iloc[0])
            assert group == (group_value or None)
            for row in rows.head(limit).to_dict(orient="records"):
                at: dict[str, Any] = {"offset": int(row["period_offset"]), "group": group,
                                      "options": options}
                if not whole_range:
                    at["period_start"] = row["cohort"]
                _check(store, lambda m=metric.id, a=at: explain(store, dataset, m, filters,
                                                                **a),
                       row[column], f"{metric.id} {group} {at}")


def _check_split_survival(store: Store, dataset: Dataset, filters: Filters,
                          options: dict[str, Any], limit: int | None = None) -> None:
    """The survival at every day of each curve (the first ``limit`` of each) drawn with
    ``options`` (a split ``by`` and/or a ``view``), and the days after them."""
    for metric in SURVIVAL_EXPLAINED:
        curve = entry(metric.id).table(store, dataset, filters, **options)
        column = entry(metric.id).value_column
        split = "by" in options
        for _, rows in curve.groupby(curve["group"].fillna(""), sort=True):
            group = _group(rows["group"].iloc[0]) if split else None
            days = list(rows["days"])[:limit]
            # each step's day and the day after it (between two steps), within the curve
            for age in sorted({*days, *(day + 1 for day in days[:-1])}):
                # the curve is a step: its value at a day is the last step on or before it
                shown = rows[rows["days"] <= age][column].iloc[-1]
                _check(store, lambda m=metric.id, a=age, g=group: explain(
                    store, dataset, m, filters, offset=a, group=g, options=options),
                    shown, f"{metric.id} {options} {group} day {age}")


def test_small_shop_cells_and_curves_split_by_channel() -> None:
    store, dataset = small_store()
    _check_split_cells(store, dataset, MONTHLY, "channel")


def test_small_shop_survival_split_by_channel_and_from_the_second_purchase(
        tmp_path: Path) -> None:
    store, dataset = small_store()
    _check_split_survival(store, dataset, MONTHLY, {"by": "channel"})
    _check_split_survival(store, dataset, MONTHLY, {"view": "repeat_from_second"})
    _check_split_survival(store, dataset, MONTHLY,
                          {"view": "repeat_from_second", "by": "channel"})
    # the survival tests' shop: more one-time and repeat customers, and a customer
    # attribute (a loyalty tier that one customer lacks: the group None)
    shop, shop_dataset = orders_store(tmp_path)
    _check_split_survival(shop, shop_dataset, MONTHLY, {"view": "repeat_from_second"})
    _check_split_survival(shop, shop_dataset, MONTHLY, {"by": "customers.loyalty_tier"})


def test_cells_and_curves_split_by_a_customer_attribute(tmp_path: Path) -> None:
    shop, shop_dataset = orders_store(tmp_path)
    _check_split_cells(shop, shop_dataset, MONTHLY, "customers.loyalty_tier")


def test_demo_split_cells_curves_and_survival(demo_store: Store) -> None:
    dataset = demo_store.dataset("Demo shop")
    filters = Filters()
    _check_split_cells(demo_store, dataset, filters, "channel", limit=3)
    _check_split_survival(demo_store, dataset, filters, {"by": "channel"}, limit=4)
    _check_split_survival(demo_store, dataset, filters, {"view": "repeat_from_second"},
                          limit=6)


def test_the_web_curve_one_month_on_worked_out_by_hand() -> None:
    store, dataset = small_store()
    e = explain(store, dataset, "cohort_average_retention", MONTHLY, offset=1, group="web",
                options={"by": "channel"})
    assert dict(e.inputs) == {"cohort_active_customers": 1, "cohort_size": 2}
    assert e.value == pytest.approx(50.0)
    assert list(e.rows["customer_id"]) == ["A", "C"]
    assert e.detail == {"offset": 1, "by": "channel", "group": "web"}
    store_line = explain(store, dataset, "cohort_average_retention", MONTHLY, offset=1,
                         group="store", options={"by": "channel"})
    assert dict(store_line.inputs) == {"cohort_active_customers": 0, "cohort_size": 2}
    assert list(store_line.rows["customer_id"]) == ["B", "E"]


def test_the_web_survival_at_day_31_worked_out_by_hand() -> None:
    store, dataset = small_store()
    e = explain(store, dataset, "survival", MONTHLY, offset=31, group="web",
                options={"by": "channel"})
    assert dict(e.inputs) == {"survival_before": pytest.approx(200 / 3), "at_risk": 2,
                              "events": 1}
    assert e.value == pytest.approx(100 / 3)
    assert list(e.rows["customer_id"]) == ["D", "A"]
    assert e.detail == {"age_days": 31, "by": "channel", "group": "web"}


def test_the_repeat_customers_from_their_second_purchase_at_day_30_by_hand() -> None:
    store, dataset = small_store()
    e = explain(store, dataset, "survival", MONTHLY, offset=30,
                options={"view": "repeat_from_second"})
    assert dict(e.inputs) == {"survival_before": pytest.approx(100.0), "at_risk": 2,
                              "events": 1}
    assert e.value == pytest.approx(50.0)
    assert list(e.rows["customer_id"]) == ["D", "A"]
    assert list(e.rows["duration_days"]) == [30, 86]
    assert e.detail == {"age_days": 30, "view": "repeat_from_second"}


@pytest.mark.parametrize(("metric_id", "at", "message"), [
    ("cohort_average_retention", {"offset": 1, "group": "phone", "options": {"by": "channel"}},
     "There is no group “phone” of the cohorts split by channel in the selection; its "
     "groups are: store, web."),
    ("cohort_retention", {"period_start": date(2024, 1, 1), "offset": 0, "group": "web"},
     "Cohort cells are explained for whole cohorts unless they are split by a segment: "
     "leave out the group “web” or say the segment."),
    ("survival", {"offset": 30, "group": "phone", "options": {"by": "channel"}},
     "There is no group “phone” of the survival split by channel in the selection; its "
     "groups are: store, web."),
    ("survival", {"offset": 30, "options": {"view": "forever"}},
     "“forever” is not a survival view: use one of all, one_time_vs_repeat, "
     "repeat_from_second."),
])
def test_a_group_or_view_that_does_not_exist_is_one_sentence_saying_what_does(
        metric_id: str, at: dict[str, Any], message: str) -> None:
    store, dataset = small_store()
    with pytest.raises(InputError) as error:
        explain(store, dataset, metric_id, MONTHLY, at.pop("period_start", None), **at)
    assert error.value.message == message


def test_the_cli_explains_a_point_of_the_split_curves(small_cli_db: Path) -> None:
    db = small_cli_db  # the small shop, ingested through the command
    result = run("explain", "--metric", "cohort_average_retention", "--dataset", "Small",
                 "--offset", "1", "--by", "channel", "--group", "web", "--inactivity-days",
                 "30", "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["by"], data["group"], data["offset"]) == ("channel", "web", 1)
    inputs = {item["id"]: item["value"] for item in data["inputs"]}
    assert inputs == {"cohort_active_customers": 1, "cohort_size": 2}
    assert data["value"] == pytest.approx(
        100 * inputs["cohort_active_customers"] / inputs["cohort_size"])
    assert [row["customer_id"] for row in data["rows"]] == ["A", "C"]


def test_the_cli_explains_the_survival_of_repeat_customers_from_their_second_purchase(
        small_cli_db: Path) -> None:
    db = small_cli_db  # the small shop, ingested through the command
    result = run("explain", "--metric", "survival", "--dataset", "Small", "--offset", "30",
                 "--view", "repeat_from_second", "--inactivity-days", "30", "--format",
                 "json", db=db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["age_days"], data["view"]) == (30, "repeat_from_second")
    inputs = {item["id"]: item["value"] for item in data["inputs"]}
    assert inputs == {"survival_before": pytest.approx(100.0), "at_risk": 2, "events": 1}
    assert data["value"] == pytest.approx(
        inputs["survival_before"] * (1 - inputs["events"] / inputs["at_risk"]))
