"""In a real terminal (tmux), a hostile client's name cannot retitle the admin's window."""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from authclients.store import Store
from tests.tui.hostile_rows import write_hostile_rows

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

START_TITLE = "tuisafe-start"
ST_CLIENT_NAME = "\x1b]2;PWNED\x1b\\y"
"""OSC 2 ended by ST (ESC \\), which survives Rich's stripping of BEL."""


class Tmux:
    """One tmux server on a private socket, so nothing of the user's sessions is touched."""

    def __init__(self) -> None:
        self.socket = f"tuisafe-{os.getpid()}"
        self.socket_path: Path | None = None
        """The socket file, removed at the end (tmux leaves it behind)."""

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )

    def start(self, script: str) -> None:
        """A detached 80x24 session named ``console`` running ``sh -c script``."""
        started = self.run(
            "new-session", "-d", "-s", "console", "-x", "80", "-y", "24", "sh", "-c", script
        )
        assert started.returncode == 0, started.stderr
        self.socket_path = Path(self.run("display", "-p", "#{socket_path}").stdout.strip())

    def close(self) -> None:
        self.run("kill-server")
        if self.socket_path is not None:
            self.socket_path.unlink(missing_ok=True)

    def title(self) -> str:
        return self.run("display", "-p", "-t", "console", "#{pane_title}").stdout.strip()

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "console").stdout

    def alive(self) -> bool:
        return self.run("has-session", "-t", "console").returncode == 0


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    server = Tmux()
    yield server
    server.close()


def test_hostile_client_names_do_not_retitle_the_pane(
    store: Store, db_path: Path, tmux: Tmux
) -> None:
    rows = write_hostile_rows(store, db_path)
    other = store.clients.create("Second", client_credentials=True).client
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE client SET name = ? WHERE id = ?", (ST_CLIENT_NAME, other.id))
    raw.close()
    store.close()
    console = Path(sys.executable).parent / "authclients"
    # The pane's own title first: it proves this tmux obeys OSC titles from the pane,
    # so an unchanged title below means the console sent none.
    script = (
        f"printf '\\033]2;{START_TITLE}\\033\\\\'; "
        f"exec {shlex.quote(str(console))} --db {shlex.quote(str(db_path))} --no-server"
    )
    tmux.start(script)
    wait_for(lambda: tmux.title() == START_TITLE, 10, "the starting title")
    wait_for(lambda: "of 3" in tmux.screen(), 30, "the client list (its page line)")
    time.sleep(1)  # a title sequence would have arrived by now
    assert tmux.title() == START_TITLE
    assert "PWNED" not in tmux.title()
    screen = tmux.screen()
    assert rows.client_id == 1 and "␛]0;PWNED␇x" in screen
    assert "␛]2;PWNED␛\\y" in screen
    tmux.run("send-keys", "-t", "console", "C-q")
    wait_for(lambda: not tmux.alive(), 15, "the console to quit")
