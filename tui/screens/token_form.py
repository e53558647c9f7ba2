"""Create a personal access token for a user: name, scopes, lifetime."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar, Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select

from authclients.store.errors import NotFound, ValidationError
from authclients.store.records import IssuedToken
from authclients.store.tokens import NEVER
from authclients.tui.jobs import failure_message
from authclients.tui.safe_display import TYPED_TEXT, literal
from authclients.tui.safe_text import printable
from authclients.tui.screens.base import ConsoleModal

LIFETIMES: tuple[tuple[str, timedelta | Literal["never"]], ...] = (
    ("1 hour", timedelta(hours=1)),
    ("1 day", timedelta(days=1)),
    ("30 days", timedelta(days=30)),
    ("90 days", timedelta(days=90)),
    ("1 year", timedelta(days=365)),
    ("never (explicitly)", NEVER),
)
DEFAULT_LIFETIME = 4
"""1 year, the store's default for personal access tokens."""
FIELDS = ("user", "name", "scopes", "lifetime", "client")


class TokenFormScreen(ConsoleModal[IssuedToken | None]):
    """Issues the token itself and dismisses with it, to be revealed once."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Create", id="token_form.save"),
        Binding("escape", "cancel", "Cancel", id="token_form.cancel"),
    ]

    def __init__(self, usernames: list[str], client_id: int | None = None) -> None:
        """Args:
        usernames: active users to choose from.
        client_id: the personal access client to issue from; None lets the store pick.
        """
        super().__init__()
        self.usernames = usernames
        self.client_id = client_id
        self._saving = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="token-dialog"):
            yield Label("New personal access token", classes="dialog-title")
            yield Label("User", classes="field-label")
            yield Select(
                # Usernames as stored: a Text prompt is never read as markup.
                [(Text(printable(name)), name) for name in self.usernames],
                id="user",
                compact=True,
                prompt="choose a user",
            )
            yield Label("", id="user-error", classes="field-error")
            yield Label("Token name  [dim]what it is for[/]", classes="field-label")
            yield Input(
                id="name", compact=True, placeholder="e.g. deploy script", restrict=TYPED_TEXT
            )
            yield Label("", id="name-error", classes="field-error")
            yield Label("Scopes  [dim]optional, space separated[/]", classes="field-label")
            yield Input(id="scopes", compact=True, restrict=TYPED_TEXT)
            yield Label("", id="scopes-error", classes="field-error")
            yield Label("Lifetime", classes="field-label")
            yield Select(
                [(label, index) for index, (label, _value) in enumerate(LIFETIMES)],
                value=DEFAULT_LIFETIME,
                allow_blank=False,
                id="lifetime",
                compact=True,
            )
            yield Label("", id="lifetime-error", classes="field-error")
            yield Label("", id="client-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Create (ctrl+s)", variant="primary", id="token-save", compact=True)
                yield Button("Cancel (esc)", id="token-cancel", compact=True)

    def on_mount(self) -> None:
        for label in self.query(".field-error"):
            label.display = False
        if len(self.usernames) == 1:
            self.query_one("#user", Select).value = self.usernames[0]
        self.query_one("#user", Select).focus()

    def show_errors(self, errors: dict[str, str]) -> None:
        for key in FIELDS:
            label = self.query_one(f"#{key}-error", Label)
            label.update(literal(errors.get(key, "")))
            label.display = key in errors

    def action_save(self) -> None:
        if self._saving:
            return
        user = self.query_one("#user", Select).value
        if not isinstance(user, str):
            self.show_errors({"user": "Choose the user who will hold the token."})
            return
        name = self.query_one("#name", Input).value
        scopes = self.query_one("#scopes", Input).value
        lifetime_index = self.query_one("#lifetime", Select).value
        lifetime = LIFETIMES[int(lifetime_index)][1]  # type: ignore[arg-type]
        tokens = self.store.tokens
        client_id = self.client_id
        self._saving = True

        def job() -> IssuedToken:
            return tokens.create_personal_access_token(
                user, name, scopes=scopes, lifetime=lifetime, client_id=client_id
            )

        self.run_store(job, self._saved, group="token-save", failed=self._failed)

    def _saved(self, issued: IssuedToken) -> None:
        self._saving = False
        self.dismiss(issued)

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        if isinstance(exc, ValidationError):
            self.show_errors(exc.errors)
        elif isinstance(exc, NotFound):
            self.show_errors({"user": "This user no longer exists; choose another."})
        else:
            self.notify(failure_message(exc), title="Not created", severity="error", timeout=8)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#token-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#token-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)
