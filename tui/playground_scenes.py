"""Fixed playground scenes for snapshots, screenshots and demos: no network, no randomness."""

from __future__ import annotations

import json

from tui import oauth_client as oc

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
