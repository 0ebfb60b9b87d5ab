"""A tiny OpenID Connect provider for the sign-in tests, on 127.0.0.1 and a free port.

It does what a real provider does for Streamlit's ``st.login`` (authorization-code flow):
serves its metadata and signing keys, "authenticates" at ``/authorize`` by redirecting
straight back with a one-time code, and exchanges that code (with the client's secret) for
an RS256-signed ID token carrying the nonce it was given. The user it signs in is
:attr:`OIDCProvider.user`, which a test may change between sign-ins.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey


class OIDCProvider:
    """State of the provider: its key, client, pending codes and the user to sign in."""

    def __init__(self, client_id: str = "calibrate-test", client_secret: str | None = None):
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
        self.user: dict[str, Any] = {"sub": "u-1", "email": "ada@example.com",
                                     "email_verified": True, "name": "Ada Lovelace"}
        self.codes: dict[str, dict[str, str]] = {}
        self.tokens_issued = 0
        self.url = ""

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
        }

    def id_token(self, nonce: str | None) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "aud": self.client_id, "iat": now, "exp": now + 300,
                  **self.user}
        if nonce:
            claims["nonce"] = nonce
        header = {"alg": "RS256", "kid": "test-key"}
        return jwt.encode(header, claims, self.key)

    def client_ok(self, authorization: str | None, form: dict[str, str]) -> bool:
        """The client's credentials, sent as HTTP Basic or in the form."""
        if authorization and authorization.startswith("Basic "):
            given = base64.b64decode(authorization[6:]).decode()
            client_id, _, secret = given.partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        return client_id == self.client_id and secrets.compare_digest(secret,
                                                                      self.client_secret)


def _handler(provider: OIDCProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _json(self, body: dict[str, Any], status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._json(provider.metadata())
            elif url.path == "/jwks":
                self._json({"keys": [provider.key.as_dict(private=False)]})
            elif url.path == "/authorize":
                if query.get("client_id") != provider.client_id or "redirect_uri" not in query:
                    self._json({"error": "invalid_request"}, 400)
                    return
                code = secrets.token_urlsafe(16)
                provider.codes[code] = {"nonce": query.get("nonce", ""),
                                        "redirect_uri": query["redirect_uri"]}
                back = urlencode({"code": code, "state": query.get("state", "")})
                self.send_response(302)
                self.send_header("Location", f"{query['redirect_uri']}?{back}")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif url.path == "/userinfo":
                self._json(provider.user)
            else:
                self._json({"error": "not_found"}, 404)

        def do_POST(self) -> None:  # noqa: N802
            if urlsplit(self.path).path != "/token":
                self._json({"error": "not_found"}, 404)
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if not provider.client_ok(self.headers.get("Authorization"), form):
                self._json({"error": "invalid_client"}, 401)
                return
            grant = provider.codes.pop(form.get("code", ""), None)
            if (form.get("grant_type") != "authorization_code" or grant is None
                    or grant["redirect_uri"] != form.get("redirect_uri")):
                self._json({"error": "invalid_grant"}, 400)
                return
            provider.tokens_issued += 1
            self._json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                        "expires_in": 300, "scope": "openid email profile",
                        "id_token": provider.id_token(grant["nonce"])})

    return Handler


@contextmanager
def oidc_provider(**kwargs: Any) -> Iterator[OIDCProvider]:
    """Run an :class:`OIDCProvider` on 127.0.0.1 (a free port) for the ``with`` block."""
    provider = OIDCProvider(**kwargs)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
