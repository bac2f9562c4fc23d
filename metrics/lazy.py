"""Functions imported when they are first called, so that a program that never calls one
never pays for importing its module (the CLI: most commands need no pandas nor SciPy)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_functions(module: str, *names: str) -> tuple[Callable[..., Any], ...]:
    """Stand-ins for the functions ``names`` of ``module``, which import it on first call.

    Parameters
    ----------
    module
        The module's full name, e.g. ``"metrics.kpis"``.
    names
        The functions of the module, in the order the stand-ins are returned.

    Returns
    -------
    tuple of callable
        One stand-in a name: it calls ``module.name`` with its arguments (looked up at each
        call, so a function replaced in the module, as a test does, is the one called).
        Type-check the real functions (``if TYPE_CHECKING: from module import ...``).
    """
    return tuple(_lazy_function(module, name) for name in names)


def _lazy_function(module: str, name: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__module__ = module
    return call


def module_value(module: str, name: str) -> Any:
    """``module.name``, the module imported now if it is not yet: a value only some calls
    need (one command's option defaults), its module named as data as in
    :func:`lazy_functions`."""
    return getattr(importlib.import_module(module), name)
