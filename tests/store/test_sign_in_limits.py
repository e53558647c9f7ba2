"""The escalating limits in the store: runs, the lock, the address limit, unlock (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from authclients.store import NotFound, Store
from authclients.store.clock import ManualClock
from authclients.store.errors import AccountLocked, RateLimited
from authclients.store.models import AuditEvent, FailedAttempt, User
from authclients.store.ratelimit import RateLimiter
from authclients.store.records import UserInfo


def fail(limiter: RateLimiter, username: str, times: int, source: str = "") -> None:
    for _ in range(times):
        limiter.check_password(username, source)
        limiter.record_password_failure(username, source)


def test_runs_are_counted_on_the_user_and_a_success_clears_them(
    store: Store, alice: UserInfo, clock: ManualClock
) -> None:
    limiter = RateLimiter(store)
    fail(limiter, "alice", 5)
    assert User.get_by_id(alice.id).failure_runs == 1
    with pytest.raises(RateLimited) as caught:
        limiter.check_password("alice")
    assert caught.value.retry_after == 60
    clock.advance(timedelta(minutes=1))
    state = limiter.check_password("alice")
    assert (state.runs, state.in_run, state.clean) == (1, 0, False)
    fail(limiter, "alice", 5)
    with pytest.raises(RateLimited) as caught:
        limiter.check_password("alice")
    assert caught.value.retry_after == 120
    limiter.clear_password("alice")
    assert User.get_by_id(alice.id).failure_runs == 0
    assert limiter.check_password("alice").clean
    assert FailedAttempt.select().where(FailedAttempt.kind != "source").count() == 0


def test_the_lock_is_set_once_audited_and_ended_only_by_unlock(
    store: Store, alice: UserInfo, clock: ManualClock
) -> None:
    limiter = RateLimiter(store, lock_after=12)
    for _ in range(2):
        fail(limiter, "alice", 5)
        clock.advance(timedelta(hours=1))
    fail(limiter, "alice", 1)
    assert store.users.get("alice").locked_at is None
    fail(limiter, "alice", 1)  # the 12th
    locked_at = store.users.get("alice").locked_at
    assert locked_at == clock.now()
    with pytest.raises(AccountLocked, match="an admin must unlock it"):
        limiter.check_password("alice")
    clock.advance(timedelta(days=365))
    with pytest.raises(AccountLocked):
        limiter.check_password("alice")
    # A new password does not unlock: the admin decides that separately.
    store.users.set_password("alice", "a brand new password")
    assert store.users.get("alice").locked_at == locked_at
    assert AuditEvent.select().where(AuditEvent.action == "user.lock").count() == 1

    assert store.users.unlock("alice").locked_at is None
    assert limiter.check_password("alice").clean
    events = [e.detail for e in AuditEvent.select().where(AuditEvent.action == "user.unlock")]
    assert events == ["was locked"]
    with pytest.raises(NotFound):
        store.users.unlock("nobody")


def test_the_address_limit_counts_every_username_and_leaves_the_window(
    store: Store, alice: UserInfo, clock: ManualClock
) -> None:
    limiter = RateLimiter(store, source_limit=3, source_window=timedelta(minutes=10))
    for name in ("alice", "bob", "carol"):
        fail(limiter, name, 1, source="203.0.113.9")
    with pytest.raises(RateLimited, match="from this address"):
        limiter.check_password("dave", "203.0.113.9")
    limiter.check_password("dave", "203.0.113.10")  # another address
    # A success of one user does not wipe the address's failures.
    limiter.clear_password("alice")
    with pytest.raises(RateLimited):
        limiter.check_password("alice", "203.0.113.9")
    clock.advance(timedelta(minutes=10, seconds=1))
    limiter.check_password("alice", "203.0.113.9")


def test_users_list_and_get_show_the_lock(store: Store, alice: UserInfo) -> None:
    limiter = RateLimiter(store, lock_after=1)
    fail(limiter, "alice", 1)
    assert [u.locked_at is not None for u in store.users.list()] == [True]
    # The lock is not an admin's edit: a form opened before it still saves.
    store.users.set_active("alice", False, expected_version=alice.version)
