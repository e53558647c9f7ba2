"""The authorization-code grant's inputs: redirect URL, scope, PKCE, authorize URL, the code."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from authclients.store import oauth_client as oc
from authclients.tui.safe_text import printable
from authclients.tui.widgets.playground.code_flow import RedirectReading, read_redirect


def scope_row(input_id: str, placeholder: str = "space-separated; empty: none") -> ComposeResult:
    """A "Scope" label and its input."""
    with Horizontal(classes="pg-row"):
        yield Label("Scope", classes="pg-label")
        yield Input(id=input_id, placeholder=placeholder, compact=True)


class CodeFlowForm(Vertical):
    """Owns the PKCE pair and the authorize URL; reads the redirect into the code input.

    The screen points it at a target and client id (``point_at``); the sign-in
    dialog and the exchange of the code stay with the screen.
    """

    @dataclass
    class Read(Message):
        """A pasted redirect was read: the outcome line says how it went."""

        reading: RedirectReading

    def __init__(self, pkce: oc.Pkce, *, id: str | None = None, classes: str = "") -> None:
        super().__init__(id=id, classes=classes)
        self.pkce = pkce
        self.target = oc.Target.from_base("http://127.0.0.1")
        self.client_id = ""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="pg-row"):
            yield Label("Redirect", classes="pg-label")
            yield Input(id="pg-redirect-uri", placeholder="a registered URL", compact=True)
        yield from scope_row("pg-scope-code")
        yield Static("", id="pg-pkce")
        yield Static("", id="pg-authorize-url")
        with Horizontal(classes="pg-buttons"):
            yield Button(
                "Sign in and approve here ^n",
                id="pg-authorize-here",
                variant="primary",
                compact=True,
                action="screen.authorize_here",
            )
            yield Button(
                "Copy URL", id="pg-copy-authorize", compact=True, action="screen.copy_authorize_url"
            )
            yield Button(
                "Catch in a browser",
                id="pg-catch-redirect",
                compact=True,
                action="screen.catch_redirect",
                tooltip="Listen on 127.0.0.1 for the redirect (RFC 8252), copy the URL to "
                "open in any browser on this machine, and exchange the code it brings",
            )
            yield Button("New state", id="pg-new-pkce", compact=True)
        with Horizontal(classes="pg-row"):
            yield Label("Paste", classes="pg-label")
            yield Input(
                id="pg-redirect-paste",
                placeholder="the URL the browser was redirected to",
                compact=True,
            )
            yield Button("Use", id="pg-use-redirect", compact=True)
        with Horizontal(classes="pg-row"):
            yield Label("Code", classes="pg-label")
            yield Input(id="pg-code", placeholder="from the redirect", compact=True)

    @property
    def url(self) -> str:
        """The authorization request URL as the inputs say now."""
        redirect = self.query_one("#pg-redirect-uri", Input).value.strip()
        scope = self.query_one("#pg-scope-code", Input).value.strip()
        return oc.authorize_url(self.target, self.client_id, redirect, scope, self.pkce)

    @property
    def redirect_uri(self) -> str:
        return self.query_one("#pg-redirect-uri", Input).value.strip()

    def set_redirect_uri(self, uri: str) -> None:
        self.query_one("#pg-redirect-uri", Input).value = uri
        self.show()

    def point_at(self, target: oc.Target, client_id: str) -> None:
        """Build the URL for ``target`` and ``client_id`` from now on, and show it."""
        self.target, self.client_id = target, client_id
        self.show()

    def show(self) -> None:
        """Show the PKCE pair and the authorize URL."""
        pkce = self.pkce
        # Sent only with openid: the id_token must echo it (checked on the Token tab).
        openid = "openid" in self.query_one("#pg-scope-code", Input).value.split()
        nonce = f"\nnonce {pkce.nonce} (openid)" if openid else ""
        self.query_one("#pg-pkce", Static).update(
            f"state {pkce.state}\nverifier {pkce.verifier}\nchallenge {pkce.challenge} (S256)"
            + nonce
        )
        # The authorize endpoint may come from another server's metadata.
        self.query_one("#pg-authorize-url", Static).update(
            Text(printable(f"authorize URL {self.url}"), overflow="fold")
        )

    @on(Button.Pressed, "#pg-new-pkce")
    def new_pkce(self) -> None:
        """A fresh state and verifier."""
        self.pkce = oc.Pkce.new()
        self.show()

    @on(Input.Changed, "#pg-redirect-uri, #pg-scope-code")
    def _inputs_changed(self) -> None:
        self.show()

    def use_redirect(
        self, location: str, issuer: str = "", require_issuer: bool = False
    ) -> RedirectReading:
        """Read a redirect, check its state (and its issuer), and put its code in (or clear a
        stale one)."""
        reading = read_redirect(location, self.pkce.state, issuer, require_issuer)
        if reading.code or reading.clear_code:
            # From another server's redirect: Input would draw an escape in it raw.
            self.query_one("#pg-code", Input).value = printable(reading.code)
        return reading

    @on(Button.Pressed, "#pg-use-redirect")
    @on(Input.Submitted, "#pg-redirect-paste")
    def _use_pasted(self) -> None:
        url = self.query_one("#pg-redirect-paste", Input).value.strip()
        if not url:
            self.notify("Paste the URL your browser was sent to.", severity="warning")
            return
        self.post_message(self.Read(self.use_redirect(url)))
