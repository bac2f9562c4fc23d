"""Benchmark: the report of all five pages (``loyaltylens report``'s PDF) for the shop of
BENCH_CUSTOMERS customers (default 300,000: about 1 million orders), with the default
filters (every month, W = 90 days): the time to compute the numbers and render the charts
(kaleido, a cold browser, then a warm one for a second report), the time to write the PDF
(WeasyPrint), and the peak memory of the Python process (the browser drawing the charts
is a process of its own, not counted). One run in a fresh process: a report is made on a
click, not in a loop. Writes bench/results/report-<customers>.json.
"""

from __future__ import annotations

import json
import os

from bench.bench_pages import RESULTS, W, bench_store
from bench.timing import in_fresh_process

REPORT_ONCE = """
import sys, time, warnings, logging
warnings.filterwarnings("ignore")  # Streamlit warns that no app is running
logging.getLogger("streamlit").setLevel(logging.ERROR)
from dashboard.report import build_report
from metrics.query.filters import Filters
from metrics.report import to_html, to_pdf
from metrics.store import Store
with Store(sys.argv[1]) as store:
    dataset = store.dataset("bench")
    filters = Filters(period="month", inactivity_days=int(sys.argv[2]))
    times = []
    for _ in range(2):  # the first with a cold browser, the second with a warm one
        started = time.perf_counter()
        report = build_report(store, dataset, filters)
        built = time.perf_counter()
        pdf = to_pdf(to_html(report))
        times.append((built - started, time.perf_counter() - built))
REPORT = {"build_seconds": [b for b, _ in times], "pdf_seconds": [p for _, p in times],
          "pdf_bytes": len(pdf), "charts": sum(len(s.charts) for s in report.sections)}
"""


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    customers = int(os.environ.get("BENCH_CUSTOMERS", "300000"))
    database, _ = bench_store(customers)
    result = in_fresh_process(REPORT_ONCE, str(database), str(W))
    (cold_build, warm_build), (cold_pdf, warm_pdf) = (result["build_seconds"],
                                                      result["pdf_seconds"])
    print(f"report of 5 pages, {customers:,} customers' orders, {result['charts']} charts, "
          f"{result['pdf_bytes'] / 1e6:.1f} MB PDF")
    print(f"{'':<28}{'numbers + charts s':>20}{'PDF s':>8}{'total s':>9}")
    for name, build, pdf in (("cold browser", cold_build, cold_pdf),
                             ("warm browser", warm_build, warm_pdf)):
        print(f"{name:<28}{build:>20.2f}{pdf:>8.2f}{build + pdf:>9.2f}")
    print(f"peak memory (Python process): {result['peak_rss_mb']:,.0f} MB")
    (RESULTS / f"report-{customers}.json").write_text(json.dumps({
        "customers": customers, "charts": result["charts"],
        "seconds": {"cold": cold_build + cold_pdf, "warm": warm_build + warm_pdf,
                    "numbers_and_charts": result["build_seconds"],
                    "pdf": result["pdf_seconds"]},
        "peak_rss_mb": result["peak_rss_mb"], "pdf_bytes": result["pdf_bytes"]}, indent=2))


if __name__ == "__main__":
    main()
