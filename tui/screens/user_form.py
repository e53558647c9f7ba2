"""Add a user, or set a user's password: the password typed twice, masked."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label

from authclients.store.errors import ValidationError
from authclients.store.records import UserInfo
from authclients.tui.jobs import failure_message
from authclients.tui.safe_display import TYPED_TEXT, literal
from authclients.tui.screens.base import ConsoleModal

FIELDS = ("username", "password", "again")


class UserFormScreen(ConsoleModal[UserInfo | None]):
    """Saves itself, so a rejected password keeps the dialog (and the username) open."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="user_form.save"),
        Binding("escape", "cancel", "Cancel", id="user_form.cancel"),
    ]

    def __init__(self, username: str | None = None) -> None:
        """Args:
        username: whose password to set; None to add a new user.
        """
        super().__init__()
        self.username = username
        self._saving = False

    def compose(self) -> ComposeResult:
        adding = self.username is None
        title = "Add a user" if adding else f"New password for {self.username}"
        with Vertical(classes="dialog", id="user-dialog"):
            yield Label(literal(title), classes="dialog-title")
            if adding:
                yield Label("Username", classes="field-label")
                yield Input(
                    id="username", compact=True, placeholder="e.g. alice", restrict=TYPED_TEXT
                )
                yield Label("", id="username-error", classes="field-error")
            yield Label("Password  [dim]at least 8 characters[/]", classes="field-label")
            yield Input(id="password", password=True, compact=True)
            yield Label("", id="password-error", classes="field-error")
            yield Label("Password again", classes="field-label")
            yield Input(id="again", password=True, compact=True)
            yield Label("", id="again-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="user-save", compact=True)
                yield Button("Cancel (esc)", id="user-cancel", compact=True)

    def on_mount(self) -> None:
        for label in self.query(".field-error"):
            label.display = False
        self.query(Input).first().focus()

    def _value(self, key: str) -> str:
        found = self.query(f"#{key}")
        return found.first(Input).value if found else ""

    def show_errors(self, errors: dict[str, str]) -> None:
        for key in FIELDS:
            found = self.query(f"#{key}-error")
            if found:
                label = found.first(Label)
                label.update(literal(errors.get(key, "")))
                label.display = key in errors
        for key in FIELDS:
            if key in errors and self.query(f"#{key}"):
                self.query_one(f"#{key}", Input).focus()
                break

    def action_save(self) -> None:
        if self._saving:
            return
        password, again = self._value("password"), self._value("again")
        if password != again:
            self.show_errors({"again": "The two passwords differ; type the same one twice."})
            return
        self._saving = True
        users = self.store.users
        username = self.username
        new_username = self._value("username")

        def job() -> UserInfo:
            if username is None:
                return users.add(new_username, password)
            return users.set_password(username, password)

        self.run_store(job, self._saved, group="user-save", failed=self._failed)

    def _saved(self, user: UserInfo) -> None:
        self._saving = False
        self.dismiss(user)

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        if isinstance(exc, ValidationError):
            self.show_errors(exc.errors)
        else:
            self.notify(failure_message(exc), title="Not saved", severity="error", timeout=8)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#user-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#user-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        # Enter in the last field saves; elsewhere it moves on.
        if event.input.id == "again":
            self.action_save()
        else:
            self.focus_next()
