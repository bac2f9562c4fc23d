"""A fake OpenID Connect provider on 127.0.0.1 for the sign-in tests: discovery, keys, an
``authorize`` that signs in whoever the test chose (no form) and a ``token`` endpoint that
returns an id_token signed with a test RSA key, as Google or Keycloak would."""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "loyaltylens-test"
CLIENT_SECRET = "test-secret"


@dataclass
class Provider:
    """The provider's state: its address, its key, who signs in next, the codes issued."""

    issuer: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(
        2048, parameters={"kid": "test-key", "use": "sig"}))
    # The claims of whoever signs in next (the test sets them before each sign-in).
    next_user: dict[str, Any] = field(default_factory=dict)
    _codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
        }

    def authorize(self, query: dict[str, str]) -> str:
        """The redirect back to the app with a new code for the chosen user."""
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = {"nonce": query.get("nonce"), "user": dict(self.next_user),
                                 "client_id": query.get("client_id")}
        back = {"code": code, "state": query.get("state", "")}
        return f"{query['redirect_uri']}?{urllib.parse.urlencode(back)}"

    def token(self, form: dict[str, str]) -> dict[str, Any] | None:
        """The tokens for a code issued once (None for an unknown or reused code)."""
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)
        if grant is None:
            return None
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": grant["client_id"] or CLIENT_ID, "iat": now,
                  "exp": now + 3600, **grant["user"]}
        if grant["nonce"]:
            claims["nonce"] = grant["nonce"]
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)
        return {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                "expires_in": 3600, "id_token": id_token}


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            if url.path == "/.well-known/openid-configuration":
                self._json(provider.metadata())
            elif url.path == "/jwks":
                self._json({"keys": [provider.key.as_dict(private=False)]})
            elif url.path == "/authorize" and "redirect_uri" in query:
                self.send_response(302)
                self.send_header("Location", provider.authorize(query))
                self.end_headers()
            else:
                self.send_error(404)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            tokens = provider.token(form) if self.path == "/token" else None
            if tokens is None:
                self._json({"error": "invalid_grant"}, status=400)
            else:
                self._json(tokens)

        def _json(self, body: dict[str, Any], status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass
    return Handler


@contextmanager
def running_provider() -> Iterator[Provider]:
    """A fake provider serving on a free port of 127.0.0.1 until the block ends."""
    provider = Provider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()


def auth_secrets(provider: Provider, app_url: str) -> str:
    """The ``[auth]`` section of ``.streamlit/secrets.toml`` for an app at ``app_url``
    signing in through ``provider`` (the format the README shows)."""
    return (
        "[auth]\n"
        f'redirect_uri = "{app_url}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{provider.issuer}/.well-known/openid-configuration"\n'
    )
