"""Fixed playground scenes for snapshots, screenshots and demos: no network, no randomness."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from textual.containers import VerticalScroll
from textual.widgets import Input, TabbedContent

from authclients.store import oauth_client as oc

if TYPE_CHECKING:
    from authclients.tui.screens.playground import PlaygroundScreen

SCENE_PKCE = oc.Pkce.fixed("demo-state-0001", "demo-verifier-" + "0123456789" * 4)
"""A fixed state and verifier, so the authorize URL and challenge never change between runs."""


def token_exchange(base_url: str, client_id: int, secret: str) -> oc.Exchange:
    """A password grant that succeeded, with fixed tokens, as the playground would show it.

    Args:
        base_url: the target's base URL (shown in the request and curl panels).
        client_id: the client the request authenticates as.
        secret: its secret (masked in the panels unless shown).
    """
    target = oc.Target.from_base(base_url)
    credentials = oc.ClientCredentials(str(client_id), secret)
    request = oc.password_request(target, credentials, "alice", "password-alice", "read")
    body = {
        "token_type": "Bearer",
        "access_token": "demo-access-token-0001-abcdefghijklmnopqrstuvwxyz",
        "expires_in": 3600,
        "refresh_token": "demo-refresh-token-0001-abcdefghijklmnopqrstuvwxyz",
        "scope": "read",
    }
    response = oc.HttpResponse(
        status=200,
        reason="OK",
        headers=(
            ("Content-Type", "application/json"),
            ("Cache-Control", "no-store"),
            ("Pragma", "no-cache"),
        ),
        body=json.dumps(body),
        elapsed_ms=12.0,
    )
    return oc.Exchange(request, response)


def stage(screen: PlaygroundScreen, *, secret: str, token: bool = True, tab: str = "") -> None:
    """Fill an open playground as the snapshots and screenshots show it.

    Call after the screen is mounted (``app.push_screen(PlaygroundScreen(client,
    pkce=SCENE_PKCE))`` and a pause). With ``token``, a password grant's answer is
    shown as if just received; ``tab`` (``tab-request``, ``tab-curl``,
    ``tab-response``, ``tab-token``, ``tab-history``) is brought into view.
    """
    screen.query_one("#pg-username", Input).value = "alice"
    screen.query_one("#pg-scope-password", Input).value = "read"
    if token:
        client_id = screen.client.id if screen.client is not None else 1
        screen.show_exchange(token_exchange(screen.console.endpoint_url, client_id, secret))
    if tab:
        screen.query_one("#pg-panels", TabbedContent).active = tab
        screen.query_one("#pg-body", VerticalScroll).scroll_end(animate=False)
    for widget in screen.query(Input):
        widget.cursor_blink = False
    screen.set_focus(None)
