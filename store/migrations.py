"""Versioned schema migrations, run on open.

Each step is frozen: it declares the tables as they were at that version
instead of importing ``store.models``, so that a step gives the same result
whatever the models become later. A test checks that running every step on an
empty database yields exactly the schema ``store.models`` declares.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import peewee as pw

from authclients.store.crypto import keyed_digest
from authclients.store.migration_steps import (
    _v6_device_grant,
    _v7_signed_tokens,
    _v8_registration_and_resources,
    _v9_client_lifetimes,
)
from authclients.store.models import SerialKey, UTCDateTimeField


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


def _v4_models(db: pw.Database) -> list[type[pw.Model]]:
    """Every table as of version 4, parents before children."""

    class Base(pw.Model):
        id = SerialKey()

        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):
        username = pw.CharField(max_length=150, unique=True)
        password_hash = pw.CharField(max_length=100)
        active = pw.BooleanField(default=True)
        session_generation = pw.IntegerField(default=0)
        failure_runs = pw.IntegerField(default=0)
        locked_at = UTCDateTimeField(null=True)
        version = pw.IntegerField(default=1)
        created_at = UTCDateTimeField()
        updated_at = UTCDateTimeField()

    class Client(Base):
        name = pw.CharField(max_length=255)
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
        version = pw.IntegerField(default=1)
        created_at = UTCDateTimeField()
        updated_at = UTCDateTimeField()

        class Meta:
            indexes = (
                (("revoked", "name"), False),
                (("revoked", "created_at"), False),
                (("revoked", "updated_at"), False),
            )

    class AuthCode(Base):
        code_hash = pw.CharField(max_length=64, unique=True)
        client = pw.ForeignKeyField(Client, backref="+", on_delete="CASCADE")
        user = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
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
        client = pw.ForeignKeyField(Client, backref="+", on_delete="CASCADE")
        user = pw.ForeignKeyField(User, backref="+", null=True, on_delete="CASCADE")
        auth_code = pw.ForeignKeyField(AuthCode, backref="+", null=True, on_delete="SET NULL")
        name = pw.CharField(max_length=255, default="")
        scopes = pw.TextField(default="")
        grant_type = pw.CharField(max_length=40)
        created_at = UTCDateTimeField(index=True)
        expires_at = UTCDateTimeField(null=True, index=True)
        revoked = pw.BooleanField(default=False)
        revoked_at = UTCDateTimeField(null=True)
        last_used_at = UTCDateTimeField(null=True)

        class Meta:
            indexes = ((("client", "revoked", "expires_at"), False),)

    class RefreshToken(Base):
        token_hash = pw.CharField(max_length=64, unique=True)
        access_token = pw.ForeignKeyField(AccessToken, backref="+", on_delete="CASCADE")
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

    class FailedAttempt(Base):
        kind = pw.CharField(max_length=16)
        key = pw.CharField(max_length=255)
        at = UTCDateTimeField()

        class Meta:
            indexes = ((("kind", "key", "at"), False),)

    class Scope(Base):
        name = pw.CharField(max_length=100, unique=True)
        description = pw.TextField(default="")
        created_at = UTCDateTimeField()

    class Setting(Base):
        name = pw.CharField(max_length=64, unique=True)
        value = pw.TextField()

    return [
        User,
        Client,
        AuthCode,
        AccessToken,
        RefreshToken,
        AuditEvent,
        FailedAttempt,
        Scope,
        Setting,
    ]


_V4_NEW_COLUMNS = {
    "user": {"session_generation": "0", "failure_runs": "0", "locked_at": "NULL", "version": "1"},
    "client": {"version": "1"},
}
"""Columns version 4 adds to existing tables, with the value existing rows get."""

_V4_SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]{1,100}$")

ATTEMPT_KEY_SETTING = "failed_attempt_key"
"""The ``setting`` row holding the HMAC key of ``failed_attempt.key``."""


def _v4_identities(db: pw.Database) -> None:
    """Ids never reused, session generations, versions, defined scopes, hashed failure keys.

    SQLite: every table is rebuilt with ``INTEGER PRIMARY KEY AUTOINCREMENT``,
    keeping every row and id; ``sqlite_sequence`` starts above the highest id
    the audit log ever names, so even a user deleted before the upgrade
    (whose id plain SQLite would have handed out again) stays retired. The
    caller runs this with foreign keys off (``rebuilds_tables``): dropping a
    parent table with them on would cascade-delete its children's rows.
    PostgreSQL: keys are sequences already; the columns are added.
    """
    models = _v4_models(db)
    by_name = {m._meta.table_name: m for m in models}
    existing = set(db.get_tables())
    if isinstance(db, pw.SqliteDatabase):
        for model in models:
            if model._meta.table_name in existing:
                _rebuild_sqlite_table(db, model)
        for table, object_type in (
            ("user", "user"),
            ("client", "client"),
            ("access_token", "token"),
        ):
            _retire_audited_ids(db, table, object_type)
    else:
        for table, columns in _V4_NEW_COLUMNS.items():
            model = by_name[table]
            for column, value in columns.items():
                field = model._meta.columns[column]
                kind = "BIGINT" if isinstance(field, UTCDateTimeField) else "INTEGER"
                if value == "NULL":
                    db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {kind}')
                    continue
                # The default fills existing rows; dropped after, as the models declare none.
                db.execute_sql(
                    f'ALTER TABLE "{table}" ADD COLUMN "{column}" {kind} NOT NULL DEFAULT {value}'
                )
                db.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" DROP DEFAULT')
    db.create_tables([by_name["scope"], by_name["setting"]])
    _define_scopes_in_use(db)
    key = secrets.token_hex(32)
    db.execute_sql(
        f"INSERT INTO setting (name, value) VALUES ({db.param}, {db.param})",
        (ATTEMPT_KEY_SETTING, key),
    )
    # Usernames typed at sign-in are rehashed, not dropped: a lock-out building up goes on
    # counting. Client failures stay keyed by the canonical client id: digits, never free text.
    rows = db.execute_sql(
        f"SELECT id, key FROM failed_attempt WHERE kind = {db.param}", ("password",)
    ).fetchall()
    for row_id, text in rows:
        db.execute_sql(
            f"UPDATE failed_attempt SET key = {db.param} WHERE id = {db.param}",
            (keyed_digest(key, text), row_id),
        )


_v4_identities.rebuilds_tables = True  # type: ignore[attr-defined]


def _rebuild_sqlite_table(db: pw.SqliteDatabase, model: type[pw.Model]) -> None:
    """SQLite's documented twelve-step table change: new table, copy, drop, rename, indexes."""
    table = model._meta.table_name
    temp_meta = type("Meta", (), {"table_name": f"{table}__v4"})
    temp = type(f"{model.__name__}V4", (model,), {"Meta": temp_meta})
    temp._schema.create_table(safe=False)
    old_columns = {c.name for c in db.get_columns(table)}
    new_columns = [f.column_name for f in model._meta.sorted_fields]
    fills = _V4_NEW_COLUMNS.get(table, {})
    source = [f'"{c}"' if c in old_columns else fills[c] for c in new_columns]
    db.execute_sql(
        f'INSERT INTO "{table}__v4" ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in new_columns)}) '
        f'SELECT {", ".join(source)} FROM "{table}"'
    )
    db.execute_sql(f'DROP TABLE "{table}"')
    db.execute_sql(f'ALTER TABLE "{table}__v4" RENAME TO "{table}"')
    model._schema.create_indexes(safe=False)


def _retire_audited_ids(db: pw.SqliteDatabase, table: str, object_type: str) -> None:
    """Start the table's AUTOINCREMENT above every id it ever gave, as far as the audit knows."""
    top = db.execute_sql(f'SELECT MAX(id) FROM "{table}"').fetchone()[0] or 0
    audited = db.execute_sql(
        "SELECT MAX(CAST(object_id AS INTEGER)) FROM audit_event "
        "WHERE object_type = ? AND object_id GLOB '[0-9]*' AND length(object_id) < 19",
        (object_type,),
    ).fetchone()[0]
    top = max(top, audited or 0)
    if top:
        db.execute_sql("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
        db.execute_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, top))


def _define_scopes_in_use(db: pw.Database) -> None:
    """Every scope a client lists or a token or code carries becomes a defined scope."""
    names: set[str] = set()
    for table in ("client", "access_token", "auth_code"):
        for (scopes,) in db.execute_sql(f"SELECT DISTINCT scopes FROM {table}").fetchall():
            names.update(s for s in (scopes or "").split() if _V4_SCOPE_TOKEN.match(s))
    now = time.time_ns() // 1000  # microseconds, as UTCDateTimeField stores them
    for name in sorted(names):
        db.execute_sql(
            f"INSERT INTO scope (name, description, created_at) "
            f"VALUES ({db.param}, '', {db.param})",
            (name, now),
        )


def _v5_browser_sessions(db: pw.Database) -> None:
    """Sign-in sessions in the database (hashed ids, expiring rows), shared by every process."""

    class Base(pw.Model):
        id = SerialKey()

        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):
        pass

    class BrowserSession(Base):
        id = pw.CharField(max_length=64, primary_key=True)
        user = pw.ForeignKeyField(User, null=True, on_delete="CASCADE")
        generation = pw.IntegerField(null=True)
        address_key = pw.CharField(max_length=64, index=True)
        answered = pw.TextField(default="")
        created_at = UTCDateTimeField()
        last_seen_at = UTCDateTimeField()
        expires_at = UTCDateTimeField(index=True)
        idle_expires_at = UTCDateTimeField()

    db.create_tables([BrowserSession])


MIGRATIONS: list[tuple[int, Callable[[pw.Database], None]]] = [
    (1, _v1_initial),
    (2, _v2_failed_attempts),
    (3, _v3_list_indexes),
    (4, _v4_identities),
    (5, _v5_browser_sessions),
    (6, _v6_device_grant),
    (7, _v7_signed_tokens),
    (8, _v8_registration_and_resources),
    (9, _v9_client_lifetimes),
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


@contextmanager
def _foreign_keys_off_if(db: pw.Database, needed: bool) -> Iterator[None]:
    """SQLite foreign keys off around a step that drops and recreates tables.

    ``PRAGMA foreign_keys`` is ignored inside a transaction, so it is switched
    outside the step's one; the connection gets back the value it had.
    """
    if not needed or not isinstance(db, pw.SqliteDatabase):
        yield
        return
    before = db.execute_sql("PRAGMA foreign_keys").fetchone()[0]
    db.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        db.execute_sql(f"PRAGMA foreign_keys = {int(before)}")


def _broken_foreign_keys(db: pw.Database) -> int:
    if not isinstance(db, pw.SqliteDatabase):
        return 0
    return len(db.execute_sql("PRAGMA foreign_key_check").fetchall())


def _check_foreign_keys(db: pw.Database, before: int) -> None:
    """Refuse to commit a step that left more rows pointing at nothing than it found
    (with foreign keys off SQLite checks nothing; rows orphaned by a tool that ran with
    them off before are not the step's doing, and must not block the upgrade)."""
    after = _broken_foreign_keys(db)
    if after > before:
        raise RuntimeError(f"migration left {after - before} rows with broken foreign keys")


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
            with _foreign_keys_off_if(db, getattr(step, "rebuilds_tables", False)), db.atomic():
                current = schema_version(db)
                if current >= version:
                    continue
                broken = _broken_foreign_keys(db)
                step(db)
                _check_foreign_keys(db, broken)
                _SchemaVersion.delete().execute()
                _SchemaVersion.create(version=version)
                current = version
        if current > CURRENT_VERSION:
            raise RuntimeError(
                f"database schema is version {current}, newer than this program's "
                f"{CURRENT_VERSION}: upgrade authclients"
            )
    return current
