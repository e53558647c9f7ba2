"""Keys typed in one burst (a password manager's auto-type) land in the fields meant."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from authclients.store import Store
from tests.tui.process.terminal import Terminal, spawn

PASSWORD = "correct horse battery"


def _wait_for_user(db: str, username: str, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        store = Store.open(db)
        try:
            names = [u.username for u in store.users.list("", offset=0, limit=50)]
        finally:
            store.close()
        if names:
            return names
        time.sleep(0.1)
    return []


def _open_add_user(terminal: Terminal) -> None:
    seen = terminal.read_until(b"No clients", 30.0)
    assert b"No clients" in seen, seen[-1500:]
    os.write(terminal.fd, b"u")
    assert b"No users" in terminal.read_until(b"No users", 15.0)
    os.write(terminal.fd, b"a")
    assert b"Add a user" in terminal.read_until(b"Add a user", 15.0)
    terminal.drain(0.3)


@pytest.mark.parametrize(
    "burst",
    [
        f"alice\t{PASSWORD}\t{PASSWORD}\x13",
        # shift+tab (CSI Z) back to the name after typing the passwords first.
        f"\t{PASSWORD}\t{PASSWORD}\x1b[Z\x1b[Zalice\x13",
    ],
    ids=["tab", "shift-tab"],
)
def test_a_burst_with_tabs_fills_each_field(tmp_path: Path, burst: str) -> None:
    db = str(tmp_path / "burst.db")
    Store.open(db).close()
    env = dict(os.environ, TERM="xterm-256color", AUTHCLIENTS_BCRYPT_ROUNDS="4")
    with spawn(["--db", db, "--no-server"], env) as terminal:
        _open_add_user(terminal)
        # One write: the console reads the whole burst at once, as from auto-type.
        os.write(terminal.fd, burst.encode())
        names = _wait_for_user(db, "alice", 15.0)
        terminal.drain(0.2)
        os.write(terminal.fd, b"\x11")
        terminal.exited_within(10.0)
    assert names == ["alice"], names
    store = Store.open(db)
    try:
        assert store.users.verify("alice", PASSWORD) is not None
    finally:
        store.close()
