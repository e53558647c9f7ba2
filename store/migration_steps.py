"""The schema steps from version 6 on: each only adds (tables, nullable columns, indexes).

``store/migrations.py`` runs them in order with versions 1-5; they live here so that
file keeps to the runner and the early, table-rebuilding steps.
"""

from __future__ import annotations

import time

import peewee as pw

from authclients.store.models import SerialKey, UTCDateTimeField


def _v6_device_grant(db: pw.Database) -> None:
    """The device authorization grant (RFC 8628): a flag on clients, and device requests."""

    class Base(pw.Model):
        id = SerialKey()

        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):
        pass

    class Client(Base):
        pass

    class AccessToken(Base):
        pass

    class DeviceRequest(Base):
        device_code_hash = pw.CharField(max_length=64, unique=True)
        user_code = pw.CharField(max_length=16, unique=True)
        client = pw.ForeignKeyField(Client, backref="+", on_delete="CASCADE")
        scopes = pw.TextField(default="")
        status = pw.CharField(max_length=10, default="pending")
        interval = pw.IntegerField(default=5)
        last_polled_at = UTCDateTimeField(null=True)
        user = pw.ForeignKeyField(User, backref="+", null=True, on_delete="CASCADE")
        user_generation = pw.IntegerField(null=True)
        decided_by = pw.CharField(max_length=150, default="")
        decided_at = UTCDateTimeField(null=True)
        access_token = pw.ForeignKeyField(AccessToken, backref="+", null=True, on_delete="SET NULL")
        created_at = UTCDateTimeField()
        expires_at = UTCDateTimeField(index=True)

        class Meta:
            indexes = ((("status", "expires_at"), False),)

    # The default fills existing rows; on PostgreSQL it is dropped after, as the models
    # declare none (SQLite cannot drop one, and every INSERT names the column anyway).
    if isinstance(db, pw.PostgresqlDatabase):
        db.execute_sql(
            'ALTER TABLE "client" ADD COLUMN "grant_device" BOOLEAN NOT NULL DEFAULT FALSE'
        )
        db.execute_sql('ALTER TABLE "client" ALTER COLUMN "grant_device" DROP DEFAULT')
    else:
        db.execute_sql('ALTER TABLE "client" ADD COLUMN "grant_device" INTEGER NOT NULL DEFAULT 0')
    db.create_tables([DeviceRequest])


_V7_NEW_COLUMNS: dict[str, dict[str, str]] = {
    "user": {"email": "VARCHAR(254)", "name": "VARCHAR(255)"},
    "auth_code": {"nonce": "TEXT", "nonce_key": "VARCHAR(64)", "auth_time": "BIGINT"},
    "access_token": {"jti": "VARCHAR(64)"},
}
"""Nullable columns version 7 adds: existing rows are users without claims, codes without
OpenID Connect, opaque tokens."""


def _v7_signed_tokens(db: pw.Database) -> None:
    """Signing keys, JWT access tokens per client, OpenID Connect claims, nonces and auth times.

    Only additions: a table, nullable columns, a client column whose default
    (``opaque``) keeps every existing client as it was, and a unique index
    that existing rows (all with a null ``nonce_key``) cannot violate.
    """

    class SigningKey(pw.Model):
        id = SerialKey()
        kid = pw.CharField(max_length=64, unique=True)
        alg = pw.CharField(max_length=8)
        private_key = pw.TextField()
        public_jwk = pw.TextField()
        created_at = UTCDateTimeField()
        active_from = UTCDateTimeField()
        retired_at = UTCDateTimeField(null=True)
        published_until = UTCDateTimeField(null=True)

        class Meta:
            database = db
            legacy_table_names = False

    for table, columns in _V7_NEW_COLUMNS.items():
        for column, kind in columns.items():
            if kind == "BIGINT" and isinstance(db, pw.SqliteDatabase):
                kind = "INTEGER"  # what peewee declares a BigIntegerField as on SQLite
            db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {kind}')
    # The default fills existing rows; on PostgreSQL it is dropped after, as the models
    # declare none (SQLite cannot drop one, and its schema test compares no defaults).
    db.execute_sql(
        'ALTER TABLE "client" ADD COLUMN "token_format" VARCHAR(16) NOT NULL DEFAULT \'opaque\''
    )
    if not isinstance(db, pw.SqliteDatabase):
        db.execute_sql('ALTER TABLE "client" ALTER COLUMN "token_format" DROP DEFAULT')
    db.execute_sql(
        'CREATE UNIQUE INDEX "auth_code_client_id_nonce_key" '
        'ON "auth_code" ("client_id", "nonce_key")'
    )
    db.create_tables([SigningKey])
    _define_oidc_scopes(db)


_V7_SCOPES = {
    "openid": "Sign you in with OpenID Connect (an ID token naming your user id).",
    "profile": "Your name and username (OpenID Connect profile claims).",
    "email": "Your email address (OpenID Connect email claim).",
}
"""Frozen copy of ``store.jwt_tokens.OIDC_SCOPES`` as version 7 defines them."""


def _define_oidc_scopes(db: pw.Database) -> None:
    """OpenID Connect's scopes become defined scopes (kept as they are where already defined)."""
    now = time.time_ns() // 1000
    for name, description in _V7_SCOPES.items():
        taken = db.execute_sql(f"SELECT 1 FROM scope WHERE name = {db.param}", (name,)).fetchone()
        if taken is None:
            db.execute_sql(
                f"INSERT INTO scope (name, description, created_at) "
                f"VALUES ({db.param}, {db.param}, {db.param})",
                (name, description, now),
            )


def _v8_registration_and_resources(db: pw.Database) -> None:
    """Dynamic client registration (RFC 7591) and resource indicators (RFC 8707).

    Adds only: nullable or defaulted columns on ``client``, ``access_token`` and
    ``auth_code``, and three new tables. Every existing client is an admin's
    (``registered`` false) and enabled; every existing token has no audience.
    """
    postgres = isinstance(db, pw.PostgresqlDatabase)
    boolean = ("BOOLEAN", "false") if postgres else ("INTEGER", "0")
    text = ("TEXT", "''")
    short = ("VARCHAR(255)", "''")
    for table, column, (kind, default) in (
        ("client", "registered", boolean),
        ("client", "disabled", boolean),
        ("client", "client_uri", text),
        ("client", "software_id", short),
        ("client", "software_version", short),
        ("client", "registration_metadata", text),
        ("access_token", "audience", text),
        ("auth_code", "resources", text),
    ):
        # Plain ADD COLUMN: the default fills existing rows in place. (peewee's
        # SqliteMigrator rebuilds the table for NOT NULL, and dropping the old
        # ``client`` table would cascade into every token.) The default stays: the
        # hot path's raw INSERT of a token names no audience.
        db.execute_sql(
            f'ALTER TABLE "{table}" ADD COLUMN "{column}" {kind} NOT NULL DEFAULT {default}'
        )

    class Base(pw.Model):
        id = SerialKey()

        class Meta:
            database = db
            legacy_table_names = False

    class Client(Base):
        pass

    class ResourceServer(Base):
        uri = pw.CharField(max_length=2000, unique=True)
        name = pw.CharField(max_length=255, default="")
        introspection_client = pw.ForeignKeyField(Client, null=True, on_delete="SET NULL")
        created_at = UTCDateTimeField()

    class InitialAccessToken(Base):
        token_hash = pw.CharField(max_length=64, unique=True)
        token_hint = pw.CharField(max_length=8, default="")
        created_at = UTCDateTimeField()
        expires_at = UTCDateTimeField(null=True)
        uses_left = pw.IntegerField(null=True)
        used = pw.IntegerField(default=0)
        revoked = pw.BooleanField(default=False)

    db.create_tables([ResourceServer, InitialAccessToken])
    db.execute_sql('CREATE INDEX "client_registered_revoked" ON "client" ("registered", "revoked")')


CLIENT_LIFETIME_COLUMNS = (
    "access_token_ttl",
    "refresh_token_ttl",
    "personal_token_ttl",
    "auth_code_ttl",
)


def _v9_client_lifetimes(db: pw.Database) -> None:
    """Per-client token lifetimes (seconds), null meaning the database's default.

    Plain nullable columns: ``ALTER TABLE ... ADD COLUMN`` is the same on
    SQLite and PostgreSQL, and old rows keep the defaults. The default
    lifetimes themselves are ``setting`` rows, which need no schema.
    """
    present = {column.name for column in db.get_columns("client")}
    for name in CLIENT_LIFETIME_COLUMNS:
        if name not in present:
            db.execute_sql(f"ALTER TABLE client ADD COLUMN {name} INTEGER")
