"""Small JSON files replaced whole: a reader sees the old content or the new, never half."""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def locked(root: Path, name: str) -> Iterator[None]:
    """One changer of a file at a time, across processes and threads (the lock file
    ``name`` in the folder ``root``, made when missing)."""
    Path(root).mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(Path(root) / name, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def replace_json(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to a new file beside ``path`` and rename it over ``path``.

    The new file is readable by its owner only from its first moment (``mkstemp`` makes it
    0600), is on disk before the rename, and the rename is on disk before this returns. A
    writer that dies leaves a ``.<name>-*.json`` file behind, never a half-written
    ``path``.
    """
    handle, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(data, file, ensure_ascii=False, indent=1, default=str)
            file.flush()
            os.fsync(file.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    descriptor = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
