"""What a page run costs the server: a chart's data files are written when a user asks for
them, not on every run of every session (the browser test downloads one); a chart's figure
is built once for what it shows and its language, not by every session."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest
from plotly.basedatatypes import BaseFigure
from streamlit.runtime.caching import cache_utils
from streamlit.testing.v1 import AppTest

from dashboard import figures, retention_charts, widgets
from dashboard.figures import figure_key
from metrics import export
from metrics.i18n import language
from tests.test_app import open_app
from tests.test_i18n_switch import translated

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


RETENTION = "app_pages/retention.py"
RETENTION_CHARTS = ("rates_chart", "cohort_heatmap", "curves_chart", "lifecycle_chart",
                    "survival_chart")


def _count_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The Retention page's chart builders, counted where the page imports them from
    (each keeps its name, so the figures are cached as the builder's own)."""
    built: list[str] = []

    def counted(builder: Callable[..., go.Figure]) -> Callable[..., go.Figure]:
        @functools.wraps(builder)
        def build(*args: Any, **kwargs: Any) -> go.Figure:
            built.append(builder.__name__)
            return builder(*args, **kwargs)
        return build

    for name in RETENTION_CHARTS:
        monkeypatch.setattr(retention_charts, name, counted(getattr(retention_charts, name)))
    figures.clear()
    return built


def _specs(app: AppTest) -> dict[str, str]:
    return {chart.proto.id: chart.proto.spec for chart in app.get("plotly_chart")}


def test_a_second_session_on_the_same_view_builds_no_figure(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = _count_builds(monkeypatch)
    first = open_app(page=RETENTION)
    assert sorted(built) == sorted(RETENTION_CHARTS)  # each chart built once
    built.clear()
    copied: list[str] = []  # Plotly's deep copy of a figure, which st.plotly_chart asks for
    to_dict = BaseFigure.to_dict

    @functools.wraps(to_dict)
    def counted_copy(self: BaseFigure) -> dict[str, Any]:
        copied.append(str(self.layout.title.text))
        return to_dict(self)

    monkeypatch.setattr(BaseFigure, "to_dict", counted_copy)
    second = open_app(page=RETENTION)  # another session, the same view
    assert built == [] and copied == []
    assert _specs(second) == _specs(first) and len(_specs(first)) == len(RETENTION_CHARTS)


def test_a_session_in_another_language_or_view_gets_its_own_figures(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = _count_builds(monkeypatch)
    open_app({"period": "week"}, page=RETENTION)
    built.clear()
    romanian = open_app({"period": "week", "lang": "ro"}, page=RETENTION)
    assert sorted(built) == sorted(RETENTION_CHARTS)  # nothing of the English session's
    title = json.loads(next(c for c in romanian.get("plotly_chart")
                            if c.proto.id.endswith("-rates_chart")).proto.spec)["layout"]["title"]
    assert title["text"] == translated("ro", "Retention and churn by {period}").format(
        period=translated("ro", "week"))
    built.clear()
    open_app({"period": "week", "w": "45"}, page=RETENTION)  # another W: other numbers
    assert "rates_chart" in built


def test_a_figure_is_keyed_by_its_data_not_by_the_frame_object() -> None:
    frame = pd.DataFrame({"period_start": [date(2024, 1, 1), date(2024, 2, 1)],
                          "retention_rate": [80.0, 75.5]})
    same = frame.copy()
    changed = frame.copy()
    changed.loc[1, "retention_rate"] = 75.6
    key = figure_key(retention_charts.rates_chart, frame, "month")
    assert figure_key(retention_charts.rates_chart, same, "month") == key
    assert figure_key(retention_charts.rates_chart, changed, "month") != key
    assert figure_key(retention_charts.rates_chart, frame, "week") != key
    assert figure_key(retention_charts.lifecycle_chart, frame, "month") != key
    token = language.set("ru")
    try:
        assert figure_key(retention_charts.rates_chart, frame, "month") != key
    finally:
        language.reset(token)


def test_a_second_session_on_the_same_view_converts_no_table(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    converted: list[int] = []
    convert = widgets.convert_pandas_df_to_arrow_table

    @functools.wraps(convert)
    def counted(frame: pd.DataFrame, **options: Any) -> Any:
        converted.append(len(frame))
        return convert(frame, **options)

    monkeypatch.setattr(widgets, "convert_pandas_df_to_arrow_table", counted)
    figures.clear()
    first = open_app(page=RETENTION)
    assert converted and len(converted) == len(first.dataframe)  # every table, once
    converted.clear()
    second = open_app(page=RETENTION)
    assert converted == []
    for mine, theirs in zip(second.dataframe, first.dataframe, strict=True):
        pd.testing.assert_frame_equal(mine.value, theirs.value)
        assert mine.proto.columns == theirs.proto.columns


def test_a_cached_result_is_looked_up_by_one_text_of_its_arguments(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Streamlit hashing a cached function's arguments one by one pickles the filter state
    # (a dataclass) on every read; keyed by one text of them (figure_key), it hashes texts
    hashed: list[str] = []
    update_hash = cache_utils.update_hash

    @functools.wraps(update_hash)
    def counted(value: Any, *args: Any, **kwargs: Any) -> Any:
        hashed.append(type(value).__name__)
        return update_hash(value, *args, **kwargs)

    monkeypatch.setattr(cache_utils, "update_hash", counted)
    first = open_app({"period": "week"}, page=RETENTION)
    hashed.clear()
    second = open_app({"period": "week"}, page=RETENTION)  # another session, the same view
    assert hashed and "Filters" not in hashed
    assert _specs(second) == _specs(first)
    other = open_app({"period": "week", "w": "45"}, page=RETENTION)  # other numbers
    assert _specs(other) != _specs(first)


def _button_rows(node: Any) -> list[Any]:
    """The blocks holding download buttons, in the page's order."""
    children = list((getattr(node, "children", None) or {}).values())
    here = [node] if any(getattr(c, "type", "") == "download_button" for c in children) else []
    return here + [row for child in children for row in _button_rows(child)]


def test_a_rows_download_buttons_are_one_element_not_columns(db: Path) -> None:
    # a chart's image buttons and a table's data buttons side by side in one horizontal
    # container: columns made four elements of each row, drawn and sent on every run
    app = open_app(page=RETENTION)
    rows = _button_rows(app.main)
    assert [row.type for row in rows] == ["flex_container"] * len(rows)
    assert all(row.proto.flex_container.direction == row.proto.flex_container.HORIZONTAL
               for row in rows)
    keys = [sorted(c.key for c in row.children.values()) for row in rows]
    for chart in RETENTION_CHARTS:  # each chart's two images share their row
        assert [f"{chart}_png", f"{chart}_svg"] in keys


def test_a_column_of_dates_is_keyed_by_every_day() -> None:
    days = [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    frame = pd.DataFrame({"period_start": days, "customers": [3, 4, 5]})
    key = figure_key(retention_charts.lifecycle_chart, frame, "month")
    same = pd.DataFrame({"period_start": [date(2024, 1, 1), date(2024, 2, 1),
                                          date(2024, 3, 1)], "customers": [3, 4, 5]})
    assert figure_key(retention_charts.lifecycle_chart, same, "month") == key
    for other in ([date(2024, 1, 1), date(2024, 2, 2), date(2024, 3, 1)],  # one day later
                  [datetime(2024, 1, 1), datetime(2024, 2, 1), datetime(2024, 3, 1)],
                  [date(2024, 1, 1), date(2024, 2, 1), None],
                  ["2024-01-01", "2024-02-01", "2024-03-01"]):
        changed = frame.assign(period_start=pd.Series(other, dtype=object))
        assert figure_key(retention_charts.lifecycle_chart, changed, "month") != key, other


def test_a_second_session_on_the_same_view_builds_no_rates_table(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the rates table as shown (tests of each change, texts in the session's language) is
    # made once for its data and language, like a figure
    tested: list[int] = []
    with_change_tests = retention_charts.with_change_tests

    @functools.wraps(with_change_tests)
    def counted(table: pd.DataFrame) -> pd.DataFrame:
        tested.append(len(table))
        return with_change_tests(table)

    monkeypatch.setattr(retention_charts, "with_change_tests", counted)
    figures.clear()
    first = open_app({"period": "quarter"}, page=RETENTION)
    assert len(tested) == 1
    second = open_app({"period": "quarter"}, page=RETENTION)
    assert len(tested) == 1
    pd.testing.assert_frame_equal(second.dataframe[0].value, first.dataframe[0].value)
    romanian = open_app({"period": "quarter", "lang": "ro"}, page=RETENTION)
    assert len(tested) == 2  # its own, in Romanian
    assert translated("ro", "Period") in romanian.dataframe[0].value.columns
