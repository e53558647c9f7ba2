"""A standard OAuth 2.0 client library, authlib, completes every grant against the endpoint,
embedded and as ``authclients serve``."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from authclients.store import Store
from authclients.store.records import CreatedClient, UserInfo
from tests.endpoint.conftest import PASSWORD, REDIRECT, form_fields, serving


@pytest.fixture(params=["embedded", "serve"])
def url(request: pytest.FixtureRequest, store: Store, db_target: str) -> Iterator[str]:
    """The endpoint in a thread of this process, and ``authclients serve`` in its own."""
    if request.param == "embedded":
        yield request.getfixturevalue("endpoint").url
        return
    with serving(db_target) as (_proc, served):
        yield served


def session_for(client: CreatedClient, method: str = "client_secret_basic", **kw) -> OAuth2Session:
    return OAuth2Session(
        str(client.client.id),
        client.secret,
        token_endpoint_auth_method=method,
        **kw,
    )


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_password_then_refresh(url: str, web: CreatedClient, alice: UserInfo, method: str) -> None:
    with session_for(web, method, scope="read") as oauth:
        token = oauth.fetch_token(
            f"{url}/oauth/token", grant_type="password", username="alice", password=PASSWORD
        )
        assert token["token_type"] == "Bearer" and token["refresh_token"]
        assert oauth.get(f"{url}/api/1.0/users/me").json()["user"]["username"] == "alice"
        new = oauth.refresh_token(f"{url}/oauth/token")
        assert new["access_token"] != token["access_token"]
        assert oauth.get(f"{url}/api/1.0/users/me").status_code == 200
        claims = oauth.introspect_token(f"{url}/oauth/introspect", new["access_token"]).json()
        assert claims["active"] is True
        assert oauth.revoke_token(f"{url}/oauth/revoke", new["access_token"]).status_code == 200
        assert oauth.get(f"{url}/api/1.0/users/me").status_code == 401


def test_client_credentials(url: str, machine: CreatedClient) -> None:
    with session_for(machine) as oauth:
        token = oauth.fetch_token(f"{url}/oauth/token", grant_type="client_credentials")
        assert "refresh_token" not in token
        assert oauth.get(f"{url}/api/1.0/users/me").json()["client"]["name"] == "Batch job"


@pytest.mark.parametrize("public", [False, True])
def test_authorization_code_with_pkce(
    url: str, web: CreatedClient, mobile: CreatedClient, alice: UserInfo, public: bool
) -> None:
    client = mobile if public else web
    redirect = "com.example.app:/callback" if public else REDIRECT
    method = "none" if public else "client_secret_basic"
    verifier = secrets.token_urlsafe(48)
    with session_for(client, method, redirect_uri=redirect, code_challenge_method="S256") as oauth:
        auth_url, state = oauth.create_authorization_url(
            f"{url}/oauth/authorize", code_verifier=verifier
        )
        # The browser part: sign in and approve.
        with requests.Session() as browser:
            page = browser.get(auth_url)
            fields = form_fields(page.text)
            consent = browser.post(
                f"{url}/oauth/authorize",
                data={**fields, "username": "alice", "password": PASSWORD},
            )
            done = browser.post(
                f"{url}/oauth/authorize",
                data={**form_fields(consent.text), "action": "approve"},
                allow_redirects=False,
            )
        assert done.status_code == 302
        token = oauth.fetch_token(
            f"{url}/oauth/token",
            authorization_response=done.headers["Location"],
            code_verifier=verifier,
            state=state,
        )
        assert token["refresh_token"]
        assert oauth.get(f"{url}/api/1.0/users/me").json()["user"]["username"] == "alice"
        refreshed = oauth.refresh_token(f"{url}/oauth/token")
        assert refreshed["access_token"] != token["access_token"]
