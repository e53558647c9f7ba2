"""An unknown username costs as much bcrypt as a known one, whatever cost hashed the passwords.

The dummy check for an unknown (or deactivated) username ran at this
process's ``AUTHCLIENTS_BCRYPT_ROUNDS``, while a known user's check runs at
the cost their hash was made with. Passwords set at cost 10 (an earlier
setting, another machine's CLI) behind a server at cost 4: a wrong password
took a median ~120 ms for a known user and ~13 ms for an unknown one, which
tells which usernames exist. Real HTTP against ``authclients serve``, medians
over 15 tries each, the failure rows cleared between tries with raw SQL so no
wait interferes.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.endpoint.conftest import AUTHCLIENTS, serving

PASSWORD = "correct horse battery"
TRIES = 15


def cli(db: Path, *args: str, rounds: str, stdin: str = "") -> str:
    env = dict(os.environ, AUTHCLIENTS_BCRYPT_ROUNDS=rounds)
    done = subprocess.run(
        [AUTHCLIENTS, "--db", str(db), *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str, str]]:
    db = tmp_path / "timing.db"
    out = cli(db, "clients", "create", "--name", "L", "--password-grant", "--json", rounds="4")
    secret = out.split('"secret": "')[1].split('"', 1)[0]
    cli(db, "users", "add", "alice", "--password-stdin", rounds="10", stdin=PASSWORD + "\n")
    monkeypatch.setenv("AUTHCLIENTS_BCRYPT_ROUNDS", "4")  # the server's own setting
    with serving(db) as (_, url):
        yield db, url, secret


def test_unknown_and_known_usernames_take_the_same_time(served: tuple[Path, str, str]) -> None:
    db, url, secret = served
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    with sqlite3.connect(db) as conn:
        for i in range(TRIES):
            for label, username in (("known", "alice"), ("unknown", f"nobody{i}")):
                conn.execute("DELETE FROM failed_attempt")
                conn.commit()
                start = time.perf_counter()
                r = requests.post(
                    f"{url}/oauth/token",
                    data={"grant_type": "password", "username": username, "password": "wrong!!!"},
                    auth=("1", secret),
                    timeout=30,
                )
                times[label].append(time.perf_counter() - start)
                assert r.status_code == 400, r.text
    known, unknown = (statistics.median(times[k]) for k in ("known", "unknown"))
    assert unknown >= known * 0.5, (
        f"median known {known * 1000:.1f} ms vs unknown {unknown * 1000:.1f} ms"
    )
