"""Introspection and ``users/me`` on the hot path give the same answers as the store's own code.

Each state a token can be in (live, expired, revoked, its client deleted, its
user deactivated, unknown, a refresh token) is read both ways, on SQLite and
on PostgreSQL; then through the running endpoint, where ``last_used_at`` is
written by the group committer before the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import requests

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.endpoint import TokenEndpoint
from authclients.store.endpoint.http11 import Headers, Request
from authclients.store.oauth.authorization_server import AuthorizationServer
from authclients.store.records import CreatedClient, IssuedToken, UserInfo
from tests.endpoint.conftest import basic


def _user_token(store: Store, web: CreatedClient, alice: UserInfo) -> IssuedToken:
    return store.tokens.issue(
        web.client, grant_type="password", user_id=alice.id, scopes=("read",), with_refresh=True
    )


def _machine_token(store: Store, machine: CreatedClient) -> IssuedToken:
    return store.tokens.issue(machine.client, grant_type="client_credentials", scopes=("read",))


STATES: dict[str, Callable[[Store, ManualClock, IssuedToken, CreatedClient, UserInfo], None]] = {
    "live": lambda store, clock, issued, client, user: None,
    "expired": lambda store, clock, issued, client, user: clock.advance(timedelta(days=400)),
    "revoked": lambda store, clock, issued, client, user: store.tokens.revoke(issued.info.id),
    "client deleted": lambda store, clock, issued, client, user: store.clients.delete(
        client.client.id
    ),
    "user deactivated": lambda store, clock, issued, client, user: store.users.set_active(
        user.username, False
    ),
}


@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("owner", ["user", "machine"])
def test_hot_reads_agree_with_the_store(
    store: Store,
    clock: ManualClock,
    web: CreatedClient,
    machine: CreatedClient,
    alice: UserInfo,
    state: str,
    owner: str,
) -> None:
    issued = _user_token(store, web, alice) if owner == "user" else _machine_token(store, machine)
    client = web if owner == "user" else machine
    STATES[state](store, clock, issued, client, alice)
    hot = AuthorizationServer(store).hot_path
    assert hot.access_token_and_audience(issued.access_token)[0] == store.tokens.find(
        issued.access_token
    )
    assert hot.introspect_with_audience(issued.access_token)[0] == store.tokens.introspect(
        issued.access_token
    )
    # A client's own token outlives the deactivation of a user it does not belong to.
    if state == "live" or (state == "user deactivated" and owner == "machine"):
        assert hot.introspect_with_audience(issued.access_token)[0]["active"] is True  # type: ignore[index]
    else:
        assert hot.introspect_with_audience(issued.access_token) == ({"active": False}, ())
        assert hot.authenticate_bearer(issued.access_token) is None


def test_unknown_and_refresh_tokens_are_left_to_the_store(
    store: Store, web: CreatedClient, alice: UserInfo
) -> None:
    hot = AuthorizationServer(store).hot_path
    assert hot.access_token_and_audience("no-such-token") is None
    assert hot.introspect_with_audience("no-such-token") is None
    issued = _user_token(store, web, alice)
    assert issued.refresh_token is not None
    # None: the introspection endpoint then asks Tokens.introspect, which knows refresh tokens.
    assert hot.introspect_with_audience(issued.refresh_token) is None


def test_bearer_records_last_use_like_the_store(
    store: Store, clock: ManualClock, machine: CreatedClient
) -> None:
    issued = _machine_token(store, machine)
    hot = AuthorizationServer(store).hot_path
    # The endpoint is not running: the write is its own transaction.
    info = hot.authenticate_bearer(issued.access_token)
    assert info is not None and info.last_used_at is None
    assert store.tokens.find(issued.access_token).last_used_at == clock.now()  # type: ignore[union-attr]


def test_through_the_endpoint_answers_match_and_last_use_is_committed_first(
    endpoint: TokenEndpoint,
    store: Store,
    clock: ManualClock,
    web: CreatedClient,
    alice: UserInfo,
    machine: CreatedClient,
) -> None:
    issued = _user_token(store, web, alice)
    with requests.Session() as http:
        for _ in range(3):
            me = http.get(
                f"{endpoint.url}/api/1.0/users/me",
                headers={"Authorization": f"Bearer {issued.access_token}"},
            )
            assert me.status_code == 200
            assert me.json() == {
                "user": {"id": alice.id, "username": "alice"},
                "client": {"id": web.client.id, "name": web.client.name},
                "scopes": ["read"],
                "grant_type": "password",
                "expires_at": issued.info.expires_at.isoformat(),  # type: ignore[union-attr]
            }
            # Read from this thread's own connection right after the answer.
            assert store.tokens.find(issued.access_token).last_used_at == clock.now()  # type: ignore[union-attr]
            clock.advance(timedelta(seconds=5))
        for token in (issued.access_token, issued.refresh_token, "unknown"):
            claims = http.post(
                f"{endpoint.url}/oauth/introspect", data={"token": token}, auth=basic(web)
            )
            assert claims.status_code == 200
            assert claims.json() == store.tokens.introspect(token or "")
        # Another client's token is inactive to it (RFC 7662 §4), on the hot path too.
        other = http.post(
            f"{endpoint.url}/oauth/introspect",
            data={"token": issued.access_token},
            auth=basic(machine),
        )
        assert other.json() == {"active": False}


def _request(body: bytes, path: str = "/oauth/token") -> Request:
    headers = Headers()
    headers.add("Content-Type", "application/x-www-form-urlencoded")
    return Request("POST", path, path, "", "HTTP/1.1", headers, body, True)


@pytest.mark.sqlite_only("which thread runs a request: SQLite reads run on the loop")
def test_only_client_credentials_runs_on_the_loop(endpoint: TokenEndpoint) -> None:
    """A crafted body cannot make a blocking grant (bcrypt) run on the event loop."""
    app = endpoint.application
    assert app.reads_on_loop
    assert app._runs_on_loop(_request(b"grant_type=client_credentials"))
    for body in (
        b"grant_type=password&username=a&password=b",
        b"x=grant_type%3Dclient_credentials&grant_type=password",
        b"grant_type=client_credentials_x",
        b"grant_type=refresh_token&refresh_token=client_credentials",
    ):
        assert not app._runs_on_loop(_request(body)), body
    # Unparseable bodies are refused at once, on the loop, by the route's own checks.
    assert app._runs_on_loop(_request(b"grant_type=client_credentials&grant_type=password"))
    assert app._runs_on_loop(_request(b"", "/oauth/introspect"))


def test_postgresql_runs_every_database_call_on_the_pool(
    endpoint: TokenEndpoint, backend: str
) -> None:
    app = endpoint.application
    assert app.reads_on_loop is (backend == "sqlite")
    if backend != "sqlite":
        assert not app._runs_on_loop(_request(b"grant_type=client_credentials"))
        assert not app._runs_on_loop(_request(b"token=x", "/oauth/introspect"))


def test_last_use_is_recorded_to_the_second(
    store: Store, clock: ManualClock, machine: CreatedClient
) -> None:
    """A token called flat out writes its last use once a second, not once a request."""
    issued = _machine_token(store, machine)
    hot = AuthorizationServer(store).hot_path
    first = clock.now()
    hot.authenticate_bearer(issued.access_token)
    clock.advance(timedelta(milliseconds=900))
    hot.authenticate_bearer(issued.access_token)
    assert store.tokens.find(issued.access_token).last_used_at == first  # type: ignore[union-attr]
    clock.advance(timedelta(milliseconds=200))
    hot.authenticate_bearer(issued.access_token)
    assert store.tokens.find(issued.access_token).last_used_at == clock.now()  # type: ignore[union-attr]
