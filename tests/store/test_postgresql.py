"""What only PostgreSQL needs checking: the migrations on a fresh database, concurrent
migrating processes, the column types; the shared behaviour runs in every other store test."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import peewee as pw
import pytest
from playhouse.db_url import connect

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.migrations import CURRENT_VERSION, MIGRATIONS, migrate, schema_version
from authclients.store.models import ALL_MODELS, database
from tests.pgserver import PostgresServer

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgresql


@pytest.fixture
def fresh(pg_server: PostgresServer) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database (no migration run yet)."""
    name, url = pg_server.create_database()
    yield url
    if database.obj is not None:
        database.close()  # this thread's connection, so the drop is not waiting on us
    pg_server.drop_database(name)


def schema(db: pw.Database) -> dict[str, object]:
    """Tables, columns (with PostgreSQL's types), indexes and foreign keys with ON DELETE."""
    out: dict[str, object] = {}
    for table in sorted(set(db.get_tables()) - {"schema_version"}):
        rules = dict(
            db.execute_sql(
                "SELECT kcu.column_name, rc.delete_rule "
                "FROM information_schema.referential_constraints rc "
                "JOIN information_schema.key_column_usage kcu "
                "ON kcu.constraint_name = rc.constraint_name WHERE kcu.table_name = %s",
                (table,),
            ).fetchall()
        )
        out[table] = {
            "columns": sorted(
                (c.name, c.data_type, c.null, c.primary_key) for c in db.get_columns(table)
            ),
            "indexes": sorted((i.name, tuple(i.columns), i.unique) for i in db.get_indexes(table)),
            "foreign_keys": sorted(
                (fk.column, fk.dest_table, fk.dest_column, rules[fk.column])
                for fk in db.get_foreign_keys(table)
            ),
        }
    return out


def test_migrations_build_exactly_the_schema_the_models_declare(
    pg_server: PostgresServer,
) -> None:
    names = []
    try:
        migrated_name, migrated_url = pg_server.create_database()
        declared_name, declared_url = pg_server.create_database()
        names = [migrated_name, declared_name]
        migrated, declared = connect(migrated_url), connect(declared_url)
        migrate(migrated)
        with declared.bind_ctx(ALL_MODELS):
            declared.create_tables(ALL_MODELS)
        got, want = schema(migrated), schema(declared)
        assert set(got) == {m._meta.table_name for m in ALL_MODELS}
        assert got == want
        # Real types, not SQLite's affinities: booleans and 64-bit microseconds.
        columns = {c.name: c.data_type for c in migrated.get_columns("access_token")}
        assert columns["revoked"] == "boolean"
        assert columns["created_at"] == "bigint"
        migrated.close()
        declared.close()
    finally:
        for name in names:
            pg_server.drop_database(name)


def test_each_version_in_turn(fresh: str) -> None:
    db = connect(fresh)
    assert schema_version(db) == 0
    for version, _step in MIGRATIONS:
        assert migrate(db, target=version) == version
        assert schema_version(db) == version
    assert migrate(db) == CURRENT_VERSION
    assert db.execute_sql("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
    db.close()


def test_a_database_newer_than_the_program_is_refused(fresh: str) -> None:
    first = Store.open(fresh, clock=ManualClock())
    first.clients.create("Kept", password=True)
    first.db.execute_sql("UPDATE schema_version SET version = %s", (CURRENT_VERSION + 1,))
    first.close()
    with pytest.raises(RuntimeError, match="upgrade"):
        Store.open(fresh, clock=ManualClock())
    database.close()
    raw = connect(fresh)
    assert schema_version(raw) == CURRENT_VERSION + 1
    assert raw.execute_sql("SELECT name FROM client").fetchall() == [("Kept",)]
    raw.close()


MIGRATOR = textwrap.dedent(
    """
    import os, sys, time
    from authclients.store import Store

    url, tag, go = sys.argv[1:4]
    while not os.path.exists(go):
        time.sleep(0.002)
    store = Store.open(url, actor=tag)
    for i in range(20):
        store.clients.create(f"{tag} {i}", password=True)
    store.close()
    print("done", tag)
    """
)


def test_processes_opening_a_fresh_database_at_once_migrate_it_once(
    fresh: str, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    env = {k: v for k, v in os.environ.items() if k != "AUTHCLIENTS_DB"}
    tags = [f"p{n}" for n in range(4)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATOR, fresh, tag, str(go)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in tags
    ]
    time.sleep(0.8)  # every one imported and waiting: they start together
    go.touch()
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert out.startswith("done")
    db = connect(fresh)
    assert schema_version(db) == CURRENT_VERSION
    assert db.execute_sql("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
    assert db.execute_sql("SELECT COUNT(*) FROM client").fetchone()[0] == 20 * len(tags)
    db.close()
