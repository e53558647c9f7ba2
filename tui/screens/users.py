"""Resource owners: list, add, reset password, deactivate, delete."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Button, DataTable, Label

from authclients.store.errors import StaleEdit
from authclients.store.records import Impact, UpdatedUser, UserInfo
from authclients.tui.formatting import ago, date_text, plural
from authclients.tui.safe_display import cell
from authclients.tui.screens.base import ConsoleScreen
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.stale_edit import StaleChoice, StaleEditScreen, user_stale_rows
from authclients.tui.screens.user_form import UserFormScreen
from authclients.tui.screens.user_profile import UserProfileScreen
from authclients.tui.widgets.console_footer import ConsoleFooter
from authclients.tui.widgets.console_header import ConsoleHeader
from authclients.tui.widgets.list_table import ListTable

R = TypeVar("R")


def state_text(user: UserInfo, now: datetime) -> str:
    """``active``, ``deactivated``, or ``locked 5 min ago`` (a lock-out matters most)."""
    if user.locked_at is not None:
        state = f"locked {ago(user.locked_at, now)}"
        return state if user.active else f"{state}, deactivated"
    return "active" if user.active else "deactivated"


class UsersScreen(ConsoleScreen[None]):
    """The users who sign in for the password and authorization code grants."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="users.back"),
        Binding("a", "add", "Add", id="users.add", tooltip="Add a user"),
        Binding("p", "password", "Password", id="users.password", tooltip="Set a new password"),
        Binding(
            "e",
            "profile",
            "Email/name",
            id="users.profile",
            show=False,
            tooltip="The email and name claims of ID tokens",
        ),
        Binding("x", "toggle_active", "(De)activate", id="users.toggle"),
        Binding("d", "delete", "Delete", id="users.delete", tooltip="Delete; revokes tokens"),
        Binding(
            "u", "unlock", "Unlock", id="users.unlock", tooltip="Unlock a user locked by failures"
        ),
        Binding("q", "app.quit", "Quit", id="users.quit"),
    ]
    PALETTE = (
        ("user: Add", "add", "Add a user (a)"),
        ("user: Set password", "password", "Set the highlighted user's password (p)"),
        ("user: Email and name", "profile", "The OpenID Connect claims of the user (e)"),
        ("user: Deactivate / activate", "toggle_active", "Deactivating revokes tokens (x)"),
        ("user: Delete", "delete", "Delete the user and revoke their tokens (d)"),
        ("user: Unlock", "unlock", "Let a user locked by failed sign-ins sign in again (u)"),
        ("user: Back to clients", "back", "Close this screen (esc)"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.users: list[UserInfo] = []

    def compose(self) -> ComposeResult:
        yield ConsoleHeader("Users")
        yield ListTable(id="users", classes="list-table")
        yield Label("", id="users-info", classes="list-info")
        yield Button("+ Add user (a)", id="users-add", compact=True)
        yield ConsoleFooter()  # drops ^p below 100 columns: the seven keys need the room

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
                state_text(user, now),
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
                ended = ""
                if isinstance(result, UpdatedUser) and not result.ended.nothing:
                    ended = f" It {result.ended.describe().replace('ends', 'ended', 1)}."
                self.notify(f"New password set for {result.username}.{ended}")
                self.load(select=result.username)

        self.app.push_screen(UserFormScreen(user), saved)

    def action_profile(self) -> None:
        user = self._current()
        if user is None:
            return

        def saved(result: UserInfo | None) -> None:
            if result:
                self.notify(f"Saved the email and name of {result.username}.")
                self.load(select=result.username)

        self.app.push_screen(UserProfileScreen(user), saved)

    def _ask_ending(
        self,
        user: UserInfo,
        ask: Callable[[Impact, Impact], ConfirmScreen],
        then: Callable[[bool], None],
    ) -> None:
        """Count what the change ends (with and without personal tokens), then ask.

        ``then`` gets the dialog's "Keep personal access tokens" choice after a yes.
        """
        users = self.store.users

        def job() -> tuple[Impact, Impact]:
            return (
                users.impact(user.username),
                users.impact(user.username, keep_personal_tokens=True),
            )

        def counted(impacts: tuple[Impact, Impact]) -> None:
            dialog = ask(*impacts)
            self.app.push_screen(
                dialog, lambda yes: then(dialog.keep_personal_tokens) if yes else None
            )

        self.run_store(job, counted, group="users-count")

    def _write(
        self,
        user: UserInfo,
        doing: str,
        job: Callable[[UserInfo | None], R],
        done: Callable[[R], None],
    ) -> None:
        """Run a change made from the list as loaded; if the user changed since, ask first.

        ``job(base)`` gets the record the list showed (refused if stale) or None
        (overwrite: the admin saw what changed and chose to go on).
        """

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, StaleEdit):
                self.store_failed(exc)
                return

            def chosen(choice: StaleChoice | None) -> None:
                if choice == "reload":
                    self.load(select=user.username)
                elif choice == "overwrite":
                    self.run_store(lambda: job(None), done, group="users-write", exclusive=False)

            self.app.push_screen(
                StaleEditScreen(f"user {user.username}", user_stale_rows(exc.changes, doing)),
                chosen,
            )

        self.run_store(lambda: job(user), done, group="users-write", exclusive=False, failed=failed)

    def action_toggle_active(self) -> None:
        user = self._current()
        if user is None:
            return
        users = self.store.users

        def run(keep: bool) -> None:
            def done(result: UpdatedUser) -> None:
                if result.active:
                    state = "activated"
                else:
                    state = f"deactivated; {result.ended.describe().replace('ends', 'ended', 1)}"
                self.notify(f"{result.username} {state}.")
                self.load(select=result.username)

            self._write(
                user,
                "activate" if not user.active else "deactivate",
                lambda base: users.set_active(
                    user.username, not user.active, keep_personal_tokens=keep, base=base
                ),
                done,
            )

        if not user.active:
            run(False)
            return
        self._ask_ending(
            user,
            lambda ends, keeping: ConfirmScreen(
                f"Deactivate {user.username}?",
                f"{user.username} can no longer sign in; their browser sessions end.",
                confirm="Deactivate",
                ends=ends,
                keeping=keeping,
            ),
            run,
        )

    def action_delete(self) -> None:
        user = self._current()
        if user is None:
            return
        users = self.store.users

        def delete(_keep: bool) -> None:
            def done(revoked: int) -> None:
                self.notify(f"Deleted {user.username}; revoked {plural(revoked, 'token')}.")
                self.load()

            self._write(user, "delete", lambda base: users.delete(user.username, base=base), done)

        # No "keep personal access tokens" here: a deleted user's tokens go with the row.
        self._ask_ending(
            user,
            lambda ends, _keeping: ConfirmScreen(
                f"Delete {user.username}?",
                f"Delete the user {user.username}: they can no longer sign in, and their "
                "tokens, personal access tokens included, go with them. This cannot be undone.",
                ends=ends,
            ),
            delete,
        )

    def action_unlock(self) -> None:
        user = self._current()
        if user is None:
            return
        if user.locked_at is None:
            self.notify(f"{user.username} is not locked.", severity="warning")
            return
        users = self.store.users

        def unlock(yes: bool | None) -> None:
            if not yes:
                return

            def done(result: UserInfo) -> None:
                self.notify(f"{result.username} unlocked: they may sign in again.")
                self.load(select=result.username)

            self.run_store(
                lambda: users.unlock(user.username), done, group="users-write", exclusive=False
            )

        self.app.push_screen(
            ConfirmScreen(
                f"Unlock {user.username}?",
                f"{user.username} was locked {ago(user.locked_at, self.now())} after too many "
                "failed sign-ins. Unlock only if you know the attempts were theirs or have "
                "set a new password: they may sign in again, with a fresh count of failures.",
                confirm="Unlock",
                danger=False,
            ),
            unlock,
        )

    @on(Button.Pressed, "#users-add")
    def _add_pressed(self) -> None:
        self.action_add()
