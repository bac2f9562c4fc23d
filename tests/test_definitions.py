"""The metric registry: every entry complete, pages read it instead of restating it, and
the survey measures' changes go through the one change test of ``metrics.significance``."""

from __future__ import annotations

import ast
import math
from pathlib import Path
from typing import get_args

import pytest

from metrics import satisfaction, significance
from metrics.benchmarks import BENCHMARK_METRICS, BenchmarkMetric
from metrics.definitions import (
    ALL_METRICS,
    LIFECYCLE,
    REGISTRY,
    SURVEY_METRICS,
    TEST_KINDS,
    ChangeTest,
    Unit,
)
from metrics.significance import TOO_LITTLE_DATA, NotTested, Significance, change_test

ROOT = Path(__file__).parent.parent


def test_every_registry_entry_is_complete() -> None:
    ids = [metric.id for metric in ALL_METRICS]
    assert len(ids) == len(set(ids))
    for metric in ALL_METRICS:
        assert metric.id and metric.label, metric
        assert metric.unit in get_args(Unit), metric.id
        assert metric.definition.endswith("."), metric.id
        assert isinstance(metric.higher_is_better, bool), metric.id
        assert isinstance(metric.test, ChangeTest), metric.id
        assert metric.test.kind in TEST_KINDS, metric.id
    # the survey measures are entries like the KPIs, each with the test that fits it
    kinds = {m: SURVEY_METRICS[m].test.kind for m in ("nps", "csat", "cli")
             if SURVEY_METRICS[m].test is not None}
    assert kinds == {"nps": "nps", "csat": "proportion", "cli": "mean"}
    assert [m.id for m in LIFECYCLE] == ["new_customers", "returning_customers",
                                         "resurrected_customers", "dormant_customers",
                                         "quick_ratio"]


def _string_constants(path: Path) -> list[str]:
    """Every string literal of a module but its docstrings, implicitly joined lines as one
    string."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings]


def test_no_page_writes_a_metric_definition() -> None:
    texts = [(metric.id, metric.definition) for metric in ALL_METRICS]
    texts += [(metric.id, metric.margin_of_error) for metric in ALL_METRICS
              if metric.margin_of_error]
    # the texts the pages used to hold: the start of each definition, the test names
    texts += [("nps", "% promoters (9-10)"), ("csat", "that are 4 or 5"),
              ("cli", "mean of the three 1-6 answers"),
              ("resurrected_customers", "Resurrected: active now")]
    texts += [(metric.id, text) for metric in ALL_METRICS if metric.test is not None
              for text in (metric.test.summary, metric.test.note) if text]
    for path in (ROOT / "dashboard").rglob("*.py"):
        for constant in _string_constants(path):
            for metric_id, text in texts:
                assert text not in constant, f"{path} restates {metric_id}: {constant!r}"


def _period(complete: bool = True, **counts: float | None) -> dict[str, object]:
    return {"complete": complete, **counts}


def test_survey_changes_use_the_one_change_test() -> None:
    # satisfaction keeps no change test of its own
    assert satisfaction.change_test is significance.change_test
    nps = SURVEY_METRICS["nps"]
    # 6 promoters and 2 detractors of 10 against 3 and 5 of 10: NPS 0.4 and -0.2, variances
    # (0.6 + 0.2 - 0.16) / 10 = 0.064 and (0.3 + 0.5 - 0.04) / 10 = 0.076
    result = change_test(nps, _period(promoters=6, detractors=2, responses=10),
                         _period(promoters=3, detractors=5, responses=10))
    z = 0.6 / math.sqrt(0.14)
    assert isinstance(result, Significance)
    assert result.statistic == pytest.approx(z)
    assert result.p_value == pytest.approx(math.erfc(z / math.sqrt(2)))
    # CSAT: 1 of 1 against 2 of 5, pooled 3/6, se = sqrt(0.25 x 1.2), z = 0.6 / 0.5477
    csat = change_test(SURVEY_METRICS["csat"], _period(satisfied=1, responses=1),
                       _period(satisfied=2, responses=5))
    assert isinstance(csat, Significance)
    assert csat.statistic == pytest.approx(0.6 / math.sqrt(0.3))
    # CLI: 5 (SD 1) of 10 against 4 (SD 1) of 10, Welch's t = 1 / sqrt(0.1 + 0.1)
    cli = SURVEY_METRICS["cli"]
    means = change_test(cli, _period(cli=5.0, cli_sd=1.0, responses=10),
                        _period(cli=4.0, cli_sd=1.0, responses=10))
    assert isinstance(means, Significance)
    assert means.statistic == pytest.approx(1 / math.sqrt(0.2))
    assert change_test(cli, _period(cli=5.0, cli_sd=None, responses=1),
                       _period(cli=4.0, cli_sd=1.0, responses=10)) == NotTested(TOO_LITTLE_DATA)


def test_benchmarks_name_registry_metrics_from_the_registry() -> None:
    shared = [m for m in BENCHMARK_METRICS.values() if m.id in REGISTRY]
    assert {m.id for m in shared} == {"retention_rate", "churn_rate", "repeat_purchase_rate",
                                      "nps", "csat"}
    for metric in shared:
        assert metric.label == REGISTRY[metric.id].name
    # the names users see with published figures, as they were
    assert BENCHMARK_METRICS["nps"].label == "Net Promoter Score"
    assert BENCHMARK_METRICS["retention_rate"].label == "Customer retention rate"
    # NPS figures compare in NPS points, the rates in percent
    assert [BENCHMARK_METRICS[i].comparable for i in ("nps", "csat", "churn_rate")] == [
        "nps", "percent", "percent"]
    # no label or unit of a registry metric is written a second time in benchmarks.py
    names = {text for m in ALL_METRICS for text in (m.label, m.long_label) if text}
    written = set(_string_constants(ROOT / "metrics" / "benchmarks.py"))
    assert not names & written
    with pytest.raises(ValueError, match="registry entry"):
        BenchmarkMetric("nps", ("nps",), "nps", own_label="NPS", own_comparable="nps")
