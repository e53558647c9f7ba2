"""The grant chooser and each grant's inputs, the authorization-code flow's included."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import ContentSwitcher, Input, Label, RadioButton, RadioSet, Static

from authclients.store.oauth_client import Pkce
from authclients.store.records import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_DEVICE,
    GRANT_PASSWORD,
    GRANT_PERSONAL_ACCESS,
    GRANT_REFRESH_TOKEN,
)
from authclients.tui.safe_text import printable
from authclients.tui.widgets.playground.code_flow_form import CodeFlowForm, scope_row
from authclients.tui.widgets.playground.device_flow import DeviceFlowForm
from authclients.tui.widgets.playground.grants import GRANTS, GrantOffer


class GrantForm(Vertical):
    """The grants as radio buttons (disabled ones say why) and the chosen grant's inputs.

    The authorization-code inputs are a ``CodeFlowForm`` of their own.
    """

    def __init__(self, pkce: Pkce, *, id: str | None = None) -> None:
        """Args:
        pkce: the authorization-code form's first state and verifier.
        """
        super().__init__(id=id, classes="pg-section")
        self.pkce = pkce

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
            yield from scope_row("pg-scope-password")
        with Vertical(id=f"form-{GRANT_CLIENT_CREDENTIALS}", classes="pg-form"):
            yield from scope_row("pg-scope-client")
        yield CodeFlowForm(self.pkce, id=f"form-{GRANT_AUTHORIZATION_CODE}", classes="pg-form")
        with Vertical(id=f"form-{GRANT_REFRESH_TOKEN}", classes="pg-form"):
            with Horizontal(classes="pg-row"):
                yield Label("Refresh", classes="pg-label")
                yield Input(
                    id="pg-refresh-token",
                    password=True,
                    placeholder="from the last response, or pasted",
                    compact=True,
                )
            yield from scope_row("pg-scope-refresh", "empty: the same scopes")
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
        yield DeviceFlowForm(id=f"form-{GRANT_DEVICE}", classes="pg-form")

    def value(self, input_id: str, *, strip: bool = True) -> str:
        """The value of the input ``#input_id``; ``strip=False`` for a password, as typed."""
        value = self.query_one(f"#{input_id}", Input).value
        return value.strip() if strip else value

    def set_value(self, input_id: str, value: str) -> None:
        # Input draws its value raw; a stored value may hold an escape (raw SQL).
        self.query_one(f"#{input_id}", Input).value = printable(value)

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
        # Refresh needs tokens from another grant first: never the one chosen for a client.
        first = [g for g in usable if g != GRANT_REFRESH_TOKEN] or usable
        self.select_grant(current if current in usable else (first[0] if first else GRANT_PASSWORD))

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
