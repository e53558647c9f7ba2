"""The bottom line of every screen: its keys, clickable, and the palette key when there is room."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PALETTE_KEY_MIN_WIDTH = 100
"""Below this the screen's own keys need every column (the clients screen has ten)."""
HELP_ACTIONS = frozenset({"help", "app.help"})
"""The help key's actions: it is kept in sight at any width."""


class ConsoleFooter(Footer):
    """Textual's compact footer that keeps ``? Help`` and drops what does not fit.

    The help key is docked at the right edge, so a narrow terminal cuts the
    screen's last keys (the least used, by the order of their bindings) and
    never the key that lists them all. The "^p palette" key shows only from
    ``PALETTE_KEY_MIN_WIDTH`` columns; the palette still opens with ctrl+p.
    """

    DEFAULT_CSS = """
    ConsoleFooter FooterKey.-help {
        dock: right;
        padding-left: 1;
        margin-right: 0;
        background: $footer-background;
    }
    """

    def __init__(self) -> None:
        super().__init__(compact=True)

    def compose(self) -> ComposeResult:
        # With the palette key on the right (wide terminals) every key fits: help stays in line.
        dock_help = not self.show_command_palette
        for widget in super().compose():
            if dock_help and isinstance(widget, FooterKey) and widget.action in HELP_ACTIONS:
                widget.add_class("-help")
            yield widget

    def on_mount(self) -> None:
        self._fit(self.app.size.width)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        wide = width >= PALETTE_KEY_MIN_WIDTH
        if wide != self.show_command_palette:
            self.show_command_palette = wide
            self.refresh(recompose=True)
