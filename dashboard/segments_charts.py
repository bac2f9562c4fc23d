"""Chart builders of the Segments page's RFM view: pure functions from tidy frames to
Plotly figures."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import layout
from dashboard.safe import chart_text
from metrics.i18n import t

# Best segment green to worst red, in the order of metrics.query.rfm.RFM_RULES.
SEGMENT_COLOURS = ("#276749", "#38a169", "#68d391", "#3182ce", "#63b3ed", "#d69e2e",
                   "#ecc94b", "#dd6b20", "#c53030", "#a0aec0", "#4a5568")


def rfm_treemap(summary: pd.DataFrame, currency: str | None) -> go.Figure:
    """One tile per RFM segment of :func:`metrics.rfm.rfm_summary` (its rows in rule
    order), sized by its customers, labelled with its shares of the customers and of the
    revenue (the numbers on hover); segments without customers have no tile."""
    colours = dict(zip(summary["segment"], SEGMENT_COLOURS, strict=False))
    shown = summary[summary["customers"] > 0]
    money = chart_text(currency or t("amount"))
    names = [chart_text(t(segment)) for segment in shown["segment"]]
    figure = go.Figure(go.Treemap(
        labels=names,
        parents=[""] * len(shown),
        values=shown["customers"].tolist(),
        branchvalues="total",
        pathbar={"visible": False},  # one level: a path bar would only take room
        sort=False,
        marker={"colors": [colours[s] for s in shown["segment"]]},
        customdata=list(zip(shown["share"], shown["revenue"],
                            shown["revenue_share"].fillna(0.0).astype(float),
                            strict=True)),
        # The shares only, in short lines that fit a tile on a phone; the counts and
        # amounts are in the hover text and in the table under the chart.
        texttemplate=("<b>%{label}</b><br>"
                      + t("%{customdata[0]:.1f}% of customers") + "<br>"
                      + t("%{customdata[2]:.1f}% of revenue")),
        hovertemplate=("<b>%{label}</b><br>"
                       + t("%{value:,} customers, %{customdata[0]:.1f}% of all") + "<br>"
                       + t("{currency} %{{customdata[1]:,.2f}} revenue, "
                           "%{{customdata[2]:.1f}}% of all", currency=money)
                       + "<extra></extra>"),
    ))
    layout(figure, t("RFM segments: customers (tile size) and revenue"), "", "", height=480)
    # A tile too small for its text at a readable size shows none (hover or tap tells it),
    # instead of text shrunk to specks, as on a phone.
    figure.update_layout(uniformtext={"minsize": 10, "mode": "hide"}, hovermode="closest")
    return figure
