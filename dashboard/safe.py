"""Showing text that may hold user data (file names, segment values) as plain text.

Streamlit renders alerts and captions as Markdown; every ASCII punctuation character is
backslash-escaped so a user's value is displayed, never interpreted.
"""

from __future__ import annotations

import html
import re
import string

import streamlit as st

from metrics.errors import LoyaltyLensError

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")


def plain(text: str) -> str:
    """Markdown that displays ``text`` literally."""
    return _PUNCTUATION.sub(r"\\\1", text).replace("\n", "  \n")


def chart_text(text: str) -> str:
    """Text for a Plotly label: Plotly reads a subset of HTML, so escape it."""
    return html.escape(str(text), quote=False)


def show_error(error: LoyaltyLensError) -> None:
    st.error(plain(error.message), icon=":material/error:")


def show_warning(message: str) -> None:
    st.warning(plain(message), icon=":material/warning:")
