"""The catalogues: every text extracted, translated in every language without guesses, the
placeholders kept, and the compiled ``.mo`` files the compilation of their ``.po``.

The completeness checks fail until the Romanian and Russian catalogues are translated:
that is their purpose (``make po`` brings a new text into both, untranslated).
"""

from __future__ import annotations

import csv
import gettext
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from streamlit.testing.v1 import AppTest

from metrics import i18n
from metrics.definitions import REGISTRY
from metrics.loyalty import LOYALTY_TYPE_RULES
from metrics.query.rfm import RFM_RULES
from metrics.roles import TABLE_KINDS
from metrics.translations import (
    BENCHMARK_TEXT_COLUMNS,
    TEMPLATE,
    TRANSLATED,
    compiled,
    extract,
    fields,
    fuzzy,
    placeholder_problems,
    po_path,
    read_catalogue,
    render,
    untranslated,
)

ROOT = Path(__file__).parent.parent
APP = str(ROOT / "dashboard" / "app.py")
PAGES = ("app_pages/overview.py", "app_pages/retention.py", "app_pages/clv.py",
         "app_pages/segments/segments.py", "app_pages/satisfaction.py", "app_pages/data.py")


def template_ids() -> set[str]:
    with TEMPLATE.open("rb") as file:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(file) if m.id}


# -- the template --------------------------------------------------------------------------


def test_the_template_is_extracted_from_the_code_as_it_is() -> None:
    assert TEMPLATE.exists(), "no metrics/locale/loyaltylens.pot: run make po"
    assert render(extract()) == TEMPLATE.read_bytes(), (
        "metrics/locale/loyaltylens.pot is out of date with the code: run make po")


def test_texts_kept_as_data_are_extracted() -> None:
    # Read from the objects the pages show (not from the extractor): every registry entry's
    # name and definition, the RFM segments, loyalty types, table kinds and their columns,
    # and the readable columns of the shipped benchmarks.
    expected = {text for metric in REGISTRY.values()
                for text in (metric.label, metric.definition, metric.long_label) if text}
    expected |= {text for rule in RFM_RULES for text in (rule.segment, rule.description)}
    expected |= {text for rule in LOYALTY_TYPE_RULES
                 for text in (rule.label, rule.rule, rule.meaning)}
    expected |= {kind.label for kind in TABLE_KINDS.values()}
    expected |= {role.label for kind in TABLE_KINDS.values() for role in kind.roles}
    with (ROOT / "data" / "benchmarks.csv").open(encoding="utf-8") as file:
        expected |= {row[column].strip() for row in csv.DictReader(file)
                     for column in BENCHMARK_TEXT_COLUMNS if row[column].strip()}
    assert "Champions" in expected and "Retention rate (CRR)" in expected
    assert sorted(expected - template_ids()) == []


class _Recorder(gettext.NullTranslations):
    """A catalogue that notes every text it is asked for and answers in English."""

    def __init__(self, asked: set[str]) -> None:
        super().__init__()
        self.asked = asked

    def gettext(self, message: str) -> str:
        self.asked.add(message)
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        self.asked.add(singular)
        return singular if n == 1 else plural


def test_every_text_the_pages_ask_for_is_in_the_template(db: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    # What t() and tn() are asked for while every page runs on the demo: a text built at
    # run time, or kept as data without N_(), would read in English in every language.
    asked: set[str] = set()
    monkeypatch.setattr(i18n, "_catalogue", lambda lang: _Recorder(asked))
    for page in PAGES:
        app = AppTest.from_file(APP, default_timeout=120)
        app.switch_page(page)
        app.run()
        assert not app.exception, app.exception
    assert len(asked) > 300
    assert sorted(asked - template_ids()) == []


# -- the languages' catalogues ---------------------------------------------------------------


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_text_is_translated(lang: str) -> None:
    missing = untranslated(read_catalogue(lang), extract())
    assert not missing, (f"{len(missing)} texts have no {lang} translation in "
                         f"{po_path(lang).relative_to(ROOT)}, e.g. {missing[:5]}")


@pytest.mark.parametrize("lang", TRANSLATED)
def test_no_translation_is_fuzzy(lang: str) -> None:
    assert fuzzy(read_catalogue(lang)) == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_placeholders(lang: str) -> None:
    assert placeholder_problems(read_catalogue(lang)) == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_compiled_catalogue_is_the_po_file_compiled(lang: str) -> None:
    mo = po_path(lang).with_suffix(".mo")
    assert mo.exists() and compiled(read_catalogue(lang)) == mo.read_bytes(), (
        f"{mo.relative_to(ROOT)} is not the compilation of its .po: run make po")


@pytest.mark.parametrize(("lang", "forms"), [("ro", 3), ("ru", 3)])
def test_the_plural_forms_are_cldrs(lang: str, forms: int) -> None:
    # Romanian: one, few, other; Russian: one, few, many.
    assert read_catalogue(lang).num_plurals == forms


# -- the checks themselves, on catalogues written here -----------------------------------


def _catalogue(entries: list[tuple[Any, Any, bool]]) -> Catalog:
    catalogue = Catalog(locale="ru")
    for message_id, string, is_fuzzy in entries:
        catalogue.add(message_id, string, flags=("fuzzy",) if is_fuzzy else ())
    return catalogue


def test_the_checks_find_missing_fuzzy_and_changed_placeholders() -> None:
    template = _catalogue([("Orders", None, False), ("Hello {name}", None, False),
                           (("{n} row", "{n} rows"), None, False), ("Revenue", None, False)])
    catalogue = _catalogue([
        ("Orders", "Заказы", False),
        ("Hello {name}", "Привет, {имя}", False),  # the placeholder translated: broken
        (("{n} row", "{n} rows"), ("{n} строка", "{n} строки", ""), False),  # a form missing
        ("Revenue", "Выручка", True),  # a guess
    ])
    assert untranslated(catalogue, template) == ["{n} row"]
    assert fuzzy(catalogue) == ["Revenue"]
    assert placeholder_problems(catalogue) == ["'Hello {name}': 'Привет, {имя}'"]
    assert fields("{a} and {{b}} and {c:,}") == {"a", "c"}


def test_a_plural_form_may_be_the_singulars_or_the_plurals() -> None:
    # Russian "one" also serves 21, 31, ...: it keeps {n}; a form without {n} is the
    # singular's shape, which has no {n} in English either.
    catalogue = _catalogue([(("One row", "{n} rows"), ("Одна строка", "{n} строки",
                                                       "{n} строк"), False),
                            (("{n} day", "{n} days"), ("{n} день", "{days} дня", "{n} дней"),
                             False)])
    assert placeholder_problems(catalogue) == ["'{n} day': '{days} дня'"]
