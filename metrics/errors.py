"""The error types ``metrics`` raises: each carries one sentence a user can act on."""

from __future__ import annotations


class LoyaltyLensError(Exception):
    """An error whose message is meant for the user: what is wrong and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(LoyaltyLensError):
    """The user's file, mapping or option cannot be used as given."""


class DatasetNotFound(LoyaltyLensError):
    """No dataset has the requested id or name."""


class StoreUnavailable(LoyaltyLensError):
    """The DuckDB file cannot be opened (locked by another process, unreadable, ...)."""


class QueryTimeout(LoyaltyLensError):
    """A query ran longer than the store's time limit and was interrupted."""
