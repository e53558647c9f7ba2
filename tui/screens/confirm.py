"""A yes/no question before anything that cannot be undone, saying what it ends."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Label, Static

from authclients.store.records import Impact
from authclients.tui.safe_display import literal
from authclients.tui.screens.base import ConsoleModal
from authclients.tui.widgets.toggles import MarkedCheckbox


def ending_text(impact: Impact) -> str:
    """``This ends 3 access tokens and 1 refresh token.`` (and what it keeps)."""
    text = f"This {impact.describe()}"
    kept = impact.personal_tokens_kept
    if kept:
        text += f"; it keeps {kept} personal access token{'s' if kept != 1 else ''}"
    return text + "."


class ConfirmScreen(ConsoleModal[bool]):
    """Dismisses with True when confirmed, False otherwise.

    Questions quote stored names, so title and message are shown literally
    (no markup), with control characters made visible. Given ``ends`` (what the
    change ends, read from the store just before asking) the dialog says it on
    a line of its own; given ``keeping`` too (the same change's impact when
    personal access tokens are kept) it offers the "Keep personal access
    tokens" checkbox, off by default: read ``keep_personal_tokens`` after a yes.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
        Binding("k", "toggle_keep", "Keep personal tokens", id="confirm.keep", show=False),
    ]

    def __init__(
        self,
        title: str,
        message: str,
        confirm: str = "Delete",
        danger: bool = True,
        *,
        ends: Impact | None = None,
        keeping: Impact | None = None,
    ):
        super().__init__()
        self._title = title
        self._message = message
        self._confirm = confirm
        self._danger = danger
        self._ends = ends
        self._keeping = keeping

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-dialog"):
            yield Label(literal(self._title), classes="dialog-title")
            yield Static(literal(self._message, multiline=True), id="confirm-message")
            if self._ends is not None:
                yield Label(literal(ending_text(self._ends)), id="confirm-ends")
            if self._ends is not None and self._keeping is not None:
                yield MarkedCheckbox(
                    "Keep personal access tokens (k)",
                    False,
                    id="keep-personal-tokens",
                    compact=True,
                )
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

    @property
    def keep_personal_tokens(self) -> bool:
        """The checkbox; False where the dialog has none."""
        found = self.query("#keep-personal-tokens")
        return bool(found) and found.first(Checkbox).value

    @on(Checkbox.Changed, "#keep-personal-tokens")
    def _keep_changed(self) -> None:
        impact = self._keeping if self.keep_personal_tokens else self._ends
        if impact is not None:
            self.query_one("#confirm-ends", Label).update(literal(ending_text(impact)))

    def action_toggle_keep(self) -> None:
        found = self.query("#keep-personal-tokens")
        if found:
            box = found.first(Checkbox)
            box.value = not box.value

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed, "#confirm-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def _no(self) -> None:
        self.dismiss(False)
