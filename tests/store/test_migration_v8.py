"""Migration 8 on a database made by version 5, with rows: only additions, nothing lost."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import peewee as pw
import pytest
from playhouse.db_url import connect

from authclients.store import Store, crypto
from authclients.store.clock import ManualClock
from authclients.store.migrations import CURRENT_VERSION, migrate, schema_version
from authclients.store.models import AccessToken, AuthCode, RefreshToken, database
from authclients.store.registration import Registration
from tests.backends import POSTGRESQL
from tests.pgserver import PostgresServer

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
US = int(NOW.timestamp()) * 1_000_000
HOUR = 3_600 * 1_000_000
SECRET = "v5-client-secret-" + "y" * 30
TOKEN, REFRESH, CODE = "v5-access-token", "v5-refresh-token", "v5-code"


@pytest.fixture
def v5_target(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A version 5 database with a user, a client, a code, a token and its refresh token."""
    if backend == POSTGRESQL:
        server: PostgresServer = request.getfixturevalue("pg_server")
        name, url = server.create_database()
    else:
        url = str(tmp_path / "v5.db")
    db = (
        connect(url)
        if backend == POSTGRESQL
        else pw.SqliteDatabase(url, pragmas={"foreign_keys": 1})
    )
    assert migrate(db, target=5) == 5
    p = db.param
    true, false = ("TRUE", "FALSE") if backend == POSTGRESQL else ("1", "0")
    with db.atomic():
        db.execute_sql(
            'INSERT INTO "user" (username, password_hash, active, session_generation, '
            f"failure_runs, version, created_at, updated_at) VALUES ('alice', 'x', {true}, 0, 0, "
            f"1, {p}, {p})",
            (US, US),
        )
        db.execute_sql(
            "INSERT INTO client (name, secret_hash, secret_hint, redirect_uris, scopes, "
            "grant_authorization_code, grant_password, grant_personal_access, "
            "grant_client_credentials, public, revoked, version, created_at, updated_at) "
            f"VALUES ('Old app', {p}, 'yyyy', 'https://a.example.com/cb', '', {true}, {true}, "
            f"{false}, {true}, {false}, {false}, 1, {p}, {p})",
            (crypto.digest(SECRET), US, US),
        )
        db.execute_sql(
            "INSERT INTO auth_code (code_hash, client_id, user_id, redirect_uri, scopes, "
            f"created_at, expires_at, revoked) VALUES ({p}, 1, 1, 'https://a.example.com/cb', "
            f"'', {p}, {p}, {false})",
            (crypto.digest(CODE), US, US + HOUR),
        )
        db.execute_sql(
            "INSERT INTO access_token (token_hash, token_hint, client_id, user_id, name, scopes, "
            f"grant_type, created_at, expires_at, revoked) VALUES ({p}, 'oken', 1, 1, '', '', "
            f"'password', {p}, {p}, {false})",
            (crypto.digest(TOKEN), US, US + HOUR),
        )
        db.execute_sql(
            "INSERT INTO refresh_token (token_hash, access_token_id, family, created_at, "
            f"expires_at, revoked) VALUES ({p}, 1, 'fam', {p}, {p}, {false})",
            (crypto.digest(REFRESH), US, US + 24 * HOUR),
        )
    db.close()
    yield url
    if backend == POSTGRESQL:
        if database.obj is not None:
            database.close()
        server.drop_database(name)


def test_v5_database_upgrades_keeping_every_row(v5_target: str) -> None:
    store = Store.open(v5_target, clock=ManualClock(NOW), actor="tester")
    try:
        assert schema_version(store.db) == CURRENT_VERSION
        client = store.clients.get(1)
        # Plain ADD COLUMN: rebuilding ``client`` would have cascaded into its tokens.
        assert client.active_tokens == 1
        assert not client.registered and not client.disabled
        assert store.registrations.origin(1) is None
        assert AccessToken.get().audience == "" and AuthCode.get().resources == ""
        assert RefreshToken.select().count() == 1
        assert store.tokens.introspect(TOKEN)["active"] is True
        assert store.clients.authenticate(1, SECRET) is not None
        assert store.registrations.mode() == "off" and store.resources.list() == []
        # The new columns and tables work on the upgraded file.
        store.resources.add("https://api.example.com")
        fields = store.clients.validated(
            name="Registered",
            redirect_uris=["https://b.example.com/cb"],
            authorization_code=True,
            password=False,
            personal_access=False,
            device=False,
            client_credentials=False,
            public=True,
            scopes="",
        )
        new_id, _secret, _disabled = store.registrations.create_client(
            fields, Registration(software_id="x"), public=True
        )
        assert store.clients.get(new_id).registered and new_id == 2
        issued = store.tokens.issue(
            client, grant_type="password", user_id=1, audience=("https://api.example.com",)
        )
        assert store.resources.audience_of(issued.access_token) == ("https://api.example.com",)
        # A raw INSERT naming no audience (the hot path's) gets the column's default.
        p = store.db.param
        false = "FALSE" if isinstance(store.db, pw.PostgresqlDatabase) else "0"
        store.db.execute_sql(
            "INSERT INTO access_token (token_hash, token_hint, client_id, user_id, auth_code_id, "
            f"name, scopes, grant_type, created_at, expires_at, revoked) VALUES ({p}, 'x', 1, "
            f"NULL, NULL, '', '', 'client_credentials', {p}, {p}, {false})",
            (crypto.digest("raw"), US, US + HOUR),
        )
        assert store.resources.audience_of("raw") == ()
    finally:
        store.close()


def test_migrating_twice_changes_nothing(v5_target: str) -> None:
    for _ in range(2):
        store = Store.open(v5_target, clock=ManualClock(NOW))
        assert schema_version(store.db) == CURRENT_VERSION
        assert store.clients.get(1).active_tokens == 1
        store.close()
