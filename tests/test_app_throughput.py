"""What a page run costs the server: a chart's data files are written when a user asks for
them, not on every run of every session (the browser test downloads one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dashboard import widgets
from metrics import export
from tests.test_app import open_app

CHART_PAGES = ("app_pages/overview.py", "app_pages/retention.py", "app_pages/clv.py",
               "app_pages/segments/segments.py", "app_pages/satisfaction.py")


@pytest.mark.parametrize("page", CHART_PAGES)
def test_opening_a_page_writes_no_data_file(db: Path, monkeypatch: pytest.MonkeyPatch,
                                            page: str) -> None:
    written: list[str] = []

    def counted(name: str, write: Any) -> Any:
        def run(frame: pd.DataFrame, *args: Any) -> Any:
            written.append(name)
            return write(frame, *args)
        return run

    # where the pages find them: the module, and the widgets that imported them
    for module in (export, widgets):
        monkeypatch.setattr(module, "to_csv", counted("csv", export.to_csv))
        monkeypatch.setattr(module, "to_excel", counted("excel", export.to_excel))
    app = open_app(page=page)
    labels = [button.proto.label for button in app.get("download_button")]
    assert "Data as CSV" in labels and "Data as Excel" in labels  # the buttons are there
    assert written == []
