"""Resource owners: list, add, reset password, deactivate, delete."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Button, DataTable, Footer, Label

from authclients.store.records import UserInfo
from authclients.tui.formatting import ago, date_text
from authclients.tui.safe_display import cell
from authclients.tui.screens.base import ConsoleScreen
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.user_form import UserFormScreen
from authclients.tui.widgets.console_header import ConsoleHeader


class UsersScreen(ConsoleScreen[None]):
    """The users who sign in for the password and authorization code grants."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="users.back"),
        Binding("a", "add", "Add", id="users.add", tooltip="Add a user"),
        Binding("p", "password", "Password", id="users.password", tooltip="Set a new password"),
        Binding("x", "toggle_active", "(De)activate", id="users.toggle"),
        Binding("d", "delete", "Delete", id="users.delete", tooltip="Delete; revokes tokens"),
        Binding("q", "app.quit", "Quit", id="users.quit"),
    ]
    PALETTE = (
        ("user: Add", "add", "Add a user (a)"),
        ("user: Set password", "password", "Set the highlighted user's password (p)"),
        ("user: Deactivate / activate", "toggle_active", "Deactivating revokes tokens (x)"),
        ("user: Delete", "delete", "Delete the user and revoke their tokens (d)"),
        ("user: Back to clients", "back", "Close this screen (esc)"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.users: list[UserInfo] = []

    def compose(self) -> ComposeResult:
        yield ConsoleHeader("Users")
        yield DataTable(id="users", cursor_type="row", zebra_stripes=True, classes="list-table")
        yield Label("", id="users-info", classes="list-info")
        yield Button("+ Add user (a)", id="users-add", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#users", DataTable)
        table.add_column("Username", key="username")
        table.add_column("State", key="state")
        table.add_column("Live tokens", key="tokens")
        table.add_column("Created", key="created")
        table.add_column("Changed", key="updated")
        table.focus()
        self.load()

    def load(self, select: str | None = None) -> None:
        users = self.store.users
        self.run_store(users.list, lambda found: self._show(found, select), group="users-load")

    def _show(self, users: list[UserInfo], select: str | None) -> None:
        previous = self.users
        self.users = users
        table = self.query_one("#users", DataTable)
        row = table.cursor_row
        if select is None and 0 <= row < len(previous):
            # Stay on the same user when others are added or deleted around them.
            select = previous[row].username
        table.clear()
        now = self.now()
        for user in users:
            table.add_row(
                cell(user.username),  # as stored, maybe by raw SQL: shown literally
                "active" if user.active else "deactivated",
                str(user.active_tokens),
                date_text(user.created_at),
                ago(user.updated_at, now),
            )
        if select is not None:
            row = next((i for i, u in enumerate(users) if u.username == select), row)
        if users:
            table.move_cursor(row=min(row, len(users) - 1))
        info = (
            f"{len(users)} user{'s' if len(users) != 1 else ''}"
            if users
            else "No users yet. Press a to add one: the password and code grants need them."
        )
        self.query_one("#users-info", Label).update(info)

    def refresh_data(self) -> None:
        """Users or their tokens changed, maybe in another process: show them as they are."""
        self.load()

    def _current(self) -> UserInfo | None:
        table = self.query_one("#users", DataTable)
        if not self.users or not 0 <= table.cursor_row < len(self.users):
            self.notify("No user highlighted. Add one with a.", severity="warning")
            return None
        return self.users[table.cursor_row]

    def action_back(self) -> None:
        self.dismiss(None)

    def action_add(self) -> None:
        def added(user: UserInfo | None) -> None:
            if user:
                self.notify(f"User {user.username} added.")
                self.load(select=user.username)

        self.app.push_screen(UserFormScreen(), added)

    def action_password(self) -> None:
        user = self._current()
        if user is None:
            return

        def saved(result: UserInfo | None) -> None:
            if result:
                self.notify(f"New password set for {result.username}.")
                self.load(select=result.username)

        self.app.push_screen(UserFormScreen(user.username), saved)

    def action_toggle_active(self) -> None:
        user = self._current()
        if user is None:
            return
        users = self.store.users

        def run() -> None:
            def done(result: UserInfo) -> None:
                state = "activated" if result.active else "deactivated; their tokens are revoked"
                self.notify(f"{result.username} {state}.")
                self.load(select=result.username)

            self.run_store(
                lambda: users.set_active(user.username, not user.active),
                done,
                group="users-write",
                exclusive=False,
            )

        if not user.active:
            run()
            return
        self.app.push_screen(
            ConfirmScreen(
                f"Deactivate {user.username}?",
                f"{user.username} can no longer sign in, and their {user.active_tokens} live "
                "tokens are revoked.",
                confirm="Deactivate",
            ),
            lambda yes: run() if yes else None,
        )

    def action_delete(self) -> None:
        user = self._current()
        if user is None:
            return
        users = self.store.users

        def delete(yes: bool | None) -> None:
            if not yes:
                return

            def done(revoked: int) -> None:
                self.notify(f"Deleted {user.username}; revoked {revoked} tokens.")
                self.load()

            self.run_store(
                lambda: users.delete(user.username), done, group="users-write", exclusive=False
            )

        self.app.push_screen(
            ConfirmScreen(
                f"Delete {user.username}?",
                f"Delete the user {user.username} and revoke their {user.active_tokens} live "
                "tokens? This cannot be undone.",
            ),
            delete,
        )

    @on(Button.Pressed, "#users-add")
    def _add_pressed(self) -> None:
        self.action_add()
