"""RFC 8707 resource indicators and RFC 9728 metadata over real HTTP."""

from __future__ import annotations

import html
import re

import pytest
import requests

from authclients.store import Store
from authclients.store.endpoint import TokenEndpoint
from authclients.store.records import CreatedClient, UserInfo
from tests.endpoint.conftest import (
    PASSWORD,
    REDIRECT,
    authorize,
    basic,
    issued_rows,
    pkce_pair,
    query_of,
)

MCP = "http://127.0.0.1:8000/mcp"
API = "https://api.example.com"


@pytest.fixture
def resource_server(store: Store) -> CreatedClient:
    """The confidential client the MCP server introspects with."""
    rs = store.clients.create("MCP server", client_credentials=True)
    store.resources.add(MCP, "MCP", introspection_client_id=rs.client.id)
    store.resources.add(API, "API")
    return rs


def code_with_resources(
    http: requests.Session, url: str, web: CreatedClient, resources: list[str]
) -> tuple[str, str]:
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": str(web.client.id),
        "redirect_uri": REDIRECT,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "resource": resources,
    }
    page = http.get(f"{url}/oauth/authorize", params=params, allow_redirects=False)
    assert page.status_code == 200, page.text

    consent = http.post(
        f"{url}/oauth/authorize",
        data=[*form_fields(page.text), ("username", "alice"), ("password", PASSWORD)],
        allow_redirects=False,
    )
    assert consent.status_code == 200, consent.text
    for resource in resources:
        assert html.escape(resource) in consent.text  # the user sees where the token will be used
    done = http.post(
        f"{url}/oauth/authorize",
        data=[*form_fields(consent.text), ("action", "approve")],
        allow_redirects=False,
    )
    assert done.status_code == 302, done.text
    return query_of(done.headers["Location"])["code"], verifier


def form_fields(page: str) -> list[tuple[str, str]]:
    """Every hidden input, repeated names included, as a browser would send them."""
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)


def exchange(
    http: requests.Session, url: str, web: CreatedClient, code: str, verifier: str, **extra
) -> requests.Response:
    return http.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            **extra,
        },
        auth=basic(web),
    )


def introspect(http: requests.Session, url: str, client: CreatedClient, token: str) -> dict:
    r = http.post(f"{url}/oauth/introspect", data={"token": token}, auth=basic(client))
    assert r.status_code == 200, r.text
    return r.json()


def test_code_flow_binds_the_audience_and_the_resource_server_sees_it(
    store: Store,
    url: str,
    http: requests.Session,
    web: CreatedClient,
    alice: UserInfo,
    resource_server: CreatedClient,
    machine: CreatedClient,
) -> None:
    code, verifier = code_with_resources(http, url, web, [MCP])
    r = exchange(http, url, web, code, verifier, resource=MCP)
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    assert introspect(http, url, web, token)["aud"] == MCP
    seen = introspect(http, url, resource_server, token)
    assert seen["active"] is True and seen["aud"] == MCP and seen["sub"] == str(alice.id)
    # Another confidential client is told nothing (RFC 7662 §4).
    assert introspect(http, url, machine, token) == {"active": False}
    # The resource server sees no refresh token and no unbound token.
    assert introspect(http, url, resource_server, r.json()["refresh_token"]) == {"active": False}
    plain = http.post(
        f"{url}/oauth/token",
        data={"grant_type": "password", "username": "alice", "password": PASSWORD},
        auth=basic(web),
    ).json()["access_token"]
    assert "aud" not in introspect(http, url, web, plain)
    assert introspect(http, url, resource_server, plain) == {"active": False}


def test_refresh_may_narrow_never_widen(
    store: Store,
    url: str,
    http: requests.Session,
    web: CreatedClient,
    alice: UserInfo,
    resource_server: CreatedClient,
) -> None:
    code, verifier = code_with_resources(http, url, web, [MCP, API])
    first = exchange(http, url, web, code, verifier).json()
    assert introspect(http, url, web, first["access_token"])["aud"] == [MCP, API]
    narrowed = http.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "resource": API,
        },
        auth=basic(web),
    )
    assert narrowed.status_code == 200, narrowed.text
    body = narrowed.json()
    assert introspect(http, url, web, body["access_token"])["aud"] == API
    before = issued_rows()
    widened = http.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "resource": MCP,
        },
        auth=basic(web),
    )
    assert widened.status_code == 400 and widened.json()["error"] == "invalid_target"
    assert issued_rows() == before
    # Without resource, a refresh keeps the audience it has.
    again = http.post(
        f"{url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
        auth=basic(web),
    ).json()
    assert introspect(http, url, web, again["access_token"])["aud"] == API


def test_exchange_asking_beyond_the_code_is_invalid_target(
    store: Store,
    url: str,
    http: requests.Session,
    web: CreatedClient,
    alice: UserInfo,
    resource_server: CreatedClient,
) -> None:
    code, verifier = code_with_resources(http, url, web, [MCP])
    tokens_before = issued_rows()[0]
    r = exchange(http, url, web, code, verifier, resource=API)
    assert r.status_code == 400 and r.json()["error"] == "invalid_target"
    assert issued_rows()[0] == tokens_before


@pytest.mark.parametrize(
    "resource",
    [
        "https://unknown.example.com",
        "https://api.example.com#frag",
        "/relative/path",
        "urn:ietf:params:whatever",
        "https://api.example.com/\x1b[2J",
        "https://api.example.com https://other",
        "http://api.example.com",
    ],
)
def test_unknown_or_malformed_resource_is_invalid_target(
    store: Store,
    url: str,
    http: requests.Session,
    web: CreatedClient,
    machine: CreatedClient,
    alice: UserInfo,
    resource_server: CreatedClient,
    resource: str,
) -> None:
    before = issued_rows()
    for data, client in (
        ({"grant_type": "password", "username": "alice", "password": PASSWORD}, web),
        ({"grant_type": "client_credentials"}, machine),
    ):
        r = http.post(f"{url}/oauth/token", data={**data, "resource": resource}, auth=basic(client))
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "invalid_target"
    assert issued_rows() == before
    _verifier, challenge = pkce_pair()
    r = http.get(
        f"{url}/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": str(web.client.id),
            "redirect_uri": REDIRECT,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "resource": resource,
            "state": "s1",
        },
        allow_redirects=False,
    )
    assert r.status_code == 302, r.text
    back = query_of(r.headers["Location"])
    assert back["error"] == "invalid_target" and back["state"] == "s1"


def test_too_many_resources(
    store: Store, url: str, http: requests.Session, machine: CreatedClient
) -> None:
    for i in range(11):
        store.resources.add(f"https://r{i}.example.com")
    r = http.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "resource": [f"https://r{i}.example.com" for i in range(11)],
        },
        auth=basic(machine),
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_target"


def test_client_credentials_and_password_bind_their_audience(
    store: Store,
    url: str,
    http: requests.Session,
    web: CreatedClient,
    machine: CreatedClient,
    alice: UserInfo,
    resource_server: CreatedClient,
) -> None:
    cc = http.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials", "resource": [MCP, API]},
        auth=basic(machine),
    )
    assert cc.status_code == 200, cc.text
    assert introspect(http, url, machine, cc.json()["access_token"])["aud"] == [MCP, API]
    assert introspect(http, url, resource_server, cc.json()["access_token"])["active"] is True
    pw_token = http.post(
        f"{url}/oauth/token",
        data={"grant_type": "password", "username": "alice", "password": PASSWORD, "resource": API},
        auth=basic(web),
    ).json()["access_token"]
    assert introspect(http, url, web, pw_token)["aud"] == API
    # The MCP server's client is not API's: it may not see an API token.
    assert introspect(http, url, resource_server, pw_token) == {"active": False}


def test_code_without_resource_keeps_working(
    store: Store, url: str, http: requests.Session, web: CreatedClient, alice: UserInfo
) -> None:
    verifier, challenge = pkce_pair()
    done = authorize(http, url, client_id=web.client.id, challenge=challenge)
    r = exchange(http, url, web, done.params["code"], verifier)
    assert r.status_code == 200
    assert "aud" not in introspect(http, url, web, r.json()["access_token"])


# -- RFC 9728 --------------------------------------------------------------------------


def test_protected_resource_metadata_and_the_401_pointing_to_it(
    store: Store, url: str, http: requests.Session
) -> None:
    store.scopes.add("read")
    doc = http.get(f"{url}/.well-known/oauth-protected-resource")
    assert doc.status_code == 200
    body = doc.json()
    assert "read" in body.pop("scopes_supported")  # every defined scope
    assert body == {
        "resource": url,
        "authorization_servers": [url],
        "bearer_methods_supported": ["header"],
        "resource_name": "authclients built-in API",
    }
    for headers in ({}, {"Authorization": "Bearer unknown-token"}):
        r = http.get(f"{url}/api/1.0/users/me", headers=headers)
        assert r.status_code == 401
        challenge = r.headers["WWW-Authenticate"]
        assert challenge.startswith(
            f'Bearer resource_metadata="{url}/.well-known/oauth-protected-resource"'
        ), challenge
        assert 'realm="authclients"' in challenge


def test_public_url_is_what_the_metadata_and_challenge_name(store: Store) -> None:
    public = "https://auth.example.com"
    endpoint = TokenEndpoint(store, port=0, public_url=public)
    endpoint.start()
    try:
        with requests.Session() as http:
            doc = http.get(f"{endpoint.url}/.well-known/oauth-protected-resource").json()
            assert doc["resource"] == public and doc["authorization_servers"] == [public]
            r = http.get(f"{endpoint.url}/api/1.0/users/me")
            assert (
                f'resource_metadata="{public}/.well-known/oauth-protected-resource"'
                in r.headers["WWW-Authenticate"]
            )
    finally:
        endpoint.stop()


def test_a_jwt_access_token_carries_its_audience(
    store: Store, url: str, http: requests.Session, alice: UserInfo
) -> None:
    """RFC 9068 §2.2: ``aud`` names the resource servers asked for, else the built-in API."""
    import base64
    import json

    store.resources.add(MCP)
    store.resources.add(API)
    app = store.clients.create("JWT app", password=True, token_format="jwt")

    def claims(resources: list[str]) -> dict:
        data = {"grant_type": "password", "username": "alice", "password": PASSWORD}
        r = http.post(f"{url}/oauth/token", data={**data, "resource": resources}, auth=basic(app))
        assert r.status_code == 200, r.text
        payload = r.json()["access_token"].split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))

    assert claims([MCP])["aud"] == MCP
    assert claims([MCP, API])["aud"] == [MCP, API]
    assert claims([])["aud"] == f"{url}/api/1.0"


def test_the_built_in_api_refuses_a_token_bound_elsewhere(
    store: Store,
    url: str,
    http: requests.Session,
    web: CreatedClient,
    alice: UserInfo,
    resource_server: CreatedClient,
) -> None:
    store.resources.add(url, "the built-in API")
    data = {"grant_type": "password", "username": "alice", "password": PASSWORD}

    def me(resource: str | None) -> requests.Response:
        extra = {"resource": resource} if resource else {}
        token = http.post(f"{url}/oauth/token", data={**data, **extra}, auth=basic(web))
        bearer = token.json()["access_token"]
        return http.get(f"{url}/api/1.0/users/me", headers={"Authorization": f"Bearer {bearer}"})

    assert me(None).status_code == 200  # unbound: as before
    assert me(url).status_code == 200
    refused = me(MCP)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    assert "another resource server" in refused.json()["error_description"]
