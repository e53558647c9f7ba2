"""Peewee models of the current schema; bound at start-up by ``store.db``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import peewee as pw

database = pw.DatabaseProxy()
"""Unbound until ``store.db.open_database`` initialises it: one database per process."""


class UTCDateTimeField(pw.BigIntegerField):
    """An aware UTC datetime stored as microseconds since the epoch.

    Integers sort, compare and index the same way on SQLite and PostgreSQL,
    with no time-zone or string-format surprises.
    """

    def db_value(self, value: datetime | None) -> int | None:
        if value is None:
            return None
        if isinstance(value, int):
            return value
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC field")
        delta = value - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds

    def python_value(self, value: int | None) -> datetime | None:
        if value is None:
            return None
        return _EPOCH + timedelta(microseconds=value)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SerialKey(pw.AutoField):
    """An integer key never handed out twice: ``AUTOINCREMENT`` on SQLite.

    A plain SQLite ``INTEGER PRIMARY KEY`` reuses the highest id after its row
    is deleted, so a deleted user's id (and whatever still names it: a browser
    session, a log line) would name the next user. PostgreSQL's ``SERIAL`` is a
    sequence and never goes back, so the keyword is added on SQLite only
    (peewee's ``AutoIncrementField`` would add it everywhere).
    """

    def ddl(self, ctx: pw.Context) -> pw.NodeList:
        nodes = super().ddl(ctx)
        db = self.model._meta.database
        db = getattr(db, "obj", db)  # a DatabaseProxy: the database it stands for
        if isinstance(db, pw.SqliteDatabase):
            return pw.NodeList((nodes, pw.SQL("AUTOINCREMENT")))
        return nodes


class BaseModel(pw.Model):
    id = SerialKey()

    class Meta:
        database = database
        legacy_table_names = False


class User(BaseModel):
    """A resource owner: signs in for the password and authorization-code grants."""

    username = pw.CharField(max_length=150, unique=True)
    password_hash = pw.CharField(max_length=100)
    active = pw.BooleanField(default=True)
    session_generation = pw.IntegerField(default=0)
    """Bumped by deactivation, deletion and a password change: a browser session
    carries the generation it began in, and is dead once the two differ."""
    failure_runs = pw.IntegerField(default=0)
    """Completed runs of failed sign-ins since the last success or unlock: each doubles the
    wait (``store.ratelimit``)."""
    locked_at = UTCDateTimeField(null=True)
    """Set after too many consecutive failed sign-ins; only an admin's unlock clears it."""
    version = pw.IntegerField(default=1)
    """Bumped by every change, so a save from a stale form can be refused."""
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()


class Client(BaseModel):
    """An OAuth client application; its integer id is the ``client_id``."""

    name = pw.CharField(max_length=255)
    secret_hash = pw.CharField(max_length=64, null=True)
    secret_hint = pw.CharField(max_length=8, default="")
    redirect_uris = pw.TextField(default="")
    """Newline-separated exact strings, in the order the admin gave them."""
    scopes = pw.TextField(default="")
    """Space-separated scopes the client may ask for; empty means any scope."""
    grant_authorization_code = pw.BooleanField(default=False)
    grant_password = pw.BooleanField(default=False)
    grant_personal_access = pw.BooleanField(default=False)
    grant_client_credentials = pw.BooleanField(default=False)
    grant_device = pw.BooleanField(default=False)
    """The device authorization grant (RFC 8628); added by migration 6."""
    public = pw.BooleanField(default=False)
    revoked = pw.BooleanField(default=False, index=True)
    """Set when the client is deleted: the row stays so its tokens keep their history."""
    version = pw.IntegerField(default=1)
    """Bumped by every change, so a save from a stale form can be refused."""
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()

    class Meta:
        indexes = (
            # The list filters on revoked and sorts: (revoked, column) gives rows in order.
            (("revoked", "name"), False),
            (("revoked", "created_at"), False),
            (("revoked", "updated_at"), False),
        )


class AuthCode(BaseModel):
    """A single-use authorization code (RFC 6749 §4.1), stored as a digest."""

    code_hash = pw.CharField(max_length=64, unique=True)
    client = pw.ForeignKeyField(Client, backref="auth_codes", on_delete="CASCADE")
    user = pw.ForeignKeyField(User, backref="auth_codes", on_delete="CASCADE")
    redirect_uri = pw.TextField()
    scopes = pw.TextField(default="")
    code_challenge = pw.CharField(max_length=128, null=True)
    code_challenge_method = pw.CharField(max_length=10, null=True)
    created_at = UTCDateTimeField()
    expires_at = UTCDateTimeField()
    used_at = UTCDateTimeField(null=True)
    revoked = pw.BooleanField(default=False)


class AccessToken(BaseModel):
    """A bearer token, stored as a digest; ``expires_at`` is null only by an admin's choice."""

    token_hash = pw.CharField(max_length=64, unique=True)
    token_hint = pw.CharField(max_length=8, default="")
    client = pw.ForeignKeyField(Client, backref="access_tokens", on_delete="CASCADE")
    user = pw.ForeignKeyField(User, backref="access_tokens", null=True, on_delete="CASCADE")
    auth_code = pw.ForeignKeyField(
        AuthCode, backref="access_tokens", null=True, on_delete="SET NULL"
    )
    name = pw.CharField(max_length=255, default="")
    scopes = pw.TextField(default="")
    grant_type = pw.CharField(max_length=40)
    created_at = UTCDateTimeField(index=True)
    expires_at = UTCDateTimeField(null=True, index=True)
    revoked = pw.BooleanField(default=False)
    revoked_at = UTCDateTimeField(null=True)
    last_used_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = (
            # Covers "live tokens of these clients" (counts, sort by active tokens).
            (("client", "revoked", "expires_at"), False),
        )


class RefreshToken(BaseModel):
    """A refresh token; rotation links each one to its ``family`` for reuse detection."""

    token_hash = pw.CharField(max_length=64, unique=True)
    access_token = pw.ForeignKeyField(AccessToken, backref="refresh_tokens", on_delete="CASCADE")
    family = pw.CharField(max_length=64, index=True)
    created_at = UTCDateTimeField()
    expires_at = UTCDateTimeField()
    used_at = UTCDateTimeField(null=True)
    revoked = pw.BooleanField(default=False)


class AuditEvent(BaseModel):
    """Who did what to which object; never a secret, a token or a password."""

    at = UTCDateTimeField(index=True)
    actor = pw.CharField(max_length=150)
    action = pw.CharField(max_length=64)
    object_type = pw.CharField(max_length=32)
    object_id = pw.CharField(max_length=64, default="")
    detail = pw.TextField(default="")


class FailedAttempt(BaseModel):
    """A failed password or client-secret check, for brute-force limits across processes."""

    kind = pw.CharField(max_length=16)
    """``password`` (keyed by username) or ``client`` (keyed by client id)."""
    key = pw.CharField(max_length=255)
    """HMAC-SHA256 (hex) of what was typed, under the database's own key: a
    password typed into the username field is never stored."""
    at = UTCDateTimeField()

    class Meta:
        indexes = ((("kind", "key", "at"), False),)


class Scope(BaseModel):
    """A scope the server knows (Passport's ``tokensCan``): nothing else may be asked for."""

    name = pw.CharField(max_length=100, unique=True)
    description = pw.TextField(default="")
    created_at = UTCDateTimeField()


class Setting(BaseModel):
    """Small per-database values, such as the key of the failed-attempt hashes."""

    name = pw.CharField(max_length=64, unique=True)
    value = pw.TextField()


class BrowserSession(BaseModel):
    """A browser signed in at ``/oauth/authorize``, so any process can serve its next page.

    The row is written only when a sign-in form succeeds (the pages before it
    keep no state), and is dead as soon as its user is gone, inactive, locked
    or in another session generation (``store.browser_sessions``).
    """

    id = pw.CharField(max_length=64, primary_key=True)
    """SHA-256 of the cookie value: a copy of the table signs no one in."""
    user = pw.ForeignKeyField(User, null=True, on_delete="CASCADE")
    generation = pw.IntegerField(null=True)
    """The user's ``session_generation`` at sign-in."""
    address_key = pw.CharField(max_length=64, index=True)
    """Keyed digest of the browser's address, for the per-address cap."""
    answered = pw.TextField(default="")
    """Nonces of the consent forms already answered here (a form decides once)."""
    created_at = UTCDateTimeField()
    last_seen_at = UTCDateTimeField()
    expires_at = UTCDateTimeField(index=True)
    """Absolute end: no activity extends it."""
    idle_expires_at = UTCDateTimeField()
    """``last_seen_at`` plus the idle timeout, never past ``expires_at``."""


class DeviceRequest(BaseModel):
    """A device authorization request (RFC 8628): a device code (as a digest) and its user code.

    ``status`` moves once from ``pending`` to ``approved`` or ``denied``, and once from
    ``approved`` to ``used`` when the device receives its tokens (``store.devices``).
    """

    device_code_hash = pw.CharField(max_length=64, unique=True)
    user_code = pw.CharField(max_length=16, unique=True)
    """Normalised (``BCDFGHJK``): what a person types is compared after the same folding."""
    client = pw.ForeignKeyField(Client, backref="device_requests", on_delete="CASCADE")
    scopes = pw.TextField(default="")
    status = pw.CharField(max_length=10, default="pending")
    interval = pw.IntegerField(default=5)
    """Seconds between polls; ``slow_down`` adds 5 (RFC 8628 §3.5)."""
    last_polled_at = UTCDateTimeField(null=True)
    user = pw.ForeignKeyField(User, null=True, on_delete="CASCADE")
    user_generation = pw.IntegerField(null=True)
    """The approver's session generation: a password change before the device polls ends it."""
    decided_by = pw.CharField(max_length=150, default="")
    decided_at = UTCDateTimeField(null=True)
    access_token = pw.ForeignKeyField(AccessToken, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField()
    expires_at = UTCDateTimeField(index=True)

    class Meta:
        indexes = (
            # The pending list: undecided rows, newest first, expiry filtered.
            (("status", "expires_at"), False),
        )


ALL_MODELS: list[type[BaseModel]] = [
    User,
    Client,
    AuthCode,
    AccessToken,
    RefreshToken,
    AuditEvent,
    FailedAttempt,
    Scope,
    Setting,
    BrowserSession,
    DeviceRequest,
]
