"""Benchmark: the predictive CLV models (BG/NBD + Gamma-Gamma) on 1 million customers,
side by side with lifetimes in the same run, each the median of several repetitions.

1. Fitting. 1,000,000 customer summaries simulated (seeded numpy) from the published
   CDNOW fits: first purchases spread over 12 weeks, a BG/NBD purchase process (rate λ
   ~ gamma(r, α), drop-out after each purchase with p ~ beta(a, b)) observed day by day
   to a 39-week calibration end, several purchases on one day counting once, and each
   repeat buyer's mean spend from the Gamma-Gamma model, in cents. Timed:
   - LoyaltyLens: ``BetaGeoModel().fit`` + ``GammaGammaModel().fit`` (metrics.clv);
   - lifetimes 0.11.3: ``BetaGeoFitter().fit`` + ``GammaGammaFitter().fit`` on the same
     arrays, as its documentation uses them;
   - lifetimes given ``weights`` (identical histories grouped with pandas first, the
     grouping timed too): its fastest use.
   The parameters must agree to 3 significant digits.
2. The customer summary. ``metrics.clv.customer_summary`` (one DuckDB query on the stored
   orders) against ``lifetimes.utils.summary_data_from_transaction_data`` (pandas, on the
   orders in memory, refunds left out as ours does) with ``freq="D"``,
   ``freq_multiplier=7``, on the ~3.5 million orders of bench/generate.py's 1 million
   customers (calibration end 2024-12-31). The summaries must be equal.

Prints the tables and writes bench/results/clv.json. lifetimes is needed only here:
``.venv/bin/pip install lifetimes``. Run with ``.venv/bin/python -m bench.bench_clv``.
"""

from __future__ import annotations

import json
import platform
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.generate import START, orders_frame, write
from bench.timing import in_fresh_process, median_seconds, verdict
from metrics.clv import BetaGeoModel, GammaGammaModel, customer_summary
from metrics.ingest import ingest_file
from metrics.store import Store

RESULTS = Path(__file__).parent / "results"
CUSTOMERS = 1_000_000
REPEATS = 5
LIFETIMES_REPEATS = 3
SEED = 2005
# Fader, Hardie & Lee (2005) and Fader & Hardie (2013) on the CDNOW sample
CDNOW_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
CDNOW_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}
CALIBRATION_DAYS = 273  # 39 weeks
ACQUISITION_DAYS = 84  # first purchases in the first 12 weeks
# the bench orders run 2023-01-01 .. 2025-12-31
CALIBRATION_END = date(2024, 12, 31)
HOLDOUT_END = date(2025, 12, 31)
# Each side once more in a fresh process, for its peak memory (RSS): the same input
# (simulated summaries; the orders in DuckDB or, for lifetimes, in memory as pandas).
FIT_ONCE = """
import sys, warnings
warnings.simplefilter("ignore")
from bench.bench_clv import CUSTOMERS, fit_lifetimes, fit_ours, simulate_summaries
{fit}(simulate_summaries(CUSTOMERS))
"""
SUMMARY_ONCE = """
import sys
from bench.bench_clv import CALIBRATION_END, CUSTOMERS
if sys.argv[1] == "ours":
    from metrics.clv import customer_summary
    from metrics.store import Store
    with Store(sys.argv[2]) as store:
        customer_summary(store, store.dataset("bench"), CALIBRATION_END)
else:
    import warnings
    warnings.simplefilter("ignore")
    from bench.bench_clv import lifetimes_summary
    from bench.generate import orders_frame
    lifetimes_summary(orders_frame(CUSTOMERS))
"""


def simulate_summaries(customers: int, seed: int = SEED) -> pd.DataFrame:
    """Customer summaries (frequency, recency, T in weeks, monetary_value) of a BG/NBD +
    Gamma-Gamma population with the CDNOW parameters, observed by day."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = CDNOW_BGNBD.values()
    p, q, v = CDNOW_GAMMA_GAMMA.values()
    first_day = rng.integers(0, ACQUISITION_DAYS, size=customers)
    age_days = CALIBRATION_DAYS - 1 - first_day
    rate_per_day = rng.gamma(r, 1 / alpha, size=customers) / 7
    dropout = rng.beta(a, b, size=customers)
    frequency = np.zeros(customers, dtype=np.int64)
    last_day = np.zeros(customers, dtype=np.int64)
    clock = np.zeros(customers)
    buying = np.arange(customers)  # alive and still inside the calibration period
    while buying.size:
        with np.errstate(divide="ignore"):  # a rate that underflowed to 0 never buys
            clock[buying] += rng.exponential(1.0, size=buying.size) / rate_per_day[buying]
        buying = buying[clock[buying] < age_days[buying] + 1]
        day = np.floor(clock[buying]).astype(np.int64)
        new_day = day > last_day[buying]  # a second purchase on one day is no new day
        frequency[buying[new_day]] += 1
        last_day[buying] = day
        buying = buying[rng.random(buying.size) >= dropout[buying]]
    nu = rng.gamma(q, 1 / v, size=customers)
    repeat = frequency > 0
    monetary_value = np.zeros(customers)
    monetary_value[repeat] = np.round(rng.gamma(
        p * frequency[repeat], 1 / (nu[repeat] * frequency[repeat])), 2)
    return pd.DataFrame({"frequency": frequency, "recency": last_day / 7,
                         "T": age_days / 7, "monetary_value": monetary_value})


def fit_ours(summary: pd.DataFrame) -> dict[str, float]:
    purchases = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    spend = GammaGammaModel().fit(summary["frequency"], summary["monetary_value"])
    return purchases.params_ | spend.params_


def fit_lifetimes(summary: pd.DataFrame) -> dict[str, float]:
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    purchases = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    repeat = summary[summary["frequency"] > 0]
    spend = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    return purchases.params_.to_dict() | spend.params_.to_dict()


def fit_lifetimes_weighted(summary: pd.DataFrame) -> dict[str, float]:
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    histories = summary.groupby(["frequency", "recency", "T"]).size().reset_index()
    purchases = BetaGeoFitter().fit(histories["frequency"], histories["recency"],
                                    histories["T"], weights=histories[0])
    spends = (summary[summary["frequency"] > 0].groupby(["frequency", "monetary_value"])
              .size().reset_index())
    spend = GammaGammaFitter().fit(spends["frequency"], spends["monetary_value"],
                                   weights=spends[0])
    return purchases.params_.to_dict() | spend.params_.to_dict()


def agreement(ours: dict[str, float], theirs: dict[str, float]) -> dict[str, Any]:
    """Per parameter: both values, the relative difference, equal to 3 significant digits."""
    return {name: {"ours": ours[name], "lifetimes": theirs[name],
                   "relative_difference": abs(ours[name] - theirs[name]) / abs(theirs[name]),
                   "same_3_significant_digits": f"{ours[name]:.3g}" == f"{theirs[name]:.3g}"}
            for name in ours}


def lifetimes_summary(orders: pd.DataFrame) -> pd.DataFrame:
    from lifetimes.utils import summary_data_from_transaction_data

    purchases = orders[orders["amount"] >= 0]
    return summary_data_from_transaction_data(
        purchases, "customer_id", "order_date", monetary_value_col="amount",
        observation_period_end=pd.Timestamp(CALIBRATION_END), freq="D", freq_multiplier=7)


def print_table(title: str, rows: list[tuple[str, float]], base: float) -> None:
    print(f"\n{title}")
    print(f"{'method':<58}{'median s':>10}{'÷ LoyaltyLens':>15}")
    for name, seconds in rows:
        print(f"{name:<58}{seconds:>10.3f}{seconds / base:>15.1f}")


def bench_fit() -> dict[str, Any]:
    summary = simulate_summaries(CUSTOMERS)
    histories = len(summary.drop_duplicates(["frequency", "recency", "T"]))
    print(f"{CUSTOMERS:,} simulated customers, {int((summary['frequency'] > 0).sum()):,} "
          f"repeat buyers, {histories:,} distinct (x, t_x, T) "
          f"({platform.processor() or platform.machine()}, {platform.python_version()})")
    ours_seconds, ours = median_seconds(lambda: fit_ours(summary))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_seconds, theirs = median_seconds(lambda: fit_lifetimes(summary),
                                                LIFETIMES_REPEATS)
        weighted_seconds, weighted = median_seconds(lambda: fit_lifetimes_weighted(summary),
                                                    LIFETIMES_REPEATS)
    rows = [("LoyaltyLens BetaGeoModel + GammaGammaModel", ours_seconds),
            ("lifetimes BetaGeoFitter + GammaGammaFitter", theirs_seconds),
            ("lifetimes, identical histories grouped (weights=)", weighted_seconds)]
    print_table(f"Fitting BG/NBD + Gamma-Gamma on {CUSTOMERS:,} customers", rows, ours_seconds)
    compared = agreement(ours, theirs)
    compared_weighted = agreement(ours, weighted)
    print(f"\n{'parameter':<10}{'LoyaltyLens':>14}{'lifetimes':>14}{'rel. diff':>11}"
          f"{'3 s.d.':>8}{'simulated':>11}")
    truth = CDNOW_BGNBD | CDNOW_GAMMA_GAMMA
    for name, row in compared.items():
        print(f"{name:<10}{row['ours']:>14.6f}{row['lifetimes']:>14.6f}"
              f"{row['relative_difference']:>11.1e}"
              f"{'same' if row['same_3_significant_digits'] else 'DIFFER':>8}"
              f"{truth[name]:>11.3f}")
    agree = all(row["same_3_significant_digits"] for row in compared.values()) and all(
        row["same_3_significant_digits"] for row in compared_weighted.values())
    peaks = {"LoyaltyLens": in_fresh_process(FIT_ONCE.format(fit="fit_ours"))["peak_rss_mb"],
             "lifetimes": in_fresh_process(FIT_ONCE.format(fit="fit_lifetimes"))["peak_rss_mb"]}
    print(f"peak RSS: LoyaltyLens {peaks['LoyaltyLens']:,.0f} MB, lifetimes "
          f"{peaks['lifetimes']:,.0f} MB (simulating the summaries included)")
    print(f"parameters agree to 3 significant digits: {agree}; fit under 1 s: "
          f"{verdict(ours_seconds < 1)}; lifetimes / ours = "
          f"{theirs_seconds / ours_seconds:.1f}x (grouped: "
          f"{weighted_seconds / ours_seconds:.1f}x)")
    return {"customers": CUSTOMERS, "distinct_histories": histories,
            "repeat_customers": int((summary["frequency"] > 0).sum()),
            "repeats": {"loyaltylens": REPEATS, "lifetimes": LIFETIMES_REPEATS},
            "median_seconds": dict(rows), "target_seconds": 1.0,
            "speed_ratio_lifetimes_over_ours": theirs_seconds / ours_seconds,
            "speed_ratio_lifetimes_grouped_over_ours": weighted_seconds / ours_seconds,
            "parameters": compared, "parameters_grouped_lifetimes": compared_weighted,
            "simulated_from": truth, "agree_to_3_significant_digits": agree,
            "peak_rss_mb": peaks, "targets": {"fit under 1 s": verdict(ours_seconds < 1)}}


def bench_summary() -> dict[str, Any]:
    RESULTS.mkdir(exist_ok=True)
    database = RESULTS / "bench.duckdb"
    orders = orders_frame(CUSTOMERS)
    if not database.exists():  # the same database bench_cohorts builds
        csv_path, _ = write(orders, RESULTS, "orders-1m-customers")
        with Store(database) as store:
            ingest_file(store, csv_path, dataset="bench", currency="EUR")
    with Store(database) as store:
        dataset = store.dataset("bench")
        ours_seconds, ours = median_seconds(lambda: customer_summary(
            store, dataset, CALIBRATION_END))
        holdout_seconds, _ = median_seconds(lambda: customer_summary(
            store, dataset, CALIBRATION_END, HOLDOUT_END))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_seconds, theirs = median_seconds(lambda: lifetimes_summary(orders),
                                                LIFETIMES_REPEATS)
    theirs = theirs.reset_index()
    merged = ours.merge(theirs, on="customer_id", suffixes=("", "_lifetimes"))
    equal = len(merged) == len(ours) == len(theirs) and all(
        np.allclose(merged[column], merged[f"{column}_lifetimes"], rtol=1e-9, atol=1e-9)
        for column in ("frequency", "recency", "T", "monetary_value"))
    rows = [("LoyaltyLens customer_summary (SQL in DuckDB)", ours_seconds),
            ("lifetimes summary_data_from_transaction_data (pandas)", theirs_seconds),
            ("LoyaltyLens customer_summary with a holdout period", holdout_seconds)]
    print_table(f"Customer summary of {len(ours):,} customers from {len(orders):,} orders "
                f"({START} to {CALIBRATION_END}, holdout to {HOLDOUT_END})", rows,
                ours_seconds)
    peaks = {"LoyaltyLens": in_fresh_process(SUMMARY_ONCE, "ours", str(database))["peak_rss_mb"],
             "lifetimes": in_fresh_process(SUMMARY_ONCE, "lifetimes")["peak_rss_mb"]}
    print(f"peak RSS: LoyaltyLens {peaks['LoyaltyLens']:,.0f} MB, lifetimes "
          f"{peaks['lifetimes']:,.0f} MB (generating the orders in memory included)")
    ratio = theirs_seconds / ours_seconds
    print(f"summaries equal: {equal}; lifetimes / ours = {ratio:.1f}x; at least 10x faster: "
          f"{verdict(ratio >= 10)}")
    return {"orders": len(orders), "customers_in_summary": len(ours),
            "calibration_end": CALIBRATION_END.isoformat(),
            "holdout_end": HOLDOUT_END.isoformat(), "median_seconds": dict(rows),
            "repeats": {"loyaltylens": REPEATS, "lifetimes": LIFETIMES_REPEATS},
            "speed_ratio_lifetimes_over_ours": ratio, "summaries_equal": equal,
            "peak_rss_mb": peaks,
            "targets": {"summary at least 10x faster than lifetimes": verdict(ratio >= 10)}}


def main() -> None:
    results = {"fit": bench_fit(), "summary": bench_summary(),
               "machine": f"{platform.processor() or platform.machine()}, Python "
                          f"{platform.python_version()}"}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "clv.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
