"""On SQLite the event loop commits its own batch; the writer thread takes it when someone
else is writing: another thread of ours (the lock) or another process (SQLite's lock).

Real SQLite file, the real writer thread, real event loops (standard and uvloop), a
real second process holding SQLite's write lock; over HTTP a real endpoint on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from authclients.store import Store
from authclients.store.endpoint import TokenEndpoint, transport
from authclients.store.hot_path import HotPath, deferring_commits
from authclients.store.oauth.authorization_server import AuthorizationServer
from authclients.store.records import STATE_ACTIVE, STATE_REVOKED, CreatedClient
from tests.endpoint.conftest import basic, other_process_writing, token_count
from tests.endpoint.event_loop_helpers import loops

LOOPS = pytest.mark.parametrize("uvloop", loops(), ids=lambda u: "uvloop" if u else "asyncio")


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite only: on PostgreSQL the writer thread commits every batch")


@pytest.fixture
def hot(store: Store, sqlite_only: None) -> Iterator[HotPath]:
    path = AuthorizationServer(store).hot_path
    path.committer.start()
    yield path
    path.committer.stop()


def _run(uvloop: bool, main: Callable[[], object]) -> object:
    loop = transport.new_event_loop(uvloop)
    try:
        return loop.run_until_complete(main())  # type: ignore[arg-type]
    finally:
        loop.close()


@LOOPS
def test_with_nobody_else_writing_the_loop_commits_its_batch_itself(
    store: Store, hot: HotPath, uvloop: bool
) -> None:
    client = store.clients.create("svc", client_credentials=True).client

    async def issue() -> list[str]:
        with deferring_commits() as pending:
            issued = [hot.issue_client_token(client, "client_credentials", ()) for _ in range(20)]
        await asyncio.gather(*pending)
        return [i.access_token for i in issued]

    tokens = _run(uvloop, issue)
    stats = hot.committer.stats
    assert (stats.loop_batches, stats.loop_tokens, stats.handed_to_writer) == (1, 20, 0)
    assert all(store.tokens.find(t).state == STATE_ACTIVE for t in tokens)  # type: ignore[union-attr]
    # The loop's own connection is back to the busy timeout every connection has.
    assert store.db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 10_000


@LOOPS
def test_the_loop_still_revokes_a_token_whose_client_changed(
    store: Store, hot: HotPath, uvloop: bool
) -> None:
    kept = store.clients.create("kept", client_credentials=True).client
    rotated = store.clients.create("rotated", client_credentials=True).client
    store.clients.rotate_secret(rotated.id)  # after the request authenticated

    async def issue() -> list[str]:
        with deferring_commits() as pending:
            issued = [hot.issue_client_token(c, "client_credentials", ()) for c in (kept, rotated)]
        await asyncio.gather(*pending)
        return [i.access_token for i in issued]

    tokens = _run(uvloop, issue)
    assert hot.committer.stats.loop_batches == 1
    states = [store.tokens.find(t).state for t in tokens]  # type: ignore[union-attr]
    assert states == [STATE_ACTIVE, STATE_REVOKED]


@LOOPS
def test_a_thread_holding_the_writer_lock_sends_the_batch_to_the_writer(
    store: Store, hot: HotPath, uvloop: bool
) -> None:
    client = store.clients.create("svc", client_credentials=True).client
    held, release = threading.Event(), threading.Event()

    def console_writing() -> None:
        with store.writing():  # what the console's writes hold
            held.set()
            release.wait(10)

    holder = threading.Thread(target=console_writing)
    holder.start()
    assert held.wait(5)

    async def issue() -> tuple[list[str], bool]:
        with deferring_commits() as pending:
            issued = [hot.issue_client_token(client, "client_credentials", ()) for _ in range(5)]
        await asyncio.sleep(0.2)  # the loop kept running; the writer waits for the lock
        waiting = not any(f.done() for f in pending)
        release.set()
        await asyncio.wait_for(asyncio.gather(*pending), 10)
        return [i.access_token for i in issued], waiting

    try:
        tokens, waited = _run(uvloop, issue)  # type: ignore[misc]
    finally:
        release.set()
        holder.join(5)
    stats = hot.committer.stats
    assert waited, "an answer came before the lock holder let anyone commit"
    assert stats.loop_batches == 0 and stats.handed_to_writer == 1
    assert all(store.tokens.find(t).state == STATE_ACTIVE for t in tokens)  # type: ignore[union-attr]


@LOOPS
def test_another_process_writing_never_stalls_the_loop(
    store: Store, hot: HotPath, db_path: Path, uvloop: bool
) -> None:
    client = store.clients.create("svc", client_credentials=True).client

    async def issue() -> tuple[list[str], int, bool]:
        with other_process_writing(db_path) as release:
            ticks = 0
            with deferring_commits() as pending:
                issued = [
                    hot.issue_client_token(client, "client_credentials", ()) for _ in range(5)
                ]
            deadline = time.monotonic() + 0.3
            while time.monotonic() < deadline:  # the loop keeps turning meanwhile
                await asyncio.sleep(0.01)
                ticks += 1
            waiting = not any(f.done() for f in pending)
            release()
            await asyncio.wait_for(asyncio.gather(*pending), 10)
        return [i.access_token for i in issued], ticks, waiting

    tokens, ticks, waited = _run(uvloop, issue)  # type: ignore[misc]
    stats = hot.committer.stats
    assert waited, "a token was answered while another process held the write lock"
    assert ticks >= 10, f"the loop turned only {ticks} times in 0.3 s"
    assert stats.loop_busy == 1 and stats.handed_to_writer == 1 and stats.loop_batches == 0
    # The busy attempt on the loop returned at once: SQLite's busy handler never ran there.
    assert stats.loop_max_seconds == 0.0
    assert all(store.tokens.find(t).state == STATE_ACTIVE for t in tokens)  # type: ignore[union-attr]


def test_another_process_writing_past_the_busy_timeout_is_a_clear_503(
    store: Store,
    sqlite_only: None,
    db_path: Path,
    machine: CreatedClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The writer's connection waits 300 ms, not 10 s, for another process's lock.
    pragmas = [(k, 300 if k == "busy_timeout" else v) for k, v in store.db._pragmas]
    monkeypatch.setattr(store.db, "_pragmas", pragmas)
    endpoint = TokenEndpoint(store, port=0)
    endpoint.start()
    try:
        auth = basic(machine)
        form = {"grant_type": "client_credentials"}
        before = token_count()
        with other_process_writing(db_path):
            started = time.monotonic()
            busy = requests.post(f"{endpoint.url}/oauth/token", data=form, auth=auth, timeout=10)
            waited = time.monotonic() - started
        assert busy.status_code == 503, busy.text
        assert busy.json()["error"] == "temporarily_unavailable"
        assert busy.headers["Retry-After"] == "1"
        assert waited < 5
        assert token_count() == before  # no token was answered, none was kept
        # Released: the next request commits and answers (on the loop again).
        ok = requests.post(f"{endpoint.url}/oauth/token", data=form, auth=auth, timeout=10)
        assert ok.status_code == 200, ok.text
        assert token_count() == before + 1
    finally:
        endpoint.stop()


def test_over_http_the_loop_commits_and_answers_only_after(
    store: Store, sqlite_only: None, db_path: Path, machine: CreatedClient
) -> None:
    # A slow other process: the answer waits for the lock, then the token is in the table.
    endpoint = TokenEndpoint(store, port=0)
    endpoint.start()
    try:
        auth = basic(machine)
        form = {"grant_type": "client_credentials"}
        answers: list[requests.Response] = []
        with other_process_writing(db_path) as release:
            sender = threading.Thread(
                target=lambda: answers.append(
                    requests.post(f"{endpoint.url}/oauth/token", data=form, auth=auth, timeout=10)
                )
            )
            sender.start()
            time.sleep(0.3)
            assert not answers, "answered while another process held the write lock"
            release()
            sender.join(10)
        assert answers and answers[0].status_code == 200, answers
        found = store.tokens.find(answers[0].json()["access_token"])
        assert found is not None and found.state == STATE_ACTIVE
    finally:
        endpoint.stop()


@LOOPS
def test_a_batch_flushed_inside_a_transaction_of_the_loops_own_goes_to_the_writer(
    store: Store, hot: HotPath, uvloop: bool
) -> None:
    # The writer lock is re-entrant: committing there would only be a savepoint of the
    # open transaction, and the answers would go out before anything was durable.
    client = store.clients.create("svc", client_credentials=True).client

    async def issue() -> tuple[list[str], bool]:
        with store.atomic():
            with deferring_commits() as pending:
                issued = [hot.issue_client_token(client, "client_credentials", ())]
            await asyncio.sleep(0.2)  # the flush runs while the transaction is open
            waiting = not any(f.done() for f in pending)
        await asyncio.wait_for(asyncio.gather(*pending), 10)
        return [i.access_token for i in issued], waiting

    tokens, waited = _run(uvloop, issue)  # type: ignore[misc]
    stats = hot.committer.stats
    assert waited and stats.loop_batches == 0 and stats.handed_to_writer == 1
    assert store.tokens.find(tokens[0]) is not None
