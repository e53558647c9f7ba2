"""A fixed device-grant scene for the playground's snapshots: no network, no randomness."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from textual.containers import VerticalScroll
from textual.widgets import Input

from authclients.store import oauth_client as oc
from authclients.store.grant_types import GRANT_DEVICE

if TYPE_CHECKING:
    from authclients.tui.screens.playground import PlaygroundScreen

USER_CODE = "BCDF-GHJK"


def device_codes_exchange(base_url: str, client_id: int) -> oc.Exchange:
    """A device authorization request (RFC 8628 §3.1) and its answer, with fixed codes."""
    target = oc.Target.from_base(base_url)
    request = oc.device_code_request(target, oc.ClientCredentials(str(client_id)), "read")
    verification = f"{target.base_url}/oauth/device"
    body = {
        "device_code": "demo-device-code-0001-abcdefghijklmnopqrstuvwxyz",
        "user_code": USER_CODE,
        "verification_uri": verification,
        "verification_uri_complete": f"{verification}?user_code={USER_CODE}",
        "expires_in": 600,
        "interval": 5,
    }
    response = oc.HttpResponse(
        200,
        "OK",
        (("Content-Type", "application/json"), ("Cache-Control", "no-store")),
        json.dumps(body),
        elapsed_ms=9.0,
    )
    return oc.Exchange(request, response)


def stage_device(screen: PlaygroundScreen) -> None:
    """The device grant chosen, its codes received and shown, waiting for the first poll.

    Call after the screen is mounted; the app's clock must stand still (a
    ``ManualClock``), so the countdowns and the polling stay where they are.
    """
    screen.select_grant(GRANT_DEVICE)
    screen.query_one("#pg-scope-device", Input).value = "read"
    client_id = screen.client.id if screen.client is not None else 1
    done = device_codes_exchange(screen.console.endpoint_url, client_id)
    screen.show_exchange(done, token=False)
    assert done.response is not None
    screen.device.begin(oc.DeviceCodes.from_response(done.response.json()))
    for widget in screen.query(Input):
        widget.cursor_blink = False
    screen.set_focus(None)

    def reveal() -> None:
        body = screen.query_one("#pg-body", VerticalScroll)
        body.scroll_to_widget(screen.query_one("#pg-device-codes"), top=True, animate=False)

    # After the outcome line's own reveal, which show_exchange queued first.
    screen.call_after_refresh(reveal)
