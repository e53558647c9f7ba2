"""Brute-force limits on passwords and client secrets, kept in the database.

After ``limit`` failures for one key within ``window``, further attempts are
refused before any bcrypt or secret check runs: ``RateLimited``, which the
OAuth layer answers with 429 and ``Retry-After``.
The failures live in the ``failed_attempt`` table, so a lock-out holds across
processes sharing one database (RFC 6749 §10.10, RFC 6819 §5.1.4.2.3). The
bound on bcrypt runs while a lock-out builds up is per process (see ``slot``):
N processes allow about N times as many.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from authclients.store.context import StoreContext
from authclients.store.crypto import keyed_digest
from authclients.store.errors import RateLimited
from authclients.store.models import FailedAttempt

KIND_PASSWORD = "password"
"""Failed resource-owner passwords, keyed by the username presented."""
KIND_CLIENT = "client"
"""Failed client secrets, keyed by the client id presented."""

DEFAULT_LIMIT = 5
DEFAULT_WINDOW = timedelta(minutes=1)
KEY_MAX = 255


@dataclass
class _Gate:
    """The bcrypt slots of one key, dropped when no attempt holds or waits for one."""

    semaphore: threading.BoundedSemaphore
    users: int = 0


class RateLimiter:
    """Counts failures per key in a sliding window and refuses further attempts.

    Only real failures count: a read-only check before the (bcrypt or
    SHA-256) comparison, a row after a failure, the rows of a key dropped
    after its success. Passwords also pass through ``slot`` so that
    concurrent attempts cannot run bcrypt far beyond the limit.
    """

    def __init__(
        self,
        store: StoreContext,
        *,
        limit: int = DEFAULT_LIMIT,
        window: timedelta = DEFAULT_WINDOW,
    ) -> None:
        self._store = store
        self.limit = limit
        self.window = window
        self._gates: dict[tuple[str, str], _Gate] = {}
        self._gates_lock = threading.Lock()

    # -- client secrets: check, then record on failure ------------------------

    def check(self, kind: str, key: str) -> int:
        """Raise ``RateLimited`` if ``key`` is locked out; else return failures in the window."""
        now = self._store.clock.now()
        recent = self._recent(kind, key, now, self.limit)
        if len(recent) >= self.limit:
            raise self._slow_down(kind, recent[self.limit - 1], now)
        return len(recent)

    def record_failure(self, kind: str, key: str) -> None:
        with self._store.writing():
            FailedAttempt.create(
                kind=kind, key=self._stored_key(kind, key), at=self._store.clock.now()
            )

    def clear(self, kind: str, key: str) -> None:
        """Forget the failures of ``key`` (after a success, so a user is not locked out later)."""
        with self._store.writing():
            FailedAttempt.delete().where(
                (FailedAttempt.kind == kind) & (FailedAttempt.key == self._stored_key(kind, key))
            ).execute()

    # -- passwords: a bounded number of bcrypt checks in flight -------------------

    @contextmanager
    def slot(self, kind: str, key: str) -> Iterator[None]:
        """Hold one of ``limit`` in-process slots for checking ``key``.

        A failure is recorded only once bcrypt has answered, so concurrent
        attempts could otherwise all start before the first one counts. With
        at most ``limit`` checks in flight per key and the count read again
        inside the slot, a key gets at most ``2 * limit - 1`` bcrypt runs a
        window per process, however many connections attack it; honest
        concurrent sign-ins of one user merely queue, they are never refused.
        """
        gate_key = (kind, _key(key))
        with self._gates_lock:
            gate = self._gates.get(gate_key)
            if gate is None:
                gate = self._gates[gate_key] = _Gate(threading.BoundedSemaphore(self.limit))
            gate.users += 1
        try:
            with gate.semaphore:
                yield
        finally:
            with self._gates_lock:
                gate.users -= 1
                if gate.users == 0:
                    del self._gates[gate_key]

    # -- internals --------------------------------------------------------------

    def _recent(self, kind: str, key: str, now: datetime, limit: int) -> list[tuple[int, datetime]]:
        """(id, at) of the newest failures within the window, newest first (one indexed read)."""
        query = (
            FailedAttempt.select(FailedAttempt.id, FailedAttempt.at)
            .where(
                (FailedAttempt.kind == kind)
                & (FailedAttempt.key == self._stored_key(kind, key))
                & (FailedAttempt.at > now - self.window)
            )
            .order_by(FailedAttempt.at.desc())
            .limit(limit)
        )
        return [(row.id, row.at) for row in query]

    def _stored_key(self, kind: str, key: str) -> str:
        """A username is kept as a keyed hash: what was typed may have been a password."""
        if kind == KIND_PASSWORD:
            return keyed_digest(self._store.settings.attempt_key(), key)
        return _key(key)

    def _slow_down(
        self, kind: str, oldest: tuple[int, datetime] | datetime, now: datetime
    ) -> RateLimited:
        at = oldest[1] if isinstance(oldest, tuple) else oldest
        wait = math.ceil((at + self.window - now).total_seconds())
        what = (
            "password attempts for this username"
            if kind == KIND_PASSWORD
            else ("client authentication attempts for this client")
        )
        return RateLimited(f"Too many failed {what}; try again in {max(1, wait)} s.", max(1, wait))


def _key(key: str) -> str:
    return key[:KEY_MAX]
