"""The session's language: the picker in the sidebar, a link's ``lang=``, else the browser's.

:func:`start_language` runs first in every script run, before anything is drawn, so the
page titles, the sidebar and the page all read in the language chosen (the picker's value
of the previous run when the user has just changed it). The choice lives in the URL like
every other view setting: a shared link opens in the sender's language until the
receiver picks another.
"""

from __future__ import annotations

import streamlit as st

from dashboard.url_state import UrlState, parse_choice
from metrics.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES, language, language_of, t

LANGUAGE_KEY = "lang"


def browser_language() -> str:
    """The browser's language when LoyaltyLens speaks it, else English."""
    return language_of(st.context.locale) or DEFAULT_LANGUAGE


def start_language() -> str:
    """Set this run's language (:data:`metrics.i18n.language`) and return it.

    On a session's first run the key is seeded from the link (a ``lang=`` it cannot use
    leaves a warning and falls back), else from the browser; later runs keep the picker's
    value.
    """
    default = browser_language()
    language.set(default)  # a warning about the link's lang= reads in the browser's language
    url = UrlState({LANGUAGE_KEY: st.query_params.get_all(LANGUAGE_KEY)}, st.session_state)
    url.seed(LANGUAGE_KEY, default, parse_choice(LANGUAGES), t("language"))
    chosen: str = st.session_state[LANGUAGE_KEY]
    language.set(chosen)
    return chosen


def language_picker() -> None:
    """The language picker (in the sidebar, each language named in itself)."""
    st.selectbox(t("Language"), LANGUAGES, key=LANGUAGE_KEY,
                 format_func=lambda lang: LANGUAGE_NAMES[lang])
