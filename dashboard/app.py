"""LoyaltyLens dashboard: the router. Signs the person in, draws the global filters, then
runs the chosen page.

Start it with ``streamlit run dashboard/app.py`` (``make run`` does, with the demo data).
"""

from __future__ import annotations

import base64
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_run_yield_check

from dashboard.chart_downloads import chart_head_start
from dashboard.filters import draw_sidebar
from dashboard.guard import page_failures
from dashboard.language import language_picker, start_language
from dashboard.notes_panel import notes_panel
from dashboard.report_button import report_button
from dashboard.run_slots import RUN_SLOTS, SHOWN, share_the_interpreter
from dashboard.safe import show_warning
from dashboard.signin import current_principal
from metrics.i18n import t

# A local icon: a Material icon name would make every browser fetch it from Google. As a
# data URL, not a file path: a path goes through Streamlit's media store, whose URL can be
# gone when the browser asks for it (a 404 in the console).
ICON = Path(__file__).parent / "assets" / "icon.png"
ICON_URL = "data:image/png;base64," + base64.b64encode(ICON.read_bytes()).decode("ascii")

st.set_page_config(page_title="LoyaltyLens", page_icon=ICON_URL, layout="wide")
# Every session's run takes its turn at Python (dashboard.run_slots): with many sessions at
# once, each page is drawn and sent sooner than if all ran together, and someone opening
# the dashboard goes ahead of the further clicks of those who have it open. A run stopped
# or rerun (a click meanwhile) while in line leaves it at once.
share_the_interpreter()
first_page = SHOWN not in st.session_state
# Sent before the wait: the browser starts plotly.js while the run waits its turn
head_start = chart_head_start(first_page)
with RUN_SLOTS.turn(get_run_yield_check(), first=first_page):
    head_start.empty()
    start_language()  # before any text: the page titles below are in the session's language

    # Before any page or dataset is touched: who is this (None: not signed in, the sign-in
    # or the refusal is on the page)
    principal = current_principal()
    page = st.navigation([
        st.Page("app_pages/overview.py", title=t("Overview"), icon=":material/dashboard:",
                default=True),
        st.Page("app_pages/compare.py", title=t("Compare"),
                icon=":material/compare_arrows:"),
        st.Page("app_pages/retention.py", title=t("Retention"), icon=":material/autorenew:"),
        st.Page("app_pages/clv.py", title=t("Lifetime value"), icon=":material/savings:"),
        # a folder of its own, the page and its views (the file's name gives the URL
        # /segments)
        st.Page("app_pages/segments/segments.py", title=t("Segments"),
                icon=":material/group_work:"),
        st.Page("app_pages/satisfaction.py", title=t("Satisfaction"),
                icon=":material/reviews:"),
        st.Page("app_pages/alerts.py", title=t("Alerts"), icon=":material/notifications:"),
        st.Page("app_pages/data.py", title=t("Data"), icon=":material/upload_file:"),
    ], position="sidebar" if principal is not None else "hidden")
    with st.sidebar:
        language_picker()
    if principal is None:
        st.stop()
    st.session_state[SHOWN] = True  # its next runs are further clicks
    with page_failures():
        # a metrics error here stops the page, the sidebar drawn so far
        view = draw_sidebar()
        st.session_state["view"] = view
        report_button(view)
        notes_panel(view)
        for warning in view.warnings:
            show_warning(warning)
        page.run()
