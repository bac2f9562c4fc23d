"""The language switch: the sidebar picker in the URL, one language per session (two
sessions of one server at once each in its own), and the CLI's --lang and LOYALTYLENS_LANG.

A session's language shows in its texts (once the catalogues are translated) and, already
now, in its numbers: the same revenue reads 1.234.567 in Romanian and 1 234 567 in Russian.
"""

from __future__ import annotations

import gettext
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.i18n import DOMAIN, LOCALE_DIR, language
from metrics.kpis import kpi_table
from metrics.query.filters import Filters
from metrics.store import Store
from tests.test_app import APP, dataset_id, open_app

GROUPING = {"en": ",", "ro": ".", "ru": "\xa0"}


def translated(lang: str, message: str) -> str:
    """``message`` as the language's compiled catalogue has it (English where it has none)."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True
                               ).gettext(message)


@contextmanager
def reading(lang: str) -> Iterator[None]:
    """The test's thread in the language a session shows: AppTest, like a browser, finds a
    widget's option by its label, which it writes with the page's format_func in the
    calling thread (the script itself runs in a thread of its own)."""
    token = language.set(lang)
    try:
        yield
    finally:
        language.reset(token)


def demo_revenue(db: Path, lang: str) -> str:
    """The Q3 2025 revenue card of the demo, written out with Python's own grouping and the
    language's separator (cards drop the cents of amounts of 1,000 or more)."""
    with Store(db) as store:
        table = kpi_table(store, store.dataset("Demo shop"), Filters(period="quarter"))
    revenue = table[table["period_start"] == date(2025, 7, 1)].iloc[0]["revenue"]
    assert revenue >= 1000
    return f"{round(revenue):,}".replace(",", GROUPING[lang])


def revenue_card(app: AppTest) -> str:
    (card,) = [m for m in app.metric if m.label.startswith(translated(language_of_app(app),
                                                                       "Revenue"))]
    return str(card.value)


def language_of_app(app: AppTest) -> str:
    return str(app.selectbox(key="lang").value)


def demo_query(db: Path, lang: str | None) -> dict[str, str | list[str]]:
    query: dict[str, str | list[str]] = {"dataset": dataset_id(db, "Demo shop"),
                                         "period": "quarter", "at": "2025-07-01"}
    if lang is not None:
        query["lang"] = lang
    return query


def test_a_link_opens_in_its_language_and_the_picker_changes_it(db: Path) -> None:
    app = open_app(demo_query(db, "ro"))
    assert language_of_app(app) == "ro"
    assert revenue_card(app) == demo_revenue(db, "ro")
    assert app.title[0].value == translated("ro", "Overview")
    with reading("ro"):
        app.selectbox(key="lang").set_value("ru").run()
    assert not app.exception
    assert app.query_params["lang"] == "ru"  # a copied link now opens in Russian
    assert revenue_card(app) == demo_revenue(db, "ru")
    assert app.title[0].value == translated("ru", "Overview")
    assert language.get() == "en", "the test's own thread keeps its language"


def test_without_lang_the_browsers_language_is_used_and_written_to_the_link(db: Path) -> None:
    app = open_app(demo_query(db, None))  # AppTest's browser sends no locale: English
    assert language_of_app(app) == "en"
    assert app.query_params["lang"] == "en"
    assert revenue_card(app) == demo_revenue(db, "en")


def test_a_links_unknown_language_warns_and_falls_back(db: Path) -> None:
    app = AppTest.from_file(APP, default_timeout=60)
    for key, value in demo_query(db, "xx").items():
        app.query_params[key] = value
    app.run()
    assert not app.exception
    assert language_of_app(app) == "en"
    assert any("“xx”" in w.value for w in app.warning)


def test_two_sessions_of_one_server_at_once_each_in_its_language(db: Path) -> None:
    apps = {lang: AppTest.from_file(APP, default_timeout=120) for lang in ("ro", "ru")}
    for lang, app in apps.items():
        for key, value in demo_query(db, lang).items():
            app.query_params[key] = value
    start = threading.Barrier(len(apps))
    failures: list[BaseException] = []

    def session(app: AppTest, lang: str) -> None:
        try:
            start.wait(timeout=60)
            with reading(lang):
                app.run()
                app.run()  # a second run of each session, interleaved with the other's
        except BaseException as error:  # reported in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=session, args=(app, lang)) for lang, app in apps.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not failures, failures
    for lang, app in apps.items():
        assert not app.exception, app.exception
        assert language_of_app(app) == lang
        assert revenue_card(app) == demo_revenue(db, lang), lang
        assert app.title[0].value == translated(lang, "Overview")


# -- the CLI ---------------------------------------------------------------------------------


def cli(*args: str, lang_env: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LOYALTYLENS_LANG"}
    if lang_env is not None:
        env["LOYALTYLENS_LANG"] = lang_env
    return subprocess.run([sys.executable, "-m", "metrics.cli", *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)


@pytest.mark.parametrize("lang", ["en", "ro", "ru"])
def test_the_cli_help_is_in_the_language_asked_for(lang: str) -> None:
    description = "Customer-loyalty KPIs from your orders: the numbers of the dashboard."
    for result in (cli("--lang", lang, "--help"), cli("--help", lang_env=lang)):
        assert result.returncode == 0, result.stderr
        assert translated(lang, description).split(":")[0] in " ".join(result.stdout.split())
        assert result.stdout.startswith(translated(lang, "usage: "))


def test_the_cli_says_which_languages_it_speaks() -> None:
    result = cli("--lang", "de", "datasets")
    assert result.returncode == 2 and "'en', 'ro', 'ru'" in result.stderr
    result = cli("datasets", lang_env="de")
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: LOYALTYLENS_LANG is “de”, a language LoyaltyLens "
                                     "does not speak: set it to en, ro or ru.")


def test_the_cli_writes_its_errors_in_the_language(tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    message = translated("ru", "There is no dataset “{name}”. Run `loyaltylens datasets` or "
                               "open the Data page to see the datasets there are.")
    result = cli("--db", str(db), "--lang", "ru", "kpis", "--dataset", "Nope")
    assert result.returncode == 2
    assert result.stderr.strip() == translated("ru", "error: {message}").format(
        message=message.format(name="Nope"))
