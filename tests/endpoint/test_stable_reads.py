"""The event loop keeps its client and scope reads until another connection commits.

Every test warms the loop's reads with a granted request first, so what it
checks is a kept read being thrown away: a change committed by the console (a
thread of this process), by another process (the CLI), or a failure recorded
by the loop itself, is seen by the very next request. Real SQLite file, real
HTTP on 127.0.0.1, the real endpoint.
"""

from __future__ import annotations

import asyncio
import subprocess

import pytest
import requests

from authclients.store import Store
from authclients.store.endpoint import TokenEndpoint
from authclients.store.hot_path import deferring_commits
from authclients.store.oauth.authorization_server import AuthorizationServer
from authclients.store.stable_reads import MAX_ENTRIES, StableReads
from tests.endpoint.conftest import AUTHCLIENTS, basic

CC = {"grant_type": "client_credentials", "scope": "read"}


def _token(ep: TokenEndpoint, auth: tuple[str, str], **extra: str) -> requests.Response:
    return requests.post(f"{ep.url}/oauth/token", data={**CC, **extra}, auth=auth, timeout=10)


def _kept(ep: TokenEndpoint) -> StableReads:
    reads = ep.authorization.hot_path._stable_reads
    assert reads is not None, "the loop kept nothing"
    return reads


@pytest.fixture
def warm(store: Store, sqlite_endpoint: TokenEndpoint):  # type: ignore[no-untyped-def]
    """A client_credentials client whose reads the loop has kept (a hit proves it)."""
    created = store.clients.create("svc", client_credentials=True, scopes="read write")
    for _ in range(3):
        assert _token(sqlite_endpoint, basic(created)).status_code == 200
    assert _kept(sqlite_endpoint).hits >= 2
    return created


def test_a_secret_rotated_in_the_console_is_refused_on_the_next_request(
    store: Store, sqlite_endpoint: TokenEndpoint, warm
) -> None:  # type: ignore[no-untyped-def]
    rotated = store.clients.rotate_secret(warm.client.id)
    refused = _token(sqlite_endpoint, basic(warm))
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"] == "invalid_client"
    assert _token(sqlite_endpoint, basic(rotated)).status_code == 200


def test_a_secret_rotated_by_another_process_is_refused_on_the_next_request(
    store: Store, sqlite_endpoint: TokenEndpoint, warm, db_path
) -> None:  # type: ignore[no-untyped-def]
    done = subprocess.run(
        [AUTHCLIENTS, "clients", "rotate-secret", str(warm.client.id), "--yes", "--json"],
        env={"AUTHCLIENTS_DB": str(db_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    refused = _token(sqlite_endpoint, basic(warm))
    assert refused.status_code == 401, refused.text


def test_a_client_disabled_deleted_or_without_the_grant_gets_nothing_more(
    store: Store, sqlite_endpoint: TokenEndpoint, warm
) -> None:  # type: ignore[no-untyped-def]
    store.clients.set_disabled(warm.client.id, True)
    assert _token(sqlite_endpoint, basic(warm)).json()["error"] == "invalid_client"
    store.clients.set_disabled(warm.client.id, False)
    assert _token(sqlite_endpoint, basic(warm)).status_code == 200
    store.clients.update(
        warm.client.id,
        client_credentials=False,
        authorization_code=True,
        redirect_uris=["https://app.example.com/cb"],
    )
    assert _token(sqlite_endpoint, basic(warm)).json()["error"] == "unauthorized_client"
    store.clients.delete(warm.client.id)
    assert _token(sqlite_endpoint, basic(warm)).json()["error"] == "invalid_client"


def test_a_scope_deleted_is_refused_on_the_next_request(
    store: Store, sqlite_endpoint: TokenEndpoint
) -> None:
    # No scope list of its own: any defined scope, as the scope table says now.
    store.scopes.add("reports")
    anything = store.clients.create("any", client_credentials=True)
    for _ in range(2):
        assert _token(sqlite_endpoint, basic(anything), scope="reports").status_code == 200
    assert _kept(sqlite_endpoint).hits >= 1
    store.scopes.delete("reports")
    refused = _token(sqlite_endpoint, basic(anything), scope="reports")
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "invalid_scope"


def test_wrong_secrets_still_lock_a_client_whose_reads_were_kept(
    store: Store, sqlite_endpoint: TokenEndpoint, warm
) -> None:  # type: ignore[no-untyped-def]
    limit = sqlite_endpoint.authorization.limiter.limit
    wrong = (str(warm.client.id), "not-the-secret")
    for _ in range(limit):
        assert _token(sqlite_endpoint, wrong).status_code == 401
    # The right secret now waits: the failures were counted, not a kept count of 0.
    locked = _token(sqlite_endpoint, basic(warm))
    assert locked.status_code == 429, locked.text
    assert "Retry-After" in locked.headers


def test_what_is_kept_is_bounded() -> None:
    version = [0]
    reads = StableReads(lambda: version[0])
    reads.recheck()
    for n in range(MAX_ENTRIES * 3):
        assert reads.get(n, lambda n=n: n * 2, keep=lambda _v: True) == n * 2
    assert len(reads._values) <= MAX_ENTRIES
    # A value that may not be kept is read every time; a new version forgets the rest.
    calls: list[int] = []
    reads.get("x", lambda: calls.append(1) or 1, keep=lambda _v: False)
    reads.get("x", lambda: calls.append(1) or 1, keep=lambda _v: False)
    assert len(calls) == 2
    reads.get("y", lambda: "old", keep=lambda _v: True)
    version[0] += 1
    reads.recheck()
    assert reads.get("y", lambda: "new", keep=lambda _v: True) == "new"


def test_a_request_naming_many_scopes_is_not_kept(
    store: Store, sqlite_endpoint: TokenEndpoint
) -> None:
    # No scope list of its own: every name it asks for is looked up in the scope table.
    anything = store.clients.create("any", client_credentials=True)
    for n in range(40):
        names = " ".join(f"s{n}x{i}" for i in range(300))
        refused = _token(sqlite_endpoint, basic(anything), scope=names)
        assert refused.json()["error"] == "invalid_scope", refused.text
    kept = _kept(sqlite_endpoint)._values
    held = sum(len(key[1]) for key in kept if isinstance(key, tuple) and key[0] == "scopes")
    # 40 requests of 300 names each: none of them kept (a handful per request would be).
    assert held <= 16 * 40, f"{held} scope names kept"


def test_a_lifetime_or_token_format_changed_in_the_console_shapes_the_next_token(
    store: Store, sqlite_endpoint: TokenEndpoint, warm
) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    store.clients.update(warm.client.id, lifetimes={"access": timedelta(minutes=7)})
    shorter = _token(sqlite_endpoint, basic(warm))
    assert shorter.json()["expires_in"] == 7 * 60, shorter.text
    store.clients.update(warm.client.id, token_format="jwt")
    jwt = _token(sqlite_endpoint, basic(warm)).json()["access_token"]
    assert jwt.count(".") == 2, "the kept client still said opaque"


def test_wrong_secrets_counted_on_the_pool_lock_the_loops_kept_client(
    store: Store, sqlite_endpoint: TokenEndpoint, warm
) -> None:  # type: ignore[no-untyped-def]
    # A password grant runs on the pool: its client authentication fails there.
    limit = sqlite_endpoint.authorization.limiter.limit
    for _ in range(limit):
        refused = requests.post(
            f"{sqlite_endpoint.url}/oauth/token",
            data={"grant_type": "password", "username": "nobody", "password": "x"},
            auth=(str(warm.client.id), "not-the-secret"),
            timeout=10,
        )
        assert refused.status_code == 401, refused.text
    locked = _token(sqlite_endpoint, basic(warm))
    assert locked.status_code == 429, locked.text


def test_nothing_kept_outlives_a_stop_and_start_of_the_endpoint(
    store: Store, sqlite_endpoint: TokenEndpoint, warm
) -> None:  # type: ignore[no-untyped-def]
    sqlite_endpoint.stop()
    # Committed while the loop and its connection are gone: no data_version saw it.
    rotated = store.clients.rotate_secret(warm.client.id)
    sqlite_endpoint.start()
    refused = _token(sqlite_endpoint, basic(warm))
    assert refused.status_code == 401, refused.text
    assert _token(sqlite_endpoint, basic(rotated)).status_code == 200


def test_kept_reads_are_rechecked_once_per_turn_of_the_loop(store: Store, backend: str) -> None:
    """``PRAGMA data_version`` costs ~3 µs: asked once per turn, not once per request."""
    if backend != "sqlite":
        pytest.skip("SQLite only: nothing is kept on PostgreSQL")
    hot = AuthorizationServer(store).hot_path
    hot.committer.start()
    looked: list[int] = []

    async def requests_in_two_turns() -> None:
        with deferring_commits():
            reads = hot.stable_reads()
        assert reads is not None
        real = reads._version
        reads._version = lambda: looked.append(1) or real()  # type: ignore[method-assign]
        for _ in range(5):  # more requests in the same turn
            with deferring_commits():
                assert hot.stable_reads() is reads
        assert looked == []
        await asyncio.sleep(0)  # the turn ends
        with deferring_commits():
            hot.stable_reads()
        assert looked == [1]

    try:
        asyncio.run(requests_in_two_turns())
    finally:
        hot.committer.stop()
