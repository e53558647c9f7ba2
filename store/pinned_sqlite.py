"""A SQLite database whose every connection opens the very file that was checked at opening.

Peewee opens one connection per thread, by name, whenever a thread first
needs one: the endpoint's loop, its pool and the writer thread do so long
after ``store.db`` checked the path (no link, mode 0600) and refused a link
swapped in while it opened. A link or another file put at the path later was
followed by those threads (another user who can write the folder served the
endpoint from a database of theirs), and a file moved away left a new empty
one at its path (``no such table`` on every request, a stray 0644 file).
Once pinned, each new connection opens with ``mode=rw`` (never creates) and
must be the same file (device and inode) as the first; else it is refused.
"""

from __future__ import annotations

import os
import sqlite3
from urllib.parse import quote

import peewee as pw


class FileReplaced(pw.DatabaseError):
    """The file at the database's path is not the one opened first (a lasting fault: 500)."""


class PinnedSqliteDatabase(pw.SqliteDatabase):
    """``pw.SqliteDatabase`` whose connections, once ``pin``-ned, all open one file."""

    pinned: tuple[int, int] | None = None
    """(st_dev, st_ino) of the file the first connection opened; None before ``pin``."""
    _uri = ""

    def pin(self) -> None:
        """Remember the file this thread's connection has open (call once it was checked)."""
        pinned = _identity(self.connection())
        if pinned is None:
            raise FileReplaced(f"{self.database}: SQLite names no file for this database")
        # Absolute now: a later change of directory must not move the path.
        self._uri = f"file:{quote(os.path.abspath(self.database))}?mode=rw"
        self.pinned = pinned

    def pinned_uri(self) -> str:
        """The path as a ``file:`` URI that never creates the file (``?``, ``#`` quoted)."""
        return self._uri

    def verify(self, conn: sqlite3.Connection) -> None:
        """Raise ``FileReplaced`` unless ``conn`` has the pinned file open."""
        if self.pinned is not None and _identity(conn) != self.pinned:
            raise FileReplaced(
                f"{self.database} is not the file opened at start (moved, replaced or a "
                "link swapped in); refusing it: restart once the right file is back"
            )

    def _connect(self) -> sqlite3.Connection:
        if self.pinned is None:
            return super()._connect()
        try:
            conn = sqlite3.connect(
                self.pinned_uri(),
                timeout=self._timeout,
                isolation_level=None,
                uri=True,
                **{k: v for k, v in self.connect_params.items() if k != "uri"},
            )
        except sqlite3.OperationalError as exc:
            raise FileReplaced(f"{self.database} cannot be opened any more: {exc}") from None
        try:
            self.verify(conn)
            self._add_conn_hooks(conn)
        except Exception:
            conn.close()
            raise
        return conn


def _identity(conn: sqlite3.Connection) -> tuple[int, int] | None:
    """(device, inode) of the main database file ``conn`` has open, as SQLite names it.

    SQLite reports the path it opened with links resolved, so a link to another
    file names that file; its inode tells a file put at the same path apart.
    """
    row = conn.execute("PRAGMA database_list").fetchone()
    if not row or not row[2]:
        return None
    try:
        info = os.stat(row[2])
    except OSError:
        return None
    return (info.st_dev, info.st_ino)
