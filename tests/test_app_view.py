"""The view a dataset or a link opens on (AppTest): a period with orders, dates inside the
data, and a link to a dataset that is not there."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from metrics.ingest import ingest_file
from metrics.store import Store
from tests.builders import write_csv
from tests.test_app import dataset_id, open_app, unescaped

# Three orders in January, two in February, four in March 2024, none in April, and the last
# one on 1 May: April is the latest complete month, and it has no orders.
GAP_ORDERS = [
    ("c1", "2024-01-03", "10"), ("c2", "2024-01-10", "20"), ("c3", "2024-01-20", "30"),
    ("c1", "2024-02-05", "10"), ("c2", "2024-02-15", "20"),
    ("c1", "2024-03-01", "10"), ("c2", "2024-03-08", "20"), ("c3", "2024-03-15", "30"),
    ("c4", "2024-03-31", "40"),
    ("c4", "2024-05-01", "50"),
]


def gap_shop(db: Path, tmp_path: Path) -> str:
    orders = write_csv(tmp_path / "gap.csv", ("customer_id", "order_date", "amount"),
                       GAP_ORDERS)
    with Store(db) as store:
        ingest_file(store, orders, dataset="Gap shop", currency="EUR")
    return dataset_id(db, "Gap shop")


def test_a_dataset_opens_on_its_latest_period_with_orders(isolated_db: Path,
                                                          tmp_path: Path) -> None:
    gap_shop(isolated_db, tmp_path)
    app = open_app()
    # not April (complete but empty) nor May (one day): March, with its four orders
    assert app.selectbox(key="at").value == "2024-03-01"
    cards = {metric.label: metric.value for metric in app.metric}
    assert cards["Orders"] == "4"
    assert cards["Revenue (EUR)"] == "100.00"


def test_a_link_after_the_data_shows_all_of_it_with_a_notice(db: Path) -> None:
    # The demo data runs from 1 Nov 2023 to 20 Nov 2026: a link to 2030 shows all of it,
    # not its last day.
    for query in ({"start": "2030-01-01", "end": "2031-01-01"}, {"start": "2027-03-01"}):
        app = open_app({"dataset": dataset_id(db, "Demo shop"), **query})
        assert app.date_input(key="dates").value == (date(2023, 11, 1), date(2026, 11, 20))
        assert any("outside the data" in unescaped(w.value) for w in app.warning)
