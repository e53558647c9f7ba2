"""The Textual app: its factory, the endpoint's life around it, and app-wide actions."""

from __future__ import annotations

import sys
import weakref
from typing import Any, ClassVar, Protocol

from textual import events
from textual.app import App, ScreenStackError
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.driver import Driver
from textual.message import Message
from textual.notifications import Notify, SeverityLevel
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets._toast import ToastRack

from authclients.store import Store
from authclients.store.clock import Clock
from authclients.store.db import ENV_VAR, check_hint, describe, is_server, resolve_target
from authclients.store.listen_address import DEFAULT_HOST, DEFAULT_PORT
from authclients.store.records import ClientInfo
from authclients.tui.clipboard import Clipboard
from authclients.tui.commands import ConsoleCommands
from authclients.tui.foreground_hold import HOLDING_INPUT, KeyHold, early_hold_driver
from authclients.tui.key_order import move_focus, moves_focus_at_once
from authclients.tui.live import ChangeWatcher, Stamp
from authclients.tui.preferences import Preferences, PreferencesFile
from authclients.tui.safe_text import printable
from authclients.tui.screens.clients import ClientsScreen
from authclients.tui.screens.help import HelpScreen
from authclients.tui.toasts import ScreenToast, stale_toasts, toasts_for

UI_SWITCH_INTERVAL = 0.001
"""Seconds between GIL handovers while the endpoint thread runs (Python's default: 0.005)."""
ENDPOINT_NICE = 10
"""The embedded endpoint's loop thread runs this much nicer than the UI (0 to 19: lower)."""
THEME_SAVE_DELAY = 0.5
"""Seconds a theme stays chosen before it is written down (browsing the list writes once)."""
CHANGE_POLL_SECONDS = 1.0
"""How often the console looks for changes made by other processes (shown within ~2 s)."""


class Endpoint(Protocol):
    """What the app needs of ``store.endpoint.TokenEndpoint`` (tests pass a stand-in)."""

    url: str
    running: bool

    def stop(self) -> None: ...


class Foreground(Protocol):
    """The endpoint's ``ForegroundGate``: its loop waits while the UI says it is busy."""

    def busy(self) -> None: ...

    def idle(self) -> None: ...

    def lower_priority(self, nice: int) -> None: ...


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
        # f1 as well: in a text field "?" types a question mark, and help must still open.
        Binding(
            "question_mark,f1", "help", "Help", id="app.help", tooltip="The keys of every screen"
        ),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", show=False, priority=True),
    ]
    PALETTE = (
        ("go: Clients", "go_clients", "The client list"),
        ("go: Users", "users", "Resource owners (u)"),
        ("go: Scopes", "scopes", "The scopes a token may carry (o)"),
        ("go: Devices", "devices", "Device requests waiting for approval (v)"),
        ("go: Signing keys", "keys", "The keys that sign JWTs: rotate, retire (k)"),
        ("go: Resources", "resources", "Resource servers and dynamic registration (R)"),
        ("go: All tokens", "all_tokens", "Every client's tokens"),
        ("go: Token playground", "playground", "Try every grant against the endpoint"),
        ("go: Settings", "settings", "Default token lifetimes (L on the clients screen)"),
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
        preferences: PreferencesFile | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.preferences = preferences
        """Where the chosen theme is kept between runs; None: not kept (tests, screenshots)."""
        self._kept_theme: str | None = None
        self._theme_timer: Timer | None = None
        self.endpoint = endpoint
        self.clock: Clock = clock or store.clock
        self.clipboard_writer = clipboard or Clipboard()
        self.endpoint_note = endpoint_note
        """Why the endpoint is not where asked (port taken, --no-server, failed)."""
        self.secrets: dict[int, str] = {}
        """Client id → secret created or rotated in this run, for the playground to prefill."""
        self.database_label = store.location
        # The embedded endpoint's loop shares our GIL; it waits while we answer a key.
        application = getattr(endpoint, "application", None)
        self._foreground: Foreground | None = getattr(application, "foreground", None)
        self._hold: KeyHold | None = None
        if self._foreground is not None:
            self._foreground.lower_priority(ENDPOINT_NICE)
            self._hold = KeyHold(self._foreground)
        self._watcher = (
            ChangeWatcher(store, lambda stamp: self.post_message(DataChanged(stamp)), poll_interval)
            if poll_interval
            else None
        )

    # -- the endpoint waits while a key is answered -----------------------------

    @property
    def foreground_gate(self) -> Foreground | None:
        """The embedded endpoint's gate, or None (no endpoint, or a stand-in)."""
        return self._foreground

    def get_driver_class(self) -> type[Driver]:
        return early_hold_driver(super().get_driver_class())

    async def on_event(self, event: events.Event) -> None:
        # Busy from the key until the screen shows what it did: the endpoint's requests
        # wait meanwhile instead of taking turns at the GIL with us. (The driver marked
        # the gate busy when it read the key; from here on the hold releases it.)
        hold = self._hold
        if hold is not None and (not isinstance(event, HOLDING_INPUT) or event.is_forwarded):
            hold = None
        if hold is not None:
            hold.pressed()
        # A Tab read in one burst with the keys after it moves focus before they are
        # forwarded (see ``tui.key_order``): typed "user<Tab>password" fills two fields.
        if (
            isinstance(event, events.Key)
            and not event.is_forwarded
            and moves_focus_at_once(self, event.key)
        ):
            self.app_focus = True
            move_focus(self, event.key)
            return
        if hold is None:
            await super().on_event(event)
            return
        await super().on_event(event)
        # The key went to the focused widget's queue (or the screen's); this follows it
        # there. The frames it causes keep the hold (``_display``) until they stop.
        target = self.focused or self.screen
        if not target.call_after_refresh(hold.dispatched):
            hold.release()

    def _display(self, screen: Screen[Any], renderable: Any) -> None:
        # Every frame goes through here (Textual 8): the one place that knows a key's
        # effect reached the terminal, and whether more frames follow it.
        super()._display(screen, renderable)
        if self._hold is not None and renderable is not None:
            self._hold.drawn()

    # -- life ------------------------------------------------------------------

    def on_mount(self) -> None:
        self.endpoint_status = self._endpoint_text()
        # The endpoint thread can die on its own; keep the header honest.
        self.set_interval(2.0, self._poll_endpoint)
        clients = ClientsScreen()
        self.push_screen(clients)
        if self.preferences is not None:
            self._load_preferences(self.preferences, clients)
        if self._watcher is not None:
            self._watcher.start()

    def _load_preferences(self, preferences: PreferencesFile, screen: Screen[object]) -> None:
        """Apply the kept theme; a bad file is ignored with a notice on the first screen."""
        kept, problem = preferences.load()
        if problem:
            self.notify(
                f"Ignored {preferences.path}: {problem}. The theme you choose now is kept.",
                severity="warning",
                timeout=10,
                screen=screen,
            )
        elif kept.theme is not None:
            if kept.theme in self.available_themes:
                self.theme = kept.theme
            else:
                self.notify(
                    f"The kept theme {kept.theme!r} is not known here; using the default.",
                    severity="warning",
                    timeout=10,
                    screen=screen,
                )
        self._kept_theme = self.theme
        self.theme_changed_signal.subscribe(self, lambda _theme: self._keep_theme())

    def _keep_theme(self) -> None:
        """The theme changed: write it down soon (the palette previews themes as you browse)."""
        if self._theme_timer is not None:
            self._theme_timer.stop()
        self._theme_timer = self.set_timer(THEME_SAVE_DELAY, self._write_theme)

    def _write_theme(self) -> None:
        self._theme_timer = None
        if self.preferences is None or self.theme == self._kept_theme:
            return
        try:
            self.preferences.save(Preferences(theme=self.theme))
        except OSError as exc:
            self.notify(
                f"The theme is used but not kept: cannot write {self.preferences.path} "
                f"({exc.strerror or exc}).",
                severity="warning",
                timeout=8,
            )
            return
        self._kept_theme = self.theme

    def on_unmount(self) -> None:
        if self._theme_timer is not None:  # chosen just before quitting: keep it all the same
            self._theme_timer.stop()
            self._write_theme()
        if self._watcher is not None:
            self._watcher.close()
        if self._hold is not None and self._hold.holding:
            self._hold.release()  # the loop that would have released it is ending

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
        kind: str = "",
        screen: Screen[object] | None = None,
    ) -> None:
        """Every toast of the console (screens' ``notify`` lands here too), made terminal-safe.

        Toasts quote stored values and error texts (client names, database
        messages). Here, in one place, their control characters become visible
        escapes and their brackets stay brackets: no caller can forget it. The
        console's own toasts use no markup, so ``markup`` is accepted and ignored.

        Args:
            kind: toasts of one kind on one screen replace each other (default: the
                title, else the message itself).
            screen: the screen the toast belongs to (default: the one on top); it
                shows only while that screen is on top (``tui.toasts``).
        """
        owner = screen if screen is not None else self._top_screen()
        self.post_message(
            Notify(
                ScreenToast(
                    printable(message, multiline=True),
                    printable(title),
                    severity,
                    self.NOTIFICATION_TIMEOUT if timeout is None else timeout,
                    markup=False,
                    kind=kind or title or message,
                    owner=weakref.ref(owner) if owner is not None else None,
                )
            )
        )

    def _top_screen(self) -> Screen[object] | None:
        try:
            return self.screen
        except ScreenStackError:
            return None

    def _refresh_notifications(self) -> None:
        """Show the top screen's toasts only; forget closed screens' and replaced ones.

        Textual calls this whenever a toast comes or goes and when a screen
        resumes; it would show every toast of the app on the top screen.
        """
        for stale in stale_toasts(self._notifications, self.screen_stack):
            del self._notifications[stale]
        screen = self._top_screen()
        if screen is None:
            return
        try:
            rack = screen.get_child_by_type(ToastRack)
        except NoMatches:
            return  # the screen is not composed yet; it refreshes again when it is
        self.call_later(rack.show, toasts_for(self._notifications, screen))

    def copy_text(self, text: str, what: str) -> None:
        """Copy to the clipboard and say where it went."""
        outcome = self.clipboard_writer.copy(self, text, what)
        timeout = 6 if outcome.via == "terminal" else 3
        self.notify(outcome.message, timeout=timeout, kind="clipboard")

    def open_tokens(self, client: ClientInfo | None) -> None:
        from authclients.tui.screens.tokens import TokensScreen

        self.push_screen(TokensScreen(client))

    def open_users(self) -> None:
        from authclients.tui.screens.users import UsersScreen

        self.push_screen(UsersScreen())

    def open_scopes(self) -> None:
        from authclients.tui.screens.scopes import ScopesScreen

        self.push_screen(ScopesScreen())

    def open_devices(self) -> None:
        from authclients.tui.screens.devices import DevicesScreen

        self.push_screen(DevicesScreen())

    def open_keys(self) -> None:
        from authclients.tui.screens.keys import KeysScreen

        self.push_screen(KeysScreen())

    def action_keys(self) -> None:
        self.open_keys()

    def open_resources(self) -> None:
        from authclients.tui.screens.resources import ResourcesScreen

        self.push_screen(ResourcesScreen())

    def open_playground(self, client: ClientInfo | None) -> None:
        from authclients.tui.screens.playground import PlaygroundScreen

        self.push_screen(PlaygroundScreen(client))

    def open_settings(self) -> None:
        from authclients.tui.screens.settings import SettingsScreen

        self.push_screen(SettingsScreen())

    def action_settings(self) -> None:
        self.open_settings()

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

    def action_devices(self) -> None:
        self.open_devices()

    def action_resources(self) -> None:
        self.open_resources()

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
    preferences: PreferencesFile | None = None,
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
        preferences: where the chosen theme is kept between runs; None: nowhere.
    """
    return AuthClientsApp(
        store,
        endpoint=endpoint,
        clock=clock,
        clipboard=clipboard,
        endpoint_note=endpoint_note,
        poll_interval=poll_interval,
        preferences=preferences,
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
        where = describe(db) if db else f"${ENV_VAR} or the default location"
        hint = check_hint(is_server(resolve_target(db)))
        line = " ".join(f"cannot open the database {where}: {exc} ({hint})".split())
        print(f"authclients: error: {printable(line)}", file=sys.stderr)
        return 1
    from authclients.tui.hangup import HangupGuard

    endpoint, note = (None, "--no-server") if no_server else start_endpoint(store, port)
    app = create_app(
        store, endpoint=endpoint, endpoint_note=note, preferences=PreferencesFile.default()
    )
    guard = HangupGuard(app, [endpoint.stop] if endpoint is not None else [])
    guard.install()
    try:
        app.run()
    finally:
        if endpoint is not None:
            endpoint.stop()
        store.close()
        guard.done()
    return guard.exit_code or app.return_code or 0
