"""The sidebar's "Notes on the charts": add, list and delete the chosen dataset's dated notes
(:mod:`metrics.annotations`), which every trend chart draws."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard import services
from dashboard.filters import View
from dashboard.formatting import format_day
from dashboard.guard import callback
from dashboard.safe import plain, show_error
from metrics.annotations import (
    MAX_TEXT_CHARS,
    Annotation,
    add_annotation,
    delete_annotation,
    list_annotations,
)
from metrics.errors import LoyaltyLensError
from metrics.i18n import t
from metrics.store import Dataset

OPEN_KEY = "notes_open"
FORM_KEY = "note_form"
DATE_KEY = "note_date"
TEXT_KEY = "note_text"
ADD_KEY = "note_add"
DELETE_PREFIX = "note_delete_"


def _delete(dataset: Dataset, annotation_id: str) -> None:
    delete_annotation(services.get_store(), dataset, annotation_id)


def _line(note: Annotation) -> str:
    """A note as the list shows it: its day, its text and who added it."""
    by = note.added_by or t("the administrator")
    return t("{day}: {text} (added by {who})", day=format_day(note.day), text=note.text,
             who=by)


def _add_form(dataset: Dataset, default_day: date) -> None:
    with st.form(FORM_KEY, clear_on_submit=True, border=False):
        day = st.date_input(t("Date"), value=default_day, key=DATE_KEY, format="DD.MM.YYYY")
        text = st.text_input(t("Note"), key=TEXT_KEY, max_chars=MAX_TEXT_CHARS,
                             placeholder=t("e.g. Price increase"))
        if st.form_submit_button(t("Add note"), icon=":material/add:", key=ADD_KEY):
            try:
                add_annotation(services.get_store(), dataset, day, text)
            except LoyaltyLensError as error:
                show_error(error)


def notes_panel(view: View) -> None:
    """In the sidebar, under the filters: the dataset's notes and a form adding one (the
    charts of this run already draw a note added here: the page runs after the sidebar)."""
    if view.dataset is None or view.filters is None:
        return
    dataset = view.dataset
    with st.sidebar:
        panel = st.expander(t("Notes on the charts"), icon=":material/sticky_note_2:",
                            key=OPEN_KEY, on_change="rerun")
    with panel:
        if not panel.open:
            # closed, it draws nothing: its form and the dataset's notes (read from the
            # store) would otherwise be built and sent on every run of every session
            return
        st.caption(t("Dated notes such as “Loyalty programme launched”: every trend chart "
                     "draws them as a dotted line, and reports and digests list them."))
        _add_form(dataset, view.filters.end or date.today())
        for note in list_annotations(services.get_store(), dataset):
            text, delete = st.columns([5, 1], vertical_alignment="center")
            text.caption(plain(_line(note)))
            delete.button("", icon=":material/delete:", key=DELETE_PREFIX + note.id,
                          help=t("Delete this note"),
                          on_click=callback(_delete), args=(dataset, note.id))
