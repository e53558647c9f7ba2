"""``?``: the keys of every screen, in one short list."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from tui.screens.base import ConsoleModal

KEYS = """\
[b]Clients[/b]
  n new client          enter/e edit           d delete (asks)
  r rotate secret       c copy client id       t tokens of the client
  / filter by name/id   s sort column, S reverse; click a header to sort
  ↑↓ PgUp PgDn g/G      move; pages load as you go
  u users               T all tokens           p playground (coming)
[b]Client form[/b]
  ctrl+s save           esc cancel (asks before discarding)
  tab / shift+tab       next / previous field; space toggles a switch
[b]Secret[/b]
  c copy secret         i copy id              l copy the curl line
[b]Users[/b]
  a add   p password   x deactivate / activate   d delete
[b]Tokens[/b]
  r revoke   R revoke all of the client   x purge dead   n new personal token
[b]Everywhere[/b]
  ? this help   esc back   ctrl+p command palette   q / ctrl+q quit
Grants: code = authorization code, pass = password, pat = personal access
tokens, cc = client credentials."""


class HelpScreen(ConsoleModal[None]):
    """A minimal key list; every action is also in the footer or the palette."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close")
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help-dialog"):
            yield Label("Keys", classes="dialog-title")
            with VerticalScroll():
                yield Static(KEYS, id="help-keys")
            yield Label("[dim]esc to close[/]")

    def action_close(self) -> None:
        self.dismiss(None)
