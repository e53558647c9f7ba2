"""Names the playground's current server and client, to pick them again in a later run."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from authclients.store.oauth_client.saved_targets import MAX_NAME
from authclients.tui.safe_display import literal
from authclients.tui.screens.base import ConsoleModal


class SaveTargetScreen(ConsoleModal[str | None]):
    """Asks for a name; dismisses with it, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="save_target.cancel"),
    ]

    def __init__(self, suggested: str, *, keeps_secrets: bool) -> None:
        super().__init__()
        self._suggested = suggested
        self._keeps_secrets = keeps_secrets

    def compose(self) -> ComposeResult:
        secret_note = (
            "The client secret goes to the OS keyring, never into the file."
            if self._keeps_secrets
            else "No OS keyring here: the secret is not saved and is asked each run."
        )
        with Vertical(classes="dialog", id="save-target-dialog"):
            yield Label("Save this server and client", classes="dialog-title")
            yield Static(
                literal(f"Issuer, client id, auth method, scope and redirect. {secret_note}"),
                id="save-target-note",
            )
            with Horizontal(id="save-target-row"):
                yield Label("Name ", id="save-target-label")
                yield Input(
                    literal(self._suggested).plain,
                    max_length=MAX_NAME,
                    id="save-target-name",
                    compact=True,
                )
            yield Static("", id="save-target-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (enter)", variant="primary", id="save-target-ok", compact=True)
                yield Button("Cancel (esc)", id="save-target-cancel", compact=True)

    @on(Button.Pressed, "#save-target-ok")
    @on(Input.Submitted, "#save-target-name")
    def _save(self) -> None:
        name = self.query_one("#save-target-name", Input).value.strip()
        if not name:
            self.query_one("#save-target-error", Static).update("Give the server a name.")
            return
        self.dismiss(name)

    @on(Button.Pressed, "#save-target-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
