"""The command palette's console commands: "client: Rotate secret" and friends."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ConsoleCommands(Provider):
    """Offers the actions of the screen the palette was opened on, and the app's."""

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        screen = self.screen
        commands: list[tuple[str, Callable[[], object], str]] = []
        for title, action, help_text in getattr(screen, "PALETTE", ()):
            commands.append((title, partial(screen.run_action, action), help_text))
        app_palette = getattr(self.app, "PALETTE", ())
        for title, action, help_text in app_palette:
            commands.append((title, partial(self.app.run_action, action), help_text))
        return commands

    async def discover(self) -> Hits:
        for title, command, help_text in self._commands():
            yield DiscoveryHit(title, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, command, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), command, text=title, help=help_text)
