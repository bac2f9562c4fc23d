"""``loyaltylens drivers``: the JSON shape the issue names, the contributions adding up to
the change the ``kpis`` command shows, CSV, "all" and a bad choice as one sentence."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from metrics.ingest import ingest_file
from metrics.store import Store
from tests.builders import write_csv
from tests.test_cli import run
from tests.test_drivers import ORDERS

# The fields of each record, then the value's own change test.
RECORD_FIELDS = ["segment", "value", "share_before", "share_after", "rate_before",
                 "rate_after", "mix_effect", "rate_effect", "contribution", "p_value",
                 "significant", "change_test"]
COMMON = ("--dataset", "Shop", "--inactivity-days", "30")


@pytest.fixture(scope="module")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli_drivers")
    with Store(folder / "db") as store:
        ingest_file(store, write_csv(folder / "o.csv", ("customer_id", "order_date", "amount",
                                                        "channel"), ORDERS), dataset="Shop")
    return folder / "db"


def test_json_has_the_change_and_a_record_per_value(shop_db: Path) -> None:
    result = run("drivers", "--metric", "churn_rate", "--period", "2024-03", "--against",
                 "2024-02", "--by", "channel", *COMMON, db=shop_db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [list(record) for record in data["records"]] == [RECORD_FIELDS] * 3
    kpis = json.loads(run("kpis", *COMMON, db=shop_db).stdout)
    churn = {row["period"]: row["churn_rate"] for row in kpis}
    # the change is the KPI table's: 5/7 - 2/7 in percent (tests/test_drivers.py)
    assert data["change"] == pytest.approx(churn["2024-03-01"] - churn["2024-02-01"])
    assert data["change"] == pytest.approx(300 / 7)
    assert sum(r["contribution"] for r in data["records"]) == pytest.approx(data["change"])
    assert [r["value"] for r in data["records"]] == ["app", "web", "store"]
    assert data["summary"].startswith("Churn rate rose 42.9 pp")


def test_csv_and_all_columns(shop_db: Path) -> None:
    result = run("drivers", "--metric", "aov", "--period", "2024-03", "--by", "all",
                 *COMMON, "--format", "csv", db=shop_db)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == RECORD_FIELDS
    # every order is 10, so AOV is 10 everywhere: no rate effect, and the mix effects
    # (s1 - s0) x 10 of the orders' shares (February 7 orders: web 3, store 2, app 2;
    # March 4: web 1, store 1, phone 2) cancel out
    mix = {row["value"]: float(row["mix_effect"]) for row in rows}
    assert mix == pytest.approx({"web": (1 / 4 - 3 / 7) * 10, "store": (1 / 4 - 2 / 7) * 10,
                                 "app": -2 / 7 * 10, "phone": 2 / 4 * 10})
    assert {float(row["rate_effect"]) for row in rows} == {0.0}
    assert sum(float(row["contribution"]) for row in rows) == pytest.approx(0.0, abs=1e-12)
    data = json.loads(run("drivers", "--metric", "aov", "--period", "2024-03", "--by", "all",
                          *COMMON, db=shop_db).stdout)
    assert data["explains_most"] == "channel"
    assert [s["segment"] for s in data["segments"]] == ["channel"]


def test_an_unknown_segment_is_one_sentence(shop_db: Path) -> None:
    result = run("drivers", "--metric", "churn_rate", "--by", "colour", *COMMON, db=shop_db)
    assert result.returncode == 2
    assert result.stderr.startswith("error: “colour” is not a segment")
