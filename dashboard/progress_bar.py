"""Long work of the Data page shown while it runs: a bar with its phase, the rows done and
the time left (:mod:`metrics.progress`), and a Cancel button that stops it.

The work runs in a child process (:mod:`metrics.isolation`) while the page's script waits
for it, redrawing the bar every :data:`HEARTBEAT_SECONDS` at least. A click on Cancel (or on
any other widget) asks Streamlit to rerun the page; its next redraw of the bar then raises
Streamlit's rerun exception, which stops the child: its work is lost and nothing is stored.
The Cancel button's callback marks the session so that the rerun drops the upload instead
of starting the work again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

import streamlit as st

from dashboard.safe import plain
from metrics.i18n import t
from metrics.progress import PhaseClock, Step

# The session-state key Cancel sets: the next run drops the upload (the Data page).
CANCELLED = "_work_cancelled"
# How often the page redraws the bar when the work reports nothing new (the time left
# changes all the same, and a Cancel is answered only at a redraw).
HEARTBEAT_SECONDS = 0.5


def _cancel() -> None:
    st.session_state[CANCELLED] = True


class ProgressBar:
    """A progress bar with a Cancel button under it, as a :data:`ProgressCallback
    <metrics.progress.ProgressCallback>`: ``with ProgressBar(Step("reading"), "check") as
    bar: run_isolated(task, name, progress=bar, every=HEARTBEAT_SECONDS)``. Both go away
    when the work ends. ``key`` tells apart the bars of one page run."""

    def __init__(self, first: Step, key: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._phases = PhaseClock(clock)
        self._box = st.empty()
        with self._box.container():
            self._bar = st.progress(0.0, text=plain(self._phases.text(first)))
            st.button(t("Cancel"), key=f"cancel_{key}", on_click=_cancel,
                      icon=":material/cancel:",
                      help=t("Stop this upload: nothing of it is stored."))

    def __call__(self, step: Step) -> None:
        self._bar.progress(step.done or 0.0, text=plain(self._phases.text(step)))

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._box.empty()
