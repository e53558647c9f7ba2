"""Resource servers (RFC 8707) and the dynamic registration switch (RFC 7591)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Footer, Label

from authclients.store.registration import MODE_OFF, MODE_OPEN, MODE_TOKEN, MODES
from authclients.store.resources import ResourceInfo
from authclients.store.service import Store
from authclients.tui.formatting import date_text
from authclients.tui.safe_display import cell
from authclients.tui.screens.base import ConsoleScreen
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.resource_form import ResourceFormScreen
from authclients.tui.widgets.console_header import ConsoleHeader

MODE_TEXT = {
    MODE_OFF: "off (admins create clients)",
    MODE_OPEN: "open (anyone may register)",
    MODE_TOKEN: "token (initial access token)",
}


@dataclass(frozen=True)
class RegistrationState:
    """What the screen shows of the registration switch."""

    mode: str
    start_disabled: bool
    registered: int
    cap: int


def read_state(store: Store) -> tuple[list[ResourceInfo], RegistrationState]:
    registrations = store.registrations
    state = RegistrationState(
        mode=registrations.mode(),
        start_disabled=registrations.start_disabled(),
        registered=registrations.count(),
        cap=registrations.cap,
    )
    return store.resources.list(), state


class ResourcesScreen(ConsoleScreen[None]):
    """The resources a token may be bound to, and who may register a client."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="resources.back", tooltip="Back to the clients"),
        Binding("a", "add", "Add", id="resources.add", tooltip="Define a resource server"),
        Binding("d", "delete", "Delete", id="resources.delete", tooltip="Forget it"),
        Binding(
            "m", "mode", "Registration", id="resources.mode", tooltip="off → open → token → off"
        ),
        Binding(
            "b",
            "start_disabled",
            "Start disabled",
            id="resources.start_disabled",
            tooltip="New registrations start disabled (on/off)",
        ),
        Binding("q", "app.quit", "Quit", id="resources.quit", show=False),
    ]
    PALETTE = (
        ("resource: Add", "add", "Define a resource server (a)"),
        ("resource: Delete", "delete", "Forget the highlighted resource server (d)"),
        ("registration: Switch mode", "mode", "Dynamic registration off → open → token (m)"),
        ("registration: Start disabled", "start_disabled", "New registrations start disabled (b)"),
        ("resource: Back to clients", "back", "Close this screen (esc)"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.resources: list[ResourceInfo] = []
        self.state: RegistrationState | None = None

    def compose(self) -> ComposeResult:
        yield ConsoleHeader("Resources")
        yield Label("", id="registration-state", classes="list-info")
        yield DataTable(id="resources", cursor_type="row", zebra_stripes=True, classes="list-table")
        yield Label("", id="resources-info", classes="list-info")
        with Horizontal(classes="list-buttons"):
            yield Button("+ Add (a)", id="resources-add", compact=True)
            yield Button("Delete (d)", id="resources-delete", compact=True)
            yield Button("Registration (m)", id="resources-mode", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#resources", DataTable)
        table.add_column("URI", key="uri")
        table.add_column("Name", key="name")
        table.add_column("Client", key="client")
        table.add_column("Defined", key="created")
        table.focus()
        self.load()

    def load(self, select: str | None = None) -> None:
        store = self.store
        self.run_store(
            lambda: read_state(store),
            lambda found: self._show(*found, select=select),
            group="resources-load",
        )

    def refresh_data(self) -> None:
        self.load()

    def _show(
        self, resources: list[ResourceInfo], state: RegistrationState, *, select: str | None
    ) -> None:
        previous = self.resources
        self.resources, self.state = resources, state
        table = self.query_one("#resources", DataTable)
        row = table.cursor_row
        if select is None and 0 <= row < len(previous):
            select = previous[row].uri
        table.clear()
        for info in resources:
            table.add_row(
                cell(info.uri, ellipsis=True),  # maybe written by raw SQL: shown literally
                cell(info.name or "—", ellipsis=True),
                str(info.introspection_client_id or "—"),
                date_text(info.created_at),
            )
        if select is not None:
            row = next((i for i, r in enumerate(resources) if r.uri == select), row)
        if resources:
            table.move_cursor(row=min(max(row, 0), len(resources) - 1))
        disabled = " · new ones start disabled" if state.start_disabled else ""
        self.query_one("#registration-state", Label).update(
            f"Registration {MODE_TEXT[state.mode]}{disabled} · "
            f"{state.registered}/{state.cap} self-registered"
        )
        info = (
            f"{len(resources)} resource server{'s' if len(resources) != 1 else ''} · a "
            "token asked for with resource= is bound to it (aud)"
            if resources
            else "No resource servers: resource= is refused. Press a to define one."
        )
        self.query_one("#resources-info", Label).update(info)

    def _current(self) -> ResourceInfo | None:
        table = self.query_one("#resources", DataTable)
        if not self.resources or not 0 <= table.cursor_row < len(self.resources):
            self.notify("No resource server highlighted. Define one with a.", severity="warning")
            return None
        return self.resources[table.cursor_row]

    def action_back(self) -> None:
        self.dismiss(None)

    def action_add(self) -> None:
        def added(info: ResourceInfo | None) -> None:
            if info:
                self.notify(f"Resource server {info.uri} defined.", markup=False)
                self.load(select=info.uri)

        self.app.push_screen(ResourceFormScreen(), added)

    def action_delete(self) -> None:
        info = self._current()
        if info is None:
            return
        self.app.push_screen(
            ConfirmScreen(
                "Delete this resource server?",
                f"Forget {info.uri}? No new token may name it; tokens already bound to it "
                "keep their audience until they expire or are revoked.",
            ),
            lambda yes: self._delete(info) if yes else None,
        )

    def _delete(self, info: ResourceInfo) -> None:
        resources = self.store.resources

        def done(_: None) -> None:
            self.notify("Resource server deleted.")
            self.load()

        self.run_store(
            lambda: resources.delete(info.uri), done, group="resources-write", exclusive=False
        )

    def action_mode(self) -> None:
        if self.state is None:
            return
        mode = MODES[(MODES.index(self.state.mode) + 1) % len(MODES)]
        if mode == MODE_OPEN:
            # Anyone who can reach the endpoint may then create clients: ask first.
            self.app.push_screen(
                ConfirmScreen(
                    "Open client registration?",
                    "Anyone who can reach the endpoint may then register a client at "
                    "POST /oauth/register (at most "
                    f"{self.state.cap}, rate-limited per address). Press m again for token "
                    "mode, which needs an initial access token.",
                    confirm="Open",
                ),
                lambda yes: self._set_mode(mode) if yes else None,
            )
            return
        self._set_mode(mode)

    def _set_mode(self, mode: str) -> None:
        registrations = self.store.registrations

        def done(_: None) -> None:
            self.notify(f"Registration {MODE_TEXT[mode]}.")
            self.load()

        self.run_store(
            lambda: registrations.set_mode(mode), done, group="resources-write", exclusive=False
        )

    def action_start_disabled(self) -> None:
        if self.state is None:
            return
        on = not self.state.start_disabled
        registrations = self.store.registrations

        def done(_: None) -> None:
            self.notify(
                "New registrations start disabled: enable each with x on the clients screen."
                if on
                else "New registrations may get tokens at once."
            )
            self.load()

        self.run_store(
            lambda: registrations.set_start_disabled(on),
            done,
            group="resources-write",
            exclusive=False,
        )

    @on(Button.Pressed, "#resources-add")
    def _add_pressed(self) -> None:
        self.action_add()

    @on(Button.Pressed, "#resources-delete")
    def _delete_pressed(self) -> None:
        self.action_delete()

    @on(Button.Pressed, "#resources-mode")
    def _mode_pressed(self) -> None:
        self.action_mode()
