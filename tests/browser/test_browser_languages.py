"""The app in Romanian and Russian in a real browser: the managers' path in every language,
a link that keeps its language, the browser's language by default, and every page in
``ro`` and ``ru`` screenshotted at 1440 px with no English word left on it.

An English word is a word of the English texts (the catalogue template's msgids) that the
language's own catalogue never uses (so "NPS", "CSV" or the Romanian "client" are not
English there), that is no proper name of :data:`PROPER_NAMES`, and that is not part of the
data (the demo's segment values, products and comments, the benchmarks' sources and
titles): data is never translated. Streamlit's own words (the file uploader's "Drag and
drop") are not LoyaltyLens's to translate and are left out of the text read.
"""

from __future__ import annotations

import csv
import functools
import gettext
import re
from pathlib import Path

import duckdb
import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Browser, Page, expect

from metrics.demo import DEMO_NAME
from metrics.i18n import DOMAIN, LANGUAGE_NAMES, LOCALE_DIR
from metrics.query.sql import quote_ident
from metrics.store import Store
from metrics.translations import TEMPLATE, po_path
from tests.browser.test_browser import (  # noqa: F401 (fixtures)
    ARTIFACTS,
    PAGES,
    SEGMENTS_TABS,
    Watched,
    app_url,
    browser,
    sidebar,
)

ROOT = Path(__file__).resolve().parents[2]
# Names that read the same in every language: measures, models, file formats, the product.
PROPER_NAMES = {"nps", "rfm", "csat", "cli", "clv", "cac", "aov", "crr", "bg", "nbd", "gamma",
                "loyaltylens", "csv", "excel", "xlsx", "utf", "bom", "sql", "id", "kaplan",
                "meier", "welch", "poisson", "bain", "acsi", "w", "s", "n", "e", "r", "f", "m",
                "p", "q", "k", "α", "mrr"}
# Streamlit's own words on a page (its file uploader, menus, status, the keyboard's "Skip
# to main content"), not ours to translate, and the names of Material icons, which a
# font draws as pictures ("download").
STREAMLIT_CHROME = ('[data-testid="stFileUploaderDropzoneInstructions"]',
                    '[data-testid="stToolbar"]', '[data-testid="stStatusWidget"]',
                    '[data-testid="stMainMenu"]', '[data-testid="stDecoration"]',
                    '[data-testid="stSkipToContent"]', '[data-testid="stIconMaterial"]',
                    ".modebar-container")
VISIBLE_TEXT = """(skipped) => {
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, element = node.parentElement;
    if (!element || skipped.some((selector) => element.closest(selector))) continue;
    if (element.closest('script, style, noscript, title')) continue;
    const style = getComputedStyle(element);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const box = element.getBoundingClientRect();
    if (!box.width && !box.height) continue;
    parts.push(node.textContent);
  }
  return parts.join(' ');
}"""
WORD = re.compile(r"[^\W\d_]+")
# An identifier a user types as it is (a metric id in a benchmark file: net_churn_rate).
IDENTIFIER = re.compile(r"\w+_\w+")


def translated(lang: str, message: str) -> str:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True
                               ).gettext(message)


def words(text: str) -> set[str]:
    return {word.casefold() for word in WORD.findall(IDENTIFIER.sub(" ", text))}


# Read once per language: english_left asks for every word shown, and parsing a catalogue
# per word made the Romanian walk (ASCII words) minutes long.
@functools.cache
def english_words() -> frozenset[str]:
    """Every word of the English texts (placeholders left out)."""
    with TEMPLATE.open("rb") as file:
        texts = [form for message in read_po(file) if message.id
                 for form in (message.id if isinstance(message.id, tuple) else (message.id,))]
    return frozenset(word for text in texts
                     for word in words(re.sub(r"\{[^{}]*\}", " ", text)) if word.isascii())


@functools.cache
def language_words(lang: str) -> frozenset[str]:
    """Every word the language's catalogue uses (its translations)."""
    with po_path(lang).open("rb") as file:
        catalogue = read_po(file)
    return frozenset(word for message in catalogue if message.id
                     for form in (message.string if isinstance(message.string, tuple)
                                  else (message.string,)) if form
                     for word in words(form))


def data_words(db: Path) -> set[str]:
    """The words of the demo's data (every text value of its tables) and of the shipped
    benchmarks' sources and titles: data, shown as it is."""
    with Store(db) as store:
        found = {word for dataset in store.datasets() for word in words(dataset.name)}
    for file in db.rglob("*.duckdb"):
        with duckdb.connect(str(file), read_only=True) as con:
            columns = con.execute(
                "SELECT table_schema, table_name, column_name FROM information_schema.columns "
                "WHERE data_type = 'VARCHAR' AND table_catalog = current_database()").fetchall()
            for schema, table, column in columns:
                where = f"{quote_ident(schema)}.{quote_ident(table)}"
                rows = con.execute(f"SELECT DISTINCT {quote_ident(column)} FROM {where} "
                                   "LIMIT 5000").fetchall()
                found |= {word for (value,) in rows if value for word in words(str(value))}
    with (ROOT / "data" / "benchmarks.csv").open(encoding="utf-8") as file:
        for row in csv.DictReader(file):
            found |= words(" ".join(row[c] for c in ("source", "title", "url", "metric")))
    return found


def english_left(page: Page, lang: str, allowed: set[str]) -> list[str]:
    """The English words a person reads on the page."""
    shown = words(page.evaluate(VISIBLE_TEXT, list(STREAMLIT_CHROME)))
    return sorted(w for w in shown if w.isascii() and w in english_words()
                  and w not in language_words(lang) and w not in allowed)


@pytest.fixture(scope="module")
def demo(demo_db_template: Path) -> str:
    with Store(demo_db_template) as store:
        return store.dataset(DEMO_NAME).id


def heading(page: Page, text: str) -> None:
    main = page.get_by_test_id("stMainBlockContainer")
    expect(main.get_by_role("heading", name=text, exact=True)).to_be_visible()


def pick_language(watched: Watched, lang: str) -> None:
    """Choose ``lang`` in the sidebar's language picker, as a user does."""
    page = watched.page
    sidebar(page).get_by_role(
        "combobox", name=translated(current_language(page), "Language")).click()
    page.get_by_role("option", name=LANGUAGE_NAMES[lang], exact=True).click()
    page.wait_for_function("lang => location.search.includes('lang=' + lang)", arg=lang)
    watched.settle()


def current_language(page: Page) -> str:
    match = re.search(r"[?&]lang=(\w+)", page.url)
    assert match, page.url
    return match.group(1)


@pytest.mark.parametrize("lang", ["en", "ro", "ru"])
def test_the_managers_path_in_each_language(app_url: str, browser: Browser,  # noqa: F811
                                            demo: str, lang: str) -> None:
    first = Watched(browser)
    page = first.open(f"{app_url}/?dataset={demo}&lang={lang}")
    heading(page, translated(lang, "Overview"))
    # the granularity, the way a user sets it, then another page
    sidebar(page).get_by_text(translated(lang, "Quarter"), exact=True).click()
    first.settle()
    assert "period=quarter" in page.url and f"lang={lang}" in page.url
    sidebar(page).get_by_role("link", name=translated(lang, "Retention")).click()
    first.settle()
    heading(page, translated(lang, "Retention"))
    assert "period=quarter" in page.url and f"lang={lang}" in page.url
    first.check(f"i18n-path-{lang}-retention")
    shared = page.url
    first.close()

    # a colleague whose browser speaks another language opens the link: the sender's
    colleague = Watched(browser)
    colleague.context.close()
    colleague.context = browser.new_context(viewport={"width": 1440, "height": 900},
                                            locale="ru-RU" if lang != "ru" else "en-US")
    colleague.page = colleague.context.new_page()
    other = colleague.open(shared)
    heading(other, translated(lang, "Retention"))
    expect(sidebar(other).get_by_label(translated(lang, "Quarter"))).to_be_checked()
    # ... and picks their own: the page and the link follow
    mine = "ru" if lang != "ru" else "en"
    pick_language(colleague, mine)
    heading(other, translated(mine, "Retention"))
    assert "period=quarter" in other.url
    colleague.check(f"i18n-path-{lang}-shared-{mine}")
    colleague.close()


@pytest.mark.parametrize(("locale", "lang"), [("ro-RO", "ro"), ("ru-RU", "ru"), ("de-DE", "en")])
def test_a_link_without_a_language_opens_in_the_browsers(app_url: str,  # noqa: F811
                                                         browser: Browser,  # noqa: F811
                                                         demo: str, locale: str,
                                                         lang: str) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale=locale)
    watched = Watched(browser)
    watched.context.close()
    watched.context, watched.page = context, context.new_page()
    page = watched.open(f"{app_url}/?dataset={demo}")
    heading(page, translated(lang, "Overview"))
    page.wait_for_function("lang => location.search.includes('lang=' + lang)", arg=lang)
    watched.close()


@pytest.fixture(scope="module")
def allowed(demo_db_template: Path) -> set[str]:
    return PROPER_NAMES | data_words(demo_db_template)


@pytest.mark.parametrize("lang", ["ro", "ru"])
def test_every_page_reads_in_the_language_with_no_english_left(
        app_url: str, browser: Browser, demo: str, allowed: set[str],  # noqa: F811
        lang: str) -> None:
    folder = ARTIFACTS / f"i18n-{lang}"
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots of every page in {lang}: {folder}")
    english: list[str] = []
    watched = Watched(browser, 1440, 900)  # one browser for every page: a returning visit
    for path, title in PAGES:
        page = watched.open(f"{app_url}/{path}?dataset={demo}&lang={lang}")
        heading(page, translated(lang, title))
        views: list[tuple[str, str | None]] = [(path or "overview", None)]
        if path == "segments":
            views = [(f"segments-{n + 1}", tab) for n, tab in enumerate(SEGMENTS_TABS)]
        for name, tab in views:
            if tab:
                page.get_by_role("tab", name=translated(lang, tab)).click()
                watched.settle()
            watched.check(f"i18n-{lang}/{name}")
            english += [f"{name}: {word}" for word in english_left(page, lang, allowed)]
    watched.close()
    assert not english, "\n".join(english)



def test_two_browsers_on_one_server_at_once_each_in_its_own_language(
        app_url: str, browser: Browser, demo: str) -> None:  # noqa: F811
    # one process serves both: a process-wide language would leak from one to the other
    romanian, russian = Watched(browser), Watched(browser)
    ro_page = romanian.open(f"{app_url}/?dataset={demo}&lang=ro")
    ru_page = russian.open(f"{app_url}/retention?dataset={demo}&lang=ru")
    for _ in range(2):  # each reruns while the other's page is open
        sidebar(ro_page).get_by_text(translated("ro", "Quarter"), exact=True).click()
        sidebar(ru_page).get_by_text(translated("ru", "Week"), exact=True).click()
        romanian.settle()
        russian.settle()
        heading(ro_page, translated("ro", "Overview"))
        heading(ru_page, translated("ru", "Retention"))
        sidebar(ro_page).get_by_text(translated("ro", "Month"), exact=True).click()
        sidebar(ru_page).get_by_text(translated("ru", "Month"), exact=True).click()
    romanian.close()
    russian.close()
