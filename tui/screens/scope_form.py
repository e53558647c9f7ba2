"""Define a scope: its name (a scope-token) and what it lets a client do."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label

from authclients.store.errors import ValidationError
from authclients.store.records import ScopeInfo
from authclients.tui.jobs import failure_message
from authclients.tui.safe_display import TYPED_TEXT
from authclients.tui.screens.base import ConsoleModal

FIELDS = ("name", "description")


class ScopeFormScreen(ConsoleModal[ScopeInfo | None]):
    """Saves itself, so a refused name keeps the dialog and both fields as typed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="scope_form.save", tooltip="Define the scope"),
        Binding("escape", "cancel", "Cancel", id="scope_form.cancel"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._saving = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="scope-dialog"):
            yield Label("Define a scope", classes="dialog-title")
            yield Label("Name  [dim]e.g. read, orders:write; no spaces[/]", classes="field-label")
            yield Input(id="name", compact=True, placeholder="read", restrict=TYPED_TEXT)
            yield Label("", id="name-error", classes="field-error")
            yield Label("Description  [dim]optional, shown to admins[/]", classes="field-label")
            yield Input(
                id="description",
                compact=True,
                placeholder="Read the user's data",
                restrict=TYPED_TEXT,
            )
            yield Label("", id="description-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="scope-save", compact=True)
                yield Button("Cancel (esc)", id="scope-cancel", compact=True)

    def on_mount(self) -> None:
        for label in self.query(".field-error"):
            label.display = False
        self.query_one("#name", Input).focus()

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each message under its field; the first field in error gets the focus."""
        self.show_field_errors(errors, FIELDS, {key: f"#{key}" for key in FIELDS})

    def action_save(self) -> None:
        if self._saving:
            return
        self._saving = True
        scopes = self.store.scopes
        name = self.query_one("#name", Input).value
        description = self.query_one("#description", Input).value
        self.run_store(
            lambda: scopes.add(name, description),
            self._saved,
            group="scope-save",
            failed=self._failed,
        )

    def _saved(self, scope: ScopeInfo) -> None:
        self._saving = False
        self.dismiss(scope)

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        if isinstance(exc, ValidationError):
            self.show_errors(exc.errors)
        else:
            self.notify(failure_message(exc), title="Not saved", severity="error", timeout=8)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#scope-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#scope-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        # Enter in the description (the last field) saves; in the name it moves on.
        if event.input.id == "description":
            self.action_save()
        else:
            self.focus_next()
