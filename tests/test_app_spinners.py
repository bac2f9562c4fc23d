"""Pages whose computations take seconds on a big shop (the CLV models' fits, the survival
curves) say what is being computed while they run, in the reader's language; a page
whose results are cached says nothing (Streamlit shows a spinner only after half a
second, so a cached result never flashes one)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import streamlit

from tests.test_app import open_app


@pytest.fixture
def spinners(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts of the spinners the pages open, in order."""
    texts: list[str] = []

    @contextmanager
    def spinner(text: str = "", **options: Any) -> Iterator[None]:
        texts.append(text)
        yield

    monkeypatch.setattr(streamlit, "spinner", spinner)
    return texts


def test_the_clv_page_says_it_fits_the_models(db: Path, spinners: list[str]) -> None:
    open_app(page="app_pages/clv.py")
    assert spinners == [
        "Fitting the CLV models (BG/NBD and Gamma-Gamma) to every customer's purchases…",
        "Fitting the CLV models on the calibration months and checking them on the months "
        "after…"]


def test_the_retention_page_says_it_computes_the_survival_curves(
        db: Path, spinners: list[str]) -> None:
    open_app(page="app_pages/retention.py")
    assert spinners == ["Computing the survival curves from every customer's purchases…"]

