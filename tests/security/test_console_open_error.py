"""The console's "cannot open the database" line quotes the path and the driver's words:
a path holding an escape sequence (from --db or AUTHCLIENTS_DB) must not reach the terminal."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

HOSTILE = "x\x1b]0;pwned\x07\x9b2J\u202e.db"


def _run(args: list[str], env_db: str | None) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ)
    env.pop("AUTHCLIENTS_DB", None)
    if env_db is not None:
        env["AUTHCLIENTS_DB"] = env_db
    # On a terminal (the console refuses to start without one); what it writes there is
    # read back from the terminal's other end, as stderr.
    master, slave = os.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "authclients.tui.cli", *args],
            env=env,
            timeout=60,
            stdin=slave,
            stdout=slave,
            stderr=slave,
        )
        os.close(slave)
        seen = b""
        while select.select([master], [], [], 0.5)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
    return subprocess.CompletedProcess(
        done.args, done.returncode, b"", seen.replace(b"\r\n", b"\n")
    )


@pytest.mark.parametrize("via", ["--db", "AUTHCLIENTS_DB"])
def test_console_open_failure_shows_a_hostile_path_literally(tmp_path: Path, via: str) -> None:
    path = tmp_path / HOSTILE
    path.write_bytes(b"this is not an SQLite database " * 200)
    if via == "--db":
        result = _run(["--db", str(path), "--no-server"], None)
    else:
        result = _run(["--no-server"], str(path))
    assert result.returncode == 1
    err = result.stderr.decode("utf-8")
    assert "cannot open the database" in err
    assert "\x1b" not in err and "\x07" not in err and "\x9b" not in err and "\u202e" not in err
    assert "␛]0;pwned␇" in err
    assert len(err.strip().splitlines()) == 1
