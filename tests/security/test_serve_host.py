"""``authclients serve --host`` is echoed when it cannot be listened on: an escape
sequence in it must not reach the admin's terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_serve_refuses_or_shows_a_hostile_host_literally(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "AUTHCLIENTS_DB"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "authclients.tui.cli",
            "--db",
            str(tmp_path / "a.db"),
            "serve",
            "--host",
            "bad\x1b]0;pwned\x07\x9b2J",
            "--port",
            "0",
        ],
        env=env,
        capture_output=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode != 0
    out = (result.stdout + result.stderr).decode("utf-8")
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert len(result.stderr.decode("utf-8").strip().splitlines()) == 1
