"""Demo data (store and console), the empty state's demo key, and the help screen."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import signal
import socket
import struct
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

from textual.binding import Binding
from textual.widgets import Static

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.demo import DEMO_REDIRECT, seed_demo, temporary_store
from authclients.store.records import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_DEVICE,
    GRANT_PASSWORD,
    GRANT_PERSONAL_ACCESS,
)
from authclients.tui.app import AuthClientsApp
from authclients.tui.cli.main import main
from authclients.tui.demo import DemoConsoleApp
from authclients.tui.screens.clients import ClientsScreen
from authclients.tui.screens.demo_welcome import DemoWelcomeScreen
from authclients.tui.screens.help import HelpScreen
from tests.tui.conftest import settle


def test_seed_demo_makes_a_user_and_one_client_per_grant_that_work(store: Store) -> None:
    demo = seed_demo(store)
    assert store.users.verify(demo.username, demo.password) is not None
    grants = [c.client.grant_types for c in demo.clients]
    assert grants == [
        (GRANT_AUTHORIZATION_CODE,),
        (GRANT_PASSWORD,),
        (GRANT_PERSONAL_ACCESS,),
        (GRANT_CLIENT_CREDENTIALS,),
        (GRANT_DEVICE,),
    ]
    assert demo.clients[0].client.redirect_uris == (DEMO_REDIRECT,)
    *confidential, tv = demo.clients
    for created in confidential:
        assert created.secret and store.clients.authenticate(created.client.id, created.secret)
    # The device client is public, as a TV is: it authenticates by its id alone.
    assert tv.secret is None and store.clients.authenticate(tv.client.id, None) is not None
    assert demo.secrets == {c.client.id: c.secret for c in confidential}
    # Seeding again (a real database that has a "demo" user) picks a free name.
    again = seed_demo(store)
    assert again.username == "demo-2" and again.password != demo.password


def test_temporary_store_is_private_and_removed_afterwards() -> None:
    with temporary_store(clock=ManualClock()) as store:
        path = Path(store.target)
        seed_demo(store)
        assert path.exists()
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.parent.stat().st_mode & 0o777 == 0o700
    assert not path.parent.exists()


def test_demo_flag_refuses_a_database(tmp_path: Path, capsys: object) -> None:
    assert main(["--demo", "--db", str(tmp_path / "real.db")]) == 2
    assert "--demo uses its own throw-away database" in capsys.readouterr().err  # type: ignore[attr-defined]
    assert not (tmp_path / "real.db").exists()


async def test_demo_console_reveals_the_data_once_and_keeps_the_secrets(store: Store) -> None:
    demo = seed_demo(store)
    app = DemoConsoleApp(store, demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        welcome = app.screen
        assert isinstance(welcome, DemoWelcomeScreen)
        text = " ".join(str(s.render()) for s in welcome.query(Static))
        assert demo.password in text
        for created in demo.clients[:4]:
            assert created.secret and created.secret in text
        assert "Demo TV app" in text and "(public: no secret)" in text
        assert "deleted when you quit" in text
        assert app.secrets == demo.secrets
        await pilot.press("2")
        assert app.clipboard == demo.clients[1].secret
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert app.screen.table.match_count == 5


async def test_empty_database_offers_demo_data_with_one_key(
    make_app: Callable[..., AuthClientsApp], store: Store
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClientsScreen)
        assert "D for demo data" in str(screen.query_one("#empty-message", Static).render())
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, DemoWelcomeScreen)
        assert "kept only in memory" in " ".join(str(s.render()) for s in app.screen.query(Static))
        assert len(app.secrets) == 4
        await pilot.press("escape")
        await settle(pilot)
        assert screen.table.match_count == 5
        # With clients present, D does nothing: no demo data mixed into real data by a slip.
        await pilot.press("D")
        await settle(pilot)
        assert app.screen is screen and store.clients.count() == 5


async def test_help_lists_every_key_of_the_screen_under_it_and_explains_the_grants(
    make_app: Callable[..., AuthClientsApp], store: Store
) -> None:
    seed_demo(store)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        clients = app.screen
        await pilot.press("question_mark")
        await settle(pilot)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        keys = str(help_screen.query_one("#help-keys-text", Static).render())
        for binding in Binding.make_bindings(ClientsScreen.BINDINGS):
            if binding.description and clients.check_action(binding.action, ()) is not False:
                assert app.get_key_display(binding) in keys
                assert (binding.tooltip or binding.description) in keys
        assert "Demo data" not in keys  # not offered while there are clients
        assert "Everywhere" in keys and "Open the command palette" in keys
        await pilot.press("g")
        await settle(pilot)
        guide = str(help_screen.query_one("#help-grants-text", Static).render())
        for needle in ("PKCE", "legacy", "shown once", "Client credentials", "Personal access"):
            assert needle in guide
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is clients


def test_demo_command_is_listed_in_help(capsys: object) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "--demo" in out and "screenshots" in out


def _run_demo_in_a_terminal(tmp_path: Path, finish: Callable[[int, int], None]) -> int:
    """`authclients --demo` in a pseudo-terminal with TMPDIR in ``tmp_path``; returns its status.

    ``finish(pid, fd)`` ends it once the demo data is on screen.
    """
    env = dict(os.environ, TMPDIR=str(tmp_path), TERM="xterm-256color")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    program = str(Path(sys.executable).parent / "authclients")
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(program, [program, "--demo", "--port", str(port)], env)
    try:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        seen = _read_until(fd, b"throw-away database", 20.0)
        assert b"throw-away database" in seen, seen[-2000:]
        assert list(tmp_path.iterdir()), "the demo database is not in TMPDIR"
        finish(pid, fd)
        _read_until(fd, b"\x00never", 10.0)
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.close(fd)


def _read_until(fd: int, needle: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the terminal closed: the program ended
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_demo_database_is_deleted_on_quit(tmp_path: Path) -> None:
    status = _run_demo_in_a_terminal(tmp_path, lambda pid, fd: os.write(fd, b"\r\x11"))
    assert status == 0
    assert list(tmp_path.iterdir()) == []


def test_demo_database_is_deleted_when_the_session_hangs_up(tmp_path: Path) -> None:
    _run_demo_in_a_terminal(tmp_path, lambda pid, fd: os.kill(pid, signal.SIGHUP))
    assert list(tmp_path.iterdir()) == []
