"""A small OAuth server on 127.0.0.1 that issues JWTs signed with joserfc and serves its JWKS.

Real HTTP, real signatures: the playground and the inspector are tested
against it as against any other server. Its behaviour is set per test
(``jwks_body`` to serve HTML or a huge body, ``jwks_delay`` to be slow,
``token_body`` for what the token endpoint answers).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from joserfc import jws
from joserfc.jwk import ECKey, Key, OKPKey, RSAKey

from authclients.store.oauth_client.jwt_verify import at_hash


def new_key(kind: str, kid: str) -> Key:
    """A fresh private key: ``EC`` (P-256), ``RSA`` (2048) or ``OKP`` (Ed25519)."""
    if kind == "EC":
        return ECKey.generate_key("P-256", parameters={"kid": kid})
    if kind == "RSA":
        return RSAKey.generate_key(2048, parameters={"kid": kid})
    return OKPKey.generate_key("Ed25519", parameters={"kid": kid})


def sign(claims: dict[str, object], key: Key, alg: str, **header: object) -> str:
    """A compact JWS of ``claims``; ``header`` adds or overrides header members."""
    protected: dict[str, object] = {"alg": alg, "kid": key.kid, **header}
    protected = {k: v for k, v in protected.items() if v is not None}
    payload = json.dumps(claims).encode()
    return jws.serialize_compact(protected, payload, key, algorithms=[alg])


class Issuer:
    """The server: metadata, JWKS and a token endpoint, on a free port; ``close()`` stops it."""

    def __init__(self, *keys: Key) -> None:
        self.keys = list(keys)
        self.jwks_body: bytes | None = None
        """Served instead of the real key set when set (HTML, a huge body)."""
        self.jwks_type = "application/json"
        self.jwks_delay = 0.0
        self.jwks_hits = 0
        self.token_body: Callable[[], dict[str, object]] | None = None
        self.openid_only = False
        """Publish only /.well-known/openid-configuration, as many OpenID providers do."""
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def jwks_url(self) -> str:
        return f"{self.base}/keys"

    def key_set(self) -> dict[str, object]:
        return {"keys": [key.as_dict(private=False) for key in self.keys]}

    def claims(self, **extra: object) -> dict[str, object]:
        """RFC 9068 access-token claims valid now, from this issuer."""
        now = int(time.time())
        base: dict[str, object] = {
            "iss": self.base,
            "sub": "42",
            "aud": "http://127.0.0.1/api",
            "client_id": "7",
            "iat": now,
            "exp": now + 600,
            "jti": "jti-1",
            "scope": "read",
        }
        base.update(extra)
        return {k: v for k, v in base.items() if v is not None}

    def id_claims(self, access_token: str, nonce: str, alg: str = "ES256", **extra: object):
        now = int(time.time())
        base: dict[str, object] = {
            "iss": self.base,
            "sub": "42",
            "aud": "7",
            "iat": now,
            "exp": now + 600,
            "auth_time": now - 30,
            "nonce": nonce,
            "at_hash": at_hash(access_token, alg),
        }
        base.update(extra)
        return {k: v for k, v in base.items() if v is not None}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # The client may give up (size cap, timeout): that is the test.
                with contextlib.suppress(OSError):
                    self.wfile.write(body)

            def do_GET(self) -> None:
                paths = ["/.well-known/openid-configuration"]
                if not issuer.openid_only:
                    paths.append("/.well-known/oauth-authorization-server")
                if self.path in paths:
                    metadata = {
                        "issuer": issuer.base,
                        "token_endpoint": f"{issuer.base}/token",
                        "jwks_uri": issuer.jwks_url,
                    }
                    self._answer(200, json.dumps(metadata).encode(), "application/json")
                elif self.path == "/keys":
                    issuer.jwks_hits += 1
                    time.sleep(issuer.jwks_delay)
                    body = issuer.jwks_body
                    if body is None:
                        body = json.dumps(issuer.key_set()).encode()
                    self._answer(200, body, issuer.jwks_type)
                else:
                    self._answer(404, b"{}", "application/json")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                body = issuer.token_body() if issuer.token_body else {"error": "nope"}
                status = 200 if "access_token" in body else 400
                self._answer(status, json.dumps(body).encode(), "application/json")

        return Handler
