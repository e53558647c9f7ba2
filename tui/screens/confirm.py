"""A yes/no question before anything that cannot be undone."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from authclients.tui.safe_display import literal
from authclients.tui.screens.base import ConsoleModal


class ConfirmScreen(ConsoleModal[bool]):
    """Dismisses with True when confirmed, False otherwise.

    Questions quote stored names, so title and message are shown literally
    (no markup), with control characters made visible.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, title: str, message: str, confirm: str = "Delete", danger: bool = True):
        super().__init__()
        self._title = title
        self._message = message
        self._confirm = confirm
        self._danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-dialog"):
            yield Label(literal(self._title), classes="dialog-title")
            yield Static(literal(self._message, multiline=True), id="confirm-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    f"{self._confirm} (y)",
                    variant="error" if self._danger else "primary",
                    id="confirm-yes",
                    compact=True,
                )
                yield Button("Cancel (n)", id="confirm-no", compact=True)

    def on_mount(self) -> None:
        # Focus the safe choice: a stray enter must not delete anything.
        self.query_one("#confirm-no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed, "#confirm-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def _no(self) -> None:
        self.dismiss(False)
