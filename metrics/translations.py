"""The translation catalogues: extract the texts, update the languages' ``.po``, compile ``.mo``.

``make po`` runs ``python -m metrics.translations``: it extracts every text a user reads
(``babel.cfg`` says from where, :data:`KEYWORDS` by which calls) into
``metrics/locale/loyaltylens.pot``, merges it into each language's ``.po`` (new texts come in
untranslated, never guessed from a similar one: no fuzzy matching) and compiles the ``.mo``
files that :mod:`metrics.i18n` reads. The ``.mo`` files are committed, so a checkout
(``make run``), ``pip install .`` and the wheel all carry them; ``tests/test_translations.py``
fails when one is not the compilation of its ``.po``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from string import Formatter
from typing import IO, Any

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from metrics.i18n import DEFAULT_LANGUAGE, DOMAIN, LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "babel.cfg"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
# The languages with a catalogue (English is the source): metrics.i18n.LANGUAGES.
TRANSLATED = tuple(lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE)
# t and tn translate where they are written; N_ and Nn_ only mark a text kept as data
# (a metric's label, a table of reasons) that is translated with t where it is shown.
KEYWORDS = ("t", "tn:1,2", "N_", "Nn_:1,2")
# The columns of data/benchmarks.csv a user reads beside a figure; the rest are numbers,
# ids, the sources' own titles and addresses.
BENCHMARK_TEXT_COLUMNS = ("definition", "sector", "industry", "region")
# Neither a date nor a line number goes into the files: a code change that moves a text
# does not change the catalogues, so parallel branches do not collide on them.
_FIXED_DATE = datetime(2026, 1, 1)


def extract_benchmarks(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
                       options: Any) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel extractor for ``data/benchmarks.csv``: the texts of its readable columns."""
    rows = csv.DictReader(io.TextIOWrapper(fileobj, encoding="utf-8"))
    for number, row in enumerate(rows, start=2):
        for column in BENCHMARK_TEXT_COLUMNS:
            text = (row.get(column) or "").strip()
            if text:
                yield number, None, text, [f"benchmarks.csv column {column}"]


def extract() -> Catalog:
    """Every text of the code and the shipped data, as a catalogue template."""
    with MAPPING.open() as file:
        method_map, options_map = parse_mapping_cfg(file, str(MAPPING))
    template = Catalog(project="LoyaltyLens", domain=DOMAIN, creation_date=_FIXED_DATE,
                       revision_date=_FIXED_DATE, msgid_bugs_address="", fuzzy=False)
    for path, line, message, comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=parse_keywords(KEYWORDS),
            comment_tags=("Translators:",)):
        template.add(message, None, [(path, line)], auto_comments=comments, context=context)
    return template


def render(catalogue: Catalog) -> bytes:
    """A catalogue as the ``.po`` / ``.pot`` text committed: sorted, files without lines."""
    output = io.BytesIO()
    write_po(output, catalogue, width=100, sort_output=True, include_lineno=False,
             ignore_obsolete=True)
    return output.getvalue()


def po_path(lang: str) -> Path:
    """The ``.po`` source of a language."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(lang: str) -> Catalog:
    """A language's ``.po``."""
    with po_path(lang).open("rb") as file:
        return read_po(file, locale=lang, domain=DOMAIN)


def compiled(catalogue: Catalog) -> bytes:
    """The ``.mo`` of a catalogue (fuzzy translations left out, as gettext does)."""
    output = io.BytesIO()
    write_mo(output, catalogue)
    return output.getvalue()


def update(template: Catalog, lang: str) -> Catalog:
    """A language's catalogue brought up to the template: new texts untranslated, texts no
    longer in the code dropped; a missing language starts with CLDR's plural rules."""
    if not po_path(lang).exists():
        catalogue = Catalog(locale=lang, domain=DOMAIN, project="LoyaltyLens",
                            creation_date=_FIXED_DATE, revision_date=_FIXED_DATE, fuzzy=False)
    else:
        catalogue = read_catalogue(lang)
    catalogue.update(template, no_fuzzy_matching=True, update_header_comment=False,
                     update_creation_date=False)
    return catalogue


def fields(text: str) -> set[str]:
    """The ``{named}`` placeholders of a text (``{{`` and ``}}`` are literal braces)."""
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def _forms(message: Message) -> tuple[list[str], list[str]]:
    """A message's English forms and its translated ones (one each, or the plural's)."""
    english = list(message.id) if isinstance(message.id, tuple | list) else [message.id]
    translated = (list(message.string) if isinstance(message.string, tuple | list)
                  else [message.string or ""])
    return english, translated


def untranslated(catalogue: Catalog, template: Catalog) -> list[str]:
    """The template's texts with no translation (or a form of one missing) in ``catalogue``."""
    missing = []
    for wanted in template:
        if not wanted.id:
            continue
        message = catalogue.get(wanted.id, wanted.context)
        if message is None or not all(_forms(message)[1]) or (
                wanted.pluralizable and len(_forms(message)[1]) < catalogue.num_plurals):
            missing.append(_forms(wanted)[0][0])
    return missing


def fuzzy(catalogue: Catalog) -> list[str]:
    """The texts whose translation is marked fuzzy (a guess to check, which gettext skips)."""
    return [_forms(message)[0][0] for message in catalogue if message.id and message.fuzzy]


def placeholder_problems(catalogue: Catalog) -> list[str]:
    """The translated texts whose ``{placeholders}`` differ from the English: each form of a
    translation has those of one of the English forms (a Russian or Romanian form may be
    the singular's or the plural's)."""
    problems = []
    for message in catalogue:
        english, translated = _forms(message)
        if not message.id:
            continue
        allowed = [fields(form) for form in english]
        for form in filter(None, translated):
            try:
                if fields(form) not in allowed:
                    problems.append(f"{english[0]!r}: {form!r}")
            except ValueError:  # an unmatched brace
                problems.append(f"{english[0]!r}: {form!r}")
    return problems


def main() -> None:
    """Extract, update every language and compile (``make po``)."""
    template = extract()
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATE.write_bytes(render(template))
    for lang in TRANSLATED:
        catalogue = update(template, lang)
        po_path(lang).parent.mkdir(parents=True, exist_ok=True)
        po_path(lang).write_bytes(render(catalogue))
        po_path(lang).with_suffix(".mo").write_bytes(compiled(read_catalogue(lang)))
    print(f"{len(template)} texts; catalogues in {LOCALE_DIR}")


if __name__ == "__main__":
    main()
