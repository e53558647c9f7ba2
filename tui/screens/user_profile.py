"""A user's OpenID Connect claims: the email and full name an ID token may carry."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from authclients.store.errors import StaleEdit, ValidationError
from authclients.store.records import UserInfo
from authclients.tui.jobs import failure_message
from authclients.tui.safe_display import TYPED_TEXT, literal
from authclients.tui.screens.base import ConsoleModal

FIELDS = ("email", "name")


class UserProfileScreen(ConsoleModal[UserInfo | None]):
    """Saves itself: a refused value keeps the dialog open with the message beside it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="user_profile.save"),
        Binding("escape", "cancel", "Cancel", id="user_profile.cancel"),
    ]

    def __init__(self, user: UserInfo) -> None:
        super().__init__()
        self.user = user

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="user-profile-dialog"):
            yield Label(literal(f"Claims of {self.user.username}"), classes="dialog-title")
            yield Static(
                "What ID tokens say about the user (scopes email and profile); tokens "
                "already issued keep what they said. Empty clears a claim.",
                id="user-profile-note",
            )
            yield Label("Email", classes="field-label")
            # Stored values may hold anything a script wrote: shown with controls visible.
            yield Input(
                literal(self.user.email or "").plain,
                id="email",
                compact=True,
                restrict=TYPED_TEXT,
            )
            yield Label("", id="email-error", classes="field-error")
            yield Label("Full name", classes="field-label")
            yield Input(
                literal(self.user.name or "").plain,
                id="name",
                compact=True,
                restrict=TYPED_TEXT,
            )
            yield Label("", id="name-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="profile-save", compact=True)
                yield Button("Cancel (esc)", id="profile-cancel", compact=True)

    def on_mount(self) -> None:
        for key in FIELDS:
            self.query_one(f"#{key}-error", Label).display = False

    @on(Button.Pressed, "#profile-save")
    @on(Input.Submitted)
    def action_save(self) -> None:
        email = self.query_one("#email", Input).value.strip()
        name = self.query_one("#name", Input).value.strip()
        users, user = self.store.users, self.user

        def failed(exc: BaseException) -> None:
            if isinstance(exc, ValidationError):
                self.show_field_errors(exc.errors, FIELDS, {k: f"#{k}" for k in FIELDS})
            elif isinstance(exc, StaleEdit):
                self.notify(
                    "The user changed meanwhile (in another window or process): "
                    "close this dialog and open it again.",
                    severity="warning",
                )
            else:
                self.notify(failure_message(exc), severity="error")

        self.run_store(
            lambda: users.set_profile(user.username, email=email, name=name, base=user),
            self.dismiss,
            group="user-profile",
            failed=failed,
        )

    @on(Button.Pressed, "#profile-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
