"""Add a user, or set a user's password: typed twice, masked, saying what the change ends."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label

from authclients.store.errors import StaleEdit, ValidationError
from authclients.store.records import Impact, UserInfo
from authclients.tui.jobs import failure_message
from authclients.tui.safe_display import TYPED_TEXT, literal
from authclients.tui.screens.base import ConsoleModal
from authclients.tui.screens.confirm import ending_text
from authclients.tui.screens.stale_edit import StaleChoice, StaleEditScreen, user_stale_rows

FIELDS = ("username", "password", "again", "email", "name")


class UserFormScreen(ConsoleModal[UserInfo | None]):
    """Saves itself, so a rejected password keeps the dialog (and the username) open."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="user_form.save"),
        Binding("escape", "cancel", "Cancel", id="user_form.cancel"),
    ]

    def __init__(self, user: UserInfo | None = None) -> None:
        """Args:
        user: whose password to set, as the list loaded them (the save is refused
            if they changed since); None to add a new user.
        """
        super().__init__()
        self.user = user
        self.username = user.username if user else None
        self._saving = False
        self._impacts: tuple[Impact, Impact] | None = None
        """What the new password ends: (personal access tokens too, kept)."""

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
            if adding:
                # OpenID Connect claims: optional; `authclients users update` changes them later.
                yield Label("Email  [dim]optional: the email claim[/]", classes="field-label")
                yield Input(id="email", compact=True, restrict=TYPED_TEXT)
                yield Label("", id="email-error", classes="field-error")
                yield Label("Full name  [dim]optional: the name claim[/]", classes="field-label")
                yield Input(id="name", compact=True, restrict=TYPED_TEXT)
                yield Label("", id="name-error", classes="field-error")
            if not adding:
                yield Label("Saving ends their tokens and browser sessions.", id="password-ends")
                yield Checkbox(
                    "Keep personal access tokens",
                    False,
                    id="keep-personal-tokens",
                    compact=True,
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="user-save", compact=True)
                yield Button("Cancel (esc)", id="user-cancel", compact=True)

    def on_mount(self) -> None:
        for label in self.query(".field-error"):
            label.display = False
        self.query(Input).first().focus()
        self._count_ending()

    def _count_ending(self) -> None:
        """Read what a new password would end, both ways, for the line above the checkbox."""
        if self.username is None:
            return
        users, username = self.store.users, self.username

        def job() -> tuple[Impact, Impact]:
            return users.impact(username), users.impact(username, keep_personal_tokens=True)

        def counted(impacts: tuple[Impact, Impact]) -> None:
            self._impacts = impacts
            self._show_ending()

        self.run_store(job, counted, group="user-impact")

    @property
    def keep(self) -> bool:
        found = self.query("#keep-personal-tokens")
        return bool(found) and found.first(Checkbox).value

    @on(Checkbox.Changed, "#keep-personal-tokens")
    def _show_ending(self) -> None:
        if self._impacts is None:
            return
        impact = self._impacts[1] if self.keep else self._impacts[0]
        self.query_one("#password-ends", Label).update(
            literal(f"Saving ends their browser sessions. {ending_text(impact)}")
        )

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
        self._write(password, force=False)

    def _write(self, password: str, *, force: bool) -> None:
        users, user, keep = self.store.users, self.user, self.keep
        new_username = self._value("username")
        email, name = self._value("email"), self._value("name")

        def job() -> UserInfo:
            if user is None:
                return users.add(new_username, password, email=email, name=name)
            return users.set_password(
                user.username, password, keep_personal_tokens=keep, base=None if force else user
            )

        self.run_store(job, self._saved, group="user-save", failed=self._failed)

    def _saved(self, user: UserInfo) -> None:
        self._saving = False
        self.dismiss(user)

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        if isinstance(exc, ValidationError):
            self.show_errors(exc.errors)
        elif isinstance(exc, StaleEdit) and self.user is not None:
            self._stale(exc)
        else:
            self.notify(failure_message(exc), title="Not saved", severity="error", timeout=8)

    def _stale(self, exc: StaleEdit) -> None:
        """Someone changed the user since the list was read: show what, then let them choose."""
        assert self.user is not None
        current = exc.current if isinstance(exc.current, UserInfo) else None

        def chosen(choice: StaleChoice | None) -> None:
            if choice == "reload" and current is not None:
                # Theirs: the user as saved now; the typed password goes (it is not theirs).
                self.user = current
                for key in ("password", "again"):
                    self.query_one(f"#{key}", Input).value = ""
                self.query_one("#password", Input).focus()
                self._count_ending()
                self.notify(f"Reloaded {current.username}; type the new password again.")
            elif choice == "overwrite":
                self._saving = True
                self._write(self._value("password"), force=True)

        self.app.push_screen(
            StaleEditScreen(
                f"user {self.user.username}", user_stale_rows(exc.changes, "new password")
            ),
            chosen,
        )

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
        if event.input.id == ("again" if self.username is not None else "name"):
            self.action_save()
        else:
            self.focus_next()
