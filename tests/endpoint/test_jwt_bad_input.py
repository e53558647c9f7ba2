"""Forged, tampered, foreign, expired, huge and malformed JWTs: refused with the RFC 6750
error at introspection, userinfo and the API, never a 500. Tokens are looked up by digest,
so anything we did not issue byte for byte is simply unknown."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.records import CreatedClient
from tests.endpoint.conftest import basic


@pytest.fixture
def api(store: Store) -> CreatedClient:
    return store.clients.create(
        "Machine", client_credentials=True, scopes="openid read", token_format="jwt"
    )


def b64(value: dict | bytes) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def issued(url: str, client: CreatedClient) -> str:
    r = requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": "openid read"},
        auth=basic(client),
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def forgeries(genuine: str) -> dict[str, str]:
    header_b64, claims_b64, signature = genuine.split(".")
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=="))
    claims = json.loads(base64.urlsafe_b64decode(claims_b64 + "=="))
    stranger = ECKey.generate_key("P-256", private=True)
    flipped = ("A" if signature[10] != "A" else "B").join((signature[:10], signature[11:]))
    return {
        "tampered signature": f"{header_b64}.{claims_b64}.{flipped}",
        "tampered claims": f"{header_b64}.{b64({**claims, 'scope': 'admin'})}.{signature}",
        "alg none": f"{b64({'alg': 'none', 'typ': 'at+jwt'})}.{claims_b64}.",
        "our kid, another key": jwt.encode(header, claims, stranger),
        "another issuer": jwt.encode(
            {"alg": "ES256", "typ": "at+jwt", "kid": "evil"},
            {**claims, "iss": "https://evil.example"},
            stranger,
        ),
        "wrong audience": jwt.encode(
            header, {**claims, "aud": "https://other.example/api"}, stranger
        ),
        "huge": "eyJ" + "A" * 5000,
        "three dots of nothing": "..",
        "not base64": "ey!.ey!.sig",
        "unicode": "ey\u202ehead.claims.sig",
    }


def test_every_forgery_is_refused_everywhere_never_a_500(
    store: Store, url: str, api: CreatedClient
) -> None:
    genuine = issued(url, api)
    for what, token in forgeries(genuine).items():
        introspected = requests.post(
            f"{url}/oauth/introspect", data={"token": token}, auth=basic(api)
        )
        assert introspected.status_code in (200, 400), (what, introspected.text)
        if introspected.status_code == 200:
            assert introspected.json() == {"active": False}, what
        else:  # only for what is too long to be ours
            assert introspected.json()["error"] == "invalid_request", what
        for path in ("/oauth/userinfo", "/api/1.0/users/me"):
            answer = requests.get(
                f"{url}{path}", headers={"Authorization": f"Bearer {token}".encode()}
            )
            assert answer.status_code == 401, (what, path, answer.text)
            assert answer.headers["Content-Type"] == "application/json"
            assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"], what
            assert answer.json()["error"] == "invalid_token"
            assert "Traceback" not in answer.text
    # The genuine token still works: nothing above touched it.
    me = requests.get(f"{url}/api/1.0/users/me", headers={"Authorization": f"Bearer {genuine}"})
    assert me.status_code == 200


def test_an_expired_jwt_is_refused(
    store: Store, clock: ManualClock, url: str, api: CreatedClient
) -> None:
    clock.set(datetime.now(UTC))
    token = issued(url, api)
    clock.advance(timedelta(hours=1, seconds=1))
    assert requests.post(
        f"{url}/oauth/introspect", data={"token": token}, auth=basic(api)
    ).json() == {"active": False}
    for path in ("/oauth/userinfo", "/api/1.0/users/me"):
        answer = requests.get(f"{url}{path}", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401
        assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


def test_jwks_and_discovery_hold_no_private_key(store: Store, url: str, api: CreatedClient) -> None:
    issued(url, api)
    store.signing_keys.rotate("RS256")
    keys = requests.get(f"{url}/oauth/jwks").json()["keys"]
    assert {k["alg"] for k in keys} == {"ES256", "RS256"}
    private_members = {"d", "p", "q", "dp", "dq", "qi"}
    assert all(not (private_members & set(k)) for k in keys)
    assert all(k["use"] == "sig" and k["kid"] for k in keys)
