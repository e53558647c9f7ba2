"""The event loop's own SQLite connection: the token batches it commits, and a clock of
everyone else's commits.

The loop used its Peewee connection for its batches. A connection of its own,
opened on the same file, changes three things:

- ``busy_timeout`` is 0 for good: the loop never sleeps in SQLite's busy
  handler (another process writing sends the batch to the writer thread),
  without two ``PRAGMA busy_timeout`` statements around every batch;
- ``wal_autocheckpoint`` is 0: SQLite's automatic checkpoint (copying the WAL
  back into the file, then an fsync) ran inside one of the loop's COMMITs every
  ~1,000 pages and held the loop for up to ~20 ms; the writer thread runs
  the checkpoints instead (``GroupCommitter``), with the GIL released;
- ``data_version`` (``PRAGMA data_version``) changes whenever *another*
  connection commits: the console, a CLI, a pool thread, the writer thread,
  another process, the loop's own Peewee connection. The loop's token batches
  on this connection leave it alone, so what the loop read from the client and
  scope tables stays true while it holds (``store.stable_reads``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator, Sequence

import peewee as pw

from authclients.store.db import SQLITE_PRAGMAS
from authclients.store.pinned_sqlite import PinnedSqliteDatabase

LOOP_CACHE_KIB = 64 * 1024
"""The loop's page cache: 64 MiB at most. Measured against the default (2 MiB) with
``tests/bench/bench_cpu_per_token.py --runs 3``, ~150k tokens per run: 141-147 µs
per token against 150-160, interleaved (``mmap_size`` instead: 149-163)."""

_PRAGMAS = (
    "PRAGMA busy_timeout = 0",
    f"PRAGMA foreign_keys = {SQLITE_PRAGMAS['foreign_keys']}",
    f"PRAGMA synchronous = {SQLITE_PRAGMAS['synchronous']}",
    f"PRAGMA temp_store = {SQLITE_PRAGMAS['temp_store']}",
    "PRAGMA wal_autocheckpoint = 0",
    f"PRAGMA journal_size_limit = {SQLITE_PRAGMAS['journal_size_limit']}",
    # Every token lands on a random leaf of the token digest's index: with SQLite's
    # default 2 MiB of cache the loop read most of them back from the file (a pread
    # each) once a few hundred thousand tokens were in. Grows only as pages are used.
    f"PRAGMA cache_size = -{LOOP_CACHE_KIB}",
)


class LoopConnection:
    """A plain ``sqlite3`` connection to the store's file, used on the event loop only.

    ``check_same_thread`` is off so that whoever stops the endpoint may close
    it; every other call comes from the loop's thread.
    """

    def __init__(self, path: str, *, uri: bool = False) -> None:
        self._conn = sqlite3.connect(
            path, timeout=0, isolation_level=None, check_same_thread=False, uri=uri
        )
        try:
            for pragma in _PRAGMAS:
                self._conn.execute(pragma).close()
        except BaseException:
            self._conn.close()
            raise

    @classmethod
    def open_beside(cls, db: pw.Database) -> LoopConnection | None:
        """A connection to the same file as ``db``'s, or None (not SQLite, or in memory).

        The file must be the one ``db`` has open (a link swapped in since is
        refused, as ``store.db`` refuses it at opening), and in WAL mode.
        """
        if not isinstance(db, pw.SqliteDatabase) or db.database in ("", ":memory:"):
            return None
        uri = bool(db.connect_params.get("uri"))
        if uri and "mode=memory" in db.database:
            return None
        if isinstance(db, PinnedSqliteDatabase) and db.pinned is not None:
            # The file checked at opening, never created: the loop's own thread
            # connection may have been opened (by name) after a swap.
            opened = cls(db.pinned_uri(), uri=True)
            try:
                db.verify(opened._conn)
            except BaseException:
                opened.close()
                raise
        else:
            opened = cls(db.database, uri=uri)
        try:
            theirs = db.execute_sql("PRAGMA database_list").fetchone()
            ours = opened._conn.execute("PRAGMA database_list").fetchone()
            mode = opened._conn.execute("PRAGMA journal_mode").fetchone()
            if not theirs or not ours or not theirs[2] or theirs[2] != ours[2]:
                raise sqlite3.DatabaseError("the database file changed since the store opened it")
            if str(mode[0]).lower() != "wal" or not os.path.isfile(ours[2]):
                raise sqlite3.DatabaseError("the database is not a file in WAL mode")
        except BaseException:
            opened.close()
            raise
        return opened

    def data_version(self) -> int:
        """Changes whenever another connection has committed since the last call."""
        with pw.__exception_wrapper__:
            return self._conn.execute("PRAGMA data_version").fetchone()[0]

    def execute(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Cursor:
        """Run ``sql``; SQLite's errors come out as Peewee's (the routes map those to 503)."""
        with pw.__exception_wrapper__:
            return self._conn.execute(sql, params)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (busy at once if taken)."""
        self.execute("BEGIN IMMEDIATE").close()
        try:
            yield
            self.execute("COMMIT").close()
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._conn.close()
