"""Switches, check boxes and radio buttons that show on/off and focus without colour.

Textual draws them as coloured blocks: on and off differ by colour alone, and
in 256 colours the focus is background 234 against 235. These draw a glyph for
the state (``[x]``/``[ ]``, ``●``/``○``) and ``▸`` before the focused one, so
both read the same in 16 colours and under ``NO_COLOR``.
"""

from __future__ import annotations

from textual.content import Content
from textual.style import Style
from textual.widgets import Checkbox, RadioButton, RadioSet, Switch

FOCUS_MARK = "▸"
"""Before the toggle that has the keyboard (or the radio button a focused set points at)."""
NO_FOCUS = " "
CHECKED, UNCHECKED = "[x]", "[ ]"
CHOSEN, NOT_CHOSEN = "●", "○"


def _mark(focused: bool) -> Content:
    return Content.styled(FOCUS_MARK, Style(bold=True)) if focused else Content(NO_FOCUS)


class MarkedCheckbox(Checkbox):
    """A check box drawn ``▸[x] label`` / `` [ ] label``."""

    @property
    def _button(self) -> Content:
        glyph = CHECKED if self.value else UNCHECKED
        return Content.assemble(_mark(self.has_focus), (glyph, Style(bold=self.value)))


class MarkedRadioButton(RadioButton):
    """A radio button drawn ``▸● label`` / `` ○ label``.

    In a ``RadioSet`` the set has the focus and points at one button (``-selected``):
    that button carries the mark while the set is focused.
    """

    @property
    def _button(self) -> Content:
        parent = self.parent
        pointed = isinstance(parent, RadioSet) and parent.has_focus and self.has_class("-selected")
        glyph = CHOSEN if self.value else NOT_CHOSEN
        return Content.assemble(_mark(self.has_focus or pointed), (glyph, Style(bold=self.value)))


class MarkedSwitch(Switch):
    """A switch drawn ``▸[x]`` / `` [ ]``: the label beside it says what it turns on."""

    DEFAULT_CSS = """
    MarkedSwitch {
        width: 4;
        padding: 0;
    }
    """

    def render(self) -> Content:
        glyph = CHECKED if self.value else UNCHECKED
        return Content.assemble(_mark(self.has_focus), (glyph, Style(bold=self.value)))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
