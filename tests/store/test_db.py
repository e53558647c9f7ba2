"""The database: file modes, pragmas, migrations, threads and processes."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import peewee as pw
import pytest

from authclients.store import Store, crypto
from authclients.store.clock import ManualClock
from authclients.store.db import describe, resolve_target
from authclients.store.migrations import CURRENT_VERSION, MIGRATIONS, migrate, schema_version
from authclients.store.models import ALL_MODELS, AccessToken, Client, database

REPO = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- files ----------------------------------------------------------------------


@pytest.mark.sqlite_only("file modes")
def test_new_database_file_is_0600_in_a_0700_folder(store: Store, db_path: Path) -> None:
    store.clients.create("App", password=True)  # something in the WAL
    assert mode(db_path.parent) == 0o700
    assert mode(db_path) == 0o600
    for suffix in ("-wal", "-shm"):
        side = db_path.with_name(db_path.name + suffix)
        assert side.exists() and mode(side) == 0o600


def test_modes_hold_under_a_permissive_umask(tmp_path: Path) -> None:
    path = tmp_path / "open" / "a.db"
    old = os.umask(0)
    try:
        opened = Store.open(str(path), clock=ManualClock())
        opened.clients.create("App", password=True)
        opened.close()
    finally:
        os.umask(old)
    assert mode(path.parent) == 0o700 and mode(path) == 0o600


def test_an_existing_readable_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "shared" / "a.db"
    first = Store.open(str(path), clock=ManualClock())
    first.clients.create("Kept", password=True)
    first.close()
    os.chmod(path, 0o644)
    wal = path.with_name(path.name + "-wal")
    wal.touch()
    os.chmod(wal, 0o644)

    again = Store.open(str(path), clock=ManualClock())
    try:
        assert mode(path) == 0o600
        assert mode(wal) == 0o600
        assert again.clients.list().items[0].name == "Kept"
    finally:
        again.close()


def test_an_empty_existing_file_becomes_a_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    opened = Store.open(str(path), clock=ManualClock())
    try:
        assert mode(path) == 0o600
        assert schema_version(opened.db) == CURRENT_VERSION
    finally:
        opened.close()


# -- pragmas ----------------------------------------------------------------------


def pragmas(db: pw.Database) -> dict[str, object]:
    return {
        name: db.execute_sql(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
    }


def check_pragmas(values: dict[str, object]) -> None:
    assert values["journal_mode"] == "wal"
    assert values["foreign_keys"] == 1
    assert values["busy_timeout"] >= 5000
    assert values["synchronous"] == 1  # NORMAL


@pytest.mark.sqlite_only("pragmas")
def test_pragmas_on_the_opening_connection(store: Store) -> None:
    check_pragmas(pragmas(store.db))


@pytest.mark.sqlite_only("pragmas")
def test_pragmas_on_another_threads_connection(store: Store) -> None:
    seen: dict[str, object] = {}
    thread_ids: list[int] = []

    def work() -> None:
        seen.update(pragmas(store.db))
        thread_ids.append(id(store.db.connection()))
        store.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    check_pragmas(seen)
    # A connection of its own, not the main thread's.
    assert thread_ids[0] != id(store.db.connection())


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(pw.IntegrityError):
        AccessToken.create(
            token_hash="0" * 64,
            client=12345,
            grant_type="client_credentials",
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )


# -- where the database is ----------------------------------------------------------------


def test_target_comes_from_argument_then_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AUTHCLIENTS_DB", str(tmp_path / "env.db"))
    assert resolve_target(str(tmp_path / "arg.db")) == str(tmp_path / "arg.db")
    assert resolve_target(None) == str(tmp_path / "env.db")
    monkeypatch.delenv("AUTHCLIENTS_DB")
    assert resolve_target(None).endswith("authclients.db")


def test_a_url_is_described_without_its_password() -> None:
    shown = describe("postgresql://admin:s3cret-pw@db.example.com:5432/auth")
    assert "s3cret-pw" not in shown
    assert shown == "postgresql://admin:***@db.example.com:5432/auth"
    assert describe("/var/lib/authclients.db") == "/var/lib/authclients.db"


def test_sqlite_url_opens_a_file(tmp_path: Path) -> None:
    path = tmp_path / "via-url.db"
    opened = Store.open(f"sqlite:///{path}", clock=ManualClock())
    try:
        opened.clients.create("App", password=True)
        assert path.exists() and mode(path) == 0o600
    finally:
        opened.close()


# -- migrations ------------------------------------------------------------------------


def test_migrations_are_numbered_in_order() -> None:
    versions = [version for version, _step in MIGRATIONS]
    # Strictly increasing from 1; numbers are handed out per branch, so one may be
    # missing until every branch is merged (then this list is 1..N again).
    assert versions[0] == 1 and versions == sorted(set(versions))
    assert versions[-1] == CURRENT_VERSION


def test_from_version_1_with_data_to_current(db_path: Path) -> None:
    db_path.parent.mkdir(mode=0o700)
    db = pw.SqliteDatabase(str(db_path))
    assert migrate(db, target=1) == 1
    assert schema_version(db) == 1
    assert "failed_attempt" not in db.get_tables()

    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    us = int(now.timestamp()) * 1_000_000
    hour = 3_600 * 1_000_000
    secret, token, refresh = "v1-client-secret-" + "x" * 30, "v1-access-token", "v1-refresh"
    digest = crypto.digest
    statements = [
        (
            'INSERT INTO "user" (username, password_hash, active, created_at, updated_at) '
            "VALUES (?, ?, 1, ?, ?)",
            ("alice", crypto.hash_password("old password", rounds=4), us, us),
        ),
        (
            "INSERT INTO client (name, secret_hash, secret_hint, redirect_uris, scopes, "
            "grant_authorization_code, grant_password, grant_personal_access, "
            "grant_client_credentials, public, revoked, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, '', 1, 1, 0, 0, 0, 0, ?, ?)",
            ("Legacy app", digest(secret), secret[-4:], "https://a.example.com/cb", us, us),
        ),
        (
            "INSERT INTO access_token (token_hash, token_hint, client_id, user_id, name, "
            "scopes, grant_type, created_at, expires_at, revoked) "
            "VALUES (?, ?, 1, 1, '', 'read', 'password', ?, ?, 0)",
            (digest(token), token[-4:], us, us + hour),
        ),
        (
            "INSERT INTO refresh_token (token_hash, access_token_id, family, created_at, "
            "expires_at, revoked) VALUES (?, 1, 'fam', ?, ?, 0)",
            (digest(refresh), us, us + 30 * 24 * hour),
        ),
        (
            "INSERT INTO audit_event (at, actor, action, object_type, object_id, detail) "
            "VALUES (?, 'admin', 'client.create', 'client', '1', 'from v1')",
            (us,),
        ),
    ]
    with db.atomic():
        for sql, params in statements:
            db.execute_sql(sql, params)
    db.close()

    store = Store.open(str(db_path), clock=ManualClock(now), actor="tester")
    try:
        assert schema_version(store.db) == CURRENT_VERSION
        client = store.clients.get(1)
        assert (client.name, client.redirect_uris, client.active_tokens) == (
            "Legacy app",
            ("https://a.example.com/cb",),
            1,
        )
        assert client.created_at == now
        assert store.clients.authenticate(1, secret).id == 1
        assert store.users.verify("alice", "old password").username == "alice"
        found = store.tokens.find(token)
        assert (found.state, found.username, found.expires_at) == (
            "active",
            "alice",
            now + timedelta(hours=1),
        )
        rotated = store.tokens.rotate_refresh(
            store.tokens.find_refresh(refresh, 1), client, ("read",)
        )
        assert store.tokens.find(rotated.access_token).state == "active"
        assert store.audit.recent()[-1].detail == "from v1"
        # The tables and indexes of later versions are there and work.
        assert "failed_attempt" in store.db.get_tables()
        assert store.clients.list(sort="name", descending=True).items[0].id == 1
    finally:
        store.close()


def test_each_version_in_turn(tmp_path: Path) -> None:
    db = pw.SqliteDatabase(str(tmp_path / "steps.db"))
    assert schema_version(db) == 0
    for version, _step in MIGRATIONS:
        assert migrate(db, target=version) == version
        assert schema_version(db) == version
    # Running again changes nothing and fails on nothing.
    assert migrate(db) == CURRENT_VERSION
    assert db.execute_sql("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
    db.close()


def schema(db: pw.Database) -> dict[str, object]:
    """Tables, columns, indexes and foreign keys (with their ON DELETE), comparably."""
    out: dict[str, object] = {}
    for table in sorted(set(db.get_tables()) - {"schema_version", "sqlite_sequence"}):
        sql = db.execute_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()[0]
        out[table] = {
            "autoincrement": "AUTOINCREMENT" in sql.upper(),
            "columns": sorted(
                (c.name, c.data_type.upper(), c.null, c.primary_key) for c in db.get_columns(table)
            ),
            "indexes": sorted((i.name, tuple(i.columns), i.unique) for i in db.get_indexes(table)),
            "foreign_keys": sorted(
                (row[3], row[2], row[4], row[6])  # from, table, to, on_delete
                for row in db.execute_sql(f'PRAGMA foreign_key_list("{table}")').fetchall()
            ),
        }
    return out


def test_migrations_build_exactly_the_schema_the_models_declare(tmp_path: Path) -> None:
    migrated = pw.SqliteDatabase(str(tmp_path / "migrated.db"))
    migrate(migrated)
    declared = pw.SqliteDatabase(str(tmp_path / "declared.db"))
    with declared.bind_ctx(ALL_MODELS):
        declared.create_tables(ALL_MODELS)
    got, want = schema(migrated), schema(declared)
    assert set(got) == {m._meta.table_name for m in ALL_MODELS}
    assert got == want
    # Every integer key is never reused; browser_session's key is a hash of its cookie.
    assert all(t["autoincrement"] for name, t in got.items() if name != "browser_session")
    assert not got["browser_session"]["autoincrement"]
    migrated.close()
    declared.close()


def test_a_database_newer_than_the_program_is_refused(db_path: Path) -> None:
    first = Store.open(str(db_path), clock=ManualClock())
    first.clients.create("Kept", password=True)
    first.db.execute_sql("UPDATE schema_version SET version = ?", (CURRENT_VERSION + 1,))
    first.close()

    with pytest.raises(RuntimeError) as caught:
        Store.open(str(db_path), clock=ManualClock())
    database.close()
    message = str(caught.value)
    assert f"version {CURRENT_VERSION + 1}" in message
    assert str(CURRENT_VERSION) in message and "upgrade" in message
    # Nothing was touched.
    raw = pw.SqliteDatabase(str(db_path))
    assert schema_version(raw) == CURRENT_VERSION + 1
    assert raw.execute_sql("SELECT name FROM client").fetchall() == [("Kept",)]
    raw.close()


# -- threads ----------------------------------------------------------------------


def test_four_threads_share_the_store(store: Store) -> None:
    start = threading.Barrier(5)
    errors: list[BaseException] = []
    created: list[int] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(25):
                client = store.clients.create(f"thread {n} app {i}", password=True).client
                store.tokens.issue(client, grant_type="client_credentials")
                created.append(client.id)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            store.close()

    def reader() -> None:
        try:
            start.wait()
            while len(created) < 100 and not errors:
                page = store.clients.list(limit=10)
                assert page.total >= len(page.items)
                time.sleep(0.001)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            store.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    threads.append(threading.Thread(target=reader))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(created) == len(set(created)) == 100
    assert Client.select().count() == 100
    assert AccessToken.select().count() == 100
    assert store.clients.list(limit=1).total == 100
    assert all(c.active_tokens == 1 for c in store.clients.list(limit=100).items)


# -- processes ---------------------------------------------------------------------


WRITER = textwrap.dedent(
    """
    import os, sys, time
    from authclients.store import Store

    path, tag, go = sys.argv[1:4]
    deadline = time.monotonic() + 30
    while not os.path.exists(go):
        if time.monotonic() > deadline:
            sys.exit("never told to go")
        time.sleep(0.002)
    store = Store.open(path, actor=tag)
    for i in range(200):
        client = store.clients.create(f"{tag} {i}", password=True).client
        store.tokens.issue(client, grant_type="client_credentials")
    store.close()
    print("done", tag)
    """
)


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    # A fresh folder: both processes also create and migrate the database at once.
    path = tmp_path / "fresh" / "shared.db"
    go = tmp_path / "go"
    env = {k: v for k, v in os.environ.items() if k != "AUTHCLIENTS_DB"}
    env["AUTHCLIENTS_BCRYPT_ROUNDS"] = "4"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), tag, str(go)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("first", "second")
    ]
    time.sleep(0.5)  # let both import, so they really start together
    go.touch()
    results = [proc.communicate(timeout=60) for proc in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert "locked" not in err.lower()
        assert proc.returncode == 0, err
        assert out.startswith("done")

    check = pw.SqliteDatabase(str(path))
    names = [row[0] for row in check.execute_sql("SELECT name FROM client").fetchall()]
    assert len(names) == 400
    assert {f"{tag} {i}" for tag in ("first", "second") for i in range(200)} == set(names)
    assert check.execute_sql("SELECT COUNT(*) FROM access_token").fetchone()[0] == 400
    assert check.execute_sql("SELECT COUNT(*) FROM audit_event").fetchone()[0] == 400
    assert schema_version(check) == CURRENT_VERSION
    assert check.execute_sql("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
    check.close()
    assert mode(path) == 0o600 and mode(path.parent) == 0o700


@pytest.mark.sqlite_only("reads the file's bytes")
def test_hashes_in_the_file_match_the_tokens_given(store: Store, db_path: Path) -> None:
    client = store.clients.create("App", password=True)
    store.close()
    raw = pw.SqliteDatabase(str(db_path))
    stored = raw.execute_sql("SELECT secret_hash FROM client").fetchone()[0]
    raw.close()
    assert stored == hashlib.sha256(client.secret.encode()).hexdigest()
