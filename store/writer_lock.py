"""This process's queue for SQLite's single writer, shared by every ``Store`` over one database.

SQLite allows one writer per file; when threads of one process collide, its
busy handler sleeps 1-100 ms between retries. Queuing our own writers on a
lock is far cheaper, and it has to be one lock for the whole process (the
console's writes, the endpoint's, the group committer's), or they still meet
in SQLite's busy handler. Other processes still meet SQLite's busy timeout.
PostgreSQL has row locks and no such queue: there the lock is not taken.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import peewee as pw

_locks: weakref.WeakKeyDictionary[pw.Database, threading.RLock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def writer_lock(db: pw.Database) -> threading.RLock | None:
    """The one writer lock of ``db`` in this process; None when ``db`` is not SQLite."""
    if not isinstance(db, pw.SqliteDatabase):
        return None
    with _locks_guard:
        lock = _locks.get(db)
        if lock is None:
            # Re-entrant: a write transaction calls other writers (deleting a client
            # revokes its tokens inside the same transaction).
            lock = _locks[db] = threading.RLock()
        return lock


@contextmanager
def holding(lock: threading.RLock | None) -> Iterator[None]:
    """Hold ``lock`` if there is one."""
    if lock is None:
        yield
        return
    with lock:
        yield
