"""The grant chooser and each grant's inputs, the authorization-code flow's included."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, ContentSwitcher, Input, Label, RadioButton, RadioSet, Static

from authclients.store.oauth_client import Pkce
from authclients.store.records import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_PASSWORD,
    GRANT_PERSONAL_ACCESS,
    GRANT_REFRESH_TOKEN,
)
from authclients.tui.safe_text import printable
from authclients.tui.widgets.playground.grants import GRANTS, GrantOffer


def _scope_row(input_id: str, placeholder: str = "space-separated; empty: none") -> ComposeResult:
    with Horizontal(classes="pg-row"):
        yield Label("Scope", classes="pg-label")
        yield Input(id=input_id, placeholder=placeholder, compact=True)


class GrantForm(Vertical):
    """The grants as radio buttons (disabled ones say why) and the chosen grant's inputs.

    Its buttons (sign in here, copy URL, new state, use the pasted redirect)
    bubble up as ``Button.Pressed``: the screen owns the flow.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="pg-section")

    def compose(self) -> ComposeResult:
        with RadioSet(id="pg-grant"):
            for grant, label in GRANTS:
                yield RadioButton(label, id=f"pg-grant-{grant}")
        yield Static("", id="pg-grant-notes")
        with ContentSwitcher(id="pg-forms", initial=f"form-{GRANT_PASSWORD}"):
            yield from self._compose_forms()

    def _compose_forms(self) -> ComposeResult:
        with Vertical(id=f"form-{GRANT_PASSWORD}", classes="pg-form"):
            with Horizontal(classes="pg-row"):
                yield Label("Username", classes="pg-label")
                yield Input(id="pg-username", compact=True)
                yield Label("Password", classes="pg-label-inline")
                yield Input(id="pg-password", password=True, compact=True)
            yield from _scope_row("pg-scope-password")
        with Vertical(id=f"form-{GRANT_CLIENT_CREDENTIALS}", classes="pg-form"):
            yield from _scope_row("pg-scope-client")
        with Vertical(id=f"form-{GRANT_AUTHORIZATION_CODE}", classes="pg-form"):
            yield from self._compose_code_form()
        with Vertical(id=f"form-{GRANT_REFRESH_TOKEN}", classes="pg-form"):
            with Horizontal(classes="pg-row"):
                yield Label("Refresh", classes="pg-label")
                yield Input(
                    id="pg-refresh-token",
                    password=True,
                    placeholder="from the last response, or pasted",
                    compact=True,
                )
            yield from _scope_row("pg-scope-refresh", "empty: the same scopes")
        with Vertical(id=f"form-{GRANT_PERSONAL_ACCESS}", classes="pg-form"):
            with Horizontal(classes="pg-row"):
                yield Label("Username", classes="pg-label")
                yield Input(id="pg-pat-username", compact=True)
                yield Label("Name", classes="pg-label-inline")
                yield Input("playground", id="pg-pat-name", compact=True)
            with Horizontal(classes="pg-row"):
                yield Label("Scopes", classes="pg-label")
                yield Input(id="pg-pat-scopes", placeholder="space-separated", compact=True)
                yield Label("Days", classes="pg-label-inline")
                yield Input("30", id="pg-pat-days", compact=True, type="integer")

    def _compose_code_form(self) -> ComposeResult:
        with Horizontal(classes="pg-row"):
            yield Label("Redirect", classes="pg-label")
            yield Input(id="pg-redirect-uri", placeholder="a registered URL", compact=True)
        yield from _scope_row("pg-scope-code")
        yield Static("", id="pg-pkce")
        yield Static("", id="pg-authorize-url")
        with Horizontal(classes="pg-buttons"):
            yield Button(
                "Sign in and approve here ^n",
                id="pg-authorize-here",
                variant="primary",
                compact=True,
            )
            yield Button("Copy URL", id="pg-copy-authorize", compact=True)
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

    def value(self, input_id: str, *, strip: bool = True) -> str:
        """The value of the input ``#input_id``; ``strip=False`` for a password, as typed."""
        value = self.query_one(f"#{input_id}", Input).value
        return value.strip() if strip else value

    def set_value(self, input_id: str, value: str) -> None:
        self.query_one(f"#{input_id}", Input).value = value

    @property
    def grant(self) -> str:
        pressed = self.query_one("#pg-grant", RadioSet).pressed_button
        if pressed is None or pressed.id is None:
            return GRANT_PASSWORD
        return pressed.id.removeprefix("pg-grant-")

    def apply_offers(self, offers: list[GrantOffer]) -> None:
        """Disable the grants not offered, say why, and keep a usable grant chosen."""
        notes: list[str] = []
        for offer in offers:
            button = self.query_one(f"#pg-grant-{offer.grant}", RadioButton)
            button.disabled = not offer.enabled
            button.tooltip = offer.reason or None
            if not offer.enabled:
                notes.append(f"{offer.label}: {offer.reason}")
        self.query_one("#pg-grant-notes", Static).update("\n".join(notes))
        self.query_one("#pg-grant-notes").display = bool(notes)
        current = self.grant
        usable = [o.grant for o in offers if o.enabled]
        self.select_grant(
            current if current in usable else (usable[0] if usable else GRANT_PASSWORD)
        )

    def select_grant(self, grant: str) -> None:
        """Press the grant's radio button and show its inputs."""
        button = self.query_one(f"#pg-grant-{grant}", RadioButton)
        if not button.value:
            button.value = True
        self.query_one("#pg-forms", ContentSwitcher).current = f"form-{grant}"

    @on(RadioSet.Changed, "#pg-grant")
    def _grant_changed(self, event: RadioSet.Changed) -> None:
        if event.pressed.id:
            grant = event.pressed.id.removeprefix("pg-grant-")
            self.query_one("#pg-forms", ContentSwitcher).current = f"form-{grant}"

    def show_pkce(self, pkce: Pkce) -> None:
        self.query_one("#pg-pkce", Static).update(
            f"state {pkce.state}\nverifier {pkce.verifier}\nchallenge {pkce.challenge} (S256)"
        )

    def show_authorize_url(self, url: str) -> None:
        # The authorize endpoint may come from another server's metadata.
        self.query_one("#pg-authorize-url", Static).update(
            Text(printable(f"authorize URL {url}"), overflow="fold")
        )
