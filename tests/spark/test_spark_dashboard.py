"""The dashboard started against Spark (LOYALTYLENS_ENGINE=spark, LOYALTYLENS_SPARK_SOURCE):
the Overview shows the numbers worked out by hand, computed on the local Spark, with a
spinner around each query."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import services
from metrics.cli import main
from metrics.engines.spark import ENGINE_ENV_VAR, SOURCE_ENV_VAR
from metrics.store import Store
from tests.builders import SMALL_ORDERS
from tests.test_app import SMALL_SHOP_FEBRUARY_CARDS

pytestmark = pytest.mark.spark

APP = str(Path(__file__).parent.parent.parent / "dashboard" / "app.py")


def test_the_overview_on_spark_shows_the_numbers(spark: Any, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    db, export = tmp_path / "db", tmp_path / "export"
    main(["--db", str(db), "ingest", "--dataset", "Small shop", "--currency", "EUR",
          str(SMALL_ORDERS)])
    with Store(db) as store:
        dataset_id = store.dataset("Small shop").id
    assert main(["--db", str(db), "export", "--dataset", "Small shop",
                 "--parquet", str(export)]) == 0
    monkeypatch.setenv(ENGINE_ENV_VAR, "spark")
    monkeypatch.setenv(SOURCE_ENV_VAR, str(export))
    spinners: list[str] = []
    spinner = services.st.spinner

    @contextmanager
    def noted(text: str, *args: Any, **kwargs: Any) -> Any:
        spinners.append(text)
        with spinner(text, *args, **kwargs):
            yield

    monkeypatch.setattr(services.st, "spinner", noted)
    app = AppTest.from_file(APP, default_timeout=600)
    for key, value in {"dataset": dataset_id, "w": "30", "at": "2024-02-01"}.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, app.exception
    # February 2024 in the small shop with W = 30, worked out by hand in test_kpis.py
    # (and shown so on DuckDB by test_app.py)
    shown = {metric.label: metric.value for metric in app.metric}
    assert shown == SMALL_SHOP_FEBRUARY_CARDS
    assert spinners and set(spinners) == {"Computing on Spark…"}
