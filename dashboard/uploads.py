"""Uploaded files on the server's disk: in a private folder of the server's own (mode 0700),
one folder per upload, kept only while the Data page needs them."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

if TYPE_CHECKING:
    from streamlit.runtime.uploaded_file_manager import UploadedFile

ROOT_PREFIX = "loyaltylens-uploads-"
# Where every server kept uploads before they had a folder of their own (world-readable).
LEGACY_FOLDER = "loyaltylens-uploads"
# An upload no session has replaced, stored or dropped in this long was abandoned (its
# session closed): removed when the next file is uploaded.
MAX_AGE_SECONDS = 24 * 3600
# The session-state key of the Data page's upload (file id, saved path).
UPLOAD_FILE = "_upload_file"


def make_upload_root(parent: Path) -> Path:
    """A new private folder for this server's uploads, under ``parent``.

    The folders that servers no longer running left behind (their process is gone) are
    removed first, and this one is removed when the server stops.
    """
    sweep_stale_roots(parent)
    root = Path(tempfile.mkdtemp(prefix=f"{ROOT_PREFIX}{os.getpid()}-", dir=parent))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


def sweep_stale_roots(parent: Path) -> None:
    """Remove the upload folders of servers that stopped without cleaning up (killed, or
    the machine restarted), and the shared folder of earlier versions."""
    shutil.rmtree(parent / LEGACY_FOLDER, ignore_errors=True)
    for root in parent.glob(f"{ROOT_PREFIX}*"):
        pid = root.name.removeprefix(ROOT_PREFIX).split("-", 1)[0]
        if root.is_dir() and pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(root, ignore_errors=True)


def _running(pid: int) -> bool:
    """Whether a process with this id runs (it may be a reused id: then it is kept)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


@st.cache_resource(show_spinner=False)
def upload_root() -> Path:
    """The server's private folder for uploads (one per server process)."""
    return make_upload_root(Path(tempfile.gettempdir()))


def save_upload(root: Path, name: str, data: bytes) -> Path:
    """The uploaded bytes in a new folder of their own, under the user's file name (what
    every message names): two sessions uploading the same file get two copies.

    Uploads older than :data:`MAX_AGE_SECONDS` are removed on the way.
    """
    remove_old_uploads(root, time.time() - MAX_AGE_SECONDS)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=root))
    # the browser sends a bare name; a name that is no file name here keeps only its end
    safe = Path(name).name.strip() or "upload"
    if safe.startswith(".") or len(safe.encode()) > 200:
        safe = "upload" + Path(safe).suffix[:20]
    path = folder / safe
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    return path


def staging_folder(upload: Path) -> Path:
    """A new folder beside an upload for the tables its check stages."""
    return Path(tempfile.mkdtemp(prefix="staged-", dir=upload.parent))


def discard_upload(upload: Path) -> None:
    """Remove an upload and everything staged from it."""
    shutil.rmtree(upload.parent, ignore_errors=True)


def remove_old_uploads(root: Path, before: float) -> None:
    """Remove the uploads last touched before ``before`` (a time.time())."""
    for folder in root.glob("upload-*"):
        with contextlib.suppress(OSError):
            if folder.stat().st_mtime < before:
                shutil.rmtree(folder, ignore_errors=True)


def session_upload(key: str, upload: UploadedFile | None) -> Path | None:
    """The saved copy of a session's upload in the uploader ``key``: saved once per file,
    the previous one removed when another file replaces it or the uploader is cleared."""
    saved: tuple[str, Path] | None = st.session_state.get(key)
    if saved is not None and upload is not None and saved[0] == upload.file_id and (
            saved[1].exists()):
        return saved[1]
    forget_upload(key)
    if upload is None:
        return None
    path = save_upload(upload_root(), upload.name, upload.getvalue())
    st.session_state[key] = (upload.file_id, path)
    return path


def forget_upload(key: str) -> None:
    """Remove the session's upload in the uploader ``key`` (stored, or dropped)."""
    saved: tuple[str, Path] | None = st.session_state.pop(key, None)
    if saved is not None:
        discard_upload(saved[1])
