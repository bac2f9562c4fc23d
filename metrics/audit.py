"""The audit log: who signed in, stored, deleted or moved which dataset, one JSON line each.

``audit.jsonl`` in the data folder only ever grows. Each event is written with one
``write`` to a file opened with ``O_APPEND``, so the dashboard's processes and the CLI can
write at once without mixing their lines.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

AUDIT_FILE = "audit.jsonl"
# The columns of an event, in the order the table format prints them.
EVENT_FIELDS = ("time", "user", "action", "workspace", "dataset", "subject", "outcome")


def record(root: Path | str, action: str, *, user: str | None,
           workspace: str | None = None, dataset: str | None = None,
           subject: str | None = None, outcome: str = "ok",
           now: float | None = None) -> None:
    """Append one event to the audit log of the data folder ``root``.

    Parameters
    ----------
    root
        The data folder.
    action
        What happened: ``sign_in``, ``sign_in_failed``, ``store``, ``delete``, ``move``,
        ``user_add``, ``user_remove``, ``user_passwd``, ``workspace_add``,
        ``workspace_remove``.
    user
        Who did it (None: the local administrator); for a sign-in, the name typed.
    workspace, dataset
        The workspace and the dataset's id it concerns, if any.
    subject
        The user an administrator's action concerns (added, removed, given a password);
        for a move, the workspace the dataset came from.
    outcome
        ``ok``, or why it failed (``wrong``, ``throttled``).
    now
        Seconds since the epoch (default: now).
    """
    moment = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    event = {"time": moment.isoformat(timespec="seconds"), "user": user, "action": action,
             "workspace": workspace, "dataset": dataset, "subject": subject,
             "outcome": outcome}
    line = (json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8")
    descriptor = os.open(Path(root) / AUDIT_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                         0o600)
    try:
        os.write(descriptor, line)
    finally:
        os.close(descriptor)


def events(root: Path | str, *, since: date | datetime | None = None,
           user: str | None = None) -> list[dict[str, Any]]:
    """The events of the audit log, oldest first.

    Parameters
    ----------
    root
        The data folder.
    since
        Only events at or after this moment (a day: from its start, UTC).
    user
        Only the events of this user.
    """
    try:
        text = (Path(root) / AUDIT_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    start = _utc(since) if since is not None else None
    found = []
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:  # a line a crashed process left unfinished
            continue
        if user is not None and event.get("user") != user:
            continue
        if start is not None and datetime.fromisoformat(event["time"]) < start:
            continue
        found.append(event)
    return found


def _utc(moment: date | datetime) -> datetime:
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
