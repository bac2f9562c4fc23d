"""RFM scores and segments, the RFM segment filter and the segment comparison, on
hand-worked fixtures."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from itertools import product
from pathlib import Path

import pandas as pd
import pytest

from metrics.cli import main
from metrics.clv.simple import simple_clv
from metrics.errors import InputError
from metrics.ingest import ingest_file
from metrics.kpis import kpi_table
from metrics.query.filters import Filters
from metrics.query.rfm import RFM_RULES, RFM_SEGMENTS, rfm_segment, rfm_window
from metrics.query.rfm import segment_case_sql as _segment_case
from metrics.query.segments import (
    RFM_SEGMENT,
    customer_groups_sql,
    keeps_whole_customers,
    segment_dimensions,
    segment_values,
)
from metrics.retention import cohort_table
from metrics.rfm import RFM_COLUMNS, rfm_customers, rfm_summary, rfm_table
from metrics.segments import (
    POOLED_STRICT_CHURN,
    SEGMENT_SUMMARY_COLUMNS,
    pooled_annual_churn,
    pooled_retention_rate,
    segment_summary,
)
from metrics.store import Dataset, Store
from metrics.survival import customer_lifetimes
from tests.builders import small_store, write_csv

# Ten customers who buy in January-March 2024, and c11, who bought in December 2023 and
# returned it in January. The data's last order day is 30 March.
ORDERS = [
    ("c01", "2024-01-05", 100, "web"), ("c01", "2024-02-05", 100, "web"),
    ("c01", "2024-03-10", 100, "store"), ("c01", "2024-03-30", 100, "web"),
    ("c02", "2024-01-15", 50, "web"), ("c02", "2024-02-20", 50, "web"),
    ("c02", "2024-03-28", 50, "web"),
    # two orders on one day: one purchase day
    ("c03", "2024-01-10", 150, "web"), ("c03", "2024-03-20", 100, "web"),
    ("c03", "2024-03-20", 50, "store"),
    ("c04", "2024-03-20", 30, "web"),
    ("c05", "2024-03-01", 250, "store"),
    # a refund: not a purchase day, but it reduces the spend
    ("c06", "2024-01-03", 60, "web"), ("c06", "2024-02-15", 50, "web"),
    ("c06", "2024-02-20", -20, "web"),
    ("c07", "2024-02-01", 60, "web"),
    ("c08", "2024-01-20", 500, "store"),
    ("c09", "2024-01-10", 20, "web"),
    ("c10", "2024-01-05", 90, "web"),
    ("c11", "2023-12-20", 80, "web"), ("c11", "2024-01-08", -80, "web"),
]
HEADER = ("customer_id", "order_date", "amount", "channel")
FROM_2024 = Filters(start=date(2024, 1, 1))

# January-March 2024 (from 1 January, no end: the window is 1 Jan-31 Mar, recency counted
# to 30 March, the data's last day). c11 has only a refund in the window: no row. n = 10,
# so score = 1 + floor(5 (rank - 1) / 10): ranks 1-2 -> 1, 3-4 -> 2, 5-6 -> 3, 7-8 -> 4,
# 9-10 -> 5, a tie taking the score of its first rank.
#   R, oldest last purchase first: c10 5 Jan (1), c09 10 Jan (2), c08 20 Jan (3),
#      c07 1 Feb (4), c06 15 Feb (5), c05 1 Mar (6), c03 and c04 20 Mar (7, tied), c02
#      28 Mar (9), c01 30 Mar (10).
#   F: the six one-day customers share rank 1 -> F 1 (NTILE would have spread them over
#      1-3); c03 and c06 (2 days) rank 7 -> 4; c02 (3) rank 9 -> 5; c01 (4) rank 10 -> 5.
#   M: c09 20 (1), c04 30 (2), c07 60 (3), c06 and c10 90 (4, tied -> 2, where rank 5
#      alone would be 3), c02 150 (6 -> 3), c05 250 (7), c03 300 (8), c01 400 (9),
#      c08 500 (10).
#   Recency days to 30 Mar: 20 Mar 10, 1 Mar 29, 15 Feb 44, 1 Feb 58, 20 Jan 70, 10 Jan 80,
#   5 Jan 85 (2024 is a leap year).
#   Segments by R and FM = (F + M) / 2.
EXPECTED_FROM_2024 = [
    # customer, recency_days, frequency, monetary, r, f, m, segment
    ("c01", 0, 4, 400.0, 5, 5, 5, "Champions"),        # FM 5
    ("c02", 2, 3, 150.0, 5, 5, 3, "Champions"),        # FM 4
    ("c03", 10, 2, 300.0, 4, 4, 4, "Champions"),       # FM 4
    ("c04", 10, 1, 30.0, 4, 1, 1, "Promising"),        # R 4, FM 1
    ("c05", 29, 1, 250.0, 3, 1, 4, "About to sleep"),  # R 3, FM 2.5
    ("c06", 44, 2, 90.0, 3, 4, 2, "Need attention"),   # R 3, FM 3
    ("c07", 58, 1, 60.0, 2, 1, 2, "Hibernating"),      # R 2, FM 1.5
    ("c08", 70, 1, 500.0, 2, 1, 5, "At risk"),         # R 2, FM 3
    ("c09", 80, 1, 20.0, 1, 1, 1, "Lost"),             # R 1, FM 1
    ("c10", 85, 1, 90.0, 1, 1, 2, "Lost"),             # R 1, FM 1.5
]

# 10 January to 10 February, by month: the window is 1 Jan-29 Feb and recency is counted
# to 29 February. Eight customers bought in it; c11's refund is no purchase. n = 8:
# ranks 1-2 -> 1, 3-4 -> 2, 5 -> 3, 6-7 -> 4, 8 -> 5.
#   R: c10 5 Jan (1), c03 and c09 10 Jan (2, tied), c08 20 Jan (4), c07 1 Feb (5),
#      c01 5 Feb (6), c06 15 Feb (7), c02 20 Feb (8).
#   F: five one-day customers rank 1 -> 1; c01, c02, c06 (2 days) rank 6 -> 4.
#   M: c09 20 (1), c07 60 (2), c06 and c10 90 (3), c02 100 (5), c03 150 (6), c01 200 (7),
#      c08 500 (8).
#   Recency to 29 Feb: 20 Feb 9, 15 Feb 14, 5 Feb 24, 1 Feb 28, 20 Jan 40, 10 Jan 50,
#   5 Jan 55.
EXPECTED_JAN_FEB = [
    ("c01", 24, 2, 200.0, 4, 4, 4, "Champions"),            # FM 4
    ("c02", 9, 2, 100.0, 5, 4, 3, "Loyal"),                 # R 5, FM 3.5
    ("c03", 50, 1, 150.0, 1, 1, 4, "Hibernating"),          # R 1, FM 2.5
    ("c06", 14, 2, 90.0, 4, 4, 2, "Potential loyalists"),   # R 4, FM 3
    ("c07", 28, 1, 60.0, 3, 1, 1, "About to sleep"),        # R 3, FM 1
    ("c08", 40, 1, 500.0, 2, 1, 5, "At risk"),              # R 2, FM 3
    ("c09", 50, 1, 20.0, 1, 1, 1, "Lost"),
    ("c10", 55, 1, 90.0, 1, 1, 2, "Lost"),                  # FM 1.5
]


def fixture_store(tmp_path: Path, rows: list[tuple[object, ...]] = ORDERS,
                  name: str = "RFM shop") -> tuple[Store, Dataset]:
    store = Store(":memory:")
    path = write_csv(tmp_path / f"{name}.csv", HEADER, rows)
    ingest_file(store, path, dataset=name, currency="EUR")
    return store, store.dataset(name)


def as_rows(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    return [(row.customer_id, int(row.recency_days), int(row.frequency),
             float(row.monetary), int(row.r), int(row.f), int(row.m), row.segment)
            for row in frame.itertuples()]


# -- the rule table ----------------------------------------------------------------------


def test_the_rules_partition_the_125_score_combinations() -> None:
    assert RFM_SEGMENTS == (
        "Champions", "Loyal", "Potential loyalists", "New", "Promising", "Need attention",
        "About to sleep", "At risk", "Cannot lose them", "Hibernating", "Lost")
    used = set()
    for r, f, m in product(range(1, 6), repeat=3):
        matching = [rule.segment for rule in RFM_RULES if rule.holds(r, f, m)]
        assert len(matching) == 1, (r, f, m, matching)
        used.add(matching[0])
    assert used == set(RFM_SEGMENTS), "every segment is reachable"


def test_the_sql_rule_case_equals_the_rule_table() -> None:
    store = Store(":memory:")
    with store.cursor() as cursor:
        rows = cursor.execute(
            f"SELECT r, f, m, {_segment_case()} FROM range(1, 6) AS a(r), range(1, 6) AS "
            f"b(f), range(1, 6) AS c(m)").fetchall()
    assert len(rows) == 125
    assert all(segment == rfm_segment(r, f, m) for r, f, m, segment in rows)


@pytest.mark.parametrize(("scores", "segment"), [
    ((5, 5, 5), "Champions"), ((4, 4, 4), "Champions"), ((3, 5, 3), "Loyal"),
    ((5, 3, 4), "Loyal"), ((5, 1, 5), "Potential loyalists"), ((4, 2, 2), "Potential loyalists"),
    ((5, 1, 2), "New"), ((4, 1, 1), "Promising"), ((3, 3, 3), "Need attention"),
    ((3, 1, 4), "About to sleep"), ((2, 3, 3), "At risk"), ((1, 2, 5), "At risk"),
    ((2, 5, 3), "Cannot lose them"), ((1, 5, 5), "Cannot lose them"),
    ((2, 1, 1), "Hibernating"), ((1, 2, 2), "Hibernating"), ((1, 1, 2), "Lost"),
])
def test_segments_of_some_scores(scores: tuple[int, int, int], segment: str) -> None:
    assert rfm_segment(*scores) == segment


def test_every_rule_reads_as_a_sentence() -> None:
    assert RFM_RULES[0].text() == (
        "Champions: R 4–5, FM 4–5 — bought lately, buy often and spend the most.")
    assert RFM_RULES[1].text().startswith("Loyal: R 3, FM 4–5; or R 4–5, FM 3.5 — ")


# -- scores on the hand-worked fixture ---------------------------------------------------


def test_scores_and_segments_from_january(tmp_path: Path) -> None:
    store, dataset = fixture_store(tmp_path)
    table = rfm_table(store, dataset, FROM_2024)
    assert list(table.columns) == list(RFM_COLUMNS)
    assert as_rows(table) == EXPECTED_FROM_2024


def test_a_shorter_range_is_widened_to_whole_months_and_counted_to_its_end(
        tmp_path: Path) -> None:
    store, dataset = fixture_store(tmp_path)
    filters = Filters(start=date(2024, 1, 10), end=date(2024, 2, 10))
    window = rfm_window(dataset, filters)
    assert (window.start, window.end, window.reference_day) == (
        date(2024, 1, 1), date(2024, 2, 29), date(2024, 2, 29))
    assert as_rows(rfm_table(store, dataset, filters)) == EXPECTED_JAN_FEB


def test_one_purchase_customers_share_the_lowest_frequency_score(tmp_path: Path) -> None:
    store, dataset = fixture_store(tmp_path)
    table = rfm_table(store, dataset, FROM_2024)
    assert set(table.loc[table["frequency"] == 1, "f"]) == {1}
    tied = table[table["monetary"] == 90.0]
    assert sorted(tied["customer_id"]) == ["c06", "c10"] and set(tied["m"]) == {2}


def test_the_scores_are_the_same_whatever_the_row_order(tmp_path: Path) -> None:
    store, dataset = fixture_store(tmp_path)
    shuffled, shuffled_dataset = fixture_store(tmp_path, ORDERS[::-1], "Shuffled")
    assert as_rows(rfm_table(shuffled, shuffled_dataset, FROM_2024)) == as_rows(
        rfm_table(store, dataset, FROM_2024))


def test_an_empty_selection_has_no_rows(tmp_path: Path) -> None:
    store, dataset = fixture_store(tmp_path)
    nothing = Filters(segments=(("channel", ("post",)),))
    assert rfm_table(store, dataset, nothing).empty
    assert rfm_summary(store, dataset, nothing).empty


def test_the_summary_by_hand(tmp_path: Path) -> None:
    store, dataset = fixture_store(tmp_path)
    summary = rfm_summary(store, dataset, FROM_2024).set_index("segment")
    assert list(summary.index) == list(RFM_SEGMENTS)
    # revenue of the ten customers: 400 + 150 + 300 + 30 + 250 + 90 + 60 + 500 + 20 + 90
    total = 1890.0
    champions = summary.loc["Champions"]
    assert champions["customers"] == 3
    assert champions["share"] == pytest.approx(30.0)
    assert champions["revenue"] == pytest.approx(850.0)
    assert champions["revenue_share"] == pytest.approx(100 * 850 / total)
    assert champions["avg_recency_days"] == pytest.approx((0 + 2 + 10) / 3)
    assert champions["avg_frequency"] == pytest.approx(3.0)
    assert champions["avg_monetary"] == pytest.approx(850 / 3)
    lost = summary.loc["Lost"]
    assert (lost["customers"], lost["revenue"], lost["avg_recency_days"]) == (2, 110.0, 82.5)
    empty = summary.loc["Loyal"]
    assert empty["customers"] == 0 and empty["share"] == 0.0
    assert empty["avg_recency_days"] is None
    assert summary["customers"].sum() == 10


def test_a_segment_customer_list_is_highest_spend_first(tmp_path: Path) -> None:
    store, dataset = fixture_store(tmp_path)
    chosen = rfm_customers(rfm_table(store, dataset, FROM_2024), "Champions")
    assert chosen["customer_id"].tolist() == ["c01", "c03", "c02"]


# -- the RFM segment as a global filter --------------------------------------------------


def test_rfm_is_a_segment_dimension_with_its_names_in_rule_order(tmp_path: Path) -> None:
    store, dataset = fixture_store(tmp_path)
    assert segment_dimensions(dataset)[RFM_SEGMENT] == ("rfm", "segment")
    assert segment_values(store, dataset)[RFM_SEGMENT] == list(RFM_SEGMENTS)
    assert keeps_whole_customers(dataset, replace(
        FROM_2024, segments=((RFM_SEGMENT, ("Lost",)),)))


def test_the_rfm_filter_equals_the_orders_of_those_customers(tmp_path: Path) -> None:
    store, dataset = fixture_store(tmp_path)
    filtered = kpi_table(store, dataset, replace(
        FROM_2024, inactivity_days=30, segments=((RFM_SEGMENT, ("Champions",)),)))
    # by hand: the champions are c01, c02 and c03; a dataset of only their orders
    champions = [row for row in ORDERS if row[0] in ("c01", "c02", "c03")]
    own_store, own = fixture_store(tmp_path, champions, "Champions only")
    expected = kpi_table(own_store, own, replace(FROM_2024, inactivity_days=30))
    # "complete" depends on the data's first day, which differs (20 Dec against 5 Jan)
    pd.testing.assert_frame_equal(filtered.drop(columns="complete"),
                                  expected.drop(columns="complete"))
    assert filtered["revenue"].tolist() == [300.0, 150.0, 400.0]


def test_the_rfm_filter_is_computed_over_the_other_segment_filters(tmp_path: Path) -> None:
    store, dataset = fixture_store(tmp_path)
    web_rows = [row for row in ORDERS if row[3] == "web"]
    web_store, web = fixture_store(tmp_path, web_rows, "Web only")
    on_web = replace(FROM_2024, segments=(("channel", ("web",)),))
    assert as_rows(rfm_table(store, dataset, on_web)) == as_rows(
        rfm_table(web_store, web, FROM_2024))
    both = replace(FROM_2024, segments=(("channel", ("web",)),
                                        (RFM_SEGMENT, ("Champions", "Lost"))))
    pd.testing.assert_frame_equal(
        kpi_table(store, dataset, both),
        kpi_table(web_store, web, replace(FROM_2024, segments=(
            (RFM_SEGMENT, ("Champions", "Lost")),))))


def test_an_unknown_rfm_segment_is_a_user_error(tmp_path: Path) -> None:
    store, dataset = fixture_store(tmp_path)
    with pytest.raises(InputError) as error:
        kpi_table(store, dataset, Filters(segments=((RFM_SEGMENT, ("Heroes",)),)))
    assert error.value.message.startswith(
        "“Heroes” is not an RFM segment; the RFM segments are: Champions, Loyal, ")


def test_cohorts_split_by_rfm_segment(tmp_path: Path) -> None:
    store, dataset = fixture_store(tmp_path)
    cohorts = cohort_table(store, dataset, FROM_2024, by=RFM_SEGMENT)
    first = cohorts[cohorts["period_offset"] == 0]
    sizes = {(c.isoformat()[:7], g): int(n) for c, g, n in
             zip(first["cohort"], first["group_value"], first["cohort_size"], strict=True)}
    # January: c01-c03 champions, c06 need attention, c08 at risk, c09 and c10 lost;
    # February: c07; March: c04 and c05 (c11 was acquired in December 2023)
    assert sizes == {
        ("2024-01", "Champions"): 3, ("2024-01", "Need attention"): 1,
        ("2024-01", "At risk"): 1, ("2024-01", "Lost"): 2,
        ("2024-02", "Hibernating"): 1,
        ("2024-03", "Promising"): 1, ("2024-03", "About to sleep"): 1,
    }


def test_each_customer_s_rfm_group_is_their_rfm_segment(tmp_path: Path) -> None:
    store, dataset = fixture_store(tmp_path)
    lifetimes = customer_lifetimes(store, dataset, FROM_2024, by=RFM_SEGMENT)
    segments = dict(zip(*(rfm_table(store, dataset, FROM_2024)[c]
                          for c in ("customer_id", "segment")), strict=True))
    assert dict(zip(lifetimes["customer_id"], lifetimes["group"], strict=True)) == segments
    clv = simple_clv(store, dataset, FROM_2024, by=RFM_SEGMENT)
    assert set(clv["group_value"].dropna()) <= set(RFM_SEGMENTS)


def test_an_rfm_split_needs_the_filters(tmp_path: Path) -> None:
    _, dataset = fixture_store(tmp_path)
    with pytest.raises(ValueError, match="customer_groups_query"):
        customer_groups_sql(dataset, RFM_SEGMENT, "TRUE")


# -- the segment comparison --------------------------------------------------------------


def test_the_segment_comparison_of_the_small_shop_by_hand() -> None:
    store, dataset = small_store()
    table = segment_summary(store, dataset, Filters(inactivity_days=30), "channel")
    assert list(table.columns) == list(SEGMENT_SUMMARY_COLUMNS)
    web, shop = (table.set_index("value").loc[v] for v in ("web", "store"))
    # web: A (4 purchases), C (1, then refunded), D (2); revenue 290 + 0 + 90
    assert (web["customers"], web["orders"], web["revenue"]) == (3, 7, 380.0)
    assert web["aov"] == pytest.approx(380 / 7)
    assert web["repeat_purchase_rate"] == pytest.approx(200 / 3)
    # complete months are February and March (the data runs 5 Jan-15 Apr). W = 30:
    # Feb: S = {A}, E = {A, C}, N = {C}; Mar: S = {A, C}, E = {A, D}, N = {D}
    # -> (1 + 1) / (1 + 2)
    assert web["retention_rate"] == pytest.approx(200 / 3)
    # store: B (2 purchases), E (1); Feb: S = {B, E}, E = {E}; Mar: S = {E}, E = {}
    assert (shop["customers"], shop["orders"], shop["revenue"]) == (2, 3, 330.0)
    assert shop["aov"] == pytest.approx(110.0)
    assert shop["repeat_purchase_rate"] == pytest.approx(50.0)
    assert shop["retention_rate"] == pytest.approx(100 / 3)
    # every figure covers one window: January to April within the data, 5 Jan-15 Apr
    # (27 + 29 + 31 + 15 = 102 days). The CLV's churn is the strict retention over the
    # same complete months, per year: web retained A in February (S = {A}) and in March
    # (S = {A, C}): r = 2/3 a month; store retained E in February (S = {B, E}), nobody in
    # March (S = {E}): r = 1/3. CLV = AOV x orders / customers / years x 1 / churn
    assert (web["window_start"], web["window_end"]) == (date(2024, 1, 5), date(2024, 4, 15))
    years = 102 / 365.25
    assert web["annual_churn_pct"] == pytest.approx(100 * (1 - (2 / 3) ** 12))
    assert web["clv"] == pytest.approx(380 / 7 * (7 / 3 / years) / (1 - (2 / 3) ** 12))
    assert shop["annual_churn_pct"] == pytest.approx(100 * (1 - (1 / 3) ** 12))
    assert shop["clv"] == pytest.approx(110 * (3 / 2 / years) / (1 - (1 / 3) ** 12))
    assert web["clv_churn"] == POOLED_STRICT_CHURN


def test_the_segment_comparison_by_rfm_segment(tmp_path: Path) -> None:
    store, dataset = fixture_store(tmp_path)
    table = segment_summary(store, dataset, FROM_2024, RFM_SEGMENT).set_index("value")
    assert list(table.index) == list(RFM_SEGMENTS)
    champions = table.loc["Champions"]
    # c01 4 orders, c02 3, c03 3 (two on 20 March); 400 + 150 + 300
    assert (champions["customers"], champions["orders"], champions["revenue"]) == (3, 10, 850)
    assert champions["aov"] == pytest.approx(85.0)
    assert champions["repeat_purchase_rate"] == pytest.approx(100.0)
    assert table.loc["Loyal", "customers"] == 0 and table.loc["Loyal", "aov"] is None
    # a second method: the CLV and retention of the filter itself
    champions_only = replace(FROM_2024, segments=((RFM_SEGMENT, ("Champions",)),))
    own_kpis = kpi_table(store, dataset, champions_only)
    assert champions["retention_rate"] == pooled_retention_rate(own_kpis)
    churn = pooled_annual_churn(own_kpis, "month")
    assert churn is not None and champions["annual_churn_pct"] == pytest.approx(100 * churn)
    years = ((champions["window_end"] - champions["window_start"]).days + 1) / 365.25
    lifespan = min(1 / churn, 10.0) if churn > 0 else 10.0
    assert champions["clv"] == pytest.approx(85.0 * 10 / 3 / years * lifespan)


def test_a_filter_on_the_compared_segment_keeps_its_values() -> None:
    store, dataset = small_store()
    table = segment_summary(store, dataset, Filters(segments=(("channel", ("store",)),)),
                            "channel")
    assert table["value"].tolist() == ["store"]


def test_pooled_retention_uses_complete_periods_only() -> None:
    kpis = pd.DataFrame({"start_customers": [10, 4, 6], "end_customers": [9, 5, 100],
                         "new_customers": [1, 2, 0], "complete": [True, True, False]})
    assert pooled_retention_rate(kpis) == pytest.approx(100 * (8 + 3) / 14)
    assert pooled_retention_rate(kpis.iloc[2:]) is None


# -- the CLI -----------------------------------------------------------------------------


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    assert main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_rfm_and_segments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "cli.duckdb"
    with Store(db) as store:
        ingest_file(store, write_csv(tmp_path / "o.csv", HEADER, ORDERS), dataset="RFM",
                    currency="EUR")
    rows = cli_json(capsys, "--db", str(db), "rfm", "--dataset", "RFM",
                    "--start", "2024-01-01")
    assert isinstance(rows, list) and len(rows) == 10
    assert list(rows[0]) == list(RFM_COLUMNS)
    assert rows[0] == {"customer_id": "c01", "recency_days": 0, "frequency": 4,
                       "monetary": 400.0, "r": 5, "f": 5, "m": 5, "segment": "Champions"}
    compared = cli_json(capsys, "--db", str(db), "segments", "--dataset", "RFM",
                        "--by", "rfm", "--start", "2024-01-01")
    assert isinstance(compared, list)
    assert [row["rfm"] for row in compared] == list(RFM_SEGMENTS)
    assert list(compared[0]) == ["rfm", "window_start", "window_end", "customers", "orders",
                                 "revenue", "retention_rate", "aov", "repeat_purchase_rate",
                                 "annual_churn_pct", "clv", "clv_churn"]
    assert compared[0]["customers"] == 3
    assert main(["--db", str(db), "segments", "--dataset", "RFM", "--by", "colour"]) == 2
    assert "“colour” is not a segment" in capsys.readouterr().err
    assert main(["--db", str(db), "rfm", "--dataset", "RFM", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == ",".join(RFM_COLUMNS)


def test_a_segment_that_stopped_buying_a_year_ago_gets_a_clv_over_its_window(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Web customers bought only in early 2023, the data runs to 2024-12-31 (W = 30 days,
    monthly). A CLV over the last 12 months had no web purchase and no web customer at
    its start: no CLV next to the web AOV. Over the row's window, 2023-01-10 to 2024-12-31
    (722 days):

        X  web 2023-01-10 100, 02-05 100, 03-01 100;  Y  web 2023-01-20 50
        Z  store 2023-01-15 10, 2024-12-31 10

    Web base at month ends: Jan {X, Y}, Feb {X} (Y's Jan 20 is 39 days old), Mar {X}
    (Mar 1 is 30 days old), Apr {}. Complete months (February on): S = 2, 1, 1, 0 ...;
    retained X in Feb and Mar: r = 2 / 4 a month, annual churn 1 - 0.5^12.
    AOV 350 / 4, purchases a year 4 / 2 / (722 / 365.25), CLV = their product / churn.
    """
    rows = [("X", "2023-01-10", 100, "web"), ("X", "2023-02-05", 100, "web"),
            ("X", "2023-03-01", 100, "web"), ("Y", "2023-01-20", 50, "web"),
            ("Z", "2023-01-15", 10, "store"), ("Z", "2024-12-31", 10, "store")]
    db = tmp_path / "cli.duckdb"
    with Store(db) as store:
        ingest_file(store, write_csv(tmp_path / "o.csv", ("customer_id", "date", "amount",
                                                          "channel"), rows), dataset="Shop")
    compared = cli_json(capsys, "--db", str(db), "segments", "--dataset", "Shop",
                        "--by", "channel", "--inactivity-days", "30")
    assert isinstance(compared, list)
    web = next(row for row in compared if row["channel"] == "web")
    assert (web["window_start"], web["window_end"]) == ("2023-01-10", "2024-12-31")
    assert web["aov"] == pytest.approx(87.5)
    assert web["annual_churn_pct"] == pytest.approx(100 * (1 - 0.5 ** 12))
    assert web["clv"] == pytest.approx(87.5 * (4 / 2 / (722 / 365.25)) / (1 - 0.5 ** 12))
    assert web["clv_churn"] == POOLED_STRICT_CHURN
