"""The "Why did it move?" waterfall: a pure builder from a split change to a Plotly figure."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.charts import axis_title, layout
from dashboard.safe import chart_text
from metrics.definitions import REGISTRY
from metrics.drivers import Drivers
from metrics.i18n import t

RISE_COLOUR = "#2f855a"
FALL_COLOUR = "#c53030"
TOTAL_COLOUR = "#2b6cb0"


def value_name(value: object) -> str:
    """A segment value as it is written in the data; none (customers without one) said."""
    return t("(no value)") if value is None else str(value)


def drivers_waterfall(found: Drivers, segment: str, before: str, after: str,
                      currency: str | None) -> go.Figure:
    """Total before → each segment value's contribution (largest first) → total after.

    ``segment`` names the segment column, ``before`` and ``after`` the two periods. A
    rise is drawn green when a higher value is better, red otherwise (churn). Segment
    values are data: escaped for Plotly.
    """
    metric = REGISTRY[found.metric_id]
    values = [chart_text(value_name(v)) for v in found.records["value"]]
    good, bad = ((RISE_COLOUR, FALL_COLOUR) if metric.higher_is_better
                 else (FALL_COLOUR, RISE_COLOUR))
    figure = go.Figure(go.Waterfall(
        x=[chart_text(before), *values, chart_text(after)],
        measure=["absolute", *(["relative"] * len(values)), "total"],
        y=[found.rate_before, *found.records["contribution"], found.rate_after],
        increasing={"marker": {"color": good}}, decreasing={"marker": {"color": bad}},
        totals={"marker": {"color": TOTAL_COLOUR}}, connector={"visible": False},
        name=metric.title()))
    title = t("{metric}: what moved it, by {segment}", metric=metric.title(),
              segment=segment)
    y_title = (axis_title(metric, currency) if metric.unit in ("percent", "currency")
               else metric.title())
    return layout(figure, chart_text(title), "", y_title).update_layout(hovermode="closest")
