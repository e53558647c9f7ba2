"""The playground's keys and command-palette entries: one place names them for the UI."""

from __future__ import annotations

from textual.binding import Binding, BindingType

BINDINGS: list[BindingType] = [
    Binding("escape", "back", "Back", id="playground.back"),
    Binding("ctrl+s", "send", "Send", id="playground.send", tooltip="Send the grant request"),
    Binding("ctrl+r", "refresh", "Refresh", id="playground.refresh"),
    Binding("ctrl+t", "introspect", "Introspect", id="playground.introspect"),
    Binding("ctrl+g", "revoke", "Revoke", id="playground.revoke"),
    Binding("ctrl+o", "call_api", "Call API", id="playground.call_api"),
    Binding("ctrl+y", "copy_token", "Copy token", id="playground.copy_token", show=False),
    Binding("ctrl+l", "copy_curl", "Copy curl", id="playground.copy_curl", show=False),
    Binding(
        "ctrl+n",
        "authorize_here",
        "Sign in here",
        id="playground.authorize_here",
        show=False,
        tooltip="Sign in and approve here (code and device grants)",
    ),
    Binding("f2", "toggle_secrets", "Secrets", id="playground.toggle_secrets", show=False),
    Binding("f3", "show_history", "History", id="playground.history", show=False),
]
"""The screen's bindings, each with a stable id for keymaps."""

PALETTE = (
    ("playground: Send", "send", "Send the chosen grant's request (ctrl+s)"),
    ("playground: Refresh", "refresh", "Refresh with the last refresh token (ctrl+r)"),
    ("playground: Introspect", "introspect", "Introspect the access token (ctrl+t)"),
    ("playground: Revoke", "revoke", "Revoke the access token (ctrl+g)"),
    ("playground: Call API", "call_api", "GET the API path with the token (ctrl+o)"),
    ("playground: Copy token", "copy_token", "Copy the access token (ctrl+y)"),
    ("playground: Copy curl", "copy_curl", "Copy the last request as curl (ctrl+l)"),
    ("playground: Sign in and approve here", "authorize_here", "Code or device flow here (ctrl+n)"),
    ("playground: Stop device polling", "stop_device", "Stop polling the device code"),
    ("playground: Copy authorize URL", "copy_authorize_url", "For a real browser"),
    ("playground: New state and verifier", "new_pkce", "A fresh PKCE pair and state"),
    ("playground: Discover endpoints", "discover", "RFC 8414 or OpenID Connect metadata"),
    ("playground: Key pair for private_key_jwt", "key_pair", "Its public JWKS, to register"),
    ("playground: Catch the redirect in a browser", "catch_redirect", "RFC 8252 loopback"),
    ("playground: Save this server", "save_target", "Issuer, client, method, scope"),
    ("playground: Forget the saved server", "forget_target", "And its keyring secret"),
    ("playground: Show or hide secrets", "toggle_secrets", "Mask secrets in panels (f2)"),
    ("playground: History", "show_history", "This run's requests (f3)"),
    ("playground: Back", "back", "Close the playground (esc)"),
)
"""Command-palette entries: title, action, help."""
