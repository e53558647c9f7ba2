"""What the event loop read from the client and scope tables, kept until anyone else commits.

Each client_credentials request read its client (with its recent failures)
and the scopes it asked for: two statements, a third of the loop's SQL time.
Those rows change only by a commit of another connection than the loop's own
(``store.loop_connection``): the console, a CLI, the pool, the writer thread,
another process, the loop's Peewee connection (a failed secret is recorded
there). SQLite's ``data_version`` on the loop's connection changes with every
such commit, so one ``PRAGMA data_version`` per turn of the loop
(``HotPath.stable_reads`` asks ``recheck``) decides whether everything kept is
still what a read would return; if not, all of it goes.

A value read while another commit lands is kept under the version read before
it, so the next recheck throws it away: a request sees what a read made at the
start of its turn of the loop would have seen.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

MAX_ENTRIES = 1024
"""Kept values at most; past it everything goes (a client id scan cannot grow memory)."""

_MISSING = object()


class StableReads:
    """Values keyed by what was asked, valid while ``version()`` returns the same number."""

    def __init__(self, version: Callable[[], int]) -> None:
        self._version = version
        self._seen: int | None = None
        self._values: dict[Hashable, object] = {}
        self.hits = 0
        self.misses = 0

    def get(
        self,
        key: Hashable,
        read: Callable[[], T],
        *,
        keep: Callable[[T], bool],
    ) -> T:
        """The value kept for ``key`` if nothing was committed before the last ``recheck``;
        else ``read()``.

        ``keep`` says whether a value read may be kept: a value that goes stale
        without a commit (a count over a sliding window) must not be.
        """
        value = self._values.get(key, _MISSING)
        if value is not _MISSING:
            self.hits += 1
            return value  # type: ignore[return-value]
        self.misses += 1
        value = read()
        if keep(value):
            if len(self._values) >= MAX_ENTRIES:
                self._values.clear()
            self._values[key] = value
        return value

    def recheck(self) -> None:
        """Forget everything if another connection has committed since the last look."""
        version = self._version()
        if version != self._seen:
            self._values.clear()
            self._seen = version

    def clear(self) -> None:
        self._values.clear()
        self._seen = None
