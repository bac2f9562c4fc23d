"""The ``loyaltylens`` command, end to end: the installed script, a real database file."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from metrics.cli import build_parser, main
from metrics.kpis import KPI_COLUMNS
from tests.builders import SMALL_ORDERS, write_csv

EXECUTABLE = shutil.which("loyaltylens", path=str(Path(sys.executable).parent))


def run(*args: str, db: Path | None = None, env_db: Path | None = None
        ) -> subprocess.CompletedProcess[str]:
    assert EXECUTABLE, "the loyaltylens script is not installed in this environment"
    env = {k: v for k, v in os.environ.items() if k != "LOYALTYLENS_DB"}
    if env_db is not None:
        env["LOYALTYLENS_DB"] = str(env_db)
    command = [EXECUTABLE, *(["--db", str(db)] if db else []), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120,
                          check=False)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli.duckdb"


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
              ) -> list[tuple[str, ...]]:
    """Every command path of the parser, found by walking its subparsers (nested ones too)."""
    paths = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                paths += _commands(subparser, (*prefix, name))
    return paths


def test_the_program_prints_its_help_with_every_command() -> None:
    result = run("--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: loyaltylens ")
    assert "95% margin of error" in result.stdout  # a literal % in a help text, as written
    commands = {path[0] for path in _commands(build_parser()) if path}
    assert {"ingest", "kpis", "nps"} <= commands
    listed = {line.split()[0] for line in result.stdout.splitlines()
              if line.startswith("    ") and not line.startswith("     ")}
    assert listed == commands


@pytest.mark.parametrize("command", [path for path in _commands(build_parser()) if path],
                         ids=" ".join)
def test_every_command_prints_its_help(command: tuple[str, ...],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: loyaltylens {' '.join(command)} ")


def test_ingest_prints_a_json_report(db: Path) -> None:
    result = run("ingest", str(SMALL_ORDERS), "--dataset", "Small", "--currency", "EUR", db=db)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dataset_name"] == "Small"
    assert (report["rows_read"], report["rows_stored"], report["rows_rejected"]) == (11, 11, 0)
    assert report["mapping"] == {"customer_id": "Customer ID", "order_date": "Order date",
                                 "amount": "Amount", "channel": "Channel"}
    assert report["segment_columns"] == ["channel"]
    assert report["rejected_rows"] == []


def test_map_overrides_a_suggestion_and_rejections_are_reported(db: Path, tmp_path: Path
                                                                ) -> None:
    path = write_csv(tmp_path / "o.csv", ("buyer", "when", "paid", "gross"),
                     [("a", "2024-01-01", "1", "x"), ("b", "2024-01-02", "2", "3")])
    result = run("ingest", str(path), "--dataset", "Mapped", "--map", "customer_id=buyer",
                 "--map", "order_date=when", "--map", "amount=gross", db=db)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["mapping"]["amount"] == "gross"
    assert report["rows_rejected"] == 1
    assert report["rejected_rows"][0]["row"] == 2
    assert report["rejected_rows"][0]["reason"] == "Amount is not a number."


def test_rows_dated_in_the_future_are_rejected_unless_kept(db: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", ("customer", "date", "amount"),
                     [("a", "2024-01-01", "1"), ("b", "2099-01-02", "2"), ("c", "1985-07-01", "3")])
    report = json.loads(run("ingest", str(path), "--dataset", "Dated", "--dry-run",
                            db=db).stdout)
    assert (report["rows_stored"], report["rows_rejected"]) == (1, 2)
    assert [r["reason"] for r in report["rejected_rows"]][1] == "Order date is before 1990."
    assert report["rejected_rows"][0]["reason"].startswith("Order date is after today (")
    result = run("ingest", str(path), "--dataset", "Dated", "--keep-future-dates", db=db)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["rows_stored"], report["first_date"], report["last_date"]) == (
        3, "1985-07-01", "2099-01-02")


def test_datasets_count_the_orders_of_a_line_item_export_not_its_rows(db: Path,
                                                                      tmp_path: Path) -> None:
    # orders 7 (2 lines), 8 (1 line) and 9 (3 lines): 6 rows, 3 orders
    path = write_csv(tmp_path / "woo.csv", ("Order ID", "Customer", "Date", "Order Total",
                                            "Product"), [
        ("7", "c1", "2025-03-01", "99.90", "A"), ("7", "c1", "2025-03-01", "99.90", "B"),
        ("8", "c2", "2025-03-02", "10.00", "A"), ("9", "c1", "2025-03-05", "30.00", "A"),
        ("9", "c1", "2025-03-05", "30.00", "B"), ("9", "c1", "2025-03-05", "30.00", "C")])
    assert run("ingest", str(path), "--dataset", "Woo", db=db).returncode == 0
    listed = json.loads(run("datasets", db=db).stdout)
    assert [(d["name"], d["orders"]) for d in listed] == [("Woo", 3)]


def test_the_report_says_where_the_currency_came_from(db: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", ("Client", "Data", "Valoare (RON)"),
                     [("a", "2024-01-01", "10"), ("b", "2024-01-02", "20")])
    report = json.loads(run("ingest", str(path), "--dataset", "Lei", db=db).stdout)
    assert (report["currency"], report["currency_source"]) == ("RON", "amount_header")
    assert report["currency_reason"] == "Currency: RON, written in the name of the amount column"


def test_kpis_json_has_one_record_per_period_with_the_documented_fields(small_cli_db: Path) -> None:
    db = small_cli_db  # the small shop, ingested through the command
    result = run("kpis", "--dataset", "Small", "--period", "month", "--inactivity-days", "30",
                 "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert [r["period"] for r in records] == ["2024-01-01", "2024-02-01", "2024-03-01",
                                              "2024-04-01"]
    required = {"period", "start_customers", "new_customers", "end_customers",
                "retained_customers", "retention_rate", "churn_rate", "strict_retention_rate",
                "active_customers", "orders", "revenue", "aov", "repeat_purchase_rate"}
    assert all(required <= set(record) for record in records)
    april = records[3]  # worked out in tests/test_kpis.py
    assert (april["start_customers"], april["new_customers"], april["end_customers"],
            april["retained_customers"]) == (2, 0, 2, 1)
    assert (april["retention_rate"], april["churn_rate"], april["strict_retention_rate"]) == (
        100.0, 0.0, 50.0)
    assert april["period_end"] == "2024-04-15"  # the data's last day
    assert records[0]["retention_rate"] is None  # S = 0 in January


def test_kpis_csv_has_a_header_and_one_row_per_period(small_cli_db: Path) -> None:
    db = small_cli_db  # the small shop, ingested through the command
    result = run("kpis", "--dataset", "small", "--period", "quarter", "--inactivity-days", "30",
                 "--segment", "channel=web", "--format", "csv", db=db)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["period", *[c for c in KPI_COLUMNS if c != "period_start"]]
    # web customers A, C, D: all new in Q1; revenue 100+50+80+30-30+70+20+60 = 380
    assert [(r["period"], r["new_customers"], float(r["revenue"])) for r in rows] == [
        ("2024-01-01", "3", 380.0), ("2024-04-01", "0", 0.0)]


def test_datasets_lists_and_delete_removes(db: Path) -> None:
    assert run("ingest", str(SMALL_ORDERS), "--dataset", "One", db=db).returncode == 0
    assert run("ingest", str(SMALL_ORDERS), "--dataset", "Two", db=db).returncode == 0
    listed = json.loads(run("datasets", db=db).stdout)
    assert sorted(d["name"] for d in listed) == ["One", "Two"]
    assert all(len(d["id"]) == 16 and d["orders"] == 11 for d in listed)
    assert run("delete", "--dataset", "One", db=db).returncode == 0
    assert [d["name"] for d in json.loads(run("datasets", db=db).stdout)] == ["Two"]


def test_the_environment_variable_points_at_the_database(tmp_path: Path) -> None:
    env_db = tmp_path / "from-env.duckdb"
    assert run("ingest", str(SMALL_ORDERS), "--dataset", "Env", env_db=env_db).returncode == 0
    assert env_db.exists()
    assert [d["name"] for d in json.loads(run("datasets", env_db=env_db).stdout)] == ["Env"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("kpis", "--dataset", "Nope"), "There is no dataset “Nope”"),
        (("kpis", "--dataset", "Small", "--segment", "Colour=red"), "“Colour” is not a segment"),
        (("kpis", "--dataset", "Small", "--start", "2024-05-01", "--end", "2024-01-01"),
         "after the end date"),
        (("ingest", "/no/such/file.csv", "--dataset", "X"), "does not exist"),
    ],
)
def test_user_errors_print_one_sentence_and_exit_2(small_cli_db: Path, args: tuple[str, ...],
                                                   message: str) -> None:
    db = small_cli_db  # the small shop, ingested through the command
    result = run(*args, db=db)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_is_created_once(db: Path) -> None:
    first = json.loads(run("demo", db=db).stdout)
    second = json.loads(run("demo", db=db).stdout)
    assert first == second
    assert first["orders"] > 10_000


# -- real exports through the command line (files from tests/corpus.py) ----------------

def test_a_romanian_cp1250_semicolon_export_ingests_and_reports_what_was_detected(
        db: Path, tmp_path: Path) -> None:
    from tests.corpus import CEDILLA, Style, write_orders

    style = Style(encoding="cp1250", delimiter=";", names=lambda s: s.translate(CEDILLA),
                  header=("Clientul", "Data", "Valoare", "Oraş"),
                  date=lambda d: d.strftime("%d.%m.%Y"),
                  amount=lambda a: f"{a:,.2f}".replace(",", " ").replace(".", ",") + " lei")
    path = write_orders(tmp_path / "comenzi.csv", style)
    result = run("ingest", str(path), "--dataset", "Magazin", "--currency", "RON", db=db)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["detected"] == {"encoding": "Windows-1250 (Central European)",
                                  "delimiter": ";", "date_format": "dd.mm.yyyy",
                                  "decimal_mark": ",", "currency": "RON"}
    assert report["mapping"] == {"customer_id": "Clientul", "order_date": "Data",
                                 "amount": "Valoare"}
    assert (report["rows_read"], report["rows_stored"], report["rows_rejected"],
            report["refunds"]) == (4, 4, 0, 1)
    kpis = json.loads(run("kpis", "--dataset", "Magazin", "--period", "year", db=db).stdout)
    assert kpis[0]["revenue"] == 1310.0 and kpis[0]["new_customers"] == 3


def test_excel_sheets_kinds_and_date_formats_from_the_command_line(db: Path, tmp_path: Path
                                                                   ) -> None:
    from tests.test_ingest_corpus import write_workbook

    workbook = write_workbook(tmp_path / "o.xlsx")
    result = run("ingest", str(workbook), "--dataset", "Book", "--sheet", "Serial", db=db)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["detected"]["date_format"] == "Excel serial number"
    answers = write_csv(tmp_path / "r.csv", ("Date", "NPS"),
                        [("01/02/2025", "9"), ("03/04/2025", "3")])
    refused = run("ingest", str(answers), "--dataset", "Book", "--kind", "responses", db=db)
    assert refused.returncode == 2
    assert "could be day-first or month-first: choose dd/mm/yyyy or mm/dd/yyyy" in refused.stderr
    result = run("ingest", str(answers), "--dataset", "Book", "--kind", "responses",
                 "--date-format", "mm/dd/yyyy", db=db)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["first_date"] == "2025-01-02"
    listed = json.loads(run("datasets", db=db).stdout)
    assert listed[0]["tables"] == "orders,responses"


def test_reading_options_from_the_command_line(db: Path, tmp_path: Path) -> None:
    from tests.corpus import RUSSIAN, Style, write_orders

    # KOI8-R, colons and dd.mm.yyyy: nothing the detection would guess for this file
    style = Style(encoding="koi8-r", delimiter=":", names=lambda s: RUSSIAN.get(s, s),
                  header=("Покупатель", "Дата", "Сумма", "Город"),
                  date=lambda d: d.strftime("%d.%m.%Y"), amount=lambda a: f"{a:.2f}")
    path = write_orders(tmp_path / "o.csv", style)
    result = run("ingest", str(path), "--dataset", "Koi", "--delimiter", ":", "--encoding",
                 "koi8-r", "--decimal", ".", "--date-format", "dd.mm.yyyy", db=db)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["detected"] == {
        "encoding": "koi8-r", "delimiter": ":", "decimal_mark": ".",
        "date_format": "dd.mm.yyyy", "currency": "RUB", "currency_hint": "headers"}
    assert (report["rows_stored"], report["first_date"]) == (4, "2025-01-03")
    refused = run("ingest", str(path), "--dataset", "Koi2", "--encoding", "utf-8", db=db)
    assert refused.returncode == 2
    assert refused.stderr == ("error: o.csv cannot be read in the UTF-8 encoding: choose "
                              "another encoding, or let LoyaltyLens detect it.\n")


def test_a_dry_run_prints_the_report_and_stores_nothing(db: Path, tmp_path: Path) -> None:
    result = run("ingest", str(SMALL_ORDERS), "--dataset", "Trial", "--dry-run", db=db)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["dry_run"] is True
    assert json.loads(run("datasets", db=db).stdout) == []


def test_a_refused_file_exits_non_zero_with_its_reason(db: Path, tmp_path: Path) -> None:
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    result = run("ingest", str(binary), "--dataset", "X", db=db)
    assert result.returncode == 2
    assert result.stderr == ("error: photo.csv is not a text file. Save it as CSV (UTF-8) or "
                             "as an Excel .xlsx workbook and upload that.\n")


def test_a_bad_memory_limit_is_one_sentence(db: Path) -> None:
    env = {**os.environ, "LOYALTYLENS_MEMORY_LIMIT": "lots"}
    assert EXECUTABLE
    result = subprocess.run([EXECUTABLE, "--db", str(db), "datasets"], capture_output=True,
                            text=True, env=env, timeout=120, check=False)
    assert result.returncode == 2
    assert result.stderr == ("error: LOYALTYLENS_MEMORY_LIMIT = “lots” is not a memory size; "
                             "write it like 2GB or 500MB.\n")


def test_cohorts_json_has_the_documented_fields_and_hand_worked_values(small_cli_db: Path) -> None:
    db = small_cli_db  # the small shop, ingested through the command
    result = run("cohorts", "--dataset", "Small", "--period", "month", "--format", "json",
                 db=db)
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    first = records[0]
    assert {"cohort", "period_offset", "cohort_size", "active_customers", "retention_pct",
            "revenue"} <= set(first)
    # tests/test_retention.py: the January cohort {A, B, E}, 440 in its first month
    assert (first["cohort"], first["period_offset"], first["cohort_size"],
            first["active_customers"], first["retention_pct"], first["revenue"]) == (
        "2024-01-01", 0, 3, 3, 100.0, 440.0)
    unbounded = json.loads(run("cohorts", "--dataset", "Small", "--unbounded", db=db).stdout)
    assert [r["active_or_later"] for r in unbounded if r["cohort"] == "2024-01-01"] == [
        3, 2, 2, 1]
    revenue = run("cohorts", "--dataset", "Small", "--metric", "revenue", "--format", "csv",
                  db=db)
    rows = list(csv.DictReader(io.StringIO(revenue.stdout)))
    assert float(rows[1]["retention_pct"]) == pytest.approx(80 / 4.4)
    refused = run("cohorts", "--dataset", "Small", "--metric", "revenue", "--unbounded", db=db)
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: Unbounded retention counts customers")


def test_retention_and_lifecycle_print_what_the_page_shows(small_cli_db: Path) -> None:
    db = small_cli_db  # the small shop, ingested through the command
    result = run("retention", "--dataset", "Small", "--inactivity-days", "30", db=db)
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    # February 2024, worked out by hand in tests/test_kpis.py
    february = next(r for r in records if r["period"] == "2024-02-01")
    assert (february["start_customers"], february["new_customers"], february["end_customers"],
            february["churned_customers"]) == (3, 1, 3, 1)
    assert february["retention_rate"] == pytest.approx(200 / 3)
    # March against February, strict counts 1/3 vs 2/3: pooled p = 3/6, SE = sqrt(0.25 *
    # (1/3 + 1/3)) = 0.408248, z = (1/3 - 2/3) / SE = -0.816497, two-sided p = 0.414216
    march = next(r for r in records if r["period"] == "2024-03-01")
    assert march["change_pp"] == pytest.approx(-100 / 3)
    assert march["p_value"] == pytest.approx(0.414216, abs=1e-6)
    assert (march["significant"], march["change_test"]) == (False, "two-proportion z-test")
    assert february["change_test"] == "a period is incomplete"  # January is cut
    lifecycle = json.loads(run("lifecycle", "--dataset", "Small", db=db).stdout)
    assert [r["dormant_customers"] for r in lifecycle] == [0, 2, 1, 2]
    assert [r["resurrected_customers"] for r in lifecycle] == [0, 0, 0, 1]


def test_clv_prints_the_fitted_parameters_and_the_customers(db: Path) -> None:
    assert run("demo", db=db).returncode == 0
    result = run("clv", "--dataset", "Demo shop", "--calibration-end", "2026-06-30",
                 "--horizon-months", "6", "--customers", db=db)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["bgnbd"]) == {"r", "alpha", "a", "b", "log_likelihood"}
    assert set(report["gamma_gamma"]) == {"p", "q", "v", "log_likelihood"}
    assert (report["calibration_end"], report["horizon_months"]) == ("2026-06-30", 6)
    customers = report["customers"]
    assert len(customers) == report["customer_count"]
    assert {"customer_id", "frequency", "recency", "T", "monetary_value",
            "probability_alive", "expected_purchases", "expected_average_spend",
            "clv"} <= set(customers[0])
    assert sum(c["clv"] for c in customers) == pytest.approx(report["total_clv"])
    table = run("clv", "--dataset", "Demo shop", "--format", "csv", db=db)
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert [(r["model"], r["parameter"]) for r in rows][:4] == [
        ("bgnbd", "r"), ("bgnbd", "alpha"), ("bgnbd", "a"), ("bgnbd", "b")]


def test_clv_on_too_few_repeat_customers_is_one_sentence(small_cli_db: Path) -> None:
    db = small_cli_db  # the small shop, ingested through the command
    result = run("clv", "--dataset", "Small", db=db)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
