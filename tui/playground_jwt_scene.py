"""A fixed OpenID Connect token response for the decoded-token snapshots and screenshot.

The tokens are signed with an Ed25519 key derived from a public seed
(Ed25519 signatures are deterministic), so the same scene gives the same
bytes on every run; ``seed_key_set`` puts the matching JWKS in the
playground's cache, so no request is made for it. The key signs nothing
else: anyone can derive it from ``SEED``.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import OKPKey

from authclients.store import oauth_client as oc
from authclients.store.oauth_client.discovery import JWKS_PATH
from authclients.store.oauth_client.jwt_verify import at_hash
from authclients.tui.playground_scenes import SCENE_PKCE
from authclients.tui.widgets.playground.memory import memory_of

if TYPE_CHECKING:
    from authclients.tui.screens.playground import PlaygroundScreen

SEED = b"authclients playground scene: not a secret"
KID = "scene-key-1"
ALG = "EdDSA"


def _key() -> OKPKey:
    raw = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(SEED).digest())
    return OKPKey.import_key(raw, {"kid": KID})


def _sign(claims: dict[str, object], typ: str) -> str:
    header = {"alg": ALG, "typ": typ, "kid": KID}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)  # "EdDSA": still what issuers send
        return jws.serialize_compact(header, json.dumps(claims).encode(), _key(), [ALG])


def token_response(base_url: str, client_id: int, secret: str, now: float) -> oc.Exchange:
    """A code exchange that returned an RFC 9068 access token and an id_token, issued ``now``.

    Args:
        base_url: the issuer (the embedded endpoint's address as the picture shows it).
        client_id: the client the tokens are for.
        secret: its secret (masked in the request panel).
        now: UNIX seconds by the app's clock.
    """
    issued = int(now) - 60
    access_claims = {
        "iss": base_url,
        "sub": "1",
        "aud": f"{base_url}/api/1.0",
        "client_id": str(client_id),
        "iat": issued,
        "exp": issued + 3600,
        "jti": "scene-jti-0001",
        "scope": "openid read",
    }
    access = _sign(access_claims, "at+jwt")
    id_claims = {
        "iss": base_url,
        "sub": "1",
        "aud": str(client_id),
        "iat": issued,
        "exp": issued + 3600,
        "auth_time": issued - 120,
        "nonce": SCENE_PKCE.nonce,
        "at_hash": at_hash(access, ALG),
        "name": "Alice Example",
    }
    body = {
        "token_type": "Bearer",
        "expires_in": 3600,
        "access_token": access,
        "id_token": _sign(id_claims, "JWT"),
        "scope": "openid read",
    }
    target = oc.Target.from_base(base_url)
    credentials = oc.ClientCredentials(str(client_id), secret)
    request = oc.code_exchange_request(
        target, credentials, "scene-code-0001", "https://app.example/cb", SCENE_PKCE.verifier
    )
    response = oc.HttpResponse(
        status=200,
        reason="OK",
        headers=(("Content-Type", "application/json"), ("Cache-Control", "no-store")),
        body=json.dumps(body),
        elapsed_ms=12.0,
    )
    return oc.Exchange(request, response)


def show_decoded_scene(screen: PlaygroundScreen, *, secret: str) -> None:
    """Show the fixed response in an open playground, its key set already held."""
    base = screen.console.endpoint_url
    memory = memory_of(screen.app)
    memory.jwks.seed(f"{base}{JWKS_PATH}", {"keys": [_key().as_dict(private=False)]})
    memory.nonce = SCENE_PKCE.nonce
    client_id = screen.client.id if screen.client is not None else 1
    screen.show_exchange(token_response(base, client_id, secret, screen.now().timestamp()))
