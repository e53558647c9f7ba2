"""Brute-force limits on passwords and client secrets, kept in the database.

Client secrets: after ``limit`` failures for one client within ``window``,
further attempts are refused before the secret is compared.

Passwords escalate (RFC 6819 §5.1.4.2.3, RFC 9700 §4.15): failures of one
username come in runs of ``limit``; after run k the username waits
``window * 2**(k-1)`` (1 min, 2, 4 …, at most ``MAX_WAIT``), and after
``lock_after`` consecutive failures the account is locked until an admin
unlocks it (``users.locked_at``). Each source address may fail at most
``source_limit`` times per ``source_window`` across all usernames, so spraying
one password over many usernames meets a limit too. A success, or an
admin's unlock, starts the username afresh.

Refusals come before any bcrypt or secret check: ``RateLimited`` (429 with
``Retry-After``) or ``AccountLocked``. Everything lives in the
``failed_attempt`` table (and the user row), so limits hold across processes
sharing one database (RFC 6749 §10.10). The bound on bcrypt runs while a run
builds up is per process (see ``slot``): N processes allow about N times as many.
"""

from __future__ import annotations

import ipaddress
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import peewee as pw

from authclients.store.context import StoreContext
from authclients.store.crypto import keyed_digest
from authclients.store.errors import AccountLocked, RateLimited
from authclients.store.models import FailedAttempt, User

KIND_PASSWORD = "password"
"""Failed resource-owner passwords, keyed by the username presented."""
KIND_PASSWORD_RUN = "password_run"
"""One row per completed run of ``limit`` password failures, keyed like ``password``."""
KIND_SOURCE = "source"
"""Failed resource-owner passwords, keyed by the address they came from."""
KIND_CLIENT = "client"
"""Failed client secrets, keyed by the client id presented."""

DEFAULT_LIMIT = 5
"""Client secrets: failures per window. Passwords: failures per run."""
DEFAULT_WINDOW = timedelta(minutes=1)
"""Client secrets: the sliding window. Passwords: the wait after the first run."""
MAX_WAIT = timedelta(days=1)
"""The longest a username waits after a run (the doubling stops here)."""
DEFAULT_LOCK_AFTER = 30
"""Consecutive password failures after which the account is locked."""
DEFAULT_SOURCE_LIMIT = 20
"""Password failures one address may make, across all usernames, per ``source_window``."""
DEFAULT_SOURCE_WINDOW = timedelta(minutes=10)
KEY_MAX = 255
LOCKED_MESSAGE = "This account is locked after too many failed sign-ins; an admin must unlock it."


@dataclass(frozen=True)
class PasswordState:
    """Where a username stands before a password check.

    Attributes:
        runs: completed runs of failures (``users.failure_runs`` for a known user).
        in_run: failures since the last completed run.
    """

    runs: int = 0
    in_run: int = 0

    @property
    def clean(self) -> bool:
        """Nothing to forget after a success."""
        return not (self.runs or self.in_run)


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
        lock_after: int = DEFAULT_LOCK_AFTER,
        source_limit: int = DEFAULT_SOURCE_LIMIT,
        source_window: timedelta = DEFAULT_SOURCE_WINDOW,
        max_wait: timedelta = MAX_WAIT,
    ) -> None:
        self._store = store
        self.limit = limit
        self.window = window
        self.lock_after = lock_after
        self.source_limit = source_limit
        self.source_window = source_window
        self.max_wait = max_wait
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

    # -- passwords: escalating waits, a lock, a limit per source address ----------

    def check_password(self, username: str, source: str = "") -> PasswordState:
        """Raise ``RateLimited`` or ``AccountLocked`` if ``username`` may not be tried now.

        ``source`` (the client's address; empty when unknown) is refused after
        ``source_limit`` failures in ``source_window``, whoever they were for.
        An unknown username is treated as a known one would be, so waits and
        locks say nothing about which usernames exist.
        """
        now = self._store.clock.now()
        if source:
            self._check_source(source, now)
        key = self._stored_key(KIND_PASSWORD, username)
        user = self._user(username)
        last_run = self._last_run(key)
        if user is not None:
            runs, locked = user.failure_runs, user.locked_at is not None
        else:
            runs = self._count(KIND_PASSWORD_RUN, key)
            locked = False
        in_run = self._count(KIND_PASSWORD, key, after_id=last_run[0] if last_run else 0)
        if locked or runs * self.limit + in_run >= self.lock_after:
            raise AccountLocked(LOCKED_MESSAGE)
        if runs and last_run is not None:
            until = last_run[1] + self.wait_after(runs)
            if until > now:
                raise self._waiting(until, now)
        return PasswordState(runs=runs, in_run=in_run)

    def record_password_failure(self, username: str, source: str = "") -> None:
        """Count a wrong password; completes a run, or locks the account, when it is due."""
        now = self._store.clock.now()
        key = self._stored_key(KIND_PASSWORD, username)
        with self._store.atomic():
            FailedAttempt.create(kind=KIND_PASSWORD, key=key, at=now)
            if source:
                FailedAttempt.create(kind=KIND_SOURCE, key=source_key(source), at=now)
            user = self._user(username, lock=True)
            last_run = self._last_run(key)
            in_run = self._count(KIND_PASSWORD, key, after_id=last_run[0] if last_run else 0)
            runs = user.failure_runs if user else self._count(KIND_PASSWORD_RUN, key)
            if in_run < self.limit:
                if user is not None and runs * self.limit + in_run >= self.lock_after:
                    self._lock(user, now)
                return
            FailedAttempt.create(kind=KIND_PASSWORD_RUN, key=key, at=now)
            if user is None:
                return
            User.update(failure_runs=User.failure_runs + 1).where(User.id == user.id).execute()
            if (runs + 1) * self.limit >= self.lock_after:
                self._lock(user, now)

    def clear_password(self, username: str) -> None:
        """Forget a username's failures and runs (a success, or an admin's unlock).

        A source address's failures stay: one good password must not wipe a spray.
        """
        key = self._stored_key(KIND_PASSWORD, username)
        with self._store.atomic():
            FailedAttempt.delete().where(
                FailedAttempt.kind.in_([KIND_PASSWORD, KIND_PASSWORD_RUN])
                & (FailedAttempt.key == key)
            ).execute()
            User.update(failure_runs=0).where(
                (User.username == username.strip()) & (User.failure_runs != 0)
            ).execute()

    # -- guessed codes: counted per address with the wrong passwords -------------------

    def check_source(self, source: str) -> None:
        """Raise ``RateLimited`` once ``source`` failed ``source_limit`` times in the window:
        wrong passwords and wrong device user codes together (RFC 8628 §5.1)."""
        if source:
            self._check_source(source, self._store.clock.now())

    def record_source_failure(self, source: str) -> None:
        """Count a wrong guess (a device user code) against the address, like a password."""
        if not source:
            return
        with self._store.writing():
            FailedAttempt.create(
                kind=KIND_SOURCE, key=source_key(source), at=self._store.clock.now()
            )

    def wait_after(self, runs: int) -> timedelta:
        """How long a username waits after its ``runs``-th run: doubling, capped."""
        if runs <= 0:
            return timedelta(0)
        # 2**(runs-1) overflows timedelta long before the cap would not apply.
        if runs > 40:
            return self.max_wait
        return min(self.window * 2 ** (runs - 1), self.max_wait)

    def _check_source(self, source: str, now: datetime) -> None:
        query = (
            FailedAttempt.select(FailedAttempt.at)
            .where(
                (FailedAttempt.kind == KIND_SOURCE)
                & (FailedAttempt.key == source_key(source))
                & (FailedAttempt.at > now - self.source_window)
            )
            .order_by(FailedAttempt.at.desc())
            .limit(self.source_limit)
        )
        recent = [row.at for row in query]
        if len(recent) >= self.source_limit:
            until = recent[-1] + self.source_window
            seconds = max(1, math.ceil((until - now).total_seconds()))
            raise RateLimited(
                f"Too many failed sign-ins from this address; try again in {seconds} s.", seconds
            )

    def _user(self, username: str, *, lock: bool = False) -> User | None:
        query = User.select(User.id, User.failure_runs, User.locked_at).where(
            User.username == username.strip()
        )
        if lock and isinstance(self._store.db, pw.PostgresqlDatabase):
            # Concurrent failures of one user complete a run once, not twice.
            query = query.for_update()
        return query.first()

    def _last_run(self, key: str) -> tuple[int, datetime] | None:
        row = (
            FailedAttempt.select(FailedAttempt.id, FailedAttempt.at)
            .where((FailedAttempt.kind == KIND_PASSWORD_RUN) & (FailedAttempt.key == key))
            .order_by(FailedAttempt.id.desc())
            .first()
        )
        return (row.id, row.at) if row else None

    @staticmethod
    def _count(kind: str, key: str, *, after_id: int = 0) -> int:
        # Ids, not times: a run row and the failures after it may share one instant.
        return (
            FailedAttempt.select()
            .where(
                (FailedAttempt.kind == kind)
                & (FailedAttempt.key == key)
                & (FailedAttempt.id > after_id)
            )
            .count()
        )

    def _lock(self, user: User, now: datetime) -> None:
        User.update(locked_at=now).where((User.id == user.id) & User.locked_at.is_null()).execute()
        self._store.audit.record(
            "user.lock", "user", user.id, f"after {self.lock_after} consecutive failed sign-ins"
        )

    @staticmethod
    def _waiting(until: datetime, now: datetime) -> RateLimited:
        seconds = max(1, math.ceil((until - now).total_seconds()))
        return RateLimited(
            f"Too many failed password attempts for this username; try again in {seconds} s.",
            seconds,
        )

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
        if kind in (KIND_PASSWORD, KIND_PASSWORD_RUN):
            return keyed_digest(self._store.settings.attempt_key(), key.strip())
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


def source_key(source: str) -> str:
    """What a source address is counted under: an IPv6 address by its /64.

    One IPv6 host usually holds a whole /64, so counting single addresses
    would let it spray from 2**64 of them. An IPv4-mapped address counts as
    the IPv4 address it is.
    """
    try:
        address = ipaddress.ip_address(source.split("%", 1)[0])
    except ValueError:
        return _key(source)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
