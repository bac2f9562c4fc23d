"""The language switch: the sidebar picker in the URL, one language per session (two
sessions of one server at once each in its own), and the CLI's --lang and LOYALTYLENS_LANG.

A session's language shows in its texts (once the catalogues are translated) and, already
now, in its numbers: the same revenue reads 1.234.567 in Romanian and 1 234 567 in Russian.
"""

from __future__ import annotations

import asyncio
import gettext
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest
from streamlit.testing.v1 import AppTest

from bench.load import server
from bench.session_client import SessionClient, Step
from metrics.i18n import DOMAIN, LOCALE_DIR, language
from metrics.kpis import kpi_table
from metrics.query.filters import Filters
from metrics.store import Store
from tests.test_app import APP, dataset_id, open_app

TIMEOUT = 120  # seconds a run may take on a busy 2-core machine
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


@pytest.fixture(scope="module")
def demo_server(demo_db_template: Path, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[tuple[str, Path]]:
    """The dashboard under ``streamlit run`` serving a copy of the demo database: one
    server whose sessions run side by side, as a team's do (AppTest cannot: each of its
    runs swaps Streamlit's one global runtime, so two at once trip over each other)."""
    folder = tmp_path_factory.mktemp("two_languages")
    db = folder / "demo.duckdb"
    shutil.copytree(demo_db_template, db)
    with server(db, folder / "server.log") as (url, _):
        yield url, db


def test_two_sessions_of_one_server_at_once_each_in_its_language(
        demo_server: tuple[str, Path]) -> None:
    url, db = demo_server
    languages = ("ro", "ru")

    async def session(lang: str) -> list[Step]:
        link = "/?" + urlencode(demo_query(db, lang))
        async with SessionClient(url) as client:
            opened = await client.open(link, TIMEOUT)
            await asyncio.sleep(0)  # the other session's step goes between the two
            return [opened, await client.open(link, TIMEOUT)]

    async def both() -> list[list[Step]]:
        return await asyncio.gather(*(session(lang) for lang in languages))

    for lang, steps in zip(languages, asyncio.run(both()), strict=True):
        for step in steps:
            assert step.error is None, (lang, step.error)
            assert parse_qs(step.query_string)["lang"] == [lang]
            assert translated(lang, "Overview") in [h.body for h in step.of_type("heading")]
            revenue = [card.body for card in step.of_type("metric")
                       if card.label.startswith(translated(lang, "Revenue"))]
            assert revenue == [demo_revenue(db, lang)], lang


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
