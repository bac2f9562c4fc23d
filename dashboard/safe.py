"""Showing text that may hold user data (file names, segment values) as plain text.

Streamlit renders alerts, captions and widget labels as Markdown; every ASCII punctuation
character is backslash-escaped so a user's value is displayed, never interpreted, and a
bare web or e-mail address is broken up invisibly so it never becomes a link.
"""

from __future__ import annotations

import html
import re
import string

import streamlit as st

from metrics.errors import LoyaltyLensError

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
# Streamlit's Markdown (GitHub's) turns a bare "scheme://host.domain", "www.domain" or
# "name@host.domain" into a live link even when its punctuation is escaped, but only with a
# dot in the domain. In a word holding "://", "www." or "@", a word joiner (U+2060:
# invisible, no space) on both sides of each dot and "@" leaves no domain a link can be made
# of; other words (a file name like "orders.csv") stay as they are.
WORD_JOINER = "\u2060"
_ADDRESS_WORD = re.compile(r"\S*(?:://|www\.|@)\S*", re.IGNORECASE)
_ADDRESS_MARK = re.compile(r"([.@])")


def inert_addresses(text: str) -> str:
    """``text`` with every web or e-mail address in it broken so no link is made of it."""
    return _ADDRESS_WORD.sub(
        lambda word: _ADDRESS_MARK.sub(WORD_JOINER + r"\1" + WORD_JOINER, word.group()), text)


def plain(text: str) -> str:
    """Markdown that displays ``text`` literally, web addresses included (never links)."""
    return _PUNCTUATION.sub(r"\\\1", inert_addresses(text)).replace("\n", "  \n")


def chart_text(text: str) -> str:
    """Text for a Plotly label: Plotly reads a subset of HTML, so escape it."""
    return html.escape(str(text), quote=False)


def show_error(error: LoyaltyLensError) -> None:
    st.error(plain(error.message), icon=":material/error:")


def show_warning(message: str) -> None:
    st.warning(plain(message), icon=":material/warning:")
