"""Live data: other processes' changes show within seconds; rows deleted elsewhere fail politely."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from authclients.store import Store
from authclients.tui.screens.client_form import ClientFormScreen
from authclients.tui.screens.tokens import TokensScreen
from authclients.tui.screens.users import UsersScreen
from authclients.tui.widgets.client_table import ClientTable
from tests.tui.conftest import notifications, screen_text, settle

ROOT = Path(__file__).resolve().parents[2]
SIZE = (80, 24)
POLL = 0.2
"""Faster than the real second, so the tests stay quick; the mechanism is the same."""


class OtherProcess:
    """Another process on the same database, as the CLI or a second console would be.

    A real process: Peewee binds the models to one database per process, so a
    second ``Store`` in this one would not be "someone else".
    """

    def __init__(self, db_target: str) -> None:
        self.db_target = db_target

    def run(self, code: str) -> str:
        """Run store calls (``s`` is the store) in a fresh process; returns its stdout."""
        script = (
            "from store import Store\n"
            f"s = Store.open({self.db_target!r}, actor='other-admin')\n"
            f"{textwrap.dedent(code)}\n"
            "s.close()\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "AUTHCLIENTS_BCRYPT_ROUNDS": "4"},
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


@pytest.fixture
def other(db_target: str) -> OtherProcess:
    return OtherProcess(db_target)


async def wait_for(pilot, condition: Callable[[], bool], seconds: float = 3.0) -> float:
    """Let the app run until ``condition`` holds; returns how long it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > seconds:
            raise AssertionError(f"not seen within {seconds} s:\n{screen_text(pilot.app)}")
        await pilot.pause(0.05)
    return time.monotonic() - start


async def test_clients_changed_by_another_process_show_up(
    store: Store, other: OtherProcess, make_app
) -> None:
    first = store.clients.create("First", client_credentials=True).client
    second = store.clients.create("Second", client_credentials=True).client
    app = make_app(poll_interval=POLL)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ClientTable)
        await pilot.press("down")  # on "Second": the cursor must stay on it
        await settle(pilot)

        other.run('s.clients.create("Made by the CLI", client_credentials=True)')
        took = await wait_for(pilot, lambda: "Made by the CLI" in screen_text(app))
        assert took < 2.0

        other.run(f's.clients.update({second.id}, name="Second, renamed")')
        await wait_for(pilot, lambda: "Second, renamed" in screen_text(app))
        assert table.current is not None and table.current.id == second.id

        other.run(f"s.clients.delete({first.id})")
        await wait_for(pilot, lambda: "First" not in screen_text(app))
        assert table.match_count == 2
        assert table.current is not None and table.current.id == second.id

        # A token issued elsewhere (the endpoint of another process) moves the live count.
        other.run(f's.tokens.issue(s.clients.get({second.id}), grant_type="client_credentials")')
        await wait_for(pilot, lambda: table.current is not None and table.current.active_tokens)


async def test_a_reload_changes_only_the_rows_whose_client_changed(
    store: Store, other: OtherProcess, make_app
) -> None:
    clients = [store.clients.create(f"Svc {n}", client_credentials=True).client for n in range(3)]
    app = make_app(poll_interval=POLL)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ClientTable)
        rows = [row.key for row in table.ordered_rows]
        issue = f's.tokens.issue(s.clients.get({clients[1].id}), grant_type="client_credentials")'
        other.run(issue)
        await wait_for(pilot, lambda: table.items[1].active_tokens == 1)
        await settle(pilot)
        # Updated in place: the same rows (a rebuilt window has new row keys).
        assert [row.key for row in table.ordered_rows] == rows
        live = [str(table.get_cell(key, "active_tokens")) for key in rows]
        assert live == ["0", "1", "0"]
        assert table.current is not None and table.current.id == clients[0].id


async def test_a_reload_keeps_the_window_the_cursor_moved_in(
    store: Store, other: OtherProcess, make_app
) -> None:
    clients = [store.clients.create(f"Svc {n}", client_credentials=True).client for n in range(130)]
    app = make_app(poll_interval=POLL)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ClientTable)
        table.go_to(70)  # inside the first window, far from its middle
        await settle(pilot)
        assert table.window_start == 0
        rows = [row.key for row in table.ordered_rows]
        issue = f's.tokens.issue(s.clients.get({clients[70].id}), grant_type="client_credentials")'
        other.run(issue)
        await wait_for(pilot, lambda: table.current is not None and table.current.active_tokens)
        await settle(pilot)
        # Not re-centred on the cursor (a rebuilt window): the same rows, one updated.
        assert table.window_start == 0 and [row.key for row in table.ordered_rows] == rows
        assert table.current.id == clients[70].id


async def test_no_reload_without_changes(store: Store, make_app) -> None:
    store.clients.create("Quiet", client_credentials=True)
    app = make_app(poll_interval=POLL)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        loads: list[int] = []
        screen = app.screen
        original = screen._show
        screen._show = lambda *a, **k: (loads.append(1), original(*a, **k))  # type: ignore[method-assign]
        await pilot.pause(POLL * 5)
        await settle(pilot)
        assert loads == []


async def test_tokens_and_users_screens_follow_other_processes(
    store: Store, other: OtherProcess, make_app
) -> None:
    service = store.clients.create("Service", client_credentials=True).client
    app = make_app(poll_interval=POLL)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TokensScreen)
        token_id = other.run(
            f"client = s.clients.get({service.id})\n"
            'print(s.tokens.issue(client, grant_type="client_credentials").info.id)'
        ).strip()
        await wait_for(pilot, lambda: "1 token, 1 live" in screen_text(app))
        other.run(f"s.tokens.revoke({token_id})")
        await wait_for(pilot, lambda: "1 token, 0 live" in screen_text(app))

        await pilot.press("escape", "u")
        await settle(pilot)
        assert isinstance(app.screen, UsersScreen)
        other.run('s.users.add("carol", "password-carol")')
        await wait_for(pilot, lambda: "carol" in screen_text(app))


async def test_editing_a_client_deleted_elsewhere_says_so(
    store: Store, other: OtherProcess, make_app
) -> None:
    client = store.clients.create("Doomed", client_credentials=True).client
    app = make_app(poll_interval=POLL)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ClientFormScreen)
        await pilot.press("end", "!")
        other.run(f"s.clients.delete({client.id})")
        # The open form notices by itself...
        await wait_for(pilot, lambda: "deleted elsewhere" in screen_text(app))
        # ...and saving says so instead of failing with a traceback; the typing stays.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert form.values()["name"] == "Doomed!"
        assert any("deleted elsewhere" in m for m in notifications(app))
        await pilot.press("escape", "y")
        await settle(pilot)
        assert app.screen.query_one(ClientTable).match_count == 0


@pytest.mark.parametrize("keys", [("r", "y"), ("d",), ("t",)], ids=["rotate", "delete", "tokens"])
async def test_acting_on_a_client_deleted_elsewhere_says_so(
    store: Store, other: OtherProcess, make_app, keys: tuple[str, ...]
) -> None:
    gone = store.clients.create("Gone", client_credentials=True).client
    store.clients.create("Stays", client_credentials=True)
    app = make_app()  # no polling: the row is still on screen when the key comes
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        other.run(f"s.clients.delete({gone.id})")
        await pilot.press(*keys)
        await settle(pilot)
        if keys == ("t",):
            # The tokens screen of a deleted client still opens: its history is kept.
            assert isinstance(app.screen, TokensScreen)
            return
        assert any("no longer exists" in m for m in notifications(app))
        # The list was reloaded: only the client that still exists is left.
        table = app.screen.query_one(ClientTable)
        assert [c.name for c in table.items] == ["Stays"]
        assert app.is_running


async def test_a_refresh_does_not_undo_keys_pressed_while_it_ran(store: Store, make_app) -> None:
    for name in ("one", "two", "three"):
        store.clients.create(name, client_credentials=True)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.query_one(ClientTable)
        original = store.clients.list

        def slow_list(*args, **kwargs):
            time.sleep(0.3)  # a big database, or a busy endpoint beside it
            return original(*args, **kwargs)

        store.clients.list = slow_list  # type: ignore[method-assign]
        try:
            screen.refresh_data()  # as when another process changed something
            await pilot.press("down", "down")
            await settle(pilot)
        finally:
            store.clients.list = original  # type: ignore[method-assign]
        assert table.current is not None and table.current.name == "three"
