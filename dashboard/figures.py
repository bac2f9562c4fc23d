"""The pages' Plotly figures, built once for what they show and shared by every session.

A chart builder is pure (its data and options in, a figure out, in the session's language),
yet building a figure costs tens of milliseconds of Python (Plotly validates every property
it is given), more than the rest of a page's run once its data is cached. With many sessions
on one view each run rebuilt the same figures under one interpreter lock, so they queued on
it. :func:`figure` builds a figure once per builder, arguments and language and hands every
later run the same object, to draw and never to change (``st.plotly_chart`` and the image
downloads copy it). A table's Arrow form, which Streamlit would otherwise convert from its
data frame on every run, is made once the same way (:func:`shared`).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, ParamSpec, TypeVar

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from metrics.i18n import language

P = ParamSpec("P")
T = TypeVar("T")

# Like the cached results the figures are drawn from (dashboard.services): a figure nobody
# has drawn for a while gives its memory back. The entries bound the memory too: a figure is
# a few hundred kilobytes at most (a page draws up to six).
FIGURE_TTL = timedelta(hours=2)
MAX_FIGURES = 512


def figure_key(builder: Callable[..., go.Figure], *args: object, **kwargs: object) -> str:
    """What a figure is built from: the builder, its arguments and the session's language
    (titles, axis names and number marks are written in it).

    The arguments are keyed by their content (:func:`content`: a data frame by every value,
    never a sample of it), so two sessions showing the same data share the figure and a
    figure of other data is never handed out.
    """
    return call_key(builder, args, kwargs)


def call_key(function: Callable[..., Any], args: tuple[object, ...],
             kwargs: Mapping[str, object], unknown: list[object] | None = None) -> str:
    """What ``function(*args, **kwargs)`` computes in the session's language, as one text
    (:func:`figure_key`); values :func:`content` does not know go to ``unknown``, when
    given, for the caller to key otherwise."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(repr((_name(function), language.get(), content(args, unknown),
                        content(dict(kwargs), unknown))).encode())
    return digest.hexdigest()


def content(value: object, unknown: list[object] | None = None) -> object:
    """``value`` as nested tuples of texts and bytes that are equal exactly when the values
    are: what a chart builder may be given (data frames, dates, numbers, texts, frozen
    dataclasses such as a benchmark comparison, and the functions that name a chart's
    lines).

    Pickled bytes would not do: pickle writes an object seen twice as a reference, so two
    equal frames built apart can pickle differently. A function is keyed by its name, so
    it must be a module's function (or a ``functools.partial`` of one) whose result
    depends on its arguments and the language alone, never a closure over the session's
    state. Anything else raises TypeError, or with a list ``unknown`` is appended to it
    and stands as its position there.
    """
    if value is None or isinstance(value, (str, bytes, bool, int, float, complex, date,
                                          datetime, np.generic)):
        return type(value).__qualname__, repr(value)
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return type(value).__qualname__, repr(getattr(value, "name", None)), _frame(value)
    if isinstance(value, (list, tuple)):
        return type(value).__qualname__, *(content(item, unknown) for item in value)
    if isinstance(value, dict):
        return "dict", *sorted((repr(k), content(v, unknown)) for k, v in value.items())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _name(type(value)), *((field.name, content(getattr(value, field.name), unknown))
                                     for field in dataclasses.fields(value))
    if isinstance(value, functools.partial):
        return ("partial", content(value.func, unknown), content(value.args, unknown),
                content(value.keywords, unknown))
    if callable(value) and "<" not in getattr(value, "__qualname__", "<"):
        return "function", _name(value)
    if unknown is not None:
        unknown.append(value)
        return "unknown", len(unknown) - 1
    raise TypeError(f"a figure cannot be keyed by {type(value).__qualname__} {value!r}: pass "
                    "data, or a module's function rather than a closure")


def _frame(frame: pd.DataFrame | pd.Series) -> tuple[object, ...]:
    """Every value of a frame: its columns' names, its index, then each column's dtype
    and values, numbers by their bytes and anything else by its ``repr`` (which writes a
    date, a text and None apart). Faster than pandas' own row hashes, which take
    milliseconds for a table of a few hundred rows."""
    columns = frame.to_frame() if isinstance(frame, pd.Series) else frame
    return (tuple(map(repr, columns.columns)), _cells(columns.index),
            *((str(column.dtype), _cells(column)) for _, column in columns.items()))


def _cells(values: pd.Series | pd.Index) -> bytes | str:
    """The values of a column or an index."""
    if isinstance(values, pd.RangeIndex):
        return repr(values)
    array = values.to_numpy()
    if array.dtype.kind in "biufcmM":  # numbers, booleans, datetimes: their exact bytes
        return np.ascontiguousarray(array).tobytes()
    if len(array) and set(map(type, array)) == {date}:
        # DuckDB's dates (pandas keeps them as objects): their day numbers, exact and
        # several times faster than writing each date out on every run
        return b"date " + np.fromiter(map(date.toordinal, array), np.int64, len(array)).tobytes()
    return repr(array.tolist())


def _name(function: Any) -> str:
    return f"{function.__module__}.{function.__qualname__}"


@st.cache_resource(show_spinner=False, max_entries=MAX_FIGURES, ttl=FIGURE_TTL)
def _built(key: str, _build: Callable[[], Any]) -> Any:
    # keyed by ``key`` alone (an argument starting with _ is not hashed); sessions asking
    # for the same missing figure at once wait for one build
    return _build()


class DrawnFigure(go.Figure):
    """A figure built once and drawn by many runs, never changed after it is built: its
    dict, which ``st.plotly_chart`` asks for on every run (Plotly deep-copies the figure
    and encodes its arrays anew each time), is made once too. Read it, never change it."""

    def to_dict(self) -> dict[str, Any]:
        made: dict[str, Any] | None = getattr(self, "_drawn_dict", None)
        if made is None:  # two runs at once may both make it: the same dict
            made = self._drawn_dict = super().to_dict()
        return made


def figure(builder: Callable[P, go.Figure], *args: P.args, **kwargs: P.kwargs) -> go.Figure:
    """``builder(*args, **kwargs)``, built once for these arguments and language and
    shared by every session: draw it, never change it."""
    return shared(_drawn, builder, *args, **kwargs)


def _drawn(builder: Callable[..., go.Figure], *args: Any, **kwargs: Any) -> go.Figure:
    built = builder(*args, **kwargs)
    if type(built) is go.Figure:
        # the object itself made a DrawnFigure (a copy would validate it all again)
        built.__class__ = DrawnFigure
    return built


def shared(build: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``build(*args, **kwargs)`` of a pure ``build`` (a module's function), made once for
    these arguments and language and shared by every session: read it, never change it."""
    made: T = _built(figure_key(build, *args, **kwargs), lambda: build(*args, **kwargs))
    return made


def clear() -> None:
    """Forget every figure and table made (tests that count the builds start from none)."""
    _built.clear()
