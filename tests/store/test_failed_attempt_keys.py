"""Failure rows keep a keyed hash of the username typed, never the text itself."""

from __future__ import annotations

from authclients.store import Store, crypto
from authclients.store.migrations import ATTEMPT_KEY_SETTING
from authclients.store.models import FailedAttempt, Setting
from authclients.store.ratelimit import KIND_CLIENT, KIND_PASSWORD, RateLimiter

TYPED = "hunter2-typed-in-the-username-field"


def test_a_typed_username_is_stored_as_a_keyed_hash(store: Store) -> None:
    limiter = RateLimiter(store)
    limiter.record_failure(KIND_PASSWORD, TYPED)
    limiter.record_failure(KIND_PASSWORD, TYPED)
    stored = [row.key for row in FailedAttempt.select()]
    key = store.settings.attempt_key()
    assert stored == [crypto.keyed_digest(key, TYPED)] * 2
    assert all(TYPED not in value for value in stored)
    assert crypto.keyed_digest(key, TYPED) != crypto.digest(TYPED)  # not a plain hash
    assert limiter.check(KIND_PASSWORD, TYPED) == 2
    assert limiter.check(KIND_PASSWORD, "someone else") == 0
    limiter.clear(KIND_PASSWORD, TYPED)
    assert FailedAttempt.select().count() == 0


def test_client_failures_stay_keyed_by_the_client_id(store: Store) -> None:
    limiter = RateLimiter(store)
    limiter.record_failure(KIND_CLIENT, "42")
    assert [row.key for row in FailedAttempt.select()] == ["42"]
    assert limiter.check(KIND_CLIENT, "42") == 1


def test_the_key_is_the_databases_own_and_made_when_missing(store: Store) -> None:
    made = store.settings.attempt_key()
    assert len(made) == 64
    assert store.as_actor("endpoint").settings.attempt_key() == made  # shared, not per object
    Setting.delete().where(Setting.name == ATTEMPT_KEY_SETTING).execute()
    fresh = store.as_actor("endpoint").settings
    assert fresh.get(ATTEMPT_KEY_SETTING) is None
    assert fresh.attempt_key() == fresh.get(ATTEMPT_KEY_SETTING) != made
