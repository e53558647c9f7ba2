"""The playground's action buttons and the API path; each button runs the screen's action."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label

from authclients.store.oauth_client import API_PATH

ACTIONS = (
    ("Send ^s", "pg-send", "send"),
    ("Refresh ^r", "pg-refresh", "refresh"),
    ("Introspect ^t", "pg-introspect", "introspect"),
    ("Revoke ^g", "pg-revoke", "revoke"),
    ("Call API ^o", "pg-call-api", "call_api"),
)
"""The first row: label, id, the screen action it runs."""
EXTRAS = (
    ("Copy token", "pg-copy-token", "copy_token"),
    ("Copy curl", "pg-copy-curl", "copy_curl"),
    ("Show secrets f2", "pg-secrets", "toggle_secrets"),
)
"""The buttons after the API path."""


class ActionBar(Vertical):
    """Send, Refresh, Introspect, Revoke, Call API; the API path, copy and secrets buttons."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="pg-section")

    def compose(self) -> ComposeResult:
        with Horizontal(id="pg-actions"):
            for label, button_id, action in ACTIONS:
                variant = "primary" if action == "send" else "default"
                yield Button(label, variant, id=button_id, compact=True, action=f"screen.{action}")
        with Horizontal(classes="pg-row", id="pg-api-row"):
            yield Label("API path", classes="pg-label")
            yield Input(API_PATH, id="pg-api-path", compact=True)
            # A group of their own, so that a narrow screen can move them under the path.
            with Horizontal(id="pg-extras"):
                for label, button_id, action in EXTRAS:
                    yield Button(label, id=button_id, compact=True, action=f"screen.{action}")

    @property
    def api_path(self) -> str:
        return self.query_one("#pg-api-path", Input).value.strip()

    def show_secrets_label(self, shown: bool) -> None:
        label = "Hide secrets f2" if shown else "Show secrets f2"
        self.query_one("#pg-secrets", Button).label = label
