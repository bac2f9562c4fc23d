"""``loyaltylens compare``: the JSON shape, both states as given, the values of the shop
worked out in tests/test_compare.py, CSV, and a bad spec as one sentence (status 2)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from metrics.cli import USER_ENV_VAR
from metrics.compare import COMPARISON_COLUMNS
from metrics.definitions import KPIS
from metrics.ingest import ingest_file
from metrics.store import Store
from tests.builders import SMALL_ORDERS, write_csv
from tests.test_cli import run
from tests.test_cli_access import NO_ACCESS, Cli
from tests.test_compare import ORDERS

COMMON = ("--dataset", "Shop", "--inactivity-days", "30")


@pytest.fixture(scope="module")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli_compare")
    with Store(folder / "db") as store:
        ingest_file(store, write_csv(folder / "o.csv", ("customer_id", "order_date", "amount",
                                                        "Channel"), ORDERS), dataset="Shop")
    return folder / "db"


def test_json_has_both_states_and_a_record_per_kpi(shop_db: Path) -> None:
    result = run("compare", *COMMON, "--a", "Channel=Online", "--b", "Channel=Store",
                 "--b", "from=2024-03-01", db=shop_db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["a"] == {"given": ["Channel=Online"], "dataset": "Shop", "start": None,
                         "end": None, "segments": {"channel": ["Online"]},
                         "inactivity_days": 30, "period": "2024-03-01"}
    assert data["b"]["given"] == ["Channel=Store", "from=2024-03-01"]
    assert data["b"]["start"] == "2024-03-01"
    assert data["period_type"] == "month"
    assert [list(record) for record in data["records"]] == [list(COMPARISON_COLUMNS)] * len(KPIS)
    churn = next(r for r in data["records"] if r["metric"] == "churn_rate")
    # tests/test_compare.py: 40% (Online) against 20% (Store), z-test p = 0.2429
    assert (churn["a"], churn["b"], churn["difference"]) == pytest.approx((40, 20, -20))
    assert churn["difference_unit"] == "pp"
    assert churn["p_value"] == pytest.approx(0.2429, abs=1e-4)
    assert churn["significant"] is False
    headcount = next(r for r in data["records"] if r["metric"] == "end_customers")
    assert headcount["p_value"] is None and headcount["significant"] is None


def test_the_values_are_the_kpis_commands(shop_db: Path) -> None:
    """Each state's values are those ``loyaltylens kpis`` shows for its filters."""
    data = json.loads(run("compare", *COMMON, "--a", "Channel=Online", "--b",
                          "Channel=Store", db=shop_db).stdout)
    for side, value in (("a", "Online"), ("b", "Store")):
        kpis = json.loads(run("kpis", *COMMON, "--segment", f"channel={value}",
                              db=shop_db).stdout)
        march = next(row for row in kpis if row["period"] == "2024-03-01")
        assert {r["metric"]: r[side] for r in data["records"]} == pytest.approx(
            {m.id: march[m.id] for m in KPIS})


def test_csv(shop_db: Path) -> None:
    result = run("compare", *COMMON, "--a", "Channel=Online", "--b", "Channel=Store",
                 "--format", "csv", db=shop_db)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == list(COMPARISON_COLUMNS)
    assert {row["metric"]: float(row["difference"]) for row in rows}["orders"] == 16 - 8


def test_a_bad_spec_is_one_sentence(shop_db: Path) -> None:
    result = run("compare", *COMMON, "--a", "Channel=Online", "--b", "Region=North",
                 db=shop_db)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == ("error: “Region” is neither dataset, from, to nor a segment "
                             "column of the dataset “Shop”; its segment columns are: "
                             "channel, rfm.\n")


def test_another_workspaces_dataset_is_refused_as_either_view(
        isolated_db: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """uB (workspace B) cannot reach uA's "Shop A" (workspace A) by --dataset nor by
    dataset=, whichever view names it."""
    monkeypatch.delenv(USER_ENV_VAR, raising=False)
    cli = Cli(isolated_db, capsys, monkeypatch)
    for name in ("A", "B"):
        assert cli("workspaces", "add", name).code == 0
        assert cli("users", "add", f"u{name}", "--workspace", name, "--password-stdin",
                   stdin="a-long-secret\n").code == 0
    shop_id = cli("ingest", str(SMALL_ORDERS), "--dataset", "Shop A", user="uA").json()[
        "dataset_id"]
    assert cli("ingest", str(SMALL_ORDERS), "--dataset", "Shop B", user="uB").code == 0
    own = cli("compare", "--dataset", "Shop B", "--a", "channel=web", "--b", "channel=store",
              user="uB")
    assert own.code == 0, own.err  # his own dataset he compares
    for options in (("--dataset", "Shop A", "--a", "channel=web", "--b", "channel=store"),
                    ("--dataset", "Shop B", "--a", "channel=web", "--b", "dataset=Shop A"),
                    ("--dataset", "Shop B", "--a", f"dataset={shop_id}", "--b", "channel=app")):
        result = cli("compare", *options, user="uB")
        assert (result.code, result.out, result.err) == (2, "", f"error: {NO_ACCESS}\n")
