"""Define a resource server (RFC 8707): its URI, a name, the client it introspects with."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label

from authclients.store.errors import ValidationError
from authclients.store.resources import ResourceInfo
from authclients.tui.jobs import failure_message
from authclients.tui.safe_display import TYPED_TEXT
from authclients.tui.screens.base import ConsoleModal

FIELDS = ("uri", "name", "client")


class ResourceFormScreen(ConsoleModal[ResourceInfo | None]):
    """Saves itself, so a refused URI keeps the dialog and every field as typed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="resource_form.save", tooltip="Define it"),
        Binding("escape", "cancel", "Cancel", id="resource_form.cancel"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._saving = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="resource-dialog"):
            yield Label("Define a resource server", classes="dialog-title")
            yield Label("URI  [dim]https://…, or http on 127.0.0.1[/]", classes="field-label")
            yield Input(
                id="uri", compact=True, placeholder="http://127.0.0.1:8000/mcp", restrict=TYPED_TEXT
            )
            yield Label("", id="uri-error", classes="field-error")
            yield Label("Name  [dim]optional[/]", classes="field-label")
            yield Input(id="name", compact=True, placeholder="My MCP server", restrict=TYPED_TEXT)
            yield Label("", id="name-error", classes="field-error")
            yield Label("Introspects as client  [dim]optional id[/]", classes="field-label")
            yield Input(id="client", compact=True, placeholder="7", restrict=r"[0-9]*")
            yield Label("", id="client-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="resource-save", compact=True)
                yield Button("Cancel (esc)", id="resource-cancel", compact=True)

    def on_mount(self) -> None:
        for label in self.query(".field-error"):
            label.display = False
        self.query_one("#uri", Input).focus()

    def show_errors(self, errors: dict[str, str]) -> None:
        self.show_field_errors(errors, FIELDS, {key: f"#{key}" for key in FIELDS})

    def action_save(self) -> None:
        if self._saving:
            return
        uri = self.query_one("#uri", Input).value
        name = self.query_one("#name", Input).value
        client_text = self.query_one("#client", Input).value.strip()
        if client_text and (len(client_text) > 18 or int(client_text) <= 0):
            self.show_errors({"client": "Give a client id, a whole number of 1 or more."})
            return
        client = int(client_text) if client_text else None
        self._saving = True
        resources = self.store.resources
        self.run_store(
            lambda: resources.add(uri, name, introspection_client_id=client),
            self._saved,
            group="resource-save",
            failed=self._failed,
        )

    def _saved(self, info: ResourceInfo) -> None:
        self._saving = False
        self.dismiss(info)

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        if isinstance(exc, ValidationError):
            self.show_errors(exc.errors)
        else:
            self.notify(failure_message(exc), title="Not saved", severity="error", timeout=8)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#resource-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#resource-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "client":
            self.action_save()
        else:
            self.focus_next()
