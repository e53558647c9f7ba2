"""SVG snapshots of the token playground at 80x24 and 120x40, from fixed data (no network).

Regenerate after an intended change of looks:
    .venv/bin/python -m pytest tests/tui/test_playground_snapshots.py --snapshot-update
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from authclients.store import Store
from authclients.store import oauth_client as oc
from authclients.store.endpoint import TokenEndpoint
from authclients.store.records import CreatedClient
from authclients.tui.app import AuthClientsApp
from authclients.tui.playground_scenes import SCENE_PKCE, stage
from authclients.tui.screens.authorize_here import AuthorizeHereScreen
from authclients.tui.screens.playground import PlaygroundScreen
from tests.tui.conftest import settle

SIZES = [
    pytest.param((80, 24), id="80x24"),
    pytest.param((120, 40), id="120x40"),
    # Issue 16: every screen whole on a small terminal too.
    pytest.param((60, 20), id="60x20"),
]
SECRET = "demo-secret-0001-abcdefghijklmnopqrstuvwxyz0123"


@pytest.fixture
def portal(store: Store) -> CreatedClient:
    store.target = "authclients.db"  # the header shows it; tmp paths differ per run
    store.users.add("alice", "password-alice")
    store.clients.create("CI deploy bot", client_credentials=True)
    return store.clients.create(
        "Customer portal",
        ["https://portal.example.com/oauth/callback"],
        authorization_code=True,
        password=True,
        scopes="read write",
    )


def scene(
    portal: CreatedClient, *, token: bool, tab: str = ""
) -> Callable[[Pilot], Awaitable[None]]:
    """Open the playground on the portal client; show a token response if asked."""

    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        await settle(pilot)
        screen = PlaygroundScreen(portal.client, pkce=SCENE_PKCE)
        app.push_screen(screen)
        await settle(pilot)
        stage(screen, secret=SECRET, token=token, tab=tab)
        app.clear_notifications()
        await settle(pilot)

    return run_before


@pytest.fixture
def app(make_app, portal: CreatedClient) -> AuthClientsApp:
    built: AuthClientsApp = make_app()
    built.secrets[portal.client.id] = SECRET
    return built


@pytest.mark.parametrize("size", SIZES)
def test_playground(snap_compare, app: AuthClientsApp, portal: CreatedClient, size) -> None:
    assert snap_compare(app, terminal_size=size, run_before=scene(portal, token=False))


TOKEN_SCENES = [
    pytest.param("tab-request", (80, 24), id="request-80x24"),
    pytest.param("tab-token", (120, 40), id="token-120x40"),
]
"""After a token response: the masked request where space is short, the token where it is not."""


@pytest.mark.parametrize(("tab", "size"), TOKEN_SCENES)
def test_playground_token(
    snap_compare, app: AuthClientsApp, portal: CreatedClient, tab: str, size
) -> None:
    assert snap_compare(app, terminal_size=size, run_before=scene(portal, token=True, tab=tab))


def test_sign_in_here_consent(
    snap_compare, app: AuthClientsApp, portal: CreatedClient, store: Store
) -> None:
    """The consent step of "sign in and approve here", over a real endpoint it does not show."""
    endpoint = TokenEndpoint(store, port=0)
    endpoint.start()
    url = oc.authorize_url(
        oc.Target.from_base(endpoint.url),
        str(portal.client.id),
        portal.client.redirect_uris[0],
        "read",
        SCENE_PKCE,
    )

    async def run_before(pilot: Pilot) -> None:
        await scene(portal, token=False)(pilot)
        dialog = AuthorizeHereScreen(url, timeout=5, username="alice")
        pilot.app.push_screen(dialog)
        await settle(pilot)
        dialog.query_one("#az-password", Input).value = "password-alice"
        await pilot.click("#az-submit")
        await settle(pilot)
        assert dialog.query_one("#az-consent").display
        dialog.set_focus(None)
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    finally:
        endpoint.stop()
