"""The one translation function every user-facing text goes through.

English is the source language. Catalogues for other languages are gettext ``.mo`` files
under ``metrics/locale/<lang>/LC_MESSAGES/loyaltylens.mo``; until one exists, ``t`` falls
back to English, so adding Romanian or Russian later needs no change to calling code.
"""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "loyaltylens"
DEFAULT_LANGUAGE = "en"

language: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


@cache
def _catalogue(lang: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def t(message: str, /, **fields: object) -> str:
    """Translate ``message`` into the current language and fill its ``{named}`` fields.

    Field values are inserted after translation, so translators see the placeholders.
    """
    text = _catalogue(language.get()).gettext(message)
    return text.format(**fields) if fields else text


def N_(message: str, /) -> str:
    """Mark ``message`` for extraction without translating it: a text kept as data (a
    metric's label, a segment name, a table of reasons) and translated with :func:`t` where
    it is shown, in the reader's language rather than the one current at import time."""
    return message


def Nn_(singular: str, plural: str, /) -> tuple[str, str]:
    """Like :func:`N_` for a singular and plural pair, later passed to :func:`tn`."""
    return singular, plural


def tn(singular: str, plural: str, count: int, /, **fields: object) -> str:
    """Like :func:`t` for a text that depends on a count (Russian has three plural forms).

    ``{n}`` in the text is the count with thousands separators.
    """
    text = _catalogue(language.get()).ngettext(singular, plural, count)
    return text.format(n=f"{count:,}", **fields)
