"""explain() of the CLV page's numbers: for every entry of the CLV family, on the two-year
shop (tests/test_clv_simple.py) and on the demo, the value and the inputs recompute what
the metric function's table shows, the SQL with its parameters computes it (for a
prediction: its inputs, which the model's formula turns into it), the rows total the count
and sum inputs, and the explanation survives the dashboard's pickling.

Worked out by hand on the two-year shop, W = 90 days, the whole data (the CLV window is
2024, one year):

- simple CLV: AOV = 740 / 7 (7 purchases in 2024, revenue 740 after B's refund of 20);
  purchases a year = 7 orders / 5 customers (A, B, C, E, G) / 1 year = 1.4; annual churn
  = 1 - retained / S = 1 - 2 / 4 = 50% (S = {A, B, C, D} on 2023-12-31, of whom A and C
  are still in the base on 2024-12-31); lifespan = 1 / 0.5 = 2 years;
  CLV = 740 / 7 x 1.4 x 2 = 296; with a 25% gross margin 74.
- historic CLV of the December 2023 cohort (B and D) three months on: B 50 + 60 - 20,
  D 90: (90 + 90) / 2 = 90.
- CAC of web in 2023-Q4: spend "Web" 300 over A, B and D acquired through web = 100.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from metrics.clv.bgnbd import BetaGeoModel
from metrics.clv.gamma_gamma import GammaGammaModel
from metrics.clv.lifetime_value import (
    ClvModels,
    customer_lifetime_value,
    expected_purchases_by_month,
)
from metrics.clv.predictive import holdout_weeks, predicted_customers, predicted_totals
from metrics.definitions import CLV
from metrics.errors import InputError
from metrics.explain import FORMULAS, Explanation, explain
from metrics.explain.clv import (
    BGNBD_INPUTS,
    CAC_ROWS,
    CLV_CAC_ROWS,
    CLV_EXPLAINED,
    GAMMA_GAMMA_INPUTS,
    HISTORIC_ROWS,
    HOLDOUT_PREDICTED_ROWS,
    HOLDOUT_ROWS,
    PREDICTED_ROWS,
    PREDICTION_SUM_ROWS,
    SIMPLE_ROWS,
)
from metrics.query.filters import Filters, orders_span
from metrics.query.run import query_frame, query_row
from metrics.registry import entry
from metrics.store import Dataset, Store
from tests.test_clv_models import (
    CALIBRATION_END,
    PUBLISHED_BGNBD,
    PUBLISHED_GAMMA_GAMMA,
)
from tests.test_clv_simple import W90, two_year_shop

# One place of a table: (period_start, offset, group, options) and the value shown there.
Case = tuple[dict[str, Any], float | None]


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _simple_cases(store: Store, dataset: Dataset, metric_id: str, filters: Filters,
                  sample: int) -> Iterator[Case]:
    e = entry(metric_id)
    for options in ({}, {"gross_margin": 0.25}, {"by": "channel"}):
        table = e.table(store, dataset, filters, **options)
        for row in table.head(sample).itertuples():
            group = row.group_value if "by" in options else None
            yield ({"group": group, "options": options},
                   _number(getattr(row, e.value_column)))


def _historic_cases(store: Store, dataset: Dataset, metric_id: str, filters: Filters,
                    sample: int) -> Iterator[Case]:
    e = entry(metric_id)
    cohorts = e.table(store, dataset, filters)
    for cohort in sorted(set(cohorts["cohort"]))[:sample]:
        cells = cohorts[cohorts["cohort"] == cohort]
        for row in cells.head(sample).itertuples():
            yield ({"period_start": cohort, "offset": int(row.months_since_acquisition)},
                   _number(getattr(row, e.value_column)))
    groups = e.table(store, dataset, filters, by="channel")
    for row in groups.groupby("group_value").head(sample).itertuples():
        yield ({"offset": int(row.months_since_acquisition), "group": row.group_value,
                "options": {"by": "channel"}}, _number(getattr(row, e.value_column)))


def _predicted_cases(store: Store, dataset: Dataset, metric_id: str, filters: Filters,
                     sample: int) -> Iterator[Case]:
    e = entry(metric_id)
    options = {"horizon_months": 6, "annual_discount_rate": 0.2}
    table = e.table(store, dataset, filters, **options)
    # the customers with most repeat purchases, and one who bought once
    chosen = pd.concat([table.sort_values(["frequency", "customer_id"], ascending=[False, True])
                        .head(sample), table[table["frequency"] == 0].head(1)])
    for row in chosen.itertuples():
        yield ({"group": row.customer_id, "options": options},
               _number(getattr(row, e.value_column)))


def _holdout_cases(store: Store, dataset: Dataset, metric_id: str, filters: Filters,
                   sample: int) -> Iterator[Case]:
    e = entry(metric_id)
    _, last = orders_span(dataset)
    calibration = last - timedelta(days=7 * 10 + 3)
    table = e.table(store, dataset, filters, calibration_end=calibration)
    for row in pd.concat([table.head(sample), table.tail(1)]).itertuples():
        # any day of the week picks it: its last one here
        yield ({"period_start": row.week_start + timedelta(days=6),
                "options": {"calibration_end": calibration}},
               _number(getattr(row, e.value_column)))


def _sum_cases(store: Store, dataset: Dataset, metric_id: str, filters: Filters,
               sample: int) -> Iterator[Case]:
    e = entry(metric_id)
    for options in ({}, {"horizon_months": 6, "annual_discount_rate": 0.2})[:sample]:
        table = e.table(store, dataset, filters, **options)
        yield {"options": options}, _number(table[e.value_column].iloc[0])


def _cac_cases(store: Store, dataset: Dataset, metric_id: str, filters: Filters,
               sample: int) -> Iterator[Case]:
    e = entry(metric_id)
    table = e.table(store, dataset, filters)
    periods = sorted(set(table["period_start"]))
    chosen = table[table["period_start"].isin(periods[:sample] + periods[-sample:])]
    for row in chosen.itertuples():
        yield ({"period_start": row.period_start, "group": row.channel},
               _number(getattr(row, e.value_column)))


def _clv_cac_cases(store: Store, dataset: Dataset, metric_id: str, filters: Filters,
                   sample: int) -> Iterator[Case]:
    e = entry(metric_id)
    for options in ({}, {"gross_margin": 0.5}):
        table = e.table(store, dataset, filters, **options)
        for row in table.itertuples():
            if _number(row.clv_cac_ratio) is not None:
                yield ({"group": row.channel, "options": options},
                       _number(getattr(row, e.value_column)))


_CASES = {SIMPLE_ROWS: _simple_cases, HISTORIC_ROWS: _historic_cases,
          PREDICTED_ROWS: _predicted_cases, HOLDOUT_ROWS: _holdout_cases,
          PREDICTION_SUM_ROWS: _sum_cases, HOLDOUT_PREDICTED_ROWS: _holdout_cases,
          CAC_ROWS: _cac_cases, CLV_CAC_ROWS: _clv_cac_cases}


# The sums of every customer's prediction, and of a holdout week's.
SUM_KINDS = frozenset({PREDICTION_SUM_ROWS, HOLDOUT_PREDICTED_ROWS})


def _summed_again(store: Store, e: Explanation) -> float:
    """The sum input of a sum of predictions, added up again from the customers' summaries
    the rows' SQL returns and the fitted parameters among the inputs, by the models'
    public functions (not the explainer's code)."""
    frame = query_frame(store, e.rows_sql, e.rows_parameters)
    x = frame["frequency"].to_numpy(dtype=float)
    tx = frame["recency_days"].to_numpy(dtype=float) / 7
    age = frame["age_days"].to_numpy(dtype=float) / 7
    spent = np.where(x > 0, frame["repeat_value"].to_numpy(dtype=float) / np.maximum(x, 1), 0)
    purchases = BetaGeoModel.from_params({name: float(e.inputs[key] or 0)
                                          for key, name in BGNBD_INPUTS.items()})
    if e.metric_id == "clv_holdout_predicted":
        week = e.detail["offset"]
        return float((purchases.expected_purchases(week, x, tx, age)
                      - purchases.expected_purchases(week - 1, x, tx, age)).sum())
    if e.metric_id == "clv_probability_alive_mean":
        return float(purchases.probability_alive(x, tx, age).sum())
    months = int(e.inputs["horizon_months"] or 0)
    if e.metric_id == "clv_expected_purchases_total":
        return float(expected_purchases_by_month(purchases, x, tx, age, months).sum())
    spend = GammaGammaModel.from_params({name: float(e.inputs[key] or 0)
                                         for key, name in GAMMA_GAMMA_INPUTS.items()})
    return float(customer_lifetime_value(ClvModels(purchases, spend), x, tx, age, spent, months,
                                         float(e.inputs["annual_discount_rate"] or 0)).sum())


def _check(store: Store, dataset: Dataset, metric_id: str, filters: Filters,
           where: Mapping[str, Any], shown: float | None) -> None:
    e = explain(store, dataset, metric_id, filters, where.get("period_start"),
                offset=where.get("offset"), group=where.get("group"),
                options=where.get("options"))
    label = f"{metric_id} {where}"
    assert _close(e.value, shown), (label, e.value, shown)
    assert _close(e.recompute(), shown), label
    assert _close(pickle.loads(pickle.dumps(e)).recompute(), shown), label
    row = query_row(store, e.sql, e.parameters)
    if FORMULAS[metric_id].rows == PREDICTED_ROWS:
        # a model's figure: the query gives the inputs, the model's formula the value
        from_sql = dict(zip(e.inputs, (_number(v) for v in row), strict=True))
        assert from_sql == dict(e.inputs), label
        assert _close(FORMULAS[metric_id].compute(from_sql), shown), label
    elif FORMULAS[metric_id].rows in SUM_KINDS:
        # the query gives the customers and the parameters; the sum is of the rows'
        # predictions, each computed by the models from the customer's summary
        total, *rest = e.inputs
        assert dict(zip(rest, (_number(v) for v in row), strict=True)) == {
            name: e.inputs[name] for name in rest}, label
        assert e.inputs["customers"] == len(query_frame(store, e.rows_sql, e.rows_parameters))
        assert math.isclose(_summed_again(store, e), e.inputs[total] or 0.0,
                            rel_tol=1e-9), label
        assert set(e.rows.columns) >= {"customer_id", "frequency", "recency", "T", total}
    else:
        assert _close(_number(row[0]), shown), label
        assert all(_close(_number(v), e.inputs[n])
                   for n, v in zip(e.inputs, row[1:], strict=True)), label
    rows = query_frame(store, e.rows_sql, e.rows_parameters)
    assert len(e.rows) == min(len(rows), 100), label
    for name, value in e.inputs.items():
        if name in rows.columns and name not in ("frequency",):  # counts and sums
            assert _close(float(rows[name].sum()), value or 0.0), f"{label} {name}"


def _check_every_metric(store: Store, dataset: Dataset, filters: Filters,
                        sample: int, kinds: frozenset[str] = frozenset(_CASES)) -> None:
    for metric in CLV_EXPLAINED:
        if FORMULAS[metric.id].rows not in kinds:
            continue
        cases = list(_CASES[FORMULAS[metric.id].rows](store, dataset, metric.id, filters,
                                                       sample))
        assert cases, metric.id
        for where, shown in cases:
            _check(store, dataset, metric.id, filters, where, shown)


def test_the_clv_family_explains_the_pages_numbers() -> None:
    explained = {m.id for m in CLV_EXPLAINED}
    # every CLV number, the sums and means of every customer's model expectations too
    assert explained == {m.id for m in CLV}
    for metric in CLV_EXPLAINED:
        # a ratio is computed from its components, never read back as itself
        if metric.id in ("clv_simple", "clv_aov", "cac", "clv_cac", "clv_historic"):
            assert len(FORMULAS[metric.id].inputs) >= 2, metric.id


# The models need at least ten repeat customers, more than the two-year shop has: the
# predictions are checked on the CDNOW sample.
MODEL_KINDS = frozenset({PREDICTED_ROWS, HOLDOUT_ROWS}) | SUM_KINDS


def test_two_year_shop_every_metric(tmp_path: Path) -> None:
    store, dataset = two_year_shop(tmp_path, spend=True)
    _check_every_metric(store, dataset, Filters(period="quarter", inactivity_days=90),
                        sample=3, kinds=frozenset(_CASES) - MODEL_KINDS)


def test_cdnow_every_prediction(cdnow: Store) -> None:
    _check_every_metric(cdnow, cdnow.dataset("CDNOW"), Filters(), sample=2, kinds=MODEL_KINDS)


def test_demo_every_metric(demo_store: Store) -> None:
    dataset = demo_store.dataset("Demo shop")
    _, last = orders_span(dataset)
    filters = Filters(period="quarter", start=date(last.year - 1, 1, 1), end=last)
    _check_every_metric(demo_store, dataset, filters, sample=2)


def test_simple_clv_worked_out_by_hand(tmp_path: Path) -> None:
    store, dataset = two_year_shop(tmp_path, spend=True)
    e = explain(store, dataset, "clv_simple", W90)
    assert e.value == pytest.approx(296.0)
    assert dict(e.inputs) == {"clv_aov": pytest.approx(740 / 7),
                              "clv_purchases_per_year": pytest.approx(1.4),
                              "clv_lifespan": pytest.approx(2.0), "clv_gross_margin": None}
    assert (e.period_start, e.period_end) == (date(2024, 1, 1), date(2024, 12, 31))
    assert list(e.rows["customer_id"]) == ["A", "B", "C", "D", "E", "G"]
    churn = explain(store, dataset, "clv_annual_churn", W90)
    assert dict(churn.inputs) == {"start_customers": 4, "retained_customers": 2,
                                  "years_covered": 1.0}
    assert churn.value == pytest.approx(50.0)
    margin = explain(store, dataset, "clv_simple", W90, options={"gross_margin": 0.25})
    assert margin.value == pytest.approx(74.0)
    assert margin.inputs["clv_gross_margin"] == 0.25


def test_historic_and_cac_worked_out_by_hand(tmp_path: Path) -> None:
    store, dataset = two_year_shop(tmp_path, spend=True)
    e = explain(store, dataset, "clv_historic", W90, date(2023, 12, 15), offset=3)
    assert e.value == pytest.approx(90.0)
    assert dict(e.inputs) == {"cumulative_revenue": 180.0, "customers": 2}
    assert list(e.rows["customer_id"]) == ["B", "D"]
    assert (e.period_start, e.period_end) == (date(2023, 12, 1), date(2024, 3, 31))
    cac = explain(store, dataset, "cac", Filters(period="quarter"), date(2023, 11, 1),
                  group="WEB")
    assert cac.value == pytest.approx(100.0)
    assert dict(cac.inputs) == {"cac_spend": 300.0, "cac_new_customers": 3}
    assert sorted(cac.rows["customer_id"].dropna()) == ["A", "B", "D"]


def test_a_prediction_worked_out_from_the_published_parameters(cdnow: Store) -> None:
    """CDNOW, calibration up to 1997-09-30: the fitted parameters are the papers' (Fader,
    Hardie & Lee 2005: r = 0.243, α = 4.414, a = 0.793, b = 2.426; Fader & Hardie 2013:
    p = 6.25, q = 3.74, γ = 15.44). Customer 00004 bought on 1997-01-01, 01-18 and 08-02:
    x = 2, t_x = 213 / 7 = 30.43 weeks, T = 272 / 7 = 38.86 weeks. BG/NBD eq. 11:

        P(alive) = 1 / (1 + a / (b + x - 1) x ((α + T) / (α + t_x))^(r + x))
                 = 1 / (1 + 0.793 / 3.426 x (43.271 / 34.843)^2.243)
                 = 1 / (1 + 0.23147 x 1.62563) = 0.7266

    (with the printed, rounded parameters; the fit's own agree to 2e-3). A customer who
    bought once has P(alive) = 1: the δ(x > 0) term vanishes.
    """
    dataset = cdnow.dataset("CDNOW")
    options = {"calibration_end": CALIBRATION_END}
    e = explain(cdnow, dataset, "clv_probability_alive", Filters(), group="00004",
                options=options)
    fitted = {name: e.inputs[f"bgnbd_{name}"] for name in ("r", "alpha", "a", "b")}
    assert fitted == pytest.approx(PUBLISHED_BGNBD, abs=5e-4)
    assert (e.inputs["frequency"], e.inputs["recency"], e.inputs["T"]) == pytest.approx(
        (2, 213 / 7, 272 / 7))
    assert e.value == pytest.approx(0.7266, abs=2e-3)
    assert "Fader, Hardie & Lee 2005" in e.formula
    clv = explain(cdnow, dataset, "clv_predicted", Filters(), group="00004", options=options)
    spend = {name: clv.inputs[f"gamma_gamma_{name}"] for name in ("p", "q", "v")}
    assert spend == pytest.approx(PUBLISHED_GAMMA_GAMMA, abs=5e-3)
    assert clv.inputs["monetary_value"] == pytest.approx((29.73 + 14.96) / 2)
    once = explain(cdnow, dataset, "clv_probability_alive", Filters(), group="00018",
                   options=options)
    assert (once.inputs["frequency"], once.value) == (0, 1.0)


def test_what_is_not_in_the_table_is_one_sentence_listing_what_is(tmp_path: Path) -> None:
    store, dataset = two_year_shop(tmp_path, spend=True)
    quarters = Filters(period="quarter")
    with pytest.raises(InputError, match=r"no channel “radio”.*channels are: .*store"):
        explain(store, dataset, "cac", quarters, date(2023, 11, 1), group="radio")
    with pytest.raises(InputError, match=r"no completed month 30 .* months 0 to"):
        explain(store, dataset, "clv_historic", W90, date(2023, 12, 1), offset=30)
    with pytest.raises(InputError, match="no holdout week holding 2030-01-01"):
        explain(store, dataset, "clv_holdout_actual", W90, date(2030, 1, 1),
                options={"calibration_end": date(2024, 6, 30)})
    with pytest.raises(InputError, match=r"no group “moon” of the simple CLV.*store"):
        explain(store, dataset, "clv_simple", W90, group="moon", options={"by": "channel"})
    with pytest.raises(InputError, match="Say which customer"):
        explain(store, dataset, "clv_predicted", W90)


def test_an_unknown_customer_is_one_sentence_naming_some(cdnow: Store) -> None:
    with pytest.raises(InputError, match=r"“Z” is not a customer .* include 00004, 00018"):
        explain(cdnow, cdnow.dataset("CDNOW"), "clv_predicted", Filters(), group="Z")


def test_every_clv_number_is_a_registry_entry_bound_to_its_table(cdnow: Store,
                                                                  tmp_path: Path) -> None:
    """Each entry's function gives a table holding its column; the predictive cards' sums
    and means are those of the customers' own predictions, added up here."""
    store, dataset = two_year_shop(tmp_path, spend=True)
    models = {predicted_customers, predicted_totals, holdout_weeks}
    for metric in CLV:
        e = entry(metric.id)
        options = {"calibration_end": CALIBRATION_END} if e.compute is holdout_weeks else {}
        data = (cdnow, cdnow.dataset("CDNOW")) if e.compute in models else (store, dataset)
        table = e.table(*data, W90, **options)
        assert e.value_column in table.columns, metric.id
    customers = predicted_customers(cdnow, cdnow.dataset("CDNOW"), Filters())
    totals = predicted_totals(cdnow, cdnow.dataset("CDNOW"), Filters()).iloc[0]
    assert totals[entry("clv_predicted_total").value_column] == pytest.approx(
        customers["clv"].sum())
    assert totals[entry("clv_predicted_mean").value_column] == pytest.approx(
        customers["clv"].sum() / len(customers))
    assert totals[entry("clv_expected_purchases_total").value_column] == pytest.approx(
        customers["expected_purchases"].sum())
    assert totals[entry("clv_probability_alive_mean").value_column] == pytest.approx(
        100 * customers["probability_alive"].sum() / len(customers))


def test_a_mean_of_predictions_worked_out_from_its_customers(cdnow: Store) -> None:
    """CDNOW, calibration up to 1997-09-30: the sample's 2,357 customers (Fader, Hardie &
    Lee 2005) are the mean's customers; among the rows, customer 00004 has P(alive) =
    0.7266 (worked out from the published parameters in
    test_a_prediction_worked_out_from_the_published_parameters) and 00018, who bought once,
    1; the average P(alive) is their sum ÷ 2,357 × 100, and the rows' predicted CLVs are
    the customers' own of the per-customer table."""
    dataset = cdnow.dataset("CDNOW")
    options = {"calibration_end": CALIBRATION_END}
    e = explain(cdnow, dataset, "clv_probability_alive_mean", Filters(), options=options)
    assert e.inputs["customers"] == 2357
    assert e.value == pytest.approx(e.inputs["clv_probability_alive"] / 2357 * 100)
    alive = dict(zip(e.rows["customer_id"], e.rows["clv_probability_alive"], strict=True))
    assert alive["00004"] == pytest.approx(0.7266, abs=2e-3)
    assert alive["00018"] == 1.0
    assert "computed in Python" in e.formula
    total = explain(cdnow, dataset, "clv_predicted_total", Filters(), options=options)
    table = predicted_customers(cdnow, dataset, Filters(), calibration_end=CALIBRATION_END)
    own = dict(zip(table["customer_id"], table["clv"], strict=True))
    assert all(math.isclose(value, own[customer], rel_tol=1e-12, abs_tol=1e-12) for
               customer, value in zip(total.rows["customer_id"], total.rows["clv_predicted"],
                                      strict=True))
    assert total.inputs["clv_predicted"] == pytest.approx(table["clv"].sum(), rel=1e-12)


def test_a_sum_of_predictions_is_not_split(cdnow: Store) -> None:
    with pytest.raises(InputError, match="for all customers together"):
        explain(cdnow, cdnow.dataset("CDNOW"), "clv_predicted_total", Filters(),
                options={"by": "channel"})
