"""A database file damaged past its schema (a data page overwritten) opens, then fails
in the middle of a command: the CLI must still say one line, never a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from authclients.store import Store

PAGE = 4096


def _damaged_database(path: Path) -> None:
    store = Store.open(str(path))
    try:
        for i in range(40):
            store.clients.create(f"Client {i}", client_credentials=True)
        store.users.add("alice", "correct horse battery")
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'client'").fetchone()[0]
    assert page_size == PAGE
    with open(path, "r+b") as f:
        f.seek((root - 1) * PAGE)
        f.write(b"\xa5" * PAGE)


@pytest.mark.parametrize(
    "command", [["clients", "list"], ["clients", "list", "--json"], ["clients", "show", "3"]]
)
def test_a_damaged_data_page_gives_one_line(tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "damaged.db"
    _damaged_database(db)
    env = {k: v for k, v in os.environ.items() if k != "AUTHCLIENTS_DB"}
    result = subprocess.run(
        [sys.executable, "-m", "authclients.tui.cli", "--db", str(db), *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("authclients: error: "), result.stderr
    assert "malformed" in lines[0]
