"""Migration 6: the device grant's client flag and the device request table, from a version 5
database with clients and tokens, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import peewee as pw
import pytest
from playhouse.db_url import connect

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.migrations import CURRENT_VERSION, migrate, schema_version
from authclients.store.models import database
from tests.backends import BACKENDS, POSTGRESQL
from tests.pgserver import PostgresServer

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
US = int(NOW.timestamp()) * 1_000_000


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def v5_target(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database made by version 5, with two clients and a token."""
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
    true = "TRUE" if isinstance(db, pw.PostgresqlDatabase) else "1"
    false = "FALSE" if isinstance(db, pw.PostgresqlDatabase) else "0"
    for client_name in ("Web", "Job"):
        db.execute_sql(
            "INSERT INTO client (name, secret_hash, secret_hint, redirect_uris, scopes, "
            "grant_authorization_code, grant_password, grant_personal_access, "
            "grant_client_credentials, public, revoked, version, created_at, updated_at) "
            f"VALUES ({p}, 'h', 'hint', '', '', {false}, {false}, {false}, {true}, {false}, "
            f"{false}, 1, {p}, {p})",
            (client_name, US, US),
        )
    db.execute_sql(
        "INSERT INTO access_token (token_hash, token_hint, client_id, name, scopes, grant_type, "
        f"created_at, expires_at, revoked) VALUES ({p}, 'hint', 1, '', '', "
        f"'client_credentials', {p}, {p}, {false})",
        ("0" * 64, US, US + 3_600_000_000),
    )
    db.close()
    yield url
    if backend == POSTGRESQL:
        if database.obj is not None:
            database.close()
        server.drop_database(name)


def test_version_5_gains_the_device_grant(v5_target: str, backend: str) -> None:
    store = Store.open(v5_target, clock=ManualClock(NOW), actor="tester")
    try:
        assert schema_version(store.db) == CURRENT_VERSION
        clients = store.clients.list().items
        assert [(c.id, c.name, c.device, c.grant_types) for c in clients] == [
            (1, "Web", False, ("client_credentials",)),
            (2, "Job", False, ("client_credentials",)),
        ]
        assert store.tokens.get(1).state == "active"
        # The new column and table work: switch the grant on, make and approve a request.
        store.clients.update(2, device=True)
        assert store.clients.get(2).device
        made = store.devices.request(2, "")
        user = store.users.add("alice", "a long passphrase")
        assert store.devices.approve(made.info.id, user.id).status == "approved"
        # Running the migrations again changes nothing.
        assert migrate(store.db) == CURRENT_VERSION
    finally:
        store.close()
