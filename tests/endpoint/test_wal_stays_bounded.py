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
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from authclients.store import Store
from authclients.store.endpoint import TokenEndpoint
from tests.endpoint.conftest import basic

CLIENTS = 8
TOKENS_EACH = 800
WAL_BOUND = 16 * 1024 * 1024
"""Bytes. SQLite's own trigger (1,000 pages) keeps a WAL near 4 MiB; growing with
every token, 6,400 tokens wrote ~40 MiB."""


@pytest.fixture
def sqlite_endpoint(store: Store, backend: str) -> Iterator[TokenEndpoint]:
    if backend != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has no WAL file of ours")
    ep = TokenEndpoint(store, port=0)
    ep.start()
    yield ep
    ep.stop()


def test_the_wal_does_not_grow_with_every_token(
    store: Store, sqlite_endpoint: TokenEndpoint, db_path: Path
) -> None:
    created = store.clients.create("svc", client_credentials=True)
    url = f"{sqlite_endpoint.url}/oauth/token"

    def client(_n: int) -> int:
        ok = 0
        with requests.Session() as http:
            for _ in range(TOKENS_EACH):
                r = http.post(
                    url, data={"grant_type": "client_credentials"}, auth=basic(created), timeout=30
                )
                ok += r.status_code == 200
        return ok

    with ThreadPoolExecutor(CLIENTS) as pool:
        answered = sum(pool.map(client, range(CLIENTS)))
    assert answered == CLIENTS * TOKENS_EACH
    stats = sqlite_endpoint.authorization.hot_path.committer.stats
    assert stats.checkpoints >= 2, "too few loop commits to test the checkpoints"
    wal = os.path.getsize(f"{db_path}-wal")
    assert wal < WAL_BOUND, f"the WAL is {wal / 2**20:.1f} MiB after {answered} tokens"
