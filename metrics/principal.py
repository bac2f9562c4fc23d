"""Who uses a store: the principal, and the workspaces named in the users file.

The users file (``auth.json`` in the data folder) is written by :mod:`metrics.access`;
this module only reads it, so the store can check a workspace without importing the
module that manages users (which itself reads the store's catalogue).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from metrics.errors import AccessDenied, InputError
from metrics.i18n import t

AUTH_FILE = "auth.json"
AUTH_FORMAT = 1
# Every dataset stored before workspaces existed, and every dataset the administrator
# stores without naming a workspace, is in this one; it cannot be removed.
DEFAULT_WORKSPACE = "default"


@dataclass(frozen=True)
class Principal:
    """Who runs a command or a dashboard session.

    ``name`` is None for the local administrator (the CLI without ``--user``, an open
    dashboard), who sees every workspace; a user sees the datasets of ``workspaces``
    (all of them when ``is_admin``).
    """

    name: str | None
    workspaces: frozenset[str]
    is_admin: bool

    def can_see(self, workspace: str) -> bool:
        """Whether the datasets of ``workspace`` are this principal's to read and change."""
        return self.is_admin or workspace in self.workspaces


ADMIN = Principal(None, frozenset(), True)


def _empty_auth() -> dict[str, Any]:
    return {"format": AUTH_FORMAT, "workspaces": [DEFAULT_WORKSPACE], "users": {}}


def read_auth(root: Path) -> dict[str, Any]:
    """The users file of the data folder ``root`` (users and workspaces) as stored."""
    try:
        text = (Path(root) / AUTH_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return _empty_auth()
    data: dict[str, Any] = json.loads(text)
    return data


def user_principal(name: str, user: dict[str, Any]) -> Principal:
    """The principal of the user ``name`` from their entry in the users file."""
    return Principal(name, frozenset(user["workspaces"]), bool(user.get("admin")))


def principal_for(root: Path, name: str | None) -> Principal:
    """The principal of the user ``name``; None is the local administrator.

    Raises
    ------
    AccessDenied
        No user has this name.
    """
    if name is None:
        return ADMIN
    user = read_auth(root)["users"].get(name)
    if user is None:
        raise AccessDenied(t("LoyaltyLens has no user of that name: ask your administrator "
                             "to add you."))
    return user_principal(name, user)


def is_shared(root: Path) -> bool:
    """Whether the data folder has users or workspaces (a users file): from then on, what
    is stored, deleted or moved goes to the audit log (before, one person uses it)."""
    return (Path(root) / AUTH_FILE).exists()



def workspaces(root: Path) -> list[str]:
    """The workspaces, ``default`` first, then by name."""
    names = read_auth(root)["workspaces"]
    return [DEFAULT_WORKSPACE, *sorted(n for n in names if n != DEFAULT_WORKSPACE)]


def check_workspace(root: Path, name: str) -> str:
    """``name`` when it is a workspace; else :class:`InputError` saying which there are."""
    known = workspaces(root)
    if name not in known:
        raise InputError(t("There is no workspace “{name}”; the workspaces are: {names}. "
                           "Create it with `loyaltylens workspaces add`.", name=name,
                           names=", ".join(known)))
    return name
