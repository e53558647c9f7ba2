"""Open the database from a path or URL, with safe SQLite settings, and migrate it."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import peewee as pw
from platformdirs import user_data_dir
from playhouse.db_url import connect as connect_url
from playhouse.db_url import parse as parse_url
from playhouse.shortcuts import ReconnectMixin

from authclients.store.errors import MissingDatabase, StoreError
from authclients.store.migrations import CURRENT_VERSION, migrate, schema_version
from authclients.store.models import database
from authclients.store.pinned_sqlite import PinnedSqliteDatabase

ENV_VAR = "AUTHCLIENTS_DB"
DEFAULT_FILENAME = "authclients.db"

SQLITE_PRAGMAS = {
    "busy_timeout": 10_000,
    "foreign_keys": 1,
    "synchronous": "normal",
    "temp_store": "memory",
    "journal_size_limit": 32 * 1024 * 1024,
}
"""Per connection. NORMAL is durable against a crash of the program (not of the
machine) and, in WAL mode, much faster than FULL. ``temp_store=memory``: every
batch commit of the group committer spilled SQLite's statement journal to a
temporary file; in memory it costs the writer 15-20 µs less per token.
``journal_size_limit``: a WAL that grew while a reader held an old snapshot
(another process's long read: ~12 KiB per token) is cut back to 32 MiB when
it starts over, instead of keeping its largest size on disk for good."""

READ_ONLY_PRAGMAS = {"busy_timeout": 10_000, "temp_store": "memory"}
"""A read-only connection sets nothing that would need writing."""

WAL_DEADLINE_S = 10.0

POSTGRESQL_SCHEMES = ("postgresql", "postgres")
MYSQL_SCHEMES = ("mysql", "mysql+pool", "mysqlx", "mariadb")

NO_POSTGRESQL_DRIVER = "PostgreSQL needs its driver: pip install 'authclients[postgresql]'"
MYSQL_REFUSED = "MySQL is not supported: use a SQLite path or a postgresql:// URL"


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


def is_server(target: str) -> bool:
    """A database server URL (PostgreSQL), not a SQLite file."""
    return is_url(target) and not target.startswith("sqlite")


def check_hint(server: bool) -> str:
    """What to check when the database cannot be used: the CLI and the console say the same."""
    if server:
        return "check --db and that the server is up and lets this user in"
    return "check --db and that the folder is writable"


def bound_check_hint() -> str:
    """``check_hint`` for the database this process has open."""
    return check_hint(isinstance(database.obj, pw.PostgresqlDatabase))


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


def open_database(target: str | None = None, *, existing: bool = False) -> pw.Database:
    """Open (creating if needed), configure and migrate the database; bind the models.

    Peewee keeps one connection per thread, so the UI and the endpoint thread
    can share the returned database safely. What cannot be opened raises a
    one-line ``StoreError``: a symlink at the path, a file that is not a
    database, a missing PostgreSQL driver, a MySQL URL.

    Args:
        target: ``--db``, else ``AUTHCLIENTS_DB``, else the default file.
        existing: for commands that only read: a SQLite file that is not there
            raises ``MissingDatabase`` instead of being created (with its
            folders), and a read-only file or folder is opened read-only
            instead of being tightened, switched to WAL or migrated.
    """
    target = resolve_target(target)
    scheme = urlsplit(target).scheme.lower() if is_url(target) else ""
    path = ""
    if scheme in MYSQL_SCHEMES:
        raise StoreError(MYSQL_REFUSED)
    if scheme in POSTGRESQL_SCHEMES:
        _require_postgresql_driver()
        db = ReconnectingPostgresqlDatabase(**parse_url(target))
    elif is_url(target) and not target.startswith("sqlite"):
        db = connect_url(target)
    else:
        path = _sqlite_path(target)
        if existing and path != ":memory:":
            if not os.path.lexists(path):
                raise MissingDatabase(path)
            if _read_only(Path(path)):
                return _open_read_only(Path(path))
        if path != ":memory:":
            _prepare_file(Path(path))
        db = PinnedSqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=10, lock_type="IMMEDIATE")
    database.initialize(db)
    if not isinstance(db, pw.SqliteDatabase):
        db.connect(reuse_if_open=True)
        migrate(db)
        return db
    try:
        db.connect(reuse_if_open=True)
        if path != ":memory:":
            _refuse_swapped(db, Path(path))
            db.pin()  # every other thread's connection must open this same file
            _ensure_wal(db)
        migrate(db)
    except pw.DatabaseError as exc:
        if isinstance(exc, pw.OperationalError) and not _is_corruption(exc):
            raise  # locked, read-only, no space: not the file's fault
        db.close()
        raise StoreError(f"{path} is not an authclients database: {exc}") from None
    return db


def _read_only(path: Path) -> bool:
    """Has the admin made the file or its folder read-only?

    Judged by the owner's write bits as well as ``os.access``: root may write
    anything, but a file its admin set to 0400 is still meant to stay as it is.
    """
    folder = path.parent
    try:
        mode, folder_mode = os.stat(path).st_mode, os.stat(folder).st_mode
    except OSError:
        return False
    return (
        not mode & stat.S_IWUSR
        or not folder_mode & stat.S_IWUSR
        or not os.access(path, os.W_OK)
        or not os.access(folder, os.W_OK)
    )


def _open_read_only(path: Path) -> pw.Database:
    """A read-only SQLite connection (``mode=ro``) to a file that must be current.

    Nothing is created, chmod-ed or migrated. An older schema cannot be
    upgraded without writing, so it is refused with what to do instead.
    """
    _refuse_symlink(path)
    if not path.is_file():
        raise StoreError(f"{path} is not a regular file; give the path of a database file")
    uri = f"file:{quote(os.path.abspath(path))}?mode=ro"
    db = pw.SqliteDatabase(uri, uri=True, pragmas=READ_ONLY_PRAGMAS, timeout=10)
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
        version = schema_version(db)
    except pw.DatabaseError as exc:
        db.close()
        if isinstance(exc, pw.OperationalError) and not _is_corruption(exc):
            raise
        raise StoreError(f"{path} is not an authclients database: {exc}") from None
    if version != CURRENT_VERSION:
        db.close()
        if version > CURRENT_VERSION:
            raise StoreError(
                f"database schema is version {version}, newer than this program's "
                f"{CURRENT_VERSION}: upgrade authclients"
            )
        raise StoreError(
            f"{path} is read-only and at schema version {version}, older than this "
            f"program's {CURRENT_VERSION}: open it once with write access to upgrade it"
        )
    return db


def _refuse_swapped(db: pw.SqliteDatabase, path: Path) -> None:
    """Refuse the file SQLite opened if it is not the one checked at ``path``.

    SQLite opens by name, after ``_prepare_file``: a link swapped in meanwhile
    would be followed. SQLite (3.34+) reports the path it opened with links
    resolved, and nothing has been read or written yet, so comparing it with
    the checked path catches the swap before the file is touched.
    """
    row = db.execute_sql("PRAGMA database_list").fetchone()
    opened = str(row[2]) if row and row[2] else ""
    expected = os.path.join(os.path.realpath(path.parent), path.name)
    if opened and opened != expected:
        db.close()
        raise StoreError(
            f"{path} changed while it was being opened (a symbolic link to {opened} was "
            "swapped in); refusing it: check who else can write its folder"
        )


def _is_corruption(exc: Exception) -> bool:
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


def _require_postgresql_driver() -> None:
    """psycopg2 is the ``postgresql`` extra: say how to get it, not peewee's own words."""
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        raise StoreError(NO_POSTGRESQL_DRIVER) from None


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
    other user can ever read a byte of it; tighten an existing file too.

    A symbolic link at the path (or at its -wal/-shm files) is refused, never
    followed: it could point the chmod, or a dangling one the new file, at
    someone else's file. The file is opened with ``O_NOFOLLOW`` and changed
    through that descriptor, so a link swapped in meanwhile is not followed
    either. Links in the folders above are the admin's own layout and allowed.
    """
    folder = path.parent
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for candidate in (path, *_side_files(path)):
        _refuse_symlink(candidate)
    try:
        fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        if os.path.islink(path):
            _refuse_symlink(path)
        raise StoreError(f"cannot open {path}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise StoreError(f"{path} is not a regular file; give the path of a database file")
        if (info.st_mode & 0o777) != 0o600:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    for side in _side_files(path):
        try:
            fd = os.open(side, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            continue
        except OSError:
            _refuse_symlink(side)
            raise
        try:
            if os.fstat(fd).st_mode & 0o077:
                os.fchmod(fd, 0o600)
        finally:
            os.close(fd)


def _side_files(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def _refuse_symlink(path: Path) -> None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise StoreError(
            f"{path} is a symbolic link; refusing to follow it: give the real path of the database"
        )
