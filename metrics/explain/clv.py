"""The CLV page's numbers explained (:data:`CLV_FAMILY`): the simple CLV and its factors,
the historic CLV of a cohort at an age, a customer's predictions, a week of the holdout
validation, the CAC of a period and channel, and a channel's CLV:CAC.

The value and the inputs come from one query, the metric function's own query (or its
pieces) narrowed to the number asked for; the rows behind them from a second query over
the same pieces whose columns total the count and sum inputs. The predictions are
computed in Python by the fitted models: there the query returns the inputs (the
customer's summary row, with the fitted parameters bound) and the models' own formulas
compute the value from them (:func:`predicted_clv`, :func:`expected_purchases`,
:func:`probability_alive`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from metrics.clv.bgnbd import BetaGeoModel
from metrics.clv.cac import cac_query, channel_segment
from metrics.clv.gamma_gamma import GammaGammaModel
from metrics.clv.historic import historic_clv
from metrics.clv.lifetime_value import (
    DEFAULT_ANNUAL_DISCOUNT_RATE,
    DEFAULT_HORIZON_MONTHS,
    ClvModels,
    customer_lifetime_value,
    expected_purchases_by_month,
    fit_clv_models,
    predict_customers,
)
from metrics.clv.predictive import (
    default_calibration_end,
    holdout_period,
    holdout_purchases_query,
)
from metrics.clv.simple import MAX_LIFESPAN_YEARS, lifespan_years, simple_clv_query
from metrics.clv.summary import DAYS_PER_WEEK, customer_summary, customer_summary_query
from metrics.definitions import CLV, Metric
from metrics.errors import InputError
from metrics.explain.base import (
    At,
    Explanation,
    Family,
    Formula,
    Inputs,
    explanation,
    first_row,
    number,
    ratio,
    ratio_of,
    same,
)
from metrics.explain.periods import explained_period
from metrics.i18n import N_, format_number, t
from metrics.query.filters import Filters, orders_span
from metrics.query.orders import orders_query
from metrics.query.run import query_frame, query_row
from metrics.query.sql import (
    bind,
    load_sql,
    period_end_sql,
    period_index,
    period_index_sql,
    period_start_of_index,
    period_start_sql,
    quote_ident,
    with_ctes,
)
from metrics.registry import entry
from metrics.retention import cohort_conditions, cohort_group_sql, cohort_query
from metrics.store import Dataset, Store

# Which rows stand behind a figure (Formula.rows), and so which explainer computes it.
SIMPLE_ROWS = "clv_customers"
HISTORIC_ROWS = "cohort_customers"
PREDICTED_ROWS = "customer_summaries"
# The sums and means of every customer's prediction, and a holdout week's predicted
# purchases: the customers' summaries with each one's prediction computed in Python.
PREDICTION_SUM_ROWS = "customer_predictions"
HOLDOUT_PREDICTED_ROWS = "holdout_predictions"
HOLDOUT_ROWS = "holdout_purchase_days"
CAC_ROWS = "cac_lines"
CLV_CAC_ROWS = "clv_cac_lines"

# The fitted parameters as inputs: BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma
# (Fader & Hardie 2013), by input id and the model's own parameter name.
BGNBD_INPUTS = {"bgnbd_r": "r", "bgnbd_alpha": "alpha", "bgnbd_a": "a", "bgnbd_b": "b"}
GAMMA_GAMMA_INPUTS = {"gamma_gamma_p": "p", "gamma_gamma_q": "q", "gamma_gamma_v": "v"}
HISTORY_INPUTS = ("frequency", "recency", "T")


def _simple_clv(i: Inputs) -> float | None:
    """AOV × purchases per year × lifespan × gross margin (1 when none), as
    sql/clv_simple.sql."""
    factors = (i["clv_aov"], i["clv_purchases_per_year"], i["clv_lifespan"])
    if any(f is None for f in factors):
        return None
    margin = i["clv_gross_margin"]
    return float(np.prod(factors)) * (1.0 if margin is None else margin)  # type: ignore[arg-type]


def _purchases_per_year(i: Inputs) -> float | None:
    """Orders ÷ customers ÷ years covered."""
    per_customer = ratio(i["orders"], i["customers"])
    return ratio(per_customer, i["years_covered"])


def _annual_churn(i: Inputs) -> float | None:
    """100 × (1 − (retained ÷ S)^(1 ÷ years covered))."""
    kept, years = ratio(i["retained_customers"], i["start_customers"]), i["years_covered"]
    if kept is None or not years:
        return None
    return 100.0 * (1.0 - kept ** (1.0 / years))


def _lifespan(i: Inputs) -> float | None:
    """1 ÷ annual churn, capped (metrics.clv.simple.lifespan_years)."""
    churn, cap = i["clv_annual_churn"], i["max_lifespan_years"]
    if churn is None or cap is None:
        return None
    return lifespan_years(churn / 100.0, cap)[0]


def _history(i: Inputs) -> tuple[list[float], list[float], list[float]]:
    return ([float(i["frequency"] or 0.0)], [float(i["recency"] or 0.0)],
            [float(i["T"] or 0.0)])


def _purchase_model(i: Inputs) -> BetaGeoModel:
    return BetaGeoModel.from_params({name: float(i[key] or 0.0)
                                     for key, name in BGNBD_INPUTS.items()})


def predicted_clv(i: Inputs) -> float | None:
    """A customer's discounted CLV from the fitted parameters and their history:
    :func:`metrics.clv.lifetime_value.customer_lifetime_value` (BG/NBD, Fader, Hardie &
    Lee 2005, eq. 10, month by month × Gamma-Gamma's expected spend, Fader & Hardie 2013,
    eq. 5)."""
    spend = GammaGammaModel.from_params({name: float(i[key] or 0.0)
                                         for key, name in GAMMA_GAMMA_INPUTS.items()})
    x, tx, age = _history(i)
    value = customer_lifetime_value(
        ClvModels(_purchase_model(i), spend), x, tx, age, [float(i["monetary_value"] or 0.0)],
        int(i["horizon_months"] or 0), float(i["annual_discount_rate"] or 0.0))
    return float(value[0])


def expected_purchases(i: Inputs) -> float | None:
    """A customer's expected repeat purchases over the horizon: the BG/NBD conditional
    expectation (Fader, Hardie & Lee 2005, eq. 10), month by month
    (:func:`metrics.clv.lifetime_value.expected_purchases_by_month`), summed."""
    x, tx, age = _history(i)
    return float(expected_purchases_by_month(_purchase_model(i), x, tx, age,
                                             int(i["horizon_months"] or 0)).sum())


def probability_alive(i: Inputs) -> float | None:
    """P(alive | x, t_x, T) of the BG/NBD model (Fader, Hardie & Lee 2005, eq. 11)."""
    x, tx, age = _history(i)
    return float(_purchase_model(i).probability_alive(x, tx, age)[0])


def _clv_cac(i: Inputs) -> float | None:
    """CLV ÷ (spend ÷ new customers); none without a CAC above 0."""
    return ratio(i["clv_simple"], ratio(i["cac_spend"], i["cac_new_customers"]))


_PAPERS = ("BG/NBD (Fader, Hardie & Lee 2005) for the purchases and Gamma-Gamma (Fader & "
           "Hardie 2013) for the spend")
_FITTED = ("; the model's parameters are fitted on every customer's summary (the rows "
           "below), the customer's frequency, recency and T in weeks are theirs, and the "
           "model's formula computes the figure from them in Python")
_SUMMED = ("; each customer's figure is computed in Python by the fitted models ("
           + _PAPERS + ") with the parameters listed among the inputs, from the customer's "
           "frequency, recency, T and mean spend: the rows' SQL returns these summaries, "
           "the predictions beside them are computed from them")
_BGNBD = tuple(BGNBD_INPUTS)
_SPEND = tuple(GAMMA_GAMMA_INPUTS)

FORMULAS: dict[str, Formula] = {
    "clv_simple": Formula(
        ("clv_aov", "clv_purchases_per_year", "clv_lifespan", "clv_gross_margin"),
        _simple_clv, N_("AOV × purchases per year × lifespan × gross margin (1 when none)"),
        rows=SIMPLE_ROWS),
    "clv_aov": Formula(("revenue", "orders"), ratio_of("revenue", "orders"),
                       N_("revenue ÷ orders of the window"), rows=SIMPLE_ROWS),
    "clv_purchases_per_year": Formula(
        ("orders", "customers", "years_covered"), _purchases_per_year,
        N_("orders ÷ customers who bought ÷ years covered"), rows=SIMPLE_ROWS),
    "clv_annual_churn": Formula(
        ("start_customers", "retained_customers", "years_covered"), _annual_churn,
        N_("(1 − (retained ÷ S)^(1 ÷ years covered)) × 100"), rows=SIMPLE_ROWS),
    "clv_lifespan": Formula(("clv_annual_churn", "max_lifespan_years"), _lifespan,
                            N_("1 ÷ annual churn, at most the cap"), rows=SIMPLE_ROWS),
    "clv_gross_margin": Formula(("clv_gross_margin",), same("clv_gross_margin"),
                                N_("the gross margin as entered"), rows=SIMPLE_ROWS),
    "clv_historic": Formula(("cumulative_revenue", "customers"),
                            ratio_of("cumulative_revenue", "customers"),
                            N_("net revenue from acquisition to month k ÷ customers"),
                            rows=HISTORIC_ROWS),
    "clv_predicted": Formula(
        (*_BGNBD, *_SPEND, *HISTORY_INPUTS, "monetary_value", "horizon_months",
         "annual_discount_rate"), predicted_clv,
        f"Σ over the months of the horizon of expected purchases × expected spend per "
        f"purchase, discounted, with {_PAPERS}{_FITTED}", rows=PREDICTED_ROWS),
    "clv_expected_purchases": Formula(
        (*_BGNBD, *HISTORY_INPUTS, "horizon_months"), expected_purchases,
        f"E(Y(horizon) | x, t_x, T) of BG/NBD (Fader, Hardie & Lee 2005, eq. 10){_FITTED}",
        rows=PREDICTED_ROWS),
    "clv_probability_alive": Formula(
        (*_BGNBD, *HISTORY_INPUTS), probability_alive,
        f"P(alive | x, t_x, T) of BG/NBD (Fader, Hardie & Lee 2005, eq. 11){_FITTED}",
        rows=PREDICTED_ROWS),
    "clv_predicted_total": Formula(
        ("clv_predicted", "customers", *_BGNBD, *_SPEND, "horizon_months",
         "annual_discount_rate"), same("clv_predicted"),
        f"the sum of the customers' predicted CLVs below{_SUMMED}",
        rows=PREDICTION_SUM_ROWS),
    "clv_predicted_mean": Formula(
        ("clv_predicted", "customers", *_BGNBD, *_SPEND, "horizon_months",
         "annual_discount_rate"), ratio_of("clv_predicted", "customers"),
        f"the sum of the customers' predicted CLVs below ÷ the customers{_SUMMED}",
        rows=PREDICTION_SUM_ROWS),
    "clv_expected_purchases_total": Formula(
        ("clv_expected_purchases", "customers", *_BGNBD, "horizon_months"),
        same("clv_expected_purchases"),
        f"the sum of the customers' expected purchases below{_SUMMED}",
        rows=PREDICTION_SUM_ROWS),
    "clv_probability_alive_mean": Formula(
        ("clv_probability_alive", "customers", *_BGNBD),
        ratio_of("clv_probability_alive", "customers", 100.0),
        f"the sum of the customers' P(alive) below ÷ the customers × 100{_SUMMED}",
        rows=PREDICTION_SUM_ROWS),
    "clv_holdout_predicted": Formula(
        ("clv_holdout_predicted", "customers", *_BGNBD), same("clv_holdout_predicted"),
        "the sum of the customers' expected repeat purchases in the week below: each is "
        "E(Y(w) | x, t_x, T) − E(Y(w − 1) | x, t_x, T) of BG/NBD (Fader, Hardie & Lee "
        f"2005, eq. 10), w the week's number{_SUMMED}", rows=HOLDOUT_PREDICTED_ROWS),
    "clv_holdout_actual": Formula(("purchase_days",), same("purchase_days"),
                                  N_("the repeat purchase days below"), rows=HOLDOUT_ROWS),
    "cac_spend": Formula(("cac_spend",), same("cac_spend"), N_("the sum of the spend lines below"),
                         rows=CAC_ROWS),
    "cac_new_customers": Formula(("cac_new_customers",), same("cac_new_customers"),
                                 N_("the customers acquired below"), rows=CAC_ROWS),
    "cac": Formula(("cac_spend", "cac_new_customers"),
                   ratio_of("cac_spend", "cac_new_customers"),
                   N_("marketing spend ÷ customers acquired"), rows=CAC_ROWS),
    "clv_cac": Formula(("clv_simple", "cac_spend", "cac_new_customers"), _clv_cac,
                       N_("simple CLV ÷ (spend ÷ customers acquired), over the periods with "
                          "known spend"), rows=CLV_CAC_ROWS),
}

# The CLV page's numbers explain() covers, in the registry's order: every one.
CLV_EXPLAINED: tuple[Metric, ...] = tuple(m for m in CLV if m.id in FORMULAS)


def explained_ids(rows: str) -> list[str]:
    """The ids of the family's metrics whose rows are ``rows`` (e.g. :data:`SIMPLE_ROWS`:
    the simple CLV and its factors), in the registry's order: what one chart draws."""
    return [m.id for m in CLV_EXPLAINED if FORMULAS[m.id].rows == rows]


# The inputs that are columns of the simple CLV's table under their own name.
_SIMPLE_TABLE_COLUMNS = ("customers", "orders", "revenue", "start_customers",
                         "retained_customers", "years_covered")


def _option(at: At, name: str, default: Any) -> Any:
    value = at.options.get(name)
    return default if value is None else value


def _one_row(store: Store, sql: str, params: Mapping[str, Any], columns: tuple[str, ...],
             missing: Callable[[], InputError]) -> dict[str, float | None]:
    """The one row of a narrowed query by column; ``missing()`` raised when it has none."""
    frame = query_frame(store, sql, params)
    if frame.empty:
        raise missing()
    return {c: number(v) for c, v in zip(columns, frame.iloc[0], strict=True)}


def _explain_simple(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
                    filters: Filters, at: At) -> Explanation:
    """A simple-CLV figure of all customers (or of ``at.group`` when split by
    ``options["by"]``), from the simple-CLV query narrowed to its row."""
    by, margin = at.options.get("by"), at.options.get("gross_margin")
    cap = float(_option(at, "max_lifespan_years", MAX_LIFESPAN_YEARS))
    sql, params = simple_clv_query(dataset, filters, by, margin, cap)
    # each figure and input as a column of the CLV's table; the cap as it is bound
    table_columns = {m: entry(m).value_column for m in explained_ids(SIMPLE_ROWS)}
    table_columns |= {c: c for c in _SIMPLE_TABLE_COLUMNS}
    expressions = {name: f"clv.{quote_ident(column)}" for name, column in table_columns.items()}
    expressions["max_lifespan_years"] = "CAST($max_lifespan_years AS DOUBLE)"
    columns = (metric.id, *formula.inputs)
    select = ", ".join(f"{expressions[c]} AS {quote_ident(c)}" for c in columns)
    value_sql = load_sql("explain_clv_simple_value").format(columns=select, clv_query=sql)
    group = None if by is None else at.group
    value_params = bind(value_sql, params | {"explained_group": group,
                                             "max_lifespan_years": cap})

    def missing() -> InputError:
        groups = query_frame(store, sql, params)["group_value"].tolist()
        return InputError(t("There is no group “{group}” of the simple CLV in the selection; "
                            "its groups are: {groups}.", group=group,
                            groups=", ".join(str(g) for g in groups) or t("none")))

    values = _one_row(store, value_sql, value_params, columns, missing)
    rows_sql, rows_params = simple_clv_query(
        dataset, filters, by, margin, cap, statement=load_sql("explain_clv_customers"))
    window = params["window_start"], params["window_end"]
    return explanation(store, metric, formula, filters, window, values,
                       (value_sql, value_params),
                       (rows_sql, rows_params | {"explained_group": group}),
                       detail={"group": group} if by else None)


def _explain_historic(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
                      filters: Filters, at: At) -> Explanation:
    """The historic CLV of a monthly cohort (``at.period_start``) at age ``at.offset`` in
    months, or of a group (``at.group`` when split by ``options["by"]``), from the monthly
    cohort table narrowed to its cells."""
    by = at.options.get("by")
    months = dataclasses.replace(filters, period="month")
    if at.offset is None:
        raise InputError(t("Say how many months after acquisition to explain: the historic "
                           "CLV is computed per age."))
    curves = historic_clv(store, dataset, months, by=by)
    if by is None:
        if at.period_start is None:
            raise InputError(t("Say which cohort to explain: the historic CLV is computed "
                               "per cohort."))
        cohort = at.period_start.replace(day=1)
        curve = curves[curves["cohort"] == cohort]
        name = cohort.isoformat()
    else:
        cohort = None
        # None is the group of the customers without a value of the segment
        curve = curves[curves["group_value"].isna() if at.group is None
                       else curves["group_value"].astype(str) == str(at.group)]
        name = str(at.group)
    if curve.empty:
        known = sorted({str(c if by is None else g) for c, g in
                        zip(curves["cohort"], curves["group_value"], strict=True)})
        raise InputError(t("There is no curve “{curve}” of the historic CLV in the "
                           "selection; there are: {curves}.", curve=name,
                           curves=", ".join(known) or t("none")))
    ages = [int(k) for k in curve["months_since_acquisition"]]
    if at.offset not in ages:
        raise InputError(t("“{curve}” has no completed month {offset} after acquisition; "
                           "it has months {first} to {last}.", curve=name, offset=at.offset,
                           first=min(ages), last=max(ages)))
    cohorts_sql, params = cohort_query(dataset, months, by)
    if by is None:
        selection, rows_selection = "cohort = $explained_cohort", \
            "m.cohort_index = $explained_cohort_index"
    else:
        selection = "CAST(group_value AS VARCHAR) IS NOT DISTINCT FROM $explained_group"
        rows_selection = ("CAST(m.group_value AS VARCHAR) IS NOT DISTINCT FROM "
                          "$explained_group")
    value_sql = load_sql("explain_clv_historic_value").format(cohort_query=cohorts_sql,
                                                              selection=selection)
    explained = {"explained_offset": at.offset, "explained_cohort": cohort,
                 "explained_group": None if at.group is None else str(at.group),
                 "explained_cohort_index": None if cohort is None else
                 period_index("month", cohort)}
    value_params = bind(value_sql, params | explained)
    columns = (metric.id, *formula.inputs)
    values = dict(zip(columns, (number(v) for v in query_row(store, value_sql, value_params)),
                      strict=True))
    groups, group_params = cohort_group_sql(dataset, by, months, "firsts")
    rows_sql, rows_params = orders_query(
        with_ctes(load_sql("cohort_cells"), query=load_sql("explain_clv_cohort_customers")),
        dataset, months, selection=rows_selection,
        cohort_start=period_start_sql("month", "m.cohort_index"),
        month_k_end=period_end_sql("month", "m.cohort_index + $explained_offset"), **groups,
        **cohort_conditions(False))
    rows_params = rows_params | bind(rows_sql, group_params | explained)
    first, last = orders_span(dataset)
    if cohort is not None:  # the cohort's months 0..k
        first = cohort
        last = min(last, period_start_of_index("month", period_index("month", cohort)
                                                + at.offset + 1) - timedelta(days=1))
    return explanation(store, metric, formula, months, (first, last), values,
                       (value_sql, value_params), (rows_sql, rows_params),
                       detail={"offset": at.offset} | ({"group": at.group} if by else {}))


def _fitted_inputs(models: ClvModels, at: At) -> dict[str, Any]:
    """The fitted parameters and the figure's horizon and discount rate, by input id."""
    return ({key: models.purchases.params_[name] for key, name in BGNBD_INPUTS.items()}
            | {key: models.spend.params_[name] for key, name in GAMMA_GAMMA_INPUTS.items()}
            | {"horizon_months": int(_option(at, "horizon_months", DEFAULT_HORIZON_MONTHS)),
               "annual_discount_rate": float(_option(at, "annual_discount_rate",
                                                     DEFAULT_ANNUAL_DISCOUNT_RATE))})


def _explain_predicted(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
                       filters: Filters, at: At) -> Explanation:
    """A customer's (``at.group``) prediction: the models fitted as
    :func:`metrics.clv.predictive.predictive_clv` fits them, the customer's summary row
    from the summary query narrowed to them, and the model's formula."""
    if at.group is None:
        raise InputError(t("Say which customer to explain: predictions are per customer."))
    _, last = orders_span(dataset)
    end = at.options.get("calibration_end") or last
    summary = customer_summary(store, dataset, end, filters=filters)
    if not (summary["customer_id"] == at.group).any():
        shown = ", ".join(summary["customer_id"].head(5))
        raise InputError(t("“{customer}” is not a customer with a purchase up to {end} in "
                           "the selection; its {count} customers include {customers}.",
                           customer=at.group, end=end.isoformat(),
                           count=format_number(len(summary)), customers=shown))
    fitted = _fitted_inputs(fit_clv_models(summary), at)
    history = {
        "frequency": "CAST(s.frequency AS DOUBLE)",
        "recency": f"s.recency_days / {float(DAYS_PER_WEEK)}",
        "T": f"s.age_days / {float(DAYS_PER_WEEK)}",
        "monetary_value": "CASE WHEN s.frequency > 0 THEN CAST(s.repeat_value AS DOUBLE)"
                          " / s.frequency ELSE 0.0 END",
    }
    select = ", ".join(
        f"{history[name]} AS {quote_ident(name)}" if name in history
        else f"${name} AS {quote_ident(name)}" for name in formula.inputs)
    summary_sql, params = customer_summary_query(dataset, end, filters=filters)
    value_sql = load_sql("explain_clv_summary_row").format(columns=select,
                                                           summary_query=summary_sql)
    value_params = bind(value_sql, params | fitted | {"explained_customer": at.group})
    inputs = dict(zip(formula.inputs, (number(v) for v in
                                       query_row(store, value_sql, value_params)),
                      strict=True))
    values = {metric.id: formula.compute(inputs), **inputs}
    first, _ = orders_span(dataset)
    return explanation(store, metric, formula, filters, (first, end), values,
                       (value_sql, value_params), (summary_sql, params),
                       detail={"group": at.group})


def _holdout_week(dataset: Dataset, at: At) -> tuple[date, date, int]:
    """The calibration end (``options["calibration_end"]``, else the one
    :func:`metrics.clv.predictive.holdout_weeks` defaults to), the holdout's last day and
    the number of the week holding ``at.period_start`` (week 1: the 7 days after)."""
    calibration_end = at.options.get("calibration_end") or default_calibration_end(dataset)
    if at.period_start is None:
        raise InputError(t("Say a day of the week to explain: the holdout compares "
                           "purchases per week after the calibration end."))
    end, weeks = holdout_period(dataset, calibration_end)
    week = ((at.period_start - calibration_end).days - 1) // 7 + 1
    if at.period_start <= calibration_end or week > weeks:
        raise InputError(t("There is no holdout week holding {day}: the weeks run from "
                           "{first} to {last}.", day=at.period_start.isoformat(),
                           first=(calibration_end + timedelta(days=1)).isoformat(),
                           last=end.isoformat()))
    return calibration_end, end, week


def _explain_holdout(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
                     filters: Filters, at: At) -> Explanation:
    """The actual repeat purchase days of the holdout week holding ``at.period_start``,
    after ``options["calibration_end"]``, from the weekly counts narrowed to that week."""
    calibration_end, end, week = _holdout_week(dataset, at)
    holdout_sql, params = holdout_purchases_query(dataset, filters, calibration_end, end)
    value_sql = load_sql("explain_clv_holdout_value").format(holdout_query=holdout_sql)
    value_params = params | {"explained_week": week}
    values = dict(zip((metric.id, *formula.inputs),
                      (number(v) for v in query_row(store, value_sql, value_params)),
                      strict=True))
    rows_sql, rows_params = holdout_purchases_query(
        dataset, filters, calibration_end, end,
        statement=load_sql("explain_clv_holdout_purchases"))
    week_start = calibration_end + timedelta(days=7 * (week - 1) + 1)
    return explanation(store, metric, formula, filters,
                       (week_start, week_start + timedelta(6)), values,
                       (value_sql, value_params),
                       (rows_sql, rows_params | {"explained_week": week}),
                       detail={"calibration_end": calibration_end, "offset": week})


# The column of metrics.clv.lifetime_value.predict_customers holding each customer's
# prediction that a sum adds up, by the id of that per-customer figure.
_PREDICTION_COLUMNS = {"clv_predicted": "clv", "clv_expected_purchases": "expected_purchases",
                       "clv_probability_alive": "probability_alive"}


def _summed(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
            filters: Filters, end: date, fitted: Mapping[str, Any],
            rows: pd.DataFrame) -> tuple[dict[str, float | None], tuple[str, dict[str, Any]]]:
    """The value and inputs of a sum (or mean) of the customers' predictions, the total
    being the rows' first input column; the query of the summaries counting the
    customers, with the fitted parameters and options bound (the rest of the inputs:
    the customers second, then those)."""
    total, *computed = formula.inputs
    select = ", ".join(["COUNT(*) AS customers"]
                       + [f"${name} AS {quote_ident(name)}" for name in computed[1:]])
    summary_sql, params = customer_summary_query(dataset, end, filters=filters)
    value_sql = load_sql("explain_clv_summary_totals").format(columns=select,
                                                              summary_query=summary_sql)
    value_params = bind(value_sql, params | dict(fitted))
    inputs: dict[str, float | None] = {total: float(rows[total].sum())}
    row = query_row(store, value_sql, value_params)
    inputs.update(zip(computed, (number(v) for v in row), strict=True))
    return {metric.id: formula.compute(inputs), **inputs}, (value_sql, value_params)


def _explain_prediction_sum(store: Store, dataset: Dataset, metric: Metric,
                            formula: Formula, filters: Filters, at: At) -> Explanation:
    """A sum or mean of every customer's prediction, as
    :func:`metrics.clv.predictive.predicted_totals` computes it: the models fitted on the
    customer summary, each customer predicted, the predictions added up."""
    if at.options.get("by") is not None:
        raise InputError(t("{metric} is explained for all customers together; leave out "
                           "the split by a segment.", metric=metric.title()))
    first, last = orders_span(dataset)
    end = at.options.get("calibration_end") or last
    summary = customer_summary(store, dataset, end, filters=filters)
    models = fit_clv_models(summary)
    fitted = _fitted_inputs(models, at)
    predictions = predict_customers(models, summary, fitted["horizon_months"],
                                    fitted["annual_discount_rate"])
    total = formula.inputs[0]
    rows = summary.assign(**{total: predictions[_PREDICTION_COLUMNS[total]], "customers": 1})
    values, query = _summed(store, dataset, metric, formula, filters, end, fitted, rows)
    return explanation(store, metric, formula, filters, (first, end), values, query,
                       customer_summary_query(dataset, end, filters=filters),
                       shown_rows=rows)


def _explain_holdout_predicted(store: Store, dataset: Dataset, metric: Metric,
                               formula: Formula, filters: Filters, at: At) -> Explanation:
    """The predicted repeat purchases of the holdout week holding ``at.period_start``, as
    :func:`metrics.clv.predictive.holdout_validation` computes them: the purchase model
    fitted up to the calibration end, each customer's expectation at the week's end less
    that at its start, added up."""
    calibration_end, _, week = _holdout_week(dataset, at)
    summary = customer_summary(store, dataset, calibration_end, filters=filters)
    models = fit_clv_models(summary)
    weeks = np.array([[week - 1.0], [float(week)]])
    cumulative = models.purchases.expected_purchases(
        weeks, *(summary[c].to_numpy(dtype=float) for c in HISTORY_INPUTS))
    rows = summary.drop(columns="monetary_value").assign(
        clv_holdout_predicted=cumulative[1] - cumulative[0], customers=1)
    values, query = _summed(store, dataset, metric, formula, filters, calibration_end,
                            _fitted_inputs(models, at), rows)
    week_start = calibration_end + timedelta(days=7 * (week - 1) + 1)
    return explanation(store, metric, formula, filters,
                       (week_start, week_start + timedelta(6)), values, query,
                       customer_summary_query(dataset, calibration_end, filters=filters),
                       detail={"calibration_end": calibration_end, "offset": week},
                       shown_rows=rows)


def _cac_rows(dataset: Dataset, filters: Filters, condition: str, channel: str | None
              ) -> tuple[str, dict[str, Any]]:
    """The spend lines and new customers of the periods ``condition`` picks."""
    sql, params = cac_query(dataset, filters, statement=load_sql("explain_cac_rows"),
                            period_condition=condition)
    return sql, params | {"explained_channel": channel}


def _explain_cac(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
                 filters: Filters, at: At) -> Explanation:
    """A period's (``at.period_start``) CAC figure of all channels or of ``at.group``,
    from the CAC query narrowed to its row."""
    if at.period_start is None:
        raise InputError(t("Say which period to explain: {metric} is computed per period.",
                           metric=metric.title()))
    start, end_day = explained_period(dataset, filters, at.period_start)
    sql, params = cac_query(dataset, filters)
    columns = (metric.id, *formula.inputs)
    select = ", ".join(f"cac.{quote_ident(entry(c).value_column)} AS {quote_ident(c)}"
                       for c in columns)
    value_sql = load_sql("explain_cac_value").format(columns=select, cac_query=sql)
    value_params = params | {"explained_period_start": start, "explained_channel": at.group}

    def missing() -> InputError:
        channels = query_frame(store, sql, params)["channel"].dropna().unique().tolist()
        return InputError(t("There is no channel “{channel}” in the acquisition cost; its "
                            "channels are: {channels}.", channel=at.group,
                            channels=", ".join(channels) or t("none")))

    values = _one_row(store, value_sql, value_params, columns, missing)
    condition = ("period_index = "
                 + period_index_sql(filters.period, "CAST($explained_first_day AS DATE)"))
    rows_sql, rows_params = _cac_rows(dataset, filters, condition, at.group)
    return explanation(store, metric, formula, filters, (start, end_day), values,
                       (value_sql, value_params),
                       (rows_sql, rows_params | {"explained_first_day": start}),
                       detail={"group": at.group} if at.group else None)


def _explain_clv_cac(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
                     filters: Filters, at: At) -> Explanation:
    """A channel's (``at.group``; None: all) CLV:CAC over the range, from the simple-CLV
    and CAC queries joined on the channel."""
    margin = at.options.get("gross_margin")
    key = channel_segment(dataset) if at.group is not None else None
    if at.group is not None and key is None:
        raise InputError(t("The dataset “{name}” has no acquisition channel, so CLV:CAC has "
                           "no channel “{channel}”.", name=dataset.name, channel=at.group))
    cac_sql, cac_params = cac_query(dataset, filters)
    clv_sql, clv_params = simple_clv_query(dataset, filters, key, margin)
    value_sql = load_sql("explain_clv_cac_value").format(cac_query=cac_sql, clv_query=clv_sql)
    value_params = cac_params | clv_params | {"explained_channel": at.group}
    columns = (metric.id, *formula.inputs)

    def missing() -> InputError:
        channels = query_frame(store, cac_sql, cac_params)["channel"].dropna().unique()
        return InputError(t("There is no channel “{channel}” in the acquisition cost; its "
                            "channels are: {channels}.", channel=at.group,
                            channels=", ".join(channels) or t("none")))

    values = _one_row(store, value_sql, value_params, columns, missing)
    rows_sql, rows_params = _cac_rows(dataset, filters,
                                      "period_index IN (SELECT period_index FROM spend)",
                                      at.group)
    span = orders_span(dataset)
    return explanation(store, metric, formula, filters,
                       (max(filters.start or span[0], span[0]),
                        min(filters.end or span[1], span[1])), values,
                       (value_sql, value_params), (rows_sql, rows_params),
                       detail={"group": at.group} if at.group else None)


_EXPLAINERS = {
    SIMPLE_ROWS: _explain_simple,
    HISTORIC_ROWS: _explain_historic,
    PREDICTED_ROWS: _explain_predicted,
    HOLDOUT_ROWS: _explain_holdout,
    PREDICTION_SUM_ROWS: _explain_prediction_sum,
    HOLDOUT_PREDICTED_ROWS: _explain_holdout_predicted,
    CAC_ROWS: _explain_cac,
    CLV_CAC_ROWS: _explain_clv_cac,
}


def _explain(store: Store, dataset: Dataset, metric: Metric, formula: Formula,
             filters: Filters, at: At) -> Explanation:
    """One CLV-page figure, by the explainer of the rows behind it."""
    return _EXPLAINERS[formula.rows](store, dataset, metric, formula, filters, at)


# Headers for people of the inputs and rows' columns that are not metrics of the registry.
_COLUMN_LABELS = {
    "customers": N_("Customers"),
    "years_covered": N_("Years covered by the window"),
    "max_lifespan_years": N_("Lifespan cap (years)"),
    "cumulative_revenue": N_("Net revenue to month k"),
    "cohort": N_("Cohort"),
    "customer_id": N_("Customer"),
    "bgnbd_r": N_("r (BG/NBD)"),
    "bgnbd_alpha": N_("α (BG/NBD)"),
    "bgnbd_a": N_("a (BG/NBD)"),
    "bgnbd_b": N_("b (BG/NBD)"),
    "gamma_gamma_p": N_("p (Gamma-Gamma)"),
    "gamma_gamma_q": N_("q (Gamma-Gamma)"),
    "gamma_gamma_v": N_("γ (Gamma-Gamma)"),
    "frequency": N_("Frequency (repeat purchase days)"),
    "recency": N_("Recency (weeks)"),
    "T": N_("T, weeks since the first purchase"),
    "monetary_value": N_("Mean repeat purchase value"),
    "horizon_months": N_("Horizon (months)"),
    "annual_discount_rate": N_("Discount rate a year"),
    "recency_days": N_("Days from the first to the last purchase"),
    "age_days": N_("Days since the first purchase"),
    "repeat_value": N_("Value of the repeat purchases"),
    "holdout_frequency": N_("Purchase days after the calibration end"),
    "purchase_days": N_("Repeat purchase days"),
    "order_date": N_("Order date"),
    "day": N_("Day"),
    "channel": N_("Channel"),
}

def _number_of_row(row: Mapping[str, Any], options: Mapping[str, Any]) -> At:
    """A CLV-page table's number: a customer's prediction, a holdout week, a historic CLV
    cohort and age, a CAC period and channel; else the figure of all customers."""
    if "customer_id" in row:
        return At(group=row["customer_id"])
    if "week_start" in row:
        return At(period_start=row["week_start"])
    if "months_since_acquisition" in row:
        return At(period_start=row["cohort"], offset=int(row["months_since_acquisition"]))
    return At(period_start=row.get("period_start"), group=row.get("channel"))


CLV_FAMILY = Family(
    metrics=CLV_EXPLAINED, formulas=FORMULAS, explain=_explain,
    column_labels=_COLUMN_LABELS,
    column_units={"customers": "customers", "cumulative_revenue": "currency",
                  "monetary_value": "currency", "repeat_value": "currency",
                  "purchase_days": "orders"},
    example=first_row(_number_of_row),
)
