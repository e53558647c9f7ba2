"""Migration 4: ids never reused, session generations, versions, defined scopes, hashed
failure keys; from a version 3 database with rows, gaps and tokens, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import peewee as pw
import pytest
from playhouse.db_url import connect

from authclients.store import Store, crypto
from authclients.store.clock import ManualClock
from authclients.store.migrations import ATTEMPT_KEY_SETTING, CURRENT_VERSION, migrate
from authclients.store.models import (
    ALL_MODELS,
    AccessToken,
    Client,
    FailedAttempt,
    User,
    database,
)
from authclients.store.ratelimit import KIND_CLIENT, KIND_PASSWORD, RateLimiter
from tests.backends import BACKENDS, POSTGRESQL
from tests.pgserver import PostgresServer

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
US = int(NOW.timestamp()) * 1_000_000
HOUR = 3_600 * 1_000_000
TABLES = ("user", "client", "auth_code", "access_token", "refresh_token", "audit_event")


@pytest.fixture
def v3_target(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database at version 3 with rows, deleted ids, tokens and failures; its target."""
    if backend == POSTGRESQL:
        server: PostgresServer = request.getfixturevalue("pg_server")
        name, url = server.create_database()
    else:
        url = str(tmp_path / "v3.db")
    db = (
        connect(url)
        if backend == POSTGRESQL
        else pw.SqliteDatabase(url, pragmas={"foreign_keys": 1})  # as the program opens it
    )
    assert migrate(db, target=3) == 3
    fill_v3(db)
    db.close()
    yield url
    if backend == POSTGRESQL:
        if database.obj is not None:
            database.close()
        server.drop_database(name)


def fill_v3(db: pw.Database) -> None:
    p = db.param
    true = "TRUE" if isinstance(db, pw.PostgresqlDatabase) else "1"
    false = "FALSE" if isinstance(db, pw.PostgresqlDatabase) else "0"
    rows = []
    for name in ("alice", "bob", "carol"):
        rows.append(
            (
                'INSERT INTO "user" (username, password_hash, active, created_at, updated_at) '
                f"VALUES ({p}, 'x', {true}, {p}, {p})",
                (name, US, US),
            )
        )
    for name, scopes in (("One", "read write"), ("Two", ""), ("Three", "read")):
        rows.append(
            (
                "INSERT INTO client (name, secret_hash, secret_hint, redirect_uris, scopes, "
                "grant_authorization_code, grant_password, grant_personal_access, "
                "grant_client_credentials, public, revoked, created_at, updated_at) "
                f"VALUES ({p}, 'h', 'hint', 'https://a.example/cb', {p}, {true}, {true}, "
                f"{false}, {true}, {false}, {false}, {p}, {p})",
                (name, scopes, US, US),
            )
        )
    for n, (client_id, user_id, scopes) in enumerate(
        [(1, 1, "read"), (1, 2, "admin"), (2, None, ""), (1, 3, "")], start=1
    ):
        rows.append(
            (
                "INSERT INTO access_token (token_hash, token_hint, client_id, user_id, name, "
                "scopes, grant_type, created_at, expires_at, revoked) "
                f"VALUES ({p}, 'hint', {p}, {p}, '', {p}, 'password', {p}, {p}, {false})",
                (crypto.digest(f"token {n}"), client_id, user_id, scopes, US, US + HOUR),
            )
        )
        rows.append(
            (
                "INSERT INTO refresh_token (token_hash, access_token_id, family, created_at, "
                f"expires_at, revoked) VALUES ({p}, {p}, 'fam', {p}, {p}, {false})",
                (crypto.digest(f"refresh {n}"), n, US, US + HOUR),
            )
        )
    rows += [
        (
            "INSERT INTO auth_code (code_hash, client_id, user_id, redirect_uri, scopes, "
            f"created_at, expires_at, revoked) VALUES ('c', 1, 1, 'https://a.example/cb', "
            f"'openid', {p}, {p}, {false})",
            (US, US + HOUR),
        ),
        # The third user and the last token are deleted: plain SQLite would reuse both ids.
        ('DELETE FROM "user" WHERE id = 3', ()),
        ("DELETE FROM access_token WHERE id = 4", ()),
        (
            "INSERT INTO audit_event (at, actor, action, object_type, object_id, detail) "
            f"VALUES ({p}, 'admin', 'user.delete', 'user', '3', 'carol')",
            (US,),
        ),
        (
            f"INSERT INTO failed_attempt (kind, key, at) VALUES ({p}, {p}, {p})",
            (KIND_PASSWORD, "alice", US),
        ),
        (
            f"INSERT INTO failed_attempt (kind, key, at) VALUES ({p}, {p}, {p})",
            (KIND_CLIENT, "2", US),
        ),
    ]
    with db.atomic():
        for sql, params in rows:
            db.execute_sql(sql, params)


def snapshot(db: pw.Database) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the version 3 tables, in the version 3 columns, by id."""
    columns = {
        "user": "id, username, password_hash, active, created_at, updated_at",
        "client": "id, name, secret_hash, scopes, revoked, created_at, updated_at",
        "auth_code": "id, code_hash, client_id, user_id, scopes, revoked",
        "access_token": "id, token_hash, client_id, user_id, scopes, grant_type, revoked",
        "refresh_token": "id, token_hash, access_token_id, family, revoked",
        "audit_event": "id, action, object_type, object_id, detail",
    }
    return {
        table: db.execute_sql(f'SELECT {cols} FROM "{table}" ORDER BY id').fetchall()
        for table, cols in columns.items()
    }


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def test_version_3_migrates_keeping_every_row_and_id(v3_target: str, backend: str) -> None:
    raw = connect(v3_target) if backend == POSTGRESQL else pw.SqliteDatabase(v3_target)
    before = snapshot(raw)
    raw.close()
    assert [row[0] for row in before["user"]] == [1, 2]

    store = Store.open(v3_target, clock=ManualClock(NOW), actor="tester")
    try:
        assert snapshot(store.db) == before
        assert [(u.id, u.version) for u in store.users.list()] == [(1, 1), (2, 1)]
        assert User.get_by_id(1).session_generation == 0
        assert store.clients.get(1).version == 1
        assert store.tokens.find("token 1").state == "active"
        # The scopes clients, tokens and codes already use are defined.
        assert [s.name for s in store.scopes.list()] == ["admin", "openid", "read", "write"]
        # The username typed at a failed sign-in is now a keyed hash, still counted.
        key = store.settings.get(ATTEMPT_KEY_SETTING)
        stored = {a.kind: a.key for a in FailedAttempt.select()}
        assert stored == {KIND_PASSWORD: crypto.keyed_digest(key, "alice"), KIND_CLIENT: "2"}
        limiter = RateLimiter(store.as_actor("endpoint"))
        assert limiter.check(KIND_PASSWORD, "alice") == 1
        if backend != POSTGRESQL:
            assert store.db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
            assert store.db.execute_sql("PRAGMA foreign_key_check").fetchall() == []

        # No id comes back: not the deleted user's (known from the audit), nor the newest's.
        assert store.users.add("dave", "a long passphrase").id == 4
        store.users.delete("dave")
        assert store.users.add("erin", "a long passphrase").id == 5
        # A token deleted before the upgrade left no trace to retire its id by; from now on
        # the newest one, deleted, is never handed out again.
        client = store.clients.get(2)
        token = store.tokens.issue(client, grant_type="client_credentials")
        assert token.info.id >= 4
        AccessToken.delete_by_id(token.info.id)
        after = store.tokens.issue(client, grant_type="client_credentials")
        assert after.info.id == token.info.id + 1
        kept = store.clients.create("Four", client_credentials=True).client
        assert kept.id == 4
        Client.delete_by_id(kept.id)
        assert store.clients.create("Five", client_credentials=True).client.id == 5
    finally:
        store.close()


def test_migrating_twice_changes_nothing(v3_target: str, backend: str) -> None:
    store = Store.open(v3_target, clock=ManualClock(NOW))
    key = store.settings.get(ATTEMPT_KEY_SETTING)
    store.close()
    again = Store.open(v3_target, clock=ManualClock(NOW))
    try:
        assert again.db.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()[0] == (
            CURRENT_VERSION
        )
        assert again.settings.get(ATTEMPT_KEY_SETTING) == key
        assert len(again.scopes.list()) == 4
    finally:
        again.close()


# -- after the migration, on a new database: never reused ------------------------------------


def test_the_newest_ids_are_never_handed_out_again(store: Store) -> None:
    first = store.users.add("first", "a long passphrase")
    newest = store.users.add("newest", "a long passphrase")
    store.users.delete("newest")
    assert store.users.add("next", "a long passphrase").id == newest.id + 1
    assert first.id < newest.id

    kept = store.clients.create("Kept", client_credentials=True).client
    gone = store.clients.create("Gone", client_credentials=True).client
    Client.delete_by_id(gone.id)  # the store never deletes a client row; a hand might
    assert store.clients.create("Next", client_credentials=True).client.id == gone.id + 1

    token = store.tokens.issue(kept, grant_type="client_credentials")
    AccessToken.delete_by_id(token.info.id)
    assert store.tokens.issue(kept, grant_type="client_credentials").info.id == token.info.id + 1


@pytest.mark.sqlite_only("the SQL SQLite keeps of each table")
def test_every_sqlite_table_is_autoincrement(store: Store) -> None:
    tables = store.db.execute_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
        # browser_session (version 5) is keyed by a hash of its cookie, not an integer.
        "AND name NOT IN ('sqlite_sequence', 'schema_version', 'browser_session')"
    ).fetchall()
    # Every model's table but browser_session: later versions' tables are checked too.
    assert len(tables) == len(ALL_MODELS) - 1
    assert all("AUTOINCREMENT" in sql for _name, sql in tables)
