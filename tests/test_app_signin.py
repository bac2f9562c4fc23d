"""Sign-in in the dashboard under AppTest, in each mode: who may open which datasets, a link
to another workspace's dataset, uploads and deletes within one's workspaces, the audit
log of sign-ins, and the caches that never hand one user's result to another."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.util import patch_config_options

from dashboard import services, signin
from dashboard.safe import WORD_JOINER
from dashboard.signin import from_trusted_proxy, header_user, is_local_address, oidc_user_name
from metrics import audit
from metrics.access import AUTH_ENV_VAR, CONFIG_FILE, SignIn, add_user, add_workspace
from metrics.access import principal_for as user_principal
from metrics.demo import DEMO_NAME
from metrics.errors import AccessDenied
from metrics.query.filters import Filters
from metrics.store import Store
from tests.test_app import APP, PAGES, store_upload, unescaped, upload

PASSWORD = "correct horse battery"
SMALL_SHOP = "Small shop"
# What a user reads for a dataset outside their workspaces (the sentence of the issue).
NO_ACCESS = "You have no access to this dataset"
WRONG = "The user name or the password is wrong."
OPEN_NOTE = "No sign-in configured: only this computer can open LoyaltyLens"


def two_teams(db: Path) -> dict[str, str]:
    """The small shop in workspace North, the demo shop in South; ana sees North, boris
    South, cara both. Returns the datasets' ids by workspace."""
    add_workspace(db, "North")
    add_workspace(db, "South")
    with Store(db) as store:
        ids = {"North": store.dataset(SMALL_SHOP).id, "South": store.dataset(DEMO_NAME).id}
        store.move_dataset(ids["North"], "North")
        store.move_dataset(ids["South"], "South")
    add_user(db, "ana", ["North"], PASSWORD)
    add_user(db, "boris", ["South"], PASSWORD)
    add_user(db, "cara", ["North", "South"], PASSWORD)
    return ids


def new_app(query: Mapping[str, str] | None = None, page: str | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        app.query_params[key] = value
    if page is not None:
        app.switch_page(page)
    return app


def run(app: AppTest) -> AppTest:
    app.run()
    assert not app.exception, app.exception
    return app


def sign_in(app: AppTest, name: str, password: str) -> AppTest:
    app.text_input(key="sign_in_name").input(name)
    app.text_input(key="sign_in_password").input(password)
    next(b for b in app.button if b.label == "Sign in").click()
    return run(app)


def page_text(app: AppTest) -> str:
    """Everything the page says: titles, texts, alerts, captions and widget labels."""
    parts = [e.value for kind in (app.title, app.markdown, app.caption, app.warning,
                                  app.error, app.info, app.success, app.subheader,
                                  app.header) for e in kind]
    parts += [w.label for w in (*app.button, *app.selectbox, *app.text_input)]
    parts += [str(o) for box in app.selectbox for o in box.options]
    # an e-mail address is shown with invisible word joiners (dashboard.safe.plain)
    return unescaped("\n".join(str(p) for p in parts)).replace(WORD_JOINER, "")


def dataset_options(app: AppTest) -> list[str]:
    """The names the dataset box offers."""
    return list(app.selectbox(key="dataset").options)


def has_dataset_box(app: AppTest) -> bool:
    return any(box.key == "dataset" for box in app.selectbox)


# -- password ---------------------------------------------------------------------------------


def test_password_mode_asks_first_and_shows_only_the_users_workspace(db: Path) -> None:
    ids = two_teams(db)
    app = run(new_app())
    assert not has_dataset_box(app), "nothing is shown before signing in"
    assert SMALL_SHOP not in page_text(app) and DEMO_NAME not in page_text(app)

    sign_in(app, "ana", PASSWORD)
    assert not app.error
    assert dataset_options(app) == [SMALL_SHOP]
    assert app.selectbox(key="dataset").value == ids["North"]
    assert "Signed in as ana" in page_text(app)
    # the principal is the session's, never the URL's
    assert all("ana" not in str(value) for value in app.query_params.values())


def test_a_wrong_password_and_an_unknown_user_get_the_same_sentence(db: Path) -> None:
    two_teams(db)
    wrong = sign_in(run(new_app()), "ana", "not her password")
    unknown = sign_in(run(new_app()), "nobody", PASSWORD)
    assert [unescaped(e.value) for e in wrong.error] == [WRONG]
    assert [unescaped(e.value) for e in unknown.error] == [WRONG]
    assert not has_dataset_box(wrong) and not has_dataset_box(unknown)
    assert wrong.text_input(key="sign_in_password").value == "", "not kept in the session"
    right = sign_in(run(new_app()), "boris", PASSWORD)
    assert not right.error
    events = [(e["action"], e["user"], e["outcome"]) for e in audit.events(db)
              if e["action"].startswith("sign_in")]
    assert events == [("sign_in_failed", "ana", "wrong"), ("sign_in_failed", "nobody", "wrong"),
                      ("sign_in", "boris", "ok")]


def test_signing_out_forgets_the_user(db: Path) -> None:
    two_teams(db)
    app = sign_in(run(new_app()), "ana", PASSWORD)
    next(b for b in app.button if b.label == "Sign out").click()
    run(app)
    assert not has_dataset_box(app)
    assert app.text_input(key="sign_in_name").value == ""


def test_a_link_to_another_workspaces_dataset_says_no_access_and_shows_nothing(db: Path
                                                                               ) -> None:
    ids = two_teams(db)
    # boris's link to the demo shop, opened by ana: she signs in, the link still applies
    app = run(new_app({"dataset": ids["South"], "period": "quarter"}))
    sign_in(app, "ana", PASSWORD)
    warnings = [unescaped(w.value) for w in app.warning]
    assert len(warnings) == 1 and warnings[0].startswith(NO_ACCESS), warnings
    assert app.selectbox(key="dataset").value is None, "not switched to her own dataset"
    text = page_text(app)
    assert DEMO_NAME not in text
    assert not app.metric and not app.get("plotly_chart")
    # she may open her own instead: a button per dataset of hers
    assert [b.label for b in app.button if b.key and b.key.startswith("open_dataset_")] == [
        SMALL_SHOP]


def test_a_link_for_a_user_without_any_dataset_says_no_access(db: Path) -> None:
    ids = two_teams(db)
    add_workspace(db, "West")
    add_user(db, "dan", ["West"], PASSWORD)
    app = sign_in(run(new_app({"dataset": ids["North"]})), "dan", PASSWORD)
    assert any(unescaped(w.value).startswith(NO_ACCESS) for w in app.warning)
    assert SMALL_SHOP not in page_text(app)


ORDERS = "customer_id,order_date,amount\nC1,2024-01-05,10.00\nC2,2024-02-07,20.00\n"


def upload_as(db: Path, user: str, workspace: str | None = None) -> str:
    """Upload ORDERS as a new dataset on the Data page as ``user`` (picking ``workspace``
    when given); the workspace it was stored in."""
    two_teams(db)
    app = sign_in(run(new_app(page="app_pages/data.py")), user, PASSWORD)
    app = upload(app, "team orders.csv", ORDERS.encode())
    pickers = [box for box in app.selectbox if box.key and box.key.startswith("workspace_")]
    if workspace is None:
        assert not pickers, "no choice for a user of one workspace"
    else:
        assert list(pickers[0].options) == ["North", "South"]
        pickers[0].select(workspace).run()
    store_upload(app)
    with Store(db) as store:
        return store.dataset("team orders").workspace


def test_an_upload_goes_into_the_users_only_workspace(db: Path) -> None:
    assert upload_as(db, "ana") == "North"


def test_a_user_of_several_workspaces_picks_where_an_upload_goes(db: Path) -> None:
    assert upload_as(db, "cara", "South") == "South"


def test_the_delete_choice_holds_only_the_users_datasets(db: Path) -> None:
    two_teams(db)
    app = sign_in(run(new_app(page="app_pages/data.py")), "boris", PASSWORD)
    assert list(app.selectbox(key="delete_choice").options) == [DEMO_NAME]


# -- OpenID Connect ---------------------------------------------------------------------------

AUTH_SECRETS = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                         "cookie_secret": "x" * 32, "client_id": "loyaltylens",
                         "client_secret": "secret",
                         "server_metadata_url": "http://127.0.0.1:9/.well-known/openid"}}


@pytest.fixture
def oidc(db: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    ids = two_teams(db)
    add_user(db, "ana@example.com", ["North"], PASSWORD)
    monkeypatch.setenv(AUTH_ENV_VAR, "oidc")
    return ids


def oidc_app(user: dict[str, object]) -> AppTest:
    app = new_app()
    app.secrets = AUTH_SECRETS
    app.user = user
    return run(app)


def test_oidc_offers_the_company_sign_in_first(oidc: dict[str, str]) -> None:
    app = oidc_app({"is_logged_in": False})
    assert [b.label for b in app.button] == ["Sign in with your company account"]
    assert not has_dataset_box(app)


def test_oidc_user_sees_the_workspaces_the_users_file_gives_their_e_mail(
        db: Path, oidc: dict[str, str]) -> None:
    app = oidc_app({"is_logged_in": True, "email": "ana@example.com", "sub": "123"})
    assert dataset_options(app) == [SMALL_SHOP]
    assert "Signed in as ana@example.com" in page_text(app)
    assert [(e["action"], e["user"]) for e in audit.events(db)
            if e["action"] == "sign_in"] == [("sign_in", "ana@example.com")]


def test_oidc_user_the_users_file_does_not_know_sees_no_dataset(
        db: Path, oidc: dict[str, str]) -> None:
    app = oidc_app({"is_logged_in": True, "email": "zoe@example.com"})
    assert not has_dataset_box(app)
    assert len(app.error) == 1
    text = page_text(app)
    assert SMALL_SHOP not in text and DEMO_NAME not in text
    assert [b.label for b in app.button] == ["Sign out"]
    assert [(e["action"], e["user"], e["outcome"]) for e in audit.events(db)
            if e["action"].startswith("sign_in")] == [
        ("sign_in_failed", "zoe@example.com", "unknown")]


def test_the_oidc_user_name_is_the_e_mail_else_the_subject() -> None:
    assert oidc_user_name({"email": "ana@example.com", "sub": "42"}) == "ana@example.com"
    assert oidc_user_name({"sub": "42"}) == "42"
    assert oidc_user_name({"email": " ", "name": "Ana"}) is None


# -- a trusted proxy's header -----------------------------------------------------------------


@pytest.fixture
def header_mode(db: Path) -> dict[str, str]:
    ids = two_teams(db)
    (db / CONFIG_FILE).write_text('[auth]\nmode = "header"\ntrusted_proxies = ["127.0.0.1"]\n')
    return ids


def from_request(monkeypatch: pytest.MonkeyPatch, headers: dict[str, str],
                 address: str | None) -> None:
    monkeypatch.setattr(signin, "request", lambda: (headers, address))


def test_header_mode_trusts_the_proxys_user(header_mode: dict[str, str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # Streamlit reports a request from this computer's loopback address as None
    from_request(monkeypatch, {"X-Forwarded-User": "boris"}, None)
    app = run(new_app())
    assert dataset_options(app) == [DEMO_NAME]


def test_header_mode_refuses_a_request_not_from_the_proxy(header_mode: dict[str, str],
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    from_request(monkeypatch, {"X-Forwarded-User": "boris"}, "192.168.1.20")
    app = run(new_app())
    assert not has_dataset_box(app)
    assert [unescaped(e.value) for e in app.error] == [
        "This request did not come through the reverse proxy LoyaltyLens trusts, so it "
        "cannot tell who you are: open LoyaltyLens at the proxy's address."]


def test_header_mode_refuses_to_serve_a_network(header_mode: dict[str, str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from_request(monkeypatch, {"X-Forwarded-User": "boris"}, None)
    with patch_config_options({"server.address": "0.0.0.0"}):
        app = run(new_app())
    assert not has_dataset_box(app)
    assert len(app.error) == 1 and "server.address is “0.0.0.0”" in unescaped(app.error[0].value)


def test_the_header_user_counts_only_from_a_trusted_proxy() -> None:
    settings = SignIn(mode="header", header="X-Remote-User", trusted_proxies=("10.0.0.0/24",))
    assert header_user({"x-remote-user": "ana"}, "10.0.0.7", settings) == "ana"
    with pytest.raises(AccessDenied):
        header_user({"X-Remote-User": "ana"}, "10.0.1.7", settings)
    with pytest.raises(AccessDenied):
        header_user({"X-Remote-User": "ana"}, None, settings)  # this computer: not listed
    with pytest.raises(AccessDenied):
        header_user({"X-Forwarded-User": "ana"}, "10.0.0.7", settings)  # another header


def test_trusted_proxies_and_local_addresses() -> None:
    assert from_trusted_proxy(None, ("127.0.0.1",))
    assert from_trusted_proxy(None, ("localhost",))
    assert from_trusted_proxy("::ffff:10.0.0.1", ("10.0.0.1",))  # seen through IPv6
    assert from_trusted_proxy("10.0.0.1", ("10.0.0.1",))
    assert not from_trusted_proxy("10.0.0.2", ("10.0.0.1", "not an address"))
    assert [is_local_address(a) for a in ("localhost", "127.0.0.1", "::1", "[::1]")] == [
        True] * 4
    assert [is_local_address(a) for a in ("", None, "0.0.0.0", "192.168.1.5", "example.com")
            ] == [False] * 5


# -- open -------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_without_users_every_page_says_it_is_open_to_this_computer_only(db: Path, page: str
                                                                        ) -> None:
    app = run(new_app(page=page))
    assert OPEN_NOTE in [c.value for c in app.sidebar.caption]


def test_without_users_the_app_refuses_to_serve_a_network(db: Path) -> None:
    with patch_config_options({"server.address": "0.0.0.0"}):
        app = run(new_app())
    assert not has_dataset_box(app)
    assert len(app.error) == 1


# -- caches -----------------------------------------------------------------------------------


def test_a_cached_result_never_reaches_a_user_of_other_workspaces(db: Path) -> None:
    ids = two_teams(db)
    with Store(db) as admin, Store(db, principal=user_principal(db, "ana")) as ana:
        demo = admin.dataset(ids["South"])
        version = services.dataset_version(demo)
        filters = Filters(period="quarter")
        computed = services._kpis(admin, services.cache_scope(admin), demo.id, version,
                                  filters)
        assert len(computed) > 0
        with pytest.raises(AccessDenied):  # computed for her (and refused), not the cache's
            services._kpis(ana, services.cache_scope(ana), demo.id, version, filters)
