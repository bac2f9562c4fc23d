"""The Compare page's chart builder: two views over different date ranges drawn period by
period, each period's name in the hover, and the views' names escaped (user text)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.compare_charts import compare_trend_chart


def _trend(months: list[int], year: int, churn: list[float]) -> pd.DataFrame:
    starts = [date(year, month, 1) for month in months]
    return pd.DataFrame({"period_start": starts, "period_end": [None] * len(starts),
                         "churn_rate": churn, "complete": [True] * len(starts)})


def test_two_date_ranges_are_drawn_period_by_period() -> None:
    a = _trend([1, 2, 3], 2024, [10.0, 12.0, 11.0])
    b = _trend([1, 2], 2025, [9.0, 8.0])
    figure = compare_trend_chart(a, b, "churn_rate", "month", None, "A · <b>x</b>", "B")
    first, second = figure.data
    assert list(first.x) == [1, 2, 3] and list(second.x) == [1, 2]
    assert list(second.customdata) == ["Jan 2025", "Feb 2025"]
    assert list(second.y) == [9.0, 8.0]
    assert first.name == "A · &lt;b&gt;x&lt;/b&gt;"  # Plotly reads HTML: escaped
    assert figure.layout.xaxis.title.text == "Period of each view's date range"


def test_the_same_periods_share_the_period_axis() -> None:
    a = _trend([1, 2], 2024, [10.0, 12.0])
    figure = compare_trend_chart(a, a.assign(churn_rate=[5.0, 6.0]), "churn_rate", "month",
                                 None, "A", "B")
    assert [list(trace.x) for trace in figure.data] == [["Jan 2024", "Feb 2024"]] * 2
    assert figure.layout.xaxis.title.text == "Period"


def test_three_years_of_months_name_every_sixth_under_the_axis() -> None:
    """36 months named in full stood on their side under the axis and left a phone's plot a
    strip (95 px of 420 in Romanian at 360 px): like the Overview's trend, at most 8 are
    named, every 6th counting back from the latest, each by its short name."""
    starts = [date(2023 + n // 12, n % 12 + 1, 1) for n in range(36)]
    a = pd.DataFrame({"period_start": starts, "period_end": [None] * 36,
                      "churn_rate": [5.0] * 36, "complete": [True] * 36})
    figure = compare_trend_chart(a, a, "churn_rate", "month", None, "A", "B")
    assert list(figure.layout.xaxis.ticktext) == ["Jun 2023", "Dec 2023", "Jun 2024",
                                                  "Dec 2024", "Jun 2025", "Dec 2025"]
    assert len(figure.data[0].x) == 36  # every month is still drawn
