"""Sign-in in the real browser: two users of two workspaces at once, a link of one opened by
the other, the company sign-in through a fake OpenID Connect provider, and the header of a
reverse proxy trusted only from the proxy's address."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from dashboard.safe import inert_addresses
from metrics.access import AUTH_ENV_VAR, CONFIG_FILE, add_user
from tests.browser.test_browser import Watched, browser, free_port, serve  # noqa: F401
from tests.oidc_provider import auth_secrets, running_provider
from tests.test_app_signin import DEMO_NAME, NO_ACCESS, PASSWORD, SMALL_SHOP, two_teams


@pytest.fixture
def teams_db(demo_db_template: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A copy of the demo database: the small shop in North (ana), the demo in South
    (boris); the datasets' ids by workspace."""
    db = tmp_path / "teams.duckdb"
    shutil.copytree(demo_db_template, db)
    return db, two_teams(db)


def sign_in(watched: Watched, url: str, name: str) -> Page:
    page = watched.open(url)
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    watched.settle()
    expect(page.get_by_text(f"Signed in as {name}")).to_be_visible()
    return page


def dataset_names(page: Page) -> list[str]:
    """The names the sidebar's dataset box offers."""
    page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Dataset").click()
    names = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return names


def test_two_users_at_once_each_see_their_own_and_not_the_others_link(
        teams_db: tuple[Path, dict[str, str]], browser: Browser) -> None:  # noqa: F811
    db, ids = teams_db
    with serve(db) as url:
        ana, boris = Watched(browser), Watched(browser)
        ana_page = sign_in(ana, url, "ana")
        boris_page = sign_in(boris, url, "boris")
        assert dataset_names(ana_page) == [SMALL_SHOP]
        assert dataset_names(boris_page) == [DEMO_NAME]
        expect(boris_page.locator('[data-testid="stMetricValue"]').first).to_be_visible()
        ana.check("signin-ana")
        boris.check("signin-boris")

        # boris's link, opened by ana in her browser: a new session, so she signs in
        # (the link's view applies after that)
        link = boris_page.url
        assert f"dataset={ids['South']}" in link
        ana_page = sign_in(ana, link, "ana")
        expect(ana_page.get_by_text(NO_ACCESS)).to_be_visible()
        text = ana_page.locator("body").inner_text()
        assert DEMO_NAME not in text
        assert ana_page.locator('[data-testid="stMetricValue"]').count() == 0
        assert ana_page.locator(".js-plotly-plot").count() == 0
        assert f"dataset={ids['South']}" in ana_page.url, "not switched to her own dataset"
        ana.check("signin-link-refused")
        ana.close()
        boris.close()


def test_signing_in_with_the_company_account(teams_db: tuple[Path, dict[str, str]],
                                             browser: Browser, tmp_path: Path  # noqa: F811
                                             ) -> None:
    db, _ = teams_db
    add_user(db, "ana@example.com", ["North"], PASSWORD)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running_provider() as provider:
        provider.next_user = {"sub": "u-1", "email": "ana@example.com"}
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(auth_secrets(provider, url), encoding="utf-8")
        with serve(db, env={AUTH_ENV_VAR: "oidc"}, port=port,
                   args=["--secrets.files", str(secrets)]):
            watched = Watched(browser)
            page = watched.open(url)
            page.get_by_role("button", name="Sign in with your company account").click()
            # the address as the page shows it, with invisible word joiners
            signed_in = "Signed in as " + inert_addresses("ana@example.com")
            expect(page.get_by_text(signed_in)).to_be_visible(timeout=60_000)
            watched.settle()
            assert dataset_names(page) == [SMALL_SHOP]
            watched.check("signin-oidc")
            watched.close()


def test_the_proxys_header_counts_only_from_the_proxys_address(
        teams_db: tuple[Path, dict[str, str]], browser: Browser) -> None:  # noqa: F811
    db, _ = teams_db
    config = db / CONFIG_FILE
    with serve(db) as url:
        # the browser connects from 127.0.0.1: not the proxy configured here
        config.write_text('[auth]\nmode = "header"\ntrusted_proxies = ["10.9.9.9"]\n')
        outsider = Watched(browser)
        outsider.context.set_extra_http_headers({"X-Forwarded-User": "boris"})
        page = outsider.open(url)
        expect(page.get_by_text("did not come through the reverse proxy")).to_be_visible()
        assert DEMO_NAME not in page.locator("body").inner_text()
        outsider.close()

        # a proxy on this computer: its header says who it is
        config.write_text('[auth]\nmode = "header"\ntrusted_proxies = ["127.0.0.1"]\n')
        proxied = Watched(browser)
        proxied.context.set_extra_http_headers({"X-Forwarded-User": "boris"})
        page = proxied.open(url)
        expect(page.get_by_text("Signed in as boris")).to_be_visible()
        assert dataset_names(page) == [DEMO_NAME]
        proxied.check("signin-header")
        proxied.close()
