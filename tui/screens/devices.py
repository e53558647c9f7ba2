"""Devices waiting for someone to approve their code (RFC 8628): approve for a user, or deny."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Footer, Label

from authclients.store.errors import NotFound
from authclients.store.records import DeviceInfo, UserInfo
from authclients.tui.formatting import ago
from authclients.tui.jobs import failure_message
from authclients.tui.safe_display import cell
from authclients.tui.screens.base import ConsoleScreen
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.device_approve import DeviceApproveScreen
from authclients.tui.widgets.console_header import ConsoleHeader

RELOAD_SECONDS = 3.0
"""How often the list is read again: a device's request comes from the endpoint, maybe
in another process. The countdowns tick every second from what was read, not from
the database."""
USER_LIMIT = 500
"""Active users offered in the picker, by name."""

EMPTY_TEXT = (
    "No device is waiting. A device asks with POST /oauth/device/code (RFC 8628); "
    "its request shows here, with its user code, until someone approves it, denies it "
    "or it expires. Try it: the playground's Device grant (p on a client with “Device”)."
)


def expiry_countdown(device: DeviceInfo, now_ts: float) -> Text:
    """``09:41`` left, yellow in the last minute, ``expired`` once past."""
    left = int(device.expires_at.timestamp() - now_ts)
    if left <= 0:
        return Text("expired", style="dim")
    minutes, seconds = divmod(left, 60)
    return Text(f"{minutes:02d}:{seconds:02d}", style="yellow" if left < 60 else "")


class DevicesScreen(ConsoleScreen[None]):
    """Pending device requests: client, user code, scopes, age and the time they have left."""

    CSS_PATH = "../devices.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="devices.back", tooltip="Back to the clients"),
        Binding(
            "a", "approve", "Approve", id="devices.approve", tooltip="Approve for a chosen user"
        ),
        Binding("d", "deny", "Deny", id="devices.deny", tooltip="Deny the request (asks)"),
        Binding("q", "app.quit", "Quit", id="devices.quit"),
    ]
    PALETTE = (
        ("device: Approve", "approve", "Approve the highlighted request for a user (a)"),
        ("device: Deny", "deny", "Deny the highlighted request (d)"),
        ("device: Back to clients", "back", "Close this screen (esc)"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.devices: list[DeviceInfo] = []
        self.loads = 0
        """Lists read so far (tests wait on it)."""

    def compose(self) -> ComposeResult:
        yield ConsoleHeader("Devices")
        yield DataTable(id="devices", cursor_type="row", zebra_stripes=True, classes="list-table")
        yield Label("", id="devices-info", classes="list-info")
        with Horizontal(classes="list-buttons"):
            yield Button("Approve (a)", id="devices-approve", compact=True, variant="primary")
            yield Button("Deny (d)", id="devices-deny", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#devices", DataTable)
        for label, key in (
            ("User code", "code"),
            ("Expires", "expires"),
            ("Client", "client"),
            ("Scopes", "scopes"),
            ("Asked", "age"),
        ):
            table.add_column(label, key=key)
        table.focus()
        self.load()
        self.set_interval(1.0, self._tick)
        self.set_interval(RELOAD_SECONDS, self.load)

    # -- reading ------------------------------------------------------------------------

    def load(self, select: int | None = None) -> None:
        devices = self.store.devices
        self.run_store(devices.pending, lambda found: self._show(found, select), group="dev-load")

    def refresh_data(self) -> None:
        """Something changed (maybe in another process): read the list again."""
        self.load()

    def _show(self, devices: list[DeviceInfo], select: int | None) -> None:
        previous = self.devices
        self.devices = devices
        self.loads += 1
        table = self.query_one("#devices", DataTable)
        row = table.cursor_row
        if select is None and 0 <= row < len(previous):
            select = previous[row].id  # newer requests arrive on top: stay on the same one
        table.clear()
        now = self.now()
        for device in devices:
            table.add_row(
                # All stored, maybe written behind the console's back: literal, controls visible.
                cell(device.user_code),
                expiry_countdown(device, now.timestamp()),
                cell(f"{device.client_name} ({device.client_id})"),
                cell(" ".join(device.scopes) or "—"),
                ago(device.created_at, now),
                key=str(device.id),
            )
        if select is not None:
            row = next((i for i, d in enumerate(devices) if d.id == select), row)
        if devices:
            table.move_cursor(row=min(max(row, 0), len(devices) - 1))
        count = len(devices)
        info = (
            f"{count} device{'s' if count != 1 else ''} waiting · a approve for a user · "
            "d deny · the device hears it at its next poll"
            if devices
            else EMPTY_TEXT
        )
        self.query_one("#devices-info", Label).update(info)

    def _tick(self) -> None:
        """The countdowns and ages, from the rows already read: no query each second."""
        table = self.query_one("#devices", DataTable)
        now = self.now()
        for device in self.devices:
            key = str(device.id)
            if key not in table.rows:
                continue
            table.update_cell(key, "expires", expiry_countdown(device, now.timestamp()))
            table.update_cell(key, "age", ago(device.created_at, now))

    def _current(self) -> DeviceInfo | None:
        table = self.query_one("#devices", DataTable)
        if not self.devices or not 0 <= table.cursor_row < len(self.devices):
            self.notify("No device request highlighted.", severity="warning")
            return None
        device = self.devices[table.cursor_row]
        if device.expires_at <= self.now():
            self.notify(
                f"The request {device.user_code} has expired: the device must ask again.",
                severity="warning",
            )
            return None
        return device

    # -- approving ----------------------------------------------------------------------

    def action_approve(self) -> None:
        device = self._current()
        if device is None:
            return
        users = self.store.users

        def ask(active: list[UserInfo]) -> None:
            if not active:
                self.notify(
                    "No active user to approve it for: add one on the users screen (u).",
                    severity="warning",
                )
                return
            self.app.push_screen(
                DeviceApproveScreen(device, active), lambda user: self._approve(device, user)
            )

        self.run_store(
            lambda: [u for u in users.list(limit=USER_LIMIT) if u.active], ask, group="dev-users"
        )

    def _approve(self, device: DeviceInfo, user: UserInfo | None) -> None:
        if user is None:
            return
        devices = self.store.devices

        def done(approved: DeviceInfo) -> None:
            self.notify(
                f"Approved {approved.user_code} for {user.username}: the device gets its "
                "tokens at its next poll."
            )
            self.load()

        self.run_store(
            lambda: devices.approve(device.id, user.id),
            done,
            group="dev-write",
            exclusive=False,
            failed=lambda exc: self._decide_failed(exc, "Not approved"),
        )

    # -- denying ------------------------------------------------------------------------

    def action_deny(self) -> None:
        device = self._current()
        if device is None:
            return
        scopes = " ".join(device.scopes) or "no particular scope"
        self.app.push_screen(
            ConfirmScreen(
                f"Deny device {device.user_code}?",
                f"{device.client_name} ({device.client_id}) asked for {scopes}. Its next poll "
                "gets access_denied, and this code can no longer be approved.",
                confirm="Deny",
            ),
            lambda yes: self._deny(device) if yes else None,
        )

    def _deny(self, device: DeviceInfo) -> None:
        devices = self.store.devices

        def done(denied: DeviceInfo) -> None:
            self.notify(f"Denied {denied.user_code}: the device hears access_denied.")
            self.load()

        self.run_store(
            lambda: devices.deny(device.id),
            done,
            group="dev-write",
            exclusive=False,
            failed=lambda exc: self._decide_failed(exc, "Not denied"),
        )

    def _decide_failed(self, exc: BaseException, title: str) -> None:
        """Decided, expired or gone elsewhere meanwhile: say so and show the list as it is."""
        message = failure_message(exc)
        if isinstance(exc, NotFound):
            message = "That request is gone: decided elsewhere, or expired."
        self.notify(message, title=title, severity="error", timeout=8)
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    @on(DataTable.RowSelected, "#devices")
    @on(Button.Pressed, "#devices-approve")
    def _approve_chosen(self) -> None:
        self.action_approve()

    @on(Button.Pressed, "#devices-deny")
    def _deny_pressed(self) -> None:
        self.action_deny()
