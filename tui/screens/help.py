"""``?``: the keys of the screen underneath, read from its bindings, and how the grants work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label, Static, TabbedContent, TabPane, TextArea

from authclients.tui.safe_display import in_markup
from authclients.tui.screens.base import ConsoleModal

GRANTS_GUIDE = """\
[b]Authorization code + PKCE[/b]: web, mobile and desktop apps acting for a user.
The app sends the user's browser to [b]/oauth/authorize[/b]; the user signs in and
agrees; the browser returns to the client's redirect URL with a one-time code
(10 minutes), which the app trades at [b]/oauth/token[/b] for tokens. With PKCE
the app first sends a hash of a random verifier, then the verifier with the
code, so a stolen code is useless. Only S256; a public client (no secret) must
use it. In the playground, [b]ctrl+n[/b] signs in here, without a browser.

[b]Password grant[/b] (legacy): the app asks for the user's username and password
itself and sends them to /oauth/token. The password passes through the app,
there is no consent page and no second factor, and OAuth 2.1 drops it. Keep it
for first-party apps that cannot open a browser. Five wrong passwords for one
username within a minute get 429 until the minute is over.

[b]Personal access tokens[/b]: a token a user makes for a script or a CLI, used as
an alternate password: 1 year by default, "never" only if chosen. Make them in
Tokens ([b]n[/b]) or with `authclients tokens create-pat`; revoke when done.

[b]Client credentials[/b]: machine to machine; the client signs in with its own id
and secret and the token has no user.

[b]Device[/b] (RFC 8628): TVs, CLIs and boxes without a browser. The device asks
[b]/oauth/device/code[/b] for a short user code (BCDF-GHJK, 10 minutes) and shows
it; the user opens [b]/oauth/device[/b] elsewhere, signs in, checks the code and
approves (or an admin approves it in the console: [b]v[/b] on the Clients screen
lists the devices waiting). Meanwhile the device polls /oauth/token every 5 s;
too fast and the wait grows by 5 s. Wrong codes count like wrong passwords, so
guessing one is stopped. In the playground, [b]ctrl+n[/b] approves here.

[b]Refresh tokens[/b] come with the code, password and device grants (30 days). Each use
gives a new one; presenting a used one revokes its whole family.

[b]Why secrets are shown once[/b]: only a SHA-256 digest of each client secret and
token is stored, so a copy of the database holds nothing that works. We cannot
show a secret again, only issue a new one (rotate, [b]r[/b]). Access tokens last
1 hour, so a leaked one does not work for long; revoke to end it at once."""
"""The "how OAuth grants work here" page. Keep it true to store/ and store/server.py."""


@dataclass(frozen=True)
class KeyRow:
    """One line of the key list: every key bound to one action, and what it does."""

    keys: str
    description: str


def key_rows(screen: Screen[object]) -> list[tuple[str, list[KeyRow]]]:
    """The keys that work on ``screen`` now, grouped by who handles them.

    Read from the live bindings (focused widget, screen, app), so this list
    cannot drift from what the keys really do. Keys bound to the same action
    share a line: "esc/enter  Done".

    Returns:
        (section title, rows) for each group that has a described key.
    """
    app = screen.app
    # Textual's own Screen keys (tab, copy) work on every screen: list them with the app's.
    textual_screen_keys = {b.action for b in Binding.make_bindings(Screen.BINDINGS)}
    groups: dict[str, dict[tuple[str, str], list[str]]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description:
            continue
        node = active.node
        if node is screen and binding.action in textual_screen_keys:
            node = app
        rows = groups.setdefault(_section_title(node, screen), {})
        # The tooltip says more ("Copy the client id") than the footer's word ("Copy").
        what = binding.tooltip or binding.description
        keys = rows.setdefault((binding.action, what), [])
        display = app.get_key_display(binding)
        if display not in keys:
            keys.append(display)
    sections = [
        (title, [KeyRow("/".join(keys), what) for (_, what), keys in rows.items()])
        for title, rows in groups.items()
    ]
    # The screen's own keys first, the app's last: the order a reader needs them.
    own = _section_title(screen, screen)
    sections.sort(key=lambda s: (s[0] == EVERYWHERE, s[0] != own))
    return sections


EVERYWHERE = "Everywhere"


def _section_title(node: DOMNode, screen: Screen[object]) -> str:
    if isinstance(node, App):
        return EVERYWHERE
    if node is screen:
        name = screen.__class__.__name__.removesuffix("Screen")
        return f"This screen ({name})"
    if isinstance(node, DataTable):
        return "In the list"
    if isinstance(node, Input | TextArea):
        return "In a text field"
    return f"In the focused {node.__class__.__name__}"


def keys_markup(screen: Screen[object]) -> str:
    """The key list as console markup: one section per group, keys in a fixed column."""
    lines: list[str] = []
    for title, rows in key_rows(screen):
        if lines:
            lines.append("")
        lines.append(f"[b]{in_markup(title)}[/b]")
        width = max(len(r.keys) for r in rows)
        lines.extend(
            f"  [b $accent]{in_markup(r.keys.ljust(width))}[/]  {in_markup(r.description)}"
            for r in rows
        )
    lines.append("")
    lines.append("[dim]Every action is also in the footer or the command palette (^p).[/]")
    return "\n".join(lines)


class HelpScreen(ConsoleModal[None]):
    """Two pages: the keys of the screen underneath, and how OAuth grants work here."""

    CSS_PATH = "../help.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close"),
        Binding("k", "page('help-keys')", "Keys", id="help.keys"),
        Binding("g", "page('help-grants')", "Grants", id="help.grants"),
    ]

    def __init__(self, for_screen: Screen[object] | None = None, page: str = "help-keys") -> None:
        """
        Args:
            for_screen: whose keys to list (default: the screen this one opens over).
            page: the page shown first, ``help-keys`` or ``help-grants``.
        """
        super().__init__()
        self.for_screen = for_screen
        self.first_page = page

    def compose(self) -> ComposeResult:
        target = self.for_screen or self._screen_below()
        with Vertical(classes="dialog", id="help-dialog"):
            yield Label("Help  [dim]k keys · g grants · esc close[/]", classes="dialog-title")
            with TabbedContent(initial=self.first_page):
                with TabPane("Keys (k)", id="help-keys"), VerticalScroll():
                    yield Static(keys_markup(target) if target else "", id="help-keys-text")
                with TabPane("How OAuth grants work here (g)", id="help-grants"), VerticalScroll():
                    yield Static(GRANTS_GUIDE, id="help-grants-text")

    def _screen_below(self) -> Screen[object] | None:
        below = [s for s in self.app.screen_stack if s is not self]
        return below[-1] if below else None

    def action_page(self, page: str) -> None:
        self.query_one(TabbedContent).active = page

    def action_close(self) -> None:
        self.dismiss(None)

    @on(TabbedContent.TabActivated)
    def _focus_page(self) -> None:
        # So that arrow keys and PgUp/PgDn scroll the page just shown.
        pane = self.query_one(TabbedContent).active_pane
        if pane is not None:
            pane.query_one(VerticalScroll).focus()
