"""Open the database from a path or URL, with safe SQLite settings, and migrate it."""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import peewee as pw
from platformdirs import user_data_dir
from playhouse.db_url import connect as connect_url
from playhouse.db_url import parse as parse_url
from playhouse.shortcuts import ReconnectMixin

from authclients.store.migrations import migrate
from authclients.store.models import database

ENV_VAR = "AUTHCLIENTS_DB"
DEFAULT_FILENAME = "authclients.db"

SQLITE_PRAGMAS = {
    "busy_timeout": 10_000,
    "foreign_keys": 1,
    "synchronous": "normal",
}
"""Per connection. NORMAL is durable against a crash of the program (not of the
machine) and, in WAL mode, much faster than FULL."""

WAL_DEADLINE_S = 10.0

POSTGRESQL_SCHEMES = ("postgresql", "postgres")


class ReconnectingPostgresqlDatabase(ReconnectMixin, pw.PostgresqlDatabase):
    """PostgreSQL whose per-thread connections come back after the server drops them.

    A server restart, a failover, an idle timeout or ``pg_terminate_backend``
    kills every open connection. Peewee keeps one per thread and would reuse
    the dead one forever: the endpoint's long-lived threads (the token writer
    above all) would answer 500 until the process restarts. Outside a
    transaction, a statement (or BEGIN) that finds its connection gone is
    retried once on a new one. Inside a transaction nothing is retried: the
    work so far is lost with the connection, so the request fails instead.
    """

    reconnect_errors = (
        (pw.OperationalError, "server closed the connection"),
        (pw.OperationalError, "terminating connection"),
        (pw.InterfaceError, "connection already closed"),
    )


def default_target() -> str:
    """Where the database lives when neither ``--db`` nor the environment says."""
    return str(Path(user_data_dir("authclients", appauthor=False)) / DEFAULT_FILENAME)


def resolve_target(target: str | None = None) -> str:
    """``--db``, else ``AUTHCLIENTS_DB``, else the user data folder."""
    return target or os.environ.get(ENV_VAR) or default_target()


def is_url(target: str) -> bool:
    return "://" in target


def describe(target: str) -> str:
    """The target as it may be shown: a URL without its password."""
    if not is_url(target):
        return target
    parts = urlsplit(target)
    if parts.password is None:
        return target
    netloc = parts.netloc.rsplit("@", 1)
    user = (parts.username or "") + ":***"
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[-1]}"))


def open_database(target: str | None = None) -> pw.Database:
    """Open (creating if needed), configure and migrate the database; bind the models.

    Peewee keeps one connection per thread, so the UI and the endpoint thread
    can share the returned database safely.
    """
    target = resolve_target(target)
    scheme = urlsplit(target).scheme if is_url(target) else ""
    if scheme in POSTGRESQL_SCHEMES:
        db = ReconnectingPostgresqlDatabase(**parse_url(target))
    elif is_url(target) and not target.startswith("sqlite"):
        db = connect_url(target)
    else:
        path = _sqlite_path(target)
        if path != ":memory:":
            _prepare_file(Path(path))
        db = pw.SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=10, lock_type="IMMEDIATE")
    database.initialize(db)
    db.connect(reuse_if_open=True)
    if isinstance(db, pw.SqliteDatabase) and path != ":memory:":
        _ensure_wal(db)
    migrate(db)
    return db


def _ensure_wal(db: pw.SqliteDatabase) -> None:
    """Switch the file to WAL, which lets the endpoint thread write while the UI reads.

    The mode is stored in the file, so this is needed once, not per connection.
    SQLite answers "database is locked" at once, without its busy handler, when
    two processes switch a new file at the same instant: retry until a deadline.
    """
    deadline = time.monotonic() + WAL_DEADLINE_S
    while True:
        try:
            db.execute_sql("PRAGMA journal_mode=wal")
            return
        except pw.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_path(target: str) -> str:
    # sqlite:///relative.db and sqlite:////absolute/path.db, as SQLAlchemy writes them.
    if target.startswith("sqlite://"):
        return target[len("sqlite:///") :] or ":memory:"
    return os.path.expanduser(target)


def _prepare_file(path: Path) -> None:
    """Create the folder (0700) and the file (0600) before SQLite does, so no
    other user can ever read a byte of it; tighten an existing file too."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    if (path.stat().st_mode & 0o777) != 0o600:
        os.chmod(path, 0o600)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists() and (side.stat().st_mode & 0o077):
            os.chmod(side, 0o600)
