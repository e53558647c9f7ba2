"""The console tells its embedded endpoint when it answers a key: the endpoint's loop
waits from the key until the screen update that shows it is written.

A real endpoint (a thread over the console's store), the real app under the
Pilot pressing real keys; the gate records what the app asked of it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import pytest
import requests

from authclients.store import Store
from authclients.store.endpoint.foreground import ForegroundGate
from authclients.tui.app import ENDPOINT_NICE, AuthClientsApp, start_endpoint
from authclients.tui.foreground_hold import FRAME_QUIET
from authclients.tui.screens.clients import ClientsScreen
from tests.tui.conftest import settle


class RecordingGate(ForegroundGate):
    """The real gate, remembering every call in order."""

    __slots__ = ("calls",)

    def __init__(self) -> None:
        super().__init__(max_hold=5.0)
        self.calls: list[str] = []

    def busy(self) -> None:
        self.calls.append("busy")
        super().busy()

    def idle(self) -> None:
        if self.held:
            self.calls.append("idle")
        super().idle()

    def lower_priority(self, nice: int) -> None:
        self.calls.append(f"nice {nice}")
        super().lower_priority(nice)


@pytest.fixture
def endpoint(store: Store) -> Iterator[object]:
    switch = sys.getswitchinterval()
    started, note = start_endpoint(store, 0)
    assert started is not None, note
    started.application.foreground = RecordingGate()  # type: ignore[attr-defined]
    yield started
    started.stop()
    sys.setswitchinterval(switch)


async def test_a_key_holds_the_endpoint_until_the_screen_shows_it(
    store: Store, endpoint: object, make_app: Callable[..., AuthClientsApp]
) -> None:
    for n in range(3):
        store.clients.create(f"client {n}", client_credentials=True)
    gate: RecordingGate = endpoint.application.foreground  # type: ignore[attr-defined]
    app = make_app(endpoint=endpoint)
    assert gate.calls == [f"nice {ENDPOINT_NICE}"]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClientsScreen)
        gate.calls.clear()
        await pilot.press("down")
        await settle(pilot)
        await pilot.pause(2 * FRAME_QUIET)  # released once no frame follows for that long
        assert screen.table.absolute_cursor == 1
        # Held from the key, released after the update that drew the moved cursor.
        assert gate.calls == ["busy", "idle"]
        assert not gate.held
        await pilot.press("down", "up")
        await settle(pilot)
        await pilot.pause(2 * FRAME_QUIET)
        assert gate.calls.count("busy") == 3 and not gate.held


async def test_a_tab_that_moves_focus_at_once_is_held_and_released(
    store: Store, endpoint: object, make_app: Callable[..., AuthClientsApp]
) -> None:
    store.clients.create("client", client_credentials=True)
    gate: RecordingGate = endpoint.application.foreground  # type: ignore[attr-defined]
    app = make_app(endpoint=endpoint)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.pause(2 * FRAME_QUIET)
        gate.calls.clear()
        focused = app.focused
        await pilot.press("tab")  # handled by the app itself (``tui.key_order``)
        await settle(pilot)
        await pilot.pause(2 * FRAME_QUIET)
        assert app.focused is not focused
        assert gate.calls == ["busy", "idle"] and not gate.held


async def test_the_hold_lasts_until_the_frame_is_written(
    store: Store, endpoint: object, make_app: Callable[..., AuthClientsApp]
) -> None:
    for n in range(40):
        store.clients.create(f"client {n}", client_credentials=True)
    gate: RecordingGate = endpoint.application.foreground  # type: ignore[attr-defined]
    app = make_app(endpoint=endpoint)
    drawn = app._display

    def recording_display(screen: object, renderable: object) -> None:
        drawn(screen, renderable)  # type: ignore[arg-type]
        if renderable is not None:
            gate.calls.append("frame")

    app._display = recording_display  # type: ignore[method-assign]
    async with app.run_test(size=(100, 20)) as pilot:
        await settle(pilot)
        await pilot.pause(2 * FRAME_QUIET)
        screen = app.screen
        assert isinstance(screen, ClientsScreen)
        for presses in range(1, 25):  # past the bottom: the table scrolls
            gate.calls.clear()
            await pilot.press("down")
            await settle(pilot)
            await pilot.pause(2 * FRAME_QUIET)
            assert screen.table.absolute_cursor == presses
            # Not released when the key's handlers ran (Textual paints later, on its
            # screen timer): only after the frame that shows it, and nothing after it.
            assert gate.calls[0] == "busy" and gate.calls[-1] == "idle", gate.calls
            assert "frame" in gate.calls[1:-1], gate.calls
            assert gate.calls.count("idle") == 1 and not gate.held


async def test_the_endpoint_answers_while_the_console_is_idle(
    store: Store, endpoint: object, make_app: Callable[..., AuthClientsApp]
) -> None:
    created = store.clients.create("svc", client_credentials=True)
    app = make_app(endpoint=endpoint)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)
        # One row: down changes nothing on screen, and still releases the endpoint.
        assert not endpoint.application.foreground.held  # type: ignore[attr-defined]
        answer = requests.post(
            f"{endpoint.url}/oauth/token",  # type: ignore[attr-defined]
            data={"grant_type": "client_credentials"},
            auth=(str(created.client.id), created.secret or ""),
            timeout=3,
        )
    assert answer.status_code == 200
    assert len(store.tokens.list(client_id=created.client.id)) == 1
