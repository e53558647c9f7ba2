"""The playground's key pair for ``private_key_jwt``: its public JWKS, to register elsewhere."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, Static

from authclients.tui.safe_display import literal
from authclients.tui.screens.base import ConsoleModal

NOTE = (
    "Register this public key with the client on the other server (its JWKS or "
    "jwks field). The private key stays in this run's memory: it is never written "
    "to disk, and a new run makes a new pair. n makes a new pair now."
)


class PublicKeyScreen(ConsoleModal[bool]):
    """Shows the JWKS; dismisses with True when a new pair is asked for."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy", "Copy JWKS", id="public_key.copy"),
        Binding("n", "new_pair", "New pair", id="public_key.new"),
        Binding("escape", "close", "Close", id="public_key.close"),
    ]

    def __init__(self, kid: str, jwks: str) -> None:
        super().__init__()
        self._kid = kid
        self._jwks = jwks

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="public-key-dialog"):
            yield Label(literal(f"Key pair {self._kid}"), classes="dialog-title")
            yield Static(literal(NOTE), id="public-key-note")
            with VerticalScroll(id="public-key-jwks"):
                yield Static(literal(self._jwks, multiline=True))
            with Horizontal(classes="dialog-buttons"):
                yield Button("Copy JWKS (c)", variant="primary", id="public-key-copy", compact=True)
                yield Button("New pair (n)", id="public-key-new", compact=True)
                yield Button("Close (esc)", id="public-key-close", compact=True)

    @on(Button.Pressed, "#public-key-copy")
    def action_copy(self) -> None:
        self.console.copy_text(self._jwks, "Public JWKS")

    @on(Button.Pressed, "#public-key-new")
    def action_new_pair(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#public-key-close")
    def action_close(self) -> None:
        self.dismiss(False)
