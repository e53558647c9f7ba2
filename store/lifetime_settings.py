"""Token lifetimes an admin sets without code: durations, their allowed ranges, the defaults.

The defaults live in the ``setting`` table, so the console, the CLI and every
``serve`` process agree. Issuing a token must not cost a read of them: each
``Store`` keeps what it read last and reads again at most every
``REFRESH_SECONDS`` (one indexed query for the four rows), so a change made
by ``authclients settings set`` reaches a running ``serve`` within that time,
and the process that made it at once.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import peewee as pw

from authclients.store.errors import ValidationError
from authclients.store.models import Setting
from authclients.store.records import LIFETIME_KINDS, ClientLifetimes, Lifetimes

if TYPE_CHECKING:
    from authclients.store.context import StoreContext

REFRESH_SECONDS = 5.0
"""How stale a process's copy of the defaults may get before it reads them again."""

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400, "y": 365 * 86_400}
"""Duration units, as typed: ``90s``, ``15m``, ``1h``, ``30d``, ``2w``, ``1y`` (365 days)."""

_DURATION = re.compile(r"([0-9]{1,9})([smhdwy])")
"""ASCII digits only: ``str.isdigit`` would accept other scripts' digits."""

SETTING_PREFIX = "lifetime."
"""``setting`` rows: ``lifetime.access`` and so on, the value in whole seconds."""


@dataclass(frozen=True)
class LifetimeRule:
    """One kind of lifetime: what it is called where, and the range an admin may choose."""

    kind: str
    """The field of ``Lifetimes``."""
    key: str
    """The name in ``authclients settings`` and the client options (``--access-token-ttl``)."""
    label: str
    """What the Settings screen and ``settings show`` call it."""
    low: timedelta
    high: timedelta
    never_hint: str = ""
    """Why ``never`` is refused here, where the product has another way to say it."""

    @property
    def column(self) -> str:
        """The client's column holding its own value (``access_token_ttl``)."""
        return self.key.replace("-", "_")

    @property
    def range_text(self) -> str:
        return f"from {format_duration(self.low)} to {format_duration(self.high)}"


RULES: tuple[LifetimeRule, ...] = (
    LifetimeRule(
        "access", "access-token-ttl", "Access tokens", timedelta(minutes=1), timedelta(days=30)
    ),
    LifetimeRule(
        "refresh", "refresh-token-ttl", "Refresh tokens", timedelta(minutes=5), timedelta(days=365)
    ),
    LifetimeRule(
        "personal_access",
        "personal-token-ttl",
        "Personal access tokens",
        timedelta(days=1),
        timedelta(days=3650),
        never_hint="a personal token that never expires is chosen for that token when it is made "
        "(tokens create-pat --expires-in never)",
    ),
    LifetimeRule(
        "auth_code",
        "auth-code-ttl",
        "Authorization codes",
        timedelta(minutes=1),
        timedelta(minutes=10),
    ),
)
BY_KIND = {rule.kind: rule for rule in RULES}
BY_KEY = {rule.key: rule for rule in RULES}
assert tuple(BY_KIND) == LIFETIME_KINDS


def format_duration(value: timedelta) -> str:
    """The largest unit that says it exactly: ``1h``, ``30d``, ``90m``, ``1y``."""
    seconds = int(value.total_seconds())
    for unit in ("y", "w", "d", "h", "m"):
        size = UNITS[unit]
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_duration(text: str, rule: LifetimeRule) -> timedelta:
    """``15m``, ``1h``, ``30d`` … within the rule's range; a ``ValidationError`` on ``rule.key``
    that says the allowed range otherwise. The text is never echoed: it may be a pasted secret."""
    raw = (text or "").strip().lower()
    if raw == "never":
        why = rule.never_hint or f"{rule.label.lower()} always expire"
        raise ValidationError.single(
            rule.key, f"'never' is not allowed here: {why}; give a duration {rule.range_text}."
        )
    if "M" in (text or ""):
        # 6M would read as six minutes to us and six months to some admins: ask.
        raise ValidationError.single(
            rule.key,
            f"M is ambiguous: write m for minutes, or days such as 180d; {rule.range_text}.",
        )
    match = _DURATION.fullmatch(raw)
    if match is None:
        raise ValidationError.single(
            rule.key,
            f"Give a number and a unit (s, m, h, d, w or y), such as 15m, 1h or 30d, "
            f"{rule.range_text}.",
        )
    value = timedelta(seconds=int(match.group(1)) * UNITS[match.group(2)])
    check_range(value, rule)
    return value


def check_range(value: timedelta, rule: LifetimeRule) -> None:
    if value < rule.low:
        raise ValidationError.single(
            rule.key, f"At least {format_duration(rule.low)} ({rule.range_text})."
        )
    if value > rule.high:
        raise ValidationError.single(
            rule.key, f"At most {format_duration(rule.high)} ({rule.range_text})."
        )


class LifetimeSettings:
    """The database's default lifetimes: read, set, and a cached copy for issuing tokens.

    Args:
        store: the store whose ``setting`` table holds them.
        fixed: lifetimes given in code (tests, benchmarks): used as they are, never read.
    """

    def __init__(self, store: StoreContext, fixed: Lifetimes | None = None) -> None:
        self._store = store
        self._fixed = fixed
        self._cached: Lifetimes | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def current(self) -> Lifetimes:
        """The defaults as of at most ``REFRESH_SECONDS`` ago (no query in between)."""
        if self._fixed is not None:
            return self._fixed
        cached = self._cached
        if cached is not None and time.monotonic() - self._read_at < REFRESH_SECONDS:
            return cached
        with self._lock:
            try:
                fresh = self._read()
            except pw.DatabaseError:
                # A locked or busy database: issuing goes on with what was read last.
                if cached is not None:
                    return cached
                raise
            self._cached, self._read_at = fresh, time.monotonic()
            return fresh

    def stored(self) -> dict[str, timedelta | None]:
        """Each kind's value as set in the database; None where the built-in default applies."""
        rows = Setting.select(Setting.name, Setting.value).where(
            Setting.name.in_([SETTING_PREFIX + kind for kind in LIFETIME_KINDS])
        )
        found = {row.name.removeprefix(SETTING_PREFIX): row.value for row in rows}
        values: dict[str, timedelta | None] = {}
        for kind in LIFETIME_KINDS:
            values[kind] = _seconds(found.get(kind), BY_KIND[kind])
        return values

    def set(self, changes: dict[str, timedelta | None]) -> Lifetimes:
        """Store new defaults (None: back to the built-in one); every value is checked first.

        Args:
            changes: kind → its new lifetime, for the kinds to change.

        Returns:
            The defaults now in force.
        """
        errors: dict[str, str] = {}
        for kind, value in changes.items():
            rule = BY_KIND.get(kind)
            if rule is None:
                raise ValidationError.single("setting", f"No lifetime called {kind!r}.")
            if value is not None:
                try:
                    check_range(value, rule)
                except ValidationError as exc:
                    errors.update(exc.errors)
        if errors:
            raise ValidationError(errors)
        with self._store.atomic():
            for kind, value in changes.items():
                name = SETTING_PREFIX + kind
                if value is None:
                    Setting.delete().where(Setting.name == name).execute()
                    shown = "default"
                else:
                    seconds = str(int(value.total_seconds()))
                    # One statement: two processes setting it at once both succeed, last wins.
                    Setting.insert(name=name, value=seconds).on_conflict(
                        conflict_target=[Setting.name], update={Setting.value: seconds}
                    ).execute()
                    shown = format_duration(value)
                self._store.audit.record("settings.set", "setting", BY_KIND[kind].key, shown)
        with self._lock:
            self._cached = None  # this process sees its own change at once
        return self.current()

    def _read(self) -> Lifetimes:
        built_in = Lifetimes()
        stored = self.stored()
        return Lifetimes(
            **{kind: stored[kind] or getattr(built_in, kind) for kind in LIFETIME_KINDS}
        )


def _seconds(value: str | None, rule: LifetimeRule) -> timedelta | None:
    """A stored value; one out of range or garbled (written behind our back) is ignored."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 12:
        return None
    lifetime = timedelta(seconds=int(value))
    if not rule.low <= lifetime <= rule.high:
        return None
    return lifetime


def client_lifetimes(seconds: Sequence[object]) -> ClientLifetimes:
    """A client's own lifetimes from its four columns, in ``RULES`` order.

    A value outside its range (written behind our back) counts as unset, so
    no row can make a token live longer than an admin could choose.
    """
    values: dict[str, timedelta | None] = {}
    for rule, raw in zip(RULES, seconds, strict=True):
        value = timedelta(seconds=raw) if isinstance(raw, int) and raw > 0 else None
        values[rule.kind] = value if value is not None and rule.low <= value <= rule.high else None
    return ClientLifetimes(**values)


def row_lifetimes(row: object) -> ClientLifetimes:
    """``client_lifetimes`` of a ``Client`` row."""
    return client_lifetimes([getattr(row, rule.column, None) for rule in RULES])
