"""Shows a client secret or a token in full, once, with copy actions and a curl line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, HorizontalScroll, Vertical, VerticalScroll
from textual.widgets import Button, Label, Static

from authclients.tui.safe_display import in_markup, literal
from authclients.tui.screens.base import ConsoleModal
from authclients.tui.widgets.console_footer import ConsoleFooter


@dataclass(frozen=True)
class Reveal:
    """What to show: built by the screen that created the secret."""

    title: str
    """"Client created", "Secret rotated", "Personal access token created"."""
    id_label: str
    """"client_id" or "token id"."""
    id_value: str
    secret_label: str
    """"Client secret" or "Access token"."""
    secret: str | None
    """None for a public client, which has no secret."""
    note: str = ""
    curl_title: str = ""
    curl: str = ""


class SecretRevealScreen(ConsoleModal[None]):
    """The only time a secret is seen in full; ``c`` copies it, ``i`` the id.

    Title, note and curl line quote stored values (a client's name, its redirect
    URL): everything shown is literal, control characters made visible. What is
    copied stays the real value.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy_secret", "Copy secret", id="reveal.copy_secret"),
        Binding("i", "copy_id", "Copy id", id="reveal.copy_id"),
        Binding("l", "copy_curl", "Copy curl", id="reveal.copy_curl"),
        Binding("escape,enter", "close", "Done", id="reveal.close"),
        # A dialog stops the app's keys; help still opens from here, on this dialog's keys.
        Binding("question_mark", "app.help", "Help", id="reveal.help"),
    ]

    def __init__(self, reveal: Reveal) -> None:
        super().__init__()
        self.reveal = reveal

    def compose(self) -> ComposeResult:
        r = self.reveal
        with Vertical(classes="dialog", id="reveal-dialog"):
            yield Label(literal(r.title), classes="dialog-title")
            with VerticalScroll(id="reveal-body", classes="dialog-body"):
                yield Static(
                    f"{in_markup(r.id_label)}: [b]{in_markup(r.id_value)}[/b]", id="reveal-id"
                )
                if r.secret:
                    yield Static(
                        literal(f"{r.secret_label} — shown only this once; copy it now:"),
                        classes="reveal-warning",
                    )
                    yield Static(literal(r.secret), id="reveal-secret")
                else:
                    yield Static(
                        "This public client has no secret: it sends only its id and uses PKCE.",
                        id="reveal-secret-none",
                    )
                if r.note:
                    yield Static(literal(r.note, multiline=True), classes="reveal-note")
                if r.curl_title:
                    yield Static(literal(r.curl_title), classes="reveal-curl-title")
                if r.curl:
                    # Never wrapped: a secret broken over two lines is copied broken by hand.
                    with HorizontalScroll(id="reveal-curl-scroll"):
                        yield Static(literal(r.curl, multiline=True), id="reveal-curl")
            with Horizontal(classes="dialog-buttons"):
                if r.secret:
                    yield Button(
                        "Copy secret (c)", id="copy-secret", variant="primary", compact=True
                    )
                yield Button("Copy id (i)", id="copy-id", compact=True)
                if r.curl:
                    yield Button("Copy curl (l)", id="copy-curl", compact=True)
                yield Button("Done (esc)", id="reveal-done", compact=True)
        # Its own keys, not those of the list underneath.
        yield ConsoleFooter()

    def action_copy_secret(self) -> None:
        if self.reveal.secret:
            self.console.copy_text(self.reveal.secret, self.reveal.secret_label)
        else:
            self.notify("A public client has no secret to copy.", severity="warning")

    def action_copy_id(self) -> None:
        self.console.copy_text(self.reveal.id_value, self.reveal.id_label)

    def action_copy_curl(self) -> None:
        if self.reveal.curl:
            self.console.copy_text(self.reveal.curl, "The curl line")

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#copy-secret")
    def _copy_secret(self) -> None:
        self.action_copy_secret()

    @on(Button.Pressed, "#copy-id")
    def _copy_id(self) -> None:
        self.action_copy_id()

    @on(Button.Pressed, "#copy-curl")
    def _copy_curl(self) -> None:
        self.action_copy_curl()

    @on(Button.Pressed, "#reveal-done")
    def _done(self) -> None:
        self.dismiss(None)
