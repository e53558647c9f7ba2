"""Sign in and approve here: the authorization pages' dance, in a dialog instead of a browser."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from authclients.store.oauth_client import AuthorizeDance, DanceError, Exchange, PageForm
from authclients.tui.safe_text import printable


@dataclass
class AuthorizeOutcome:
    """How the dance ended.

    Attributes:
        location: the redirect's ``Location`` (code or error), or empty.
        error: why it stopped without a redirect (error page, network), or empty.
        exchanges: every HTTP request made, for the playground's history.
    """

    location: str = ""
    error: str = ""
    exchanges: list[Exchange] = field(default_factory=list)


class AuthorizeHereScreen(ModalScreen[AuthorizeOutcome | None]):
    """Username and password, then the server's consent (client, scopes), Approve or Deny.

    Every step is a real request to the authorization endpoint (cookies, CSRF
    token from the page), made in a worker thread; the dialog shows what the
    server's pages said.
    """

    CSS_PATH = "../authorize_here.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="authorize.cancel"),
    ]

    def __init__(self, url: str, *, timeout: float, username: str = "") -> None:
        """Args:
        url: the full authorization request URL.
        timeout: seconds per request.
        username: prefilled (the password grant's username, if any).
        """
        super().__init__()
        self.dance = AuthorizeDance(url, timeout=timeout)
        self._username = username

    def compose(self) -> ComposeResult:
        with Vertical(id="az-dialog"):
            yield Label("Sign in and approve", id="az-title")
            yield Static("Opening the authorization page…", id="az-status")
            with Vertical(id="az-sign-in"):
                yield Label("Username", classes="az-label")
                yield Input(self._username, id="az-username", compact=True)
                yield Label("Password", classes="az-label")
                yield Input(id="az-password", password=True, compact=True)
                with Horizontal(classes="az-buttons"):
                    yield Button("Sign in", id="az-submit", variant="primary", compact=True)
                    yield Button("Cancel", id="az-cancel-1", compact=True)
            with Vertical(id="az-consent"):
                yield Static("", id="az-consent-text")
                with Horizontal(classes="az-buttons"):
                    yield Button("Approve", id="az-approve", variant="success", compact=True)
                    yield Button("Deny", id="az-deny", variant="error", compact=True)
                    yield Button("Cancel", id="az-cancel-2", compact=True)
            with Horizontal(id="az-failed", classes="az-buttons"):
                yield Button("Close", id="az-close", compact=True)

    def on_mount(self) -> None:
        self._show("loading")
        self._step(self.dance.start)

    # -- the steps, in a worker ---------------------------------------------------------

    def _step(self, call: object) -> None:
        """Run one blocking step of the dance; its page or redirect comes back to the UI."""

        app = self.app  # taken now: a dismissed dialog's ``self.app`` no longer answers

        def body() -> None:
            try:
                result = call()  # type: ignore[operator]
            except DanceError as exc:
                outcome = partial(self._failed, exc.message)
            except Exception as exc:  # a surprise must end the dialog, not the app
                outcome = partial(self._failed, f"{type(exc).__name__}: {exc}")
            else:
                outcome = partial(self._advanced, result)
            with contextlib.suppress(RuntimeError):  # the app is closing: nobody to tell
                app.call_from_thread(outcome)

        self.run_worker(body, thread=True, group="authorize-here", exclusive=True)

    def _advanced(self, result: PageForm | str | None) -> None:
        if not self.is_attached:
            return  # cancelled while the server was answering
        if isinstance(result, str) or result is None:
            # Redirected: with a code, an error, or straight away when the
            # server refused the request before any page (RFC 6749 §4.1.2.1).
            self.dismiss(
                AuthorizeOutcome(location=self.dance.location, exchanges=self.dance.exchanges)
            )
            return
        if result.kind == "sign_in":
            self._show("sign_in", result.message)
        else:
            self._show_consent(result)

    def _failed(self, message: str) -> None:
        if not self.is_attached:
            return
        self._error = message
        self._show("failed", message)

    # -- what shows -----------------------------------------------------------------------

    def _show(self, state: str, message: str = "") -> None:
        self.query_one("#az-sign-in").display = state == "sign_in"
        self.query_one("#az-consent").display = state == "consent"
        self.query_one("#az-failed").display = state == "failed"
        status = self.query_one("#az-status", Static)
        status.set_class(bool(message) and state in ("sign_in", "failed"), "-error")
        if state == "loading":
            status.update("Talking to the authorization endpoint…")
        elif state == "sign_in":
            heading = self.dance.page.heading if self.dance.page else "Sign in"
            # The page's heading and error come from the server: shown, never obeyed.
            status.update(Text(printable(message or heading)))
            target = (
                "#az-password" if self.query_one("#az-username", Input).value else "#az-username"
            )
            self.query_one(target, Input).focus()
        elif state == "failed":
            status.update(Text(printable(f"The server refused: {message}")))
            self.query_one("#az-close", Button).focus()
        else:
            status.update(Text(printable(message)))

    def _show_consent(self, page: PageForm) -> None:
        scopes = ", ".join(page.scopes) if page.scopes else "no particular scope"
        text = f"{page.heading}\nSigned in as {page.signed_in_as or '?'}.\nScopes: {scopes}"
        self.query_one("#az-consent-text", Static).update(Text(printable(text, multiline=True)))
        self._show("consent", "The server asks for consent:")
        self.query_one("#az-approve", Button).focus()

    # -- what the user does ---------------------------------------------------------------

    @on(Button.Pressed, "#az-submit")
    @on(Input.Submitted, "#az-username, #az-password")
    def _sign_in(self) -> None:
        username = self.query_one("#az-username", Input).value.strip()
        password = self.query_one("#az-password", Input).value
        if not username or not password:
            self._show("sign_in", "Enter the username and the password.")
            return
        self._show("loading")
        self._step(lambda: self.dance.sign_in(username, password))

    @on(Button.Pressed, "#az-approve")
    def _approve(self) -> None:
        self._show("loading")
        self._step(lambda: self.dance.decide(True))

    @on(Button.Pressed, "#az-deny")
    def _deny(self) -> None:
        self._show("loading")
        self._step(lambda: self.dance.decide(False))

    @on(Button.Pressed, "#az-close")
    def _close(self) -> None:
        self.dismiss(
            AuthorizeOutcome(error=getattr(self, "_error", ""), exchanges=self.dance.exchanges)
        )

    @on(Button.Pressed, "#az-cancel-1, #az-cancel-2")
    def action_cancel(self) -> None:
        self.dismiss(AuthorizeOutcome(error="Cancelled.", exchanges=self.dance.exchanges))
