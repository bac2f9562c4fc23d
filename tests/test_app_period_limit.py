"""A dataset holding dates in 1900 and 2999 (stored before uploads refused them): the
Retention page by week says in one sentence what to choose instead of computing for minutes."""

from __future__ import annotations

from pathlib import Path

from metrics.ingest import ingest_file
from metrics.store import Store
from tests.builders import write_csv
from tests.test_app import open_app, unescaped

REFUSED = ("These dates span 57,396 weeks, more than the 2,610 periods one view computes: "
           "choose the granularity Year, or a shorter date range.")


def test_retention_by_week_over_eleven_centuries_says_to_choose_the_year(
        isolated_db: Path, tmp_path: Path) -> None:
    rows = [("a", "2024-01-05", 10), ("a", "2024-02-07", 20), ("b", "2024-01-09", 30),
            ("b", "2024-03-11", 15), ("old", "1900-01-01", 5), ("far", "2999-12-31", 5)]
    orders = write_csv(tmp_path / "far.csv", ("customer_id", "order_date", "amount"), rows)
    with Store(isolated_db) as store:
        ingest_file(store, orders, dataset="Far shop", currency="EUR",
                    keep_out_of_range_dates=True)
    app = open_app({"period": "week"}, page="app_pages/retention.py")
    # 1 Jan 1900 is a Monday; 31 Dec 2999 a Tuesday: weeks counted in test_period_limit.py
    assert [unescaped(e.value) for e in app.error] == [REFUSED]
    assert not app.get("plotly_chart"), "nothing is computed"
    app.radio(key="period").set_value("year").run()
    assert not app.exception and not app.error
    assert app.get("plotly_chart"), "by year the page draws its charts"
