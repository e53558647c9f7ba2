"""Without a terminal the console refuses at once: no port bound, no file written."""

from __future__ import annotations

import os
import select
import subprocess
from pathlib import Path

import pytest

from tests.tui.process.terminal import PROGRAM, free_port, port_is_free

NEEDS = "authclients: error: needs a terminal; see authclients --help"


def _read_all(fd: int) -> bytes:
    seen = b""
    while select.select([fd], [], [], 0.2)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    return seen


@pytest.mark.parametrize(
    ("stdin_tty", "stdout_tty", "stderr_tty"),
    [
        (False, False, False),
        (True, False, True),  # `authclients > out`: stdout a file
        (False, True, True),  # `authclients < /dev/null`
        (True, True, False),  # `authclients 2> log`: Textual would draw into the log
    ],
)
@pytest.mark.parametrize("demo", [False, True])
def test_the_console_refuses_without_a_terminal(
    tmp_path: Path, stdin_tty: bool, stdout_tty: bool, stderr_tty: bool, demo: bool
) -> None:
    port = free_port()
    db = tmp_path / "sub" / "authclients.db"
    env = dict(os.environ, TMPDIR=str(tmp_path / "tmp"), XDG_DATA_HOME=str(tmp_path / "data"))
    (tmp_path / "tmp").mkdir()
    argv = [PROGRAM, "--port", str(port), *(["--demo"] if demo else ["--db", str(db)])]
    master, slave = os.openpty()
    out, err = tmp_path / "out", tmp_path / "err"
    try:
        with out.open("w") as out_file, err.open("w") as err_file:
            done = subprocess.run(
                argv,
                stdin=slave if stdin_tty else subprocess.DEVNULL,
                stdout=slave if stdout_tty else out_file,
                stderr=slave if stderr_tty else err_file,
                env=env,
                timeout=30,
            )
        on_terminal = _read_all(master).decode(errors="replace")
    finally:
        os.close(slave)
        os.close(master)
    assert done.returncode == 2
    message = on_terminal if stderr_tty else err.read_text()
    assert message.strip() == NEEDS
    assert "\x1b" not in message, "escape codes were written"
    assert out.read_text() == "", "the console wrote into the file"
    assert not db.parent.exists(), "the database folder was created"
    assert not (tmp_path / "data").exists(), "the default database folder was created"
    assert list((tmp_path / "tmp").iterdir()) == [], "a demo database was made"
    assert port_is_free(port)


def test_help_still_works_without_a_terminal() -> None:
    done = subprocess.run(
        [PROGRAM, "--help"], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0 and "usage: authclients" in done.stdout
