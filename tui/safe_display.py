"""Stored text in the forms Textual shows: literal ``Content``, escaped markup, table cells.

``safe_text.printable`` makes control characters visible; this adds the other
half for Textual: a string handed to a ``Label``, a ``Static`` or a ``DataTable``
cell is read as markup, so a client named ``[link=https://evil]x[/]`` would
become a link. These helpers keep such text literal.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.markup import escape

from authclients.tui.safe_text import UNSAFE_CHARACTERS, printable

TYPED_TEXT = "[^" + UNSAFE_CHARACTERS.removeprefix("[") + "*"
"""``Input(restrict=TYPED_TEXT)``: a paste holding control characters is refused.

Textual's Input draws its value raw, so an escape pasted into a field would
reach the terminal as it is; typed keys never carry one.
"""


def literal(text: object, *, multiline: bool = False) -> Content:
    """Text for a ``Label``/``Static``: control characters visible, brackets shown as typed."""
    return Content(printable(text, multiline=multiline))


def in_markup(text: object) -> str:
    """A stored value to put inside a markup string: visible controls, escaped brackets."""
    return escape(printable(text))


def cell(text: object, *, justify: str | None = None, ellipsis: bool = False) -> Text:
    """A ``DataTable`` cell that shows ``text`` as it is, never as markup.

    Rendered as DataTable renders a plain string in a one-line row (no wrap, no
    end newline), so normal data looks exactly as before.
    """
    return Text(
        printable(text),
        justify=justify,  # type: ignore[arg-type]
        no_wrap=True,
        overflow="ellipsis" if ellipsis else None,
        end="",
    )
