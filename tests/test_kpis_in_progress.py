"""The period the data stops inside: measured on the data's last day, never after it.

Orders (W = 90 days, yearly), the data from 2024-03-01 to 2025-06-30:

    A  2024-03-01, 2025-06-20
    B  2024-11-15, 2025-05-01
    C  2024-12-01, 2025-06-30
    D  2024-10-15
    F  2025-04-15
    G  2025-01-10

In the base (a purchase in the 90 days up to the day):
    Dec 31 2024: B (46 days), C (30), D (77); not A (305)
    Jun 30 2025: A (10), B (60), C (0), F (76); not D (258), G (171)
    Dec 31 2025: nobody (every last purchase is more than 90 days old)

    year               S  N  E  retained  CRR=(E-N)/S  churn=(S+N-E)/S  strict=ret/S
    2024               0  4  3  0         -            -                -
    2025 to Jun 30     3  2  4  2 {B, C}  2/3 = 66.67  1/3 = 33.33      2/3 = 66.67

Measured on Dec 31 2025, a day the data does not reach, 2025 would read E = 0, CRR =
(0 - 2) / 3 = -66.7% and churn 166.7%: the rates this measure avoids.
Lifecycle 2025: A, B, C returning (they bought in 2024), F and G new, D dormant.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from metrics.cli import main
from metrics.ingest import ingest_file
from metrics.kpis import kpi_table
from metrics.query.filters import Filters
from metrics.retention import lifecycle_table, retention_table
from metrics.store import Store
from tests.builders import write_csv
from tests.test_kpis_history import without_history

ORDERS = [("A", "2024-03-01", 10), ("A", "2025-06-20", 10),
          ("B", "2024-11-15", 10), ("B", "2025-05-01", 10),
          ("C", "2024-12-01", 10), ("C", "2025-06-30", 10),
          ("D", "2024-10-15", 10), ("F", "2025-04-15", 10), ("G", "2025-01-10", 10)]
YEARLY = Filters(period="year", inactivity_days=90)


def _orders_file(folder: Path) -> Path:
    return write_csv(folder / "orders.csv", ("customer_id", "date", "amount"), ORDERS)


def test_the_year_the_data_stops_inside_is_measured_on_its_last_day(tmp_path: Path) -> None:
    store = Store(":memory:")
    ingest_file(store, _orders_file(tmp_path), dataset="Shop")
    dataset = store.dataset("Shop")
    # the stored purchase history and the general query over the orders alike
    for source in (dataset, without_history(dataset)):
        table = kpi_table(store, source, YEARLY)
        assert table["period_start"].tolist() == [date(2024, 1, 1), date(2025, 1, 1)]
        assert table["period_end"].tolist() == [date(2024, 12, 31), date(2025, 6, 30)]
        got = table[["start_customers", "new_customers", "end_customers",
                     "retained_customers", "churned_customers", "lost_customers"]]
        assert got.values.tolist() == [[0, 4, 3, 0, 1, 0], [3, 2, 4, 2, 1, 1]]
        assert table["retention_rate"].iloc[1] == pytest.approx(200 / 3)
        assert table["churn_rate"].iloc[1] == pytest.approx(100 / 3)
        assert table["strict_retention_rate"].iloc[1] == pytest.approx(200 / 3)
        assert table["complete"].tolist() == [False, False]
        lifecycle = lifecycle_table(store, source, YEARLY)
        assert lifecycle[["new_customers", "returning_customers", "resurrected_customers",
                          "dormant_customers"]].values.tolist() == [[4, 0, 0, 0],
                                                                    [2, 3, 0, 1]]


def test_no_period_after_the_data_is_reported(tmp_path: Path) -> None:
    # a range reaching past the data's last day: 2026 has no day with data, so no row
    store = Store(":memory:")
    ingest_file(store, _orders_file(tmp_path), dataset="Shop")
    dataset = store.dataset("Shop")
    filters = Filters(period="year", inactivity_days=90, end=date(2026, 12, 31))
    for source in (dataset, without_history(dataset)):
        table = kpi_table(store, source, filters)
        assert table["period_start"].tolist() == [date(2024, 1, 1), date(2025, 1, 1)]
        assert table["end_customers"].tolist() == [3, 4]


def test_the_cli_prints_the_rates_of_the_year_to_the_data_s_last_day(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cli.duckdb")
    assert main(["--db", db, "ingest", str(_orders_file(tmp_path)), "--dataset", "Shop"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "kpis", "--dataset", "Shop", "--period", "year",
                 "--inactivity-days", "90"]) == 0
    rows = json.loads(capsys.readouterr().out)
    last = rows[-1]
    assert (last["period"], last["period_end"]) == ("2025-01-01", "2025-06-30")
    assert last["end_customers"] == 4
    assert last["retention_rate"] == pytest.approx(200 / 3)
    assert last["churn_rate"] == pytest.approx(100 / 3)


def test_subscriptions_are_measured_on_the_data_s_last_day(tmp_path: Path) -> None:
    """P subscribed 2024-01-10 .. 2024-05-20, Q from 2024-04-01 (open): the data's last
    day is P's end, May 20. Q2 2024 measured on May 20: S = {P} (Mar 31), N = {Q},
    E = {P, Q}: CRR = (2 - 1) / 1 = 100%, churn 0%, strict 1/1 = 100%. (On Jun 30, a
    day the data does not reach, P would be gone: CRR 0%, churn 100%.)"""
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "orders.csv", ("customer_id", "date", "amount"),
                                 [("P", "2024-01-10", 20)]), dataset="Boxes")
    ingest_file(store, write_csv(tmp_path / "subs.csv", ("customer_id", "start_date",
                                                         "end_date"),
                                 [("P", "2024-01-10", "2024-05-20"), ("Q", "2024-04-01", "")]),
                dataset="Boxes", kind="subscriptions")
    table = retention_table(store, store.dataset("Boxes"), Filters(period="quarter"),
                            base="subscriptions")
    assert table["period_end"].tolist() == [date(2024, 3, 31), date(2024, 5, 20)]
    assert table[["start_customers", "new_customers", "end_customers",
                  "retained_customers"]].values.tolist() == [[0, 1, 1, 0], [1, 1, 2, 1]]
    assert table["retention_rate"].tolist()[1] == pytest.approx(100)
    assert table["churn_rate"].tolist()[1] == pytest.approx(0)
    assert table["strict_retention_rate"].tolist()[1] == pytest.approx(100)
