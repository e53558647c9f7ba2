"""Approve here: the person signs in from the terminal and approves (or denies) a device's code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from authclients.store.errors import NotFound
from authclients.store.records import DeviceInfo
from authclients.tui.jobs import failure_message
from authclients.tui.safe_display import TYPED_TEXT, literal
from authclients.tui.screens.base import ConsoleModal


@dataclass(frozen=True)
class DeviceDecision:
    """What was decided here: the request as the store now has it, and by whom."""

    device: DeviceInfo
    approved: bool
    username: str


class DeviceSignInScreen(ConsoleModal[DeviceDecision | None]):
    """Username and password, then Approve or Deny the user code, as the verification page does.

    It talks to the store, not to the page: it serves the embedded endpoint only,
    whose store it shares. The password is checked like the page checks it
    (bcrypt, active users only).
    """

    CSS_PATH = "../authorize_here.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="device_sign_in.cancel"),
    ]

    def __init__(self, user_code: str, *, username: str = "") -> None:
        """Args:
        user_code: the code the device shows.
        username: prefilled (the password grant's username, if any).
        """
        super().__init__()
        self.user_code = user_code
        self._username = username
        self._busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="az-dialog"):
            yield Label(literal(f"Approve device {self.user_code}"), id="az-title")
            yield Static("Sign in as the person the device will act for.", id="az-status")
            with Vertical(id="az-sign-in"):
                yield Label("Username", classes="az-label")
                yield Input(self._username, id="az-username", compact=True, restrict=TYPED_TEXT)
                yield Label("Password", classes="az-label")
                yield Input(id="az-password", password=True, compact=True)
                with Horizontal(classes="az-buttons"):
                    yield Button("Approve", id="ds-approve", variant="success", compact=True)
                    yield Button("Deny", id="ds-deny", variant="error", compact=True)
                    yield Button("Cancel", id="ds-cancel", compact=True)

    def on_mount(self) -> None:
        target = "#az-password" if self._username else "#az-username"
        self.query_one(target, Input).focus()

    def _say(self, message: str, *, error: bool) -> None:
        status = self.query_one("#az-status", Static)
        status.update(literal(message))
        status.set_class(error, "-error")

    @on(Input.Submitted, "#az-username, #az-password")
    @on(Button.Pressed, "#ds-approve")
    def _approve(self) -> None:
        self._decide(approve=True)

    @on(Button.Pressed, "#ds-deny")
    def _deny(self) -> None:
        self._decide(approve=False)

    def _decide(self, *, approve: bool) -> None:
        if self._busy:
            return
        username = self.query_one("#az-username", Input).value.strip()
        password = self.query_one("#az-password", Input).value
        if not username or not password:
            self._say("Enter the username and the password.", error=True)
            return
        store = self.store
        code = self.user_code

        def job() -> DeviceDecision | None:
            user = store.users.verify(username, password)
            if user is None:
                return None
            device = store.devices.find_by_user_code(code)
            if approve:
                decided = store.devices.approve(device.id, user.id)
            else:
                decided = store.devices.deny_for_user(device.id, user.id)
            return DeviceDecision(decided, approve, user.username)

        self._busy = True
        self._say("Checking…", error=False)
        self.run_store(job, self._done, group="device-sign-in", failed=self._failed)

    def _done(self, decision: DeviceDecision | None) -> None:
        self._busy = False
        if decision is None:
            self.query_one("#az-password", Input).value = ""
            self._say("Wrong username or password, or the user is inactive.", error=True)
            return
        self.dismiss(decision)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        if isinstance(exc, NotFound):
            message = "No pending request has that code: it expired, or was decided already."
        else:
            message = failure_message(exc)
        self._say(message, error=True)

    @on(Button.Pressed, "#ds-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
