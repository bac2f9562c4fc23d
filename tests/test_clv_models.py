"""Predictive CLV models (metrics/clv): the customer summary in SQL, BG/NBD and Gamma-Gamma
against the published CDNOW fits and against numerical integration of the models, and the
messages a user sees when a model cannot be fitted."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

from metrics.clv import (
    HOLDOUT_COLUMN,
    PREDICTION_COLUMNS,
    SUMMARY_COLUMNS,
    WEEKS_PER_MONTH,
    BetaGeoModel,
    ClvModels,
    ConvergenceError,
    GammaGammaModel,
    ModelError,
    customer_lifetime_value,
    customer_summary,
    fit_clv_models,
    predict_customers,
)
from metrics.errors import InputError, LoyaltyLensError
from metrics.ingest import ingest_file
from metrics.query.filters import Filters
from metrics.store import Store
from tests.builders import DATA, write_csv

CDNOW_SAMPLE = DATA / "CDNOW_sample.txt"
CALIBRATION_END = date(1997, 9, 30)
HOLDOUT_END = date(1998, 6, 30)
# Fader, Hardie & Lee (2005), section 5, and Fader & Hardie (2013): the CDNOW sample fits.
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}
PUBLISHED_BGNBD_LOG_LIKELIHOOD = -9582.4


def cdnow_sample_csv(folder: Path) -> Path:
    """The CDNOW sample (customer id, sample id, yyyymmdd, CDs, dollars) as an orders CSV."""
    rows = []
    for line in CDNOW_SAMPLE.read_text(encoding="ascii").splitlines():
        customer, _, day, _, dollars = line.split()
        rows.append((customer, f"{day[:4]}-{day[4:6]}-{day[6:]}", dollars))
    return write_csv(folder / "cdnow_sample.csv", ("customer_id", "order_date", "amount"), rows)


@pytest.fixture(scope="module")
def cdnow_summary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pd.DataFrame]:
    store = Store(":memory:")
    report = ingest_file(store, cdnow_sample_csv(tmp_path_factory.mktemp("cdnow")),
                         dataset="CDNOW sample")
    assert report.rows_stored == 6_919
    yield customer_summary(store, store.dataset("CDNOW sample"), CALIBRATION_END, HOLDOUT_END)
    store.close()


@pytest.fixture(scope="module")
def cdnow_models(cdnow_summary: pd.DataFrame) -> ClvModels:
    return fit_clv_models(cdnow_summary)


# -- the customer summary ---------------------------------------------------------------


def test_cdnow_summary_has_the_papers_customers(cdnow_summary: pd.DataFrame) -> None:
    # Fader, Hardie & Lee (2005): 2,357 customers, 946 of them repeat buyers in the 39-week
    # calibration period, 2,457 repeat purchases in all
    assert len(cdnow_summary) == 2_357
    assert (cdnow_summary["frequency"] > 0).sum() == 946
    assert cdnow_summary["frequency"].sum() == 2_457
    assert list(cdnow_summary.columns) == [*SUMMARY_COLUMNS, HOLDOUT_COLUMN]
    # customer 00004 bought on 1997-01-01 ($29.33), 01-18 ($29.73), 08-02 ($14.96), and on
    # 1997-12-12 in the holdout period
    first = cdnow_summary.set_index("customer_id").loc["00004"]
    assert first["frequency"] == 2
    assert first["recency"] == pytest.approx(213 / 7)
    assert first["T"] == pytest.approx(272 / 7)
    assert first["monetary_value"] == pytest.approx((29.73 + 14.96) / 2)
    assert first[HOLDOUT_COLUMN] == 1


@pytest.fixture
def small_shop(tmp_path: Path) -> Iterator[Store]:
    rows = [
        # A: two orders on the first day; a purchase and its refund on 01-15; a purchase in
        # a shop on 02-05; two orders on one holdout day; one order after the holdout
        ("A", "2024-01-01", "100", "web"), ("A", "2024-01-01", "50", "web"),
        ("A", "2024-01-15", "40", "web"), ("A", "2024-01-15", "-40", "web"),
        ("A", "2024-02-05", "60", "shop"),
        ("A", "2024-03-10", "70", "web"), ("A", "2024-03-10", "30", "web"),
        ("A", "2024-04-20", "20", "web"),
        # B: one purchase
        ("B", "2024-02-10", "80", "shop"),
        # C: a refund before the first purchase (of an older order, outside the data)
        ("C", "2024-01-20", "-30", "web"), ("C", "2024-02-20", "25", "web"),
        # D: first purchase after the calibration end
        ("D", "2024-03-05", "45", "web"),
    ]
    store = Store(":memory:")
    ingest_file(store, write_csv(tmp_path / "shop.csv", ("customer", "date", "amount",
                                                         "channel"), rows), dataset="shop")
    yield store
    store.close()


def test_summary_by_hand(small_shop: Store) -> None:
    summary = customer_summary(small_shop, small_shop.dataset("shop"), date(2024, 2, 29),
                               holdout_end=date(2024, 3, 31))
    expected = pd.DataFrame({
        "customer_id": ["A", "B", "C"],
        # A: purchase days 01-01, 01-15, 02-05 -> 2 repeats; the refund is no purchase
        "frequency": [2, 0, 0],
        # A: 01-01 to 02-05 = 35 days
        "recency": [35 / 7, 0.0, 0.0],
        # to 02-29: A 59 days, B 19 days, C 9 days (from its first purchase, not the refund)
        "T": [59 / 7, 19 / 7, 9 / 7],
        # A: the repeat days are worth 40 (the refund is not netted) and 60
        "monetary_value": [50.0, 0.0, 0.0],
        # A: one purchase day (two orders) in March; the April order is after the holdout
        HOLDOUT_COLUMN: [1, 0, 0],
    })
    pd.testing.assert_frame_equal(summary, expected, check_dtype=False)


def test_summary_segment_filter_and_no_holdout(small_shop: Store) -> None:
    dataset = small_shop.dataset("shop")
    web = Filters(segments=Filters.segment_items({"channel": ["web"]}))
    summary = customer_summary(small_shop, dataset, date(2024, 2, 29), filters=web)
    # without the shop orders, B is gone and A's repeat is only 01-15
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert summary["customer_id"].tolist() == ["A", "C"]
    assert summary.iloc[0][["frequency", "recency", "monetary_value"]].tolist() == [
        1, 14 / 7, 40.0]


def test_summary_holdout_must_follow_calibration(small_shop: Store) -> None:
    with pytest.raises(InputError) as error:
        customer_summary(small_shop, small_shop.dataset("shop"), date(2024, 2, 29),
                         holdout_end=date(2024, 2, 29))
    assert error.value.message == ("The holdout end 2024-02-29 must be after the calibration "
                                   "end 2024-02-29.")


# -- the published CDNOW fits -------------------------------------------------------------


def test_bgnbd_reproduces_fader_hardie_lee_2005(cdnow_models: ClvModels) -> None:
    fitted = cdnow_models.purchases
    for name, published in PUBLISHED_BGNBD.items():
        assert round(fitted.params_[name], 3) == published, name
    assert round(fitted.log_likelihood_, 1) == PUBLISHED_BGNBD_LOG_LIKELIHOOD
    assert fitted.customers_ == 2_357


def test_gamma_gamma_reproduces_fader_hardie_2013(cdnow_models: ClvModels) -> None:
    # fitted on the 946 repeat customers' mean repeat-purchase value in calibration
    fitted = cdnow_models.spend
    for name, published in PUBLISHED_GAMMA_GAMMA.items():
        assert round(fitted.params_[name], 2) == published, name
    assert fitted.customers_ == 946


def test_fit_log_likelihood_matches_the_per_customer_one(cdnow_summary: pd.DataFrame,
                                                         cdnow_models: ClvModels) -> None:
    model = cdnow_models.purchases
    per_customer = model.log_likelihood(cdnow_summary["frequency"], cdnow_summary["recency"],
                                        cdnow_summary["T"])
    assert per_customer.sum() == pytest.approx(model.log_likelihood_, rel=1e-12)


def test_weights_give_the_same_fit_as_repeated_rows(cdnow_summary: pd.DataFrame,
                                                    cdnow_models: ClvModels) -> None:
    grouped = (cdnow_summary.groupby(["frequency", "recency", "T"]).size()
               .rename("customers").reset_index())
    model = BetaGeoModel().fit(grouped["frequency"], grouped["recency"], grouped["T"],
                               weights=grouped["customers"])
    assert model.params_ == pytest.approx(cdnow_models.purchases.params_, rel=1e-7)


def test_standard_errors_are_the_inverse_information(cdnow_models: ClvModels) -> None:
    # values of the same fit by lifetimes 0.11.3 (autograd Hessian of its likelihood)
    assert cdnow_models.purchases.standard_errors_ == pytest.approx(
        {"r": 0.012557, "alpha": 0.378224, "a": 0.185734, "b": 0.705414}, rel=1e-4)
    assert cdnow_models.spend.standard_errors_ == pytest.approx(
        {"p": 1.190055, "q": 0.290133, "v": 4.159423}, rel=1e-4)


def test_hardie_spreadsheet_examples(cdnow_models: ClvModels) -> None:
    # the spreadsheet accompanying the paper, from the unrounded fit (with the parameters
    # rounded as printed, E[X(78)] moves by 0.003)
    model = cdnow_models.purchases
    assert model.expected_purchases(39, 2, 30.43, 38.86)[0] == pytest.approx(1.226, abs=5e-4)
    weeks = [0.1429, 1.0, 3.00, 31.8571, 32.00, 78.00]
    assert model.expected_purchases_new_customer(weeks) == pytest.approx(
        [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576], abs=5e-4)


# -- the formulas against numerical integration of the models ----------------------------

HISTORIES = [(0, 0.0, 38.86), (1, 1.71, 38.86), (2, 30.43, 38.86), (7, 12.0, 30.0),
             (40, 37.5, 38.86)]


def _gamma_moment(params: dict[str, float], x: float, exposure: float) -> float:
    """∫ λ^x e^(−λ exposure) gamma(λ; r, α) dλ, numerically. With λ = u^(1/r) the density's
    λ^(r−1) becomes a constant, so the integrand is smooth at 0."""
    r, alpha = params["r"], params["alpha"]

    def integrand(u: float) -> float:
        if u == 0.0:
            return 1.0 if x == 0 else 0.0
        log_lam = math.log(u) / r
        if log_lam > 700:  # e^(−λ(T+α)) is 0 long before
            return 0.0
        return math.exp(x * log_lam - math.exp(log_lam) * (exposure + alpha))

    value, _ = integrate.quad(integrand, 0, np.inf, epsabs=0, epsrel=1e-12, limit=200)
    return value * alpha**r / special.gamma(r + 1)


def _beta_moment(params: dict[str, float], alive: int, dropped: int) -> float:
    """∫ (1−p)^alive p^dropped beta(p; a, b) dp, numerically."""
    a, b = params["a"], params["b"]
    value, _ = integrate.quad(lambda p: 1.0, 0, 1, weight="alg",
                              wvar=(a - 1 + dropped, b - 1 + alive), epsabs=0, epsrel=1e-12)
    return value / special.beta(a, b)


def _likelihood_terms(params: dict[str, float], x: int, t_x: float, age: float
                      ) -> tuple[float, float]:
    """The individual-level likelihood integrated over λ and p, as its two terms: alive at
    T, and dropped out right after the last purchase (Fader, Hardie & Lee 2005, section 3)."""
    alive = _gamma_moment(params, x, age) * _beta_moment(params, x, 0)
    dropped = (_gamma_moment(params, x, t_x) * _beta_moment(params, x - 1, 1) if x else 0.0)
    return alive, dropped


@pytest.mark.parametrize(("x", "t_x", "age"), HISTORIES)
def test_probability_alive_by_integration(x: int, t_x: float, age: float) -> None:
    model = BetaGeoModel.from_params(PUBLISHED_BGNBD)
    alive, dropped = _likelihood_terms(PUBLISHED_BGNBD, x, t_x, age)
    assert model.probability_alive(x, t_x, age)[0] == pytest.approx(alive / (alive + dropped),
                                                                     rel=1e-8)
    if x == 0:
        assert model.probability_alive(x, t_x, age)[0] == 1.0


@pytest.mark.parametrize(("x", "t_x", "age"), HISTORIES)
def test_log_likelihood_by_integration(x: int, t_x: float, age: float) -> None:
    model = BetaGeoModel.from_params(PUBLISHED_BGNBD)
    alive, dropped = _likelihood_terms(PUBLISHED_BGNBD, x, t_x, age)
    assert model.log_likelihood(x, t_x, age)[0] == pytest.approx(math.log(alive + dropped),
                                                                 rel=1e-9)


@pytest.mark.parametrize(("x", "t_x", "age"), HISTORIES)
@pytest.mark.parametrize("weeks", [4.0, 52.0])
def test_expected_purchases_by_integration(x: int, t_x: float, age: float,
                                           weeks: float) -> None:
    # E[Y(t) | history] = ∫∫ P(alive at T, λ, p | history) (1 − e^(−λpt)) / p dλ dp: an
    # alive customer buys at rate λ until dropping out (Fader, Hardie & Lee 2005, section 3).
    # The λ-integral is the gamma distribution's moment; the paper's ₂F₁ comes from the
    # p-integral, done here numerically.
    params = PUBLISHED_BGNBD
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]

    def gamma_moment(exposure: float) -> float:  # ∫ λ^x e^(−λ s) gamma(λ; r, α) dλ
        return math.exp(special.gammaln(r + x) - special.gammaln(r) + r * math.log(alpha)
                        - (r + x) * math.log(alpha + exposure))

    def given_p(p: float) -> float:
        if p == 0.0:  # the limit of (1 − e^(−λpt)) / p is λt
            return weeks * gamma_moment(age) * (r + x) / (alpha + age)
        return (gamma_moment(age) - gamma_moment(age + p * weeks)) / p

    numerator, _ = integrate.quad(given_p, 0, 1, weight="alg", wvar=(a - 1, b + x - 1),
                                  epsabs=0, epsrel=1e-10, limit=200)
    alive, dropped = _likelihood_terms(params, x, t_x, age)
    expected = numerator / special.beta(a, b) / (alive + dropped)
    model = BetaGeoModel.from_params(params)
    assert model.expected_purchases(weeks, x, t_x, age)[0] == pytest.approx(expected,
                                                                            rel=1e-7)


@pytest.mark.parametrize(("x", "t_x"), [(0, 0.0), (3, 20.0), (60, 45.0)])
def test_expected_purchases_where_scipy_hyp2f1_gives_up(x: int, t_x: float) -> None:
    # nearly everyone drops out with the same probability (a, b in the thousands) and a
    # ten-year horizon: scipy's ₂F₁ returns NaN in both forms, the model integrates instead
    params = {"r": 5.0, "alpha": 3.0, "a": 3000.0, "b": 9000.0}
    r, alpha, a, b = params.values()
    age, weeks = 50.0, 520.0

    def log_gamma_moment(exposure: float) -> float:  # ln ∫ λ^x e^(−λ s) gamma(λ) dλ
        return (special.gammaln(r + x) - special.gammaln(r) + r * math.log(alpha)
                - (r + x) * math.log(alpha + exposure))

    def log_beta_density(p: float, alive: int, dropped: int) -> float:
        return ((a - 1 + dropped) * math.log(p) + (b - 1 + alive) * math.log1p(-p)
                - special.betaln(a, b))

    def forecast_given_p(p: float) -> float:
        gain = -math.expm1(log_gamma_moment(age + p * weeks) - log_gamma_moment(age)) / p
        return gain * math.exp(log_gamma_moment(age) + log_beta_density(p, x, 0))

    mode = (a - 1) / (a + b + x - 2)
    numerator, _ = integrate.quad(forecast_given_p, 0, 1, points=[mode], epsabs=0,
                                  epsrel=1e-11, limit=500)
    alive, _ = integrate.quad(lambda p: math.exp(log_gamma_moment(age)
                                                 + log_beta_density(p, x, 0)),
                              0, 1, points=[mode], epsabs=0, epsrel=1e-12, limit=500)
    dropped = 0.0
    if x:
        dropped, _ = integrate.quad(lambda p: math.exp(log_gamma_moment(t_x)
                                                       + log_beta_density(p, x - 1, 1)),
                                    0, 1, points=[mode], epsabs=0, epsrel=1e-12, limit=500)
    model = BetaGeoModel.from_params(params)
    assert model.expected_purchases(weeks, x, t_x, age)[0] == pytest.approx(
        numerator / (alive + dropped), rel=1e-7)


@pytest.mark.parametrize(("x", "mean_spend"), [(0, 0.0), (1, 12.5), (3, 40.0), (60, 20.0)])
def test_expected_average_spend_by_integration(x: int, mean_spend: float) -> None:
    # E[p/ν | x, z̄] with ν | x, z̄ ∝ ν^(px+q−1) e^(−ν(γ + x z̄)) (Fader & Hardie 2013)
    params = PUBLISHED_GAMMA_GAMMA
    p, q, v = params["p"], params["q"], params["v"]
    shape, rate = p * x + q, v + x * mean_spend
    mode = (shape - 1) / rate

    def posterior(nu: float, power: float) -> float:
        # relative to the mode, so that large x does not underflow
        return math.exp((shape - 1) * math.log(nu / mode) - (nu - mode) * rate
                        + power * math.log(nu))

    top, _ = integrate.quad(posterior, 0, np.inf, args=(-1.0,), epsabs=0, epsrel=1e-11)
    bottom, _ = integrate.quad(posterior, 0, np.inf, args=(0.0,), epsabs=0, epsrel=1e-11)
    model = GammaGammaModel.from_params(params)
    assert model.expected_average_spend(x, mean_spend)[0] == pytest.approx(p * top / bottom,
                                                                           rel=1e-8)


def test_large_frequencies_stay_finite() -> None:
    model = BetaGeoModel.from_params(PUBLISHED_BGNBD)
    x = np.array([500.0, 2_000.0])
    assert np.all(np.isfinite(model.log_likelihood(x, [100.0, 100.0], [104.0, 104.0])))
    expected = model.expected_purchases(52.0, x, [100.0, 104.0], [104.0, 104.0])
    assert np.all(np.isfinite(expected)) and np.all(expected > 0)


# -- CLV -----------------------------------------------------------------------------------


def test_clv_discounts_the_monthly_purchases(cdnow_models: ClvModels) -> None:
    history = ([2], [30.43], [38.86], [22.35])
    spend = cdnow_models.spend.expected_average_spend([2], [22.35])[0]
    purchases = cdnow_models.purchases
    # one month: that month's purchases, discounted from its end at 10% a year
    one_month = purchases.expected_purchases(WEEKS_PER_MONTH, 2, 30.43, 38.86)[0]
    assert customer_lifetime_value(cdnow_models, *history, horizon_months=1)[0] == (
        pytest.approx(spend * one_month / 1.1 ** (1 / 12), rel=1e-12))
    # without discounting the months add up to the expected purchases in the horizon
    year = purchases.expected_purchases(12 * WEEKS_PER_MONTH, 2, 30.43, 38.86)[0]
    undiscounted = customer_lifetime_value(cdnow_models, *history, annual_discount_rate=0.0)
    assert undiscounted[0] == pytest.approx(spend * year, rel=1e-12)
    # month by month, by hand
    ends = np.arange(13) * WEEKS_PER_MONTH
    monthly = np.diff(purchases.expected_purchases(ends, 2, 30.43, 38.86))
    by_hand = sum(spend * monthly[k - 1] / 1.1 ** (k / 12) for k in range(1, 13))
    assert customer_lifetime_value(cdnow_models, *history)[0] == pytest.approx(by_hand,
                                                                               rel=1e-12)


def test_predict_customers(cdnow_summary: pd.DataFrame, cdnow_models: ClvModels) -> None:
    predictions = predict_customers(cdnow_models, cdnow_summary)
    assert list(predictions.columns) == list(PREDICTION_COLUMNS)
    assert predictions["customer_id"].tolist() == cdnow_summary["customer_id"].tolist()
    one_time = predictions[predictions["frequency"] == 0]
    assert (one_time["probability_alive"] == 1.0).all()
    assert one_time["expected_average_spend"].to_numpy() == pytest.approx(
        cdnow_models.spend.population_average_spend())
    clv = customer_lifetime_value(cdnow_models, cdnow_summary["frequency"],
                                  cdnow_summary["recency"], cdnow_summary["T"],
                                  cdnow_summary["monetary_value"])
    assert predictions["clv"].to_numpy() == pytest.approx(clv, rel=1e-12)
    assert (predictions["clv"] > 0).all()


@pytest.mark.parametrize(("horizon", "rate", "message"), [
    (0, 0.1, "The CLV horizon must be a whole number of months from 1 to 120."),
    (12, -0.01, "The discount rate must be at least 0% and below 100% a year."),
])
def test_clv_settings_are_checked(cdnow_summary: pd.DataFrame, cdnow_models: ClvModels,
                                  horizon: int, rate: float, message: str) -> None:
    with pytest.raises(InputError) as error:
        predict_customers(cdnow_models, cdnow_summary, horizon_months=horizon,
                          annual_discount_rate=rate)
    assert error.value.message == message


# -- what a user sees when a model cannot be fitted ----------------------------------------

AGE = np.full(30, 20.0)


@pytest.mark.parametrize(("frequency", "recency", "age", "error_type", "message"), [
    ([], [], [], ModelError,
     "There are no customers to fit the purchase model (BG/NBD) to."),
    (np.zeros(30), np.zeros(30), np.zeros(30), ModelError,
     "All purchases fall on a single day, so there is no time in which to see customers "
     "come back: choose a later calibration end date."),
    (np.zeros(30), np.zeros(30), AGE, ModelError,
     "No customer bought on more than one day, so there is no repeat buying to learn "
     "from: choose a later calibration end date or a wider segment."),
    (np.r_[np.ones(4), np.zeros(26)], np.r_[np.full(4, 3.0), np.zeros(26)], AGE, ModelError,
     "Only 4 customers bought on more than one day; the purchase model (BG/NBD) needs at "
     "least 10: choose a later calibration end date or a wider segment."),
    # every repeat buyer bought on the last day: nobody seems ever to drop out
    (np.full(30, 3.0), AGE, AGE, ConvergenceError,
     "The purchase model (BG/NBD) did not converge on these data: try a longer calibration "
     "period or more customers."),
    ([1, 2], [3.0, 5.0], [4.0, 4.0], ModelError,
     "Every customer's recency must be between 0 and their age T."),
    ([1.5], [3.0], [4.0], ModelError,
     "The frequency (repeat purchases) must be a whole number, zero or more, for every "
     "customer."),
])
def test_purchase_model_errors(frequency: object, recency: object, age: object,
                               error_type: type[LoyaltyLensError], message: str) -> None:
    with pytest.raises(error_type) as error:
        BetaGeoModel().fit(frequency, recency, age)
    assert error.value.message == message
    assert isinstance(error.value, LoyaltyLensError)


@pytest.mark.parametrize(("frequency", "spend", "error_type", "message"), [
    (np.zeros(20), np.zeros(20), ModelError,
     "No customer has repeat purchases of positive value, so the spend model (Gamma-Gamma) "
     "has nothing to learn from: choose a later calibration end date or a wider segment."),
    (np.full(20, 2.0), np.zeros(20), ModelError,
     "No customer has repeat purchases of positive value, so the spend model (Gamma-Gamma) "
     "has nothing to learn from: choose a later calibration end date or a wider segment."),
    (np.r_[np.ones(3), np.zeros(20)], np.r_[np.full(3, 9.0), np.zeros(20)], ModelError,
     "Only 3 customers have repeat purchases of positive value; the spend model "
     "(Gamma-Gamma) needs at least 10: choose a later calibration end date or a wider "
     "segment."),
    # everyone spends exactly the same: no spread to fit a distribution to
    (np.full(20, 2.0), np.full(20, 10.0), ConvergenceError,
     "The spend model (Gamma-Gamma) did not converge on these data: try a longer "
     "calibration period or more customers."),
])
def test_spend_model_errors(frequency: object, spend: object,
                            error_type: type[LoyaltyLensError], message: str) -> None:
    with pytest.raises(error_type) as error:
        GammaGammaModel().fit(frequency, spend)
    assert error.value.message == message


@pytest.mark.parametrize(("weeks", "message"), [
    (-1.0, "The forecast horizon cannot be negative."),
    # z = t / (α + T + t) is undefined for an endless horizon
    (np.inf, "The purchase model (BG/NBD) cannot forecast some customers this far ahead: "
             "choose a shorter horizon."),
])
def test_forecasts_the_model_cannot_make_are_refused_with_a_sentence(weeks: float,
                                                                     message: str) -> None:
    # the horizon's parameter once hid the translation function t(): a TypeError instead
    model = BetaGeoModel.from_params(PUBLISHED_BGNBD)
    with pytest.raises(ModelError) as error:
        model.expected_purchases(weeks, 2, 30.43, 38.86)
    assert error.value.message == message


def test_spend_model_needs_q_above_one() -> None:
    model = GammaGammaModel.from_params({"p": 2.0, "q": 0.8, "v": 10.0})
    with pytest.raises(ModelError) as error:
        model.expected_average_spend([2], [30.0])
    assert error.value.message == ("Spend per purchase varies too much between customers for "
                                   "the spend model (Gamma-Gamma) to predict an average "
                                   "(q = 0.80 is not above 1).")


def test_unfitted_model_says_so() -> None:
    with pytest.raises(ModelError) as error:
        BetaGeoModel().probability_alive([1], [2.0], [3.0])
    assert error.value.message == "The purchase model (BG/NBD) has not been fitted yet."


def test_summary_before_any_order_gives_a_clear_fit_error(small_shop: Store) -> None:
    summary = customer_summary(small_shop, small_shop.dataset("shop"), date(2023, 12, 31))
    assert summary.empty
    with pytest.raises(ModelError) as error:
        fit_clv_models(summary)
    assert error.value.message == "There are no customers to fit the purchase model (BG/NBD) to."
