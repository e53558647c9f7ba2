"""RFC 8252 §7.3 over real HTTP: a native app's loopback redirect on any port, through the
code exchange; exact matching everywhere else."""

from __future__ import annotations

import pytest
import requests

from authclients.store import Store
from authclients.store.records import CreatedClient, UserInfo
from tests.endpoint.conftest import authorize, issued_rows, pkce_pair


@pytest.fixture
def native(store: Store) -> CreatedClient:
    return store.clients.create(
        "Desktop app",
        ["http://127.0.0.1/callback", "http://[::1]/callback", "http://localhost/callback"],
        authorization_code=True,
        public=True,
    )


def exchange(
    http: requests.Session,
    url: str,
    client: CreatedClient,
    code: str,
    verifier: str,
    redirect_uri: str,
) -> requests.Response:
    return http.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": str(client.client.id),
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": redirect_uri,
        },
    )


@pytest.mark.parametrize(
    "redirect_uri", ["http://127.0.0.1:53117/callback", "http://[::1]:4000/callback"]
)
def test_a_loopback_redirect_matches_on_any_port_and_the_exchange_wants_that_port(
    http: requests.Session, url: str, native: CreatedClient, alice: UserInfo, redirect_uri: str
) -> None:
    verifier, challenge = pkce_pair()
    done = authorize(
        http, url, client_id=native.client.id, redirect_uri=redirect_uri, challenge=challenge
    )
    assert done.location.startswith(redirect_uri + "?")
    assert done.params["iss"] == url
    # RFC 6749 §4.1.3: the exchange names the redirect URI of the request, port and all.
    other_port = redirect_uri.replace(":53117", ":53118").replace(":4000", ":4001")
    wrong = exchange(http, url, native, done.params["code"], verifier, other_port)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    with requests.Session() as browser:
        verifier, challenge = pkce_pair()
        done = authorize(
            browser, url, client_id=native.client.id, redirect_uri=redirect_uri, challenge=challenge
        )
    registered = redirect_uri.replace(":53117", "").replace(":4000", "")
    wrong = exchange(http, url, native, done.params["code"], verifier, registered)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    with requests.Session() as browser:
        verifier, challenge = pkce_pair()
        done = authorize(
            browser, url, client_id=native.client.id, redirect_uri=redirect_uri, challenge=challenge
        )
    ok = exchange(http, url, native, done.params["code"], verifier, redirect_uri)
    assert ok.status_code == 200, ok.text
    assert ok.json()["access_token"]


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://localhost:5000/callback",  # RFC 8252 §8.3: localhost matches exactly only
        "http://127.0.0.1:5000/callback/extra",
        "https://127.0.0.1:5000/callback",
        "http://127.0.0.1:5000@evil.example/callback",
    ],
)
def test_anything_else_must_match_exactly_and_is_never_redirected_to(
    http: requests.Session, url: str, native: CreatedClient, redirect_uri: str
) -> None:
    before = issued_rows()
    _verifier, challenge = pkce_pair()
    r = http.get(
        f"{url}/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": str(native.client.id),
            "redirect_uri": redirect_uri,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
        allow_redirects=False,
    )
    assert r.status_code == 400 and "Location" not in r.headers
    assert "not registered" in r.text
    assert issued_rows() == before


def test_a_web_clients_redirect_uri_stays_exact(
    http: requests.Session, url: str, web: CreatedClient
) -> None:
    # The fixture registers http://127.0.0.1:9999/cb: being loopback, any port matches.
    r = http.get(
        f"{url}/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": str(web.client.id),
            "redirect_uri": "https://app.example.com:443/callback",
        },
    )
    assert r.status_code == 400 and "not registered" in r.text
