"""`authclients serve --workers N`: processes sharing one port over PostgreSQL; not on SQLite."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from authclients.store import Store
from authclients.store.records import CreatedClient
from tests.backends import POSTGRESQL
from tests.endpoint.conftest import AUTHCLIENTS, basic, serving


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(child) for child in text)
    return found


def _threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads line")


def _listening_inodes(pid: int) -> set[str]:
    """The socket inodes a process holds open (its listening socket among them)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


@pytest.mark.sqlite_only("the refusal is SQLite's")
def test_workers_are_refused_on_sqlite_with_the_reason(db_target: str) -> None:
    done = subprocess.run(
        [AUTHCLIENTS, "serve", "--db", db_target, "--port", "0", "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode == 2
    assert "--workers needs PostgreSQL" in done.stderr and "one writer per file" in done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr


@pytest.mark.sqlite_only("argument checking, the same on every database")
@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_workers_must_be_a_positive_number(db_target: str, value: str) -> None:
    done = subprocess.run(
        [AUTHCLIENTS, "serve", "--db", db_target, "--workers", value],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode == 2 and "--workers" in done.stderr


def test_two_workers_share_one_port_and_serve_tokens(
    backend: str, db_target: str, store: Store
) -> None:
    if backend != POSTGRESQL:
        pytest.skip("serve --workers runs on PostgreSQL only")
    machine: CreatedClient = store.clients.create("Batch job", client_credentials=True)
    with serving(db_target, "--workers", "2") as (proc, url):
        workers = _children(proc.pid)
        assert len(workers) == 2
        # Each worker listens with a socket of its own (SO_REUSEPORT), not an inherited one.
        assert _listening_inodes(workers[0]).isdisjoint(_listening_inodes(workers[1]))
        tokens = set()
        for _ in range(40):
            # A new connection each time: the kernel spreads them over both workers.
            r = requests.post(
                f"{url}/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=basic(machine),
                headers={"Connection": "close"},
            )
            assert r.status_code == 200
            tokens.add(r.json()["access_token"])
            # Committed before its answer, whichever worker gave it.
            assert store.tokens.find(r.json()["access_token"]) is not None
        assert len(tokens) == 40
        for pid in workers:
            assert _threads(pid) <= 8
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()


def test_a_worker_that_dies_stops_the_server(backend: str, db_target: str) -> None:
    if backend != POSTGRESQL:
        pytest.skip("serve --workers runs on PostgreSQL only")
    with serving(db_target, "--workers", "2") as (proc, _url):
        workers = _children(proc.pid)
        os.kill(workers[0], signal.SIGKILL)
        assert proc.wait(timeout=15) == 1
        assert proc.stderr is not None
        assert "a worker stopped unexpectedly" in proc.stderr.read()
    deadline = time.monotonic() + 5
    while Path(f"/proc/{workers[1]}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{workers[1]}").exists()
