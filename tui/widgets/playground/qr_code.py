"""A QR code drawn in the terminal with half blocks, so a phone can open a URL on screen."""

from __future__ import annotations

import segno
from rich.text import Text
from textual.widgets import Static

QUIET_ZONE = 2
"""Light modules around the symbol. ISO asks for 4; phone readers take 2, and at 80x24
every row counts."""

UPPER, LOWER, FULL, EMPTY = "▀", "▄", "█", " "
"""One character cell holds two modules, one above the other."""

STYLE = "#000000 on #ffffff"
"""Dark modules on light, whatever the theme: readers expect dark-on-light, and a dark
terminal background would otherwise read as the symbol's dark."""


def qr_matrix(data: str, *, border: int = QUIET_ZONE) -> list[list[bool]]:
    """The modules of a QR code (not Micro QR) for ``data``, quiet zone included.

    Returns:
        Rows of modules, True for dark; square, ``border`` light modules each side.
    """
    # Low error correction keeps the symbol small; a screen does not get dirty.
    code = segno.make(data, error="l", micro=False, boost_error=False)
    return [[bool(module) for module in row] for row in code.matrix_iter(border=border)]


def half_block_lines(matrix: list[list[bool]]) -> list[str]:
    """Two module rows per text line: ``▀`` dark above, ``▄`` dark below, ``█`` both.

    An odd last row is paired with a light one, so the symbol keeps its quiet zone.
    """
    lines: list[str] = []
    for top in range(0, len(matrix), 2):
        upper = matrix[top]
        lower = matrix[top + 1] if top + 1 < len(matrix) else [False] * len(upper)
        lines.append("".join(_cell(a, b) for a, b in zip(upper, lower, strict=True)))
    return lines


def _cell(upper: bool, lower: bool) -> str:
    if upper and lower:
        return FULL
    if upper:
        return UPPER
    return LOWER if lower else EMPTY


def qr_text(data: str) -> Text:
    """The QR code of ``data`` as styled text, dark on light."""
    return Text("\n".join(half_block_lines(qr_matrix(data))), style=STYLE, no_wrap=True, end="")


class QrCode(Static):
    """Shows ``data`` (a URL) as a QR code; empty data shows nothing."""

    DEFAULT_CSS = """
    QrCode { width: auto; height: auto; }
    """

    def __init__(self, data: str = "", *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.data = ""
        self.columns = 0
        """Cells the symbol needs across (0: nothing drawn); it must never be cut to scan."""
        self.show_data(data)

    def show_data(self, data: str) -> None:
        """Draw ``data``'s code, or nothing; a text too long for any QR code says so."""
        self.data = data
        self.columns = 0
        if not data:
            self.update("")
            self.display = False
            return
        try:
            text = qr_text(data)
        except segno.DataOverflowError:
            self.update("(too long for a QR code)")
        else:
            self.columns = len(text.plain.split("\n", 1)[0])
            self.update(text)
        self.display = True
