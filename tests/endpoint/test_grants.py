"""Every grant's success path over real HTTP: issue, use, refresh, introspect, revoke."""

from __future__ import annotations

import requests

from authclients.store import Store
from authclients.store.records import CreatedClient, UserInfo
from tests.endpoint.conftest import PASSWORD, REDIRECT, authorize, basic, pkce_pair, token_count


def me(http: requests.Session, url: str, token: str) -> requests.Response:
    return http.get(f"{url}/api/1.0/users/me", headers={"Authorization": f"Bearer {token}"})


def introspect(http: requests.Session, url: str, client: CreatedClient, token: str) -> dict:
    r = http.post(f"{url}/oauth/introspect", data={"token": token}, auth=basic(client))
    assert r.status_code == 200, r.text
    return r.json()


def revoke(http: requests.Session, url: str, client: CreatedClient, token: str) -> None:
    r = http.post(f"{url}/oauth/revoke", data={"token": token}, auth=basic(client))
    assert r.status_code == 200, r.text


def assert_token_response(r: requests.Response, *, refresh: bool) -> dict:
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Pragma"] == "no-cache"
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert len(body["access_token"]) >= 43
    assert ("refresh_token" in body) is refresh
    return body


def test_password_grant_full_life(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo
) -> None:
    r = http.post(
        f"{url}/oauth/token",
        data={"grant_type": "password", "username": "alice", "password": PASSWORD, "scope": "read"},
        auth=basic(web),
    )
    body = assert_token_response(r, refresh=True)
    assert body["scope"] == "read"

    who = me(http, url, body["access_token"])
    assert who.status_code == 200
    assert who.json()["user"] == {"id": alice.id, "username": "alice"}
    assert who.json()["client"] == {"id": web.client.id, "name": "Web app"}
    assert who.json()["scopes"] == ["read"]

    claims = introspect(http, url, web, body["access_token"])
    assert claims["active"] is True
    assert claims["client_id"] == str(web.client.id)
    assert claims["username"] == "alice"
    assert claims["scope"] == "read"

    refreshed = http.post(
        f"{url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
        auth=basic(web),
    )
    new = assert_token_response(refreshed, refresh=True)
    assert new["refresh_token"] != body["refresh_token"]
    # Rotation: the old access token died with its refresh token.
    assert me(http, url, body["access_token"]).status_code == 401
    assert me(http, url, new["access_token"]).status_code == 200

    revoke(http, url, web, new["access_token"])
    assert me(http, url, new["access_token"]).status_code == 401
    assert introspect(http, url, web, new["access_token"]) == {"active": False}


def test_password_grant_with_body_credentials(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo
) -> None:
    r = http.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "password",
            "username": "alice",
            "password": PASSWORD,
            "client_id": str(web.client.id),
            "client_secret": web.secret,
        },
    )
    assert_token_response(r, refresh=True)


def test_client_credentials_full_life(
    http: requests.Session, url: str, machine: CreatedClient, store: Store
) -> None:
    r = http.post(
        f"{url}/oauth/token", data={"grant_type": "client_credentials"}, auth=basic(machine)
    )
    body = assert_token_response(r, refresh=False)
    # Committed before the answer: the row is there.
    info = store.tokens.find(body["access_token"])
    assert info is not None and info.grant_type == "client_credentials" and info.user_id is None

    who = me(http, url, body["access_token"])
    assert who.status_code == 200
    assert who.json()["user"] is None
    assert who.json()["client"]["id"] == machine.client.id
    assert store.tokens.find(body["access_token"]).last_used_at is not None

    claims = introspect(http, url, machine, body["access_token"])
    assert claims["active"] is True and "username" not in claims

    revoke(http, url, machine, body["access_token"])
    assert me(http, url, body["access_token"]).status_code == 401


def test_authorization_code_with_pkce_full_life(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo
) -> None:
    verifier, challenge = pkce_pair()
    done = authorize(http, url, client_id=web.client.id, challenge=challenge, scope="read write")
    assert done.location.startswith(REDIRECT + "?")
    assert done.params["state"] == "xyz-state"
    r = http.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": done.params["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=basic(web),
    )
    body = assert_token_response(r, refresh=True)
    assert body["scope"] == "read write"
    assert me(http, url, body["access_token"]).json()["user"]["username"] == "alice"

    # A narrower scope may be asked on refresh.
    narrower = http.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "scope": "read",
        },
        auth=basic(web),
    )
    new = assert_token_response(narrower, refresh=True)
    assert new["scope"] == "read"
    assert introspect(http, url, web, new["access_token"])["scope"] == "read"
    # Introspecting the live refresh token works too (RFC 7662 §2.1).
    assert introspect(http, url, web, new["refresh_token"])["active"] is True

    # Revoking the refresh token ends its line, access token included.
    revoke(http, url, web, new["refresh_token"])
    assert me(http, url, new["access_token"]).status_code == 401


def test_authorization_code_public_client(
    url: str, mobile: CreatedClient, alice: UserInfo, store: Store
) -> None:
    verifier, challenge = pkce_pair()
    with requests.Session() as browser:
        done = authorize(
            browser,
            url,
            client_id=mobile.client.id,
            redirect_uri="com.example.app:/callback",
            challenge=challenge,
        )
    r = requests.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": str(mobile.client.id),
            "code": done.params["code"],
            "redirect_uri": "com.example.app:/callback",
            "code_verifier": verifier,
        },
    )
    body = assert_token_response(r, refresh=True)
    # A public client refreshes with its id alone.
    r = requests.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": str(mobile.client.id),
            "refresh_token": body["refresh_token"],
        },
    )
    assert_token_response(r, refresh=True)
    # ...and revokes with it (RFC 7009 §2.1).
    r = requests.post(
        f"{url}/oauth/revoke",
        data={"client_id": str(mobile.client.id), "token": body["access_token"]},
    )
    assert r.status_code == 200


def test_deny_redirects_with_access_denied(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo
) -> None:
    before = token_count()
    done = authorize(http, url, client_id=web.client.id, decision="deny")
    assert done.params == {
        "error": "access_denied",
        "error_description": "The user denied the request.",
        "state": "xyz-state",
        "iss": url,  # RFC 9207: the deny answer names its issuer too
    }
    assert token_count() == before


def test_metadata(http: requests.Session, url: str) -> None:
    meta = http.get(f"{url}/.well-known/oauth-authorization-server").json()
    assert meta["issuer"] == url
    assert meta["token_endpoint"] == f"{url}/oauth/token"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert set(meta["grant_types_supported"]) == {
        "authorization_code",
        "password",
        "client_credentials",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:device_code",
    }


def test_revoke_unknown_or_foreign_token_is_fine_but_harmless(
    http: requests.Session, url: str, web: CreatedClient, machine: CreatedClient
) -> None:
    r = http.post(
        f"{url}/oauth/token", data={"grant_type": "client_credentials"}, auth=basic(machine)
    )
    token = r.json()["access_token"]
    # RFC 7009 §2.2: 200 for an unknown token; another client's token is not touched.
    assert (
        http.post(f"{url}/oauth/revoke", data={"token": "nope"}, auth=basic(web)).status_code == 200
    )
    assert (
        http.post(f"{url}/oauth/revoke", data={"token": token}, auth=basic(web)).status_code == 200
    )
    assert me(http, url, token).status_code == 200
    # Nor can another client introspect it.
    assert introspect(http, url, web, token) == {"active": False}
