"""The Spark tests' one local Spark session (local[2]: the CI machine's two cores),
started once for the whole job: starting Spark takes seconds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from metrics.engines.spark_session import spark_session


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    session = spark_session(master="local[2]", config={"spark.driver.memory": "1g"})
    yield session
    session.stop()
