"""The group committer's client check: a token queued from the event loop is revoked in
its batch's own transaction when its client changed after it was authenticated.

This replaced a read of the client per token on the loop after the commit
(the race itself, over real HTTP, is ``tests/security/test_credential_races.py``).
Real SQLite file, the real writer thread, the real event loop.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import struct

import pytest
import requests

from authclients.store import Store
from authclients.store.group_commit import GroupCommitter
from authclients.store.hot_path import deferring_commits
from authclients.store.oauth.authorization_server import AuthorizationServer
from authclients.store.records import STATE_ACTIVE, STATE_REVOKED, ClientInfo, CreatedClient
from tests.endpoint.conftest import basic, token_count


def _issue_on_loop(store: Store, clients: list[ClientInfo]) -> list[str]:
    """Issue one token per client the way the endpoint's loop does; all in the writer's queue
    before the first commit is awaited, so they may share a batch."""
    hot = AuthorizationServer(store).hot_path
    hot.committer.start()
    try:

        async def issue() -> list[str]:
            with deferring_commits() as pending:
                issued = [
                    hot.issue_client_token(c, "client_credentials", ("read",)) for c in clients
                ]
            await asyncio.gather(*pending)
            return [i.access_token for i in issued]

        return asyncio.run(issue())
    finally:
        hot.committer.stop()


def test_only_the_tokens_of_changed_clients_are_revoked(store: Store) -> None:
    kept = store.clients.create("kept", client_credentials=True).client
    rotated = store.clients.create("rotated", client_credentials=True).client
    deleted = store.clients.create("deleted", client_credentials=True).client
    switched = store.clients.create("switched", client_credentials=True, password=True).client
    # What each request authenticated with; then the admin's changes commit first.
    store.clients.rotate_secret(rotated.id)
    store.clients.delete(deleted.id)
    store.clients.update(switched.id, client_credentials=False)

    tokens = _issue_on_loop(store, [kept, rotated, kept, deleted, switched])

    states = [store.tokens.find(t).state for t in tokens]  # type: ignore[union-attr]
    assert states == [STATE_ACTIVE, STATE_REVOKED, STATE_ACTIVE, STATE_REVOKED, STATE_REVOKED]
    revoked = store.tokens.find(tokens[1])
    assert revoked is not None and revoked.revoked_at == revoked.created_at


def test_an_unchanged_client_keeps_every_token(store: Store) -> None:
    client = store.clients.create("steady", client_credentials=True).client
    tokens = _issue_on_loop(store, [client] * 40)
    assert len(set(tokens)) == 40
    assert all(store.tokens.find(t).state == STATE_ACTIVE for t in tokens)  # type: ignore[union-attr]


# -- the answer waits for its commit: a failed batch, a client that left -------------------


def test_a_failed_batch_is_a_json_error_and_no_token(
    store: Store, url: str, machine: CreatedClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The writer's INSERT fails for good (not "busy"): the answer is RFC 6749 JSON,
    # never a token that is not in the table, and the endpoint keeps serving.
    monkeypatch.setattr(GroupCommitter, "_sql_for", lambda self, rows, **kw: "INSERT INTO nowhere")
    before = token_count()
    r = requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=basic(machine),
        timeout=10,
    )
    assert r.status_code in (500, 503), r.text
    assert r.json()["error"] in ("server_error", "temporarily_unavailable")
    assert "access_token" not in r.text and "Traceback" not in r.text
    assert token_count() == before
    monkeypatch.undo()
    ok = requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=basic(machine),
        timeout=10,
    )
    assert ok.status_code == 200, ok.text
    assert store.tokens.find(ok.json()["access_token"]) is not None


def test_clients_that_leave_before_their_answer_cost_nobody_else(
    url: str, machine: CreatedClient
) -> None:
    host, port = url.removeprefix("http://").split(":")
    secret = base64.b64encode(f"{machine.client.id}:{machine.secret}".encode()).decode()
    body = b"grant_type=client_credentials"
    head = (
        f"POST /oauth/token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {secret}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    for _ in range(30):
        with socket.create_connection((host, int(port)), timeout=5) as s:
            s.sendall(head + body)
            # Reset at once: the answer's future is cancelled while its token commits.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    r = requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=basic(machine),
        timeout=10,
    )
    assert r.status_code == 200, r.text
