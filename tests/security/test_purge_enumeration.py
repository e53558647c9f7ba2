"""Waits and locks say nothing about which usernames exist, even after a purge.

An unknown username's escalation is counted from its ``password_run`` rows; a
known user's from ``users.failure_runs``. ``tokens purge`` deleted every
``failed_attempt`` row older than a day, run rows included, so an unknown
username started afresh while a known one kept climbing: after one run, a
day and a purge, a second run made a known user wait 120 s and an unknown one
60 s, and ``Retry-After`` told them apart (likewise the lock: a known user
locks after 30 failures spread over days, an unknown one never did).
Real HTTP against ``authclients serve``; the rows are aged with raw SQL.
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.endpoint.conftest import AUTHCLIENTS, serving

PASSWORD = "correct horse battery"
TWO_DAYS_US = 2 * 86_400 * 1_000_000


def cli(db: Path, *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        [AUTHCLIENTS, "--db", str(db), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AUTHCLIENTS_BCRYPT_ROUNDS", "4")
    path = tmp_path / "purge.db"
    out = cli(path, "clients", "create", "--name", "Legacy", "--password-grant", "--json")
    (tmp_path / "secret").write_text(out.split('"secret": "')[1].split('"', 1)[0])
    return path


@pytest.fixture
def served(db: Path) -> Iterator[str]:
    cli(db, "users", "add", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    with serving(db) as (_, url):
        yield url


def attempt(url: str, secret: str, username: str) -> requests.Response:
    return requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "password", "username": username, "password": "not the password"},
        auth=("1", secret),
        timeout=30,
    )


def run_of_failures(url: str, secret: str, username: str) -> int:
    """Five wrong passwords, then the wait the sixth attempt is told (Retry-After)."""
    for _ in range(5):
        r = attempt(url, secret, username)
        assert r.status_code == 400, r.text
    r = attempt(url, secret, username)
    assert r.status_code == 429, r.text
    return int(r.headers["Retry-After"])


def test_a_purge_does_not_tell_known_usernames_from_unknown_ones(
    db: Path, served: str, tmp_path: Path
) -> None:
    secret = (tmp_path / "secret").read_text()
    first = {name: run_of_failures(served, secret, name) for name in ("alice", "ghost")}
    assert abs(first["alice"] - first["ghost"]) <= 2, first

    # A day and more goes by (the rows are aged), and the admin purges.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE failed_attempt SET at = at - ?", (TWO_DAYS_US,))
    cli(db, "tokens", "purge")

    second = {name: run_of_failures(served, secret, name) for name in ("alice", "ghost")}
    assert abs(second["alice"] - second["ghost"]) <= 2, (
        f"after a purge the second run's wait tells a known username from an unknown one: {second}"
    )
