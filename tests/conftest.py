"""Shared fixtures: a real database per test (SQLite file or PostgreSQL), a manual clock,
cheap bcrypt."""

from __future__ import annotations

import os

# bcrypt at cost 12 takes ~250 ms a hash; the rules are the same at cost 4.
os.environ.setdefault("AUTHCLIENTS_BCRYPT_ROUNDS", "4")

from collections.abc import Iterator
from pathlib import Path

import pytest
from peewee import PostgresqlDatabase

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.migrations import migrate
from authclients.store.models import ALL_MODELS
from tests.backends import POSTGRESQL, SQLITE
from tests.fake_keyring import memory_keyring  # noqa: F401 (a fixture for every folder)
from tests.pgserver import SUPERUSER, PostgresServer, unavailable_reason

REQUIRE_POSTGRESQL = "AUTHCLIENTS_TEST_POSTGRESQL"
"""Set to ``required`` (CI does) to fail instead of skipping when PostgreSQL is missing."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql: runs against the test PostgreSQL server")
    config.addinivalue_line(
        "markers", "sqlite_only(reason): checks something only SQLite has (files, pragmas)"
    )


@pytest.fixture(autouse=True)
def config_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real config folder (saved targets, the theme)."""
    folder = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("AUTHCLIENTS_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole session, in a temporary folder."""
    reason = unavailable_reason()
    if reason:
        if os.environ.get(REQUIRE_POSTGRESQL) == "required":
            pytest.fail(f"{REQUIRE_POSTGRESQL}=required, but {reason}")
        pytest.skip(reason)
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="session")
def pg_database(pg_server: PostgresServer) -> str:
    """The session's PostgreSQL database, migrated once; each test empties it."""
    name, _url = pg_server.create_database()
    migrate_only = PostgresqlDatabase(name, host="127.0.0.1", port=pg_server.port, user=SUPERUSER)
    migrate(migrate_only)
    migrate_only.close()
    return name


@pytest.fixture
def backend() -> str:
    """SQLite, unless a folder's conftest parametrizes it over ``tests.backends.BACKENDS``."""
    return SQLITE


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "authclients.db"


@pytest.fixture
def db_target(backend: str, db_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """What ``--db`` would be: the SQLite file, or the URL of a fresh PostgreSQL database."""
    if backend != POSTGRESQL:
        yield str(db_path)
        return
    only = request.node.get_closest_marker("sqlite_only")
    if only is not None:
        pytest.skip(f"SQLite only: {only.args[0] if only.args else 'a SQLite feature'}")
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = request.getfixturevalue("pg_database")
    server.reset_database(name, [m._meta.table_name for m in reversed(ALL_MODELS)])
    yield server.url(name)


@pytest.fixture
def store(db_target: str, clock: ManualClock) -> Iterator[Store]:
    s = Store.open(db_target, clock=clock, actor="tester")
    yield s
    s.close()
