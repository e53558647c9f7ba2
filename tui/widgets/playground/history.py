"""This run's requests as a table; choosing a row shows that exchange again."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.message import Message
from textual.widgets import DataTable

from authclients.store.oauth_client import Exchange
from authclients.tui.safe_display import cell
from authclients.tui.safe_text import printable

URL_WIDTH = 60
"""Longer URLs are cut with an ellipsis."""


class HistoryTable(DataTable[object]):
    """One row per exchange: number, status, what, URL."""

    @dataclass
    class Chosen(Message):
        """A row was chosen (enter): ``index`` into the history."""

        index: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self._ensure_columns()

    def _ensure_columns(self) -> None:
        # Rows may come before this table's Mount (the screen restores the history on its own).
        if not self.columns:
            self.add_columns("#", "Status", "What", "URL")

    def add_exchange(self, index: int, done: Exchange) -> None:
        self._ensure_columns()
        url = printable(done.request.url)
        # A str cell is read as markup, and the URL may come from another server's
        # discovery document: every cell is literal text.
        self.add_row(
            str(index + 1),
            cell("store" if done.request.method == "STORE" else done.status_text),
            cell(done.request.title),
            cell(url if len(url) <= URL_WIDTH else url[: URL_WIDTH - 1] + "…"),
            key=str(index),
        )

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(self.Chosen(int(event.row_key.value or 0)))
