"""The view a dataset or a link opens on (AppTest): a period with orders, dates inside the
data, and a link to a dataset that is not there."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

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


def test_a_link_to_a_dataset_that_does_not_exist_says_so_and_offers_the_datasets(
        db: Path) -> None:
    app = open_app({"dataset": "nope"})
    warnings = [unescaped(w.value) for w in app.warning]
    assert warnings == ["The link's dataset “nope” does not exist (it may have been "
                        "deleted): choose one of the datasets below."]
    assert not app.metric, "no other dataset is opened in its place"
    assert app.selectbox(key="dataset").value is None
    offered = {unescaped(b.label): b for b in app.button if b.key.startswith("open_dataset_")}
    assert sorted(offered) == ["Demo shop", "Small shop"]
    offered["Small shop"].click().run()
    assert not app.exception
    assert app.selectbox(key="dataset").value == dataset_id(db, "Small shop")
    assert app.query_params["dataset"] == dataset_id(db, "Small shop")
    assert app.metric and not app.warning


def test_a_dataset_deleted_by_another_session_is_not_swapped_for_another(db: Path) -> None:
    small = dataset_id(db, "Small shop")
    app = open_app({"dataset": small})
    assert app.metric
    with Store(db) as store:  # another session (or the CLI) deletes it
        store.delete_dataset(small)
    app.run()
    assert not app.exception
    warnings = [unescaped(w.value) for w in app.warning]
    assert warnings == ["The dataset “Small shop” has been deleted: choose one of the "
                        "datasets below."]
    assert not app.metric
    assert [unescaped(b.label) for b in app.button
            if b.key.startswith("open_dataset_")] == ["Demo shop"]
    # the sidebar's list chooses as well
    app.selectbox(key="dataset").set_value(dataset_id(db, "Demo shop")).run()
    assert app.metric and not app.warning


@pytest.mark.parametrize(
    ("period", "start", "end", "said"),
    [
        ("month", "2025-03-15", "2025-06-10", "Shows whole months: Mar 2025 to Jun 2025."),
        ("quarter", "2025-02-10", "2025-08-01", "Shows whole quarters: Q1 2025 to Q3 2025."),
        ("year", "2025-02-10", "2025-08-01", "Shows the whole of 2025."),
        # Wednesday 12 to Thursday 20 March 2025: the weeks from Monday 10 to Sunday 23
        ("week", "2025-03-12", "2025-03-20", "Shows whole weeks: Mar 10, 2025 to Mar 23, 2025."),
    ],
)
def test_the_whole_periods_shown_are_said_under_the_date_picker(
        db: Path, period: str, start: str, end: str, said: str) -> None:
    app = open_app({"dataset": dataset_id(db, "Demo shop"), "period": period, "start": start,
                    "end": end})
    captions = [unescaped(c.value) for c in app.sidebar.caption]
    assert said in captions, captions


def test_a_suggested_w_beyond_the_longest_is_capped_and_said(isolated_db: Path,
                                                             tmp_path: Path) -> None:
    # Purchases 1 Jan 1995 and 1 Jan 2010: the gaps are 5,479 days, 5,481 in whole weeks,
    # but W is at most 3,650 days.
    rows = [(f"c{n}", day, "10") for n in range(3) for day in ("1995-01-01", "2010-01-01")]
    orders = write_csv(tmp_path / "far.csv", ("customer_id", "order_date", "amount"), rows)
    with Store(isolated_db) as store:
        ingest_file(store, orders, dataset="Far shop", currency="EUR")
    app = open_app({"period": "year"}, page="app_pages/retention.py")
    said = [unescaped(c.value) for c in app.caption if "Suggested for this data" in c.value]
    assert any("Suggested for this data: 3,650 days, the longest W there is: 9 in 10 repeat "
               "purchases come within 5,481 days, longer than W can be." in c for c in said), said
    button = next(b for b in app.button if b.key == "use_suggested_w")
    assert button.label == "Use 3650 days"
    button.click().run()
    assert not app.exception
    assert app.number_input(key="w").value == 3650
    assert app.query_params["w"] == "3650"
