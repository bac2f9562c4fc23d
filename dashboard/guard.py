"""A page that fails: the traceback goes to the server's log, the user reads one sentence."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec

import streamlit as st

from dashboard.safe import show_error
from metrics.errors import LoyaltyLensError, server_trouble
from metrics.i18n import N_, t

P = ParamSpec("P")
LOGGER = logging.getLogger("loyaltylens.dashboard")
# Set on the log record of an exception no code expected (a bug), so tests can fail on it.
UNEXPECTED = "loyaltylens_unexpected"
UNEXPECTED_ERROR = (N_("The server could not finish this because of an error in LoyaltyLens; it "
                       "has been logged. Try again later, or tell your administrator."))


@contextmanager
def page_failures() -> Iterator[None]:
    """Turn any exception in the block into one sentence on the page and a logged
    traceback on the server: the server's own trouble (memory, disk) says so, anything
    else is a bug. A ``metrics`` error a page left uncaught is already a sentence for the
    user. Streamlit's stop and rerun are BaseExceptions and pass through."""
    try:
        yield
    except LoyaltyLensError as error:
        show_error(error)
    except Exception as error:
        trouble = server_trouble(error)
        LOGGER.error("A page failed: %s", type(error).__name__, exc_info=error,
                     extra={UNEXPECTED: trouble is None})
        if trouble is not None:
            show_error(trouble)
        else:
            st.error(t(UNEXPECTED_ERROR), icon=":material/error:")


def callback(function: Callable[P, None]) -> Callable[P, None]:
    """``function`` as a widget's ``on_click`` / ``on_change``: Streamlit runs callbacks
    before the script, outside the router's :func:`page_failures`, so it gets its own (what
    it draws shows at the top of the page)."""

    @functools.wraps(function)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        with page_failures():
            function(*args, **kwargs)

    return guarded
