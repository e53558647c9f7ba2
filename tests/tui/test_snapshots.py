"""SVG snapshots of every screen at 80x24 and 120x40, with frozen time, secrets and cursors.

Regenerate after an intended change of looks:
    .venv/bin/python -m pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from authclients.store import Store, crypto
from authclients.store.clock import ManualClock
from authclients.store.tokens import NEVER
from authclients.tui.app import AuthClientsApp
from tests.tui.conftest import settle

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.fixture(autouse=True)
def fixed_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets and tokens from a counter, so every run draws the same screens."""
    counter = itertools.count(1)
    monkeypatch.setattr(
        crypto, "new_secret", lambda: f"{next(counter):04d}-snapshot-secret-0123456789abcdefghijklm"
    )


@pytest.fixture
def demo_store(store: Store, clock: ManualClock) -> Store:
    """A few clients, users and tokens of every kind and state."""
    store.target = "authclients.db"  # the header shows it; tmp paths differ per run
    web = store.clients.create(
        "Customer portal",
        ["https://portal.example.com/oauth/callback"],
        authorization_code=True,
        password=True,
    ).client
    store.clients.create(
        "Mobile app (iOS)", ["com.example.app:/callback"], authorization_code=True, public=True
    )
    ci = store.clients.create("CI deploy bot", client_credentials=True).client
    store.clients.create("Legacy intranet", password=True, scopes="read write")
    store.clients.create("Personal tokens", personal_access=True)
    store.users.add("alice", "password-alice")
    store.users.add("bob", "password-bob")
    store.users.set_active("bob", False)
    alice = store.users.get("alice")
    store.tokens.issue(web, grant_type="password", user_id=alice.id, scopes=("read",))
    clock.advance(timedelta(days=2))
    store.tokens.issue(ci, grant_type="client_credentials")
    revoked = store.tokens.issue(ci, grant_type="client_credentials")
    store.tokens.revoke(revoked.info.id)
    store.tokens.create_personal_access_token("alice", "laptop", scopes="read", lifetime=NEVER)
    clock.advance(timedelta(minutes=8))
    return store


def steps(*keys: str) -> Callable[[Pilot], Awaitable[None]]:
    """Press keys, waiting for store jobs after each; then freeze what moves."""

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(*key.split(","))
            await settle(pilot)
        for widget in pilot.app.screen.query(Input):
            widget.cursor_blink = False
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


SCREENS = {
    "clients": (),
    "client_form_new": ("n",),
    "client_form_errors": ("n", "ctrl+s"),
    "client_form_edit": ("enter",),
    "secret_reveal": ("r", "y"),
    "confirm_delete": ("d",),
    "filter": ("slash", "b,o,t"),
    "users": ("u",),
    "user_form": ("u", "a"),
    "tokens": ("T",),
    "tokens_of_client": ("down,down", "t"),
    "token_form": ("T", "n"),
    "token_reveal": ("T", "n", "tab", "l,a,p,t,o,p", "ctrl+s"),
    "discard_confirm": ("n", "x", "escape"),
    "help": ("question_mark",),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare, demo_store: Store, make_app, screen: str, size) -> None:
    app: AuthClientsApp = make_app()
    assert snap_compare(app, terminal_size=size, run_before=steps(*SCREENS[screen]))


@pytest.mark.parametrize("size", SIZES)
def test_clients_empty(snap_compare, store: Store, make_app, size) -> None:
    store.target = "authclients.db"
    app: AuthClientsApp = make_app(endpoint=None, endpoint_note="--no-server")
    assert snap_compare(app, terminal_size=size, run_before=steps())


def _fixed_keys(store: Store, clock: ManualClock) -> None:
    """Rows with fixed ids (real keys have random ones); the screen never reads the private half."""
    from authclients.store.models import SigningKey

    now = clock.now()
    for kid, offset, retired in (
        ("retired-key-0000000000000000000000000000000", timedelta(days=-9), timedelta(days=-8)),
        ("active-key-00000000000000000000000000000000", timedelta(days=-8), None),
        ("next-key-0000000000000000000000000000000000", timedelta(minutes=5), None),
    ):
        SigningKey.create(
            kid=kid,
            alg="ES256",
            private_key="(not a key: the screen never reads it)",
            public_jwk="{}",
            created_at=now + min(offset, timedelta(0)),
            active_from=now + offset,
            retired_at=None if retired is None else now + retired,
            published_until=None if retired is None else now + retired + timedelta(hours=1),
        )


@pytest.mark.parametrize("size", SIZES)
def test_keys_screen(snap_compare, demo_store: Store, clock: ManualClock, make_app, size) -> None:
    _fixed_keys(demo_store, clock)
    app: AuthClientsApp = make_app()
    assert snap_compare(app, terminal_size=size, run_before=steps("k"))
