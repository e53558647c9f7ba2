"""The WAL starts over under sustained load: it must not grow with every token.

The loop's own connection never checkpoints; the writer thread runs a passive
checkpoint every ``CHECKPOINT_EVERY`` loop commits. SQLite starts the WAL
over only when a write begins after a checkpoint that copied all of it; with
the loop committing during every checkpoint that never happened, and the
WAL grew by ~11 KiB per token (past 1 GB in 18 s of ``wrk``). Real SQLite
file, real HTTP on 127.0.0.1, eight clients side by side.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from authclients.store import Store
from authclients.store.endpoint import TokenEndpoint
from authclients.store.records import CreatedClient
from tests.endpoint.conftest import basic

CLIENTS = 8
TOKENS_EACH = 800
WAL_BOUND = 16 * 1024 * 1024
"""Bytes. SQLite's own trigger (1,000 pages) keeps a WAL near 4 MiB; growing with
every token, 6,400 tokens wrote ~40 MiB."""
CUT_BACK_TO = 32 * 1024 * 1024
"""Bytes: ``journal_size_limit``, what a WAL that grew behind a long reader is cut back to."""


def _issue(ep: TokenEndpoint, created: CreatedClient, tokens_each: int) -> int:
    """Tokens answered 200 to ``CLIENTS`` keep-alive clients side by side."""
    url = f"{ep.url}/oauth/token"

    def client(_n: int) -> int:
        ok = 0
        with requests.Session() as http:
            for _ in range(tokens_each):
                r = http.post(
                    url, data={"grant_type": "client_credentials"}, auth=basic(created), timeout=30
                )
                ok += r.status_code == 200
        return ok

    with ThreadPoolExecutor(CLIENTS) as pool:
        return sum(pool.map(client, range(CLIENTS)))


def test_the_wal_does_not_grow_with_every_token(
    store: Store, sqlite_endpoint: TokenEndpoint, db_path: Path
) -> None:
    created = store.clients.create("svc", client_credentials=True)
    answered = _issue(sqlite_endpoint, created, TOKENS_EACH)
    assert answered == CLIENTS * TOKENS_EACH
    stats = sqlite_endpoint.authorization.hot_path.committer.stats
    assert stats.checkpoints >= 2, "too few loop commits to test the checkpoints"
    wal = os.path.getsize(f"{db_path}-wal")
    assert wal < WAL_BOUND, f"the WAL is {wal / 2**20:.1f} MiB after {answered} tokens"


_READER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN")
db.execute("SELECT COUNT(*) FROM access_token").fetchone()
print("reading", flush=True)
sys.stdin.readline()
"""


def test_a_wal_grown_behind_a_long_reader_is_cut_back_once_it_ends(
    store: Store, sqlite_endpoint: TokenEndpoint, db_path: Path
) -> None:
    created = store.clients.create("svc", client_credentials=True)
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(db_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "reading"
        # Nothing can be copied back past the reader's snapshot: the WAL grows meanwhile.
        _issue(sqlite_endpoint, created, 500)
        grown = os.path.getsize(f"{db_path}-wal")
        assert grown > CUT_BACK_TO, f"only {grown} bytes: the test needs a WAL past the limit"
    finally:
        assert reader.stdin is not None
        reader.stdin.close()
        reader.wait(timeout=10)
    _issue(sqlite_endpoint, created, 100)
    wal = os.path.getsize(f"{db_path}-wal")
    assert wal <= CUT_BACK_TO, f"the WAL kept {wal / 2**20:.0f} MiB after the reader ended"
