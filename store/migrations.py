"""Versioned schema migrations, run on open.

Each step is frozen: it declares the tables as they were at that version
instead of importing ``store.models``, so that a step gives the same result
whatever the models become later. A test checks that running every step on an
empty database yields exactly the schema ``store.models`` declares.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import peewee as pw

from authclients.store.models import UTCDateTimeField


def _v1_initial(db: pw.Database) -> None:
    """Users, clients, codes, access and refresh tokens, audit events."""

    class Base(pw.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):
        username = pw.CharField(max_length=150, unique=True)
        password_hash = pw.CharField(max_length=100)
        active = pw.BooleanField(default=True)
        created_at = UTCDateTimeField()
        updated_at = UTCDateTimeField()

    class Client(Base):
        name = pw.CharField(max_length=255, index=True)
        secret_hash = pw.CharField(max_length=64, null=True)
        secret_hint = pw.CharField(max_length=8, default="")
        redirect_uris = pw.TextField(default="")
        scopes = pw.TextField(default="")
        grant_authorization_code = pw.BooleanField(default=False)
        grant_password = pw.BooleanField(default=False)
        grant_personal_access = pw.BooleanField(default=False)
        grant_client_credentials = pw.BooleanField(default=False)
        public = pw.BooleanField(default=False)
        revoked = pw.BooleanField(default=False, index=True)
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()

    class AuthCode(Base):
        code_hash = pw.CharField(max_length=64, unique=True)
        client = pw.ForeignKeyField(Client, on_delete="CASCADE")
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        redirect_uri = pw.TextField()
        scopes = pw.TextField(default="")
        code_challenge = pw.CharField(max_length=128, null=True)
        code_challenge_method = pw.CharField(max_length=10, null=True)
        created_at = UTCDateTimeField()
        expires_at = UTCDateTimeField()
        used_at = UTCDateTimeField(null=True)
        revoked = pw.BooleanField(default=False)

    class AccessToken(Base):
        token_hash = pw.CharField(max_length=64, unique=True)
        token_hint = pw.CharField(max_length=8, default="")
        client = pw.ForeignKeyField(Client, on_delete="CASCADE")
        user = pw.ForeignKeyField(User, null=True, on_delete="CASCADE")
        auth_code = pw.ForeignKeyField(AuthCode, null=True, on_delete="SET NULL")
        name = pw.CharField(max_length=255, default="")
        scopes = pw.TextField(default="")
        grant_type = pw.CharField(max_length=40)
        created_at = UTCDateTimeField(index=True)
        expires_at = UTCDateTimeField(null=True, index=True)
        revoked = pw.BooleanField(default=False)
        revoked_at = UTCDateTimeField(null=True)
        last_used_at = UTCDateTimeField(null=True)

    class RefreshToken(Base):
        token_hash = pw.CharField(max_length=64, unique=True)
        access_token = pw.ForeignKeyField(AccessToken, on_delete="CASCADE")
        family = pw.CharField(max_length=64, index=True)
        created_at = UTCDateTimeField()
        expires_at = UTCDateTimeField()
        used_at = UTCDateTimeField(null=True)
        revoked = pw.BooleanField(default=False)

    class AuditEvent(Base):
        at = UTCDateTimeField(index=True)
        actor = pw.CharField(max_length=150)
        action = pw.CharField(max_length=64)
        object_type = pw.CharField(max_length=32)
        object_id = pw.CharField(max_length=64, default="")
        detail = pw.TextField(default="")

    db.create_tables([User, Client, AuthCode, AccessToken, RefreshToken, AuditEvent])


def _v2_failed_attempts(db: pw.Database) -> None:
    """Failed credential checks, so brute-force limits hold across processes."""

    class FailedAttempt(pw.Model):
        kind = pw.CharField(max_length=16)
        key = pw.CharField(max_length=255)
        at = UTCDateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            indexes = ((("kind", "key", "at"), False),)

    db.create_tables([FailedAttempt])


def _v3_list_indexes(db: pw.Database) -> None:
    """Indexes that keep the client list fast at 100,000 clients.

    The list always filters ``revoked = false``; without statistics SQLite
    then picks the index on ``revoked`` and sorts every row in a temporary
    B-tree, so sorting by name or date took 25-400 ms. Composite indexes
    (revoked, column) give the rows already in order. A covering index on the
    tokens' (client, revoked, expiry) serves the active-token counts.
    """
    for statement in (
        'DROP INDEX IF EXISTS "client_name"',
        'DROP INDEX IF EXISTS "client_created_at"',
        'CREATE INDEX "client_revoked_name" ON "client" ("revoked", "name")',
        'CREATE INDEX "client_revoked_created_at" ON "client" ("revoked", "created_at")',
        'CREATE INDEX "client_revoked_updated_at" ON "client" ("revoked", "updated_at")',
        'CREATE INDEX "access_token_client_id_revoked_expires_at" '
        'ON "access_token" ("client_id", "revoked", "expires_at")',
    ):
        db.execute_sql(statement)


MIGRATIONS: list[tuple[int, Callable[[pw.Database], None]]] = [
    (1, _v1_initial),
    (2, _v2_failed_attempts),
    (3, _v3_list_indexes),
]
CURRENT_VERSION = MIGRATIONS[-1][0]


class _SchemaVersion(pw.Model):
    version = pw.IntegerField()

    class Meta:
        table_name = "schema_version"


def schema_version(db: pw.Database) -> int:
    """The version the database is at; 0 for an empty one."""
    with _SchemaVersion.bind_ctx(db):
        if not _SchemaVersion.table_exists():
            return 0
        row = _SchemaVersion.select(pw.fn.MAX(_SchemaVersion.version)).scalar()
        return row or 0


MIGRATION_LOCK_KEY = 0x61757468636C6E74
"""PostgreSQL advisory lock key ("authclnt"): one migrating process per database at a time."""


@contextmanager
def _migration_lock(db: pw.Database) -> Iterator[None]:
    """Serialise migrating processes on PostgreSQL.

    Two processes opening a fresh database at once would otherwise both run
    ``CREATE TABLE IF NOT EXISTS``, which is not atomic in PostgreSQL (the
    loser fails on a duplicate type name). A session advisory lock covers the
    whole run, including the first statement. SQLite needs nothing here: each
    step's ``BEGIN IMMEDIATE`` already takes the file's write lock.
    """
    if not isinstance(db, pw.PostgresqlDatabase):
        yield
        return
    db.execute_sql("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
    try:
        yield
    finally:
        db.execute_sql("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))


def migrate(db: pw.Database, target: int = CURRENT_VERSION) -> int:
    """Run every step above the database's version up to ``target``; returns the version.

    Each step and its version stamp commit together, so a crash leaves the
    database at a whole version.
    """
    with _SchemaVersion.bind_ctx(db), _migration_lock(db):
        with db.atomic():
            _SchemaVersion.create_table(safe=True)
        current = schema_version(db)
        for version, step in MIGRATIONS:
            if version > target:
                break
            # Re-read inside the write transaction: another process may have migrated.
            with db.atomic():
                current = schema_version(db)
                if current >= version:
                    continue
                step(db)
                _SchemaVersion.delete().execute()
                _SchemaVersion.create(version=version)
                current = version
        if current > CURRENT_VERSION:
            raise RuntimeError(
                f"database schema is version {current}, newer than this program's "
                f"{CURRENT_VERSION}: upgrade authclients"
            )
    return current
