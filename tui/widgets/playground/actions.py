"""The playground's action buttons and the API path; presses bubble up to the screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label

from authclients.store.oauth_client import API_PATH


class ActionBar(Vertical):
    """Send, Refresh, Introspect, Revoke, Call API; the API path, copy and secrets buttons."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="pg-section")

    def compose(self) -> ComposeResult:
        with Horizontal(id="pg-actions"):
            yield Button("Send ^s", id="pg-send", variant="primary", compact=True)
            yield Button("Refresh ^r", id="pg-refresh", compact=True)
            yield Button("Introspect ^t", id="pg-introspect", compact=True)
            yield Button("Revoke ^g", id="pg-revoke", compact=True)
            yield Button("Call API ^o", id="pg-call-api", compact=True)
        with Horizontal(classes="pg-row"):
            yield Label("API path", classes="pg-label")
            yield Input(API_PATH, id="pg-api-path", compact=True)
            yield Button("Copy token", id="pg-copy-token", compact=True)
            yield Button("Copy curl", id="pg-copy-curl", compact=True)
            yield Button("Show secrets f2", id="pg-secrets", compact=True)

    @property
    def api_path(self) -> str:
        return self.query_one("#pg-api-path", Input).value.strip()

    def show_secrets_label(self, shown: bool) -> None:
        label = "Hide secrets f2" if shown else "Show secrets f2"
        self.query_one("#pg-secrets", Button).label = label
