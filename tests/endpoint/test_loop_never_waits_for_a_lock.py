"""The event loop never waits for SQLite's write lock, not even to count a wrong secret.

A wrong client secret was recorded on the loop's Peewee connection (busy
timeout 10 s): while another process held the write lock, one guess stopped
every connection of the endpoint for as long as the lock was held. Real
SQLite file, a real second process holding the lock, real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from authclients.store import Store
from authclients.store.endpoint import TokenEndpoint
from authclients.store.models import FailedAttempt
from authclients.store.records import CreatedClient
from tests.endpoint.conftest import basic, other_process_writing

CC = {"grant_type": "client_credentials"}
HELD_S = 4.0


@pytest.fixture
def warm(store: Store, sqlite_endpoint: TokenEndpoint) -> CreatedClient:
    created = store.clients.create("svc", client_credentials=True)
    for _ in range(2):
        assert _token(sqlite_endpoint, basic(created)).status_code == 200
    return created


def _token(ep: TokenEndpoint, auth: tuple[str, str]) -> requests.Response:
    return requests.post(f"{ep.url}/oauth/token", data=CC, auth=auth, timeout=30)


def test_a_wrong_secret_while_another_process_writes_stalls_no_other_request(
    sqlite_endpoint: TokenEndpoint, warm: CreatedClient, db_path: Path
) -> None:
    wrong = (str(warm.client.id), "not-the-secret")
    with ThreadPoolExecutor(1) as pool, other_process_writing(db_path):
        guess = pool.submit(_token, sqlite_endpoint, wrong)
        time.sleep(0.3)  # the guess is on the loop, waiting for its failure to be counted
        started = time.monotonic()
        metadata = requests.get(
            f"{sqlite_endpoint.url}/.well-known/oauth-authorization-server", timeout=30
        )
        waited = time.monotonic() - started
        assert metadata.status_code == 200
        # The lock is held for HELD_S more: an answer well before it came from a free loop.
        assert waited < HELD_S / 2, f"the loop stood still for {waited:.1f} s"
        time.sleep(HELD_S - 0.3 - waited)
        assert not guess.done(), "the failure was answered before it could be counted"
    refused = guess.result(timeout=30)
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"] == "invalid_client"
    assert FailedAttempt.select().where(FailedAttempt.key == str(warm.client.id)).count() == 1


def test_guesses_sent_side_by_side_while_the_lock_is_held_are_compared_at_most_limit_times(
    sqlite_endpoint: TokenEndpoint, warm: CreatedClient, db_path: Path
) -> None:
    limit = sqlite_endpoint.authorization.limiter.limit
    wrong = (str(warm.client.id), "not-the-secret")
    with ThreadPoolExecutor(limit + 4) as pool, other_process_writing(db_path):
        guesses = [pool.submit(_token, sqlite_endpoint, wrong) for _ in range(limit + 4)]
        time.sleep(1.0)
    statuses = sorted(g.result(timeout=30).status_code for g in guesses)
    # Each 401 is a secret compared; the rest were refused before any comparison.
    assert statuses.count(401) <= limit, statuses
    assert set(statuses) <= {401, 429}, statuses
    locked = _token(sqlite_endpoint, basic(warm))
    assert locked.status_code == 429, locked.text
    assert "Retry-After" in locked.headers
