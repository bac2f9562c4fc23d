"""Widgets several pages share."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.formatting import reads_as_zero
from metrics.export import to_csv, to_excel
from metrics.i18n import t

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_buttons(table: pd.DataFrame, name: str, key: str) -> None:
    """A chart's data as CSV and Excel (formula-safe), with readable column names.

    The image of each chart downloads from its own toolbar (the camera icon).
    """
    columns = st.columns([1, 1, 4])
    columns[0].download_button(t("Data as CSV"), to_csv(table), f"loyaltylens-{name}.csv",
                               mime="text/csv", icon=":material/download:",
                               key=f"{key}_csv")
    columns[1].download_button(t("Data as Excel"), to_excel(table, name),
                               f"loyaltylens-{name}.xlsx", icon=":material/download:",
                               mime=XLSX_MIME, key=f"{key}_xlsx")


def change_style(change: str | None, higher_is_better: bool = True) -> dict[str, str]:
    """``st.metric``'s colour and arrow for a change as shown: green up, red down (or the
    reverse when lower is better), and neither for a change that reads as zero, which
    Streamlit would otherwise show as a green rise ("+0.0 pp")."""
    if change is None or reads_as_zero(change):
        return {"delta_color": "off", "delta_arrow": "off"}
    return {"delta_color": "normal" if higher_is_better else "inverse"}
