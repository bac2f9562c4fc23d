"""Chart layout that reads on a 390 px phone: every chart the pages draw has its title at the
top of the figure and its legend under it, horizontal; the cohort heatmap stays compact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest

from dashboard.charts import layout
from tests.test_app import PAGES, open_app
from tests.test_app_retention import figure, plain_lists, small_shop_query

CHART_PAGES = [page for page in PAGES if not page.endswith("data.py")]


def charts(page: str) -> dict[str, dict[str, Any]]:
    """Every Plotly figure the page draws for the demo, by its chart's widget id."""
    app = open_app(page=page)
    return {chart.proto.id: plain_lists(json.loads(chart.proto.spec))
            for chart in app.get("plotly_chart")}


@pytest.mark.parametrize("page", CHART_PAGES)
def test_every_chart_keeps_its_title_on_top_and_its_legend_below(db: Path, page: str) -> None:
    drawn = charts(page)
    assert drawn, f"{page} draws no chart"
    for chart_id, spec in drawn.items():
        layout = spec["layout"]
        # The title hangs from the top edge of the figure, in a margin of its own.
        title = layout.get("title", {})
        assert [title.get(key) for key in ("yref", "y", "yanchor")] == [
            "container", 1, "top"], chart_id
        assert layout["margin"]["t"] >= 60, chart_id
        # The legend lies across the bottom edge, under the axis titles, so wrapping into
        # rows on a phone never puts it over the plot, the ticks or the title.
        legend = layout.get("legend", {})
        assert [legend.get(key) for key in ("orientation", "yref", "y", "yanchor", "x",
                                            "xanchor")] == [
            "h", "container", 0, "bottom", 0, "left"], chart_id
        # Axes take the margin their labels need instead of a desktop-sized one.
        axes = [key for key in layout if key.startswith(("xaxis", "yaxis"))]
        assert all(layout[key].get("automargin") is True for key in axes), chart_id


def test_the_heatmap_shows_the_first_12_periods_and_its_scale_underneath(db: Path) -> None:
    # Weekly cohorts of the small shop: the first week (Mon 1 Jan 2024, orders of A on
    # 5 Jan) to the week of B's last order (Mon 15 Apr) is 105 days = 15 weeks, so the
    # heatmap has periods 0 to 15: 16 columns, of which the first 12 are shown.
    app = open_app(small_shop_query(db, period="week"), page="app_pages/retention.py")
    assert app.radio(key="cohort_periods").value == "12"
    cells = figure(app, "cohort_heatmap")["data"][1]
    assert cells["x"] == [str(n) for n in range(12)]
    assert any("first 12 of 16 periods" in caption.value for caption in app.caption)
    colorbar = cells["colorbar"]
    assert (colorbar["orientation"], colorbar["y"], colorbar["yanchor"]) == ("h", 0, "top")

    app.radio(key="cohort_periods").set_value("all").run()
    assert app.query_params["cohort_periods"] == "all"
    assert figure(app, "cohort_heatmap")["data"][1]["x"] == [str(n) for n in range(16)]


def test_a_bad_heatmap_width_in_the_link_warns_and_shows_12(db: Path) -> None:
    app = open_app(small_shop_query(db, period="week", cohort_periods="7"),
                   page="app_pages/retention.py")
    assert app.radio(key="cohort_periods").value == "12"
    assert any("heatmap columns" in warning.value for warning in app.warning)
    assert len(figure(app, "cohort_heatmap")["data"][1]["x"]) == 12


def test_a_long_title_is_broken_into_lines_that_fit_a_phone_and_its_margin_grows() -> None:
    # 53 characters; "Cumulative repeat purchases after the" (37) is the longest start of
    # at most 38 (a 360 px phone's width), so the title takes two lines and the margin one
    # line more. The two lines as even as they can be: "Cumulative repeat purchases" (27)
    # and "after the calibration end" (25); at 26 characters a line it would take three.
    wrapped = layout(go.Figure(), "Cumulative repeat purchases after the calibration end",
                     "Weeks", "Purchases")
    assert wrapped.layout.title.text == ("Cumulative repeat purchases<br>"
                                         "after the calibration end")
    assert wrapped.layout.margin.t == 60 + 22
    # 42 characters: not "Customer survival (Kaplan-Meier, 95%" and "band)"
    survival = layout(go.Figure(), "Customer survival (Kaplan-Meier, 95% band)", "", "")
    assert survival.layout.title.text == "Customer survival<br>(Kaplan-Meier, 95% band)"
    # A word with a hyphen stays whole ("non-members", not "non-" and "members").
    hyphen = layout(go.Figure(), "Loyalty programme: members against non-members", "", "")
    assert hyphen.layout.title.text == "Loyalty programme: members<br>against non-members"
    short = layout(go.Figure(), "Retention curves", "Months", "Customers")
    assert (short.layout.title.text, short.layout.margin.t) == ("Retention curves", 60)


def test_the_programme_panels_titles_fit_half_a_phone(db: Path) -> None:
    # Two panels side by side at 360 px: about 15 characters each; broken at spaces by hand.
    app = open_app(page="app_pages/segments/segments.py")
    spec = figure(app, "programme_chart")
    assert [a["text"] for a in spec["layout"]["annotations"]] == [
        "Still in the<br>base at the end<br>(%)", "Average order<br>value (RON)",
        "Purchases per<br>customer", "Revenue per<br>customer (RON)"]
    # the top panels' titles take three lines: the chart's top margin one line more than
    # its two-line title's (60 + 22 px)
    assert spec["layout"]["margin"]["t"] == 60 + 22 + 21
