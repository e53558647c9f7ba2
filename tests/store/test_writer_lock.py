"""The ``Store`` owns the process's SQLite writer lock: every write, console or endpoint, takes it.

On SQLite, a write of the console waits while the endpoint holds the lock
(they queue here, not in SQLite's busy handler); on PostgreSQL nothing waits.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import peewee as pw
import pytest

from authclients.store import Store, crypto
from authclients.store.errors import RateLimited, StoreError
from authclients.store.models import Client
from authclients.store.ratelimit import KIND_PASSWORD, RateLimiter
from authclients.store.writer_lock import writer_lock
from tests.store.conftest import PASSWORD


def _write_in_thread(action: object) -> tuple[threading.Thread, threading.Event]:
    done = threading.Event()

    def run() -> None:
        action()  # type: ignore[operator]
        done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda s: s.clients.create("Queued", client_credentials=True), id="client"),
        pytest.param(lambda s: s.users.add("queued", PASSWORD), id="user"),
        pytest.param(lambda s: s.tokens.purge(0), id="purge"),
        pytest.param(
            lambda s: RateLimiter(s).record_failure(KIND_PASSWORD, "someone"), id="rate-limit"
        ),
    ],
)
def test_console_writes_queue_behind_the_endpoints_lock(store: Store, write: object) -> None:
    endpoint = store.as_actor("endpoint")
    sqlite = isinstance(store.db, pw.SqliteDatabase)
    with endpoint.writing():
        thread, done = _write_in_thread(lambda: (write(store), store.close()))  # type: ignore[operator]
        waited = not done.wait(0.4)
    thread.join(10)
    assert done.is_set()
    # SQLite: one lock for every Store over the database, so the console's write waited.
    # PostgreSQL: row locks, no process-wide queue, so it did not.
    assert waited is sqlite


def test_the_lock_is_reentrant_and_shared_by_every_actor(store: Store) -> None:
    if not isinstance(store.db, pw.SqliteDatabase):
        pytest.skip("PostgreSQL has no writer lock to share")
    other = store.as_actor("endpoint")
    with store.writing(), other.atomic(), store.atomic():
        # Deleting a client revokes its tokens inside the same transaction: nested writers.
        created = other.clients.create("Nested", client_credentials=True)
        store.clients.delete(created.client.id)
    assert Client.get_by_id(created.client.id).revoked


def test_rate_limit_is_a_store_error_with_retry_after(store: Store) -> None:
    limiter = RateLimiter(store, limit=2, window=timedelta(seconds=30))
    limiter.record_failure(KIND_PASSWORD, "mallory")
    assert limiter.check(KIND_PASSWORD, "mallory") == 1
    limiter.record_failure(KIND_PASSWORD, "mallory")
    with pytest.raises(RateLimited) as caught:
        limiter.check(KIND_PASSWORD, "mallory")
    assert isinstance(caught.value, StoreError)
    assert caught.value.retry_after == 30
    assert "try again in 30 s" in str(caught.value)
    store.clock.advance(timedelta(seconds=31))  # type: ignore[attr-defined]
    assert limiter.check(KIND_PASSWORD, "mallory") == 0


def _lock_is_free(lock: threading.RLock) -> bool:
    """Can another thread take ``lock`` right now?"""
    result: list[bool] = []

    def probe() -> None:
        taken = lock.acquire(blocking=False)
        if taken:
            lock.release()
        result.append(taken)

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return result[0]


def test_bcrypt_runs_outside_the_writer_lock(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # Hashing a password takes a quarter second at cost 12: the endpoint must not wait on it.
    lock = writer_lock(store.db)
    if lock is None:
        pytest.skip("PostgreSQL has no writer lock")
    free_while_hashing: list[bool] = []
    real = crypto.hash_password

    def spy(password: str) -> str:
        free_while_hashing.append(_lock_is_free(lock))
        return real(password)

    monkeypatch.setattr(crypto, "hash_password", spy)
    store.users.add("hasher", PASSWORD)
    store.users.set_password("hasher", PASSWORD + "!")
    assert free_while_hashing == [True, True]
