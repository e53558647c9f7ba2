"""A key holds the embedded endpoint until the frames that show it stop, and the clients
screen shows a cursor move in one frame (its "row N" line with the table)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual import events
from textual.app import App
from textual.driver import Driver
from textual.widgets import Label

from authclients.store import Store
from authclients.tui.app import AuthClientsApp
from authclients.tui.foreground_hold import KeyHold, early_hold_driver
from authclients.tui.screens.clients import ClientsScreen
from tests.tui.conftest import settle

QUIET = 0.05


class Gate:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def busy(self) -> None:
        self.calls.append("busy")

    def idle(self) -> None:
        self.calls.append("idle")


async def test_frames_keep_the_hold_and_quiet_releases_it() -> None:
    gate = Gate()
    hold = KeyHold(gate, quiet=QUIET)
    hold.pressed()
    hold.dispatched()
    assert gate.calls == ["busy"] and hold.holding
    # Frames closer together than the quiet period: still held after several periods.
    for _ in range(6):
        await asyncio.sleep(QUIET / 3)
        hold.drawn()
    assert gate.calls == ["busy"] and hold.holding
    await asyncio.sleep(QUIET * 2)
    assert gate.calls == ["busy", "idle"] and not hold.holding
    # A frame with no key pending (an animation, a toast) holds nothing.
    hold.drawn()
    await asyncio.sleep(QUIET * 2)
    assert gate.calls == ["busy", "idle"]


async def test_a_key_that_draws_nothing_is_released_after_the_quiet_period() -> None:
    gate = Gate()
    hold = KeyHold(gate, quiet=QUIET)
    hold.pressed()
    hold.dispatched()
    await asyncio.sleep(QUIET * 2)
    assert gate.calls == ["busy", "idle"]
    hold.pressed()
    hold.release()  # the app closing releases at once
    assert gate.calls == ["busy", "idle", "busy", "idle"] and not hold.holding


async def test_the_row_line_changes_with_the_cursor_not_a_message_later(
    store: Store, make_app: Callable[..., AuthClientsApp]
) -> None:
    for n in range(30):
        store.clients.create(f"client {n:02d}", client_credentials=True)
    app = make_app()
    async with app.run_test(size=(100, 20)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClientsScreen)
        info = screen.query_one("#page-info", Label)
        assert str(info.render()).startswith("row 1 ·")
        for row in range(2, 26):  # past the bottom: the table scrolls too
            # The action alone, no message processed: the line says so already, so the
            # frame that draws the moved cursor draws it too.
            screen.table.action_cursor_down()
            assert str(info.render()).startswith(f"row {row} ·")
        await settle(pilot)
        assert str(info.render()).startswith("row 25 · 1–30 of 30")


class _App:
    def __init__(self, gate: Gate | None) -> None:
        self.foreground_gate = gate


def test_the_driver_marks_the_gate_busy_as_soon_as_a_key_is_read() -> None:
    class Base(Driver):
        def __init__(self, app: object) -> None:
            self._app = app
            self.handed_over: list[object] = []

        def process_message(self, message: object) -> None:
            self.handed_over.append(message)

        def write(self, data: str) -> None: ...
        def start_application_mode(self) -> None: ...
        def disable_input(self) -> None: ...
        def stop_application_mode(self) -> None: ...

    gate = Gate()
    early = early_hold_driver(Base)
    assert issubclass(early, Base)
    driver = early(_App(gate))  # type: ignore[call-arg]
    key, move = events.Key("down", None), events.MouseMove(None, 1, 1, 0, 0, 0, False, False, False)
    driver.process_message(move)
    assert gate.calls == []  # a mouse move is not waited for
    driver.process_message(key)
    assert gate.calls == ["busy"]
    assert driver.handed_over == [move, key]  # every event still reaches the app
    early(_App(None)).process_message(key)  # type: ignore[call-arg]  # no endpoint: no gate


def test_the_console_uses_the_platform_driver_with_the_early_mark(
    make_app: Callable[..., AuthClientsApp],
) -> None:
    app = make_app()
    platform = App().driver_class
    assert issubclass(app.driver_class, platform) and app.driver_class is not platform
