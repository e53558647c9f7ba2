"""A save refused because the row changed meanwhile: what changed, then reload or overwrite."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Label, Static

from authclients.tui.safe_display import cell, literal
from authclients.tui.screens.base import ConsoleModal

StaleChoice = Literal["reload", "overwrite"]
"""Reload: drop my edits, show the row as saved. Overwrite: save mine over theirs."""


@dataclass(frozen=True)
class ChangedField:
    """One line of the dialog: a field someone else changed, theirs and mine."""

    field: str
    theirs: str
    yours: str


class StaleEditScreen(ConsoleModal[StaleChoice | None]):
    """Dismisses with "reload", "overwrite", or None (cancel: back to the form, nothing lost)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "choose('reload')", "Reload", id="stale.reload"),
        Binding("o", "choose('overwrite')", "Overwrite", id="stale.overwrite"),
        Binding("escape,c", "cancel", "Cancel", id="stale.cancel"),
    ]

    def __init__(self, what: str, changes: list[ChangedField]) -> None:
        """Args:
        what: the row, as "client 3 “Web”" (may quote a stored name; shown literally).
        changes: the fields changed since the form was opened, theirs against mine.
        """
        super().__init__()
        self._what = what
        self.changes = changes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="stale-dialog"):
            yield Label(
                literal(f"Not saved: {self._what} changed meanwhile"), classes="dialog-title"
            )
            yield Static(
                "Someone saved it after you opened this form. Your changes are still in the "
                "form. Reload shows theirs (yours are dropped); Overwrite saves yours over "
                "theirs; Cancel goes back to the form.",
                id="stale-message",
            )
            yield DataTable(id="stale-changes", cursor_type="none", show_cursor=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Reload (r)", variant="primary", id="stale-reload", compact=True)
                yield Button("Overwrite (o)", variant="error", id="stale-overwrite", compact=True)
                yield Button("Cancel (esc)", id="stale-cancel", compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#stale-changes", DataTable)
        table.add_column("Field", key="field")
        table.add_column("Theirs (saved)", key="theirs")
        table.add_column("Yours (in the form)", key="yours")
        if not self.changes:
            table.add_row("(row)", "changed", "unchanged")
        for change in self.changes:
            table.add_row(
                cell(change.field),
                cell(change.theirs, ellipsis=True),
                cell(change.yours, ellipsis=True),
            )
        # Cancel is the safe default: enter neither drops nor overwrites anything.
        self.query_one("#stale-cancel", Button).focus()

    def action_choose(self, choice: StaleChoice) -> None:
        self.dismiss(choice)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#stale-reload")
    def _reload(self) -> None:
        self.dismiss("reload")

    @on(Button.Pressed, "#stale-overwrite")
    def _overwrite(self) -> None:
        self.dismiss("overwrite")

    @on(Button.Pressed, "#stale-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


USER_FIELD_TITLES = {"active": "State", "password or sessions": "Password or sessions"}


def user_stale_rows(changes: dict[str, tuple[object, object]], mine: str) -> list[ChangedField]:
    """A user's stale save: one row per field someone else changed; ``mine`` is this save."""
    return [
        ChangedField(
            USER_FIELD_TITLES.get(key, key),
            ("active" if now else "deactivated") if key == "active" else str(now),
            mine,
        )
        for key, (_base, now) in changes.items()
    ]
