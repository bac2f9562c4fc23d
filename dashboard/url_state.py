"""The view lives in the URL: widget values are read from the query string once, when a
link is opened, and written back on every run, so a copied link reopens the same view.

Reading the URL never raises: a value that cannot be used falls back to the default and
leaves a warning for the page to show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from metrics.i18n import t

if TYPE_CHECKING:
    from streamlit.runtime.state import SessionStateProxy

    # Streamlit's session state (its keys may also be ints), or a plain dict in tests.
    Session: TypeAlias = SessionStateProxy | MutableMapping[str, Any]

T = TypeVar("T")
Choice = TypeVar("Choice", bound=str)
_URL_READ = "_url_keys_read"
_WARNINGS = "_url_warnings"


def parse_date(raw: Sequence[str]) -> date:
    return date.fromisoformat(raw[-1].strip())


def parse_text(raw: Sequence[str]) -> str:
    return raw[-1]


def parse_int(low: int, high: int) -> Callable[[Sequence[str]], int]:
    def parse(raw: Sequence[str]) -> int:
        value = int(raw[-1].strip())
        if not low <= value <= high:
            raise ValueError(value)
        return value
    return parse


def parse_choice(options: Iterable[Choice]) -> Callable[[Sequence[str]], Choice]:
    allowed = list(options)

    def parse(raw: Sequence[str]) -> Choice:
        # the option itself, so a choice typed narrower than str (a Literal) stays so
        for option in allowed:
            if option == raw[-1]:
                return option
        raise ValueError(raw[-1])
    return parse


def parse_flag(raw: Sequence[str]) -> bool:
    """A switch: ``1`` on, ``0`` off (a link leaves an off switch out)."""
    if raw[-1] in ("1", "0"):
        return raw[-1] == "1"
    raise ValueError(raw[-1])


def parse_values(options: Iterable[str]) -> Callable[[Sequence[str]], list[str]]:
    """Several values of a multi-select; any unknown value makes the whole list invalid."""
    allowed = set(options)

    def parse(raw: Sequence[str]) -> list[str]:
        values = [value for value in dict.fromkeys(raw) if value != ""]
        if any(value not in allowed for value in values):
            raise ValueError(values)
        return values
    return parse


def clamp_range(start: date, end: date, first: date, last: date) -> tuple[date, date]:
    """A link's date range moved inside the data's ``first`` to ``last``: the part of it
    that overlaps the data, or the whole data when nothing overlaps (clamping each end on
    its own would shrink a range after the data to its last day). A range that ends
    before it starts (e.g. a link's start alone, after the data) covers nothing either."""
    if start > end or end < first or start > last:
        return first, last
    return max(start, first), min(end, last)


class UrlState:
    """Seeds widget keys of the session from the query string, each once per session.

    A key takes its URL value the first time it is seeded in a session (when the link is
    opened); later seeds of that key (after a page switch or a dataset change reset it)
    take the default, since the URL then only echoes the previous view.

    Parameters
    ----------
    query
        The query string as ``{name: [values]}``.
    session
        Streamlit's session state (or any mutable mapping, in tests).
    """

    def __init__(self, query: Mapping[str, Sequence[str]], session: Session):
        self.query = query
        self.session = session
        session.setdefault(_URL_READ, set())
        session.setdefault(_WARNINGS, [])

    def seed(self, key: str, default: T, parse: Callable[[Sequence[str]], T], what: str) -> None:
        """Give widget ``key`` its URL value on the session's first run, else its default.

        A key that already holds a value (the user's choice) is left alone.
        """
        if key in self.session:
            return
        first_seed = key not in self.session[_URL_READ]
        self.session[_URL_READ].add(key)
        raw = self.query.get(key) if first_seed else None
        if raw:
            try:
                self.session[key] = parse(raw)
                return
            except (ValueError, TypeError):
                shown = ", ".join(raw)
                self.session[_WARNINGS].append(
                    t("The link's {what} “{value}” cannot be used, so the default is shown.",
                      what=what, value=shown)
                )
        self.session[key] = default

    def finish(self) -> list[str]:
        """Hand over (and clear) the warnings to show."""
        warnings = list(self.session[_WARNINGS])
        self.session[_WARNINGS] = []
        return warnings


def query_string_values(state: Session, keys: Iterable[str]) -> dict[str, str | list[str]]:
    """The URL form of the given session values: ISO dates, strings, lists of strings,
    ``1`` for a switch that is on."""
    values: dict[str, str | list[str]] = {}
    for key in keys:
        value = state.get(key)
        if value is None or value is False or value == [] or value == "":
            continue
        if value is True:  # a switch that is on
            values[key] = "1"
            continue
        if isinstance(value, date):
            values[key] = value.isoformat()
        elif isinstance(value, list | tuple):
            values[key] = [str(v) for v in value]
        else:
            values[key] = str(value)
    return values
