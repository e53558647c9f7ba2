"""The Devices screen, driven with real keys over a real SQLite store: approve, deny, countdowns."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Select

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.records import CreatedClient, DeviceRequest
from authclients.tui.app import AuthClientsApp
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.device_approve import DeviceApproveScreen
from authclients.tui.screens.devices import EMPTY_TEXT, DevicesScreen
from tests.tui.conftest import notifications, screen_text, settle
from tests.tui.hostile_rows import (
    CLIENT_NAME,
    SCOPES,
    SHOWN_CLIENT_NAME,
    SHOWN_SCOPES,
    SHOWN_USERNAME,
    USERNAME,
)

PASSWORD = "correct horse battery"


@pytest.fixture
def tv(store: Store) -> CreatedClient:
    return store.clients.create("Living-room TV", device=True, public=True, scopes="read write")


@pytest.fixture
def people(store: Store) -> None:
    store.users.add("alice", PASSWORD)
    store.users.add("bob", PASSWORD)
    store.users.add("carol", PASSWORD)
    store.users.set_active("carol", False)


async def open_devices(pilot: Pilot) -> DevicesScreen:
    """From the clients screen, as the admin does: press v."""
    await settle(pilot)
    await pilot.press("v")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DevicesScreen)
    return screen


def rows(screen: DevicesScreen) -> list[list[str]]:
    table = screen.query_one("#devices", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def wait_for(pilot: Pilot, condition: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
        await pilot.pause()
    raise AssertionError("the screen did not get there in time")


async def test_empty_says_how_a_device_asks(make_app: Callable[..., AuthClientsApp]) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_devices(pilot)
        assert rows(screen) == []
        assert EMPTY_TEXT in screen_text(app)
        assert "POST /oauth/device/code" in EMPTY_TEXT


async def test_the_command_palette_opens_it(make_app: Callable[..., AuthClientsApp]) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"go: Devices")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DevicesScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, DevicesScreen)


async def test_rows_and_a_countdown_that_ticks_without_reading_the_store(
    make_app: Callable[..., AuthClientsApp], store: Store, clock: ManualClock, tv: CreatedClient
) -> None:
    store.devices.request(tv.client.id, "read")
    clock.advance(timedelta(seconds=30))
    newest = store.devices.request(tv.client.id, "read write")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_devices(pilot)
        shown = rows(screen)
        assert shown[0][0] == newest.user_code  # newest first
        assert shown[0][1:4] == ["10:00", f"Living-room TV ({tv.client.id})", "read write"]
        assert shown[1][1] == "09:30"
        assert "2 devices waiting" in screen_text(app)
        loads = screen.loads
        clock.advance(timedelta(seconds=75))
        await wait_for(pilot, lambda: rows(screen)[0][1] == "08:45")
        assert rows(screen)[1][1] == "08:15"
        assert rows(screen)[0][4] == "1 min ago"
        # The countdown came from the rows read before, not from a new query.
        assert screen.loads == loads


async def test_approve_for_a_chosen_user(
    make_app: Callable[..., AuthClientsApp], store: Store, tv: CreatedClient, people: None
) -> None:
    asked = store.devices.request(tv.client.id, "read")
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_devices(pilot)
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, DeviceApproveScreen)
        offered = [str(prompt) for prompt, _ in dialog.query_one(Select)._options[1:]]
        assert offered == ["alice", "bob"]  # carol is deactivated
        await pilot.press("ctrl+s")  # nobody chosen yet: refused, nothing written
        await settle(pilot)
        assert app.screen is dialog
        assert "Choose the user" in screen_text(app)
        assert store.devices.get(asked.info.id).status == "pending"
        await pilot.press("enter", "down", "down", "enter")  # open the list, pick bob
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        approved = store.devices.get(asked.info.id)
        assert (approved.status, approved.username) == ("approved", "bob")
        assert f"Approved {asked.user_code} for bob" in notifications(app)[-1]
        await wait_for(pilot, lambda: rows(screen) == [])


async def test_deny_asks_first(
    make_app: Callable[..., AuthClientsApp], store: Store, tv: CreatedClient
) -> None:
    asked = store.devices.request(tv.client.id, "read")
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_devices(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert store.devices.get(asked.info.id).status == "pending"
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert store.devices.get(asked.info.id).status == "denied"
        assert f"Denied {asked.user_code}" in notifications(app)[-1]


async def test_decided_elsewhere_meanwhile_is_refused_and_said(
    make_app: Callable[..., AuthClientsApp], store: Store, tv: CreatedClient, people: None
) -> None:
    asked = store.devices.request(tv.client.id, "read")
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_devices(pilot)
        await pilot.press("a")
        await settle(pilot)
        store.devices.deny(asked.info.id)  # another admin, or the person on the page
        dialog = app.screen
        dialog.query_one(Select).value = dialog.query_one(Select)._options[1][1]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert store.devices.get(asked.info.id).status == "denied"
        last = list(app._notifications)[-1]
        assert last.severity == "error"
        assert "already denied" in last.message


async def test_an_expired_row_is_not_offered(
    make_app: Callable[..., AuthClientsApp], store: Store, clock: ManualClock, tv: CreatedClient
) -> None:
    store.devices.request(tv.client.id, "read")
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_devices(pilot)
        clock.advance(timedelta(minutes=11))
        await wait_for(pilot, lambda: rows(screen)[0][1] == "expired")
        await pilot.press("a")
        await settle(pilot)
        assert app.screen is screen
        assert "has expired" in notifications(app)[-1]


async def test_hostile_client_names_and_scopes_are_shown_not_obeyed(
    make_app: Callable[..., AuthClientsApp], store: Store, tv: CreatedClient, db_path: Path
) -> None:
    asked: DeviceRequest = store.devices.request(tv.client.id, "read")
    mallory = store.users.add("mallory", PASSWORD)
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE client SET name = ? WHERE id = ?", (CLIENT_NAME, tv.client.id))
        raw.execute("UPDATE device_request SET scopes = ? WHERE id = ?", (SCOPES, asked.info.id))
        raw.execute("UPDATE user SET username = ? WHERE id = ?", (USERNAME, mallory.id))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_devices(pilot)
        shown = rows(screen)[0]
        assert shown[2] == f"{SHOWN_CLIENT_NAME} ({tv.client.id})"
        assert shown[3] == SHOWN_SCOPES
        await pilot.press("d")
        await settle(pilot)
        question = screen_text(app)
        assert SHOWN_CLIENT_NAME in question and "\x1b" not in question
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "\x07" not in svg
        await pilot.press("n", "a")  # no, then approve: the picker names the hostile user
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        svg = app.export_screenshot()
        assert SHOWN_CLIENT_NAME.replace(" ", "&#160;") in svg
        assert SHOWN_USERNAME.replace("<", "&lt;").replace(">", "&gt;") in svg
        assert not any(c in svg for c in "\x1b\x07\x9b\u202e")
