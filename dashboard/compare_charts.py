"""The Compare page's chart: one KPI's trend in two views, each series named by its filters
(a pure function: DataFrames in, a Plotly figure out)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.chart_notes import period_ticks
from dashboard.charts import COMPLETE_COLOUR, SECOND_COLOUR, axis_title, layout, y_hover
from dashboard.formatting import period_labels, period_word
from dashboard.safe import chart_text
from metrics.definitions import METRICS
from metrics.i18n import t
from metrics.query.sql import Period


def compare_trend_chart(trend_a: pd.DataFrame, trend_b: pd.DataFrame, metric_id: str,
                        period: Period, currency: str | None, name_a: str, name_b: str
                        ) -> go.Figure:
    """``metric_id`` per period in view A and view B, one line each, named ``name_a`` and
    ``name_b`` (user text: escaped, never markup).

    Views over the same periods share the period axis; views over different date ranges
    are drawn period by period from the first of each range (1, 2, ...), each period's
    own name in the hover, so two ranges read one above the other.
    """
    metric = METRICS[metric_id]
    labels_a, labels_b = period_labels(period, trend_a), period_labels(period, trend_b)
    same_periods = list(trend_a["period_start"]) == list(trend_b["period_start"])
    figure = go.Figure()
    for trend, labels, name, colour in ((trend_a, labels_a, name_a, COMPLETE_COLOUR),
                                        (trend_b, labels_b, name_b, SECOND_COLOUR)):
        figure.add_trace(go.Scatter(
            x=labels if same_periods else list(range(1, len(trend) + 1)),
            y=trend[metric_id], name=chart_text(name), mode="lines+markers",
            customdata=[chart_text(label) for label in labels],
            line={"color": colour, "width": 2},
            marker={"size": 8, "color": colour,
                    "symbol": ["circle" if c else "circle-open" for c in trend["complete"]]},
            hovertemplate=f"%{{customdata}}: {y_hover(metric, currency)}<extra></extra>",
        ))
    x_title = t("Period") if same_periods else t("Period of each view's date range")
    layout(figure, t("{metric} by {period}", metric=metric.title(), period=period_word(period)),
           x_title, axis_title(metric, currency))
    figure.update_layout(showlegend=True, hovermode="x unified" if same_periods else "closest")
    figure.update_yaxes(rangemode="tozero", tickformat=",")
    if same_periods:  # named as on the Overview's trend: a phone keeps its plot
        period_ticks(figure, period, list(trend_a["period_start"]), labels_a)
    else:
        figure.update_xaxes(dtick=1)
    return figure
