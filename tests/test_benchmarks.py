"""Industry benchmarks: the shipped file is complete and in range, conversions and bands are
worked out by hand, a user's own file is checked row by row and saved as a named set, and
the CLI and the Data page expose both."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

import metrics.isolation
from metrics import cli
from metrics.benchmarks import (
    BENCHMARK_COLUMNS,
    BENCHMARKS_PATH,
    Benchmark,
    all_benchmarks,
    compare,
    conversion,
    delete_benchmarks,
    read_benchmark_file,
    save_benchmarks,
    saved_benchmark_sets,
    sectors,
    shipped_benchmarks,
    template_csv,
)
from metrics.errors import InputError
from metrics.store import Store
from tests.test_app import open_app, unescaped

# The figures checked against retrieved texts (a copy of shared/benchmarks-reference.csv,
# kept here so the check runs on any clone).
REFERENCE = Path(__file__).parent / "data" / "benchmarks" / "benchmarks-reference.csv"
# Written out here rather than imported, so a change to the code's list shows up.
IDS = ("retention_rate, churn_rate, repeat_purchase_rate, nps, csat, clv_cac_ratio, "
       "cac_payback_months, acquisition_vs_retention_cost, profit_uplift_from_retention, "
       "revenue_retention, voluntary_churn_rate, involuntary_churn_rate, net_churn_rate, "
       "annual_repurchase_rate")
# Figures in data/benchmarks.csv: update with the file (every row is listed in the report).
SHIPPED_ROWS = 67
PERCENT_IDS = {"retention_rate", "churn_rate", "repeat_purchase_rate", "voluntary_churn_rate",
               "involuntary_churn_rate", "net_churn_rate", "annual_repurchase_rate"}


def raw_rows() -> list[dict[str, str]]:
    with BENCHMARKS_PATH.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def numbers(value: str) -> list[float]:
    """The numbers in a published value, read independently of the code: "92-93" -> [92, 93]."""
    text = value.lstrip("<>")
    if "-" in text[1:]:
        cut = text.index("-", 1)
        return [float(text[:cut]), float(text[cut + 1:])]
    return [float(text)]


# -- the shipped file ------------------------------------------------------------------


def test_the_file_has_the_thirteen_columns_in_order() -> None:
    with BENCHMARKS_PATH.open(encoding="utf-8", newline="") as file:
        header = next(csv.reader(file))
    assert tuple(header) == BENCHMARK_COLUMNS == (
        "metric_id", "metric", "sector", "industry", "value", "unit", "period", "region",
        "source", "title", "year", "url", "definition")


def test_every_shipped_row_is_complete() -> None:
    rows = raw_rows()
    assert len(rows) == SHIPPED_ROWS
    for number, row in enumerate(rows, start=2):
        for column in ("metric", "sector", "industry", "value", "unit", "region", "source",
                       "title", "url", "definition"):
            assert row[column].strip(), (number, column)
        assert row["url"].startswith(("http://", "https://")), number
        assert row["year"].isdigit() and 1980 <= int(row["year"]) <= 2026, number
        assert row["period"] in ("monthly", "quarterly", "annual", "n.a."), number
        assert row["metric_id"] in IDS.split(", "), number
        assert row["definition"].endswith("."), number


def test_every_shipped_figure_lies_in_its_metrics_valid_range() -> None:
    for number, row in enumerate(raw_rows(), start=2):
        values, metric = numbers(row["value"]), row["metric_id"]
        if metric in PERCENT_IDS:
            assert row["unit"].startswith("%"), number
            assert all(0 <= v <= 100 for v in values), number
        elif metric == "nps":
            assert row["unit"] == "NPS points", number
            assert all(-100 <= v <= 100 for v in values), number
        elif metric == "csat":  # ACSI 0-100 or a share in %
            assert all(0 <= v <= 100 for v in values), number
        else:  # ratios, multiples, months, profit and revenue changes
            assert all(v > 0 for v in values), number


def test_the_parsed_figures_match_the_published_values() -> None:
    for row, figure in zip(raw_rows(), shipped_benchmarks(), strict=True):
        values = numbers(row["value"])
        assert (figure.low, figure.high) == (values[0], values[-1])
        assert figure.bound == (row["value"][0] if row["value"][0] in "<>" else "")
        assert figure.year == int(row["year"]) and figure.set_name == ""


def test_every_figure_is_copied_from_the_checked_reference() -> None:
    with REFERENCE.open(encoding="utf-8", newline="") as file:
        reference = {(r["industry"], r["value"], r["unit"]): r for r in csv.DictReader(file)}
    for row in raw_rows():
        published = reference[(row["industry"], row["value"], row["unit"])]
        assert row["metric"] == published["metric"]
        if published["year"] != "n.d.":  # the undated ones got a year from a dated text
            assert (row["source"], row["year"], row["url"]) == (
                published["source"], published["year"], published["url"])


def test_pickable_sectors_group_several_metrics() -> None:
    figures = shipped_benchmarks()
    by_sector: dict[str, set[str]] = {}
    for figure in figures:
        by_sector.setdefault(figure.sector, set()).add(figure.metric_id)
    assert {"retention_rate", "nps", "repeat_purchase_rate"} <= by_sector["Retail"]
    assert {"retention_rate", "repeat_purchase_rate"} <= by_sector["E-commerce"]
    assert {"retention_rate", "churn_rate", "nps"} <= by_sector["Telecom"]
    assert {"clv_cac_ratio", "cac_payback_months", "acquisition_vs_retention_cost",
            "profit_uplift_from_retention"} <= by_sector["All industries"]
    names = sectors(figures)
    assert names[0] == "All industries"
    assert names[1:] == sorted(names[1:], key=str.casefold)


def test_acsi_scores_never_give_a_csat_band() -> None:
    figures = shipped_benchmarks()
    acsi_sectors = {f.sector for f in figures if f.unit == "ACSI 0-100"}
    assert acsi_sectors >= {"All industries", "Retail", "E-commerce", "Banking", "Telecom"}
    for sector in acsi_sectors:
        found = compare(figures, sector, "csat", "month")
        assert found is None or all(row.unit != "ACSI 0-100" for row in found.rows)


# -- conversions, worked out by hand ---------------------------------------------------


@pytest.mark.parametrize(("value", "kind", "basis", "period", "expected"), [
    # 1 − 0.95^12 = 1 − 0.540360 = 45.9640%
    (5, "churn", "monthly", "year", 45.9640),
    # 0.63^(1/12) = exp(ln 0.63 / 12) = exp(−0.0385029) = 96.2229%
    (63, "retention", "annual", "month", 96.2229),
    # 0.63^(3/12): sqrt(sqrt(0.63)) = sqrt(0.793725) = 89.0912%
    (63, "retention", "annual", "quarter", 89.0912),
    # 1 − 0.9^(1/12) = 1 − exp(−0.1053605 / 12) = 1 − 0.991258 = 0.8742%
    (10, "churn", "annual", "month", 0.8742),
    # 1 − 0.9^4 = 1 − 0.6561 = 34.39%
    (10, "churn", "quarterly", "year", 34.39),
    # a week is 7/30.4375 = 0.2299795 of a month: ln 0.95 × 0.2299795 = −0.0117964,
    # exp(−0.0117964) = 1 − 0.0117964 + 0.0000696 − 0.0000003 = 0.9882729: 1.1727%
    (5, "churn", "monthly", "week", 1.1727),
    (5, "churn", "monthly", "month", 5.0),
])
def test_conversion(value: float, kind: str, basis: str, period: str, expected: float
                    ) -> None:
    assert conversion(value, kind, basis, period) == pytest.approx(expected, abs=1e-4)  # type: ignore[arg-type]


def test_conversion_rejects_a_period_that_is_not_one() -> None:
    with pytest.raises(InputError) as raised:
        conversion(5, "churn", "monthly", "decade")
    assert raised.value.message == "“decade” is not a period; use one of: week, month, " \
                                   "quarter, year."


# -- compare() on hand-made figures ----------------------------------------------------


def figure(metric_id: str, value: str, low: float, high: float, unit: str = "%",
           period: str = "annual", sector: str = "Shops", bound: str = "",
           source: str = "Test source [secondary: a blog]", year: int = 2020) -> Benchmark:
    return Benchmark(metric_id=metric_id, metric=metric_id, sector=sector, industry=sector,
                     value=value, low=low, high=high, bound=bound, unit=unit, period=period,
                     region="", source=source, title="T", year=year, url="https://x",
                     definition="D.")


RETENTION_CAVEAT = (
    "Published retention rates rarely say who counts as a customer or over which window; "
    "LoyaltyLens counts the customers in the base (an order within the inactivity window) "
    "at the start and at the end of each period.")
CHURN_CAVEAT = (
    "Published churn rates mostly count cancelled subscriptions; with orders only, "
    "LoyaltyLens counts a customer as lost once their last order is older than the "
    "inactivity window.")


def test_a_single_figure_in_the_users_period_is_a_line() -> None:
    found = compare([figure("retention_rate", "63", 63, 63)], "Shops", "retention_rate",
                    "year")
    assert found is not None
    assert (found.metric_id, found.low, found.high) == ("retention_rate", 63, 63)
    assert found.notes == (RETENTION_CAVEAT,)


def test_two_figures_make_a_band() -> None:
    figures = [figure("churn_rate", "5", 5, 5, "% per month", "monthly"),
               figure("churn_rate", "10", 10, 10, "% per month", "monthly")]
    found = compare(figures, "Shops", "churn_rate", "month")
    assert found is not None and (found.low, found.high) == (5, 10)
    assert found.rows == tuple(figures)


def test_a_monthly_churn_figure_is_converted_to_a_year_and_the_note_says_how() -> None:
    found = compare([figure("churn_rate", "5", 5, 5, "% per month", "monthly")], "Shops",
                    "churn_rate", "year")
    assert found is not None
    assert found.low == found.high == pytest.approx(45.9640, abs=1e-4)  # 1 − 0.95^12
    assert found.notes == (
        "5% monthly churn (Test source, 2020) is 46.0% a year: "
        "annual = 1 − (1 − monthly)^12.", CHURN_CAVEAT)


def test_a_yearly_retention_range_is_converted_to_a_week() -> None:
    found = compare([figure("retention_rate", "92-93", 92, 93)], "Shops", "retention_rate",
                    "week")
    assert found is not None
    # 0.92^(7/365.25) = exp(−0.0833816 × 0.0191650) = 99.8403%; 0.93^… = 99.8610%
    assert found.low == pytest.approx(99.8403, abs=1e-4)
    assert found.high == pytest.approx(99.8610, abs=1e-4)
    assert found.notes[0] == ("92-93% annual retention (Test source, 2020) is 99.8%–99.9% "
                              "a week: weekly = annual^(7/365.25).")


def test_acsi_is_left_out_of_a_csat_band() -> None:
    acsi = figure("csat", "78", 78, 78, "ACSI 0-100", "n.a.")
    share = figure("csat", "85", 85, 85, "% satisfied", "n.a.")
    assert compare([acsi], "Shops", "csat", "month") is None
    found = compare([acsi, share], "Shops", "csat", "month")
    assert found is not None and found.rows == (share,) and (found.low, found.high) == (85, 85)


def test_nps_and_repeat_purchase_figures_are_never_converted() -> None:
    figures = [figure("nps", "-6.1", -6.1, -6.1, "NPS points", "n.a."),
               figure("repeat_purchase_rate", "32", 32, 32, "% of customers", "annual")]
    nps = compare(figures, "Shops", "nps", "week")
    repeat = compare(figures, "Shops", "repeat_purchase_rate", "week")
    assert nps is not None and (nps.low, nps.high) == (-6.1, -6.1)
    assert repeat is not None and (repeat.low, repeat.high) == (32, 32)


def test_strict_retention_is_compared_with_retention_figures_and_says_so() -> None:
    found = compare([figure("retention_rate", "84", 84, 84)], "Shops",
                    "strict_retention_rate", "year")
    assert found is not None and found.metric_id == "strict_retention_rate"
    assert found.notes[0] == (
        "Your strict retention rate is compared with published customer retention rates, "
        "which do not say whether customers who left and came back count as retained.")


def test_bounds_and_undated_periods_are_explained() -> None:
    ratio = compare([figure("clv_cac_ratio", ">3", 3, 3, "ratio (LTV/CAC)", "n.a.",
                            bound=">")], "Shops", "clv_cac_ratio", "year")
    assert ratio is not None
    assert ratio.notes == (">3 (Test source, 2020) is a bound: a threshold to pass, not an "
                           "average.",)
    churn = compare([figure("churn_rate", "4", 4, 4, "%", "n.a.")], "Shops", "churn_rate",
                    "year")
    assert churn is not None and (churn.low, churn.high) == (4, 4)
    assert churn.notes[0] == "4% (Test source, 2020) states no period, so it is not converted."


def test_no_band_for_another_sector_or_a_metric_without_figures() -> None:
    figures = [figure("retention_rate", "63", 63, 63)]
    assert compare(figures, "Banks", "retention_rate", "year") is None
    assert compare(figures, "Shops", "churn_rate", "year") is None
    assert compare(figures, "Shops", "aov", "year") is None
    assert compare([], "Shops", "retention_rate", "year") is None


def test_position_against_a_band() -> None:
    found = compare([figure("retention_rate", "60", 60, 60), figure("retention_rate", "70",
                                                                     70, 70)],
                    "Shops", "retention_rate", "year")
    assert found is not None
    assert found.position(75) == 5
    assert found.position(55) == -5
    assert found.position(65) == 0
    assert found.position(None) is None
    assert found.position(math.nan) is None


def test_the_shipped_telecom_churn_band_in_a_year() -> None:
    found = compare(shipped_benchmarks(), "Telecom", "churn_rate", "year")
    assert found is not None
    # ln 0.9914 = −0.0086372, × 12 = −0.1036463, exp = 0.9015442: 9.8456%;
    # ln 0.9877 = −0.0123763, × 12 = −0.1485152, exp = 0.8619869: 13.8013%
    assert found.low == pytest.approx(9.8456, abs=1e-3)
    assert found.high == pytest.approx(13.8013, abs=1e-3)
    assert len(found.notes) == 3  # two conversions and the definition caveat


# -- a user's own file -----------------------------------------------------------------


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


HEADER = "metric_id,value,unit,period,source,year\n"


def test_the_template_reads_back_as_two_targets_of_the_sets_sector(tmp_path: Path) -> None:
    rows = read_benchmark_file(write(tmp_path / "t.csv", template_csv()), "Our targets")
    assert [(r.metric_id, r.value, r.low, r.unit, r.period, r.year) for r in rows] == [
        ("retention_rate", "80", 80, "%", "annual", 2025),
        ("nps", "40", 40, "NPS points", "n.a.", 2025)]
    assert {(r.sector, r.industry, r.set_name) for r in rows} == {
        ("Our targets", "Our targets", "Our targets")}


def test_a_semicolon_cp1251_file_with_decimal_commas_and_extra_columns(tmp_path: Path
                                                                        ) -> None:
    text = ("metric_id;metric;value;unit;period;source;year;sector;комментарий\n"
            "churn_rate;Отток;2,5;% в месяц;monthly;Наш план;2025;;цель\n"
            "nps;;-10--5;NPS points;N.A.;Наш план;2025;Розница;\n")
    rows = read_benchmark_file(write(tmp_path / "план.csv", text, "cp1251"), "План")
    assert [(r.metric, r.sector, r.low, r.high, r.period) for r in rows] == [
        ("Отток", "План", 2.5, 2.5, "monthly"),
        ("Net Promoter Score", "Розница", -10, -5, "n.a.")]


def test_a_value_our_own_export_protected_reads_back(tmp_path: Path) -> None:
    text = HEADER + "nps,'-6.1,NPS points,n.a.,XM,2023\n"
    (row,) = read_benchmark_file(write(tmp_path / "x.csv", text), "Exported")
    assert (row.value, row.low) == ("-6.1", -6.1)


@pytest.mark.parametrize(("line", "message"), [
    ("aov,40,%,annual,Plan,2025",
     "Row 3: “aov” is not a metric id; use one of: " + IDS + "."),
    ("retention_rate,abc,%,annual,Plan,2025",
     "Row 3: the value “abc” is not a number, a range like 92-93 or a bound like >3."),
    ("retention_rate,95-90,%,annual,Plan,2025",
     "Row 3: the value “95-90” is not a number, a range like 92-93 or a bound like >3."),
    ("retention_rate,120,%,annual,Plan,2025",
     "Row 3: retention_rate is a percentage, so its value must lie between 0 and 100, not "
     "“120”."),
    ("nps,150,NPS points,n.a.,Plan,2025",
     "Row 3: an NPS lies between −100 and 100, not “150”."),
    ("clv_cac_ratio,0,ratio,n.a.,Plan,2025", "Row 3: clv_cac_ratio must be above 0, not “0”."),
    ("retention_rate,80,NPS points,annual,Plan,2025",
     "Row 3: the unit “NPS points” does not fit retention_rate; write %."),
    ("retention_rate,80,%,weekly,Plan,2025",
     "Row 3: the period “weekly” is not monthly, quarterly, annual or n.a. (not "
     "applicable)."),
    ("retention_rate,80,%,annual,Plan,n.d.",
     "Row 3: “n.d.” is not a year; write it with four digits, e.g. 2024."),
    ("retention_rate,80,%,annual,,2025", "Row 3: the source is empty; every figure needs one."),
])
def test_a_bad_row_is_named_with_what_is_wrong(tmp_path: Path, line: str, message: str
                                               ) -> None:
    path = write(tmp_path / "bad.csv", HEADER + "nps,30,NPS points,n.a.,Plan,2025\n" + line)
    with pytest.raises(InputError) as raised:
        read_benchmark_file(path, "Bad")
    assert raised.value.message == message


def test_a_file_without_the_required_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", "metric_id,value,unit,period\nnps,30,NPS points,n.a.\n")
    with pytest.raises(InputError) as raised:
        read_benchmark_file(path, "Bad")
    assert raised.value.message == (
        "The file bad.csv is missing source, year: a benchmark file needs the columns "
        "metric_id, value, unit, period, source, year (download the template on the Data "
        "page).")


def test_a_file_with_only_a_header_and_a_set_without_a_name(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        read_benchmark_file(write(tmp_path / "h.csv", HEADER), "Empty")
    assert raised.value.message == "The file h.csv holds no figures under its header row."
    with pytest.raises(InputError) as raised:
        read_benchmark_file(write(tmp_path / "t.csv", template_csv()), "  ")
    assert raised.value.message == "Give the benchmark set a name, e.g. “Our targets 2025”."


# -- saved sets ------------------------------------------------------------------------


def test_save_list_replace_and_delete_a_set(tmp_path: Path) -> None:
    targets = read_benchmark_file(write(tmp_path / "t.csv", template_csv()), "Ana's targets")
    with Store(":memory:") as store:
        assert saved_benchmark_sets(store) == []
        save_benchmarks(store, "Ana's targets", targets)
        assert saved_benchmark_sets(store) == ["Ana's targets"]
        every = all_benchmarks(store)
        assert len(every) == SHIPPED_ROWS + 2
        assert every[SHIPPED_ROWS:] == targets  # stored and read back unchanged, in file order
        assert "Ana's targets" in sectors(every)
        # the same name, written differently, replaces the set
        save_benchmarks(store, "ana's TARGETS", targets[:1])
        assert saved_benchmark_sets(store) == ["ana's TARGETS"]
        assert len(all_benchmarks(store)) == SHIPPED_ROWS + 1
        delete_benchmarks(store, "ANA'S targets")
        assert saved_benchmark_sets(store) == []
        with pytest.raises(InputError) as raised:
            delete_benchmarks(store, "Nobody's")
        assert raised.value.message == ("There is no saved benchmark set “Nobody's”; the "
                                        "saved sets are: none.")


def test_a_failed_save_stores_nothing() -> None:
    with Store(":memory:") as store:
        with pytest.raises(InputError):
            save_benchmarks(store, "Empty", [])
        assert saved_benchmark_sets(store) == []


# -- the command line ------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, str, str]:
    code = cli.main(["--db", str(db), "benchmarks", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_prints_one_industrys_figures_as_json(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    code, out, _ = run_cli(capsys, tmp_path / "b.duckdb", "--industry", "retail", "--metric",
                           "nps")
    assert code == 0
    (record,) = json.loads(out)
    assert record["value"] == "29" and record["year"] == 2024 and record["sector"] == "Retail"
    assert record["source"] == "Qualtrics XM Institute [report mirror]"
    assert (record["low"], record["high"], record["bound"], record["set_name"]) == (
        29, 29, "", "")
    assert list(record) == [*BENCHMARK_COLUMNS, "low", "high", "bound", "set_name"]


def test_cli_prints_csv(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run_cli(capsys, tmp_path / "b.duckdb", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(out.splitlines()))
    assert len(rows) == SHIPPED_ROWS
    assert rows[0]["metric_id"] == "retention_rate" and rows[0]["value"] == "84"
    # text that a spreadsheet would run as a formula is neutralised, numbers are not
    payments = next(r for r in rows if r["sector"] == "Payments")
    assert (payments["value"], payments["low"]) == ("'-6.1", "-6.1")


def test_cli_names_the_industries_when_one_is_unknown(capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, tmp_path / "b.duckdb", "--industry", "Nowhere")
    assert code == 2 and out == ""
    assert err == (
        "error: There is no industry “Nowhere”; the industries are: All industries, "
        "Automotive, B2B SaaS, Banking, Construction, Cybersecurity, E-commerce, Financial "
        "services, Grocery, Hospitality & travel, HVAC services, Insurance, IT services, "
        "Manufacturing, Media & entertainment, Payments, Professional services, Retail, "
        "Streaming, Subscription, Subscription (B2B), Subscription (B2C), Subscription boxes, "
        "Telecom.\n")


def test_cli_saves_lists_and_deletes_a_set(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    db, path = tmp_path / "b.duckdb", write(tmp_path / "t.csv", template_csv())
    assert run_cli(capsys, db, "--upload", str(path))[2] == (
        "error: --upload needs --name: the name the set is saved and picked under.\n")
    code, out, _ = run_cli(capsys, db, "--upload", str(path), "--name", "Our targets")
    assert code == 0 and json.loads(out) == {"saved": "Our targets", "rows": 2}
    code, out, _ = run_cli(capsys, db, "--industry", "our targets")
    assert [r["metric_id"] for r in json.loads(out)] == ["retention_rate", "nps"]
    assert {r["set_name"] for r in json.loads(out)} == {"Our targets"}
    code, out, _ = run_cli(capsys, db, "--delete", "Our targets")
    assert code == 0 and json.loads(out) == {"deleted": "Our targets"}
    assert run_cli(capsys, db, "--industry", "our targets")[0] == 2


# -- the Data page ---------------------------------------------------------------------


def upload_benchmarks(app, name: str, content: bytes):  # type: ignore[no-untyped-def]
    uploader = next(u for u in app.file_uploader if u.key.startswith("benchmark_file_"))
    uploader.upload(name, content, "text/csv").run()
    assert not app.exception, app.exception
    return app


def test_the_data_page_saves_and_deletes_a_benchmark_set(isolated_db: Path) -> None:
    app = upload_benchmarks(open_app(page="app_pages/data.py"), "targets.csv",
                            template_csv().encode())
    assert next(i for i in app.text_input if i.key.startswith("benchmark_name_")).value == \
        "targets"
    assert list(app.dataframe[-1].value["metric_id"]) == ["retention_rate", "nps"]
    next(b for b in app.button if b.label == "Save benchmarks").click().run()
    assert not app.exception, app.exception
    assert [unescaped(s.value) for s in app.success] == [
        "Saved 2 figures as “targets”: pick them like an industry."]
    with Store(isolated_db) as store:
        assert saved_benchmark_sets(store) == ["targets"]
    assert app.selectbox(key="benchmark_delete_choice").value == "targets"
    next(b for b in app.button if b.label == "Delete set").click().run()
    assert not app.exception, app.exception
    with Store(isolated_db) as store:
        assert saved_benchmark_sets(store) == []


def test_the_data_page_shows_why_a_benchmark_file_is_refused(isolated_db: Path) -> None:
    content = (HEADER + "retention_rate,120,%,annual,Plan,2025\n").encode()
    app = upload_benchmarks(open_app(page="app_pages/data.py"), "bad.csv", content)
    assert [unescaped(e.value) for e in app.error] == [
        "Row 2: retention_rate is a percentage, so its value must lie between 0 and 100, "
        "not “120”."]
    assert not [b for b in app.button if b.label == "Save benchmarks"]
    with Store(isolated_db) as store:
        assert saved_benchmark_sets(store) == []


def test_the_data_page_reads_a_benchmark_file_in_a_process_of_its_own(
        isolated_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # like an orders upload: a malformed file hangs or crashes a child, never the server
    isolated: list[object] = []
    run = metrics.isolation.run_isolated

    def recording(task, name, limits=None):  # type: ignore[no-untyped-def]
        isolated.append(getattr(task, "func", task))
        return run(task, name, limits)

    monkeypatch.setattr(metrics.isolation, "run_isolated", recording)
    app = upload_benchmarks(open_app(page="app_pages/data.py"), "targets.csv",
                            template_csv().encode())
    assert list(app.dataframe[-1].value["metric_id"]) == ["retention_rate", "nps"]
    assert isolated == [read_benchmark_file]
    app.run()  # a rerun (any widget) reads the file no second time
    assert isolated == [read_benchmark_file]
