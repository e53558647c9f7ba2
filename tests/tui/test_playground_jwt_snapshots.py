"""SVG snapshots of the decoded-token view at 80x24 and 120x40, from fixed tokens (no network).

The tokens are signed with a fixed Ed25519 key whose JWKS is already in the
playground's cache; local times are shown in UTC (``TZ``) so the pictures are
the same on every machine.

Regenerate after an intended change of looks:
    .venv/bin/python -m pytest tests/tui/test_playground_jwt_snapshots.py --snapshot-update
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent

from authclients.store import Store
from authclients.store.records import CreatedClient
from authclients.tui.app import AuthClientsApp
from authclients.tui.playground_jwt_scene import show_decoded_scene
from authclients.tui.playground_scenes import SCENE_PKCE
from authclients.tui.screens.playground import PlaygroundScreen
from authclients.tui.widgets.playground.jwt_view import JwtSection
from tests.tui.conftest import settle

SECRET = "demo-secret-0001-abcdefghijklmnopqrstuvwxyz0123"


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def portal(store: Store) -> CreatedClient:
    store.target = "authclients.db"  # the header shows it; tmp paths differ per run
    return store.clients.create(
        "OIDC portal",
        ["https://app.example/cb"],
        authorization_code=True,
        scopes="openid read",
        token_format="jwt",
    )


@pytest.fixture
def app(make_app, portal: CreatedClient) -> AuthClientsApp:
    built: AuthClientsApp = make_app()
    built.secrets[portal.client.id] = SECRET
    return built


def decoded(portal: CreatedClient, section: str):
    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        await settle(pilot)
        screen = PlaygroundScreen(portal.client, pkce=SCENE_PKCE)
        app.push_screen(screen)
        await settle(pilot)
        show_decoded_scene(screen, secret=SECRET)
        await settle(pilot)
        screen.query_one("#pg-panels", TabbedContent).active = "tab-token"
        await settle(pilot)
        # Every check is green: the scene is what a good OIDC response looks like.
        reports = {r.label: r for r in screen.reports}
        assert reports["id_token"].signature is not None and reports["id_token"].signature.valid
        assert all(c.ok for r in screen.reports for c in r.checks)
        target = next(w for w in screen.query(JwtSection) if w.label == section)
        screen.query_one("#pg-body", VerticalScroll).scroll_to_widget(
            target, top=True, animate=False
        )
        for widget in screen.query(Input):
            widget.cursor_blink = False
        screen.set_focus(None)
        await settle(pilot)

    return run_before


@pytest.mark.parametrize(
    ("section", "size"),
    [
        pytest.param("access token", (80, 24), id="access-80x24"),
        pytest.param("id_token", (80, 24), id="id-token-80x24"),
        pytest.param("access token", (120, 48), id="access-120x48"),
    ],
)
def test_decoded_token(snap_compare, app: AuthClientsApp, portal: CreatedClient, section, size):
    assert snap_compare(app, terminal_size=size, run_before=decoded(portal, section))
