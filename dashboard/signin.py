"""Who uses this session: the sign-in of the mode chosen in ``loyaltylens.toml``, run before
any page or dataset is touched.

``metrics.access`` knows the users, their workspaces and the mode; this module only asks
the person (a form, the company's OpenID Connect provider, or the reverse proxy's header)
and keeps the signed-in user's name in the session, never in the URL. The principal is
looked up afresh on every run, so a user removed or moved to other workspaces is refused
or sees the new workspaces at once.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from pathlib import Path

import streamlit as st
from streamlit import config

from dashboard.safe import plain, show_error
from dashboard.services import PRINCIPAL
from metrics import audit
from metrics.access import ADMIN, Principal, SignIn, authenticate, principal_for, sign_in
from metrics.errors import AccessDenied, LoyaltyLensError
from metrics.i18n import t
from metrics.store import default_db_path

# The session's signed-in user (password mode) and whose sign-in is in the audit log.
SIGNED_IN_USER = "_signed_in_user"
AUDITED_USER = "_audited_user"
# The form's fields, and the sentence of a failed attempt for the run after it.
NAME_KEY = "sign_in_name"
PASSWORD_KEY = "sign_in_password"
SIGN_IN_FAILURE = "_sign_in_failure"


def current_principal() -> Principal | None:
    """The principal of this session, after asking who it is if need be.

    Draws the sign-in (a form or a "Sign in" button) or one sentence of refusal and
    returns None while nobody is signed in; when someone is, shows who in the sidebar
    with a "Sign out" button (or, in the open mode, a caption saying the app is open).
    """
    root = default_db_path()
    try:
        settings = sign_in(root)
        principal = _principal(root, settings)
    except LoyaltyLensError as error:
        show_error(error)
        principal = None
    if principal is None:
        st.session_state.pop(PRINCIPAL, None)
    else:
        st.session_state[PRINCIPAL] = principal
    return principal


def _principal(root: Path, settings: SignIn) -> Principal | None:
    if settings.mode in ("open", "header"):
        _require_local_address(settings.mode)
    if settings.mode == "open":
        # where the other modes say who is signed in: on every page
        st.sidebar.caption(t("No sign-in configured: only this computer can open LoyaltyLens"))
        return ADMIN
    if settings.mode == "password":
        return _password(root)
    if settings.mode == "oidc":
        return _oidc(root)
    return _header(root, settings)


def is_local_address(address: str | None) -> bool:
    """Whether a ``server.address`` lets only this computer connect (empty: every
    interface, so not)."""
    if not address:
        return False
    if address.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to a network interface
        return False


def _require_local_address(mode: str) -> None:
    address = config.get_option("server.address")
    if not is_local_address(address):
        raise AccessDenied(t("LoyaltyLens refuses to serve: with the sign-in mode “{mode}” it "
                             "must listen on this computer only, but server.address is "
                             "“{address}”. Start it with --server.address 127.0.0.1.",
                             mode=mode, address=address or "0.0.0.0"))


# -- password ---------------------------------------------------------------------------------


def _password(root: Path) -> Principal | None:
    name = st.session_state.get(SIGNED_IN_USER)
    if name is not None:
        try:
            principal = principal_for(root, name)
        except AccessDenied:  # removed since signing in
            _forget_session()
        else:
            _signed_in_as(name, _forget_session)
            return principal
    _password_form(root)
    return None


def _password_form(root: Path) -> None:
    st.title(t("Sign in to LoyaltyLens"))
    with st.form("sign_in"):
        st.text_input(t("User name"), key=NAME_KEY)
        st.text_input(t("Password"), type="password", key=PASSWORD_KEY)
        st.form_submit_button(t("Sign in"), type="primary", on_click=_submit, args=(root,))
    failure = st.session_state.pop(SIGN_IN_FAILURE, None)
    if failure is not None:
        show_error(AccessDenied(failure))


def _submit(root: Path) -> None:
    """Check the form's name and password (before the run draws anything); the password
    is emptied at once, so the session never keeps it."""
    name = str(st.session_state.get(NAME_KEY, "")).strip()
    password = str(st.session_state.get(PASSWORD_KEY, ""))
    st.session_state[PASSWORD_KEY] = ""
    try:
        authenticate(root, name, password)  # writes the attempt to the audit log
    except AccessDenied as error:
        st.session_state[SIGN_IN_FAILURE] = error.message
        return
    st.session_state[SIGNED_IN_USER] = name


def _forget_session() -> None:
    """Forget everything of the session (its user, filters, uploads' state): whoever signs
    in next in this browser starts afresh."""
    for key in list(st.session_state):
        del st.session_state[key]


# -- OpenID Connect -----------------------------------------------------------------------


def _oidc(root: Path) -> Principal | None:
    if not _has_auth_secrets():
        raise AccessDenied(t("The sign-in mode is oidc, but the [auth] section of "
                             ".streamlit/secrets.toml is missing: ask your administrator to "
                             "add it."))
    if not st.user.get("is_logged_in"):
        st.title(t("Sign in to LoyaltyLens"))
        st.button(t("Sign in with your company account"), type="primary", on_click=st.login,
                  key="sign_in_oidc")
        return None
    name = oidc_user_name(st.user.to_dict())
    if name is None:
        raise AccessDenied(t("Your company account sent neither an e-mail address nor an id: "
                             "ask your administrator to check the sign-in settings."))
    _signed_in_as(name, st.logout)
    return _known_user(root, name)


def oidc_user_name(claims: Mapping[str, object]) -> str | None:
    """The user name an identity token gives: its e-mail address, else its subject."""
    for claim in ("email", "sub"):
        value = claims.get(claim)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _has_auth_secrets() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return False


# -- a trusted reverse proxy's header -------------------------------------------------------


def request() -> tuple[Mapping[str, str], str | None]:
    """The headers of the session's request and the address it came from (None: this
    computer, as Streamlit reports the loopback address)."""
    return st.context.headers, st.context.ip_address


def _header(root: Path, settings: SignIn) -> Principal | None:
    headers, address = request()
    name = header_user(headers, address, settings)
    _signed_in_as(name, None)
    return _known_user(root, name)


def header_user(headers: Mapping[str, str], address: str | None, settings: SignIn) -> str:
    """The user name the trusted proxy put in the header, when the request comes from the
    proxy (``address`` None: from this computer).

    Raises
    ------
    AccessDenied
        The request did not come from a trusted proxy, or carries no user name.
    """
    if not from_trusted_proxy(address, settings.trusted_proxies):
        raise AccessDenied(t("This request did not come through the reverse proxy LoyaltyLens "
                             "trusts, so it cannot tell who you are: open LoyaltyLens at the "
                             "proxy's address."))
    name = next((value.strip() for key, value in headers.items()
                 if key.lower() == settings.header.lower()), "")
    if not name:
        raise AccessDenied(t("The reverse proxy did not say who you are (no {header} header): "
                             "ask your administrator to check its sign-in.",
                             header=settings.header))
    return name


def from_trusted_proxy(address: str | None, proxies: tuple[str, ...]) -> bool:
    """Whether ``address`` (None: the loopback address) is one of ``proxies`` (addresses
    or networks such as ``10.0.0.0/24``; ``localhost`` is the loopback address)."""
    try:
        client = ipaddress.ip_address(address) if address else None
    except ValueError:
        return False
    if isinstance(client, ipaddress.IPv6Address) and client.ipv4_mapped is not None:
        client = client.ipv4_mapped  # an IPv4 proxy seen through a dual-stack socket
    for proxy in proxies:
        if proxy.strip().lower() == "localhost":
            if client is None or client.is_loopback:
                return True
            continue
        try:
            network = ipaddress.ip_network(proxy.strip(), strict=False)
        except ValueError:
            continue
        if (client is None and network.network_address.is_loopback) or (
                client is not None and client in network):
            return True
    return False


# -- who is signed in -----------------------------------------------------------------------


def _known_user(root: Path, name: str) -> Principal:
    """The principal of a user the provider or proxy vouches for; a name the users file
    does not know sees nothing. The session's first sight of them goes to the audit log."""
    try:
        principal = principal_for(root, name)
    except AccessDenied:
        _audit_once(root, name, "unknown")
        raise
    _audit_once(root, name, "ok")
    return principal


def _audit_once(root: Path, name: str, outcome: str) -> None:
    if st.session_state.get(AUDITED_USER) == (name, outcome):
        return
    audit.record(root, "sign_in" if outcome == "ok" else "sign_in_failed", user=name,
                 outcome=outcome)
    st.session_state[AUDITED_USER] = (name, outcome)


def _signed_in_as(name: str, sign_out: Callable[[], None] | None) -> None:
    with st.sidebar:
        st.caption(plain(t("Signed in as {name}", name=name)))
        if sign_out is not None:
            st.button(t("Sign out"), on_click=sign_out, key="sign_out",
                      icon=":material/logout:")
