"""The bottom line of every screen: its keys, clickable, and the palette key when there is room."""

from __future__ import annotations

from textual import events
from textual.widgets import Footer

PALETTE_KEY_MIN_WIDTH = 100
"""Below this the screen's own keys need every column (the clients screen has ten)."""


class ConsoleFooter(Footer):
    """Textual's compact footer that drops the "^p palette" key on narrow terminals.

    The palette still opens with ctrl+p, and by mouse from the buttons of the
    clients screen; the screen's own keys matter more at 80 columns.
    """

    def __init__(self) -> None:
        super().__init__(compact=True)

    def on_mount(self) -> None:
        self._fit(self.app.size.width)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        self.show_command_palette = width >= PALETTE_KEY_MIN_WIDTH
