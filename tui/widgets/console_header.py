"""The top line of every screen: where the data is and whether the endpoint answers."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from authclients.tui.safe_display import literal


class ConsoleHeader(Horizontal):
    """Screen title, database location, endpoint URL and state.

    It reads ``app.database_label`` and ``app.endpoint_status`` and follows the
    latter, so every screen's header changes when the endpoint stops. All three
    may quote stored or outside text (a client's name, a path, an error), so
    they are shown literally, control characters made visible.
    """

    DEFAULT_CLASSES = "console-header"

    def __init__(self, title: str) -> None:
        super().__init__()
        self._title = title

    def compose(self) -> ComposeResult:
        yield Label(literal(f"authclients · {self._title}"), id="header-title")
        yield Label(literal(self.app.database_label), id="header-db")  # type: ignore[attr-defined]
        yield Label("", id="header-endpoint")

    def on_mount(self) -> None:
        self.watch(self.app, "endpoint_status", self._show_endpoint)

    def _show_endpoint(self, status: str) -> None:
        label = self.query_one("#header-endpoint", Label)
        label.update(literal(status))
        label.set_class(status.startswith("●"), "-running")
