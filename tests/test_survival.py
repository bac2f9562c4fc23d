"""Customer lifetimes and Kaplan-Meier survival against values worked out by hand.

Orders fixture, W = 30 days; the data's last day is 2024-06-30 (D's last order). A customer
is in the base from their first purchase to their last purchase + 30; still in the base on
06-30 (last purchase + 30 on or after it) = censored at 06-30.

    customer  orders (channel)                            last + 30   lifetime
    A         01-01 100, 01-21 50 (web)                   02-20       01-01..02-20 =  50, left
    B         01-01 80 (store), refund 03-15 -80          01-31       01-01..01-31 =  30, left
    C         02-01 60 (web), 05-01 40 (store)            05-31       02-01..05-31 = 120, left
    D         03-01 70, 06-30 30 (store)                  07-30       03-01..06-30 = 121, censored
    E         04-01 90 (web)                              05-01       04-01..05-01 =  30, left
    F         05-16 20, 05-31 25 (store)                  06-30       05-16..06-30 =  45, censored

B's refund is not a purchase (with it, B would last 03-15 + 30 - 01-01 = 104 days). C lapses
(02-01 -> 05-01 is 90 days > 30) and comes back: one lifetime, to the last purchase + 30
(Feb 29 + Mar 31 + Apr 30 + May 30 = 120 days; 2024 is a leap year). F's last purchase + 30
is the data's last day itself: F is still in the base that day, so censored.

Kaplan-Meier (Kaplan & Meier 1958), S(t) = Π (1 - d_i / n_i), n_i = lifetimes >= t_i:

    day   n  d  censored  S(t)
    30    6  2  -         1 - 2/6            = 2/3  = 0.6667
    45    4  0  F         2/3
    50    3  1  -         2/3 x (1 - 1/3)    = 4/9  = 0.4444
    120   2  1  -         4/9 x (1 - 1/2)    = 2/9  = 0.2222
    121   1  0  D         2/9

Median = the first day S(t) <= 0.5 = 50.

Split by the channel of the first purchase: web = {A 50, C 120 (first order web), E 30},
all left: S = 1 - 1/3 = 2/3 at 30, 2/3 x 1/2 = 1/3 at 50, 0 at 120; median 50.
store = {B 30, D 121 censored, F 45 censored}: S = 2/3 at 30 and stays; median never
reached (None).

Filter channel = store (the KPI query's segment filter: only store orders count): B 30 left;
C's first store purchase is 05-01 -> 05-31, 30 days, left; D 121 and F 45 censored.
S(30) = 1 - 2/4 = 1/2 <= 0.5: median 30.

Subscriptions fixture; the data's last day is the latest start or end date, 2024-05-31:

    customer  subscriptions                           lifetime
    S1        01-01..03-01                            01-01..03-01 =  60, left
    S2        01-15..02-15, 03-01..04-30              01-15..04-30 = 106, left (all ended)
    S3        01-01..01-31, 03-01..(open)             01-01..05-31 = 151, censored
    S4        02-01..05-31                            02-01..05-31 = 120, left

S = 3/4 at 60 (n 4), 3/4 x 2/3 = 1/2 at 106 (n 3), 1/2 x 1/2 = 1/4 at 120 (n 2); median 106.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics import survival
from metrics.errors import InputError
from metrics.ingest import ingest_file
from metrics.query.filters import Filters
from metrics.query.run import query_frame as run_query
from metrics.query.segments import segment_dimensions
from metrics.store import Dataset, Store
from metrics.survival import (
    CURVE_COLUMNS,
    LIFETIME_COLUMNS,
    ONE_TIME,
    REPEAT,
    SUMMARY_COLUMNS,
    SurvivalView,
    customer_lifetimes,
    kaplan_meier,
    survival_curves,
)
from tests.builders import write_csv

W30 = Filters(inactivity_days=30)

ORDERS = [
    ("A", "2024-01-01", "100", "web"), ("A", "2024-01-21", "50", "web"),
    ("B", "2024-01-01", "80", "store"), ("B", "2024-03-15", "-80", "store"),
    ("C", "2024-02-01", "60", "web"), ("C", "2024-05-01", "40", "store"),
    ("D", "2024-03-01", "70", "store"), ("D", "2024-06-30", "30", "store"),
    ("E", "2024-04-01", "90", "web"),
    ("F", "2024-05-16", "20", "store"), ("F", "2024-05-31", "25", "store"),
]
SUBSCRIPTIONS = [
    ("S1", "2024-01-01", "2024-03-01"),
    ("S2", "2024-01-15", "2024-02-15"), ("S2", "2024-03-01", "2024-04-30"),
    ("S3", "2024-01-01", "2024-01-31"), ("S3", "2024-03-01", ""),
    ("S4", "2024-02-01", "2024-05-31"),
]


def orders_store(folder: Path) -> tuple[Store, Dataset]:
    """The orders fixture, and a customers table with a loyalty tier for A-D."""
    store = Store(":memory:")
    orders = write_csv(folder / "orders.csv", ("customer_id", "order_date", "amount", "channel"),
                       ORDERS)
    customers = write_csv(folder / "customers.csv", ("customer_id", "loyalty_tier"),
                          [("A", "gold"), ("B", "gold"), ("C", "silver"), ("D", "silver")])
    ingest_file(store, orders, dataset="Shop", currency="EUR")
    ingest_file(store, customers, dataset="Shop", kind="customers")
    return store, store.dataset("Shop")


def subscriptions_store(folder: Path) -> tuple[Store, Dataset]:
    store = Store(":memory:")
    path = write_csv(folder / "subscriptions.csv", ("customer_id", "start_date", "end_date"),
                     SUBSCRIPTIONS)
    ingest_file(store, path, dataset="Subscribers", kind="subscriptions")
    return store, store.dataset("Subscribers")


def lifetimes_by_customer(frame: pd.DataFrame) -> dict[str, tuple[object, int, bool]]:
    return {row.customer_id: (row.group, row.duration_days, row.event)
            for row in frame.itertuples(index=False)}


def test_orders_lifetimes_match_the_hand_worked_table(tmp_path: Path) -> None:
    store, dataset = orders_store(tmp_path)
    lifetimes = customer_lifetimes(store, dataset, W30)
    assert list(lifetimes.columns) == list(LIFETIME_COLUMNS)
    assert lifetimes_by_customer(lifetimes) == {
        "A": (None, 50, True),
        "B": (None, 30, True),  # the refund on 03-15 is not a purchase
        "C": (None, 120, True),  # lapsed and came back: to the last purchase + 30
        "D": (None, 121, False),  # still in the base: censored at 06-30
        "E": (None, 30, True),
        "F": (None, 45, False),  # last purchase + 30 = the data's last day: still in
    }


def test_kaplan_meier_curve_and_median_match_the_hand_worked_product(tmp_path: Path) -> None:
    store, dataset = orders_store(tmp_path)
    curve, summary = kaplan_meier(customer_lifetimes(store, dataset, W30))
    assert list(curve.columns) == list(CURVE_COLUMNS)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert curve["group"].tolist() == [None] * 6
    assert curve["days"].tolist() == [0, 30, 45, 50, 120, 121]
    assert curve["survival"].tolist() == pytest.approx([1, 2 / 3, 2 / 3, 4 / 9, 2 / 9, 2 / 9])
    assert curve["at_risk"].tolist() == [6, 6, 4, 3, 2, 1]
    assert curve["events"].tolist() == [0, 2, 0, 1, 1, 0]
    assert summary.to_dict("records") == [{
        "group": None, "customers": 6, "events": 4, "censored": 2,
        # the lower band is 0.1946 <= 0.5 on day 30; the upper band ends at 0.6147 > 0.5
        "median_days": 50, "median_lower": 30, "median_upper": None,
    }]


def test_log_log_greenwood_band_at_day_50_by_hand(tmp_path: Path) -> None:
    # Greenwood (1926) at day 50: Σ d/(n(n-d)) = 2/(6·4) + 1/(3·2) = 1/12 + 1/6 = 1/4,
    # Var S = S² · 1/4 = (4/9)² / 4 = 4/81 = 0.04938, standard error 2/9 = 0.2222.
    # Log-log band: S ** exp(±z · sqrt(1/4) / ln S), z = 1.959964 (SciPy's 97.5% normal
    # quantile; 1.96 moves the 4th decimal), ln(4/9) = -0.810930:
    #   z · 0.5 / ln S = 0.979982 / -0.810930 = -1.208466
    #   lower = (4/9) ** exp(+1.208466) = (4/9) ** 3.348346 = exp(-2.715275) = 0.066187
    #   upper = (4/9) ** exp(-1.208466) = (4/9) ** 0.298655 = exp(-0.242188) = 0.784908
    store, dataset = orders_store(tmp_path)
    curve, _ = kaplan_meier(customer_lifetimes(store, dataset, W30))
    day_50 = curve[curve["days"] == 50].iloc[0]
    survival, greenwood_sum, z = 4 / 9, 2 / (6 * 4) + 1 / (3 * 2), 1.959963984540054
    assert greenwood_sum == pytest.approx(0.25)
    assert survival**2 * greenwood_sum == pytest.approx(4 / 81)
    exponent = z * math.sqrt(greenwood_sum) / math.log(survival)
    assert day_50["lower"] == pytest.approx(survival ** math.exp(-exponent))
    assert day_50["upper"] == pytest.approx(survival ** math.exp(exponent))
    assert day_50["lower"] == pytest.approx(0.066187, abs=1e-6)
    assert day_50["upper"] == pytest.approx(0.784908, abs=1e-6)
    # the band is the point (1, 1) on the first row, before anyone has left
    assert curve[["survival", "lower", "upper"]].iloc[0].tolist() == [1.0, 1.0, 1.0]


def test_split_by_the_channel_of_the_first_purchase(tmp_path: Path) -> None:
    store, dataset = orders_store(tmp_path)
    lifetimes = customer_lifetimes(store, dataset, W30, by="channel")
    # C's comeback order is in the store, but C was acquired on the web
    assert {c: g for c, (g, _, _) in lifetimes_by_customer(lifetimes).items()} == {
        "A": "web", "B": "store", "C": "web", "D": "store", "E": "web", "F": "store"}
    curve, summary = kaplan_meier(lifetimes)
    web = curve[curve["group"] == "web"]
    assert web["days"].tolist() == [0, 30, 50, 120]
    assert web["survival"].tolist() == pytest.approx([1, 2 / 3, 1 / 3, 0])
    store_curve = curve[curve["group"] == "store"]
    assert store_curve["days"].tolist() == [0, 30, 45, 121]
    assert store_curve["survival"].tolist() == pytest.approx([1, 2 / 3, 2 / 3, 2 / 3])
    assert summary[["group", "customers", "events", "censored", "median_days"]].to_dict(
        "records") == [
        {"group": "store", "customers": 3, "events": 1, "censored": 2, "median_days": None},
        {"group": "web", "customers": 3, "events": 3, "censored": 0, "median_days": 50},
    ]
    # S = 0 at day 120: Greenwood's variance is undefined there (n - d = 0)
    assert web["lower"].iloc[-1] == 0.0
    assert math.isnan(web["upper"].iloc[-1])


def test_split_by_a_customer_attribute_puts_the_unknown_last(tmp_path: Path) -> None:
    store, dataset = orders_store(tmp_path)
    lifetimes = customer_lifetimes(store, dataset, W30, by="customers.loyalty_tier")
    _, summary = kaplan_meier(lifetimes)
    # gold {A 50, B 30}: 1/2 at 30; silver {C 120, D 121 censored}: 1/2 at 120;
    # no tier {E 30, F 45 censored}: 1/2 at 30
    assert summary[["group", "customers", "median_days"]].to_dict("records") == [
        {"group": "gold", "customers": 2, "median_days": 30},
        {"group": "silver", "customers": 2, "median_days": 120},
        {"group": None, "customers": 2, "median_days": 30},
    ]


def test_segment_filter_counts_only_that_segments_orders(tmp_path: Path) -> None:
    store, dataset = orders_store(tmp_path)
    filters = Filters(inactivity_days=30, segments=(("channel", ("store",)),))
    lifetimes = customer_lifetimes(store, dataset, filters)
    assert lifetimes_by_customer(lifetimes) == {
        "B": (None, 30, True), "C": (None, 30, True),  # C: 05-01..05-31
        "D": (None, 121, False), "F": (None, 45, False),
    }
    _, summary = kaplan_meier(lifetimes)
    assert summary["median_days"].tolist() == [30]  # S(30) = 1 - 2/4 = 0.5


def test_date_range_follows_the_customers_first_seen_in_it(tmp_path: Path) -> None:
    store, dataset = orders_store(tmp_path)
    filters = Filters(inactivity_days=30, start=date(2024, 2, 1), end=date(2024, 4, 30))
    lifetimes = customer_lifetimes(store, dataset, filters)
    assert lifetimes["customer_id"].tolist() == ["C", "D", "E"]


def test_subscriptions_run_until_every_subscription_has_ended(tmp_path: Path) -> None:
    store, dataset = subscriptions_store(tmp_path)
    lifetimes = customer_lifetimes(store, dataset, W30)
    assert lifetimes_by_customer(lifetimes) == {
        "S1": (None, 60, True),
        "S2": (None, 106, True),
        "S3": (None, 151, False),  # open subscription: censored at 05-31
        "S4": (None, 120, True),
    }
    curve, summary = kaplan_meier(lifetimes)
    assert curve["days"].tolist() == [0, 60, 106, 120, 151]
    assert curve["survival"].tolist() == pytest.approx([1, 3 / 4, 1 / 2, 1 / 4, 1 / 4])
    assert summary["median_days"].tolist() == [106]


def test_subscription_data_filtered_and_split_by_customer_attributes(tmp_path: Path) -> None:
    store, dataset = subscriptions_store(tmp_path)
    customers = write_csv(tmp_path / "customers.csv", ("customer_id", "loyalty_tier"),
                          [("S1", "gold"), ("S2", "gold"), ("S3", "silver")])
    orders = write_csv(tmp_path / "orders.csv", ("customer_id", "order_date", "amount",
                                                 "channel"),
                       [("S1", "2024-01-01", "10", "web"), ("S3", "2024-01-01", "10", "store")])
    ingest_file(store, customers, dataset="Subscribers", kind="customers")
    ingest_file(store, orders, dataset="Subscribers")
    dataset = store.dataset("Subscribers")
    gold = Filters(segments=(("customers.loyalty_tier", ("gold",)),))
    assert customer_lifetimes(store, dataset, gold)["customer_id"].tolist() == ["S1", "S2"]
    # a filter on an orders column keeps the subscribers with such a purchase
    in_store = Filters(segments=(("channel", ("store",)),))
    assert customer_lifetimes(store, dataset, in_store)["customer_id"].tolist() == ["S3"]
    tiers = customer_lifetimes(store, dataset, W30, by="customers.loyalty_tier")
    assert tiers["group"].tolist() == ["gold", "gold", "silver", None]


def test_no_customers_gives_empty_frames(tmp_path: Path) -> None:
    store, dataset = orders_store(tmp_path)
    nobody = Filters(inactivity_days=30, segments=(("channel", ("no such channel",)),))
    lifetimes = customer_lifetimes(store, dataset, nobody)
    assert list(lifetimes.columns) == list(LIFETIME_COLUMNS)
    assert lifetimes.empty
    curve, summary = kaplan_meier(lifetimes)
    assert list(curve.columns) == list(CURVE_COLUMNS) and curve.empty
    assert list(summary.columns) == list(SUMMARY_COLUMNS) and summary.empty


def test_all_censored_has_no_median() -> None:
    lifetimes = pd.DataFrame({"customer_id": ["a", "b"], "group": [None, None],
                              "duration_days": [10, 20], "event": [False, False]})
    curve, summary = kaplan_meier(lifetimes)
    assert curve["survival"].tolist() == [1.0, 1.0, 1.0]
    assert curve["lower"].tolist() == [1.0, 1.0, 1.0]
    assert summary.to_dict("records") == [{
        "group": None, "customers": 2, "events": 0, "censored": 2,
        "median_days": None, "median_lower": None, "median_upper": None,
    }]


def test_a_group_of_one_customer() -> None:
    lifetimes = pd.DataFrame({"customer_id": ["a", "b", "c"], "group": ["x", "y", "y"],
                              "duration_days": [40, 10, 20], "event": [True, True, False]})
    curve, summary = kaplan_meier(lifetimes)
    one = curve[curve["group"] == "x"]
    assert one["days"].tolist() == [0, 40]
    assert one["survival"].tolist() == [1.0, 0.0]
    assert one["at_risk"].tolist() == [1, 1]
    assert summary.iloc[0]["median_days"] == 40


def test_unknown_split_is_one_sentence_for_the_user(tmp_path: Path) -> None:
    store, dataset = orders_store(tmp_path)
    with pytest.raises(InputError) as error:
        customer_lifetimes(store, dataset, W30, by="colour")
    assert error.value.message == (
        "“colour” is not a segment of the dataset “Shop”; its segments are: channel, "
        "customers.loyalty_tier, rfm."
    )


def test_a_dataset_without_orders_or_subscriptions(tmp_path: Path) -> None:
    store = Store(":memory:")
    customers = write_csv(tmp_path / "customers.csv", ("customer_id", "loyalty_tier"),
                          [("a", "gold"), ("b", "silver")])
    ingest_file(store, customers, dataset="CRM", kind="customers")
    with pytest.raises(InputError, match="has no orders or subscriptions yet"):
        customer_lifetimes(store, store.dataset("CRM"), W30)


# -- one-time and repeat customers -----------------------------------------------------------

REPEAT_ORDERS = [
    ("A", "2024-01-01", "10"), ("B", "2024-01-05", "10"),
    ("C", "2024-01-01", "10"), ("C", "2024-01-08", "10"), ("C", "2024-01-20", "10"),
    ("D", "2024-01-02", "10"), ("D", "2024-01-02", "15"),
    ("E", "2024-01-10", "10"), ("E", "2024-03-25", "10"),
    ("F", "2024-02-01", "10"), ("F", "2024-02-05", "10"), ("F", "2024-02-12", "10"),
    ("H", "2024-03-31", "10"),
]


def test_one_time_and_repeat_customers_by_hand(tmp_path: Path) -> None:
    """W = 10 days; the data's last day is 2024-03-31 (H's only order).

        customer  purchase days           last + 10  from the first      from the second
        A         01-01                   01-11      10 left             -
        B         01-05                   01-15      10 left             -
        D         01-02 (two orders)      01-12      10 left             -
        H         03-31                   04-10       0 censored         -
        C         01-01, 01-08, 01-20     01-30      29 left             22 left
        E         01-10, 03-25            04-04      81 censored (03-31)  6 censored
        F         02-01, 02-05, 02-12     02-22      21 left             17 left

    All (n 7): day 10: n 6 (H censored at 0), d 3: S = 1/2, so the median is W = 10;
    day 21: n 3, d 1: 1/3; day 29: n 2, d 1: 1/6.
    One-time {A, B, D, H}: day 10: n 3, d 3: S = 0; median 10 = W, as always.
    Repeat {C, E, F}: day 21: n 3, d 1: 2/3; day 29: n 2, d 1: 1/3; median 29.
    Repeat from the second purchase {C 22, E 6 censored, F 17}: day 17: n 2, d 1: 1/2;
    day 22: n 1, d 1: 0; median 17.
    """
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "orders.csv", ("customer_id", "order_date",
                                                           "amount"), REPEAT_ORDERS),
                dataset="Shop")
    dataset = store.dataset("Shop")
    w10 = Filters(inactivity_days=10)

    _, everyone = survival_curves(store, dataset, w10)
    assert everyone["median_days"].tolist() == [10]

    split = customer_lifetimes(store, dataset, w10, view="one_time_vs_repeat")
    assert lifetimes_by_customer(split) == {
        "A": (ONE_TIME, 10, True), "B": (ONE_TIME, 10, True), "D": (ONE_TIME, 10, True),
        "H": (ONE_TIME, 0, False), "C": (REPEAT, 29, True), "E": (REPEAT, 81, False),
        "F": (REPEAT, 21, True)}
    curve, summary = kaplan_meier(split)
    assert summary["group"].tolist() == [ONE_TIME, REPEAT]
    assert summary["median_days"].tolist() == [10, 29]
    repeat = curve[curve["group"] == REPEAT].set_index("days")["survival"]
    assert repeat[21] == pytest.approx(2 / 3) and repeat[29] == pytest.approx(1 / 3)

    second = customer_lifetimes(store, dataset, w10, view="repeat_from_second")
    assert lifetimes_by_customer(second) == {
        "C": (None, 22, True), "E": (None, 6, False), "F": (None, 17, True)}
    curve, summary = survival_curves(store, dataset, w10, view="repeat_from_second")
    assert summary["median_days"].tolist() == [17]
    assert curve.set_index("days")["survival"][22] == pytest.approx(0.0)


def test_survival_views_that_cannot_be_drawn_say_why(tmp_path: Path) -> None:
    store, dataset = orders_store(tmp_path)
    with pytest.raises(InputError, match="clear the segment split"):
        customer_lifetimes(store, dataset, W30, by="channel", view="one_time_vs_repeat")
    with pytest.raises(InputError, match="is not a survival view"):
        customer_lifetimes(store, dataset, W30, view="loyal")  # type: ignore[arg-type]
    subscribers, subscriptions = subscriptions_store(tmp_path)
    with pytest.raises(InputError, match="only the curve of all customers"):
        customer_lifetimes(subscribers, subscriptions, W30, view="repeat_from_second")


@pytest.mark.parametrize("shop", ["cdnow", "demo_store"])
@pytest.mark.parametrize(("view", "split"), [("all", False), ("one_time_vs_repeat", False),
                                             ("repeat_from_second", False), ("all", True)])
def test_the_curves_from_counted_lifetimes_equal_those_from_each_customer(
        request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, shop: str,
        view: SurvivalView, split: bool) -> None:
    # the page's curves read the lifetimes counted (a row per group, lifetime and
    # outcome); a second method: the estimate over every customer's own row
    store: Store = request.getfixturevalue(shop)
    dataset = store.datasets()[0]
    by = next(iter(segment_dimensions(dataset))) if split else None
    filters = Filters(period="month", inactivity_days=60)
    each = customer_lifetimes(store, dataset, filters, by, view)
    read: list[int] = []

    def counted(*args: object) -> pd.DataFrame:
        frame = run_query(*args)  # type: ignore[arg-type]
        read.append(len(frame))
        return frame
    monkeypatch.setattr(survival, "query_frame", counted)
    curve, summary = survival_curves(store, dataset, filters, by, view)
    expected_curve, expected_summary = kaplan_meier(each)
    pd.testing.assert_frame_equal(curve, expected_curve, check_exact=True)
    pd.testing.assert_frame_equal(summary, expected_summary, check_exact=True)
    assert summary["customers"].sum() == len(each) > 1000
    # one row per group, lifetime and outcome: far fewer than the customers
    assert read and max(read) < len(each) / 2
