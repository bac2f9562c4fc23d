"""The Satisfaction page under AppTest: it opens on the demo, on an empty database and on
data without survey responses; its numbers equal the ``metrics`` results (and the survey
worked out by hand in tests/test_satisfaction.py); its own widgets live in the URL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.filters import group_name
from dashboard.satisfaction_charts import nps_segment_chart, nps_trend_chart
from metrics.benchmarks import Comparison
from metrics.demo import DEMO_NAME
from metrics.ingest import ingest_file
from metrics.query.filters import Filters
from metrics.satisfaction import nps_latest_answers, nps_table, response_coverage
from metrics.store import Store
from tests.builders import write_csv
from tests.test_app import open_app, unescaped
from tests.test_app_retention import figure
from tests.test_satisfaction import ORDERS, SURVEY, SURVEY_HEADER

PAGE = "app_pages/satisfaction.py"
CHARTS = ("nps_trend", "nps_mix", "nps_distribution", "nps_segments", "csat_trend",
          "cli_trend", "behaviour_retention", "behaviour_revenue")


@pytest.fixture
def survey_db(db: Path, tmp_path: Path) -> Path:
    """The demo database plus the hand-worked survey and its orders ("Survey shop")."""
    with Store(db) as store:
        ingest_file(store, write_csv(tmp_path / "o.csv", ("customer_id", "order_date",
                                                          "amount", "channel"), ORDERS),
                    dataset="Survey shop")
        ingest_file(store, write_csv(tmp_path / "r.csv", SURVEY_HEADER, SURVEY),
                    dataset="Survey shop", kind="responses")
    return db


def survey_query(db: Path, **extra: str) -> dict[str, str]:
    with Store(db) as store:
        return {"dataset": store.dataset("Survey shop").id, "start": "2025-01-01",
                "end": "2025-04-30", **extra}


def comments_shown(app: AppTest) -> pd.DataFrame:
    return next(d.value for d in app.dataframe if "Comment" in d.value.columns)


def captions(app: AppTest) -> list[str]:
    return [unescaped(c.value) for c in app.caption]


def test_the_page_opens_on_the_demo(db: Path) -> None:
    app = open_app(page=PAGE)
    assert app.title[0].value == "Satisfaction (NPS)"
    assert not app.error and not app.warning
    assert [c.proto.id.rsplit("-", 1)[-1] for c in app.get("plotly_chart")] == list(CHARTS)
    labels = [m.label for m in app.metric]
    assert labels[0] == "NPS, whole range"
    assert labels[-1] == "NPS, latest answers"
    assert [label.split(" in ")[0] for label in labels[1:4]] == ["NPS", "CSAT", "CLI"]
    assert any(" (against " in c for c in captions(app))  # a significance verdict
    assert len(comments_shown(app)) > 0


def test_the_page_opens_on_an_empty_database(isolated_db: Path) -> None:
    app = open_app(page=PAGE)
    assert app.title[0].value == "Satisfaction (NPS)"
    assert app.info


def test_a_dataset_without_responses_says_how_to_upload_a_survey(db: Path) -> None:
    with Store(db) as store:
        small = store.dataset("Small shop").id
    app = open_app({"dataset": small}, page=PAGE)
    assert not app.error
    assert "upload a survey export" in unescaped(app.info[0].value)
    assert not app.get("plotly_chart")


def test_the_numbers_shown_equal_the_hand_worked_survey(survey_db: Path) -> None:
    app = open_app(survey_query(survey_db), page=PAGE)
    assert not app.error and not app.warning
    cards = {m.label: (m.value, m.delta) for m in app.metric}
    # April: 75 (3 promoters, 1 passive of 4); March has no answer, so no change or test
    assert cards["NPS in Apr 2025"] == ("+75.0", "")
    assert cards["CSAT in Apr 2025"] == ("100.0%", "")
    # each customer's latest answer: (3 - 2) / 7 = 14.3
    assert cards["NPS, latest answers"][0] == "+14.3"
    # every answer of January to April: 5 promoters (10, 9, 9, 10, 9), 3 passives (7, 8, 8)
    # and 2 detractors (3, 6) of 10: (5 - 2) / 10 = 30; variance 0.5 + 0.2 - 0.3² = 0.61,
    # 1.96 x sqrt(0.61 / 10) x 100 = 48.41 points. It comes first.
    assert app.metric[0].label == "NPS, whole range"
    assert cards["NPS, whole range"][0] == "+30.0"
    assert "± 48.4 points (95%), 10 answers" in captions(app)
    assert "Not tested: too little data in these periods (against Mar 2025)" in captions(app)
    trend = figure(app, "nps_trend")["data"]
    assert trend[0]["y"] == [5, 1, 0, 4]  # answers per month
    assert trend[3]["y"] == [0.0, 0.0, None, 75.0]
    assert trend[2]["y"][0] == pytest.approx(78.4)  # January's band: 0 + 78.4
    assert trend[2]["y"][3] == pytest.approx(100.0)  # 75 + 42.4, cut at 100
    segments = figure(app, "nps_segments")["data"][0]
    assert segments["y"] == ["Store †", "Online †", "Support †"]
    assert segments["x"] == [100.0, 40.0, -100.0]
    assert len(comments_shown(app)) == 6
    behaviour = figure(app, "behaviour_retention")["data"]
    assert behaviour[0]["name"] == "6 months after answering"
    assert behaviour[0]["y"] == pytest.approx([25.0, 100 / 3, 0.0])
    with Store(survey_db) as store:
        dataset = store.dataset("Survey shop")
        filters = Filters(start=date(2025, 1, 1), end=date(2025, 4, 30))
        table = nps_table(store, dataset, filters)
        latest = nps_latest_answers(store, dataset, filters)
    assert trend[3]["y"] == table["nps"].tolist()
    assert float(cards["NPS, latest answers"][0]) == pytest.approx(
        latest["nps"][0], abs=0.05)


def test_page_widgets_live_in_the_url(survey_db: Path) -> None:
    app = open_app(survey_query(survey_db, nps_by="channel", comment_group="detractor",
                                comment_search="delivery", comment_period="2025-01-01"),
                   page=PAGE)
    assert not app.warning
    assert app.selectbox(key="nps_by").value == "channel"
    assert app.selectbox(key="comment_group").value == "detractor"
    assert app.selectbox(key="comment_period").value == "2025-01-01"
    assert app.text_input(key="comment_search").value == "delivery"
    assert comments_shown(app)["Comment"].tolist() == ["Too_slow delivery"]
    segments = figure(app, "nps_segments")["data"][0]
    assert segments["y"] == ["Online †", "Store †", "Not set †"]
    app.text_input(key="comment_search").set_value("").run()
    app.selectbox(key="comment_group").set_value("").run()
    assert comments_shown(app)["Comment"].tolist() == [
        "Too_slow delivery", '=HYPERLINK("http://example.com","click")',
        "Fast delivery, 100% happy", "Great service"]  # January, shown as written
    assert app.query_params["nps_by"] == "channel"
    assert app.query_params["comment_period"] == "2025-01-01"
    assert "comment_search" not in app.query_params


@pytest.mark.parametrize(("query", "mentions"), [
    ({"nps_by": "Colour"}, "NPS split “Colour”"),
    ({"comment_group": "fans"}, "comment group “fans”"),
    ({"comment_period": "1999-01-01"}, "comment period “1999-01-01”"),
])
def test_bad_page_parameters_warn_and_fall_back(db: Path, query: dict[str, str],
                                                mentions: str) -> None:
    app = open_app(query, page=PAGE)
    warnings = [unescaped(w.value) for w in app.warning]
    assert any(mentions in w and "default is shown" in w for w in warnings), warnings
    assert app.get("plotly_chart")


def test_the_filtered_demo_view_equals_metrics(db: Path) -> None:
    with Store(db) as store:
        dataset = store.dataset(DEMO_NAME)
        orders = dataset.tables["orders"]
        filters = Filters(period="quarter", start=orders.first_date, end=orders.last_date,
                          segments=(("channel", ("Marketplace",)),))
        table = nps_table(store, dataset, filters)
        coverage = response_coverage(store, dataset, filters)
    app = open_app({"dataset": dataset.id, "period": "quarter",
                    "seg.channel": "Marketplace"}, page=PAGE)
    assert not app.warning and not app.error
    trend = figure(app, "nps_trend")["data"]
    assert trend[0]["y"] == table["responses"].tolist()
    assert trend[3]["y"] == pytest.approx([None if v is None else v for v in table["nps"]])
    assert coverage.dropped_without_customer > 0
    assert (f"{coverage.dropped_without_customer} responses without a customer id are left "
            f"out while a segment filter is on: a segment belongs to a customer."
            ) in captions(app)


def test_a_dataset_of_survey_responses_only(isolated_db: Path, tmp_path: Path) -> None:
    with Store(isolated_db) as store:
        ingest_file(store, write_csv(tmp_path / "r.csv", SURVEY_HEADER, SURVEY),
                    dataset="Survey only", kind="responses")
    app = open_app(page=PAGE)
    assert not app.error
    assert figure(app, "nps_trend")["data"][3]["y"] == [0.0, 0.0, None, 75.0]
    assert any("upload an orders file" in unescaped(i.value) for i in app.info)


# -- the chart builders ------------------------------------------------------------------------

def hand_worked_months() -> pd.DataFrame:
    return pd.DataFrame({
        "period_start": [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)],
        "responses": [5, 1, 0], "promoters": [2, 0, 0], "passives": [1, 1, 0],
        "detractors": [2, 0, 0], "nps": [0.0, 0.0, None], "margin_of_error": [78.4, 0.0, None],
        "complete": [True, True, False]})


def test_the_nps_trend_draws_the_benchmark_as_a_line_or_band() -> None:
    table = hand_worked_months()
    plain_chart = nps_trend_chart(table, "month")
    assert [trace.name for trace in plain_chart.data] == [
        "Answers", "95% margin of error", "95% margin of error", "NPS"]
    assert plain_chart.layout.title.text == "Net Promoter Score by month"
    assert plain_chart.layout.yaxis.title.text == "NPS (−100 to 100)"
    assert list(plain_chart.data[3].marker.symbol) == ["circle", "circle", "circle-open"]
    line = nps_trend_chart(table, "month", Comparison("nps", 40.0, 40.0, (), ()),
                           "Retail <b>2024</b>")
    assert len(line.data) == 5
    assert line.data[4].name == "Retail &lt;b&gt;2024&lt;/b&gt;"  # a label is text, not markup
    assert list(line.data[4].y) == [40.0, 40.0, 40.0]
    band = nps_trend_chart(table, "month", Comparison("nps", 30.0, 50.0, (), ()), "Retail")
    assert [list(trace.y) for trace in band.data[4:]] == [[30.0] * 3, [50.0] * 3]
    assert band.data[5].fill == "tonexty"


def test_segment_names_are_text_in_the_segment_chart() -> None:
    table = pd.DataFrame({"group_value": ["<i>VIP</i>", None], "responses": [40, 3],
                          "nps": [50.0, -100.0], "margin_of_error": [20.0, 0.0],
                          "too_few": [False, True]})
    chart = nps_segment_chart(table, group_name, 30)
    assert list(chart.data[0].y) == ["&lt;i&gt;VIP&lt;/i&gt;", "Not set †"]
    assert list(chart.data[0].error_x.array) == [20.0, 0.0]
