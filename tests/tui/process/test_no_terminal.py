"""Without a terminal the console refuses at once: no port bound, no file written."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.tui.process.terminal import PROGRAM, free_port, port_is_free

NEEDS = "authclients: error: needs a terminal; see authclients --help\n"


@pytest.mark.parametrize(
    ("stdin_tty", "stdout_tty"), [(False, False), (True, False), (False, True)]
)
@pytest.mark.parametrize("demo", [False, True])
def test_the_console_refuses_without_a_terminal(
    tmp_path: Path, stdin_tty: bool, stdout_tty: bool, demo: bool
) -> None:
    port = free_port()
    db = tmp_path / "sub" / "authclients.db"
    env = dict(os.environ, TMPDIR=str(tmp_path / "tmp"), XDG_DATA_HOME=str(tmp_path / "data"))
    (tmp_path / "tmp").mkdir()
    argv = [PROGRAM, "--port", str(port), *(["--demo"] if demo else ["--db", str(db)])]
    master, slave = os.openpty()
    out = tmp_path / "out"
    try:
        with out.open("w") as sink:
            done = subprocess.run(
                argv,
                stdin=slave if stdin_tty else subprocess.DEVNULL,
                stdout=slave if stdout_tty else sink,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                timeout=30,
            )
    finally:
        os.close(slave)
        os.close(master)
    assert done.returncode == 2
    assert done.stderr == NEEDS
    assert out.read_text() == "", "escape codes or text went into the file"
    assert not db.parent.exists(), "the database folder was created"
    assert not (tmp_path / "data").exists(), "the default database folder was created"
    assert list((tmp_path / "tmp").iterdir()) == [], "a demo database was made"
    assert port_is_free(port)


def test_help_still_works_without_a_terminal() -> None:
    done = subprocess.run(
        [PROGRAM, "--help"], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0 and "usage: authclients" in done.stdout
