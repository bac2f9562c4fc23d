"""The predictive CLV pipeline the page and the CLI show: the holdout validation week by
week and the at-risk rule, against second computations and hand-worked frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metrics.clv.lifetime_value import fit_clv_models
from metrics.clv.predictive import PredictiveClv, holdout_validation, predictive_clv
from metrics.clv.summary import customer_summary
from metrics.errors import InputError
from metrics.ingest import ingest_file
from metrics.query.filters import Filters
from metrics.store import Store
from tests.test_clv_models import CALIBRATION_END, HOLDOUT_END, cdnow_sample_csv


def test_the_holdout_weeks_add_up_to_the_summarys_holdout(cdnow: Store) -> None:
    dataset = cdnow.dataset("CDNOW")
    # 1997-10-01 .. 1998-06-30 is 273 days: exactly 39 weeks, as in the paper
    result = holdout_validation(cdnow, dataset, Filters(), CALIBRATION_END, HOLDOUT_END)
    assert len(result.weeks) == 39 and result.holdout_end == HOLDOUT_END
    summary = customer_summary(cdnow, dataset, CALIBRATION_END, HOLDOUT_END)
    # second method: the summary query's holdout count (another SQL path)
    assert result.weeks["actual_cumulative"].iloc[-1] == summary["holdout_frequency"].sum()
    # second method: every customer's own 39-week expectation, summed without grouping
    models = fit_clv_models(summary)
    each = [models.purchases.expected_purchases(39.0, x, tx, age).item() for x, tx, age in
            zip(summary["frequency"], summary["recency"], summary["T"], strict=True)]
    assert result.weeks["predicted_cumulative"].iloc[-1] == pytest.approx(sum(each))
    assert np.all(result.weeks["predicted"] > 0)
    actual, predicted = summary["holdout_frequency"].sum(), sum(each)
    assert result.error_pct == pytest.approx((predicted - actual) / actual * 100)


def test_a_calibration_end_without_a_holdout_is_refused(cdnow: Store) -> None:
    dataset = cdnow.dataset("CDNOW")
    with pytest.raises(InputError, match="at least a week before the data ends"):
        holdout_validation(cdnow, dataset, Filters(), HOLDOUT_END)


def test_at_risk_are_valuable_customers_probably_gone() -> None:
    """Past values 10..100 (top fifth: the 80th percentile is 82, so I and J), P(alive)
    0.9 for all but H, I and J: 0.2, 0.3 and 0.7. At risk: I only (valuable, under 0.5);
    H is unlikely alive but not valuable, J valuable but likely alive."""
    customers = pd.DataFrame({
        "customer_id": list("ABCDEFGHIJ"),
        "past_value": [10.0, 20, 30, 40, 50, 60, 70, 80, 90, 100],
        "probability_alive": [0.9] * 7 + [0.2, 0.3, 0.7],
        "clv": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        "group_value": [None] * 10,
    })
    result = PredictiveClv(CALIBRATION_END, 12, 0.1, None, customers)  # type: ignore[arg-type]
    assert list(result.at_risk()["customer_id"]) == ["I"]
    assert list(result.top_customers(3)["customer_id"]) == ["J", "I", "H"]


def test_predictions_label_customers_with_their_segment(tmp_path: Path) -> None:
    store = Store(":memory:")
    ingest_file(store, cdnow_sample_csv(tmp_path), dataset="CDNOW")
    dataset = store.dataset("CDNOW")
    result = predictive_clv(store, dataset, Filters(), calibration_end=CALIBRATION_END)
    assert len(result.customers) == 2357
    assert set(result.parameters()) == {"bgnbd", "gamma_gamma"}
    totals = result.by_group()
    assert totals["customers"].tolist() == [2357]
    assert totals["total_clv"].iloc[0] == pytest.approx(result.customers["clv"].sum())
