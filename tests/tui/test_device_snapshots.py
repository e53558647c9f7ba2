"""SVG snapshots of the Devices screen and the playground's device grant, at 80x24 and 120x40.

Regenerate after an intended change of looks:
    .venv/bin/python -m pytest tests/tui/test_device_snapshots.py --snapshot-update
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from authclients.store import Store, devices
from authclients.store.clock import ManualClock
from authclients.store.records import CreatedClient
from authclients.tui.app import AuthClientsApp
from authclients.tui.device_scenes import stage_device
from authclients.tui.screens.devices import DevicesScreen
from authclients.tui.screens.playground import PlaygroundScreen
from tests.tui.conftest import settle

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.fixture
def tv(store: Store, monkeypatch: pytest.MonkeyPatch) -> CreatedClient:
    store.target = "authclients.db"  # the header shows it; tmp paths differ per run
    # User codes are drawn at random: the same draw on every run, for the pictures.
    monkeypatch.setattr(devices, "secrets", random.Random(13))
    store.users.add("alice", "password-alice")
    return store.clients.create("Living-room TV", device=True, public=True, scopes="read write")


@pytest.fixture
def waiting(store: Store, clock: ManualClock, tv: CreatedClient) -> None:
    """Three requests of different ages from two clients."""
    cli = store.clients.create("Build agent CLI", device=True, scopes="deploy")
    store.devices.request(tv.client.id, "read")
    clock.advance(timedelta(minutes=4, seconds=10))
    store.devices.request(cli.client.id, "deploy")
    clock.advance(timedelta(seconds=50))
    store.devices.request(tv.client.id, "read write")
    clock.advance(timedelta(seconds=5))


async def open_devices(pilot: Pilot) -> None:
    await settle(pilot)
    pilot.app.push_screen(DevicesScreen())
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_devices_empty(snap_compare, make_app, tv: CreatedClient, size) -> None:
    app: AuthClientsApp = make_app()
    assert snap_compare(app, terminal_size=size, run_before=open_devices)


@pytest.mark.parametrize("size", SIZES)
def test_devices_waiting(snap_compare, make_app, waiting: None, size) -> None:
    app: AuthClientsApp = make_app()
    assert snap_compare(app, terminal_size=size, run_before=open_devices)


@pytest.mark.parametrize("size", SIZES)
def test_playground_device_codes(snap_compare, make_app, tv: CreatedClient, size) -> None:
    app: AuthClientsApp = make_app()

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        screen = PlaygroundScreen(tv.client)
        app.push_screen(screen)
        await settle(pilot)
        stage_device(screen)
        app.clear_notifications()
        await settle(pilot)
        for widget in screen.query(Input):
            widget.cursor_blink = False

    assert snap_compare(app, terminal_size=size, run_before=run_before)
