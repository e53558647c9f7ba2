"""SVG snapshots of issue 15's screens at 80x24 and 120x40: the marked client list, a
self-registered client's form, the Resources screen and its form.

Regenerate after an intended change of looks:
    .venv/bin/python -m pytest tests/tui/test_registration_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

from authclients.store import Store
from authclients.tui.app import AuthClientsApp
from tests.tui.test_registration_console import self_registered
from tests.tui.test_snapshots import SIZES, fixed_secrets, steps

__all__ = ["fixed_secrets"]  # the autouse fixture, imported to apply here too


@pytest.fixture
def registered_store(store: Store) -> Store:
    store.target = "authclients.db"  # the header shows it; tmp paths differ per run
    rs = store.clients.create("MCP server (dev)", client_credentials=True).client
    store.clients.create(
        "Customer portal", ["https://portal.example.com/cb"], authorization_code=True
    )
    self_registered(
        store,
        "Claude Desktop",
        metadata='{"client_name": "Claude Desktop", "redirect_uris": '
        '["http://127.0.0.1:33418/callback"], "token_endpoint_auth_method": "none"}',
        client_uri="https://claude.example/",
        software_id="claude-desktop",
        software_version="1.2.3",
    )
    odd = self_registered(store, "Unexpected visitor")
    store.clients.set_disabled(odd, True)
    store.resources.add(
        "http://127.0.0.1:8000/mcp", "MCP dev server", introspection_client_id=rs.id
    )
    store.resources.add("https://api.example.com", "Public API")
    store.registrations.set_mode("token")
    store.registrations.set_start_disabled(True)
    return store


SCREENS = {
    "clients_marked": (),
    "registered_form": ("down,down", "enter"),
    "disable_confirm": ("down,down", "x"),
    "resources": ("R",),
    "resource_form": ("R", "a"),
    "open_confirm": ("R", "m,m"),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare, registered_store: Store, make_app, screen: str, size) -> None:
    app: AuthClientsApp = make_app()
    assert snap_compare(app, terminal_size=size, run_before=steps(*SCREENS[screen]))
