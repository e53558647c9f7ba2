"""The users, tokens and scopes lists: a row table whose Home and End move the cursor."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable


class ListTable(DataTable[str]):
    """A zebra-striped row table; Home/End (and g/G) go to the first and last row.

    Textual's DataTable scrolls sideways on Home/End; in a list of rows an admin
    expects them to move the cursor, as they do in the client list.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home,g", "scroll_top", "First row", show=False),
        Binding("end,G", "scroll_bottom", "Last row", show=False),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id, classes=classes)
