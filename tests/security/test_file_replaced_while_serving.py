"""The endpoint's threads open the database file that was checked at start, or none.

Peewee opens a connection per thread by name when the thread first needs one:
the endpoint's loop, pool and writer thread long after ``store.db`` checked
the path. Another user who can write the folder swapped a link to a database
of theirs in after the checks, and the endpoint then authenticated their
client and wrote tokens into their file; a file moved away left a new empty
0644 file at its path. Real SQLite files, real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from authclients.store import Store
from authclients.store.endpoint import TokenEndpoint
from authclients.store.records import CreatedClient
from tests.endpoint.conftest import basic

CC = {"grant_type": "client_credentials"}


def _opened(path: Path) -> tuple[Store, CreatedClient]:
    store = Store.open(str(path))
    return store, store.clients.create("svc", client_credentials=True)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, Store, CreatedClient]]:
    store, created = _opened(tmp_path / "auth.db")
    yield tmp_path / "auth.db", store, created
    store.close()


def _token(ep: TokenEndpoint, auth: tuple[str, str]) -> requests.Response:
    return requests.post(f"{ep.url}/oauth/token", data=CC, auth=auth, timeout=30)


def _json_error(r: requests.Response) -> str:
    assert r.headers["Content-Type"] == "application/json", r.headers
    assert "Traceback" not in r.text
    return r.json()["error"]


def test_a_link_swapped_in_before_the_endpoints_first_request_is_not_followed(
    tmp_path: Path, served: tuple[Path, Store, CreatedClient]
) -> None:
    path, store, _created = served
    theirs_path = tmp_path / "theirs.db"
    theirs, their_client = _opened(theirs_path)
    theirs.close()
    os.replace(path, tmp_path / "moved-away.db")
    os.symlink(theirs_path, path)
    ep = TokenEndpoint(store, port=0)
    ep.start()
    try:
        r = _token(ep, basic(their_client))
        assert r.status_code != 200, "their client was authenticated from their file"
        assert _json_error(r) == "server_error"
    finally:
        ep.stop()
    with sqlite3.connect(theirs_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM access_token").fetchone() == (0,)


def test_a_database_moved_away_leaves_no_new_empty_file_at_its_path(
    tmp_path: Path, served: tuple[Path, Store, CreatedClient]
) -> None:
    path, store, created = served
    os.replace(path, tmp_path / "moved-away.db")
    ep = TokenEndpoint(store, port=0)
    ep.start()
    try:
        r = _token(ep, basic(created))
        assert r.status_code == 500
        assert _json_error(r) == "server_error"
    finally:
        ep.stop()
    assert not path.exists(), f"a new file was created at {path}"


@pytest.mark.parametrize("name", ["we?ird#name é.db", "%41.db", "sp ace&x=1.db"])
def test_a_path_with_uri_characters_is_served_on_the_loops_own_connection(
    tmp_path: Path, name: str
) -> None:
    store, created = _opened(tmp_path / name)
    ep = TokenEndpoint(store, port=0)
    ep.start()
    try:
        for _ in range(2):
            assert _token(ep, basic(created)).status_code == 200
        committer = ep.authorization.hot_path.committer
        assert committer.stats.loop_batches >= 1, "the loop's own connection did not open"
    finally:
        ep.stop()
        store.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".db")) == [name]
