"""Loyalty types, the upsell ratio, next products and the loyalty-programme comparison on a
small shop worked out by hand, and the demo's loyalty story."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics.errors import InputError
from metrics.ingest import ingest_file
from metrics.loyalty import (
    LOYALTY_TYPES,
    loyalty_type_summary,
    loyalty_types,
    membership_source,
    next_products,
    programme_comparison,
    selection_window,
    top_next_products,
    upsell_table,
)
from metrics.query.filters import Filters
from metrics.store import Dataset, Store
from tests.builders import write_csv

HEADER = ("Order ID", "Customer ID", "Order date", "Total", "Product", "Discount",
          "Points redeemed", "Loyalty member", "Channel")
# Six customers, January to June 2024 (the data's last day is 25 June).
#   A  member "Yes", web:   points on 2 of 4 purchases           -> reward-based
#   B  member "No", store:  a discount on 3 of 4, one refund      -> discount-based
#   C  member "da", web:    4 of 4 at full price                  -> value-based
#   D  member "Nu", store:  a discount on 1 of 3 (full price 2/3) -> price-based
#   E  member "Да", web:    one purchase                          -> too few purchases
#   F  member "Gold", web:  a discount on 1 of 2 (50%)            -> discount-based
ROWS = (
    ("A1", "A", "2024-01-05", "100", "Mug", "0", "0", "Yes", "web"),
    ("A2", "A", "2024-02-10", "100", "Tea", "0", "50", "Yes", "web"),
    ("A3", "A", "2024-03-15", "100", "Tea", "0", "20", "Yes", "web"),
    ("A4", "A", "2024-06-20", "140", "Mug", "0", "0", "Yes", "web"),
    ("B1", "B", "2024-01-10", "50", "Mug", "10", "0", "No", "store"),
    ("B2", "B", "2024-01-25", "50", "Mug", "5", "0", "No", "store"),
    ("B3", "B", "2024-02-05", "60", "Mug", "0", "0", "No", "store"),
    ("B4", "B", "2024-04-01", "40", "Mug", "8", "0", "No", "store"),
    ("B4-R", "B", "2024-04-05", "-40", "Mug", "8", "0", "No", "store"),
    ("C1", "C", "2024-02-01", "200", "Pen", "0", "0", "da", "web"),
    ("C2", "C", "2024-03-01", "200", "Ink", "0", "0", "da", "web"),
    ("C3", "C", "2024-04-01", "200", "Pen", "0", "0", "da", "web"),
    ("C4", "C", "2024-06-25", "200", "Paper", "0", "0", "da", "web"),
    ("D1", "D", "2024-01-15", "80", "Ink", "10", "0", "Nu", "store"),
    ("D2", "D", "2024-02-20", "80", "Pen", "0", "0", "Nu", "store"),
    ("D3", "D", "2024-05-10", "80", "Ink", "0", "0", "Nu", "store"),
    ("E1", "E", "2024-03-10", "300", "Tea", "0", "30", "Да", "web"),
    ("F1", "F", "2024-06-01", "70", "Pen", "0", "0", "Gold", "web"),
    ("F2", "F", "2024-06-10", "70", "Paper", "7", "0", "Gold", "web"),
)
# W = 30 days: in the base on 25 June means a purchase on or after 26 May (A, C, F).
FILTERS = Filters(inactivity_days=30)


@pytest.fixture
def shop(tmp_path: Path) -> tuple[Store, Dataset]:
    store = Store(":memory:")
    path = write_csv(tmp_path / "loyal.csv", HEADER, ROWS)
    ingest_file(store, path, dataset="Loyal shop", currency="EUR")
    return store, store.dataset("Loyal shop")


def plain_store(tmp_path: Path, header: tuple[str, ...], rows: tuple[tuple[str, ...], ...],
                name: str = "Plain shop") -> tuple[Store, Dataset]:
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "plain.csv", header, rows), dataset=name)
    return store, store.dataset(name)


# -- loyalty types -----------------------------------------------------------------------


def test_each_customer_gets_the_type_the_rules_give(shop: tuple[Store, Dataset]) -> None:
    customers = loyalty_types(*shop, FILTERS).set_index("customer_id")
    assert customers["loyalty_type"].to_dict() == {
        "A": "reward", "B": "discount", "C": "value", "D": "price",
        "E": "too_few_purchases", "F": "discount"}
    # B: the refund is not a purchase; 50 + 50 + 60 + 40 - 40 = 160 net
    assert customers.loc["B", ["orders", "discounted_orders", "redeemed_orders",
                               "full_price_orders"]].tolist() == [4, 3, 0, 1]
    assert customers.loc["B", "revenue"] == pytest.approx(160.0)
    assert customers.loc["B", "discount_share_pct"] == pytest.approx(75.0)
    # D: 1 of 3 with a discount, 2 of 3 at full price (under the 75% of value-based)
    assert customers.loc["D", "discount_share_pct"] == pytest.approx(100 / 3)
    assert customers.loc["D", "full_price_share_pct"] == pytest.approx(200 / 3)
    assert customers.loc["A", "points_share_pct"] == pytest.approx(50.0)
    # last purchases: A 20 Jun, B 1 Apr (the refund is not one), C 25 Jun, D 10 May,
    # E 10 Mar, F 10 Jun; on or after 26 May -> in the base
    assert customers["in_base_at_end"].to_dict() == {
        "A": True, "B": False, "C": True, "D": False, "E": False, "F": True}
    assert customers.loc["B", "last_purchase"] == date(2024, 4, 1)


def test_the_summary_per_type(shop: tuple[Store, Dataset]) -> None:
    summary = loyalty_type_summary(loyalty_types(*shop, FILTERS)).set_index("loyalty_type")
    assert list(summary.index) == list(LOYALTY_TYPES)
    assert summary["customers"].to_dict() == {
        "too_few_purchases": 1, "reward": 1, "discount": 2, "value": 1, "price": 1}
    # discount-based: B and F, 2 of 6 customers; 4 + 2 purchases; 160 + 140 revenue;
    # AOV 300 / 6 = 50; F still in the base, B not: 50%; 300 / 2 = 150 per customer
    discount = summary.loc["discount"]
    assert discount["share_pct"] == pytest.approx(100 / 3)
    assert discount["orders"] == 6
    assert discount["revenue"] == pytest.approx(300.0)
    assert discount["aov"] == pytest.approx(50.0)
    assert discount["purchase_frequency"] == pytest.approx(3.0)
    assert discount["retention_pct"] == pytest.approx(50.0)
    assert discount["revenue_per_customer"] == pytest.approx(150.0)
    # reward-based A: 440 over 4 purchases = 110, in the base
    assert summary.loc["reward", ["aov", "retention_pct", "revenue_per_customer"]].tolist() \
        == pytest.approx([110.0, 100.0, 440.0])
    # value-based C: 800 / 4 = 200; price-based D: 240 / 3 = 80, not in the base
    assert summary.loc["value", "aov"] == pytest.approx(200.0)
    assert summary.loc["price", ["aov", "retention_pct"]].tolist() == pytest.approx([80.0, 0.0])
    assert summary.loc["too_few_purchases", "revenue_per_customer"] == pytest.approx(300.0)


def test_types_follow_the_date_range_and_segments(shop: tuple[Store, Dataset]) -> None:
    # February-March: A 2 purchases both with points; C 2 at full price; B, D, E one each
    spring = Filters(start=date(2024, 2, 1), end=date(2024, 3, 31), inactivity_days=30)
    customers = loyalty_types(*shop, spring).set_index("customer_id")
    assert customers["loyalty_type"].to_dict() == {
        "A": "reward", "B": "too_few_purchases", "C": "value", "D": "too_few_purchases",
        "E": "too_few_purchases"}
    # the range ends on 31 March: in the base from 1 March on (A 15 Mar, C 1 Mar, E 10 Mar)
    assert customers["in_base_at_end"].to_dict() == {
        "A": True, "B": False, "C": True, "D": False, "E": True}
    web = Filters(inactivity_days=30, segments=(("channel", ("web",)),))
    assert sorted(loyalty_types(*shop, web)["customer_id"]) == ["A", "C", "E", "F"]


def test_the_date_range_is_widened_to_whole_periods_inside_the_data(
        shop: tuple[Store, Dataset]) -> None:
    _, dataset = shop
    assert selection_window(dataset, FILTERS) == (date(2024, 1, 5), date(2024, 6, 25))
    middle = Filters(start=date(2024, 2, 14), end=date(2024, 3, 3))
    assert selection_window(dataset, middle) == (date(2024, 2, 1), date(2024, 3, 31))


def test_an_empty_selection_gives_empty_tables(shop: tuple[Store, Dataset]) -> None:
    nobody = Filters(segments=(("channel", ("web",)),), start=date(2024, 5, 1),
                     end=date(2024, 5, 31))
    customers = loyalty_types(*shop, nobody)
    assert customers.empty
    summary = loyalty_type_summary(customers)
    assert summary["customers"].sum() == 0 and summary["retention_pct"].isna().all()
    assert upsell_table(*shop, nobody).empty
    assert next_products(*shop, nobody).empty


def test_loyalty_types_need_a_discount_or_points_column(tmp_path: Path) -> None:
    store, dataset = plain_store(tmp_path, ("Customer ID", "Order date", "Total"),
                                 (("A", "2024-01-05", "10"),))
    with pytest.raises(InputError, match="Discount or a Points redeemed column"):
        loyalty_types(store, dataset, Filters())


def test_points_alone_are_enough_for_types(tmp_path: Path) -> None:
    store, dataset = plain_store(tmp_path, ("Customer ID", "Order date", "Total", "Points"), (
        ("A", "2024-01-05", "10", "5"), ("A", "2024-01-06", "10", "0"),
        ("B", "2024-01-05", "10", "0"), ("B", "2024-01-06", "10", "0")))
    types = loyalty_types(store, dataset, Filters()).set_index("customer_id")
    # A: points on 1 of 2 = 50% -> reward; B: all at full price -> value
    assert types["loyalty_type"].to_dict() == {"A": "reward", "B": "value"}


# -- upsell ------------------------------------------------------------------------------


def test_the_upsell_ratio_per_month(shop: tuple[Store, Dataset]) -> None:
    table = upsell_table(*shop, FILTERS)
    by_month = {row.period_start.month: (row.one_product_customers,
                                         row.several_products_customers)
                for row in table.itertuples()}
    # distinct products from the first purchase to the month's end, for the month's buyers:
    # Jan A{Mug} B{Mug} D{Ink}; Feb A{Mug,Tea} B{Mug} C{Pen} D{Ink,Pen};
    # Mar A{Mug,Tea} C{Pen,Ink} E{Tea}; Apr B{Mug} C{Pen,Ink} (B's refund is no purchase);
    # May D{Ink,Pen}; Jun A{Mug,Tea} C{Pen,Ink,Paper} F{Pen,Paper}
    assert by_month == {1: (3, 0), 2: (2, 2), 3: (1, 2), 4: (1, 1), 5: (0, 1), 6: (0, 3)}
    ratios = dict(zip(table["period_start"], table["upsell_ratio"], strict=True))
    assert ratios[date(2024, 1, 1)] == pytest.approx(0.0)
    assert ratios[date(2024, 2, 1)] == pytest.approx(1.0)
    assert ratios[date(2024, 3, 1)] == pytest.approx(2.0)
    assert ratios[date(2024, 4, 1)] == pytest.approx(1.0)
    assert pd.isna(ratios[date(2024, 5, 1)])  # no one with a single product: no ratio
    assert table.loc[table["period_start"] == date(2024, 6, 1), "period_end"].item() \
        == date(2024, 6, 30)
    assert table["several_products_pct"].iloc[1] == pytest.approx(50.0)


def test_the_upsell_ratio_over_the_range_and_by_segment(shop: tuple[Store, Dataset]) -> None:
    whole = upsell_table(*shop, FILTERS, whole_range=True)
    # A 2, B 1, C 3, D 2, E 1, F 2 products: 4 with several / 2 with one = 2.0
    assert len(whole) == 1
    row = whole.iloc[0]
    assert (row["one_product_customers"], row["several_products_customers"]) == (2, 4)
    assert row["upsell_ratio"] == pytest.approx(2.0)
    assert (row["period_start"], row["period_end"]) == (date(2024, 1, 5), date(2024, 6, 25))
    split = upsell_table(*shop, FILTERS, by="channel", whole_range=True).set_index(
        "group_value")
    # web: A 2, C 3, E 1, F 2 -> 3 / 1; store: B 1, D 2 -> 1 / 1
    assert split["upsell_ratio"].to_dict() == pytest.approx({"store": 1.0, "web": 3.0})


def test_the_upsell_ratio_needs_products(tmp_path: Path) -> None:
    store, dataset = plain_store(tmp_path, ("Customer ID", "Order date", "Total"),
                                 (("A", "2024-01-05", "10"),))
    with pytest.raises(InputError, match="Product column"):
        upsell_table(store, dataset, Filters())
    with pytest.raises(InputError, match="Product column"):
        next_products(store, dataset, Filters())


def test_products_come_from_the_order_lines(tmp_path: Path) -> None:
    # Shopify style: the total on an order's first line only; X's order holds two products
    store, dataset = plain_store(tmp_path, ("Order ID", "Customer ID", "Order date", "Total",
                                            "Product"), (
        ("O1", "X", "2024-01-05", "100", "Mug"), ("O1", "X", "2024-01-05", "", "Tea"),
        ("O2", "Y", "2024-01-06", "50", "Mug"), ("O3", "Y", "2024-02-06", "50", "Mug")))
    assert "product" not in dataset.tables["orders"].columns
    table = upsell_table(store, dataset, Filters())
    # January: X {Mug, Tea}, Y {Mug} -> 1 / 1; February: Y {Mug} -> 0 / 1
    assert table["several_products_customers"].tolist() == [1, 0]
    assert table["one_product_customers"].tolist() == [1, 1]
    assert table["upsell_ratio"].tolist() == pytest.approx([1.0, 0.0])
    pairs = next_products(store, dataset, Filters())
    # X has no second purchase; Y bought a mug again
    assert pairs[["first_product", "next_product", "customers"]].values.tolist() == [
        ["Mug", "Mug", 1]]
    assert pairs[["first_customers", "returning_customers"]].values.tolist() == [[2, 1]]


def test_the_next_product_after_the_first_purchase(shop: tuple[Store, Dataset]) -> None:
    pairs = next_products(*shop, FILTERS)
    # first day -> second day: A Mug->Tea, B Mug->Mug, C Pen->Ink, D Ink->Pen, F Pen->Paper;
    # E (Tea) has not come back. Mug and Pen have 2 first customers each, Ink 1.
    assert pairs[["first_product", "next_product", "customers", "rank"]].values.tolist() == [
        ["Mug", "Mug", 1, 1], ["Mug", "Tea", 1, 2], ["Pen", "Ink", 1, 1],
        ["Pen", "Paper", 1, 2], ["Ink", "Pen", 1, 1]]
    assert pairs["share_pct"].tolist() == pytest.approx([50.0, 50.0, 50.0, 50.0, 100.0])
    assert pairs["first_customers"].tolist() == [2, 2, 2, 2, 1]
    top = top_next_products(pairs).set_index("first_product")
    assert top.loc["Mug", ["next_product", "same_share_pct", "other_product"]].tolist() == [
        "Mug", pytest.approx(50.0), "Tea"]
    assert top.loc["Pen", ["next_product", "same_share_pct", "other_product"]].tolist() == [
        "Ink", pytest.approx(0.0), "Ink"]
    assert top.loc["Ink", "other_share_pct"] == pytest.approx(100.0)


# -- the loyalty programme --------------------------------------------------------------


def test_members_against_non_members(shop: tuple[Store, Dataset]) -> None:
    result = programme_comparison(*shop, FILTERS)
    assert result.source == "orders"
    groups = result.groups.set_index("member")
    # members (Yes, da, Да): A, C, E; 4 + 4 + 1 = 9 purchases, 440 + 800 + 300 = 1,540
    members = groups.loc[True]
    assert (members["customers"], members["purchases"]) == (3, 9)
    assert members["revenue"] == pytest.approx(1540.0)
    assert members["aov"] == pytest.approx(1540 / 9)
    assert members["purchase_frequency"] == pytest.approx(3.0)
    assert members["retention_pct"] == pytest.approx(200 / 3)  # A and C still in the base
    assert members["revenue_per_customer"] == pytest.approx(1540 / 3)
    # non-members (No, Nu, and Gold, which is neither): B, D, F; 4 + 3 + 2 purchases,
    # 160 + 240 + 140 = 540; only F still in the base
    others = groups.loc[False]
    assert (others["customers"], others["purchases"]) == (3, 9)
    assert others["aov"] == pytest.approx(60.0)
    assert others["retention_pct"] == pytest.approx(100 / 3)
    assert others["revenue_per_customer"] == pytest.approx(180.0)
    assert result.unrecognised_orders == 2 and result.unrecognised_example == "Gold"
    assert result.tests["retention"] is not None
    assert result.tests["retention"].difference == pytest.approx(1 / 3)


def test_redemption_and_aov_with_and_without_points(shop: tuple[Store, Dataset]) -> None:
    result = programme_comparison(*shop, FILTERS)
    redemption = result.redemption
    assert redemption is not None
    # members' 9 purchases, 3 with points (A2, A3, E1); A and E of the 3 members redeemed
    assert (redemption.member_purchases, redemption.redeemed_purchases) == (9, 3)
    assert redemption.redemption_rate_pct == pytest.approx(100 / 3)
    assert (redemption.members, redemption.redeemers) == (3, 2)
    assert redemption.redeemers_pct == pytest.approx(200 / 3)
    assert result.points_aov is not None
    points = result.points_aov.set_index("points_redeemed")
    # with points: 100 + 100 + 300 over 3; without: the other 15 purchases, 1,620, less
    # B's refund of 40 = 1,580
    assert points.loc[True, ["purchases", "revenue"]].tolist() == [3, pytest.approx(500.0)]
    assert points.loc[True, "aov"] == pytest.approx(500 / 3)
    assert points.loc[False, ["purchases", "revenue"]].tolist() == [15, pytest.approx(1580.0)]
    assert points.loc[False, "aov"] == pytest.approx(1580 / 15)


def test_enrolment_by_segment(shop: tuple[Store, Dataset]) -> None:
    enrolment = programme_comparison(*shop, FILTERS, by="channel").enrolment
    assert enrolment is not None
    # web: A, C, E, F with A, C, E members; store: B, D, no member
    assert enrolment.values.tolist() == [["web", 4, 3, 75.0], ["store", 2, 0, 0.0]]


def test_membership_from_the_customers_tier_or_from_points(tmp_path: Path) -> None:
    store, dataset = plain_store(tmp_path, ("Customer ID", "Order date", "Total", "Points"), (
        ("A", "2024-01-05", "10", "0"), ("A", "2024-01-20", "30", "5"),
        ("B", "2024-01-06", "20", "0")))
    assert membership_source(dataset) == "points"
    groups = programme_comparison(store, dataset, Filters()).groups.set_index("member")
    # A redeemed points: the member; AOV 40 / 2 = 20 against B's 20
    assert groups["customers"].to_dict() == {True: 1, False: 1}
    assert groups.loc[True, "purchase_frequency"] == pytest.approx(2.0)
    customers = write_csv(tmp_path / "customers.csv", ("Customer ID", "Loyalty tier"),
                          (("A", "none"), ("B", "Gold")))
    ingest_file(store, customers, dataset="Plain shop", kind="customers")
    dataset = store.dataset("Plain shop")
    assert membership_source(dataset) == "customers"
    groups = programme_comparison(store, dataset, Filters()).groups.set_index("member")
    # B's tier makes a member, A's "none" does not: now B (one purchase of 20) is the member
    assert groups["customers"].to_dict() == {True: 1, False: 1}
    assert groups.loc[True, "purchase_frequency"] == pytest.approx(1.0)
    assert groups.loc[False, "aov"] == pytest.approx(20.0)


def test_the_programme_needs_to_know_who_is_a_member(tmp_path: Path) -> None:
    store, dataset = plain_store(tmp_path, ("Customer ID", "Order date", "Total"),
                                 (("A", "2024-01-05", "10"),))
    assert membership_source(dataset) is None
    with pytest.raises(InputError, match="who is a member"):
        programme_comparison(store, dataset, Filters())


# -- the demo ------------------------------------------------------------------------------


def test_the_demo_tells_a_loyalty_story(db: Path) -> None:
    with Store(db) as store:
        demo = store.dataset("Demo shop")
        filters = Filters()
        summary = loyalty_type_summary(loyalty_types(store, demo, filters)).set_index(
            "loyalty_type")
        assert (summary["customers"] > 100).all(), "every type has customers"
        # customers who buy on discount stay less; reward-based ones stay most
        assert summary.loc["discount", "retention_pct"] < summary.loc["value",
                                                                      "retention_pct"]
        assert summary.loc["reward", "retention_pct"] == summary["retention_pct"].max()
        upsell = upsell_table(store, demo, filters, whole_range=True).iloc[0]
        assert 0.5 < upsell["upsell_ratio"] < 5
        programme = programme_comparison(store, demo, filters)
        groups = programme.groups.set_index("member")
        assert groups.loc[True, "retention_pct"] > groups.loc[False, "retention_pct"]
        assert groups.loc[True, "purchase_frequency"] > groups.loc[False,
                                                                   "purchase_frequency"]
        assert programme.unrecognised_orders == 0
        assert programme.redemption is not None
        assert 10 < (programme.redemption.redemption_rate_pct or 0) < 60
