"""Plain language on every page: what a marketing manager reads holds no internal words
(the reference articles, the engine), model parameters stay in an "Advanced" expander,
cards say whether a change is real without a p-value, and tables show no "None"."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from google.protobuf.message import Message
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Expander, Node

from tests.test_app import PAGES, dataset_id, open_app

INTERNAL_WORDS = re.compile(r"\bseeds?\b|duckdb", re.IGNORECASE)
MODEL_PARAMETERS = re.compile(r"(?:\br|α|\ba|\bb|\bp|\bq|γ) = \d")


def _strings(message: Message) -> Iterator[str]:
    """Every text field of a proto, nested messages included (the data of tables is bytes)."""
    for field, value in message.ListFields():
        values = value if field.is_repeated else [value]
        for item in values:
            if isinstance(item, str):
                yield item
            elif isinstance(item, Message):
                yield from _strings(item)


def rendered_texts(node: Node, expanders: tuple[str, ...] = ()
                   ) -> Iterator[tuple[tuple[str, ...], str]]:
    """Each text on the page (labels, values, help, captions) with the expanders around it."""
    proto = getattr(node, "proto", None)
    if isinstance(proto, Message):
        for text in _strings(proto):
            yield expanders, text
    if isinstance(node, Block):
        if isinstance(node, Expander):
            expanders = (*expanders, node.label)
        for child in node.children.values():
            yield from rendered_texts(child, expanders)


def page_texts(app: AppTest) -> list[tuple[tuple[str, ...], str]]:
    return list(rendered_texts(app._tree))


@pytest.mark.parametrize("page", PAGES)
def test_no_page_shows_internal_words(db: Path, page: str) -> None:
    # The demo with its survey answers and spend: every section of every page is drawn.
    app = open_app({"dataset": dataset_id(db, "Demo shop")}, page=page)
    texts = page_texts(app)
    assert texts, "the walk reads the page"
    found = [text for _, text in texts if INTERNAL_WORDS.search(text)]
    assert not found


def test_model_parameters_are_only_in_the_advanced_expander(db: Path) -> None:
    app = open_app({"dataset": dataset_id(db, "Demo shop")}, page="app_pages/clv.py")
    texts = page_texts(app)
    parameters = [(where, text) for where, text in texts if MODEL_PARAMETERS.search(text)]
    assert parameters, "the fitted parameters are still shown to analysts"
    assert all(where == ("Advanced: model parameters",) for where, _ in parameters), parameters


# -- cards ---------------------------------------------------------------------------------


def test_a_card_whose_change_is_zero_shows_no_arrow(db: Path) -> None:
    # Small shop, W = 30, March 2024 against February (tests/test_kpis.py works it out):
    # new customers 1 and 1, active customers {C, A} and {D, A}: no change; the base
    # falls from 3 to 2.
    app = open_app({"dataset": dataset_id(db, "Small shop"), "w": "30", "at": "2024-03-01"})
    cards = {metric.label: metric.proto for metric in app.metric}
    for label in ("New customers", "Active customers"):
        assert cards[label].delta == "0 (0.0%)"
        assert cards[label].direction == MetricProto.MetricDirection.NONE, label
        assert cards[label].color == MetricProto.MetricColor.GRAY, label
    base = cards["Customers in the base"]
    assert base.delta == "-1 (-33.3%)"
    assert base.direction == MetricProto.MetricDirection.DOWN
    assert base.color == MetricProto.MetricColor.RED


@pytest.mark.parametrize("page", ["app_pages/overview.py", "app_pages/satisfaction.py"])
def test_cards_say_whether_a_change_is_real_and_keep_the_p_value_for_the_tooltip(
        db: Path, page: str) -> None:
    app = open_app({"dataset": dataset_id(db, "Demo shop"), "at": "2026-10-01"}, page=page)
    verdicts = [c for c in app.caption
                if re.search(r"A real change|Within normal variation", c.value)]
    assert verdicts, "each card with a change says whether it is real"
    for verdict in verdicts:
        assert not re.search(r"\bp [=<]", verdict.value), verdict.value
        assert re.search(r"^Test: .+, p [=<] 0\.\d+", verdict.proto.help), verdict.proto.help
    assert not [c.value for c in app.caption if re.search(r"\bp [=<] 0", c.value)]


def test_an_incomplete_period_is_called_incomplete_once(db: Path) -> None:
    # The demo data stops on 20 Nov 2026.
    app = open_app({"dataset": dataset_id(db, "Demo shop"), "at": "2026-11-01"})
    warning = next(w.value for w in app.warning if "incomplete" in w.value)
    assert warning.startswith("Nov 2026 is incomplete: the data covers")
    assert warning.count("incomplete") == 1


# -- tables --------------------------------------------------------------------------------


def _holds_dates(values: pd.Series) -> bool:
    present = values.dropna()
    return not present.empty and all(isinstance(v, date) for v in present)


@pytest.mark.parametrize("page", PAGES)
def test_tables_show_no_none_and_have_headers_and_dates_for_people(db: Path, page: str) -> None:
    app = open_app({"dataset": dataset_id(db, "Demo shop")}, page=page, explainers=True)
    assert app.dataframe, "the page shows tables"
    for table in app.dataframe:
        columns = json.loads(table.proto.columns)
        frame = table.value
        # a missing value shows the placeholder, not "None"
        if frame.isna().any().any():
            assert table.proto.placeholder == "–", list(frame.columns)
        for column in frame.columns:
            assert not re.fullmatch(r"[a-z]+(_[a-z]+)+", column), "a header in words"
            if _holds_dates(frame[column]):
                assert columns[column]["type_config"]["format"] == "MMM D, YYYY", column


def test_the_overview_table_writes_amounts_in_the_datasets_currency(db: Path) -> None:
    app = open_app({"dataset": dataset_id(db, "Demo shop")}, explainers=True)
    kpis = next(table for table in app.dataframe if "Revenue" in table.value.columns)
    columns = json.loads(kpis.proto.columns)
    # The demo shop is in RON; amounts read "RON 1,234.50", rates "12.3%", counts "1,234".
    assert columns["Revenue"]["type_config"]["format"] == "RON\xa0%,.2f"
    assert columns["Retention rate (CRR)"]["type_config"]["format"] == "%,.1f%%"
    assert columns["Orders"]["type_config"]["format"] == "%,d"


def test_table_headers_are_words_not_column_names(db: Path) -> None:
    app = open_app({"dataset": dataset_id(db, "Demo shop")}, explainers=True)
    kpis = next(table for table in app.dataframe if "Revenue" in table.value.columns)
    assert list(kpis.value.columns[:3]) == ["Period", "First day", "Last day"]
    assert "Complete period" in kpis.value.columns
