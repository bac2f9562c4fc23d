"""NPS, its margin of error, CSAT, CLI, segments, comments and behaviour after answering, on
a survey worked out by hand (metrics/satisfaction.py)."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metrics.errors import InputError
from metrics.export import to_csv
from metrics.ingest import ingest_file, inspect_file
from metrics.query.filters import Filters
from metrics.satisfaction import (
    MIN_RESPONSES,
    behaviour_by_group,
    behaviour_test,
    cli_table,
    comments,
    csat_table,
    latest_change,
    measures,
    nps_by_segment,
    nps_latest_answers,
    nps_margin_of_error,
    nps_overall,
    nps_table,
    response_coverage,
    satisfaction_segments,
    score_distribution,
    with_changes,
)
from metrics.significance import INCOMPLETE_PERIOD, TOO_LITTLE_DATA, NotTested, two_nps
from metrics.store import Dataset, Store
from tests.builders import write_csv

HYPERLINK = '=HYPERLINK("http://example.com","click")'

# Orders of five customers; x only sets the data's last order day (31 Jan 2026).
ORDERS = [
    ("a", "2024-12-01", "100", "Online"), ("a", "2025-03-01", "50", "Online"),
    ("a", "2025-03-05", "-20", "Online"), ("a", "2025-08-01", "30", "Online"),
    ("b", "2024-12-15", "200", "Store"), ("b", "2025-01-09", "80", "Store"),
    ("c", "2024-12-20", "60", "Online"), ("c", "2025-01-15", "40", "Online"),
    ("c", "2025-12-01", "70", "Online"),
    ("d", "2024-12-05", "90", "Store"),
    ("e", "2025-04-01", "20", "Online"),
    ("x", "2026-01-31", "10", "Online"),
]
SURVEY_HEADER = ("Date", "Customer", "NPS", "CSAT", "CLI Q1", "CLI Q2", "CLI Q3", "Comment",
                 "Touchpoint")
# January: 5 answers (2 promoters, 1 passive, 2 detractors); February: a single answer;
# March: none; April: 4 answers and no detractor. The January answer without a customer
# has only the first CLI question: it has no CLI. The April one has no CSAT either.
SURVEY = [
    ("2025-01-01", "a", "10", "5", "6", "6", "5", "Great service", "Online"),
    ("2025-01-10", "b", "9", "4", "5", "5", "4", "Fast delivery, 100% happy", "Store"),
    ("2025-01-15", "c", "7", "3", "4", "4", "4", "", "Online"),
    ("2025-01-20", "d", "3", "2", "2", "3", "1", HYPERLINK, "Support"),
    ("2025-01-25", "", "6", "2", "3", "", "", "Too_slow delivery", "Support"),
    ("2025-02-14", "a", "8", "4", "5", "5", "5", "ok", "Online"),
    ("2025-04-02", "b", "10", "5", "6", "6", "6", "", "Store"),
    ("2025-04-03", "c", "9", "5", "6", "5", "6", "", "Online"),
    ("2025-04-10", "e", "8", "4", "4", "5", "3", "", "Online"),
    ("2025-04-30", "", "9", "", "", "", "", "Livrare RAPIDĂ, mulțumesc", "Store"),
]


@pytest.fixture(scope="module")
def survey(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Dataset]:
    folder = tmp_path_factory.mktemp("survey")
    store = Store(":memory:")
    ingest_file(store, write_csv(folder / "o.csv", ("customer_id", "order_date", "amount",
                                                    "channel"), ORDERS), dataset="Shop")
    ingest_file(store, write_csv(folder / "r.csv", SURVEY_HEADER, SURVEY), dataset="Shop",
                kind="responses")
    return store, store.dataset("Shop")


def rows(frame: pd.DataFrame, *columns: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in frame[list(columns)].itertuples(index=False)]


# -- the margin of error on plain numbers ------------------------------------------------------

def test_the_margin_of_error_is_the_spread_of_plus_one_zero_minus_one_answers() -> None:
    # 60 promoters, 20 passives, 20 detractors: scored +1 / 0 / -1 their variance is
    # E[x²] - E[x]² = 0.8 - 0.16 = 0.64; 1.96 x sqrt(0.64 / 100) x 100 = 15.68 points.
    answers = np.array([1] * 60 + [0] * 20 + [-1] * 20)
    assert answers.var() == pytest.approx(0.64)  # a second way to the same variance
    assert nps_margin_of_error(60, 20, 100) == pytest.approx(15.68)
    assert nps_margin_of_error(1, 0, 1) == 0.0  # one answer: no spread to measure
    assert nps_margin_of_error(0, 0, 0) is None


def test_two_nps_z_test_worked_by_hand() -> None:
    # NPS 40 (60 P, 20 D of 100) against NPS 15 (45 P, 30 D of 100).
    # var1 = (0.8 - 0.4²) / 100 = 0.0064; var2 = (0.75 - 0.15²) / 100 = 0.007275
    # z = 0.25 / sqrt(0.013675) = 0.25 / 0.11694 = 2.1378; p = 2 (1 - Φ(2.1378)) ≈ 0.0325
    result = two_nps(60, 20, 100, 45, 30, 100)
    assert result is not None
    assert result.difference == pytest.approx(0.25)
    assert result.statistic == pytest.approx(2.1378, abs=1e-4)
    assert result.p_value == pytest.approx(0.0325, abs=5e-4)
    assert result.significant
    assert two_nps(1, 0, 1, 0, 1, 1) is None  # all agree in each, and they differ
    assert two_nps(0, 0, 0, 1, 0, 3) is None
    same = two_nps(2, 0, 2, 3, 0, 3)
    assert same is not None and same.p_value == 1.0


# -- NPS by period -----------------------------------------------------------------------------

def test_nps_per_month_worked_by_hand(survey: tuple[Store, Dataset]) -> None:
    store, dataset = survey
    table = nps_table(store, dataset, Filters())
    assert rows(table, "period_start", "responses", "promoters", "passives", "detractors") == [
        (date(2025, 1, 1), 5, 2, 1, 2), (date(2025, 2, 1), 1, 0, 1, 0),
        (date(2025, 3, 1), 0, 0, 0, 0), (date(2025, 4, 1), 4, 3, 1, 0)]
    # January: (2 - 2) / 5 = 0; pP = pD = 0.4, variance 0.8 - 0² = 0.8,
    #   1.96 x sqrt(0.8 / 5) x 100 = 1.96 x 0.4 x 100 = 78.4.
    # February, a single passive: NPS 0 and variance 0 + 0 - 0² = 0, so a margin of 0.
    # March: no answer, no NPS. April, no detractor: 3/4 - 0 = 75; variance 0.75 - 0.75²
    #   = 0.1875, 1.96 x sqrt(0.1875 / 4) x 100 = 1.96 x 0.216506 x 100 = 42.4352.
    assert table["nps"].tolist() == [pytest.approx(0.0), pytest.approx(0.0), None,
                                     pytest.approx(75.0)]
    assert table["margin_of_error"].tolist() == [pytest.approx(78.4), pytest.approx(0.0), None,
                                                 pytest.approx(42.4352, abs=1e-4)]
    assert table["complete"].all()  # the answers run from 1 Jan to 30 Apr
    assert table["too_few"].all()


def test_nps_per_quarter_and_a_range_widened_to_whole_periods(
        survey: tuple[Store, Dataset]) -> None:
    store, dataset = survey
    quarters = nps_table(store, dataset, Filters(period="quarter"))
    # Q1: 6 answers, 2 P, 2 P-, 2 D: NPS 0; variance 2/3, 1.96 x sqrt(2/3 / 6) x 100 = 65.33
    assert rows(quarters, "responses", "nps") == [(6, 0.0), (4, 75.0)]
    assert quarters["margin_of_error"][0] == pytest.approx(196 / 3)
    # 10 Feb to 5 Apr widens to February..April: all four April answers count
    months = nps_table(store, dataset, Filters(start=date(2025, 2, 10), end=date(2025, 4, 5)))
    assert rows(months, "period_start", "responses") == [
        (date(2025, 2, 1), 1), (date(2025, 3, 1), 0), (date(2025, 4, 1), 4)]


def test_a_period_the_answers_stop_inside_is_incomplete(survey: tuple[Store, Dataset]
                                                         ) -> None:
    store, dataset = survey
    weeks = nps_table(store, dataset, Filters(period="week"))
    # 1 Jan and 30 Apr 2025 are Wednesdays: the first week starts before the first answer,
    # the last runs on after the last one; the weeks between are complete.
    assert weeks["period_start"].iloc[0] == date(2024, 12, 30)
    assert not weeks["complete"].iloc[0] and not weeks["complete"].iloc[-1]
    assert weeks["complete"].iloc[1:-1].all()


def test_all_time_nps_counts_each_customers_latest_answer(survey: tuple[Store, Dataset]
                                                          ) -> None:
    store, dataset = survey
    latest = nps_latest_answers(store, dataset, Filters()).iloc[0]
    # a: 10 then 8 (passive); b: 9 then 10 (promoter); c: 7 then 9 (promoter); d: 3
    # (detractor); e: 8 (passive); two answers without a customer: 6 and 9, each counted.
    # 7 counted: 3 P, 2 P-, 2 D -> (3 - 2) / 7 = 14.29. Variance 5/7 - (1/7)² = 34/49,
    # 1.96 x sqrt(34/49 / 7) x 100 = 61.71. (Every answer would give (5 - 2) / 10 = 30.)
    assert (latest["answers"], latest["responses"], latest["customers"],
            latest["anonymous"]) == (10, 7, 5, 2)
    assert (latest["promoters"], latest["passives"], latest["detractors"]) == (3, 2, 2)
    assert latest["nps"] == pytest.approx(100 / 7)
    assert latest["margin_of_error"] == pytest.approx(196 * math.sqrt(34 / 49 / 7))


def test_the_nps_of_the_whole_range_counts_every_answer(survey: tuple[Store, Dataset]
                                                       ) -> None:
    store, dataset = survey
    overall = nps_overall(store, dataset, Filters()).iloc[0]
    # 10 answers: 5 promoters (10, 9, 9, 10, 9), 3 passives (7, 8, 8), 2 detractors (3, 6):
    # (5 - 2) / 10 = 30; variance 0.5 + 0.2 - 0.3² = 0.61, 1.96 x sqrt(0.61 / 10) x 100.
    assert (overall["responses"], overall["promoters"], overall["passives"],
            overall["detractors"]) == (10, 5, 3, 2)
    assert overall["nps"] == pytest.approx(30.0)
    assert overall["margin_of_error"] == pytest.approx(196 * math.sqrt(0.061))
    assert overall["too_few"]
    # February to April: 1 passive, then 3 promoters and 1 passive: (3 - 0) / 5 = 60
    spring = nps_overall(store, dataset, Filters(start=date(2025, 2, 1),
                                                 end=date(2025, 4, 30))).iloc[0]
    assert (spring["responses"], spring["nps"]) == (5, pytest.approx(60.0))
    nobody = nps_overall(store, dataset, Filters(segments=(("channel", ("Marketplace",)),)))
    assert (nobody["responses"][0], nobody["nps"][0], nobody["margin_of_error"][0]) == (
        0, None, None)


def test_two_answers_on_one_day_count_the_lower(tmp_path: Path) -> None:
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "r.csv", ("Date", "Customer", "NPS"), [
        ("2025-01-01", "y", "2"), ("2025-02-01", "y", "9"),
        ("2025-03-01", "z", "10"), ("2025-03-01", "z", "4")]), dataset="S", kind="responses")
    latest = nps_latest_answers(store, store.dataset("S"), Filters()).iloc[0]
    assert (latest["promoters"], latest["detractors"], latest["nps"]) == (1, 1, 0.0)


def test_the_score_distribution(survey: tuple[Store, Dataset]) -> None:
    store, dataset = survey
    distribution = score_distribution(store, dataset, Filters())
    assert distribution["responses"].tolist() == [0, 0, 0, 1, 0, 0, 1, 1, 2, 3, 2]
    assert distribution["share_pct"].tolist() == pytest.approx(
        [0, 0, 0, 10, 0, 0, 10, 10, 20, 30, 20])
    assert distribution["score_group"].tolist() == ["detractor"] * 7 + ["passive"] * 2 + [
        "promoter"] * 2


# -- CSAT and CLI ------------------------------------------------------------------------------

def test_csat_per_month(survey: tuple[Store, Dataset]) -> None:
    store, dataset = survey
    table = csat_table(store, dataset, Filters())
    # January 5, 4, 3, 2, 2: 2 of 5 = 40%, 1.96 x sqrt(0.4 x 0.6 / 5) x 100 = 42.94;
    # February 4 of 1 = 100%; March none; April 5, 5, 4 (the fourth has no CSAT) = 100%.
    assert rows(table, "responses", "satisfied") == [(5, 2), (1, 1), (0, 0), (3, 3)]
    assert table["csat"].tolist() == [40.0, 100.0, None, 100.0]
    assert table["margin_of_error"][0] == pytest.approx(196 * math.sqrt(0.048))


def test_cli_counts_responses_that_answer_all_three_questions(
        survey: tuple[Store, Dataset]) -> None:
    store, dataset = survey
    table = cli_table(store, dataset, Filters())
    # January: 17/3, 14/3, 12/3, 6/3 (the 3-only answer is left out): mean 49/12 = 4.0833;
    # squared deviations (4.75² + 1.75² + 0.25² + 6.25²) / 9 = 7.1944, / 3 = 2.3981,
    # SD 1.5486. Questions: (6+5+4+2)/4 = 4.25, (6+5+4+3)/4 = 4.5, (5+4+4+1)/4 = 3.5.
    january = table.iloc[0]
    assert january["responses"] == 4
    assert january["cli"] == pytest.approx(49 / 12)
    assert january["cli_sd"] == pytest.approx(math.sqrt(64.75 / 27))
    assert (january["recommend"], january["buy_again"], january["other_products"]) == (
        pytest.approx(4.25), pytest.approx(4.5), pytest.approx(3.5))
    assert january["margin_of_error"] == pytest.approx(1.96 * math.sqrt(64.75 / 27) / 2)
    # February, one response (5, 5, 5): CLI 5 and no SD; April 6, 17/3, 4: 47/9, SD
    # sqrt((7² + 4² + 11²) / 81 / 2) = 1.0715
    assert (table["cli"][1], table["cli_sd"][1], table["responses"][2]) == (5.0, None, 0)
    assert table["cli"][3] == pytest.approx(47 / 9)
    assert table["cli_sd"][3] == pytest.approx(math.sqrt(186 / 81 / 2))


def test_changes_against_the_previous_period(survey: tuple[Store, Dataset]) -> None:
    store, dataset = survey
    nps = with_changes(nps_table(store, dataset, Filters()), "nps")
    # February 0 against January 0: no difference, z = 0, p = 1
    assert (nps["change"][1], nps["p_value"][1], nps["significant"][1]) == (0.0, 1.0, False)
    assert nps["change_test"].tolist() == ["no previous period", "NPS z-test",
                                           TOO_LITTLE_DATA, TOO_LITTLE_DATA]
    csat = with_changes(csat_table(store, dataset, Filters()), "csat")
    # 1 of 1 against 2 of 5: pooled 3/6, se = sqrt(0.25 x (1 + 1/5)) = 0.5477,
    # z = 0.6 / 0.5477 = 1.0954, p = 0.273
    assert csat["change"][1] == pytest.approx(60.0)
    assert csat["p_value"][1] == pytest.approx(0.2733, abs=1e-3)
    cli = with_changes(cli_table(store, dataset, Filters()), "cli")
    assert cli["change_test"][1] == TOO_LITTLE_DATA  # one February response: no spread
    latest = latest_change(nps_table(store, dataset, Filters()), "nps")
    assert latest is not None and latest.period_start == date(2025, 4, 1)
    assert latest.result == NotTested(TOO_LITTLE_DATA)  # March has no answer
    weeks = nps_table(store, dataset, Filters(period="week"))
    last = with_changes(weeks, "nps")["change_test"].iloc[-1]
    assert last == INCOMPLETE_PERIOD


# -- segments ----------------------------------------------------------------------------------

def test_nps_by_a_column_of_the_responses(survey: tuple[Store, Dataset]) -> None:
    store, dataset = survey
    assert list(satisfaction_segments(dataset))[:2] == ["Touchpoint", "channel"]
    table = nps_by_segment(store, dataset, Filters(), by="Touchpoint", min_responses=3)
    # Store: 9, 10, 9 -> 100; Online: 10, 7, 8, 9, 8 -> (2 - 0) / 5 = 40 with a margin of
    # 1.96 x sqrt((0.4 - 0.16) / 5) x 100 = 42.94; Support: 3, 6 -> -100.
    assert rows(table, "group_value", "responses", "promoters", "detractors", "too_few") == [
        ("Store", 3, 3, 0, False), ("Online", 5, 2, 0, False), ("Support", 2, 0, 2, True)]
    assert table["nps"].tolist() == [100.0, 40.0, -100.0]
    assert table["margin_of_error"][1] == pytest.approx(196 * math.sqrt(0.048))
    assert nps_by_segment(store, dataset, Filters(), by="Touchpoint")["too_few"].all()
    assert MIN_RESPONSES == 30


def test_nps_by_a_segment_of_the_customers_orders(survey: tuple[Store, Dataset]) -> None:
    store, dataset = survey
    table = nps_by_segment(store, dataset, Filters(), by="channel")
    # channel of each customer's first purchase: a, c, e Online; b, d Store.
    # Online 10, 7, 8, 9, 8 -> 40; Store 9, 3, 10 -> (2 - 1) / 3 = 33.3 with a margin of
    # 1.96 x sqrt((1 - 1/9) / 3) x 100 = 106.69; no customer: 6, 9 -> 0.
    assert rows(table, "group_value", "responses") == [("Online", 5), ("Store", 3), (None, 2)]
    assert table["nps"].tolist() == pytest.approx([40.0, 100 / 3, 0.0])
    assert table["margin_of_error"][1] == pytest.approx(196 * math.sqrt(8 / 27))
    split = nps_table(store, dataset, Filters(period="quarter"), by="Touchpoint")
    assert rows(split, "group_value", "responses")[:3] == [
        ("Online", 3), ("Store", 1), ("Support", 2)]
    with pytest.raises(InputError, match="“Region” is not a segment of the survey"):
        nps_table(store, dataset, Filters(), by="Region")


def test_a_segment_filter_keeps_the_answers_of_its_customers(survey: tuple[Store, Dataset]
                                                             ) -> None:
    store, dataset = survey
    store_only = Filters(segments=(("channel", ("Store",)),))
    coverage = response_coverage(store, dataset, store_only)
    assert (coverage.responses, coverage.without_customer, coverage.kept) == (10, 2, 3)
    assert (coverage.dropped, coverage.dropped_without_customer) == (7, 2)
    # b and d bought in the store: b 9 and d 3 in January, b 10 in April
    table = nps_table(store, dataset, store_only)
    assert rows(table, "responses", "promoters", "detractors") == [
        (2, 1, 1), (0, 0, 0), (0, 0, 0), (1, 1, 0)]
    unfiltered = response_coverage(store, dataset, Filters())
    assert (unfiltered.kept, unfiltered.dropped_without_customer) == (10, 0)


def test_an_empty_selection_gives_empty_results_not_errors(survey: tuple[Store, Dataset]
                                                           ) -> None:
    store, dataset = survey
    nobody = Filters(segments=(("channel", ("Marketplace",)),))
    assert nps_table(store, dataset, nobody)["responses"].sum() == 0
    latest = nps_latest_answers(store, dataset, nobody).iloc[0]
    assert (latest["responses"], latest["nps"], latest["margin_of_error"]) == (0, None, None)
    assert score_distribution(store, dataset, nobody)["share_pct"].tolist() == [None] * 11
    assert nps_by_segment(store, dataset, nobody, by="Touchpoint").empty
    assert comments(store, dataset, nobody).empty
    behaviour = behaviour_by_group(store, dataset, nobody)
    assert behaviour["followed"].sum() == 0
    assert behaviour["retention_pct"].tolist() == [None] * 6
    assert latest_change(nps_table(store, dataset, nobody), "nps") is None


# -- comments ----------------------------------------------------------------------------------

def test_comments_by_group_period_and_search(survey: tuple[Store, Dataset]) -> None:
    store, dataset = survey
    everything = comments(store, dataset, Filters())
    # the empty comment of c is not a comment; newest first
    assert everything["comment"].tolist() == [
        "Livrare RAPIDĂ, mulțumesc", "ok", "Too_slow delivery", HYPERLINK,
        "Fast delivery, 100% happy", "Great service"]
    assert list(everything.columns) == ["response_date", "nps_score", "score_group",
                                        "csat_score", "customer_id", "comment", "Touchpoint"]
    promoters = comments(store, dataset, Filters(), group="promoter")
    assert promoters["comment"].tolist() == [
        "Livrare RAPIDĂ, mulțumesc", "Fast delivery, 100% happy", "Great service"]
    # case-insensitive, also for Romanian letters
    assert comments(store, dataset, Filters(), search="DELIVERY")["customer_id"].tolist() == [
        None, "b"]
    assert comments(store, dataset, Filters(), search="rapidă")["nps_score"].tolist() == [9]
    # % and _ are the characters themselves, not LIKE wildcards
    assert comments(store, dataset, Filters(), search="%")["customer_id"].tolist() == ["b"]
    assert comments(store, dataset, Filters(), search="o_s")["comment"].tolist() == [
        "Too_slow delivery"]
    assert comments(store, dataset, Filters(), group="detractor", search="delivery"
                    )["comment"].tolist() == ["Too_slow delivery"]
    february = Filters(start=date(2025, 2, 1), end=date(2025, 2, 28))
    assert comments(store, dataset, february)["comment"].tolist() == ["ok"]
    with pytest.raises(InputError, match="not a score group"):
        comments(store, dataset, Filters(), group="fans")  # type: ignore[arg-type]


def test_a_formula_comment_is_neutralised_in_the_csv_export(survey: tuple[Store, Dataset]
                                                            ) -> None:
    store, dataset = survey
    detractors = comments(store, dataset, Filters(), group="detractor")
    assert HYPERLINK in detractors["comment"].tolist()  # the data itself is kept as written
    exported = to_csv(detractors)
    assert "'=HYPERLINK(" in exported
    assert not any(cell.startswith("=") for line in exported.splitlines()
                   for cell in line.split(","))


# -- behaviour after the answer ----------------------------------------------------------------

def test_what_each_group_buys_in_the_following_months(survey: tuple[Store, Dataset]) -> None:
    store, dataset = survey
    table = behaviour_by_group(store, dataset, Filters())
    # The last order day is 31 Jan 2026. Followed from the day after each answer:
    # promoters a (1 Jan: 50 on 1 Mar, -20 on 5 Mar, 30 on 1 Aug), b (10 Jan: nothing after
    #   the 9 Jan order), b (2 Apr), c (3 Apr); the anonymous 30 Apr answer has no customer.
    #   6 months: 4 followed, a ordered: 25%, revenue 50 - 20 = 30, 7.5 per answer.
    #   12 months: the April windows end in April 2026, after the data: 2 left out;
    #   a and b followed, a ordered: 50%, 60 -> 30 per answer.
    # passives c (15 Jan: 70 on 1 Dec 2025; the 15 Jan order is the answer's day), a
    #   (14 Feb: 50 - 20 + 30 = 60 within 6 months), e (10 Apr: nothing).
    #   6 months: 1 of 3, 60 -> 20; 12 months: only c's window ends in time: 1 of 1, 70.
    # detractors d (20 Jan: nothing) and one without a customer: 0 of 1.
    assert rows(table, "score_group", "window_months", "answers", "matched", "followed",
                "left_out", "ordered_again") == [
        ("promoter", 6, 5, 4, 4, 0, 1), ("promoter", 12, 5, 4, 2, 2, 1),
        ("passive", 6, 3, 3, 3, 0, 1), ("passive", 12, 3, 3, 1, 2, 1),
        ("detractor", 6, 2, 1, 1, 0, 0), ("detractor", 12, 2, 1, 1, 0, 0)]
    assert table["retention_pct"].tolist() == pytest.approx([25, 50, 100 / 3, 100, 0, 0])
    assert table["revenue"].tolist() == pytest.approx([30, 60, 60, 70, 0, 0])
    assert table["revenue_per_respondent"].tolist() == pytest.approx([7.5, 30, 20, 70, 0, 0])
    # promoters 1 of 4 against detractors 0 of 1: pooled 1/5, z = 0.25 / sqrt(0.16 x 1.25)
    result = behaviour_test(table, 6)
    assert result is not None and result.statistic == pytest.approx(0.25 / math.sqrt(0.2))


def test_behaviour_with_a_segment_filter_counts_its_orders(survey: tuple[Store, Dataset]
                                                           ) -> None:
    store, dataset = survey
    online = Filters(segments=(("channel", ("Online",)),))
    table = behaviour_by_group(store, dataset, online).set_index(
        ["score_group", "window_months"])
    # a, c, e bought online: their answers only; a's January promoter answer as before
    assert table.loc[("promoter", 6), "followed"] == 2  # a (Jan) and c (Apr)
    assert table.loc[("promoter", 6), "revenue"] == pytest.approx(30.0)
    assert table.loc[("detractor", 6), "answers"] == 0


# -- what a dataset lacks ----------------------------------------------------------------------

def test_missing_data_says_what_to_upload(tmp_path: Path) -> None:
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "o.csv", ("customer_id", "order_date", "amount"),
                                 [("a", "2025-01-01", "10")]), dataset="Orders only")
    with pytest.raises(InputError, match="has no survey responses: upload a survey export"):
        nps_table(store, store.dataset("Orders only"), Filters())
    ingest_file(store, write_csv(tmp_path / "r.csv", ("Date", "CSAT"),
                                 [("2025-01-01", "4"), ("2025-01-02", "2")]),
                dataset="CSAT only", kind="responses")
    csat_only = store.dataset("CSAT only")
    assert measures(csat_only) == ("csat",)
    assert csat_table(store, csat_only, Filters())["csat"].tolist() == [50.0]
    with pytest.raises(InputError, match="no 0-10 recommendation score"):
        nps_table(store, csat_only, Filters())
    with pytest.raises(InputError, match="lack one of the three 1-6 CLI questions"):
        cli_table(store, csat_only, Filters())
    with pytest.raises(InputError, match="no comment column"):
        comments(store, csat_only, Filters())


def test_behaviour_needs_customer_ids_and_orders(tmp_path: Path) -> None:
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "r.csv", ("Date", "NPS", "Customer"),
                                 [("2025-01-01", "9", "a")]), dataset="S", kind="responses")
    with pytest.raises(InputError, match="needs orders"):
        behaviour_by_group(store, store.dataset("S"), Filters())
    ingest_file(store, write_csv(tmp_path / "r2.csv", ("Date", "NPS"),
                                 [("2025-01-01", "9")]), dataset="T", kind="responses")
    with pytest.raises(InputError, match="carry no customer id"):
        behaviour_by_group(store, store.dataset("T"), Filters())


# -- a survey export as a new user has one -----------------------------------------------------

def test_a_typical_survey_export_is_recognised_without_a_mapping(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "survey.csv",
                     ("Date", "How likely are you to recommend us?", "Comment", "Email"),
                     [("10.01.2025", "10", "Love it", "ana@example.com"),
                      ("12.01.2025", "6", "Slow", "bob@example.com")])
    inspection = inspect_file(path, kind="responses")
    assert inspection.suggested_mapping == {
        "response_date": "Date", "nps_score": "How likely are you to recommend us?",
        "comment": "Comment", "customer_id": "Email"}
    store = Store(":memory:")
    report = ingest_file(store, path, dataset="Survey", kind="responses")
    assert (report.rows_stored, report.rows_rejected) == (2, 0)
    latest = nps_latest_answers(store, store.dataset("Survey"), Filters()).iloc[0]
    assert latest["nps"] == 0.0  # one promoter, one detractor


@pytest.mark.parametrize(("headers", "expected"), [
    (("Timestamp", "Net Promoter Score", "Why did you give this score?", "E-mail"),
     {"response_date": "Timestamp", "nps_score": "Net Promoter Score",
      "comment": "Why did you give this score?", "customer_id": "E-mail"}),
    (("Data", "Cât de probabil este să ne recomandați?", "Comentariu", "Email"),
     {"response_date": "Data", "nps_score": "Cât de probabil este să ne recomandați?",
      "comment": "Comentariu", "customer_id": "Email"}),
    (("Дата", "Порекомендуете ли вы нас друзьям?", "Комментарий", "Email"),
     {"response_date": "Дата", "nps_score": "Порекомендуете ли вы нас друзьям?",
      "comment": "Комментарий", "customer_id": "Email"}),
])
def test_survey_headers_of_other_tools_and_languages(
        tmp_path: Path, headers: tuple[str, ...], expected: dict[str, str]) -> None:
    path = write_csv(tmp_path / "survey.csv", headers, [("2025-01-10", "9", "ok", "a@b.c")])
    assert inspect_file(path, kind="responses").suggested_mapping == expected
