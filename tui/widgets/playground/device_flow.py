"""The device grant's inputs, its codes (the user code large, a QR code) and its polling."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static

from authclients.store import oauth_client as oc
from authclients.store.oauth_client.device import APPROVED, DENIED, EXPIRED, FAILED
from authclients.tui.safe_text import printable
from authclients.tui.widgets.playground.code_flow_form import scope_row
from authclients.tui.widgets.playground.qr_code import QrCode

TICK_SECONDS = 0.5
"""How often the countdown is redrawn and a due poll is noticed."""
WORDS_WIDTH = 26
"""The least the code and the URL need beside the QR code; narrower, the QR goes below."""


def spaced_code(user_code: str) -> str:
    """``BCDF-GHJK`` → ``B C D F - G H J K``: read aloud or typed off a TV, letter by letter."""
    return " ".join(printable(user_code))


def qr_worthy(url: str) -> bool:
    """Only an http(s) URL becomes a QR code: a phone opens what it scans without asking."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and printable(url) == url


class DeviceFlowForm(Vertical):
    """Asks for the codes (through the screen), shows them, and says when to poll.

    The screen sends the requests; this widget keeps the ``DevicePolling`` plan,
    ticks its countdown and posts ``PollDue`` when the next poll is due. Its
    timer dies with it, so leaving the playground stops the polling.
    """

    @dataclass
    class PollDue(Message):
        """Time to poll the token endpoint with this device code."""

        device_code: str

    def __init__(self, *, id: str | None = None, classes: str = "") -> None:
        super().__init__(id=id, classes=classes)
        self.polling: oc.DevicePolling | None = None
        self.clock: Callable[[], float] = time.time
        """UNIX seconds; the screen passes the app's clock (tests and pictures fix it)."""

    def compose(self) -> ComposeResult:
        yield from scope_row("pg-scope-device")
        with Horizontal(classes="pg-buttons"):
            yield Button(
                "Request codes ^s",
                id="pg-device-request",
                variant="primary",
                compact=True,
                action="screen.send",
            )
            yield Button(
                "Approve here ^n",
                id="pg-device-approve",
                compact=True,
                action="screen.authorize_here",
            )
            yield Button("Stop polling", id="pg-device-stop", compact=True)
        with Horizontal(id="pg-device-codes"):
            with Vertical(id="pg-device-words"):
                yield Static("", id="pg-device-user-code")
                yield Static("", id="pg-device-uri")
                yield Static("", id="pg-device-status")
            yield QrCode(id="pg-device-qr")

    def on_mount(self) -> None:
        self.query_one("#pg-device-codes").display = False
        self.query_one("#pg-device-stop", Button).disabled = True
        self.set_interval(TICK_SECONDS, self._tick)

    @property
    def active(self) -> bool:
        """Polling now (codes asked, not yet approved, denied, expired or stopped)."""
        return self.polling is not None and self.polling.active

    @property
    def user_code(self) -> str:
        return self.polling.codes.user_code if self.polling else ""

    def begin(self, codes: oc.DeviceCodes) -> None:
        """Show the codes and start the countdown to the first poll."""
        self.stop()
        self.polling = oc.DevicePolling.start(codes, self.clock())
        self.query_one("#pg-device-codes").display = True
        self.query_one("#pg-device-user-code", Static).update(spaced_code(codes.user_code))
        complete = codes.verification_uri_complete
        words = f"Open {codes.verification_uri}\nand enter the code above"
        if complete:
            words += f",\nor scan the QR code: {complete}"
        # Both URLs come from the server: shown, never obeyed.
        uri = Text(printable(words, multiline=True), overflow="fold")
        self.query_one("#pg-device-uri", Static).update(uri)
        qr = self.query_one(QrCode)
        qr.show_data(complete if qr_worthy(complete) else "")
        self._fit()
        self._tick()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """Side by side where both fit whole, else the QR code under the words: a cut
        symbol does not scan."""
        columns = self.query_one(QrCode).columns
        self.set_class(self.content_size.width < columns + WORDS_WIDTH, "-stacked")

    def answered(self, done: oc.Exchange) -> str:
        """Read a poll's answer; the outcome (``tokens``, an RFC error) for the screen."""
        if self.polling is None:
            return ""
        outcome = self.polling.answered(done, self.clock())
        self._tick()
        return outcome

    @on(Button.Pressed, "#pg-device-stop")
    def stop(self) -> None:
        """Stop polling: cancelled here (a poll already out is shown, not acted on)."""
        if self.polling is not None and self.polling.active:
            self.polling.cancel()
            self._tick()

    def _tick(self) -> None:
        polling = self.polling
        if polling is None:
            return
        now = self.clock()
        if polling.due(now):
            polling.sent()  # now, so the next tick cannot post the same poll twice
            self.post_message(self.PollDue(polling.codes.device_code))
        status = self.query_one("#pg-device-status", Static)
        status.update(Text(printable(polling.status(now))))
        status.set_class(polling.state in (DENIED, FAILED), "-error")
        status.set_class(polling.state == EXPIRED, "-expired")
        status.set_class(polling.state == APPROVED, "-approved")
        self.query_one("#pg-device-stop", Button).disabled = not polling.active
