"""Industry benchmarks beside the user's numbers: a line under each KPI card and the notes
under a chart, for the industry picked in the sidebar (DESIGN.md: "Benchmarks are data with
a source and a year per figure, shown with the figure")."""

from __future__ import annotations

import streamlit as st
from babel.numbers import format_decimal

from dashboard.filters import View
from dashboard.formatting import current_locale, known
from dashboard.safe import plain
from metrics.benchmarks import Benchmark, Comparison, compare, short_source
from metrics.i18n import N_, t

# The benchmark basis that needs no conversion for each period of the sidebar.
PERIOD_BASIS = {"month": "monthly", "quarter": "quarterly", "year": "annual"}
# How far apart a value and a benchmark are, by the metric's unit.
DIFFERENCE_UNITS = {"percent": N_("pp"), "points": N_("points")}


def comparison(view: View, metric_id: str) -> Comparison | None:
    """The picked industry's figures for a metric, in the view's period; None without."""
    if not view.industry or view.filters is None:
        return None
    return compare(view.benchmarks, view.industry, metric_id, view.filters.period)


def legend_name(view: View) -> str:
    """What a chart's benchmark line is called in its legend."""
    return t("Industry: {sector}", sector=view.industry or "")


def number(value: float) -> str:
    return format_decimal(value, format="#,##0.0", locale=current_locale())


def range_text(found: Comparison, suffix: str) -> str:
    """The benchmark as a reader sees it: “63.0%”, “62.0–74.0%”, “> 3.0”."""
    bounds = {row.bound for row in found.rows if row.bound}
    if found.low == found.high:
        prefix = f"{bounds.pop()} " if len(bounds) == 1 else ""
        return f"{prefix}{number(found.low)}{suffix}"
    return f"{number(found.low)}–{number(found.high)}{suffix}"


def source_line(row: Benchmark) -> str:
    """One figure's provenance: value as published, industry, source, title and year."""
    region = f", {row.region}" if row.region and row.region not in ("n.s.", "n.a.") else ""
    return t("{value} {unit} ({period}) — {industry}{region}; {source}, “{title}”, {year}. "
             "{definition}", value=row.value, unit=row.unit, period=row.period,
             industry=row.industry, region=region, source=row.source, title=row.title,
             year=row.year, definition=row.definition)


def sources_text(found: Comparison) -> str:
    """Every figure behind a comparison and the notes on it, one paragraph each."""
    return "\n\n".join([*(source_line(row) for row in found.rows), *found.notes])


def card_line(view: View, metric_id: str, value: float | None, unit: str) -> None:
    """Under a KPI card: “vs industry: +x pp”, the sources and notes on hover."""
    found = comparison(view, metric_id)
    if found is None:
        return
    suffix = "%" if unit == "percent" else ""
    shown = range_text(found, suffix)
    present = known(value)
    position = None if present is None else found.position(float(present))
    difference_unit = t(DIFFERENCE_UNITS.get(unit, ""))
    if position is None:
        text = t("Industry: {range}", range=shown)
    elif position == 0 and found.low != found.high:
        text = t("vs industry ({range}): within the range", range=shown)
    else:
        sign = "+" if position >= 0 else "−"
        text = t("vs industry ({range}): {sign}{difference} {unit}", range=shown, sign=sign,
                 difference=number(abs(position)), unit=difference_unit).rstrip()
    bases = sorted({row.basis for row in found.rows if row.basis} - {PERIOD_BASIS.get(
        view.filters.period if view.filters else "")})
    if bases and unit == "percent":
        text += " · " + t("converted from {bases} figures (see ⓘ)",
                          bases=" / ".join(t(b) for b in bases))
    years = sorted({row.year for row in found.rows})
    text += " · " + ", ".join(sorted({short_source(row.source) for row in found.rows})
                              ) + " " + "/".join(
        str(y) for y in years)
    st.caption(plain(text), help=plain(sources_text(found)))


def chart_notes(found: Comparison | None) -> None:
    """Under a chart with a benchmark line: where the figures come from and any conversion."""
    if found is None:
        return
    with st.expander(t("About the industry benchmark"), icon=":material/info:"):
        for paragraph in sources_text(found).split("\n\n"):
            st.caption(plain(paragraph))


def not_comparable_note(view: View, metric_id: str) -> None:
    """When the picked industry has figures for a metric in another unit (ACSI's 0-100
    index for CSAT), say why none is drawn instead of leaving the user guessing."""
    if not view.industry or comparison(view, metric_id) is not None:
        return
    others = [row for row in view.benchmarks
              if row.sector == view.industry and row.metric_id == metric_id]
    if others:
        st.caption(plain(t(
            "{sector}: the published figures ({figures}) are in another unit than this "
            "chart, so they are not drawn: {definition}", sector=view.industry,
            figures="; ".join(f"{row.value} {row.unit}, {row.source.split(' [')[0]} "
                              f"{row.year}" for row in others),
            definition=others[0].definition)))
