"""The bad-input suite: each rule of the token, authorize, revoke, introspect and resource routes.

Every case asserts the status, the RFC error code and that nothing was issued
(rows counted in the database).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.endpoint.http11 import MAX_BODY
from authclients.store.records import CreatedClient, UserInfo
from tests.endpoint.conftest import (
    PASSWORD,
    REDIRECT,
    assert_refused,
    authorize,
    basic,
    issued_rows,
    pkce_pair,
    query_of,
)

PARSING_ONLY = pytest.mark.sqlite_only("refused while parsing, before the database decides")

# -- helpers -------------------------------------------------------------------------


def token(http: requests.Session, url: str, data, auth=None, **kw) -> requests.Response:
    return http.post(f"{url}/oauth/token", data=data, auth=auth, **kw)


def password_grant(
    http: requests.Session, url: str, client: CreatedClient, password: str = PASSWORD
) -> requests.Response:
    return token(
        http,
        url,
        {"grant_type": "password", "username": "alice", "password": password},
        basic(client),
    )


def me(http: requests.Session, url: str, access_token: str) -> requests.Response:
    return http.get(f"{url}/api/1.0/users/me", headers={"Authorization": f"Bearer {access_token}"})


def exchange(
    http: requests.Session,
    url: str,
    client: CreatedClient,
    code: str,
    *,
    verifier: str | None = None,
    redirect_uri: str = REDIRECT,
) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier:
        data["code_verifier"] = verifier
    return token(http, url, data, basic(client))


def authorize_page(http: requests.Session, url: str, **params: str) -> requests.Response:
    return http.get(f"{url}/oauth/authorize", params=params, allow_redirects=False)


# -- authorization_code: single use, expiry, redirect_uri, PKCE --------------------------


def test_code_replay_is_invalid_grant_and_revokes_its_tokens(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo
) -> None:
    verifier, challenge = pkce_pair()
    code = authorize(http, url, client_id=web.client.id, challenge=challenge).params["code"]
    first = exchange(http, url, web, code, verifier=verifier).json()
    assert me(http, url, first["access_token"]).status_code == 200
    before = issued_rows()
    replay = exchange(http, url, web, code, verifier=verifier)
    assert_refused(replay, 400, "invalid_grant", before)
    # RFC 6749 §4.1.2: everything issued from the code is revoked.
    assert me(http, url, first["access_token"]).status_code == 401
    refresh = token(
        http,
        url,
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        basic(web),
    )
    assert_refused(refresh, 400, "invalid_grant", before)


def test_code_expires_after_ten_minutes(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo, clock: ManualClock
) -> None:
    verifier, challenge = pkce_pair()
    code = authorize(http, url, client_id=web.client.id, challenge=challenge).params["code"]
    clock.advance(timedelta(minutes=10, seconds=1))
    before = issued_rows()
    assert_refused(exchange(http, url, web, code, verifier=verifier), 400, "invalid_grant", before)


def test_code_redirect_uri_must_equal_the_authorization_requests(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo
) -> None:
    verifier, challenge = pkce_pair()
    code = authorize(http, url, client_id=web.client.id, challenge=challenge).params["code"]
    before = issued_rows()
    # Registered for the client, but not the one the code was issued for.
    r = exchange(http, url, web, code, verifier=verifier, redirect_uri="http://127.0.0.1:9999/cb")
    assert_refused(r, 400, "invalid_grant", before)


def test_code_of_another_client_is_invalid_grant(
    http: requests.Session, url: str, web: CreatedClient, store: Store, alice: UserInfo
) -> None:
    other = store.clients.create("Other", [REDIRECT], authorization_code=True)
    verifier, challenge = pkce_pair()
    code = authorize(http, url, client_id=web.client.id, challenge=challenge).params["code"]
    before = issued_rows()
    assert_refused(
        exchange(http, url, other, code, verifier=verifier), 400, "invalid_grant", before
    )


def test_pkce_verifier_missing(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo
) -> None:
    _verifier, challenge = pkce_pair()
    code = authorize(http, url, client_id=web.client.id, challenge=challenge).params["code"]
    before = issued_rows()
    body = assert_refused(exchange(http, url, web, code), 400, "invalid_request", before)
    assert "code_verifier" in body["error_description"]


def test_pkce_verifier_wrong(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo
) -> None:
    _verifier, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    code = authorize(http, url, client_id=web.client.id, challenge=challenge).params["code"]
    before = issued_rows()
    r = exchange(http, url, web, code, verifier=other_verifier)
    assert_refused(r, 400, "invalid_grant", before)


@PARSING_ONLY
@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ({"code_challenge": "x" * 43, "code_challenge_method": "plain"}, "plain"),
        ({"code_challenge": "x" * 43}, "code_challenge_method"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "43"),
    ],
    ids=["plain", "method-missing", "malformed-challenge"],
)
def test_pkce_plain_or_malformed_is_invalid_request_at_the_redirect(
    http: requests.Session, url: str, web: CreatedClient, extra: dict, needle: str
) -> None:
    before = issued_rows()
    r = authorize_page(
        http,
        url,
        response_type="code",
        client_id=str(web.client.id),
        redirect_uri=REDIRECT,
        state="s1",
        **extra,
    )
    # The client and redirect URI are valid, so the error goes back to it (§4.1.2.1).
    assert r.status_code == 302
    location = r.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    params = query_of(location)
    assert params["error"] == "invalid_request" and params["state"] == "s1"
    assert needle in params["error_description"]
    assert issued_rows() == before


def test_public_client_must_use_pkce(
    http: requests.Session, url: str, mobile: CreatedClient
) -> None:
    before = issued_rows()
    r = authorize_page(
        http,
        url,
        response_type="code",
        client_id=str(mobile.client.id),
        redirect_uri="com.example.app:/callback",
    )
    assert r.status_code == 302
    params = query_of(r.headers["Location"])
    assert params["error"] == "invalid_request" and "PKCE" in params["error_description"]
    assert issued_rows() == before


def test_public_clients_code_without_pkce_is_refused_at_the_token_endpoint(
    http: requests.Session, url: str, mobile: CreatedClient, alice: UserInfo, store: Store
) -> None:
    # /oauth/authorize never issues one; a code made by other means must not work either.
    code = store.tokens.create_auth_code(
        mobile.client,
        user_id=alice.id,
        redirect_uri="com.example.app:/callback",
        scopes=(),
        code_challenge=None,
        code_challenge_method=None,
    )
    before = issued_rows()
    r = token(
        http,
        url,
        {
            "grant_type": "authorization_code",
            "client_id": str(mobile.client.id),
            "code": code,
            "redirect_uri": "com.example.app:/callback",
        },
    )
    assert_refused(r, 400, "invalid_grant", before)


# -- /oauth/authorize: never redirect before the client and redirect URI are known ----------


@pytest.mark.parametrize(
    "params",
    [
        {"redirect_uri": "https://evil.example.com/callback"},
        {"redirect_uri": REDIRECT + "/"},
        {"redirect_uri": REDIRECT + "?x=1"},
        {"redirect_uri": ""},
        {"client_id": "999"},
        {"client_id": "abc"},
    ],
    ids=["foreign", "trailing-slash", "extra-query", "missing", "unknown-client", "bad-client"],
)
def test_authorize_with_unknown_client_or_redirect_mismatch_never_redirects(
    http: requests.Session, url: str, web: CreatedClient, params: dict
) -> None:
    before = issued_rows()
    query = {
        "response_type": "code",
        "client_id": str(web.client.id),
        "redirect_uri": REDIRECT,
        "state": "s",
        **params,
    }
    r = authorize_page(http, url, **query)
    assert r.status_code == 400
    assert "Location" not in r.headers
    assert r.headers["Content-Type"].startswith("text/html")
    assert "Error code: <code>invalid_request</code>" in r.text
    assert "evil" not in r.text
    assert issued_rows() == before


@PARSING_ONLY
def test_authorize_unsupported_response_type_goes_back_to_the_client(
    http: requests.Session, url: str, web: CreatedClient
) -> None:
    before = issued_rows()
    r = authorize_page(
        http,
        url,
        response_type="token",
        client_id=str(web.client.id),
        redirect_uri=REDIRECT,
        state="s2",
    )
    assert r.status_code == 302
    assert query_of(r.headers["Location"])["error"] == "unsupported_response_type"
    assert issued_rows() == before


def test_authorize_post_without_csrf_token_is_refused(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo
) -> None:
    _verifier, challenge = pkce_pair()
    page = authorize_page(
        http,
        url,
        response_type="code",
        client_id=str(web.client.id),
        redirect_uri=REDIRECT,
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    assert page.status_code == 200
    assert "HttpOnly" in page.headers["Set-Cookie"] and "SameSite=Lax" in page.headers["Set-Cookie"]
    before = issued_rows()
    r = http.post(
        f"{url}/oauth/authorize",
        data={"username": "alice", "password": PASSWORD, "action": "sign_in", "request": "x"},
        allow_redirects=False,
    )
    assert r.status_code == 403 and "CSRF" in r.text
    assert "Error code: <code>invalid_request</code>" in r.text
    assert "Location" not in r.headers
    assert issued_rows() == before


# -- refresh_token: rotation, reuse, scope ------------------------------------------------


def test_refresh_reuse_is_invalid_grant_and_revokes_the_family(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo
) -> None:
    first = password_grant(http, url, web).json()
    second = token(
        http,
        url,
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        basic(web),
    ).json()
    before = issued_rows()
    reuse = token(
        http,
        url,
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        basic(web),
    )
    assert_refused(reuse, 400, "invalid_grant", before)
    # The whole family dies: the token issued by the honest rotation too.
    assert me(http, url, second["access_token"]).status_code == 401
    again = token(
        http,
        url,
        {"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
        basic(web),
    )
    assert_refused(again, 400, "invalid_grant", before)


def test_refresh_may_not_widen_the_scope(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo
) -> None:
    r = token(
        http,
        url,
        {"grant_type": "password", "username": "alice", "password": PASSWORD, "scope": "read"},
        basic(web),
    )
    before = issued_rows()
    wider = token(
        http,
        url,
        {
            "grant_type": "refresh_token",
            "refresh_token": r.json()["refresh_token"],
            "scope": "write",
        },
        basic(web),
    )
    assert_refused(wider, 400, "invalid_scope", before)


def test_refresh_token_of_another_client_is_invalid_grant(
    http: requests.Session, url: str, web: CreatedClient, store: Store, alice: UserInfo
) -> None:
    other = store.clients.create("Other", password=True)
    refresh = password_grant(http, url, web).json()["refresh_token"]
    before = issued_rows()
    r = token(http, url, {"grant_type": "refresh_token", "refresh_token": refresh}, basic(other))
    assert_refused(r, 400, "invalid_grant", before)


# -- grant types and scopes ---------------------------------------------------------------


def test_disabled_grant_is_unauthorized_client(
    http: requests.Session, url: str, machine: CreatedClient, alice: UserInfo
) -> None:
    before = issued_rows()
    assert_refused(password_grant(http, url, machine), 400, "unauthorized_client", before)


@PARSING_ONLY
def test_unknown_grant_type(http: requests.Session, url: str, web: CreatedClient) -> None:
    before = issued_rows()
    r = token(http, url, {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer"}, basic(web))
    assert_refused(r, 400, "unsupported_grant_type", before)


@PARSING_ONLY
def test_missing_grant_type(http: requests.Session, url: str, web: CreatedClient) -> None:
    before = issued_rows()
    assert_refused(token(http, url, {"scope": "read"}, basic(web)), 400, "invalid_request", before)


@PARSING_ONLY
@pytest.mark.parametrize("scope", ["delete", "read delete", "bad\x7fscope"])
def test_scope_outside_the_clients_is_invalid_scope(
    http: requests.Session, url: str, web: CreatedClient, scope: str
) -> None:
    before = issued_rows()
    r = token(http, url, {"grant_type": "client_credentials", "scope": scope}, basic(web))
    assert_refused(r, 400, "invalid_scope", before)


def test_wrong_password_and_inactive_user_are_invalid_grant(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo, store: Store
) -> None:
    before = issued_rows()
    assert_refused(password_grant(http, url, web, "wrong password"), 400, "invalid_grant", before)
    store.users.set_active("alice", False)
    assert_refused(password_grant(http, url, web), 400, "invalid_grant", before)


@PARSING_ONLY
@pytest.mark.parametrize(
    "data",
    [
        {"grant_type": "password", "username": "alice"},
        {"grant_type": "password", "password": PASSWORD},
        {"grant_type": "authorization_code", "redirect_uri": REDIRECT},
        {"grant_type": "authorization_code", "code": "abc"},
        {"grant_type": "refresh_token"},
        {"grant_type": "password", "username": "alice", "password": "x" * 5000},
    ],
    ids=["no-password", "no-username", "no-code", "no-redirect", "no-refresh", "absurd-length"],
)
def test_missing_or_absurd_fields_are_invalid_request(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo, data: dict
) -> None:
    before = issued_rows()
    assert_refused(token(http, url, data, basic(web)), 400, "invalid_request", before)


# -- client authentication -----------------------------------------------------------------


def test_wrong_secret_is_401_with_www_authenticate(
    http: requests.Session, url: str, machine: CreatedClient
) -> None:
    before = issued_rows()
    r = token(
        http, url, {"grant_type": "client_credentials"}, (str(machine.client.id), "wrong-secret")
    )
    assert_refused(r, 401, "invalid_client", before)
    assert r.headers["WWW-Authenticate"].startswith("Basic ")


@pytest.mark.parametrize(
    ("auth", "data"),
    [
        (None, {}),
        (None, {"client_id": "CLIENT"}),
        (None, {"client_id": "0", "client_secret": "x"}),
        (None, {"client_id": "1e3", "client_secret": "x"}),
        (("999", "x"), {}),
        (("CLIENT", ""), {}),
    ],
    ids=["none", "confidential-without-secret", "zero", "not-an-int", "unknown", "empty-secret"],
)
def test_missing_or_unknown_client_is_invalid_client(
    http: requests.Session, url: str, machine: CreatedClient, auth, data: dict
) -> None:
    cid = str(machine.client.id)
    auth = tuple(cid if v == "CLIENT" else v for v in auth) if auth else None
    data = {k: (cid if v == "CLIENT" else v) for k, v in data.items()}
    before = issued_rows()
    r = token(http, url, {"grant_type": "client_credentials", **data}, auth)
    assert_refused(r, 401, "invalid_client", before)
    assert "WWW-Authenticate" in r.headers


@PARSING_ONLY
def test_malformed_basic_header_is_invalid_client(
    http: requests.Session, url: str, machine: CreatedClient
) -> None:
    before = issued_rows()
    for value in ("Basic !!!notbase64", "Basic bm9jb2xvbg==", "Digest abc", "Basic"):
        r = token(http, url, {"grant_type": "client_credentials"}, headers={"Authorization": value})
        assert_refused(r, 401, "invalid_client", before)


@PARSING_ONLY
def test_basic_and_body_credentials_together_are_refused(
    http: requests.Session, url: str, machine: CreatedClient
) -> None:
    before = issued_rows()
    r = token(
        http,
        url,
        {
            "grant_type": "client_credentials",
            "client_id": str(machine.client.id),
            "client_secret": machine.secret,
        },
        basic(machine),
    )
    assert_refused(r, 400, "invalid_request", before)


def test_public_client_presenting_a_secret_is_invalid_client(
    http: requests.Session, url: str, mobile: CreatedClient
) -> None:
    before = issued_rows()
    r = token(
        http,
        url,
        {
            "grant_type": "refresh_token",
            "refresh_token": "x" * 43,
            "client_id": str(mobile.client.id),
            "client_secret": "guess",
        },
    )
    assert_refused(r, 401, "invalid_client", before)


def test_public_client_cannot_introspect(
    http: requests.Session, url: str, mobile: CreatedClient
) -> None:
    before = issued_rows()
    r = http.post(
        f"{url}/oauth/introspect", data={"token": "abc", "client_id": str(mobile.client.id)}
    )
    assert_refused(r, 401, "invalid_client", before)


def test_deleted_clients_tokens_are_dead_and_it_cannot_authenticate(
    http: requests.Session, url: str, web: CreatedClient, machine: CreatedClient, store: Store
) -> None:
    access = token(http, url, {"grant_type": "client_credentials"}, basic(machine)).json()[
        "access_token"
    ]
    assert me(http, url, access).status_code == 200
    store.clients.delete(machine.client.id)
    before = issued_rows()
    r = me(http, url, access)
    assert_refused(r, 401, "invalid_token", before)
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    claims = http.post(f"{url}/oauth/introspect", data={"token": access}, auth=basic(web))
    assert claims.json() == {"active": False}
    again = token(http, url, {"grant_type": "client_credentials"}, basic(machine))
    assert_refused(again, 401, "invalid_client", before)


# -- the resource API and expiry --------------------------------------------------------------


def test_expired_token_is_dead_everywhere(
    http: requests.Session,
    url: str,
    web: CreatedClient,
    machine: CreatedClient,
    clock: ManualClock,
) -> None:
    access = token(http, url, {"grant_type": "client_credentials"}, basic(machine)).json()[
        "access_token"
    ]
    clock.advance(timedelta(hours=1, seconds=1))
    before = issued_rows()
    r = me(http, url, access)
    assert_refused(r, 401, "invalid_token", before)
    assert r.headers["WWW-Authenticate"].startswith("Bearer ")
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    claims = http.post(f"{url}/oauth/introspect", data={"token": access}, auth=basic(machine))
    assert claims.status_code == 200 and claims.json() == {"active": False}


@PARSING_ONLY
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer a b"},
    ],
    ids=["none", "basic", "empty", "malformed"],
)
def test_resource_api_without_a_valid_bearer_is_401(
    http: requests.Session, url: str, headers: dict
) -> None:
    before = issued_rows()
    r = http.get(f"{url}/api/1.0/users/me", headers=headers)
    assert_refused(r, 401, "invalid_token", before)
    assert r.headers["WWW-Authenticate"].startswith("Bearer ")


@PARSING_ONLY
def test_resource_api_refuses_a_token_in_the_query(
    http: requests.Session, url: str, machine: CreatedClient
) -> None:
    access = token(http, url, {"grant_type": "client_credentials"}, basic(machine)).json()[
        "access_token"
    ]
    before = issued_rows()
    r = http.get(f"{url}/api/1.0/users/me", params={"access_token": access})
    assert_refused(r, 400, "invalid_request", before)


# -- hardening: the HTTP layer ----------------------------------------------------------------


@PARSING_ONLY
def test_oversized_body_is_413(http: requests.Session, url: str, machine: CreatedClient) -> None:
    before = issued_rows()
    body = "grant_type=client_credentials&pad=" + "x" * MAX_BODY
    r = token(
        http,
        url,
        body,
        basic(machine),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_refused(r, 413, "invalid_request", before)


@PARSING_ONLY
def test_duplicate_parameter_is_invalid_request(
    http: requests.Session, url: str, machine: CreatedClient
) -> None:
    before = issued_rows()
    r = token(
        http,
        url,
        [("grant_type", "client_credentials"), ("scope", "read"), ("scope", "write")],
        basic(machine),
    )
    body = assert_refused(r, 400, "invalid_request", before)
    assert "more than once" in body["error_description"]


@PARSING_ONLY
@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "text/plain",
        "multipart/form-data; boundary=x",
        None,
        "application/x-www-form-urlencoded; charset=latin-1",
    ],
    ids=["json", "text", "multipart", "missing", "latin-1"],
)
def test_wrong_content_type_is_invalid_request(
    http: requests.Session, url: str, machine: CreatedClient, content_type: str | None
) -> None:
    before = issued_rows()
    request = requests.Request(
        "POST",
        f"{url}/oauth/token",
        data="grant_type=client_credentials",
        auth=basic(machine),
    ).prepare()
    if content_type is None:
        request.headers.pop("Content-Type", None)
    else:
        request.headers["Content-Type"] = content_type
    assert_refused(http.send(request), 400, "invalid_request", before)


@PARSING_ONLY
def test_credentials_in_the_query_string_are_refused(
    http: requests.Session, url: str, machine: CreatedClient
) -> None:
    before = issued_rows()
    r = http.post(
        f"{url}/oauth/token",
        params={"client_id": str(machine.client.id), "client_secret": machine.secret},
        data={"grant_type": "client_credentials"},
    )
    body = assert_refused(r, 400, "invalid_request", before)
    assert "query" in body["error_description"]


@PARSING_ONLY
@pytest.mark.parametrize(
    "body",
    [
        b"grant_type=client_credentials&scope=%zz",
        b"grant_type=client_credentials&scope=%",
        b"grant_type=client_credentials&scope=%FF%FE",
        b"grant_type=client_credentials&scope=\xc3\xa9",
        b"grant_type=client_credentials&scope=a%00b",
        b"grant_type=client_credentials&&&",
    ],
    ids=["bad-hex", "lone-percent", "invalid-utf8", "raw-bytes", "nul", "empty-pairs"],
)
def test_broken_encodings_are_invalid_request(
    http: requests.Session, url: str, machine: CreatedClient, body: bytes
) -> None:
    before = issued_rows()
    r = token(
        http,
        url,
        body,
        basic(machine),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_refused(r, 400, "invalid_request", before)


@PARSING_ONLY
@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [
        ("GET", "/oauth/token", 405, "invalid_request"),
        ("PUT", "/oauth/token", 405, "invalid_request"),
        ("DELETE", "/oauth/revoke", 405, "invalid_request"),
        ("GET", "/oauth/introspect", 405, "invalid_request"),
        ("POST", "/api/1.0/users/me", 405, "invalid_request"),
        ("GET", "/oauth/tokens", 404, "not_found"),
        ("GET", "/", 404, "not_found"),
        ("POST", "/../../etc/passwd", 404, "not_found"),
    ],
)
def test_wrong_methods_and_unknown_routes_are_json(
    http: requests.Session, url: str, method: str, path: str, status: int, error: str
) -> None:
    before = issued_rows()
    r = http.request(method, f"{url}{path}")
    assert_refused(r, status, error, before)
    if status == 405:
        assert r.headers["Allow"]


def test_a_deactivated_users_code_and_refresh_token_are_dead(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo, store: Store
) -> None:
    refresh = password_grant(http, url, web).json()["refresh_token"]
    verifier, challenge = pkce_pair()
    code = authorize(http, url, client_id=web.client.id, challenge=challenge).params["code"]
    store.users.set_active("alice", False)
    before = issued_rows()
    assert_refused(exchange(http, url, web, code, verifier=verifier), 400, "invalid_grant", before)
    r = token(http, url, {"grant_type": "refresh_token", "refresh_token": refresh}, basic(web))
    assert_refused(r, 400, "invalid_grant", before)


def test_expired_refresh_token_is_invalid_grant(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo, clock: ManualClock
) -> None:
    refresh = password_grant(http, url, web).json()["refresh_token"]
    clock.advance(timedelta(days=30, seconds=1))
    before = issued_rows()
    r = token(http, url, {"grant_type": "refresh_token", "refresh_token": refresh}, basic(web))
    assert_refused(r, 400, "invalid_grant", before)


def test_another_client_cannot_revoke_or_read_a_refresh_token(
    http: requests.Session, url: str, web: CreatedClient, store: Store, alice: UserInfo
) -> None:
    other = store.clients.create("Other", password=True)
    tokens = password_grant(http, url, web).json()
    for route in ("/oauth/revoke", "/oauth/introspect"):
        r = http.post(f"{url}{route}", data={"token": tokens["refresh_token"]}, auth=basic(other))
        assert r.status_code == 200
        if route == "/oauth/introspect":
            assert r.json() == {"active": False}
    before = issued_rows()
    r = token(
        http,
        url,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        basic(web),
    )
    assert r.status_code == 200
    assert issued_rows() != before
