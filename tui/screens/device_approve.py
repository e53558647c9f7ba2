"""Approve a device's request for a user: which user the device's tokens will act for."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Select, Static

from authclients.store.records import DeviceInfo, UserInfo
from authclients.tui.safe_display import literal
from authclients.tui.safe_text import printable
from authclients.tui.screens.base import ConsoleModal


class DeviceApproveScreen(ConsoleModal[UserInfo | None]):
    """Shows the request (client, code, scopes) and a picker of active users.

    Dismisses with the chosen user, or None; the screen below writes the approval.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "approve", "Approve", id="device_approve.approve"),
        Binding("escape", "cancel", "Cancel", id="device_approve.cancel"),
    ]

    def __init__(self, device: DeviceInfo, users: list[UserInfo]) -> None:
        """Args:
        device: the pending request.
        users: the active users to choose from.
        """
        super().__init__()
        self.device = device
        self.users = {user.id: user for user in users}

    def compose(self) -> ComposeResult:
        device = self.device
        scopes = " ".join(device.scopes) or "no particular scope"
        with Vertical(classes="dialog", id="device-approve-dialog"):
            yield Label(literal(f"Approve device {device.user_code}"), classes="dialog-title")
            yield Static(
                literal(
                    f"Client {device.client_name} ({device.client_id}) asks for: {scopes}.\n"
                    "Its tokens will act for the user chosen here.",
                    multiline=True,
                ),
                id="device-approve-what",
            )
            yield Label("User", classes="field-label")
            yield Select(
                # Usernames as stored: a Text prompt is never read as markup.
                [(Text(printable(u.username)), u.id) for u in self.users.values()],
                id="device-approve-user",
                compact=True,
                prompt="choose a user",
            )
            yield Label("", id="device-approve-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    "Approve (ctrl+s)", variant="success", id="device-approve-ok", compact=True
                )
                yield Button("Cancel (esc)", id="device-approve-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#device-approve-error").display = False
        picker = self.query_one("#device-approve-user", Select)
        if len(self.users) == 1:
            picker.value = next(iter(self.users))
        picker.focus()

    def action_approve(self) -> None:
        chosen = self.query_one("#device-approve-user", Select).value
        if not isinstance(chosen, int) or chosen not in self.users:
            error = self.query_one("#device-approve-error", Label)
            error.update("Choose the user the device will act for.")
            error.display = True
            return
        self.dismiss(self.users[chosen])

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#device-approve-ok")
    def _approve_pressed(self) -> None:
        self.action_approve()

    @on(Button.Pressed, "#device-approve-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()
