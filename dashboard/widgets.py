"""Widgets several pages share."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import pandas as pd
import streamlit as st
from streamlit.dataframe_util import convert_pandas_df_to_arrow_table

from dashboard.figures import shared
from dashboard.formatting import (
    MISSING,
    current_locale,
    format_day,
    format_value,
    reads_as_zero,
    streamlit_formats_fit,
    table_date_format,
    table_number_format,
)
from metrics.export import locale_csv_style, to_csv, to_excel
from metrics.i18n import language, t

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_buttons(table: pd.DataFrame, name: str, key: str) -> None:
    """A chart's data as CSV and Excel (formula-safe), with readable column names.

    The files are written when a user clicks, not on every run of the page: writing them
    took most of a page's time (and kept them in memory for each session).
    The image of each chart downloads from its own toolbar (the camera icon).
    """
    style = locale_csv_style(current_locale())
    row = st.container(horizontal=True)  # one element for the row, where columns were four
    row.download_button(t("Data as CSV"), lambda: to_csv(table),
                               f"loyaltylens-{name}.csv", mime="text/csv",
                               icon=":material/download:", key=f"{key}_csv")
    row.download_button(t("Data as Excel"), lambda: to_excel(table, name),
                               f"loyaltylens-{name}.xlsx", icon=":material/download:",
                               mime=XLSX_MIME, key=f"{key}_xlsx")
    if style is not None:  # the values stay machine-readable; only the marks change
        delimiter, decimal = style
        row.download_button(
            t("Data as CSV ({delimiter} and {decimal})", delimiter=delimiter, decimal=decimal),
            lambda: to_csv(table, delimiter, decimal), f"loyaltylens-{name}-{language.get()}.csv",
            mime="text/csv", icon=":material/download:", key=f"{key}_csv_locale",
            help=t("Fields separated by “{delimiter}” and decimals written with “{decimal}”, "
                   "as a spreadsheet set to this language opens a CSV file.",
                   delimiter=delimiter, decimal=decimal))


class ChangeStyle(TypedDict, total=False):
    """The keyword arguments of ``st.metric`` that colour a change and draw its arrow."""

    delta_color: Literal["normal", "inverse", "off"]
    delta_arrow: Literal["auto", "up", "down", "off"]


def change_style(change: str | None, higher_is_better: bool = True) -> ChangeStyle:
    """``st.metric``'s colour and arrow for a change as shown: green up, red down (or the
    reverse when lower is better), and neither for a change that reads as zero, which
    Streamlit would otherwise show as a green rise ("+0.0 pp")."""
    if change is None or reads_as_zero(change):
        return {"delta_color": "off", "delta_arrow": "off"}
    return {"delta_color": "normal" if higher_is_better else "inverse"}


def data_table(frame: pd.DataFrame, *, currency: str | None = None,
               units: Mapping[str, str] | None = None,
               column_config: Mapping[str, Any] | None = None, **options: Any) -> None:
    """``st.dataframe`` as people read it, the one way every page shows a table: a missing
    value reads "–" (never None, nan or NaT), dates as the rest of the app writes them and
    the columns named in ``units`` (column -> a metric's unit: "currency", "percent",
    "customers", ...) with thousands separators, amounts in ``currency``. Only the display
    changes: the frame's values stay raw, so a table still sorts by number and date.

    ``column_config`` (Streamlit's) refines or overrides these columns.
    """
    config = table_columns(frame, currency, units or {}) | dict(column_config or {})
    shown: Any  # a pyarrow Table or a Styler
    if streamlit_formats_fit():
        # the Arrow table Streamlit would make of the frame on every run of every session,
        # made once for its values (figures.shared) and handed to Streamlit as it is
        shown = shared(convert_pandas_df_to_arrow_table, frame)
    else:
        shown = localised(frame, currency, units or {})
    st.dataframe(shown, placeholder=MISSING, column_config=config, **options)


def data_editor(frame: pd.DataFrame, **options: Any) -> pd.DataFrame:
    """``st.data_editor`` (``options`` are its own) with a missing value reading "–", as in
    every shown table: the one way a page lets the user edit a table."""
    options.setdefault("placeholder", MISSING)
    edited: pd.DataFrame = st.data_editor(frame, **options)
    return edited


def localised(frame: pd.DataFrame, currency: str | None, units: Mapping[str, str]) -> Styler:
    """``frame`` with its dates and the number columns in ``units`` written by Babel in
    the locale: Streamlit writes a column's printf and Day.js formats in English only
    (1,234.5; Mar), so the table shows these texts while it still sorts by the values."""
    formats: dict[str, Any] = {}
    for column in frame.columns:
        if column in units:
            formats[column] = partial(format_value, unit=units[column], currency=currency)
        elif _holds_dates(frame[column]):
            formats[column] = _day_text
    return frame.style.format(formats, na_rep=MISSING)


def _day_text(value: object) -> str:
    return format_day(pd.Timestamp(value).date()) if not pd.isna(value) else MISSING


def table_columns(frame: pd.DataFrame, currency: str | None, units: Mapping[str, str]
                  ) -> dict[str, Any]:
    """The column settings :func:`data_table` gives ``frame``: its date columns and the
    number columns named in ``units``."""
    config: dict[str, Any] = {}
    # Streamlit shows a Styler's texts (:func:`localised`) only where a column has no format.
    fits = streamlit_formats_fit()
    for column in frame.columns:
        if column in units:
            config[column] = st.column_config.NumberColumn(
                format=table_number_format(units[column], currency) if fits else None)
        elif _holds_dates(frame[column]):
            config[column] = st.column_config.DateColumn(
                format=table_date_format() if fits else None)
    return config


def _holds_dates(values: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    present = values.dropna()
    # pandas keeps datetime.date values (DuckDB's DATE) in an object column
    return (values.dtype == object and not present.empty
            and all(isinstance(v, date) for v in present))
