"""Snapshots of issue 11's screens and dialogs at 80x24 and 120x40: the Scopes screen,
confirmations that say what they end, the stale-save dialog, locked users.

Regenerate after an intended change of looks:
    .venv/bin/python -m pytest tests/tui/test_change_dialog_snapshots.py --snapshot-update
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.models import User
from authclients.tui.app import AuthClientsApp
from tests.tui.test_snapshots import SIZES, demo_store, fixed_secrets, steps

__all__ = ["demo_store", "fixed_secrets"]  # fixtures, used by name

SCREENS = {
    "scopes": ("o",),
    "scope_form_errors": ("o", "a", "ctrl+s"),
    "rotate_confirm": ("down,down", "r"),
    "grant_off_confirm": ("enter", "tab,tab,tab,space", "ctrl+s"),
    "deactivate_confirm": ("u", "x", "k"),
    "delete_user_confirm": ("u", "d"),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_dialog(snap_compare, demo_store: Store, make_app, screen: str, size) -> None:
    app: AuthClientsApp = make_app()
    assert snap_compare(app, terminal_size=size, run_before=steps(*SCREENS[screen]))


def behind_the_back(change: Callable[[], object], *keys: str) -> Callable[[Pilot], Awaitable[None]]:
    """Press the first key, change the store as another admin would, then the rest."""
    first, *rest = keys

    async def run_before(pilot: Pilot) -> None:
        await steps(first)(pilot)
        change()
        await steps(*rest)(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_stale_client_save(snap_compare, demo_store: Store, make_app, size) -> None:
    portal = demo_store.clients.get(1)

    def narrow() -> None:
        demo_store.clients.update(portal.id, scopes="read", password=False, base=portal)

    async def rename(pilot: Pilot) -> None:
        await behind_the_back(narrow, "enter")(pilot)
        pilot.app.screen.query_one("#name", Input).value = "Customer portal (EU)"
        await steps("ctrl+s")(pilot)

    app: AuthClientsApp = make_app()
    assert snap_compare(app, terminal_size=size, run_before=rename)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("keys", [("u",), ("u", "down", "u")], ids=["users", "unlock_confirm"])
def test_locked_user(
    snap_compare, demo_store: Store, clock: ManualClock, make_app, size, keys
) -> None:
    User.update(locked_at=clock.now() - timedelta(minutes=12)).where(
        User.username == "bob"
    ).execute()
    app: AuthClientsApp = make_app()
    assert snap_compare(app, terminal_size=size, run_before=steps(*keys))
