"""The KPI table across a year's end with W shorter than the period, worked out by hand:
the query from the stored history counts each order by where its previous and next
purchase fall against its own period (the same, the one before, earlier) and by the period
its window closes in, so a month before, two months before and "none" must hold across
December to January as inside a year. The general query over the orders gives the same.

W = 10 days, monthly; the data ends on 2024-02-05 (February is measured on that day):

    A  2023-12-20, 2024-01-03, 2024-01-25
    B  2023-11-28, 2024-01-30
    C  2023-12-30, a refund of 20 on 2024-01-02 (not a purchase)
    D  2023-12-31 twice, 2024-02-05

    month  in the base at its end            S  N  E  retained  churned  lost
    Nov    B (Nov 28)                        0  1  1  0         0        0
    Dec    C (Dec 30), D (Dec 31); A's Dec   1  3  2  0         2        1
           20 is 11 days old, B's 33
    Jan    A (Jan 25), B (Jan 30)            2  0  2  0         0        2
    Feb 5  B (6 days), D (bought that day)   2  0  2  1 {B}     0        1

    month  active  orders  repeat  returning  resurrected  dormant
    Nov    1       1       0       0          0            0
    Dec    3       4       1 {D}   0          0            1 {B: no December order}
    Jan    2       3       2       1 {A}      1 {B}        2 {C, D}
    Feb    1       1       1       0          1 {D}        2 {A, B}
"""

from __future__ import annotations

from pathlib import Path

from metrics.ingest import ingest_file
from metrics.kpis import kpi_table
from metrics.query.filters import Filters
from metrics.store import Store
from tests.builders import write_csv
from tests.test_kpis_history import uses_history, without_history

ORDERS = [("A", "2023-12-20", 10), ("A", "2024-01-03", 10), ("A", "2024-01-25", 10),
          ("B", "2023-11-28", 10), ("B", "2024-01-30", 10),
          ("C", "2023-12-30", 10), ("C", "2024-01-02", -20),
          ("D", "2023-12-31", 10), ("D", "2023-12-31", 15), ("D", "2024-02-05", 10)]
COLUMNS = ["start_customers", "new_customers", "end_customers", "retained_customers",
           "churned_customers", "lost_customers", "active_customers", "orders",
           "repeat_customers", "returning_customers", "resurrected_customers",
           "dormant_customers"]
EXPECTED = [[0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0],
            [1, 3, 2, 0, 2, 1, 3, 4, 1, 0, 0, 1],
            [2, 0, 2, 0, 0, 2, 2, 3, 2, 1, 1, 2],
            [2, 0, 2, 1, 0, 1, 1, 1, 1, 0, 1, 2]]


def test_a_year_end_with_a_window_shorter_than_the_month(tmp_path: Path) -> None:
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "orders.csv", ("customer_id", "date", "amount"),
                                 ORDERS), dataset="Shop")
    dataset = store.dataset("Shop")
    filters = Filters(period="month", inactivity_days=10)
    assert uses_history(dataset, filters)
    for source in (dataset, without_history(dataset)):
        table = kpi_table(store, source, filters)
        assert [day.isoformat() for day in table["period_start"]] == [
            "2023-11-01", "2023-12-01", "2024-01-01", "2024-02-01"]
        assert table[COLUMNS].values.tolist() == EXPECTED
    store.close()
