"""Tab typed in a burst moves focus before the keys that follow it are delivered.

Textual's ``App.on_event`` forwards each key to the widget focused when the
app reads it. Tab's default binding (``Screen``: ``tab`` → ``app.focus_next``)
runs only later, when the focused widget has handled the key and it has
bubbled back up. Keys that arrive in the same read as the Tab (a password
manager's auto-type: ``user``, Tab, ``password``) are forwarded in between,
so they all land in the first field. The app moves focus for such a Tab at
once, while reading it, so every key after it goes to the next field.

A widget that binds Tab itself, or a text area that indents with it, gets the
key as before.
"""

from __future__ import annotations

from textual.app import App
from textual.screen import Screen
from textual.widgets import TextArea

FOCUS_MOVES = {"tab": "focus_next", "shift+tab": "focus_previous"}
"""Keys whose default binding moves focus, and the ``Screen`` method that does it."""

_DEFAULT_ACTIONS = {"app.focus_next", "app.focus_previous", "focus_next", "focus_previous"}


def moves_focus_at_once(app: App[object], key: str) -> bool:
    """Should ``key`` move focus now, instead of travelling through the focused widget?

    Only when the key resolves to the screen's or the app's own focus binding:
    nothing nearer the focused widget binds it, and the focused widget does not
    type it (a ``TextArea`` that indents with Tab).
    """
    if key not in FOCUS_MOVES:
        return False
    focused = app.focused
    if isinstance(focused, TextArea) and focused.tab_behavior == "indent":
        return False
    active = app.screen.active_bindings.get(key)
    if active is None or not active.enabled:
        return False
    return active.binding.action in _DEFAULT_ACTIONS and isinstance(active.node, Screen | App)


def move_focus(app: App[object], key: str) -> None:
    """Move focus as the key's default binding would (``focus_next`` or ``focus_previous``)."""
    getattr(app.screen, FOCUS_MOVES[key])()
