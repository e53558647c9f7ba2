"""The scopes the server knows: list, define, delete (refused while a client lists one)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Label

from authclients.store.errors import NotFound, ValidationError
from authclients.store.records import ScopeInfo
from authclients.tui.formatting import date_text
from authclients.tui.jobs import failure_message
from authclients.tui.safe_display import cell
from authclients.tui.screens.base import ConsoleScreen
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.scope_form import ScopeFormScreen
from authclients.tui.widgets.console_footer import ConsoleFooter
from authclients.tui.widgets.console_header import ConsoleHeader
from authclients.tui.widgets.list_table import ListTable


def clients_text(scope: ScopeInfo) -> str:
    """``3 (1, 4, 7)``: how many live clients list the scope, and the first few ids."""
    if not scope.clients:
        return "0"
    ids = ", ".join(str(i) for i in scope.clients[:3])
    more = ", …" if len(scope.clients) > 3 else ""
    return f"{len(scope.clients)} ({ids}{more})"


class ScopesScreen(ConsoleScreen[None]):
    """Passport's ``tokensCan``: a token may carry only the scopes defined here."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="scopes.back", tooltip="Back to the clients"),
        Binding("a", "add", "Add", id="scopes.add", tooltip="Define a scope"),
        Binding(
            "d", "delete", "Delete", id="scopes.delete", tooltip="Forget the highlighted scope"
        ),
        Binding("q", "app.quit", "Quit", id="scopes.quit"),
    ]
    PALETTE = (
        ("scope: Add", "add", "Define a scope (a)"),
        ("scope: Delete", "delete", "Forget the highlighted scope, if no client lists it (d)"),
        ("scope: Back to clients", "back", "Close this screen (esc)"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.scopes: list[ScopeInfo] = []

    def compose(self) -> ComposeResult:
        yield ConsoleHeader("Scopes")
        yield ListTable(id="scopes", classes="list-table")
        yield Label("", id="scopes-info", classes="list-info")
        with Horizontal(classes="list-buttons"):
            yield Button("+ Add scope (a)", id="scopes-add", compact=True)
            yield Button("Delete (d)", id="scopes-delete", compact=True)
        yield ConsoleFooter()

    def on_mount(self) -> None:
        table = self.query_one("#scopes", DataTable)
        table.add_column("Name", key="name")
        table.add_column("Description", key="description")
        table.add_column("Clients", key="clients")
        table.add_column("Defined", key="created")
        table.focus()
        self.load()

    def load(self, select: str | None = None) -> None:
        scopes = self.store.scopes
        self.run_store(scopes.list, lambda found: self._show(found, select), group="scopes-load")

    def _show(self, scopes: list[ScopeInfo], select: str | None) -> None:
        previous = self.scopes
        self.scopes = scopes
        table = self.query_one("#scopes", DataTable)
        row = table.cursor_row
        if select is None and 0 <= row < len(previous):
            select = previous[row].name  # stay on the same scope when others come and go
        table.clear()
        for scope in scopes:
            table.add_row(
                cell(scope.name),  # maybe written by raw SQL: shown literally
                cell(scope.description or "—"),
                clients_text(scope),
                date_text(scope.created_at),
            )
        if select is not None:
            row = next((i for i, s in enumerate(scopes) if s.name == select), row)
        if scopes:
            table.move_cursor(row=min(max(row, 0), len(scopes) - 1))
        info = (
            f"{len(scopes)} scope{'s' if len(scopes) != 1 else ''} · a client with no scopes "
            "may ask for any of them"
            if scopes
            else "No scopes yet: tokens carry none. Press a to define one, such as read."
        )
        self.query_one("#scopes-info", Label).update(info)

    def refresh_data(self) -> None:
        """Clients changed (maybe in another process): their use of scopes with them."""
        self.load()

    def _current(self) -> ScopeInfo | None:
        table = self.query_one("#scopes", DataTable)
        if not self.scopes or not 0 <= table.cursor_row < len(self.scopes):
            self.notify("No scope highlighted. Define one with a.", severity="warning")
            return None
        return self.scopes[table.cursor_row]

    def action_back(self) -> None:
        self.dismiss(None)

    def action_add(self) -> None:
        def added(scope: ScopeInfo | None) -> None:
            if scope:
                self.notify(f"Scope {scope.name} defined.")
                self.load(select=scope.name)

        self.app.push_screen(ScopeFormScreen(), added)

    def action_delete(self) -> None:
        scope = self._current()
        if scope is None:
            return
        used = ""
        if scope.clients:
            count = len(scope.clients)
            ids = clients_text(scope).partition(" ")[2]
            used = (
                f"{count} client{'s list' if count != 1 else ' lists'} it {ids}: the delete "
                "will be refused. "
            )
        self.app.push_screen(
            ConfirmScreen(
                f"Delete scope {scope.name}?",
                f"{used}No new grant may ask for {scope.name} any more. Tokens already issued "
                "with it keep it until they expire or are revoked.",
            ),
            lambda yes: self._delete(scope) if yes else None,
        )

    def _delete(self, scope: ScopeInfo) -> None:
        scopes = self.store.scopes

        def done(_: None) -> None:
            self.notify(f"Scope {scope.name} deleted.")
            self.load()

        self.run_store(
            lambda: scopes.delete(scope.name),
            done,
            group="scopes-write",
            exclusive=False,
            failed=self._delete_failed,
        )

    def _delete_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            # Refused: the store says which clients list it; nothing was changed.
            message = " ".join(exc.errors.values())
            self.notify(message, title="Not deleted", severity="error", timeout=10)
        elif isinstance(exc, NotFound):
            self.notify("That scope was already deleted elsewhere.", severity="warning")
        else:
            self.notify(failure_message(exc), title="Not deleted", severity="error", timeout=8)
        self.load()

    @on(Button.Pressed, "#scopes-add")
    def _add_pressed(self) -> None:
        self.action_add()

    @on(Button.Pressed, "#scopes-delete")
    def _delete_pressed(self) -> None:
        self.action_delete()
