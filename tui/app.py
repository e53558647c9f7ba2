"""The Textual app: its factory, the endpoint's life around it, and app-wide actions."""

from __future__ import annotations

import sys
from typing import Any, ClassVar, Protocol

from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import ModalScreen

from authclients.store import Store
from authclients.store.clock import Clock
from authclients.store.listen_address import DEFAULT_HOST, DEFAULT_PORT
from authclients.store.records import ClientInfo
from authclients.tui.clipboard import Clipboard
from authclients.tui.commands import ConsoleCommands
from authclients.tui.live import ChangeWatcher, Stamp
from authclients.tui.safe_text import printable
from authclients.tui.screens.clients import ClientsScreen
from authclients.tui.screens.help import HelpScreen

UI_SWITCH_INTERVAL = 0.001
"""Seconds between GIL handovers while the endpoint thread runs (Python's default: 0.005)."""
CHANGE_POLL_SECONDS = 1.0
"""How often the console looks for changes made by other processes (shown within ~2 s)."""


class Endpoint(Protocol):
    """What the app needs of ``store.endpoint.TokenEndpoint`` (tests pass a stand-in)."""

    url: str
    running: bool

    def stop(self) -> None: ...


class DataChanged(Message):
    """Clients, tokens or users changed in the database, maybe by another process."""

    def __init__(self, stamp: Stamp) -> None:
        super().__init__()
        self.stamp = stamp


class AuthClientsApp(App[None]):
    """The console. Build it with ``create_app``; it never opens the database itself."""

    CSS_PATH = "app.tcss"
    TITLE = "authclients"
    COMMANDS = App.COMMANDS | {ConsoleCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="app.help", tooltip="The keys of every screen"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", show=False, priority=True),
    ]
    PALETTE = (
        ("go: Clients", "go_clients", "The client list"),
        ("go: Users", "users", "Resource owners (u)"),
        ("go: Scopes", "scopes", "The scopes a token may carry (o)"),
        ("go: Signing keys", "keys", "The keys that sign JWTs: rotate, retire (k)"),
        ("go: All tokens", "all_tokens", "Every client's tokens"),
        ("go: Token playground", "playground", "Try every grant against the endpoint"),
        ("app: Help", "help", "The keys of every screen (?)"),
        ("app: Quit", "quit", "Leave the console (q)"),
    )

    endpoint_status: reactive[str] = reactive("", init=False)
    """"● http://127.0.0.1:8765" while the endpoint answers; what is wrong otherwise."""

    def __init__(
        self,
        store: Store,
        *,
        endpoint: Endpoint | None = None,
        clock: Clock | None = None,
        clipboard: Clipboard | None = None,
        endpoint_note: str = "",
        poll_interval: float | None = CHANGE_POLL_SECONDS,
    ) -> None:
        super().__init__()
        self.store = store
        self.endpoint = endpoint
        self.clock: Clock = clock or store.clock
        self.clipboard_writer = clipboard or Clipboard()
        self.endpoint_note = endpoint_note
        """Why the endpoint is not where asked (port taken, --no-server, failed)."""
        self.secrets: dict[int, str] = {}
        """Client id → secret created or rotated in this run, for the playground to prefill."""
        self.database_label = store.location
        self._watcher = (
            ChangeWatcher(store, lambda stamp: self.post_message(DataChanged(stamp)), poll_interval)
            if poll_interval
            else None
        )

    # -- life ------------------------------------------------------------------

    def on_mount(self) -> None:
        self.endpoint_status = self._endpoint_text()
        # The endpoint thread can die on its own; keep the header honest.
        self.set_interval(2.0, self._poll_endpoint)
        self.push_screen(ClientsScreen())
        if self._watcher is not None:
            self._watcher.start()

    def on_unmount(self) -> None:
        if self._watcher is not None:
            self._watcher.close()

    def on_data_changed(self, message: DataChanged) -> None:
        """Reload what the admin sees: the top screen and those showing under its dialogs."""
        for screen in reversed(self.screen_stack):
            refresh = getattr(screen, "refresh_data", None)
            if refresh is not None:
                refresh()
            if not isinstance(screen, ModalScreen):
                break

    def _poll_endpoint(self) -> None:
        self.endpoint_status = self._endpoint_text()

    def _endpoint_text(self) -> str:
        note = f" ({self.endpoint_note})" if self.endpoint_note else ""
        if self.endpoint is None:
            return f"○ no endpoint{note}"
        if self.endpoint.running:
            return f"● {self.endpoint.url}{note}"
        return f"○ endpoint stopped: {self.endpoint.url}{note}"

    @property
    def endpoint_url(self) -> str:
        """Where the token endpoint listens, or would by default."""
        if self.endpoint is not None:
            return self.endpoint.url
        return f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"

    @property
    def endpoint_running(self) -> bool:
        return self.endpoint is not None and self.endpoint.running

    # -- app-wide actions ------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast of the console (screens' ``notify`` lands here too), made terminal-safe.

        Toasts quote stored values and error texts (client names, database
        messages). Here, in one place, their control characters become visible
        escapes and their brackets stay brackets: no caller can forget it. The
        console's own toasts use no markup, so ``markup`` is accepted and ignored.
        """
        super().notify(
            printable(message, multiline=True),
            title=printable(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def copy_text(self, text: str, what: str) -> None:
        """Copy to the clipboard and say where it went."""
        outcome = self.clipboard_writer.copy(self, text, what)
        self.notify(outcome.message, timeout=6 if outcome.via == "terminal" else 3)

    def open_tokens(self, client: ClientInfo | None) -> None:
        from authclients.tui.screens.tokens import TokensScreen

        self.push_screen(TokensScreen(client))

    def open_users(self) -> None:
        from authclients.tui.screens.users import UsersScreen

        self.push_screen(UsersScreen())

    def open_scopes(self) -> None:
        from authclients.tui.screens.scopes import ScopesScreen

        self.push_screen(ScopesScreen())

    def open_keys(self) -> None:
        from authclients.tui.screens.keys import KeysScreen

        self.push_screen(KeysScreen())

    def action_keys(self) -> None:
        self.open_keys()

    def open_playground(self, client: ClientInfo | None) -> None:
        from authclients.tui.screens.playground import PlaygroundScreen

        self.push_screen(PlaygroundScreen(client))

    def action_playground(self) -> None:
        self.open_playground(None)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_users(self) -> None:
        self.open_users()

    def action_all_tokens(self) -> None:
        self.open_tokens(None)

    def action_scopes(self) -> None:
        self.open_scopes()

    def action_go_clients(self) -> None:
        while len(self.screen_stack) > 2 and not isinstance(self.screen, ClientsScreen):
            self.pop_screen()


def create_app(
    store: Store,
    *,
    endpoint: Endpoint | None = None,
    clock: Clock | None = None,
    clipboard: Clipboard | None = None,
    endpoint_note: str = "",
    poll_interval: float | None = CHANGE_POLL_SECONDS,
) -> AuthClientsApp:
    """The app over an open store; tests and the screenshot command build it this way.

    Args:
        store: the open store; the app never opens or closes it.
        endpoint: a started endpoint to show in the header, or None.
        clock: the clock for relative times (default: the store's).
        clipboard: the clipboard writer (tests pass one with a fake pyperclip).
        endpoint_note: why the endpoint is not where it was asked to be.
        poll_interval: seconds between looks for other processes' changes; None: never
            (snapshots, whose data must not move).
    """
    return AuthClientsApp(
        store,
        endpoint=endpoint,
        clock=clock,
        clipboard=clipboard,
        endpoint_note=endpoint_note,
        poll_interval=poll_interval,
    )


def start_endpoint(store: Store, port: int) -> tuple[Any | None, str]:
    """Start the embedded endpoint in a background thread; on a taken port, a free one.

    Never raises. Its threads share the GIL with the UI, so the interpreter is
    told to hand the GIL over every 1 ms instead of 5: a key press then waits
    less behind token requests (tests/bench/bench_console.py measures it).

    Returns:
        (endpoint or None, a note for the header when it is not as asked).
    """
    from authclients.store.endpoint import PortInUse, TokenEndpoint

    endpoint = TokenEndpoint(store, port=port)
    note = ""
    try:
        try:
            endpoint.start()
        except PortInUse:
            endpoint = TokenEndpoint(store, port=0)
            endpoint.start()
            note = f"port {port} was taken"
    except Exception as exc:
        return None, f"could not start: {exc}"
    sys.setswitchinterval(UI_SWITCH_INTERVAL)
    return endpoint, note


def run_console(db: str | None, port: int = DEFAULT_PORT, no_server: bool = False) -> int:
    """``authclients`` with no subcommand: open the store, start the endpoint, run the app.

    Returns:
        The process exit code.
    """
    try:
        store = Store.open(db)
    except Exception as exc:
        where = db or "(default)"
        line = " ".join(f"cannot open the database {where}: {exc}".split())
        print(f"authclients: {printable(line)}", file=sys.stderr)
        return 1
    endpoint, note = (None, "--no-server") if no_server else start_endpoint(store, port)
    try:
        app = create_app(store, endpoint=endpoint, endpoint_note=note)
        app.run()
    finally:
        if endpoint is not None:
            endpoint.stop()
        store.close()
    return app.return_code or 0
