"""The one translation function every user-facing text goes through, in the language of
the session.

English is the source language. Catalogues for other languages are gettext ``.mo`` files
under ``metrics/locale/<lang>/LC_MESSAGES/loyaltylens.mo`` (``make po`` builds them); a text
missing from one reads in English. The language is the ContextVar :data:`language`, set at
the start of each script run (the dashboard) or command (the CLI): Streamlit serves many
sessions in one process, so there is no process-wide ``gettext.install``.
"""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.numbers import format_decimal

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "loyaltylens"
DEFAULT_LANGUAGE = "en"
# The languages LoyaltyLens speaks: English, the source, and those with a catalogue.
LANGUAGES = ("en", "ro", "ru")
# Each language's name in itself, as a language picker lists them (never translated).
LANGUAGE_NAMES = {"en": "English", "ro": "Română", "ru": "Русский"}
# The CLI's language when --lang is not given.
LANGUAGE_ENV_VAR = "LOYALTYLENS_LANG"

language: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


def language_of(tag: str | None) -> str | None:
    """The language LoyaltyLens speaks that a language tag names ("ro", "ro-RO",
    "ru_RU.UTF-8", "en-US"), or None for any other (or no) tag."""
    code = (tag or "").replace("_", "-").split("-")[0].split(".")[0].strip().lower()
    return code if code in LANGUAGES else None


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


def format_number(value: float, pattern: str = "#,##0", /) -> str:
    """``value`` as the current language writes numbers, with a CLDR ``pattern``: 1,234.5
    in English, 1.234,5 in Romanian, 1 234,5 in Russian (a no-break space)."""
    return format_decimal(value, format=pattern, locale=language.get())


def tn(singular: str, plural: str, count: int, /, **fields: object) -> str:
    """Like :func:`t` for a text that depends on a count (Russian has three plural forms).

    ``{n}`` in the text is the count with the language's thousands separators.
    """
    text = _catalogue(language.get()).ngettext(singular, plural, count)
    return text.format(n=format_number(count), **fields)
