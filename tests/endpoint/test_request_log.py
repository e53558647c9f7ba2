"""The request log: what the console shows, bounded, optionally in a file, never a secret."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from authclients.store import Store
from authclients.store.endpoint import LoggedRequest, RequestLog, TokenEndpoint
from authclients.store.records import CreatedClient, UserInfo
from tests.endpoint.conftest import PASSWORD, REDIRECT, authorize, basic, pkce_pair

pytestmark = pytest.mark.sqlite_only("the request log does not depend on the database")


@pytest.fixture
def logged(store: Store, tmp_path: Path) -> Iterator[tuple[TokenEndpoint, Path]]:
    path = tmp_path / "requests.log"
    ep = TokenEndpoint(store, port=0, log_file=str(path))
    ep.start()
    yield ep, path
    ep.stop()


def entry(status: int) -> LoggedRequest:
    return LoggedRequest(datetime.now(UTC), "GET", "/x", status, 1.0, None)


def test_each_request_is_logged_with_its_client(
    logged: tuple[TokenEndpoint, Path], machine: CreatedClient
) -> None:
    ep, path = logged
    r = requests.post(
        f"{ep.url}/oauth/token", data={"grant_type": "client_credentials"}, auth=basic(machine)
    )
    assert r.status_code == 200
    requests.get(f"{ep.url}/nowhere")
    first, second = ep.request_log.entries()
    assert (first.method, first.path, first.status) == ("POST", "/oauth/token", 200)
    assert first.client_id == str(machine.client.id)
    assert first.time.tzinfo is not None and 0 < first.duration_ms < 5000
    assert (second.method, second.path, second.status, second.client_id) == (
        "GET",
        "/nowhere",
        404,
        None,
    )
    ep.stop()
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    assert " POST /oauth/token 200 " in lines[0] and f"client={machine.client.id}" in lines[0]


def test_the_buffer_is_bounded_but_counts_everything() -> None:
    log = RequestLog(maxlen=3)
    for status in range(200, 205):
        log.add(entry(status))
    assert [e.status for e in log.entries()] == [202, 203, 204]
    assert log.total == 5


def test_no_secret_token_or_password_reaches_the_log(
    logged: tuple[TokenEndpoint, Path], web: CreatedClient, alice: UserInfo
) -> None:
    ep, path = logged
    url = ep.url
    with requests.Session() as http:
        tokens = http.post(
            f"{url}/oauth/token",
            data={"grant_type": "password", "username": "alice", "password": PASSWORD},
            auth=basic(web),
        ).json()
        http.get(
            f"{url}/api/1.0/users/me",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        http.post(
            f"{url}/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=basic(web),
        )
        # Refused, but the secret is in the URL: the log must not keep it.
        http.post(
            f"{url}/oauth/token",
            params={"client_secret": web.secret, "password": PASSWORD},
            data={"grant_type": "client_credentials"},
        )
        http.get(f"{url}/api/1.0/users/me", params={"access_token": tokens["access_token"]})
        verifier, challenge = pkce_pair()
        code = authorize(http, url, client_id=web.client.id, challenge=challenge).params["code"]
        http.post(
            f"{url}/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            },
            auth=basic(web),
        )
    ep.stop()
    text = path.read_text()
    assert len(text.splitlines()) == len(ep.request_log.entries()) >= 9
    shown = text + repr(ep.request_log.entries())
    for secret in (
        web.secret,
        PASSWORD,
        "horse",
        tokens["access_token"],
        tokens["refresh_token"],
        code,
        verifier,
        challenge,
        "xyz-state",
    ):
        assert secret not in shown
    assert "?" not in text
