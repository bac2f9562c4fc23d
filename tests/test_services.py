"""The dashboard's cached metric calls: a page names a metric function, not a string, so
mypy checks the function, its options and the type of its result."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import services
from metrics.query.filters import Filters
from metrics.store import Dataset

ROOT = Path(__file__).parent.parent

CALLS = '''
from dashboard import services
from metrics.query.filters import Filters
from metrics.satisfaction import nps_table
from metrics.simulator import baseline
from metrics.store import Dataset


def page(dataset: Dataset, filters: Filters) -> None:
    services.compute("nps", dataset, filters)
    services.compute(nps_table, dataset, filters, bye="channel")
    months: int = services.compute(baseline, dataset, filters)
    services.compute(nps_table, dataset, filters, by="channel", min_responses=30)
'''


def test_mypy_checks_the_function_its_options_and_its_result(tmp_path: Path) -> None:
    snippet = tmp_path / "page_snippet.py"
    snippet.write_text(CALLS, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
         "--cache-dir", str(ROOT / ".mypy_cache"), str(snippet)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "MYPYPATH": str(ROOT)})
    errors = [line.split(": error: ")[0].rsplit(":", 1)[-1] + ": " + line.split("[")[-1]
              for line in result.stdout.splitlines() if ": error: " in line]
    # a string is no metric, "bye" is no option of nps_table, a Baseline is no int; the
    # last call is right
    assert errors == ["10: arg-type]", "11: call-arg]", "12: assignment]"], result.stdout


def test_every_cached_function_takes_the_store_the_dataset_and_the_filters() -> None:
    for function in services._METRICS:
        parameters = list(inspect.signature(function).parameters)
        assert parameters[:3] == ["store", "dataset", "filters"], function
    assert len(services._BY_KEY) == len(services._METRICS)


def test_a_function_the_dashboard_does_not_cache_is_refused() -> None:
    def not_a_metric(store: object, dataset: Dataset, filters: Filters) -> int:
        return 0

    with pytest.raises(ValueError, match="not a metric function"):
        services.compute(not_a_metric, Dataset.__new__(Dataset), Filters())


def test_the_benchmarks_are_read_again_only_once_the_store_changed(
        isolated_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # every run of every session's sidebar asks for them: a query each time was 4% of the
    # server's time with 20 sessions on one view
    from metrics import benchmarks as benchmark_module
    from metrics.store import Store

    reads: list[int] = []
    read = benchmark_module.all_benchmarks
    monkeypatch.setattr(services, "all_benchmarks",
                        lambda store: reads.append(1) or read(store))
    shipped = len(benchmark_module.shipped_benchmarks())
    assert len(services.benchmarks()) == shipped
    assert len(services.benchmarks()) == shipped
    assert len(reads) == 1
    with Store(isolated_db) as other:  # another process saves a set of 2 figures
        benchmark_module.save_benchmarks(other, "Targets", benchmark_module.read_benchmark_file(
            _template(isolated_db.parent), "Targets"))
    assert len(services.benchmarks()) == shipped + 2
    assert len(reads) == 2


def _template(folder: Path) -> Path:
    from metrics.benchmarks import template_csv
    path = folder / "targets.csv"
    path.write_text(template_csv(), encoding="utf-8")
    return path
