"""``users.unlock``: the console's unlock key lifts a lock-out and starts a fresh count."""

from __future__ import annotations

from datetime import timedelta

import pytest

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.errors import NotFound
from authclients.store.models import User


def test_unlock_clears_the_lock_and_the_failure_count(store: Store, clock: ManualClock) -> None:
    before = store.users.add("carol", "password-carol")
    User.update(locked_at=clock.now() - timedelta(minutes=5), failure_runs=3).execute()
    assert store.users.get("carol").locked_at is not None
    unlocked = store.users.unlock("carol")
    assert unlocked.locked_at is None
    assert unlocked.version == before.version + 1  # an open form on carol is now stale
    row = User.get(User.username == "carol")
    assert (row.locked_at, row.failure_runs) == (None, 0)
    entry = store.audit.recent(1)[0]
    assert (entry.action, entry.object_id, entry.detail) == (
        "user.unlock",
        str(before.id),
        "was locked",
    )


def test_unlock_of_an_unknown_user_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.users.unlock("nobody")
