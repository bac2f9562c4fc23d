"""Compare two views (metrics/compare.py): both states' KPIs on a shop worked out by hand,
the difference and its test, two date ranges, two datasets, and the spec grammar's
sentences."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics.compare import COMPARISON_COLUMNS, ViewState, compare, parse_state
from metrics.definitions import KPIS
from metrics.errors import InputError
from metrics.ingest import ingest_file
from metrics.query.filters import Filters
from metrics.store import Store
from tests.builders import write_csv

# W = 30 days, monthly; the data runs from 15 February to 31 March 2024, so March is the
# latest complete month.
# Online: o0-o9 buy 100 on 15 Feb; o0-o5 buy 100 again on 20 Mar; n0, n1 buy 50 on 10 Mar.
# Store:  s0-s19 buy 80 on 20 Feb; s0-s15 buy 80 again on 31 Mar.
ORDERS: list[tuple[str, str, float, str]] = (
    [(f"o{n}", "2024-02-15", 100.0, "Online") for n in range(10)]
    + [(f"o{n}", "2024-03-20", 100.0, "Online") for n in range(6)]
    + [(f"n{n}", "2024-03-10", 50.0, "Online") for n in range(2)]
    + [(f"s{n}", "2024-02-20", 80.0, "Store") for n in range(20)]
    + [(f"s{n}", "2024-03-31", 80.0, "Store") for n in range(16)]
)
W = 30
MARCH = date(2024, 3, 1)


def _write(folder: Path, rows: list[tuple[str, str, float, str]]) -> Path:
    return write_csv(folder / "orders.csv", ("customer_id", "order_date", "amount", "Channel"),
                     rows)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("compare")
    shop = Store(":memory:")
    ingest_file(shop, _write(folder, ORDERS), dataset="Shop", currency="EUR")
    # a second brand: the Store customers alone, every amount doubled
    brand = [(c, d, 2 * a, ch) for c, d, a, ch in ORDERS if ch == "Store"]
    (folder / "brand").mkdir()
    ingest_file(shop, _write(folder / "brand", brand), dataset="Brand", currency="EUR")
    yield shop
    shop.close()


def _state(store: Store, *specs: str, dataset: str = "Shop") -> ViewState:
    return parse_state(store, store.dataset(dataset), Filters(inactivity_days=W), specs)


def _by_metric(store: Store, a: ViewState, b: ViewState) -> dict[str, dict[str, object]]:
    found = compare(store, a, b)
    assert list(found.records.columns) == list(COMPARISON_COLUMNS)
    assert list(found.records["metric"]) == [m.id for m in KPIS]  # every Overview card
    return {row["metric"]: row for row in found.records.to_dict("records")}


def test_two_segments_worked_out_by_hand(store: Store) -> None:
    """March, A = Online, B = Store.

    Online: S (base on 29 Feb) = o0-o9 = 10; N = n0, n1 = 2; on 31 March o6-o9 (last
    order 15 Feb, 45 days > W) are out, so E = 6 + 2 = 8; retained of S = 6.
    CRR = (8 − 2) / 10 = 60%, churn = (10 + 2 − 8) / 10 = 40%, strict 6/10 = 60%.
    Orders 6 + 2 = 8, revenue 600 + 100 = 700, AOV 87.5; active 8, repeat 6/8 = 75%.
    Store: S = 20, N = 0, E = 16 (s16-s19 out: 40 days > W), retained 16.
    CRR = strict = 80%, churn 20%; orders 16, revenue 1,280, AOV 80, repeat 16/16 = 100%.

    Strict retention, two-proportion z-test of 16/20 (B) against 6/10 (A):
    pooled p = 22/30 = 0.7333; SE = √(0.7333 × 0.2667 × (1/20 + 1/10)) = √0.029333
    = 0.171270; z = 0.2 / 0.171270 = 1.16775; p = 2 (1 − Φ(1.16775)) = 0.2429: not
    significant. The same test (on the strict counts) for CRR and churn.
    """
    a, b = _state(store, "Channel=Online"), _state(store, "Channel=Store")
    rows = _by_metric(store, a, b)
    expected = {"start_customers": None, "end_customers": (8, 16), "new_customers": (2, 0),
                "active_customers": (8, 16), "orders": (8, 16), "revenue": (700, 1280),
                "aov": (87.5, 80), "repeat_purchase_rate": (75, 100),
                "retention_rate": (60, 80), "strict_retention_rate": (60, 80),
                "churn_rate": (40, 20)}
    for metric_id, values in expected.items():
        if values is None:
            continue
        row = rows[metric_id]
        assert (row["a"], row["b"]) == pytest.approx(values), metric_id
        assert row["difference"] == pytest.approx(values[1] - values[0]), metric_id
    assert rows["churn_rate"]["difference_unit"] == "pp"
    assert rows["revenue"]["difference_unit"] == "currency"
    for metric_id in ("strict_retention_rate", "retention_rate", "churn_rate"):
        assert rows[metric_id]["p_value"] == pytest.approx(0.2429, abs=1e-4), metric_id
        assert rows[metric_id]["significant"] is False
        assert rows[metric_id]["test"] == "two-proportion z-test"
    # a headcount is not tested; E is one
    assert pd.isna(rows["end_customers"]["p_value"])
    assert rows["end_customers"]["test"] == "a headcount, not a sample"


def test_counts_get_the_conditional_binomial_test(store: Store) -> None:
    """Orders in March: 16 (Store) against 8 (Online), both over 31 days. Under "the same
    rate" each of the 24 orders is Store's with probability 1/2; the two-sided p-value is
    P(X ≥ 16) + P(X ≤ 8) for X ~ Bin(24, 1/2) = 2 × Σ_{k=16}^{24} C(24, k) / 2^24."""
    rows = _by_metric(store, _state(store, "Channel=Online"), _state(store, "Channel=Store"))
    by_hand = 2 * sum(math.comb(24, k) for k in range(16, 25)) / 2**24
    assert rows["orders"]["p_value"] == pytest.approx(by_hand)
    assert rows["orders"]["test"] == "conditional binomial test"


def test_trends_of_both_states(store: Store) -> None:
    found = compare(store, _state(store, "Channel=Online"), _state(store, "Channel=Store"))
    assert found.period_a == found.period_b == MARCH
    assert list(found.trend_a["period_start"]) == [date(2024, 2, 1), MARCH]
    # February's orders: 10 Online, 20 Store
    assert list(found.trend_a["orders"]) == [10, 8]
    assert list(found.trend_b["orders"]) == [20, 16]


def test_two_date_ranges_compare_their_own_periods(store: Store) -> None:
    """A = February (the data starts on the 15th: incomplete), B = March: February's
    values, and no test (a period is incomplete)."""
    a = _state(store, "from=2024-02-01", "to=2024-02-29")
    b = _state(store, "from=2024-03-01", "to=2024-03-31")
    found = compare(store, a, b)
    assert (found.period_a, found.period_b) == (date(2024, 2, 1), MARCH)
    rows = {row["metric"]: row for row in found.records.to_dict("records")}
    # February: 30 orders (10 x 100 + 20 x 80 = 2,600); March 8 + 16 = 24 (700 + 1,280)
    assert (rows["orders"]["a"], rows["orders"]["b"]) == (30, 24)
    assert rows["revenue"]["difference"] == pytest.approx(1980 - 2600)
    assert pd.isna(rows["orders"]["p_value"])
    assert rows["orders"]["test"] == "a period is incomplete"


def test_two_datasets(store: Store) -> None:
    """Brand holds Store's orders with every amount doubled: the same counts, AOV 160
    against Store's 80 in March (no spread in either: Welch's test has nothing to judge
    by, so it is not tested), revenue 2,560 against 1,280."""
    rows = _by_metric(store, _state(store, "Channel=Store"),
                      _state(store, "dataset=Brand"))
    assert (rows["aov"]["a"], rows["aov"]["b"]) == (80, 160)
    assert rows["revenue"]["difference"] == pytest.approx(1280)
    assert rows["orders"]["difference"] == 0
    assert rows["orders"]["p_value"] == pytest.approx(1.0)
    assert rows["aov"]["test"] == "too little data in these periods"


def test_a_value_may_hold_equals_signs_and_commas(store: Store, tmp_path: Path) -> None:
    odd = "a=b, c"
    ingest_file(store, _write(tmp_path, [("x1", "2024-03-01", 10.0, odd),
                                         ("x2", "2024-03-02", 20.0, "plain")]),
                dataset="Odd", currency="EUR")
    state = _state(store, f"Channel={odd}", dataset="Odd")
    assert state.filters.segments == (("channel", (odd,)),)
    rows = _by_metric(store, state, _state(store, "Channel=plain", dataset="Odd"))
    assert (rows["revenue"]["a"], rows["revenue"]["b"]) == (10, 20)


def test_specs_replace_the_shared_filters(store: Store) -> None:
    shared = Filters(start=date(2024, 2, 1), inactivity_days=W,
                     segments=(("channel", ("Online",)),))
    state = parse_state(store, store.dataset("Shop"), shared,
                        ["Channel=Store", "Channel=Online", "to=2024-03-31"])
    assert state.filters.segments == (("channel", ("Online", "Store")),)
    assert (state.filters.start, state.filters.end) == (date(2024, 2, 1), date(2024, 3, 31))


@pytest.mark.parametrize(("spec", "sentence"), [
    ("Channel", "“Channel” is not of the form KEY=VALUE, where KEY is dataset, from, to or "
                "a segment column."),
    ("=Online", "“=Online” is not of the form KEY=VALUE, where KEY is dataset, from, to or "
                "a segment column."),
    ("Chanel=Online", "“Chanel” is neither dataset, from, to nor a segment column of the "
                      "dataset “Shop”; its segment columns are: channel, rfm."),
    ("Channel=Phone", "“Phone” is not a value of the segment “channel” in the dataset "
                      "“Shop”; its values are: Store, Online."),
    ("from=1 March", "“1 March” is not a date: write it as YYYY-MM-DD."),
])
def test_a_bad_spec_is_one_sentence(store: Store, spec: str, sentence: str) -> None:
    with pytest.raises(InputError) as raised:
        _state(store, spec)
    assert raised.value.message == sentence


def test_different_granularities_are_refused(store: Store) -> None:
    a = _state(store)
    b = ViewState(a.dataset, Filters(period="week", inactivity_days=W))
    with pytest.raises(InputError, match="same granularity"):
        compare(store, a, b)
