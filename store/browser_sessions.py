"""Sign-in sessions of the authorization pages, kept in the database so every process shares them.

A row is written only when a sign-in succeeds, keyed by the SHA-256 of the
cookie value (a copy of the table signs no one in). Every read checks, in the
same query, that the user still exists, is active, is not locked and is in
the session generation the row began in: a password change, deactivation or
deletion in any process ends the session everywhere (RFC 9700 §4.14.2). A
row lives at most ``absolute`` seconds; activity moves its idle end, never
past that. Rows are capped per address and per user (the oldest goes) and in
total (a new sign-in is refused rather than signing anyone else out).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import peewee as pw

from authclients.store import crypto
from authclients.store.models import BrowserSession, User

if TYPE_CHECKING:
    from authclients.store.service import Store

FORM_KEY_SETTING = "browser_form_key"
"""The ``setting`` row holding the HMAC key of the sign-in pages' form tokens."""
ABSOLUTE_LIFETIME = 12 * 3600
"""Seconds a sign-in lasts whatever the activity."""
IDLE_TIMEOUT = 30 * 60
"""Seconds without a request before a session ends."""
TOUCH_EVERY = 60
"""Seconds between two writes of ``last_seen_at``: a page view is a read, not a write each time."""
PER_ADDRESS = 20
"""Live sessions per browser address; the oldest goes when a new one starts."""
PER_USER = 20
"""Live sessions per user; the oldest goes when a new one starts."""
TOTAL = 100_000
"""Live sessions in all; past it new sign-ins wait (nobody is signed out to make room)."""
PURGE_BATCH = 500
"""Expired rows removed per purge, so a purge is always a short write."""
ANSWERED_KEPT = 20
"""Answered consent-form nonces remembered per session (as many as open tabs)."""


class SessionsFull(Exception):
    """The table holds ``TOTAL`` live sessions even after a purge: retry later."""


@dataclass(frozen=True)
class LiveSession:
    """A session that passed every check just now.

    Attributes:
        key: the row id (SHA-256 of the cookie value).
        user_id: the signed-in user.
        username: their name, for the consent page.
        answered: nonces of the consent forms already decided in this session.
    """

    key: str
    user_id: int
    username: str
    answered: tuple[str, ...]
    signed_in_at: datetime | None = None
    """When the sign-in happened (the ID token's ``auth_time``; ``max_age`` is measured from it)."""


class BrowserSessionStore:
    """Start, find, end and purge sign-in sessions; every call is plain synchronous SQL."""

    def __init__(
        self,
        store: Store,
        *,
        absolute: int = ABSOLUTE_LIFETIME,
        idle: int = IDLE_TIMEOUT,
        per_address: int = PER_ADDRESS,
        per_user: int = PER_USER,
        total: int = TOTAL,
    ) -> None:
        self.store = store
        self.absolute = timedelta(seconds=absolute)
        self.idle = timedelta(seconds=idle)
        self.per_address = per_address
        self.per_user = per_user
        self.total = total
        self._form_key: str | None = None

    def form_key(self) -> bytes:
        """The per-database key of the stateless form tokens (made on first use, shared by
        every process on the database so any of them can check a form another one served)."""
        if self._form_key is None:
            self._form_key = self.store.settings.get_or_create(  # type: ignore[attr-defined]
                FORM_KEY_SETTING, secrets.token_hex(32)
            )
        return self._form_key.encode("ascii")

    @staticmethod
    def key_of(value: str) -> str:
        """The row id of a cookie value."""
        return crypto.digest(value)

    def address_key(self, address: str) -> str:
        """A keyed digest of a browser's address: the cap needs equality, not the address."""
        return crypto.keyed_digest(self.form_key().decode("ascii"), f"address:{address}")

    def start(self, user_id: int, generation: int, address: str) -> str:
        """A new session of ``user_id`` begun in ``generation``; returns the cookie value.

        Raises ``SessionsFull`` when ``TOTAL`` live sessions remain after a purge.
        """
        value = secrets.token_urlsafe(32)
        now = self.store.clock.now()
        address_key = self.address_key(address)
        self.purge_expired(now)
        with self.store.atomic():
            live = BrowserSession.expires_at > now
            if BrowserSession.select().where(live).count() >= self.total:
                raise SessionsFull("Too many people are signed in right now; try again later.")
            self._drop_oldest(live & (BrowserSession.address_key == address_key), self.per_address)
            self._drop_oldest(live & (BrowserSession.user == user_id), self.per_user)
            expires = now + self.absolute
            BrowserSession.insert(
                id=crypto.digest(value),
                user=user_id,
                generation=generation,
                address_key=address_key,
                created_at=now,
                last_seen_at=now,
                expires_at=expires,
                idle_expires_at=min(now + self.idle, expires),
            ).execute()
        return value

    def find(self, value: str | None) -> LiveSession | None:
        """The live session this cookie value names, checked against its user; None if dead.

        A dead session's row is deleted on the spot: it can never come back.
        """
        if not value or len(value) > 128:
            return None
        key = crypto.digest(value)
        now = self.store.clock.now()
        row = (
            BrowserSession.select(
                BrowserSession.user,
                BrowserSession.generation,
                BrowserSession.answered,
                BrowserSession.last_seen_at,
                BrowserSession.expires_at,
                BrowserSession.idle_expires_at,
                BrowserSession.created_at,
                User.username,
                User.active,
                User.locked_at,
                User.session_generation,
            )
            .join(User, pw.JOIN.LEFT_OUTER, on=(BrowserSession.user == User.id))
            .where(BrowserSession.id == key)
            .tuples()
            .first()
        )
        if row is None:
            return None
        (user_id, generation, answered, last_seen, expires, idle_expires, signed_in) = row[:7]
        username, active, locked_at, user_generation = row[7:]
        alive = (
            user_id is not None
            and username is not None  # the user still exists
            and active
            and locked_at is None
            and generation == user_generation
            and now < expires
            and now < idle_expires
        )
        if not alive:
            self._delete(key)
            return None
        if now - last_seen >= timedelta(seconds=TOUCH_EVERY):
            self._touch(key, now, expires)
        return LiveSession(key, user_id, username, tuple(answered.split()), signed_in)

    def end(self, value: str | None) -> None:
        """Sign out (or replace) the session this cookie value names, if any."""
        if value and len(value) <= 128:
            self._delete(crypto.digest(value))

    def mark_answered(self, key: str, nonce: str) -> bool:
        """Record that the consent form ``nonce`` was decided; False if it already was.

        The row is read again under the write transaction (locked on PostgreSQL),
        so two processes answering the same form at once cannot both succeed.
        """
        with self.store.atomic():
            query = BrowserSession.select(BrowserSession.answered).where(BrowserSession.id == key)
            if not isinstance(self.store.db, pw.SqliteDatabase):
                query = query.for_update()
            answered = query.scalar()
            if answered is None:
                return False
            seen = answered.split()
            if nonce in seen:
                return False
            seen = [*seen, nonce][-ANSWERED_KEPT:]
            BrowserSession.update(answered=" ".join(seen)).where(BrowserSession.id == key).execute()
        return True

    def purge_expired(self, now: datetime | None = None, limit: int = PURGE_BATCH) -> int:
        """Delete up to ``limit`` rows past their absolute or idle end; returns how many."""
        now = now or self.store.clock.now()
        dead = (BrowserSession.expires_at <= now) | (BrowserSession.idle_expires_at <= now)
        batch = BrowserSession.select(BrowserSession.id).where(dead).limit(limit)
        with self.store.atomic():
            return BrowserSession.delete().where(BrowserSession.id.in_(batch)).execute()

    def count(self) -> int:
        """Rows in the table, live or not yet purged."""
        return BrowserSession.select().count()

    def _drop_oldest(self, where: pw.Expression, keep_below: int) -> None:
        """Delete the oldest rows matching ``where`` so that one more stays within the cap."""
        ids = [
            key
            for (key,) in BrowserSession.select(BrowserSession.id)
            .where(where)
            .order_by(BrowserSession.created_at.desc(), BrowserSession.id)
            .offset(max(keep_below - 1, 0))
            .tuples()
        ]
        if ids:
            BrowserSession.delete().where(BrowserSession.id.in_(ids)).execute()

    def _touch(self, key: str, now: datetime, expires: datetime) -> None:
        with self.store.atomic():
            BrowserSession.update(
                last_seen_at=now, idle_expires_at=min(now + self.idle, expires)
            ).where(BrowserSession.id == key).execute()

    def _delete(self, key: str) -> None:
        with self.store.atomic():
            BrowserSession.delete().where(BrowserSession.id == key).execute()
