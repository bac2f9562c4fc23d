"""The error types ``metrics`` raises: each carries one sentence a user can act on."""

from __future__ import annotations

import errno
import sys

from metrics.i18n import N_, t


class LoyaltyLensError(Exception):
    """An error whose message is meant for the user: what is wrong and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(LoyaltyLensError):
    """The user's file, mapping or option cannot be used as given."""


class DatasetNotFound(LoyaltyLensError):
    """No dataset has the requested id or name."""


class AccessDenied(InputError):
    """The user may not see or change this (a dataset outside their workspaces, a command
    only the administrator may run, a failed sign-in).

    Without a message it says what a user reads about a dataset they may not open: the
    same sentence whether it is in another workspace or does not exist at all, naming
    neither it nor any of its numbers.
    """

    def __init__(self, message: str | None = None) -> None:
        if message is None:
            message = t("You have no access to this dataset: it is not in your workspaces, "
                        "or there is none by that name. Ask your administrator for access.")
        super().__init__(message)


class StoreUnavailable(LoyaltyLensError):
    """The DuckDB file cannot be opened (locked by another process, unreadable, ...)."""


class ServerTrouble(LoyaltyLensError):
    """The server ran short of memory or disk: nothing the user did, and no bug."""


# What the user reads: the server's trouble, and that it is not theirs to fix.
OUT_OF_MEMORY = (N_("The server could not finish this: it ran out of memory. Try again later, "
                    "or tell your administrator."))
DISK_TROUBLE = (N_("The server could not finish this: it could not read or write its data (its "
                   "disk may be full). Try again later, or tell your administrator."))
_DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EIO)


def server_trouble(error: BaseException) -> ServerTrouble | None:
    """The error a user is shown when ``error`` is the server's own trouble (DuckDB or
    Python out of memory, a full or failing disk), else ``None`` (then it is a bug).

    DuckDB reports a full disk as an ``IOException``, and later writes of the same
    connection as a ``TransactionException``.
    """
    if isinstance(error, (*_duckdb_errors("OutOfMemoryException"), MemoryError)):
        return ServerTrouble(t(OUT_OF_MEMORY))
    if isinstance(error, _duckdb_errors("IOException", "TransactionException")) or (
            isinstance(error, OSError) and error.errno in _DISK_ERRNOS):
        return ServerTrouble(t(DISK_TROUBLE))
    return None


def _duckdb_errors(*names: str) -> tuple[type[BaseException], ...]:
    """DuckDB's exception classes ``names``; none while DuckDB is not imported, since no
    error of its can exist before (a program that never queries, as the CLI's ``--help``,
    does not import it just to classify an error)."""
    duckdb = sys.modules.get("duckdb")
    return tuple(getattr(duckdb, name) for name in names) if duckdb is not None else ()


class QueryTimeout(LoyaltyLensError):
    """A query ran longer than the store's time limit and was interrupted."""
