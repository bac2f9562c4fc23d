"""What the predictive CLV models share: their errors, input checks, the grouping of
identical customers and the maximum-likelihood fit."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar, Self, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import minimize

from metrics.errors import LoyaltyLensError
from metrics.i18n import t

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
# The total log-likelihood, its gradient and its Hessian, in the log-parameters.
Derivatives = Callable[[FloatArray], tuple[float, FloatArray, FloatArray]]

# A parameter that runs beyond e^±23 (1e±10) has no finite maximum-likelihood value:
# the fit did not converge.
LOG_BOUND = 23.0
# The optimiser stops when the gradient of the mean log-likelihood per customer (in the
# log-parameters) is below GTOL: tight enough to pin the parameters to many more digits
# than the papers print.
GTOL = 1e-9
# A stop for "no further improvement possible" with a gradient this small is a converged
# fit: the optimiser cannot improve what is already at the floating-point floor.
GRADIENT_AT_OPTIMUM = 1e-6
MAX_ITERATIONS = 200


class ModelError(LoyaltyLensError):
    """A predictive model cannot be fitted to, or used with, these data."""


class ConvergenceError(ModelError):
    """The maximum-likelihood fit did not converge."""


class CustomerModel:
    """A model of customers fitted by maximum likelihood; ``fit`` returns the model.

    Subclasses name their parameters in ``parameter_names`` and their user-facing name in
    ``label``; a fitted model has ``params_`` (parameter name -> value),
    ``standard_errors_`` (the same names), ``log_likelihood_`` (the total over the
    customers) and ``customers_`` (how many customers it was fitted on). Fitting is
    deterministic: no random starts.
    """

    parameter_names: ClassVar[tuple[str, ...]] = ()
    label: ClassVar[str] = ""

    params_: dict[str, float]
    standard_errors_: dict[str, float]
    log_likelihood_: float
    customers_: int
    _fit_log_likelihood: float
    _log_parameter_variances: FloatArray

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"{type(self).__name__}()"
        values = ", ".join(f"{name}={value:.4g}" for name, value in self.params_.items())
        return f"{type(self).__name__}({values})"

    @classmethod
    def from_params(cls, params: Mapping[str, float]) -> Self:
        """A model with given parameters (published ones, or saved from a fit), unfitted."""
        missing = [name for name in cls.parameter_names if name not in params]
        if missing or any(not np.isfinite(params[name]) or params[name] <= 0
                          for name in cls.parameter_names):
            raise ModelError(t("The {model} needs positive values for {names}.",
                               model=t(cls.label), names=", ".join(cls.parameter_names)))
        model = cls()
        model.params_ = {name: float(params[name]) for name in cls.parameter_names}
        return model

    def _fitted(self) -> tuple[float, ...]:
        """The parameters in ``parameter_names`` order; a clear error before ``fit``."""
        if not hasattr(self, "params_"):
            raise ModelError(t("The {model} has not been fitted yet.", model=t(self.label)))
        return tuple(self.params_[name] for name in self.parameter_names)

    def _maximise(self, log_likelihood: Derivatives, start: FloatArray,
                  customers: float) -> FloatArray:
        """The log-parameters maximising the likelihood (kept with their variances).

        Newton steps in a trust region (SciPy's ``trust-exact``) with the analytic
        gradient and Hessian: a handful of likelihood evaluations, where quasi-Newton
        methods need dozens. The log-parameters are unconstrained, so no bounds are
        needed. The standard errors come from the inverse of the observed information
        (the negative Hessian) at the maximum.

        Raises :class:`ConvergenceError` when the optimiser stops without converging,
        a parameter runs off to 0 or infinity, or the optimum is not a strict maximum.
        """
        last: dict[bytes, tuple[float, FloatArray, FloatArray]] = {}

        def evaluate(log_params: FloatArray) -> tuple[float, FloatArray, FloatArray]:
            key = log_params.tobytes()
            if key not in last:  # value, gradient and Hessian come from one pass
                last.clear()
                last[key] = log_likelihood(log_params)
            return last[key]

        def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
            value, gradient, _ = evaluate(log_params)
            return -value / customers, -gradient / customers

        def hessian(log_params: FloatArray) -> FloatArray:
            return -evaluate(log_params)[2] / customers

        not_converged = ConvergenceError(
            t("The {model} did not converge on these data: try a longer calibration period "
              "or more customers.", model=t(self.label)))
        with np.errstate(all="ignore"):
            try:
                result = minimize(objective, start, jac=True, hess=hessian,
                                  method="trust-exact",
                                  options={"gtol": GTOL, "maxiter": MAX_ITERATIONS})
            except (ValueError, np.linalg.LinAlgError) as error:
                # a parameter ran off so far that the likelihood is no longer finite
                raise not_converged from error
            value, gradient, information = evaluate(result.x)
            gradient = gradient / customers
            converged = bool(result.success) or (
                np.all(np.isfinite(gradient))
                and float(np.max(np.abs(gradient))) < GRADIENT_AT_OPTIMUM)
            covariance = _inverse_if_positive_definite(-information)
        if (not converged or covariance is None or np.any(np.abs(result.x) >= LOG_BOUND)
                or not np.all(np.isfinite(result.x)) or not np.isfinite(value)):
            raise not_converged
        self._fit_log_likelihood = float(value)
        # ln θ has variance v, so θ has standard error θ √v (the delta method)
        self._log_parameter_variances = np.diag(covariance).copy()
        return np.asarray(result.x, dtype=np.float64)

    def _set_standard_errors(self) -> None:
        """``standard_errors_`` from the fit's variances, once ``params_`` is set."""
        self.standard_errors_ = {
            name: float(value * np.sqrt(variance)) for (name, value), variance
            in zip(self.params_.items(), self._log_parameter_variances, strict=True)}


def _inverse_if_positive_definite(matrix: FloatArray) -> FloatArray | None:
    """The inverse of a symmetric positive definite matrix, or ``None`` if it is not one."""
    if not np.all(np.isfinite(matrix)):
        return None
    try:
        np.linalg.cholesky(matrix)
        return np.asarray(np.linalg.inv(matrix), dtype=np.float64)
    except np.linalg.LinAlgError:
        return None


def to_log_parameters(value: float, gradient: FloatArray, hessian: FloatArray,
                      theta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
    """A function's gradient and Hessian in θ (upper triangle) turned into ones in ln θ:
    ∂/∂ln θᵢ = θᵢ ∂/∂θᵢ and ∂²/∂ln θᵢ∂ln θⱼ = θᵢθⱼ ∂²/∂θᵢ∂θⱼ + δᵢⱼ θᵢ ∂/∂θᵢ."""
    upper = np.triu(hessian)
    full = upper + np.triu(upper, 1).T
    log_gradient = theta * gradient
    return value, log_gradient, np.outer(theta, theta) * full + np.diag(log_gradient)


def as_array(values: ArrayLike, name: str) -> FloatArray:
    """One model input as a flat float array; a clear error for missing or infinite values."""
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(array)):
        raise ModelError(t("The column “{name}” has missing or infinite values.", name=name))
    return array


def same_length(*arrays: FloatArray) -> None:
    """One value per customer in every input."""
    if len({len(array) for array in arrays}) > 1:
        raise ModelError(t("The model inputs have different lengths."))


def check_frequency(frequency: FloatArray) -> None:
    """Repeat purchase counts are whole numbers, zero or more."""
    if np.any(frequency < 0) or np.any(frequency != np.round(frequency)):
        raise ModelError(t("The frequency (repeat purchases) must be a whole number, zero or "
                           "more, for every customer."))


def check_history(frequency: FloatArray, recency: FloatArray, age: FloatArray) -> None:
    """The rules a (frequency, recency, T) history obeys (lifetimes' ``_check_inputs``)."""
    same_length(frequency, recency, age)
    check_frequency(frequency)
    if np.any(recency < 0) or np.any(recency > age):
        raise ModelError(t("Every customer's recency must be between 0 and their age T."))
    if np.any((frequency == 0) & (recency != 0)):
        raise ModelError(t("A customer without repeat purchases must have a recency of 0."))


def weights_for(weights: ArrayLike | None, n: int) -> FloatArray:
    """The customer counts of the rows (1 each without ``weights``)."""
    if weights is None:
        return np.ones(n)
    array = as_array(weights, "weights")
    if len(array) != n or np.any(array < 0):
        raise ModelError(t("The weights must be one count, zero or more, per row."))
    return array


def distinct_rows(columns: tuple[FloatArray, ...]
                  ) -> tuple[tuple[FloatArray, ...], npt.NDArray[np.int64]]:
    """The distinct rows of ``columns`` and, for each row, the number of its distinct row.

    Each column is hashed to codes (``pandas.factorize``), the codes are combined into one
    integer per row, and rows are grouped by that integer: by counting when the
    combinations are few (as for frequency, recency and T in days), else by hashing it.
    Much faster than sorting rows (``numpy.unique(axis=0)``).
    """
    n = len(columns[0]) if columns else 0
    key = np.zeros(n, dtype=np.int64)
    combinations = 1
    for column in columns:
        codes, uniques = pd.factorize(column)
        if combinations * max(len(uniques), 1) >= 2**62:  # the key would overflow
            key, distinct = pd.factorize(key)
            combinations = len(distinct)
        key = key * len(uniques) + codes
        combinations *= max(len(uniques), 1)
    if combinations <= max(4 * n, 2**20):
        present = np.bincount(key, minlength=combinations) > 0
        renumber = np.cumsum(present) - 1
        key = renumber[key]
        groups = int(present.sum())
    else:
        key, distinct = pd.factorize(key)
        groups = len(distinct)
    one_row = np.empty(groups, dtype=np.int64)
    one_row[key] = np.arange(n)  # any row of a group: its rows are identical
    return tuple(column[one_row] for column in columns), key


def group_identical(columns: tuple[FloatArray, ...], weights: FloatArray
                    ) -> tuple[tuple[FloatArray, ...], FloatArray]:
    """The distinct rows of ``columns`` and the total weight of each.

    Customers with the same history contribute the same likelihood, so the fit evaluates
    each distinct history once, times its count (as Fader, Hardie & Lee's spreadsheets
    and lifetimes' ``weights`` do).
    """
    distinct, key = distinct_rows(columns)
    # With weights bincount sums them as floats; numpy's stubs type every bincount as ints.
    return distinct, cast(FloatArray, np.bincount(key, weights=weights,
                                                  minlength=len(distinct[0])))
