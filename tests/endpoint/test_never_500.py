"""A sweep of hostile values through every parameter of every route: never a 5xx, never a
traceback, never a token."""

from __future__ import annotations

import re

import pytest
import requests

from authclients.store.records import CreatedClient, UserInfo
from tests.endpoint.conftest import REDIRECT, basic, form_fields, issued_rows

pytestmark = pytest.mark.sqlite_only("input handling is the same on every database")

HOSTILE = [
    "é",
    "\u202e\u0000x",
    "%ED%A0%80",
    "%",
    "a" * 5000,
    " ",
    "+",
    "'; DROP TABLE client; --",
    "<script>alert(1)</script>",
    "\r\nSet-Cookie: x=1",
    "-1",
    "99999999999999999999999",
    "0x10",
    "１２",
]

TOKEN_FIELDS = {
    "grant_type": "password",
    "username": "alice",
    "password": "x",
    "code": "c",
    "redirect_uri": REDIRECT,
    "code_verifier": "v" * 43,
    "refresh_token": "r",
    "scope": "read",
}


def check(r: requests.Response) -> None:
    assert r.status_code < 500, (r.status_code, r.text)
    assert "Traceback" not in r.text
    assert "Set-Cookie: x=1" not in str(r.headers)


def test_hostile_values_in_every_token_parameter(
    url: str, web: CreatedClient, alice: UserInfo
) -> None:
    before = issued_rows()
    with requests.Session() as http:
        for grant in ("password", "authorization_code", "refresh_token", "client_credentials"):
            for name in [*TOKEN_FIELDS, "client_id", "client_secret"]:
                for value in HOSTILE:
                    data = {**TOKEN_FIELDS, "grant_type": grant, name: value}
                    auth = None if name.startswith("client_") else basic(web)
                    if name == "client_secret":
                        data["client_id"] = str(web.client.id)
                    check(http.post(f"{url}/oauth/token", data=data, auth=auth))
    assert issued_rows() == before


@pytest.mark.parametrize("route", ["/oauth/revoke", "/oauth/introspect"])
def test_hostile_values_for_revoke_and_introspect(url: str, web: CreatedClient, route: str) -> None:
    with requests.Session() as http:
        for value in HOSTILE:
            check(http.post(f"{url}{route}", data={"token": value}, auth=basic(web)))
            check(
                http.post(
                    f"{url}{route}", data={"token": "t"}, auth=(value.encode(), value.encode())
                )
            )


def test_hostile_bearer_tokens_and_queries(url: str) -> None:
    with requests.Session() as http:
        for value in HOSTILE:
            if "\r" not in value:  # an HTTP client cannot send that in a header
                header = f"Bearer {value}".encode()
                check(http.get(f"{url}/api/1.0/users/me", headers={"Authorization": header}))
            check(http.get(f"{url}/api/1.0/users/me", params={"x": value}))
            check(http.get(f"{url}/.well-known/oauth-authorization-server", params={"x": value}))


def test_hostile_values_through_the_authorization_pages(
    url: str, web: CreatedClient, alice: UserInfo
) -> None:
    before = issued_rows()
    base = {
        "response_type": "code",
        "client_id": str(web.client.id),
        "redirect_uri": REDIRECT,
        "state": "s",
    }
    with requests.Session() as http:
        for name in [*base, "scope", "code_challenge", "code_challenge_method"]:
            for value in HOSTILE:
                r = http.get(
                    f"{url}/oauth/authorize", params={**base, name: value}, allow_redirects=False
                )
                check(r)
                if r.status_code == 302:
                    assert r.headers["Location"].startswith(REDIRECT + "?")
                assert "<script>" not in r.text
        page = http.get(f"{url}/oauth/authorize", params=base)
        fields = form_fields(page.text)
        for name in ["request", "csrf_token", "action", "username", "password"]:
            for value in HOSTILE:
                r = http.post(
                    f"{url}/oauth/authorize",
                    data={**fields, "username": "alice", "password": "wrong", name: value},
                    allow_redirects=False,
                )
                check(r)
                assert not re.search(r"<script>alert", r.text)
    assert issued_rows() == before
