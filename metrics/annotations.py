"""Annotations: dated notes on a dataset ("loyalty programme launched") that trend charts,
reports and digests draw.

A dataset's notes live in ``annotations/<dataset id>.json`` in the store folder, beside the
catalogue that holds the rest of a dataset's metadata, and not in its version files: a new
version of the dataset (an upload) keeps them, and adding one never replaces the catalogue
(which would make every reader reopen every dataset) nor waits for an upload holding the
store's write lock. Deleting the dataset deletes them (:meth:`metrics.store.Store.
delete_dataset` calls :func:`forget_dataset`). A change reads the file, changes it and
replaces it whole under one lock (across threads and processes), so two people adding a
note at once both keep theirs. Who may read and change a dataset's notes is who may read
and change the dataset: its workspace's users and the administrator.
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from metrics.errors import InputError
from metrics.files import locked, replace_json
from metrics.i18n import t

if TYPE_CHECKING:  # the store imports this module to delete a dataset's notes with it
    from metrics.store import Dataset, Store

FOLDER = "annotations"
LOCK_FILE = ".lock"
FILE_FORMAT = 1
MAX_TEXT_CHARS = 200
# Joiners shape emoji and some scripts' letters: format characters a note may hold.
_ALLOWED_FORMAT_CHARS = {"\u200c", "\u200d"}


@dataclass(frozen=True)
class Annotation:
    """One dated note of a dataset.

    ``added_by`` is the user who added it (None: the local administrator), ``added_at``
    when (UTC).
    """

    id: str
    day: date
    text: str
    added_by: str | None
    added_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """The note as JSON-ready data (the CLI's and the digest's shape)."""
        return {"id": self.id, "date": self.day.isoformat(), "text": self.text,
                "added_by": self.added_by,
                "added_at": self.added_at.isoformat(timespec="seconds")}


def _from_dict(data: dict[str, Any]) -> Annotation:
    return Annotation(id=str(data["id"]), day=date.fromisoformat(data["date"]),
                      text=str(data["text"]), added_by=data.get("added_by"),
                      added_at=datetime.fromisoformat(data["added_at"]))


# -- validation ------------------------------------------------------------------------------


def check_day(value: date | str) -> date:
    """``value`` as a date: a date, or text written YYYY-MM-DD.

    Raises
    ------
    InputError
        It is not a date.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(t("“{value}” is not a date: write the note's date as YYYY-MM-DD, "
                           "e.g. 2024-03-01.", value=str(value))) from None


def check_text(value: str) -> str:
    """The note's text without the spaces around it.

    Raises
    ------
    InputError
        It is empty, longer than :data:`MAX_TEXT_CHARS` characters, or holds a control
        character (a line break, a tab, a direction override, ...).
    """
    text = value.strip()
    if not text:
        raise InputError(t("The note is empty: write what happened on that day."))
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(t("The note has {count} characters: shorten it to {limit} or "
                           "fewer.", count=len(text), limit=MAX_TEXT_CHARS))
    if any(_is_control(char) for char in text):
        raise InputError(t("The note holds a control character (a line break, a tab or an "
                           "invisible mark): write it as one line of plain text."))
    return text


def _is_control(char: str) -> bool:
    # Cc: line breaks, tabs, escapes; Cf: invisible marks such as direction overrides,
    # which make a note read differently from what it holds
    category = unicodedata.category(char)
    return category == "Cc" or (category == "Cf" and char not in _ALLOWED_FORMAT_CHARS)


# -- the file --------------------------------------------------------------------------------


def _folder(store: Store) -> Path:
    return Path(store.root) / FOLDER


def _path(root: Path, dataset_id: str) -> Path:
    return root / FOLDER / f"{dataset_id}.json"


def _read(path: Path) -> list[Annotation]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [_from_dict(item) for item in json.loads(text)["annotations"]]


def _write(path: Path, notes: Iterable[Annotation]) -> None:
    replace_json(path, {"format": FILE_FORMAT,
                        "annotations": [note.to_dict() for note in notes]})


def _sorted(notes: Iterable[Annotation]) -> list[Annotation]:
    # stable: notes of one day stay in the order they were added (the file's order)
    return sorted(notes, key=lambda note: note.day)


def _visible(store: Store, dataset: Dataset) -> Dataset:
    """The dataset as the store's principal finds it now: refused
    (:class:`~metrics.errors.AccessDenied`) outside their workspaces, and when it was
    deleted meanwhile, as :meth:`~metrics.store.Store.dataset` refuses it."""
    return store.dataset(dataset.id)


# -- the public API --------------------------------------------------------------------------


def list_annotations(store: Store, dataset: Dataset, start: date | None = None,
                     end: date | None = None) -> list[Annotation]:
    """The dataset's notes dated from ``start`` to ``end`` (each included when given),
    by date, then in the order they were added.

    Raises
    ------
    AccessDenied
        The dataset is not in the principal's workspaces.
    """
    found = _visible(store, dataset)
    return [note for note in _sorted(_read(_path(Path(store.root), found.id)))
            if (start is None or note.day >= start) and (end is None or note.day <= end)]


def add_annotation(store: Store, dataset: Dataset, day: date | str, text: str
                   ) -> Annotation:
    """Add a note dated ``day`` to the dataset, as the store's principal; return it.

    Raises
    ------
    InputError
        ``day`` is not a date, or ``text`` is empty, too long or holds control
        characters (nothing is stored).
    AccessDenied
        The dataset is not in the principal's workspaces.
    """
    note = Annotation(id=secrets.token_hex(4), day=check_day(day), text=check_text(text),
                      added_by=store.principal.name,
                      added_at=datetime.now(UTC).replace(microsecond=0))
    with locked(_folder(store), LOCK_FILE):
        # looked up under the lock: a dataset deleted meanwhile gets no file again
        # (its deletion removes the file under the same lock, after the catalogue)
        found = _visible(store, dataset)
        path = _path(Path(store.root), found.id)
        _write(path, [*_read(path), note])
    return note


def delete_annotation(store: Store, dataset: Dataset, annotation_id: str) -> Annotation:
    """Delete the dataset's note ``annotation_id``; return it.

    Raises
    ------
    InputError
        The dataset has no note with that id.
    AccessDenied
        The dataset is not in the principal's workspaces.
    """
    with locked(_folder(store), LOCK_FILE):
        found = _visible(store, dataset)
        path = _path(Path(store.root), found.id)
        notes = _read(path)
        kept = [note for note in notes if note.id != annotation_id.strip()]
        if len(kept) == len(notes):
            raise InputError(t("The dataset “{name}” has no note “{id}”: list its notes "
                               "with `loyaltylens annotations` to see their ids.",
                               name=found.name, id=annotation_id))
        _write(path, kept)
    return next(note for note in notes if note.id == annotation_id.strip())


def forget_dataset(root: Path, dataset_id: str) -> None:
    """Delete every note of a dataset (which is being deleted)."""
    with locked(Path(root) / FOLDER, LOCK_FILE):
        _path(Path(root), dataset_id).unlink(missing_ok=True)
