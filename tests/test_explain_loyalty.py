"""explain() of the loyalty views and the retention uplift simulator: for every entry of
``LOYALTY``, in every group, period, pair or year of its table, on the small loyal shop
and on the demo, the value and the inputs recompute what the metric function's table
shows, the SQL computes it, the rows behind it total its count and sum inputs, and the
explanation survives pickling; plus figures worked out by hand and the CLI's JSON.
"""

from __future__ import annotations

import json
import math
import pickle
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics import loyalty, simulator
from metrics.definitions import LOYALTY, REGISTRY
from metrics.errors import InputError
from metrics.explain import EXPLAINED_METRICS, At, explain
from metrics.explain.loyalty import (
    MEMBERS,
    NON_MEMBERS,
    WITH_POINTS,
    WITHOUT_POINTS,
    pair_group,
    scenario_group,
    segment_group,
)
from metrics.ingest import ingest_file
from metrics.query.filters import Filters
from metrics.query.run import query_frame
from metrics.registry import entry
from metrics.store import Dataset, Store
from tests.builders import write_csv
from tests.test_cli import run
from tests.test_loyalty import FILTERS, HEADER, ROWS

# The simulator needs customers in the base before its window (the last 12 months of the
# range): on the small shop, a range from May 2024 (its window starts on 1 May).
SMALL_SIMULATOR_FILTERS = Filters(start=date(2024, 5, 1), inactivity_days=60)
# The scenario the tests explain: 5 points more retention, 30% margin, 1,000 a year.
GAIN, MARGIN_PCT, COST = 5.0, 30.0, 1000.0

# Which numbers of a metric's table there are: (the At of each, its value).
Numbers = Iterator[tuple[At, object]]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Dataset]:
    store = Store(":memory:")
    path = write_csv(tmp_path_factory.mktemp("loyal") / "loyal.csv", HEADER, ROWS)
    ingest_file(store, path, dataset="Loyal shop", currency="EUR")
    return store, store.dataset("Loyal shop")


def _close(a: float | None, b: object) -> bool:
    b = b.item() if hasattr(b, "item") else b  # a numpy number
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return a is None
    assert isinstance(b, int | float), b
    return a is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _types(table: pd.DataFrame, column: str, **_: object) -> Numbers:
    for record in table.to_dict(orient="records"):
        yield At(group=record["loyalty_type"]), record[column]


def _members(table: pd.DataFrame, column: str, **_: object) -> Numbers:
    for record in table.to_dict(orient="records"):
        yield At(group=MEMBERS if record["member"] else NON_MEMBERS), record[column]


def _one(table: pd.DataFrame, column: str, **_: object) -> Numbers:
    for record in table.to_dict(orient="records"):
        yield At(), record[column]


def _points(table: pd.DataFrame, column: str, **_: object) -> Numbers:
    for record in table.to_dict(orient="records"):
        yield At(group=WITH_POINTS if record["points_redeemed"] else WITHOUT_POINTS), (
            record[column])


def _pairs(table: pd.DataFrame, column: str, **_: object) -> Numbers:
    for record in table.to_dict(orient="records"):
        yield At(group=pair_group(record["first_product"], record["next_product"])), (
            record[column])


def _segment_values(table: pd.DataFrame, column: str, by: str = "", **_: object) -> Numbers:
    for record in table.to_dict(orient="records"):
        yield At(group=segment_group(by, record["group_value"])), record[column]


def _upsell(table: pd.DataFrame, column: str, by: str | None = None,
            whole_range: bool = False, **_: object) -> Numbers:
    for record in table.to_dict(orient="records"):
        group = segment_group(by, record["group_value"]) if by else None
        period = None if whole_range else record["period_start"]
        yield At(period, group=group), record[column]


def _years(table: pd.DataFrame, column: str, **_: object) -> Numbers:
    for record in table.to_dict(orient="records"):
        today = record["scenario"] == "baseline"
        if today and column.endswith("uplift_pct"):
            continue  # the table shows uplifts against today, on the scenario's rows only
        group = (scenario_group(0, MARGIN_PCT, 0) if today
                 else scenario_group(GAIN, MARGIN_PCT, COST))
        yield At(offset=record["year"], group=group), record[column]


# Each metric function of the family: the options of the tables whose numbers are checked,
# and how to read its numbers. A new function without a line here fails the test.
_TABLES: dict[Callable[..., object], tuple[list[dict[str, object]],
                                           Callable[..., Numbers]]] = {
    loyalty.loyalty_type_table: ([{}], _types),
    loyalty.upsell_table: ([{"whole_range": True}, {}, {"by": "channel"},
                            {"by": "channel", "whole_range": True}], _upsell),
    loyalty.next_products: ([{}], _pairs),
    loyalty.programme_table: ([{}], _members),
    loyalty.redemption_table: ([{}], _one),
    loyalty.enrolment_table: ([{"by": "channel"}], _segment_values),
    loyalty.points_aov_table: ([{}], _points),
    simulator.simulation_table: ([{"retention_gain_pp": GAIN,
                                   "gross_margin": MARGIN_PCT / 100,
                                   "programme_cost_per_year": COST, "years": 3}], _years),
    simulator.baseline_table: ([{}], _one),
}


def _check(store: Store, dataset: Dataset, filters: Filters, metric_id: str,
           options: dict[str, object], numbers: Callable[..., Numbers],
           most: int | None = None) -> int:
    """Every number of one of the metric's tables explained (the first ``most`` of them);
    how many there were."""
    registered = entry(metric_id)
    table = registered.table(store, dataset, filters, **options)
    count = 0
    for at, shown in list(numbers(table, registered.value_column, **options))[:most]:
        where = f"{metric_id} {at} {options}"
        e = explain(store, dataset, metric_id, filters, at.period_start, offset=at.offset,
                    group=at.group)
        assert _close(e.value, shown), where
        assert _close(e.recompute(), shown), where
        assert _close(pickle.loads(pickle.dumps(e)).recompute(), shown), where
        computed = query_frame(store, e.sql, e.parameters)
        # the SQL gives the inputs it computes (the simulator's years covered and scenario
        # are Python's: the window's length and the user's choice)
        assert set(e.inputs) - set(computed) <= {"years_covered", "retention_gain_pp",
                                                  "gross_margin_pct", "programme_cost",
                                                  "year"}, where
        for name in set(e.inputs) & set(computed):
            assert _close(e.inputs[name], computed[name].iloc[0]), where
        if metric_id in computed:  # the SQL computes the value (the simulator's: Python)
            assert _close(e.value, computed[metric_id].iloc[0]), where
        rows = query_frame(store, e.rows_sql, e.rows_parameters)
        totalled = [name for name in e.inputs if name in rows]
        assert totalled, where  # every figure has its counts or sums in the rows
        for name in totalled:
            assert _close(e.inputs[name], float(rows[name].sum())), f"{where} {name}"
        count += 1
    return count


def _check_every_entry(store: Store, dataset: Dataset, filters: Filters,
                       simulator_filters: Filters, most: int | None = None) -> None:
    for metric in LOYALTY:
        compute = entry(metric.id).compute
        option_sets, numbers = _TABLES[compute]
        in_simulator = compute in (simulator.simulation_table, simulator.baseline_table)
        count = sum(_check(store, dataset, simulator_filters if in_simulator else filters,
                           metric.id, options, numbers, most) for options in option_sets)
        assert count, metric.id  # each is checked on at least one number


def test_every_loyalty_entry_is_explained() -> None:
    explained = {metric.id for metric in EXPLAINED_METRICS}
    assert {metric.id for metric in LOYALTY} <= explained
    assert all(REGISTRY[metric.id] is metric for metric in LOYALTY)


def test_small_shop_every_entry_every_number(shop: tuple[Store, Dataset]) -> None:
    _check_every_entry(*shop, FILTERS, SMALL_SIMULATOR_FILTERS)


def test_small_shop_by_quarter_with_a_segment_filter(shop: tuple[Store, Dataset]) -> None:
    web = Filters(period="quarter", inactivity_days=30,
                  segments=Filters.segment_items({"channel": ["web"]}))
    store, dataset = shop
    for metric_id in ("upsell_ratio", "loyalty_type_share", "programme_aov",
                      "next_product_share"):
        option_sets, numbers = _TABLES[entry(metric_id).compute]
        assert sum(_check(store, dataset, web, metric_id, options, numbers)
                   for options in option_sets if options.get("by") is None), metric_id


def test_demo_every_entry_on_its_first_numbers(demo_store: Store) -> None:
    dataset = demo_store.dataset("Demo shop")
    filters = Filters(period="quarter")
    # the first four numbers of each table: the pairs alone are hundreds
    _check_every_entry(demo_store, dataset, filters, Filters(), most=4)


def test_upsell_ratio_worked_out_by_hand(shop: tuple[Store, Dataset]) -> None:
    """Products bought so far: A Mug, Tea (2); B Mug (1); C Pen, Ink, Paper (3); D Ink, Pen
    (2); E Tea (1); F Pen, Paper (2). Over the whole range: several = A, C, D, F = 4, one
    = B, E = 2, ratio 4 ÷ 2 = 2.0. In March 2024 the customers with a purchase are A (Tea
    on 15 March; Mug and Tea so far), C (Ink on 1 March; Pen and Ink) and E (Tea on 10
    March; Tea): several = 2, one = 1, ratio 2.0 again, from other customers."""
    store, dataset = shop
    whole = explain(store, dataset, "upsell_ratio", FILTERS)
    assert dict(whole.inputs) == {"upsell_several_products_customers": 4,
                                  "upsell_one_product_customers": 2}
    assert whole.value == 2.0
    march = explain(store, dataset, "upsell_ratio", FILTERS, date(2024, 3, 20))
    assert (march.period_start, march.period_end) == (date(2024, 3, 1), date(2024, 3, 31))
    assert dict(march.inputs) == {"upsell_several_products_customers": 2,
                                  "upsell_one_product_customers": 1}
    rows = query_frame(store, march.rows_sql, march.rows_parameters)
    assert list(rows["customer_id"]) == ["A", "C", "E"]
    assert list(rows["products"]) == [2, 2, 1]


def test_loyalty_type_share_and_aov_worked_out_by_hand(shop: tuple[Store, Dataset]) -> None:
    """Discount-based: B (a discount on 3 of 4 purchases) and F (1 of 2): 2 of the 6
    customers, 33.3%. Their purchases: B 50 + 50 + 60 + 40 (and a refund of 40), F 70 +
    70: 6 purchases, revenue 200 - 40 + 140 = 300, AOV 300 ÷ 6 = 50."""
    store, dataset = shop
    share = explain(store, dataset, "loyalty_type_share", FILTERS, group="discount")
    assert dict(share.inputs) == {"type_customers": 2, "typed_customers": 6}
    assert share.value == pytest.approx(100 * 2 / 6)
    aov = explain(store, dataset, "loyalty_type_aov", FILTERS, group="discount")
    assert dict(aov.inputs) == {"type_revenue": 300, "type_purchases": 6}
    assert list(aov.rows["customer_id"]) == ["B", "F"]


def test_simulated_profit_recomputed_from_the_baseline_by_hand(
        shop: tuple[Store, Dataset]) -> None:
    """Window 1 May to 25 June 2024 (56 days: 56 ÷ 366 of a year), W = 60 days. S = the
    base on 30 April (a purchase from 1 March): A, B, C, E = 4; E = the base on 25 June (a
    purchase from 26 April): A, C, D, F = 4; retained = A, C = 2; new = F = 1; revenue
    = 140 (A) + 200 (C) + 80 (D) + 140 (F) = 560. Then r = (2 ÷ 4) ^ (366 ÷ 56) + 0.05, n
    = (4 − 2) ÷ years, v = 560 ÷ years ÷ 4, customers(1) = 4 r + n, revenue(1) = (4 +
    customers(1)) ÷ 2 × v, profit(1) = 0.3 × revenue(1) − 1,000."""
    store, dataset = shop
    e = explain(store, dataset, "simulated_profit", SMALL_SIMULATOR_FILTERS, offset=1,
                group=scenario_group(GAIN, MARGIN_PCT, COST))
    years = 56 / 366
    assert dict(e.inputs) == pytest.approx({
        "start_customers": 4, "retained_customers": 2, "end_customers": 4,
        "new_customers": 1, "revenue": 560, "years_covered": years,
        "retention_gain_pp": GAIN, "gross_margin_pct": MARGIN_PCT, "programme_cost": COST,
        "year": 1})
    r = min(0.5 ** (1 / years) + 0.05, 0.99)
    customers = 4 * r + 2 / years
    revenue = (4 + customers) / 2 * (560 / years / 4)
    assert e.value == pytest.approx(0.3 * revenue - 1000)
    assert e.detail == {"offset": 1, "group": "gain=5,margin=30,cost=1000"}


@pytest.mark.parametrize(("metric_id", "options", "message"), [
    ("loyalty_type_share", {"group": "loyal"}, "Say which loyalty type to explain: one of "
     "too_few_purchases, reward, discount, value, price."),
    ("programme_aov", {}, "Say which group to explain: one of members, non-members."),
    ("upsell_ratio", {"group": "colour=red"}, "“colour=red” names no segment value"),
    ("upsell_ratio", {"period_start": date(2023, 1, 1)}, "the table has the periods "
     "2024-01-01, 2024-02-01, 2024-03-01, 2024-04-01, 2024-05-01, 2024-06-01."),
    ("next_product_share", {"group": "Mug"}, "Say which product pair to explain"),
    ("next_product_share", {"group": "Mug → Pen"}, "No customer bought that pair"),
    ("simulated_profit", {"group": "gain=5", "offset": 1}, "“gain=5” is not a scenario"),
    ("simulated_profit", {"group": "gain=5,margin=30", "offset": 11},
     "Say which year to explain: 0 (today) to 10."),
])
def test_a_number_the_view_does_not_have_is_one_sentence(
        shop: tuple[Store, Dataset], metric_id: str, options: dict[str, object],
        message: str) -> None:
    store, dataset = shop
    filters = SMALL_SIMULATOR_FILTERS if metric_id.startswith("simulated") else FILTERS
    with pytest.raises(InputError) as raised:
        explain(store, dataset, metric_id, filters, **options)  # type: ignore[arg-type]
    assert message in str(raised.value)


def test_cli_explains_an_upsell_ratio_with_inputs_that_recompute_it(tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    path = write_csv(tmp_path / "loyal.csv", HEADER, ROWS)
    assert run("ingest", str(path), "--dataset", "Loyal", db=db).returncode == 0
    result = run("explain", "--metric", "upsell_ratio", "--dataset", "Loyal", "--period",
                 "2024-03", "--group", "channel=web", "--inactivity-days", "30",
                 "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    inputs = {item["id"]: item["value"] for item in data["inputs"]}
    # March, web customers: A (Mug, Tea so far), C (Pen, Ink), E (Tea): 2 ÷ 1
    assert inputs == {"upsell_several_products_customers": 2,
                      "upsell_one_product_customers": 1}
    assert data["value"] == pytest.approx(inputs["upsell_several_products_customers"]
                                          / inputs["upsell_one_product_customers"])
    assert data["group"] == "channel=web"
    assert [row["customer_id"] for row in data["rows"]] == ["A", "C", "E"]
    with Store(db) as store:  # the same figure as the page's table
        shown = loyalty.upsell_table(store, store.dataset("Loyal"), FILTERS, by="channel")
    march = shown[(shown["period_start"] == date(2024, 3, 1))
                  & (shown["group_value"] == "web")]
    assert data["value"] == pytest.approx(float(march["upsell_ratio"].iloc[0]))
