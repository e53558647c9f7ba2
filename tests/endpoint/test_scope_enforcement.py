"""Scopes over real HTTP: refresh never widens past the client's current scopes, a grant
switched off ends its refresh families, and only defined scopes are ever granted."""

from __future__ import annotations

import requests

from authclients.store import Store
from authclients.store.models import AccessToken, AuditEvent
from authclients.store.records import CreatedClient, UserInfo
from tests.endpoint.conftest import (
    PASSWORD,
    REDIRECT,
    Counter,
    assert_refused,
    authorize,
    basic,
    issued_rows,
    pkce_pair,
    query_of,
)


def password_token(url: str, client: CreatedClient, scope: str | None = "read write") -> dict:
    data = {"grant_type": "password", "username": "alice", "password": PASSWORD}
    if scope is not None:
        data["scope"] = scope
    r = requests.post(f"{url}/oauth/token", data=data, auth=basic(client))
    assert r.status_code == 200, r.text
    return r.json()


def refresh(url: str, client: CreatedClient, token: str, scope: str | None = None):
    data = {"grant_type": "refresh_token", "refresh_token": token}
    if scope is not None:
        data["scope"] = scope
    return requests.post(f"{url}/oauth/token", data=data, auth=basic(client))


def me(url: str, access_token: str) -> int:
    return requests.get(
        f"{url}/api/1.0/users/me", headers={"Authorization": f"Bearer {access_token}"}
    ).status_code


def test_refresh_drops_the_scopes_the_admin_removed(
    url: str, web: CreatedClient, alice: UserInfo, store: Store
) -> None:
    first = password_token(url, web)
    assert first["scope"] == "read write"
    store.clients.update(web.client.id, scopes="read")
    second = refresh(url, web, first["refresh_token"])
    assert second.status_code == 200, second.text
    assert second.json()["scope"] == "read"
    # And rotation never brings it back, even when the admin adds it again later.
    store.clients.update(web.client.id, scopes="read write")
    third = refresh(url, web, second.json()["refresh_token"])
    assert third.json()["scope"] == "read"
    # An explicit wider scope is refused, as before.
    before = issued_rows()
    assert_refused(
        refresh(url, web, third.json()["refresh_token"], scope="read write"),
        400,
        "invalid_scope",
        before,
    )


def test_an_explicit_narrower_scope_still_works(
    url: str, web: CreatedClient, alice: UserInfo
) -> None:
    first = password_token(url, web)
    narrower = refresh(url, web, first["refresh_token"], scope="write")
    assert narrower.status_code == 200 and narrower.json()["scope"] == "write"


def test_no_scope_left_is_invalid_scope_and_ends_the_family(
    url: str, web: CreatedClient, alice: UserInfo, store: Store
) -> None:
    first = password_token(url, web)
    second = refresh(url, web, first["refresh_token"]).json()
    store.clients.update(web.client.id, scopes="admin")
    before = issued_rows()
    body = assert_refused(refresh(url, web, second["refresh_token"]), 400, "invalid_scope", before)
    assert "revoked" in body["error_description"]
    # The whole family is over: its live access token too, and the refresh token is dead.
    assert me(url, second["access_token"]) == 401
    store.clients.update(web.client.id, scopes="read write admin")
    assert_refused(refresh(url, web, second["refresh_token"]), 400, "invalid_grant", before)
    assert AuditEvent.select().where(AuditEvent.action == "refresh_token.refused").count() == 1


def test_a_client_with_no_scope_list_keeps_only_defined_scopes(
    url: str, store: Store, alice: UserInfo
) -> None:
    store.scopes.add("read")
    store.scopes.add("write")
    open_client = store.clients.create("Any scope", password=True)
    first = password_token(url, open_client)
    assert first["scope"] == "read write"
    store.scopes.delete("write")
    second = refresh(url, open_client, first["refresh_token"])
    assert second.status_code == 200 and second.json()["scope"] == "read"


def test_a_family_whose_grant_was_switched_off_is_unauthorized_client(
    url: str, web: CreatedClient, alice: UserInfo, store: Store
) -> None:
    first = password_token(url, web)
    # The client keeps the code grant, so it may still refresh in general.
    store.clients.update(web.client.id, password=False)
    before = issued_rows()
    body = assert_refused(
        refresh(url, web, first["refresh_token"]), 400, "unauthorized_client", before
    )
    assert "password grant" in body["error_description"]
    assert me(url, first["access_token"]) == 401
    # Switched back on: the family stays ended.
    store.clients.update(web.client.id, password=True)
    assert_refused(refresh(url, web, first["refresh_token"]), 400, "invalid_grant", before)


def test_a_code_family_is_refused_once_the_code_grant_is_off(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo, store: Store
) -> None:
    verifier, challenge = pkce_pair()
    done = authorize(http, url, client_id=web.client.id, challenge=challenge, scope="read")
    r = requests.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": done.params["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=basic(web),
    )
    assert r.status_code == 200, r.text
    store.clients.update(web.client.id, authorization_code=False)
    before = issued_rows()
    assert_refused(refresh(url, web, r.json()["refresh_token"]), 400, "unauthorized_client", before)


def test_a_scope_nobody_defined_is_invalid_scope_at_the_token_endpoint(
    url: str, machine: CreatedClient, web: CreatedClient, alice: UserInfo, store: Store
) -> None:
    before = issued_rows()
    # machine lists no scopes: before, it could be granted any string at all.
    r = requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": "admin superuser"},
        auth=basic(machine),
    )
    body = assert_refused(r, 400, "invalid_scope", before)
    assert "superuser" in body["error_description"]
    # web defined read, write and admin by listing them; "admin" is known now.
    r = requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": "admin"},
        auth=basic(machine),
    )
    assert r.status_code == 200 and r.json()["scope"] == "admin"
    assert AccessToken.select().where(AccessToken.scopes.contains("superuser")).count() == 0


def test_an_undefined_scope_is_refused_before_the_password_is_checked(
    url: str, machine: CreatedClient, store: Store, alice: UserInfo, bcrypt_checks: Counter
) -> None:
    legacy = store.clients.create("Legacy", password=True)
    before = issued_rows()
    r = requests.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "password",
            "username": "alice",
            "password": PASSWORD,
            "scope": "root",
        },
        auth=basic(legacy),
    )
    assert_refused(r, 400, "invalid_scope", before)
    assert bcrypt_checks.calls == 0


def test_an_undefined_scope_at_authorize_is_redirected_with_state(
    http: requests.Session, url: str, web: CreatedClient, store: Store
) -> None:
    open_client = store.clients.create("Open", [REDIRECT], authorization_code=True)
    r = http.get(
        f"{url}/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": str(open_client.client.id),
            "redirect_uri": REDIRECT,
            "scope": "read superuser",
            "state": "s-1",
        },
        allow_redirects=False,
    )
    assert r.status_code == 302, r.text
    assert r.headers["Location"].startswith(REDIRECT + "?")
    params = query_of(r.headers["Location"])
    assert params["error"] == "invalid_scope" and params["state"] == "s-1"
    assert "superuser" in params["error_description"]
    # A defined one is fine (web defined read when it listed it).
    ok = http.get(
        f"{url}/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": str(open_client.client.id),
            "redirect_uri": REDIRECT,
            "scope": "read",
        },
        allow_redirects=False,
    )
    assert ok.status_code == 200 and "Sign in" in ok.text


def test_a_code_carries_only_the_approved_scopes_the_client_still_has(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo, store: Store
) -> None:
    verifier, challenge = pkce_pair()
    done = authorize(http, url, client_id=web.client.id, challenge=challenge, scope="read write")
    # Between approval and exchange, the admin narrows the client.
    store.clients.update(web.client.id, scopes="read")
    r = requests.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": done.params["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=basic(web),
    )
    assert r.status_code == 200 and r.json()["scope"] == "read"
