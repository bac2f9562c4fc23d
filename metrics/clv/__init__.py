"""Predictive customer lifetime value: BG/NBD for repeat purchases (Fader, Hardie & Lee
2005) and Gamma-Gamma for spend per purchase (Fader & Hardie 2013), fitted by maximum
likelihood on a customer summary computed in SQL (DESIGN.md, "Metric definitions").

One file per model on a small base class (:mod:`metrics.clv.base`); the customer summary
(:mod:`metrics.clv.summary`) and the combination into CLV
(:mod:`metrics.clv.lifetime_value`) are apart from the models.
"""

from metrics.clv.base import ConvergenceError, ModelError
from metrics.clv.bgnbd import BetaGeoModel
from metrics.clv.gamma_gamma import GammaGammaModel
from metrics.clv.lifetime_value import (
    DEFAULT_ANNUAL_DISCOUNT_RATE,
    DEFAULT_HORIZON_MONTHS,
    PREDICTION_COLUMNS,
    WEEKS_PER_MONTH,
    ClvModels,
    customer_lifetime_value,
    expected_purchases_by_month,
    fit_clv_models,
    predict_customers,
)
from metrics.clv.summary import (
    HOLDOUT_COLUMN,
    SUMMARY_COLUMNS,
    customer_summary,
    customer_summary_query,
)

__all__ = [
    "DEFAULT_ANNUAL_DISCOUNT_RATE",
    "DEFAULT_HORIZON_MONTHS",
    "HOLDOUT_COLUMN",
    "PREDICTION_COLUMNS",
    "SUMMARY_COLUMNS",
    "WEEKS_PER_MONTH",
    "BetaGeoModel",
    "ClvModels",
    "ConvergenceError",
    "GammaGammaModel",
    "ModelError",
    "customer_lifetime_value",
    "customer_summary",
    "customer_summary_query",
    "expected_purchases_by_month",
    "fit_clv_models",
    "predict_customers",
]
