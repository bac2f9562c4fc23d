"""Net and gross revenue retention (``sql/kpi_revenue_retention.sql``), the worked example
of a KPI added as one SQL piece and one registry entry, against values worked out by hand.

The orders (W = 30 days does not matter here), three months of 2024:

    A  web    Jan 100, Feb 150, Mar 200               (expands)
    B  web    Jan 200, Feb 120, Mar 60                (contracts)
    C  web    Jan 50                                  (churns after January)
    D  store  Feb 80, Mar 100                         (new in February)
    E  web    Jan 100, Feb 90 and a refund of 30      (contracts, then churns)
    F  web    Mar 500                                 (new in March)

Revenue per customer and month, net of refunds:

           A    B    C    D    E    F
    Jan  100  200   50    -  100    -
    Feb  150  120    -   80   60    -
    Mar  200   60    -  100    -  500

January: nobody bought in December, so no value.
February: the customers of January A, B, C, E bought 100 + 200 + 50 + 100 = 450 then;
    NRR = (150 + 120 + 0 + 60) / 450 = 330 / 450 = 73.33%;
    GRR caps A at 100: (100 + 120 + 0 + 60) / 450 = 280 / 450 = 62.22%. D is new: not in.
March: the customers of February A, B, D, E bought 150 + 120 + 80 + 60 = 410 then;
    NRR = (200 + 60 + 100 + 0) / 410 = 360 / 410 = 87.80%;
    GRR caps A at 150 and D at 80: (150 + 60 + 80 + 0) / 410 = 290 / 410 = 70.73%.
    F is new: not in.

Only the store channel (D): January and February have no revenue in the month before
(no value, not a division by zero), March 100 / 80 = 125% net, 80 / 80 = 100% gross.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.formatting import format_value
from metrics.benchmarks import all_benchmarks, compare
from metrics.definitions import KPIS, METRICS
from metrics.ingest import ingest_file
from metrics.kpis import KPI_COLUMNS, kpi_query, kpi_table
from metrics.query.filters import Filters
from metrics.retention import retention_table
from metrics.significance import NotTested, change_test
from metrics.store import Dataset, Store
from tests.builders import write_csv
from tests.test_cli import run
from tests.test_kpis_history import uses_history, without_history

NAN = float("nan")
ORDERS = [
    ("A", "2024-01-05", 100, "web"), ("A", "2024-02-05", 150, "web"),
    ("A", "2024-03-05", 200, "web"),
    ("B", "2024-01-10", 200, "web"), ("B", "2024-02-10", 120, "web"),
    ("B", "2024-03-10", 60, "web"),
    ("C", "2024-01-15", 50, "web"),
    ("D", "2024-02-12", 80, "store"), ("D", "2024-03-12", 100, "store"),
    ("E", "2024-01-20", 100, "web"), ("E", "2024-02-20", 90, "web"),
    ("E", "2024-02-25", -30, "web"),
    ("F", "2024-03-30", 500, "web"),
]
NRR = [NAN, 100 * 330 / 450, 100 * 360 / 410]
GRR = [NAN, 100 * 280 / 450, 100 * 290 / 410]
MONTHLY = Filters(period="month", inactivity_days=30)


def orders_csv(folder: Path) -> Path:
    return write_csv(folder / "orders.csv", ("customer_id", "order_date", "amount", "channel"),
                     ORDERS)


@pytest.fixture
def shop(tmp_path: Path) -> tuple[Store, Dataset]:
    store = Store(":memory:")
    ingest_file(store, orders_csv(tmp_path), dataset="Retention shop", currency="EUR")
    return store, store.dataset("Retention shop")


def assert_values(actual: list[float | None], expected: list[float]) -> None:
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        if want != want:  # NaN: no value
            assert got is None or got != got
        else:
            assert got == pytest.approx(want)


def test_net_and_gross_revenue_retention_match_the_hand_worked_values(
        shop: tuple[Store, Dataset]) -> None:
    store, dataset = shop
    assert uses_history(dataset, MONTHLY)
    table = kpi_table(store, dataset, MONTHLY)
    assert table["period_start"].tolist() == [date(2024, 1, 1), date(2024, 2, 1),
                                              date(2024, 3, 1)]
    assert_values(table["net_revenue_retention"].tolist(), NRR)
    assert_values(table["gross_revenue_retention"].tolist(), GRR)
    # the KPI table's revenue, which the definition follows: February nets E's refund
    assert table["revenue"].tolist() == [450.0, 410.0, 860.0]


def test_both_kpi_queries_give_the_same_revenue_retention(
        shop: tuple[Store, Dataset]) -> None:
    store, dataset = shop
    general = without_history(dataset)
    assert not uses_history(general, MONTHLY)
    fast, slow = kpi_table(store, dataset, MONTHLY), kpi_table(store, general, MONTHLY)
    columns = ["net_revenue_retention", "gross_revenue_retention"]
    assert fast[columns].equals(slow[columns])
    assert_values(slow["net_revenue_retention"].tolist(), NRR)


def test_no_revenue_in_the_previous_period_gives_no_value(
        shop: tuple[Store, Dataset]) -> None:
    store, dataset = shop
    store_only = Filters(period="month", inactivity_days=30,
                         segments=(("channel", ("store",)),))
    table = kpi_table(store, dataset, store_only)
    assert_values(table["net_revenue_retention"].tolist(), [NAN, NAN, 125.0])
    assert_values(table["gross_revenue_retention"].tolist(), [NAN, NAN, 100.0])


def test_one_sql_piece_serves_both_queries(shop: tuple[Store, Dataset]) -> None:
    # the piece's CTE is in both queries once, joined by the shared final part
    _store, dataset = shop
    for source in (dataset, without_history(dataset)):
        sql = kpi_query(source, MONTHLY)[0]
        assert sql.count("revenue_retention AS (") == 1
        assert "LEFT JOIN revenue_retention ON" in sql
    assert KPI_COLUMNS[-2:] == ("net_revenue_retention", "gross_revenue_retention")


def test_revenue_retention_is_a_card_whose_change_is_not_tested(
        shop: tuple[Store, Dataset]) -> None:
    store, dataset = shop
    table = kpi_table(store, dataset, MONTHLY)
    assert {"net_revenue_retention", "gross_revenue_retention"} <= {m.id for m in KPIS}
    for metric_id in ("net_revenue_retention", "gross_revenue_retention"):
        metric = METRICS[metric_id]
        assert metric.unit == "percent" and metric.higher_is_better
        result = change_test(metric, table.iloc[2], table.iloc[1])
        assert isinstance(result, NotTested)
        assert "ratio of revenue" in result.reason


def test_cli_kpis_prints_both_columns(tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    assert run("ingest", str(orders_csv(tmp_path)), "--dataset", "Shop", db=db).returncode == 0
    result = run("kpis", "--dataset", "shop", "--period", "month", "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert_values([r["net_revenue_retention"] for r in records], NRR)
    assert_values([r["gross_revenue_retention"] for r in records], GRR)


def test_gross_revenue_retention_is_compared_with_the_published_figure(
        isolated_db: Path) -> None:
    # SaaS Capital 2023: 92-93% a year for B2B SaaS; per month (x ** (1/12)):
    # 0.92 ** (1/12) = 99.308%, 0.93 ** (1/12) = 99.397%
    with Store(isolated_db) as store:
        found = compare(all_benchmarks(store), "B2B SaaS", "gross_revenue_retention", "month")
        assert compare(all_benchmarks(store), "B2B SaaS", "net_revenue_retention",
                       "year") is None  # no sourced figure of net revenue retention
    assert found is not None
    assert (found.low, found.high) == pytest.approx((100 * 0.92 ** (1 / 12),
                                                     100 * 0.93 ** (1 / 12)))
    assert [row.metric_id for row in found.rows] == ["revenue_retention"]


def test_the_overview_shows_both_cards_and_trends(isolated_db: Path, tmp_path: Path) -> None:
    with Store(isolated_db) as store:
        ingest_file(store, orders_csv(tmp_path), dataset="Retention shop", currency="EUR")
        dataset_id = store.dataset("Retention shop").id
    app = AppTest.from_file(str(Path(__file__).parent.parent / "dashboard" / "app.py"),
                            default_timeout=60)
    app.query_params["dataset"] = dataset_id
    app.query_params["period"] = "month"
    app.query_params["at"] = "2024-02-01"
    app.run()
    assert not app.exception, app.exception
    cards = {card.label: card.value for card in app.metric}
    assert cards["Net revenue retention"] == format_value(100 * 330 / 450, "percent", None,
                                                          whole=True)
    assert cards["Gross revenue retention"] == format_value(100 * 280 / 450, "percent", None,
                                                            whole=True)
    trend = app.selectbox(key="metric")
    assert {"Net revenue retention", "Gross revenue retention"} <= set(trend.options)
    trend.set_value("gross_revenue_retention").run()
    assert not app.exception, app.exception
    assert app.query_params["metric"] == "gross_revenue_retention"


# -- MRR-based, with the base from subscriptions -------------------------------------------

SUBSCRIPTIONS = [
    ("P", "2024-01-01", "", 100), ("P", "2024-02-10", "", 50),  # an add-on: expansion
    ("Q", "2024-01-05", "2024-02-14", 200), ("Q", "2024-02-15", "", 120),  # a downgrade
    ("R", "2024-01-10", "2024-02-20", 80),  # cancels in February
    ("S", "2024-02-01", "2024-03-15", 60),  # new in February, cancels in March
    ("T", "2024-03-31", "", 40),  # new in March
]


def subscription_shop(folder: Path, with_mrr: bool = True) -> tuple[Store, Dataset]:
    store = Store(":memory:")
    ingest_file(store, write_csv(folder / "orders.csv", ("customer_id", "order_date", "amount"),
                                 [("P", "2024-01-01", 100)]), dataset="Boxes")
    header = ("customer_id", "start_date", "end_date", "mrr")
    rows = SUBSCRIPTIONS if with_mrr else [row[:3] for row in SUBSCRIPTIONS]
    ingest_file(store, write_csv(folder / "subscriptions.csv", header[:len(rows[0])], rows),
                dataset="Boxes", kind="subscriptions")
    return store, store.dataset("Boxes")


def test_mrr_based_revenue_retention_from_subscriptions(tmp_path: Path) -> None:
    """MRR on each month's last day (the sum of the customer's running subscriptions):

               P    Q    R    S    T
        Jan  100  200   80    -    -      starting MRR of February: 380
        Feb  150  120    -   60    -      starting MRR of March: P, Q, S = 330
        Mar  150  120    -    -   40

    February: NRR = (380 + 50 expansion − 80 contraction − 80 churned) / 380 = 270 / 380
    = 71.05%; GRR without the expansion: (100 + 120 + 0) / 380 = 220 / 380 = 57.89%.
    March: NRR = GRR = (150 + 120 + 0) / 330 = 270 / 330 = 81.82% (S churned, no
    expansion; T is new). January: nobody subscribed on Dec 31, no value.
    """
    store, dataset = subscription_shop(tmp_path)
    table = retention_table(store, dataset, Filters(period="month"), base="subscriptions")
    assert table["period_start"].tolist() == [date(2024, 1, 1), date(2024, 2, 1),
                                              date(2024, 3, 1)]
    assert table["end_customers"].tolist() == [3, 3, 3]  # P, Q, R; P, Q, S; P, Q, T
    assert_values(table["net_revenue_retention"].tolist(),
                  [NAN, 100 * 270 / 380, 100 * 270 / 330])
    assert_values(table["gross_revenue_retention"].tolist(),
                  [NAN, 100 * 220 / 380, 100 * 270 / 330])
    # the orders base keeps the orders' revenue retention (P's one order: none)
    orders = retention_table(store, dataset, Filters(period="month"), base="orders")
    assert_values(orders["net_revenue_retention"].tolist(), [NAN])


def test_subscriptions_without_mrr_give_no_revenue_retention(tmp_path: Path) -> None:
    store, dataset = subscription_shop(tmp_path, with_mrr=False)
    table = retention_table(store, dataset, Filters(period="month"), base="subscriptions")
    assert table["end_customers"].tolist() == [3, 3, 3]
    assert table["net_revenue_retention"].isna().all()
    assert table["gross_revenue_retention"].isna().all()


def test_cli_retention_from_subscriptions_prints_mrr_based_revenue_retention(
        tmp_path: Path) -> None:
    # the subscriptions of test_mrr_based_revenue_retention_from_subscriptions
    db = tmp_path / "cli.duckdb"
    orders = write_csv(tmp_path / "orders.csv", ("customer_id", "order_date", "amount"),
                       [("P", "2024-01-01", 100)])
    subscriptions = write_csv(tmp_path / "subscriptions.csv",
                              ("customer_id", "start_date", "end_date", "mrr"), SUBSCRIPTIONS)
    assert run("ingest", str(orders), "--dataset", "Boxes", db=db).returncode == 0
    assert run("ingest", str(subscriptions), "--dataset", "Boxes", "--kind", "subscriptions",
               db=db).returncode == 0
    result = run("retention", "--dataset", "Boxes", "--period", "month", "--base",
                 "subscriptions", "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert_values([r["net_revenue_retention"] for r in records],
                  [NAN, 100 * 270 / 380, 100 * 270 / 330])
    assert_values([r["gross_revenue_retention"] for r in records],
                  [NAN, 100 * 220 / 380, 100 * 270 / 330])
