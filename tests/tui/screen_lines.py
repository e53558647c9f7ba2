"""The terminal's lines as the admin reads them, from the compositor (no SVG parsing)."""

from __future__ import annotations

from textual.app import App


def screen_lines(app: App[object]) -> list[str]:
    """Every row of the terminal as plain text, the way ``tmux capture-pane -p`` shows it."""
    strips = app.screen._compositor.render_strips()
    return [strip.text for strip in strips]


def screen_dump(app: App[object]) -> str:
    return "\n".join(screen_lines(app))
