"""Who may see what: workspaces, users with Argon2 password hashes, sign-in and its modes.

The users and workspaces live in ``auth.json`` beside the catalogue in the data folder
(:func:`metrics.store.default_db_path`), readable by its owner only and replaced in one
rename. Failed sign-ins are counted in ``auth-state.json`` beside it, so every dashboard
process and the CLI slow the same guesser down. The sign-in mode is chosen in
``loyaltylens.toml`` in the same folder (or ``$LOYALTYLENS_AUTH``).

:class:`Principal`, :data:`ADMIN`, :data:`DEFAULT_WORKSPACE`, :func:`workspaces`,
:func:`check_workspace`, :func:`is_shared` and :func:`principal_for` live in
:mod:`metrics.principal`, which the store and the CLI import without Argon2; they are named
here too (``import X as X``), so access is one module to its callers.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import secrets
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from metrics import audit
from metrics.catalogue import workspace_dataset_count
from metrics.errors import AccessDenied, InputError
from metrics.files import locked, replace_json
from metrics.i18n import t
from metrics.principal import ADMIN as ADMIN
from metrics.principal import AUTH_FILE, read_auth, user_principal
from metrics.principal import DEFAULT_WORKSPACE as DEFAULT_WORKSPACE
from metrics.principal import Principal as Principal
from metrics.principal import check_workspace as check_workspace
from metrics.principal import is_shared as is_shared
from metrics.principal import principal_for as principal_for
from metrics.principal import workspaces as workspaces

STATE_FILE = "auth-state.json"
CONFIG_FILE = "loyaltylens.toml"
AUTH_ENV_VAR = "LOYALTYLENS_AUTH"
SIGN_IN_MODES = ("password", "oidc", "header", "open")
SignInMode = Literal["password", "oidc", "header", "open"]
DEFAULT_USER_HEADER = "X-Forwarded-User"
# Failed sign-ins within this window count; past this many, each further attempt is
# refused until the oldest of them leaves the window. Per name, a guesser of one
# password waits; overall, a guesser spreading attempts over many names waits too (set
# higher so a team's typos do not lock everyone out at once).
FAILURE_WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_OVERALL = 20
MIN_PASSWORD_LENGTH = 8
# A user's name: an e-mail address or a login name as OIDC or a proxy sends it.
_USER_NAME = re.compile(r"[\w.@+-]{1,100}")
# A workspace's name: a team or a brand, as people write it (letters of any alphabet).
_WORKSPACE_NAME = re.compile(r"\w[\w .&-]{0,63}")

Clock = Callable[[], float]


@dataclass(frozen=True)
class SignIn:
    """How the dashboard signs people in (``loyaltylens.toml``'s ``[auth]`` table).

    ``header`` and ``trusted_proxies`` are those of the ``header`` mode: the request header
    the reverse proxy puts the user's name in, and the address(es) the proxy connects from.
    """

    mode: SignInMode
    header: str = DEFAULT_USER_HEADER
    trusted_proxies: tuple[str, ...] = ()


# -- the file --------------------------------------------------------------------------------


@contextmanager
def _changing(root: Path) -> Iterator[dict[str, Any]]:
    """The users file to change: written back when the block ends without an error."""
    with locked(root, ".auth.lock"):
        data = read_auth(root)
        yield data
        replace_json(Path(root) / AUTH_FILE, data)


def add_workspace(root: Path, name: str) -> None:
    """Create the workspace ``name`` (a team or a brand).

    Raises
    ------
    InputError
        The name is not usable or the workspace exists already.
    """
    name = name.strip()
    if not _WORKSPACE_NAME.fullmatch(name):
        raise InputError(t("“{name}” cannot name a workspace: use up to 64 letters, digits, "
                           "spaces, dots, dashes or &, starting with a letter or digit.",
                           name=name))
    with _changing(root) as data:
        if name in data["workspaces"]:
            raise InputError(t("The workspace “{name}” exists already.", name=name))
        data["workspaces"].append(name)
    audit.record(root, "workspace_add", user=None, workspace=name)


def remove_workspace(root: Path, name: str) -> None:
    """Remove an empty workspace (and take it from its users).

    Raises
    ------
    InputError
        It does not exist, is ``default``, or still holds datasets (move or delete them
        first).
    """
    if name == DEFAULT_WORKSPACE:
        raise InputError(t("The workspace “{name}” always exists: it holds the datasets "
                           "stored without a workspace.", name=name))
    with _changing(root) as data:
        if name not in data["workspaces"]:
            raise InputError(t("There is no workspace “{name}”.", name=name))
        if workspace_dataset_count(root, name):
            raise InputError(t("The workspace “{name}” still holds datasets: move them to "
                               "another workspace or delete them first.", name=name))
        data["workspaces"].remove(name)
        for user in data["users"].values():
            user["workspaces"] = [w for w in user["workspaces"] if w != name]
    audit.record(root, "workspace_remove", user=None, workspace=name)


# -- users -----------------------------------------------------------------------------------


def _hasher() -> PasswordHasher:
    return PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash of a password nobody knows, verified for an unknown name so that answering
    "wrong password" and "no such user" takes the same time."""
    return _hasher().hash(secrets.token_hex(16))


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(t("The password is too short: use at least {n} characters.",
                           n=MIN_PASSWORD_LENGTH))
    return password


def _user_workspaces(data: dict[str, Any], names: Iterable[str]) -> list[str]:
    chosen = sorted(set(names))
    unknown = [n for n in chosen if n not in data["workspaces"]]
    if unknown:
        raise InputError(t("There is no workspace “{name}”; create it first with "
                           "`loyaltylens workspaces add`.", name=unknown[0]))
    return chosen


def add_user(root: Path, name: str, workspaces: Iterable[str], password: str, *,
             admin: bool = False) -> None:
    """Add a user who signs in with ``password`` and sees the datasets of ``workspaces``.

    Parameters
    ----------
    root
        The data folder.
    name
        The user's name (a login or an e-mail address, as OIDC or a proxy sends it).
    workspaces
        The workspaces whose datasets the user sees and changes (at least one, unless
        ``admin``).
    password
        At least :data:`MIN_PASSWORD_LENGTH` characters; only its Argon2 hash is kept.
    admin
        The user sees every workspace, as the local administrator does.

    Raises
    ------
    InputError
        The name is not usable or taken, a workspace does not exist, or the password is
        too short.
    """
    if not _USER_NAME.fullmatch(name):
        raise InputError(t("“{name}” cannot name a user: use letters, digits and . @ + - "
                           "(an e-mail address works).", name=name))
    password_hash = _hasher().hash(_check_password(password))
    with _changing(root) as data:
        if name in data["users"]:
            raise InputError(t("The user “{name}” exists already; change their password "
                               "with `loyaltylens users passwd`.", name=name))
        chosen = _user_workspaces(data, workspaces)
        if not chosen and not admin:
            raise InputError(t("Give the user at least one workspace (--workspace)."))
        data["users"][name] = {"workspaces": chosen, "admin": admin, "hash": password_hash}
    audit.record(root, "user_add", user=None, subject=name)


def remove_user(root: Path, name: str) -> None:
    """Remove a user; their datasets stay in their workspaces.

    Raises
    ------
    InputError
        There is no such user.
    """
    with _changing(root) as data:
        if data["users"].pop(name, None) is None:
            raise InputError(t("There is no user “{name}”.", name=name))
    audit.record(root, "user_remove", user=None, subject=name)


def set_password(root: Path, name: str, password: str) -> None:
    """Give a user a new password.

    Raises
    ------
    InputError
        There is no such user, or the password is too short.
    """
    password_hash = _hasher().hash(_check_password(password))
    with _changing(root) as data:
        if name not in data["users"]:
            raise InputError(t("There is no user “{name}”.", name=name))
        data["users"][name]["hash"] = password_hash
    audit.record(root, "user_passwd", user=None, subject=name)


def users(root: Path) -> list[dict[str, Any]]:
    """Every user by name: ``{"name", "workspaces", "admin"}`` (never the hash)."""
    return [{"name": name, "workspaces": list(user["workspaces"]),
             "admin": bool(user.get("admin"))}
            for name, user in sorted(read_auth(root)["users"].items())]


# -- signing in ------------------------------------------------------------------------------

def authenticate(root: Path, name: str, password: str, *,
                 clock: Clock = time.time) -> Principal:
    """The principal of ``name`` when ``password`` is theirs.

    An unknown name and a wrong password get the same answer, after the same work (a
    hash is verified either way). After :data:`MAX_FAILURES_PER_NAME` failures for one
    name, or :data:`MAX_FAILURES_OVERALL` for all names, within
    :data:`FAILURE_WINDOW_SECONDS`, each further attempt is refused unchecked until the
    oldest failure is that old. Every attempt is written to the audit log.

    Parameters
    ----------
    root
        The data folder.
    name, password
        What the person typed.
    clock
        Seconds since the epoch (tests pass a fake one).

    Raises
    ------
    AccessDenied
        The name or password is wrong, or there were too many failures: wait.
    """
    verifier = _dummy_hash()  # made before the first look-up, so it never adds to one
    now = clock()
    wait = _throttled_for(root, name, now)
    if wait > 0:
        audit.record(root, "sign_in_failed", user=name, outcome="throttled", now=now)
        raise AccessDenied(t("Too many failed sign-ins: wait {minutes} minutes, then try "
                             "again.", minutes=math.ceil(wait / 60)))
    user = read_auth(root)["users"].get(name)
    if user is not None:
        verifier = user["hash"]
    if not _verifies(verifier, password) or user is None:
        _count_failure(root, name, now)
        audit.record(root, "sign_in_failed", user=name, outcome="wrong", now=now)
        raise AccessDenied(t("The user name or the password is wrong."))
    _forget_failures(root, name)
    _rehash_if_needed(root, name, verifier, password)
    audit.record(root, "sign_in", user=name, now=now)
    return user_principal(name, user)


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _rehash_if_needed(root: Path, name: str, password_hash: str, password: str) -> None:
    """Keep a hash made with weaker settings than today's up to date (argon2's advice)."""
    if not _hasher().check_needs_rehash(password_hash):
        return
    new_hash = _hasher().hash(password)
    with _changing(root) as data:
        if name in data["users"]:
            data["users"][name]["hash"] = new_hash


def _read_state(root: Path) -> dict[str, Any]:
    try:
        state: dict[str, Any] = json.loads((Path(root) / STATE_FILE).read_text("utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        state = {}
    state.setdefault("names", {})
    state.setdefault("all", [])
    return state


def _recent(times: list[float], now: float) -> list[float]:
    return [moment for moment in times if now - FAILURE_WINDOW_SECONDS < moment <= now]


def _throttled_for(root: Path, name: str, now: float) -> float:
    """Seconds until ``name`` may try again (0: now)."""
    state = _read_state(root)
    waits = [0.0]
    for times, limit in ((state["names"].get(name, []), MAX_FAILURES_PER_NAME),
                         (state["all"], MAX_FAILURES_OVERALL)):
        recent = sorted(_recent(times, now))
        if len(recent) >= limit:
            waits.append(recent[-limit] + FAILURE_WINDOW_SECONDS - now)
    return max(waits)


def _count_failure(root: Path, name: str, now: float) -> None:
    with locked(root, ".auth-state.lock"):
        state = _read_state(root)
        state["names"] = {n: r for n, times in state["names"].items()
                          if (r := _recent(times, now))}
        state["names"][name] = [*state["names"].get(name, [])[-MAX_FAILURES_PER_NAME:], now]
        state["all"] = [*_recent(state["all"], now)[-MAX_FAILURES_OVERALL:], now]
        replace_json(Path(root) / STATE_FILE, state)


def _forget_failures(root: Path, name: str) -> None:
    with locked(root, ".auth-state.lock"):
        state = _read_state(root)
        if state["names"].pop(name, None) is not None:
            replace_json(Path(root) / STATE_FILE, state)


# -- the sign-in mode ------------------------------------------------------------------------


def sign_in(root: Path) -> SignIn:
    """How the dashboard signs people in, from ``loyaltylens.toml`` in the data folder
    (``[auth] mode = "header"`` ...) or ``$LOYALTYLENS_AUTH`` (which wins).

    Without a mode: ``password`` once any user exists, else ``open`` (the dashboard then
    listens on localhost only). ``oidc`` and ``header`` are only ever chosen explicitly;
    ``header`` needs ``trusted_proxies`` (and takes ``header``, default
    ``X-Forwarded-User``).

    Raises
    ------
    InputError
        The file cannot be read, names an unknown mode, or header mode names no proxy.
    """
    settings = _config(root)
    mode = os.environ.get(AUTH_ENV_VAR) or settings.get("mode")
    if not mode:
        mode = "password" if read_auth(root)["users"] else "open"
    if mode not in SIGN_IN_MODES:
        raise InputError(t("“{mode}” is not a sign-in mode; choose one of {modes} (in {file} "
                           "or {var}).", mode=mode, modes=", ".join(SIGN_IN_MODES),
                           file=CONFIG_FILE, var=AUTH_ENV_VAR))
    proxies = settings.get("trusted_proxies", [])
    if isinstance(proxies, str):
        proxies = [proxies]
    if mode == "header" and not proxies:
        raise InputError(t("The header sign-in needs the address of the reverse proxy: set "
                           "trusted_proxies in the [auth] table of {file}.", file=CONFIG_FILE))
    return SignIn(mode=cast(SignInMode, mode),
                  header=str(settings.get("header") or DEFAULT_USER_HEADER),
                  trusted_proxies=tuple(str(p) for p in proxies))


def sign_in_mode(root: Path) -> SignInMode:
    """``"password"``, ``"oidc"``, ``"header"`` or ``"open"``: see :func:`sign_in`."""
    return sign_in(root).mode


def _config(root: Path) -> dict[str, Any]:
    """The ``[auth]`` table of ``loyaltylens.toml`` (empty when there is no file)."""
    path = Path(root) / CONFIG_FILE
    try:
        with open(path, "rb") as file:
            config = tomllib.load(file)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as error:
        raise InputError(t("{file} cannot be read: {reason}. Fix it, or remove it.",
                           file=path, reason=error)) from error
    auth = config.get("auth", {})
    return auth if isinstance(auth, dict) else {}
