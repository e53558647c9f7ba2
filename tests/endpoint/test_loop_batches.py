"""The loop hands the group committer one list per batch, not one wake-up per token.

Real SQLite file, the real writer thread, real event loops (standard and
uvloop); over HTTP, a real endpoint on 127.0.0.1 and a raw socket.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator

import pytest

from authclients.store import Store
from authclients.store.endpoint import TokenEndpoint, transport
from authclients.store.group_commit import GroupCommitter
from authclients.store.hot_path import HotPath, deferring_commits
from authclients.store.oauth.authorization_server import AuthorizationServer
from authclients.store.records import ClientInfo
from tests.endpoint.conftest import basic
from tests.endpoint.event_loop_helpers import loops, read_response

LOOPS = pytest.mark.parametrize("uvloop", loops(), ids=lambda u: "uvloop" if u else "asyncio")


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite only: on PostgreSQL token writes do not go through the loop")


def _batches(committer: GroupCommitter, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the size of every batch committed, by the loop or the writer (the real
    commit still runs)."""
    sizes: list[int] = []
    real: Callable[..., None] = committer._write

    def counting(batch: list, db: object) -> None:  # type: ignore[type-arg]
        sizes.append(len(batch))
        real(batch, db)

    monkeypatch.setattr(committer, "_write", counting)
    return sizes


def _run(uvloop: bool, main: Callable[[], object]) -> object:
    loop = transport.new_event_loop(uvloop)
    try:
        return loop.run_until_complete(main())  # type: ignore[arg-type]
    finally:
        loop.close()


@pytest.fixture
def hot(store: Store, sqlite_only: None) -> Iterator[HotPath]:
    path = AuthorizationServer(store).hot_path
    path.committer.start()
    yield path
    path.committer.stop()


@LOOPS
def test_tokens_queued_in_one_turn_of_the_loop_commit_in_one_batch(
    store: Store, hot: HotPath, uvloop: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    client: ClientInfo = store.clients.create("svc", client_credentials=True).client
    sizes = _batches(hot.committer, monkeypatch)

    async def issue() -> list[str]:
        with deferring_commits() as pending:
            issued = [hot.issue_client_token(client, "client_credentials", ()) for _ in range(40)]
        await asyncio.gather(*pending)
        return [i.access_token for i in issued]

    tokens = _run(uvloop, issue)
    assert sizes == [40]
    assert all(store.tokens.find(t) is not None for t in tokens)  # type: ignore[union-attr]


@LOOPS
def test_tokens_queued_while_a_batch_commits_wait_and_go_in_the_next(
    store: Store, hot: HotPath, uvloop: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = store.clients.create("svc", client_credentials=True).client
    sizes = _batches(hot.committer, monkeypatch)

    async def issue() -> list[str]:
        with deferring_commits() as first:
            one = hot.issue_client_token(client, "client_credentials", ())
        await asyncio.sleep(0)  # the first list is handed over; the writer has it
        with deferring_commits() as second:
            more = [hot.issue_client_token(client, "client_credentials", ()) for _ in range(5)]
        await asyncio.sleep(0)
        with deferring_commits() as third:
            more += [hot.issue_client_token(client, "client_credentials", ()) for _ in range(5)]
        await asyncio.gather(*first, *second, *third)
        return [one.access_token, *(i.access_token for i in more)]

    tokens = _run(uvloop, issue)
    # Never more lists than needed: the eleven tokens took at most three commits, and
    # every token was committed whichever batch it rode in.
    assert sum(sizes) == 11 and len(sizes) <= 3
    assert all(store.tokens.find(t) is not None for t in tokens)  # type: ignore[union-attr]


@LOOPS
def test_tokens_gathered_when_the_writer_stops_fail_instead_of_hanging(
    store: Store, sqlite_only: None, uvloop: bool
) -> None:
    client = store.clients.create("svc", client_credentials=True).client
    path = AuthorizationServer(store).hot_path
    path.committer.start()

    async def issue() -> list[BaseException | int]:
        with deferring_commits() as pending:
            for _ in range(3):
                path.issue_client_token(client, "client_credentials", ())
        path.committer.stop()  # before this turn of the loop hands the list over
        return await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), 5)

    results = _run(uvloop, issue)
    assert [type(r) for r in results] == [RuntimeError] * 3  # type: ignore[union-attr]
    assert store.tokens.list(client_id=client.id) == []


@pytest.fixture(params=loops(), ids=lambda u: "uvloop" if u else "asyncio")
def endpoint_on(
    request: pytest.FixtureRequest, store: Store, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TokenEndpoint]:
    real = transport.new_event_loop
    monkeypatch.setattr(transport, "new_event_loop", lambda _use=None: real(request.param))
    endpoint = TokenEndpoint(store, port=0)
    endpoint.start()
    yield endpoint
    endpoint.stop()


def test_pipelined_token_requests_are_answered_in_order_each_committed(
    store: Store, endpoint_on: TokenEndpoint
) -> None:
    # Reading pauses only when a client sends more while an answer waits on its commit:
    # all eight arrive in one write, each still gets its own committed token, in order.
    created = store.clients.create("svc", client_credentials=True)
    client_id, secret = basic(created)
    body = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
    one = (
        "POST /oauth/token HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()
    port = int(endpoint_on.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(one * 7 + one.replace(b"Host: x", b"Host: x\r\nX-Last: 1"))
        answers = [read_response(sock) for _ in range(8)]
    assert [status for status, _, _ in answers] == [200] * 8
    tokens = {body for _, _, body in answers}
    assert len(tokens) == 8
    assert len(store.tokens.list(client_id=created.client.id)) == 8
