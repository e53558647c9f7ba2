"""An argument that is not valid UTF-8 (a name typed in a Latin-1 terminal) gives one
line, never a traceback: Python hands it over with surrogates, which SQLite refuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BAD = b"Bad\xffname"


@pytest.mark.parametrize(
    "argv",
    [
        [b"clients", b"create", b"--name", BAD, b"--client-credentials"],
        [b"clients", b"list", b"--filter", BAD],
        [b"tokens", b"list", b"--user", BAD],
    ],
    ids=["create", "filter", "lookup"],
)
def test_a_non_utf8_argument_gives_one_line(tmp_path: Path, argv: list[bytes]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "AUTHCLIENTS_DB"}
    env["LC_ALL"] = "C.UTF-8"
    db = str(tmp_path / "a.db").encode()
    result = subprocess.run(
        [sys.executable.encode(), b"-m", b"authclients.tui.cli", b"--db", db, *argv],
        env=env,
        capture_output=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    err = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    assert result.returncode in (1, 2)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("authclients: error: "), err
    assert b"\xff" not in result.stderr
