"""Brute-force limits on passwords and client secrets, kept in the database.

After ``limit`` failures for one key within ``window``, further attempts are
refused with 429 and ``Retry-After`` before any bcrypt or secret check runs.
The state is the ``failed_attempt`` table, so it holds across processes
sharing one database (RFC 6749 §10.10, RFC 6819 §5.1.4.2.3).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from store.models import FailedAttempt
from store.oauth_errors import SlowDown

if TYPE_CHECKING:
    from store.service import Store

KIND_PASSWORD = "password"
"""Failed resource-owner passwords, keyed by the username presented."""
KIND_CLIENT = "client"
"""Failed client secrets, keyed by the client id presented."""

DEFAULT_LIMIT = 5
DEFAULT_WINDOW = timedelta(minutes=1)
KEY_MAX = 255


class RateLimiter:
    """Counts failures per key in a sliding window and refuses further attempts.

    Two strategies, chosen by what a check costs:

    * passwords (bcrypt, ~250 ms at cost 12): an attempt *reserves* its row
      before bcrypt runs and counts afterwards, so even concurrent attempts,
      from any process, never run more than ``limit`` bcrypt checks a window;
    * client secrets (one SHA-256): a read-only check before the compare and a
      row only on failure, so the success path costs one indexed read.
    """

    def __init__(
        self,
        store: Store,
        *,
        limit: int = DEFAULT_LIMIT,
        window: timedelta = DEFAULT_WINDOW,
    ) -> None:
        self._store = store
        self.limit = limit
        self.window = window

    # -- client secrets: check, then record on failure ------------------------

    def check(self, kind: str, key: str) -> int:
        """Raise ``SlowDown`` if ``key`` is locked out; else return failures in the window."""
        now = self._store.clock.now()
        recent = self._recent(kind, key, now, self.limit)
        if len(recent) >= self.limit:
            raise self._slow_down(kind, recent[self.limit - 1], now)
        return len(recent)

    def record_failure(self, kind: str, key: str) -> None:
        FailedAttempt.create(kind=kind, key=_key(key), at=self._store.clock.now())

    def clear(self, kind: str, key: str) -> None:
        """Forget the failures of ``key`` (after a success, so a user is not locked out later)."""
        FailedAttempt.delete().where(
            (FailedAttempt.kind == kind) & (FailedAttempt.key == _key(key))
        ).execute()

    # -- passwords: reserve before bcrypt ---------------------------------------

    def reserve(self, kind: str, key: str) -> int:
        """Count this attempt as a failure before it is checked; returns the row id.

        The row is inserted (and committed) first and the window counted
        afterwards: of concurrent attempts, the n-th to commit sees at least n
        rows, so at most ``limit`` get through, on SQLite and PostgreSQL alike.
        A refused attempt removes its row, so a lock-out ends ``window`` after
        the last real failure even under a continuous attack.
        """
        now = self._store.clock.now()
        row_id = FailedAttempt.insert(kind=kind, key=_key(key), at=now).execute()
        recent = self._recent(kind, key, now, self.limit + 1)
        if len(recent) > self.limit:
            FailedAttempt.delete().where(FailedAttempt.id == row_id).execute()
            others = [at for attempt_id, at in recent if attempt_id != row_id]
            raise self._slow_down(kind, others[self.limit - 1], now)
        return row_id

    def succeeded(self, kind: str, key: str) -> None:
        """The reserved attempt was right: drop it and the earlier failures of ``key``."""
        self.clear(kind, key)

    def cancel(self, row_id: int) -> None:
        """The reserved attempt never reached its check (bad input, a crash): forget it."""
        FailedAttempt.delete().where(FailedAttempt.id == row_id).execute()

    # -- internals --------------------------------------------------------------

    def _recent(self, kind: str, key: str, now: datetime, limit: int) -> list[tuple[int, datetime]]:
        """(id, at) of the newest failures within the window, newest first (one indexed read)."""
        query = (
            FailedAttempt.select(FailedAttempt.id, FailedAttempt.at)
            .where(
                (FailedAttempt.kind == kind)
                & (FailedAttempt.key == _key(key))
                & (FailedAttempt.at > now - self.window)
            )
            .order_by(FailedAttempt.at.desc())
            .limit(limit)
        )
        return [(row.id, row.at) for row in query]

    def _slow_down(
        self, kind: str, oldest: tuple[int, datetime] | datetime, now: datetime
    ) -> SlowDown:
        at = oldest[1] if isinstance(oldest, tuple) else oldest
        wait = math.ceil((at + self.window - now).total_seconds())
        what = (
            "password attempts for this username"
            if kind == KIND_PASSWORD
            else ("client authentication attempts for this client")
        )
        return SlowDown(
            f"Too many failed {what}; try again in {max(1, wait)} s.", retry_after=max(1, wait)
        )


def _key(key: str) -> str:
    return key[:KEY_MAX]
