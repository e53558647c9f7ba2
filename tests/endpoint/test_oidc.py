"""OpenID Connect and RFC 9068 against a real endpoint, checked by an independent relying
party: PyJWT with ``PyJWKClient`` fetching the published JWKS, before and after rotations."""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from datetime import UTC, datetime, timedelta

import jwt as pyjwt
import pytest
import requests
from jwt import PyJWKClient

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.jwt_tokens import at_hash
from authclients.store.records import CreatedClient, UserInfo
from authclients.store.signing_keys import GRACE
from tests.endpoint.conftest import (
    AUTHCLIENTS,
    PASSWORD,
    REDIRECT,
    authorize,
    basic,
    form_fields,
    pkce_pair,
    serving,
)

CLIENT_GRANT = {"grant_type": "client_credentials"}
LEEWAY = timedelta(minutes=10)
"""The endpoint's clock is moved past grace periods in some tests; PyJWT reads the real one."""


@pytest.fixture
def rp(store: Store) -> CreatedClient:
    """A relying party: code grant, OpenID Connect scopes, JWT access tokens."""
    return store.clients.create(
        "Relying party",
        [REDIRECT],
        authorization_code=True,
        client_credentials=True,
        scopes="openid profile email read",
        token_format="jwt",
    )


@pytest.fixture
def alice(store: Store) -> UserInfo:
    return store.users.add("alice", PASSWORD, email="alice@example.com", name="Alice Liddell")


@pytest.fixture
def now_clock(clock: ManualClock) -> ManualClock:
    """The endpoint's clock at the real time, so PyJWT (which reads the real one) agrees."""
    clock.set(datetime.now(UTC))
    return clock


def discover(url: str) -> dict:
    doc = requests.get(f"{url}/.well-known/openid-configuration", timeout=10).json()
    assert doc["issuer"] == url
    assert doc["jwks_uri"] == f"{url}/oauth/jwks"
    assert doc["userinfo_endpoint"] == f"{url}/oauth/userinfo"
    assert "openid" in doc["scopes_supported"]
    assert doc["id_token_signing_alg_values_supported"] == ["ES256", "RS256"]
    plain = requests.get(f"{url}/.well-known/oauth-authorization-server", timeout=10).json()
    assert plain["jwks_uri"] == doc["jwks_uri"]
    return doc


def verify(doc: dict, token: str, *, audience: str) -> tuple[dict, dict]:
    """As a relying party does: the key by ``kid`` from the JWKS, signature, iss, aud, exp."""
    jwks = PyJWKClient(doc["jwks_uri"], cache_jwk_set=False, cache_keys=False)
    key = jwks.get_signing_key_from_jwt(token)
    claims = pyjwt.decode(
        token,
        key.key,
        algorithms=doc["id_token_signing_alg_values_supported"],
        audience=audience,
        issuer=doc["issuer"],
        leeway=LEEWAY,
        options={"require": ["exp", "iat", "iss", "sub", "aud"]},
    )
    return pyjwt.get_unverified_header(token), claims


def code_flow(
    url: str, client: CreatedClient, *, scope: str, nonce: str | None = None, **extra: str
) -> dict:
    """Sign in with a fresh browser, approve, exchange the code; the token response."""
    verifier, challenge = pkce_pair()
    params = dict(extra)
    if nonce:
        params["nonce"] = nonce
    with requests.Session() as browser:
        done = authorize(
            browser, url, client_id=client.client.id, challenge=challenge, scope=scope, extra=params
        )
    assert done.params["iss"] == url
    answer = requests.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": done.params["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=basic(client),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def check_id_token(doc: dict, tokens: dict, client: CreatedClient, user: UserInfo, nonce: str):
    header, claims = verify(doc, tokens["id_token"], audience=str(client.client.id))
    assert header["typ"] == "JWT" and header["alg"] == "ES256"
    assert claims["sub"] == str(user.id)
    assert claims["nonce"] == nonce
    assert claims["at_hash"] == at_hash(tokens["access_token"])
    assert claims["auth_time"] <= claims["iat"]
    return header, claims


def check_access_token(doc: dict, tokens: dict, client: CreatedClient, sub: str) -> dict:
    header, claims = verify(doc, tokens["access_token"], audience=f"{doc['issuer']}/api/1.0")
    assert header["typ"] == "at+jwt"  # RFC 9068 §2.1
    assert claims["sub"] == sub
    assert claims["client_id"] == str(client.client.id)
    assert claims["jti"] and claims["exp"] - claims["iat"] == 3600
    return header


# -- a relying party against ``authclients serve`` ---------------------------------------------


def test_relying_party_signs_in_against_serve_and_survives_a_rotation(
    db_target: str, rp: CreatedClient, alice: UserInfo
) -> None:
    with serving(db_target) as (_proc, url):
        doc = discover(url)
        nonce = secrets.token_urlsafe(16)
        tokens = code_flow(url, rp, scope="openid profile email", nonce=nonce)
        header, claims = check_id_token(doc, tokens, rp, alice, nonce)
        assert claims["email"] == "alice@example.com" and claims["name"] == "Alice Liddell"
        assert claims["preferred_username"] == "alice"
        check_access_token(doc, tokens, rp, str(alice.id))
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        info = requests.get(doc["userinfo_endpoint"], headers=bearer, timeout=10).json()
        assert info == {
            "sub": str(alice.id),
            "preferred_username": "alice",
            "name": "Alice Liddell",
            "email": "alice@example.com",
        }
        me = requests.get(f"{url}/api/1.0/users/me", headers=bearer, timeout=10).json()
        assert me["user"]["username"] == "alice"

        # The JWKS may be cached, for as long as a new key waits before it signs.
        jwks = requests.get(doc["jwks_uri"], timeout=10)
        assert jwks.headers["Cache-Control"] == f"public, max-age={int(GRACE.total_seconds())}"
        assert [k["kid"] for k in jwks.json()["keys"]] == [header["kid"]]

        rotated = subprocess.run(
            [AUTHCLIENTS, "--db", db_target, "keys", "rotate", "--grace", "0", "--yes", "--json"],
            capture_output=True,
            text=True,
            check=True,
        )
        new_kid = json.loads(rotated.stdout)["kid"]
        assert {k["kid"] for k in requests.get(doc["jwks_uri"]).json()["keys"]} == {
            header["kid"],
            new_kid,
        }
        # The server reads its key again within seconds (``signing_keys.CACHE_SECONDS``).
        deadline = time.monotonic() + 15
        while True:
            machine = requests.post(
                f"{url}/oauth/token",
                data={"grant_type": "client_credentials", "scope": "read"},
                auth=basic(rp),
                timeout=10,
            ).json()
            if pyjwt.get_unverified_header(machine["access_token"])["kid"] == new_kid:
                break
            assert time.monotonic() < deadline, "the new key never signed"
            time.sleep(0.3)
        assert check_access_token(doc, machine, rp, str(rp.client.id))["kid"] == new_kid
        # A code flow after the rotation: signed with the new key, verified the same way.
        nonce2 = secrets.token_urlsafe(16)
        after = code_flow(url, rp, scope="openid", nonce=nonce2)
        assert check_id_token(doc, after, rp, alice, nonce2)[0]["kid"] == new_kid
        # What the old key signed still verifies: it stays published while that lives.
        check_id_token(doc, tokens, rp, alice, nonce)
        check_access_token(doc, tokens, rp, str(alice.id))


# -- rotation with its grace period, on the endpoint's clock -----------------------------------


def test_rotation_publishes_first_signs_after_the_grace_period_and_unpublishes_last(
    store: Store, now_clock: ManualClock, url: str, rp: CreatedClient
) -> None:
    doc = discover(url)

    def client_token() -> dict:
        r = requests.post(
            f"{url}/oauth/token", data={"grant_type": "client_credentials"}, auth=basic(rp)
        )
        assert r.status_code == 200, r.text
        return r.json()

    def published() -> list[str]:
        return [k["kid"] for k in requests.get(doc["jwks_uri"]).json()["keys"]]

    first = client_token()
    old_kid = check_access_token(doc, first, rp, str(rp.client.id))["kid"]
    new = store.signing_keys.rotate()
    assert sorted(published()) == sorted([old_kid, new.kid])  # published at once
    assert new.state == "next"
    during = client_token()
    assert pyjwt.get_unverified_header(during["access_token"])["kid"] == old_kid

    now_clock.advance(GRACE + timedelta(seconds=1))
    after = client_token()
    assert check_access_token(doc, after, rp, str(rp.client.id))["kid"] == new.kid
    assert check_access_token(doc, first, rp, str(rp.client.id))["kid"] == old_kid
    states = {k.kid: k.state for k in store.signing_keys.list()}
    assert states == {old_kid: "retiring", new.kid: "active"}

    # Kept until every token the old key signed has expired (1 h, plus clock skew).
    now_clock.advance(timedelta(hours=1, minutes=4))
    assert old_kid in published()
    now_clock.advance(timedelta(minutes=2))
    assert published() == [new.kid]
    assert {k.kid: k.state for k in store.signing_keys.list()}[old_kid] == "retired"


def test_retiring_the_signing_key_hands_over_at_once(
    store: Store, now_clock: ManualClock, url: str, rp: CreatedClient
) -> None:
    r = requests.post(
        f"{url}/oauth/token", data={"grant_type": "client_credentials"}, auth=basic(rp)
    )
    old_kid = pyjwt.get_unverified_header(r.json()["access_token"])["kid"]
    store.signing_keys.retire(old_kid)
    now_clock.advance(timedelta(seconds=6))  # past the endpoint's cached key
    r = requests.post(
        f"{url}/oauth/token", data={"grant_type": "client_credentials"}, auth=basic(rp)
    )
    assert pyjwt.get_unverified_header(r.json()["access_token"])["kid"] != old_kid
    assert old_kid in [k["kid"] for k in requests.get(f"{url}/oauth/jwks").json()["keys"]]
    actions = [e.action for e in store.audit.recent()]
    assert "key.retire" in actions and "key.create" in actions


# -- revocation is seen at once by whoever asks us ---------------------------------------------


def test_a_revoked_jwt_is_refused_at_once_by_introspection_userinfo_and_the_api(
    store: Store, now_clock: ManualClock, url: str, rp: CreatedClient, alice: UserInfo
) -> None:
    tokens = code_flow(url, rp, scope="openid read", nonce="n-1")
    access = tokens["access_token"]
    bearer = {"Authorization": f"Bearer {access}"}
    assert requests.get(f"{url}/oauth/userinfo", headers=bearer).status_code == 200
    listed = store.tokens.list()[0]
    assert listed.token_format == "jwt"
    introspected = requests.post(
        f"{url}/oauth/introspect", data={"token": access}, auth=basic(rp)
    ).json()
    assert introspected["active"] is True and introspected["sub"] == str(alice.id)
    assert requests.post(f"{url}/oauth/revoke", data={"token": access}, auth=basic(rp)).ok
    for response in (
        requests.get(f"{url}/api/1.0/users/me", headers=bearer),
        requests.get(f"{url}/oauth/userinfo", headers=bearer),
        requests.post(f"{url}/oauth/userinfo", headers=bearer),
    ):
        assert response.status_code == 401
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    gone = requests.post(f"{url}/oauth/introspect", data={"token": access}, auth=basic(rp))
    assert gone.json() == {"active": False}


# -- OpenID Connect request parameters ---------------------------------------------------------


def test_a_nonce_is_taken_once_per_client(
    store: Store, url: str, rp: CreatedClient, alice: UserInfo
) -> None:
    code_flow(url, rp, scope="openid", nonce="same-nonce")
    _verifier, challenge = pkce_pair()
    again = requests.get(
        f"{url}/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": rp.client.id,
            "redirect_uri": REDIRECT,
            "scope": "openid",
            "nonce": "same-nonce",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
        allow_redirects=False,
    )
    assert again.status_code == 302
    assert "error=invalid_request" in again.headers["Location"]
    assert "nonce" in again.headers["Location"]
    # Another client may use the same value: the nonce is the relying party's own.
    other = store.clients.create(
        "Other RP", [REDIRECT], authorization_code=True, scopes="openid", token_format="jwt"
    )
    code_flow(url, other, scope="openid", nonce="same-nonce")


def test_two_consent_pages_with_one_nonce_give_one_code(
    url: str, rp: CreatedClient, alice: UserInfo
) -> None:
    """Both pages were shown before either was approved: the database refuses the second."""
    _verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": str(rp.client.id),
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "nonce": "raced",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    pages = []
    for _ in range(2):
        browser = requests.Session()
        sign_in = browser.get(f"{url}/oauth/authorize", params=params)
        consent = browser.post(
            f"{url}/oauth/authorize",
            data={**form_fields(sign_in.text), "username": "alice", "password": PASSWORD},
        )
        assert "Approve" in consent.text
        pages.append((browser, form_fields(consent.text)))
    first = pages[0][0].post(
        f"{url}/oauth/authorize", data={**pages[0][1], "action": "approve"}, allow_redirects=False
    )
    second = pages[1][0].post(
        f"{url}/oauth/authorize", data={**pages[1][1], "action": "approve"}, allow_redirects=False
    )
    assert "code=" in first.headers["Location"]
    assert "error=invalid_request" in second.headers["Location"]
    assert "code=" not in second.headers["Location"]


def _signed_in_browser(url: str, rp: CreatedClient) -> requests.Session:
    browser = requests.Session()
    _verifier, challenge = pkce_pair()
    authorize(browser, url, client_id=rp.client.id, challenge=challenge, scope="openid")
    return browser


def _show(browser: requests.Session, url: str, rp: CreatedClient, **extra: str):
    _verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": str(rp.client.id),
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return browser.get(f"{url}/oauth/authorize", params=params, allow_redirects=False)


def test_prompt_login_and_max_age_ask_for_a_new_sign_in(
    now_clock: ManualClock, url: str, rp: CreatedClient, alice: UserInfo
) -> None:
    browser = _signed_in_browser(url, rp)
    assert "Approve" in _show(browser, url, rp).text  # the session is used
    assert "Sign in" in _show(browser, url, rp, prompt="login").text
    now_clock.advance(timedelta(seconds=120))
    assert "Approve" in _show(browser, url, rp, max_age="600").text
    assert "Sign in" in _show(browser, url, rp, max_age="60").text
    # A consent form shown while the sign-in was young may be answered for as long as a
    # form lives; past that the sign-in is too old for the request.
    consent = _show(browser, url, rp, max_age="150")
    assert "Approve" in consent.text
    now_clock.advance(timedelta(seconds=31 + 600))
    late = browser.post(
        f"{url}/oauth/authorize",
        data={**form_fields(consent.text), "action": "approve"},
        allow_redirects=False,
    )
    assert late.status_code == 401 and "Sign in" in late.text
    for bad in ({"max_age": "-1"}, {"max_age": "soon"}, {"prompt": "none login"}):
        refused = _show(browser, url, rp, **bad)
        assert refused.status_code == 302 and "error=invalid_request" in refused.headers["Location"]


def test_max_age_zero_signs_in_and_lets_the_user_approve(
    now_clock: ManualClock, url: str, rp: CreatedClient, alice: UserInfo
) -> None:
    browser = _signed_in_browser(url, rp)
    now_clock.advance(timedelta(seconds=1))
    assert "Sign in" in _show(browser, url, rp, max_age="0").text
    tokens = code_flow(url, rp, scope="openid", nonce="n-zero", max_age="0")
    assert tokens["id_token"]


def test_max_age_sign_in_gives_auth_time(
    now_clock: ManualClock, url: str, rp: CreatedClient, alice: UserInfo
) -> None:
    doc = discover(url)
    signed_in = int(now_clock.now().timestamp())
    tokens = code_flow(url, rp, scope="openid", nonce="n-auth", max_age="300")
    _header, claims = check_id_token(doc, tokens, rp, alice, "n-auth")
    assert claims["auth_time"] == signed_in
    assert "email" not in claims and "name" not in claims  # scopes not granted


def test_prompt_none_never_shows_a_page(url: str, rp: CreatedClient, alice: UserInfo) -> None:
    with requests.Session() as stranger:
        answer = _show(stranger, url, rp, prompt="none", state="s1")
    assert answer.status_code == 302
    assert "error=login_required" in answer.headers["Location"]
    assert "state=s1" in answer.headers["Location"]
    browser = _signed_in_browser(url, rp)
    answer = _show(browser, url, rp, prompt="none")
    assert answer.status_code == 302 and "error=consent_required" in answer.headers["Location"]


# -- userinfo ----------------------------------------------------------------------------------


def test_userinfo_needs_the_openid_scope_and_a_user(
    url: str, rp: CreatedClient, alice: UserInfo
) -> None:
    plain = code_flow(url, rp, scope="read")
    assert "id_token" not in plain
    bearer = {"Authorization": f"Bearer {plain['access_token']}"}
    refused = requests.get(f"{url}/oauth/userinfo", headers=bearer)
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    machine = requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": "openid"},
        auth=basic(rp),
    ).json()
    refused = requests.get(
        f"{url}/oauth/userinfo", headers={"Authorization": f"Bearer {machine['access_token']}"}
    )
    assert refused.status_code == 403
    none = requests.get(f"{url}/oauth/userinfo")
    assert (
        none.status_code == 401 and none.headers["WWW-Authenticate"] == 'Bearer realm="authclients"'
    )
    in_url = requests.get(f"{url}/oauth/userinfo", params={"access_token": plain["access_token"]})
    assert in_url.status_code == 400
    in_body = requests.post(f"{url}/oauth/userinfo", data={"access_token": plain["access_token"]})
    assert in_body.status_code == 400 and in_body.json()["error"] == "invalid_request"


def test_refresh_gives_a_new_jwt_without_an_id_token(
    url: str, rp: CreatedClient, alice: UserInfo
) -> None:
    store_client = rp
    tokens = code_flow(url, store_client, scope="openid", nonce="r-1")
    refreshed = requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=basic(rp),
    ).json()
    assert "id_token" not in refreshed
    assert pyjwt.get_unverified_header(refreshed["access_token"])["typ"] == "at+jwt"
