"""Sign-in sessions in the database: checks against the user, caps, expiry, purge, migration 5."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import peewee as pw
import pytest

from authclients.store import Store
from authclients.store.browser_sessions import (
    FORM_KEY_SETTING,
    BrowserSessionStore,
    SessionsFull,
)
from authclients.store.clock import ManualClock
from authclients.store.migrations import CURRENT_VERSION, migrate, schema_version
from authclients.store.models import BrowserSession, User
from authclients.store.records import UserInfo
from tests.backends import POSTGRESQL
from tests.pgserver import PostgresServer
from tests.store.conftest import PASSWORD


@pytest.fixture
def sessions(store: Store) -> BrowserSessionStore:
    return BrowserSessionStore(store.as_actor("endpoint"), per_address=3, per_user=4, total=10)


@pytest.fixture
def alice(store: Store) -> UserInfo:
    return store.users.add("alice", PASSWORD)


def start(sessions: BrowserSessionStore, store: Store, user: UserInfo, address: str = "a") -> str:
    generation = store.users.session_generation(user.id)
    assert generation is not None
    return sessions.start(user.id, generation, address)


def test_a_session_is_found_by_its_cookie_and_stored_only_as_a_hash(
    sessions: BrowserSessionStore, store: Store, alice: UserInfo
) -> None:
    value = start(sessions, store, alice)
    found = sessions.find(value)
    assert found is not None and found.user_id == alice.id and found.username == "alice"
    (row,) = BrowserSession.select()
    assert row.id == sessions.key_of(value) != value
    assert sessions.find(value + "x") is None
    assert sessions.find("") is None and sessions.find(None) is None
    assert sessions.find("x" * 10_000) is None


@pytest.mark.parametrize(
    "change",
    [
        lambda store: store.users.set_password("alice", "another password"),
        lambda store: store.users.set_active("alice", False),
        lambda store: store.users.delete("alice"),
        lambda store: (
            User.update(locked_at=store.clock.now()).where(User.username == "alice").execute()
        ),
    ],
    ids=["password", "deactivate", "delete", "lock"],
)
def test_a_change_to_the_user_ends_the_session_and_its_row(
    sessions: BrowserSessionStore, store: Store, alice: UserInfo, change: object
) -> None:
    value = start(sessions, store, alice)
    change(store)  # type: ignore[operator]
    assert sessions.find(value) is None
    assert BrowserSession.select().count() == 0


def test_reactivation_does_not_revive_an_old_session(
    sessions: BrowserSessionStore, store: Store, alice: UserInfo
) -> None:
    value = start(sessions, store, alice)
    store.users.set_active("alice", False)
    store.users.set_active("alice", True)
    assert sessions.find(value) is None


def test_idle_expiry_never_passes_the_absolute_end(
    store: Store, clock: ManualClock, alice: UserInfo
) -> None:
    sessions = BrowserSessionStore(store, absolute=3600, idle=1800)
    value = start(sessions, store, alice)
    for _ in range(5):
        clock.advance(timedelta(minutes=11))
        assert sessions.find(value) is not None
    (row,) = BrowserSession.select()
    assert row.idle_expires_at <= row.expires_at == row.created_at + timedelta(hours=1)
    clock.advance(timedelta(minutes=6))  # 61 minutes after sign-in
    assert sessions.find(value) is None


def test_per_address_and_per_user_caps_drop_the_oldest(
    sessions: BrowserSessionStore, store: Store, clock: ManualClock, alice: UserInfo
) -> None:
    bob = store.users.add("bob", PASSWORD)
    first = start(sessions, store, alice, "10.0.0.1")
    clock.advance(timedelta(seconds=1))
    others = []
    for _ in range(3):
        others.append(start(sessions, store, bob, "10.0.0.1"))
        clock.advance(timedelta(seconds=1))
    assert sessions.find(first) is None  # the oldest of that address went
    assert all(sessions.find(v) is not None for v in others)
    # Another address is not affected by that one's crowd.
    elsewhere = start(sessions, store, alice, "10.0.0.2")
    assert sessions.find(elsewhere) is not None
    # Per user: bob's fifth session drops his oldest.
    more = [start(sessions, store, bob, f"10.0.1.{i}") for i in range(2)]
    assert sessions.find(others[0]) is None
    assert all(sessions.find(v) is not None for v in [*others[1:], *more])


def test_the_total_cap_refuses_new_sign_ins_rather_than_sign_anyone_out(
    sessions: BrowserSessionStore, store: Store, alice: UserInfo
) -> None:
    users = [store.users.add(f"user{i}", PASSWORD) for i in range(10)]
    values = [start(sessions, store, u, f"10.0.0.{i}") for i, u in enumerate(users)]
    with pytest.raises(SessionsFull):
        start(sessions, store, alice, "10.9.9.9")
    assert all(sessions.find(v) is not None for v in values)


def test_purge_removes_expired_rows_in_bounded_batches(
    store: Store, clock: ManualClock, alice: UserInfo
) -> None:
    sessions = BrowserSessionStore(store, idle=60, per_address=1000, per_user=1000)
    for i in range(7):
        start(sessions, store, alice, f"10.0.0.{i}")
    live = start(sessions, store, alice, "10.0.0.99")
    clock.advance(timedelta(seconds=61))
    sessions.find(live)  # gone: idle too long
    assert sessions.purge_expired(limit=5) == 5
    assert sessions.purge_expired(limit=5) == 2
    assert sessions.count() == 0


def test_a_consent_nonce_is_answered_once(
    sessions: BrowserSessionStore, store: Store, alice: UserInfo
) -> None:
    value = start(sessions, store, alice)
    key = sessions.key_of(value)
    assert sessions.mark_answered(key, "n1")
    assert not sessions.mark_answered(key, "n1")
    assert sessions.mark_answered(key, "n2")
    assert not sessions.mark_answered("no-such-session", "n3")
    found = sessions.find(value)
    assert found is not None and found.answered == ("n1", "n2")


def test_the_form_key_is_shared_by_every_store_on_the_database(
    store: Store, db_target: str
) -> None:
    key = BrowserSessionStore(store).form_key()
    assert len(key) == 64
    other = Store.open(db_target)
    try:
        assert BrowserSessionStore(other).form_key() == key
    finally:
        other.close()
    assert store.settings.get(FORM_KEY_SETTING) == key.decode()


# -- migration 5 ------------------------------------------------------------------------


@pytest.fixture
def v4_target(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if backend == POSTGRESQL:
        server: PostgresServer = request.getfixturevalue("pg_server")
        name, url = server.create_database()
        from playhouse.db_url import connect

        db = connect(url)
    else:
        url = str(tmp_path / "v4.db")
        db = pw.SqliteDatabase(url, pragmas={"foreign_keys": 1})
    assert migrate(db, target=4) == 4
    db.execute_sql(
        'INSERT INTO "user" (username, password_hash, active, session_generation, '
        "failure_runs, version, created_at, updated_at) VALUES ('old', 'x', "
        f"{'TRUE' if backend == POSTGRESQL else 1}, 3, 0, 1, 0, 0)"
    )
    db.close()
    yield url
    if backend == POSTGRESQL:
        server.drop_database(name)


def test_migration_5_adds_the_table_and_keeps_the_users(v4_target: str) -> None:
    store = Store.open(v4_target)
    try:
        assert schema_version(store.db) == CURRENT_VERSION >= 5
        assert "browser_session" in store.db.get_tables()
        old = User.get(User.username == "old")
        assert old.session_generation == 3
        sessions = BrowserSessionStore(store)
        value = sessions.start(old.id, 3, "127.0.0.1")
        assert sessions.find(value) is not None
        # Deleting the user takes the session rows with it (ON DELETE CASCADE).
        store.users.delete("old")
        assert BrowserSession.select().count() == 0
    finally:
        store.close()
