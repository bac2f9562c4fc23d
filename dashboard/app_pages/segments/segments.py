"""Segments: RFM segments, loyalty types, the upsell ratio, the loyalty programme and the
retention uplift simulator. Each view is drawn by its own module beside this one."""

from __future__ import annotations

import streamlit as st

from dashboard.app_pages.segments.loyalty import (
    loyalty_type_view,
    programme_view,
    simulator_view,
    upsell_view,
)
from dashboard.app_pages.segments.rfm import rfm_view
from dashboard.filters import page_data
from metrics.i18n import t


def main() -> None:
    selected = page_data(t("Segments"), needs="orders")
    if selected is None:
        return
    view, dataset, filters = selected
    tabs = st.tabs([t("RFM segments"), t("Loyalty types"), t("Upsell"),
                    t("Loyalty programme"), t("Retention uplift simulator")])
    with tabs[0]:
        rfm_view(view, dataset, filters)
    with tabs[1]:
        loyalty_type_view(view, dataset, filters)
    with tabs[2]:
        upsell_view(view, dataset, filters)
    with tabs[3]:
        programme_view(view, dataset, filters)
    with tabs[4]:
        simulator_view(view, dataset, filters)


main()
