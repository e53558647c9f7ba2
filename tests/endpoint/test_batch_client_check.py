"""The group committer's client check: a token queued from the event loop is revoked in
its batch's own transaction when its client changed after it was authenticated.

This replaced a read of the client per token on the loop after the commit
(the race itself, over real HTTP, is ``tests/security/test_credential_races.py``).
Real SQLite file, the real writer thread, the real event loop.
"""

from __future__ import annotations

import asyncio

from authclients.store import Store
from authclients.store.hot_path import deferring_commits
from authclients.store.oauth.authorization_server import AuthorizationServer
from authclients.store.records import STATE_ACTIVE, STATE_REVOKED, ClientInfo


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
