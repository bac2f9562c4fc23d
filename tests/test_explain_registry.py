"""The registry's contract with explain(): every number a user reads can be explained.
Every registry id is an explained metric, and ``loyaltylens explain --metric <id> ...
--format json`` succeeds on the demo data for each, at the first number of its table that
its family names (:attr:`metrics.explain.base.Family.example`), with inputs that recompute
the value (run in-process through :func:`metrics.cli.main`, one call per id)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from metrics.cli import main
from metrics.definitions import REGISTRY
from metrics.explain import EXPLAINED_METRICS, FAMILIES, FORMULAS
from metrics.explain.base import At
from metrics.query.filters import Filters
from metrics.store import Store

DEMO = "Demo shop"

# The CLI's flag of each option of explain(), and how it writes the value.
_OPTION_FLAGS = {"by": "--by", "gross_margin": "--gross-margin",
                 "calibration_end": "--calibration-end", "horizon_months": "--horizon-months",
                 "annual_discount_rate": "--discount-rate"}


def test_every_registry_id_is_explained() -> None:
    explained = {metric.id for metric in EXPLAINED_METRICS}
    assert [metric_id for metric_id in REGISTRY if metric_id not in explained] == []
    assert len(EXPLAINED_METRICS) == len(explained)  # no metric in two families


def _value(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _arguments(at: At) -> Iterator[str]:
    """The CLI's arguments naming the number ``at`` names."""
    if at.period_start is not None:
        yield from ("--period", at.period_start.isoformat())
    if at.offset is not None:
        yield from ("--offset", str(at.offset))
    if at.group is not None:
        yield from ("--group", str(at.group))
    for name, value in at.options.items():
        yield from (_OPTION_FLAGS[name], _value(value))


def _recomputed(metric_id: str, data: dict[str, object]) -> float | None:
    inputs = {item["id"]: item["value"] for item in data["inputs"]}  # type: ignore[attr-defined]
    return FORMULAS[metric_id].compute(inputs)


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def test_the_cli_explains_every_registry_id_on_the_demo(
        db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store(db) as store:
        dataset = store.dataset(DEMO)
        examples = {metric.id: family.example(store, dataset, Filters(), metric)
                    for family in FAMILIES for metric in family.metrics}
    failures = []
    for metric_id in REGISTRY:
        arguments = ["--db", str(db), "explain", "--metric", metric_id, "--dataset", DEMO,
                     *_arguments(examples[metric_id]), "--format", "json"]
        code = main(arguments)
        out, err = capsys.readouterr()
        if code != 0:
            failures.append(f"{' '.join(arguments[3:])}: {err.strip()}")
            continue
        data = json.loads(out)
        assert data["metric"] == metric_id
        assert _close(_recomputed(metric_id, data), data["value"]), (metric_id, data["value"])
    assert failures == [], "\n".join(failures)
