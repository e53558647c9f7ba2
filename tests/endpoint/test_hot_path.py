"""The precompiled client_credentials path agrees with the ordinary store code, and commits
each token before its answer is sent."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import peewee as pw
import requests

from authclients.store import Store, crypto
from authclients.store.endpoint import TokenEndpoint
from authclients.store.oauth.authorization_server import AuthorizationServer
from authclients.store.ratelimit import DEFAULT_WINDOW
from authclients.store.records import CreatedClient
from tests.endpoint.conftest import basic


def test_the_client_read_agrees_with_the_store(store: Store, machine: CreatedClient) -> None:
    hot = AuthorizationServer(store).hot_path
    client, secret_hash, failures = hot.client_for_auth(str(machine.client.id), DEFAULT_WINDOW)
    assert client == store.clients.find_active(machine.client.id)
    assert crypto.matches_digest(machine.secret or "", secret_hash)
    assert failures == 0
    store.clients.delete(machine.client.id)
    assert hot.client_for_auth(str(machine.client.id), DEFAULT_WINDOW) is None


def test_issued_token_is_what_the_store_reads_back(store: Store, machine: CreatedClient) -> None:
    hot = AuthorizationServer(store).hot_path
    # The endpoint is not running here: one INSERT in autocommit mode.
    issued = hot.issue_client_token(machine.client, "client_credentials", ("read",))
    assert store.tokens.get(issued.info.id) == issued.info
    assert store.tokens.find(issued.access_token) == issued.info
    claims = store.tokens.introspect(issued.access_token)
    assert claims["active"] is True
    assert claims["client_id"] == str(machine.client.id)
    assert claims["scope"] == "read"
    assert claims["exp"] == int(issued.info.expires_at.timestamp())


def test_every_token_is_committed_before_its_answer(
    endpoint: TokenEndpoint, machine: CreatedClient, store: Store
) -> None:
    url = endpoint.url
    missing: list[str] = []
    statuses: list[int] = []

    def client() -> None:
        # Peewee gives this thread a connection of its own, outside the endpoint's.
        with requests.Session() as http:
            for _ in range(15):
                r = http.post(
                    f"{url}/oauth/token",
                    data={"grant_type": "client_credentials"},
                    auth=basic(machine),
                )
                statuses.append(r.status_code)
                token = r.json()["access_token"]
                # Read at once, from another connection: the batch's commit came first.
                if store.tokens.find(token) is None:
                    missing.append(token)
        store.close()

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 120
    assert missing == []
    assert store.clients.live_token_count(machine.client.id) == 120


def test_tokens_of_the_group_committer_are_ordinary_tokens(
    endpoint: TokenEndpoint, machine: CreatedClient, store: Store
) -> None:
    r = requests.post(
        f"{endpoint.url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": ""},
        auth=basic(machine),
    )
    access = r.json()["access_token"]
    info = store.tokens.find(access)
    assert info is not None and info.client_id == machine.client.id
    assert info.grant_type == "client_credentials" and info.user_id is None
    store.tokens.revoke_token(access)
    assert store.tokens.introspect(access) == {"active": False}


@contextmanager
def hold_writers(server: AuthorizationServer, store: Store) -> Iterator[None]:
    if isinstance(store.db, pw.SqliteDatabase):
        with server.writing():
            yield
        return
    with store.db.atomic():
        store.db.execute_sql("LOCK TABLE access_token IN EXCLUSIVE MODE")
        yield


def test_a_batch_gives_each_request_its_own_row(store: Store, machine: CreatedClient) -> None:
    server = AuthorizationServer(store)
    hot = server.hot_path
    hot.committer.start()
    issued = []
    try:
        # Hold the writers back so that requests pile up into one multi-row INSERT.
        with hold_writers(server, store):
            threads = [
                threading.Thread(
                    target=lambda: issued.append(
                        hot.issue_client_token(machine.client, "client_credentials", ("read",))
                    )
                )
                for _ in range(40)
            ]
            for t in threads:
                t.start()
            time.sleep(0.3)
            assert issued == []
        for t in threads:
            t.join()
    finally:
        hot.committer.stop()
    assert len({i.info.id for i in issued}) == 40
    for one in issued:
        assert store.tokens.find(one.access_token) == one.info
