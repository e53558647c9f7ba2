"""The playground's client: one from the store, or an id typed by hand; its secret."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Select

from authclients.store.oauth_client import ClientCredentials
from authclients.store.oauth_client.client_auth import (
    AUTH_METHODS,
    BASIC,
    NONE,
    POST,
    PRIVATE_KEY_JWT,
    SECRET_JWT,
)
from authclients.store.records import ClientInfo
from authclients.tui.safe_text import printable

BY_HAND = -1
"""The client picker's value for a client typed by hand."""
METHOD_LABELS = {
    BASIC: "Basic",
    POST: "Form body",
    SECRET_JWT: "JWT, secret",
    PRIVATE_KEY_JWT: "JWT, key",
    NONE: "None (public)",
}
"""How the client proves itself (RFC 6749 §2.3, RFC 7523), short enough for 80 columns."""


def client_label(client: ClientInfo) -> Text:
    """``3 · Web app (public)``: a stored name made safe for the terminal.

    A ``Text``, because a ``Select`` reads a ``str`` prompt as markup: a name
    holding ``[link=...]`` would become a link, or crash the screen.
    """
    return Text(printable(f"{client.id} · {client.name}") + (" (public)" if client.public else ""))


class ClientPicker(Vertical):
    """The client list (or typed by hand), its id, secret, and Basic or form-body auth."""

    @dataclass
    class Chosen(Message):
        """The picker moved: ``client_id`` is a stored client's id, or ``BY_HAND``."""

        client_id: int

    def __init__(self, first: ClientInfo | None, *, id: str | None = None) -> None:
        """Args:
        first: the client offered before the list is loaded.
        """
        super().__init__(id=id, classes="pg-section")
        self.first = first

    def compose(self) -> ComposeResult:
        first = self.first
        with Horizontal(classes="pg-row"):
            yield Label("Client", classes="pg-label")
            yield Select(
                [*([(client_label(first), first.id)] if first else []), ("Typed by hand", BY_HAND)],
                value=first.id if first else BY_HAND,
                allow_blank=False,
                id="pg-client",
                compact=True,
            )
        with Horizontal(classes="pg-row"):
            yield Label("Id", classes="pg-label")
            yield Input(id="pg-client-id", placeholder="client id", compact=True)
            yield Label("Secret", classes="pg-label-inline")
            yield Input(id="pg-secret", password=True, placeholder="none: public", compact=True)
        with Horizontal(classes="pg-row"):
            yield Label("Auth", classes="pg-label")
            yield Select(
                [(label, method) for method, label in METHOD_LABELS.items()],
                value=BASIC,
                allow_blank=False,
                id="pg-auth-method",
                compact=True,
                tooltip="How the client authenticates at the token endpoint: the secret in "
                "HTTP Basic or the form body, a JWT signed with the secret or with a key "
                "pair made here (RFC 7523), or nothing (a public client, with PKCE)",
            )
            yield Button("Key pair", id="pg-key-pair", compact=True, action="screen.key_pair")

    def offer(self, clients: Iterable[ClientInfo], current: int) -> None:
        """Offer ``clients`` (by id) and typed-by-hand; keep ``current`` chosen, quietly."""
        known = sorted(clients, key=lambda c: c.id)
        options = [(client_label(c), c.id) for c in known] + [("Typed by hand", BY_HAND)]
        picker = self.query_one("#pg-client", Select)
        with self.prevent(Select.Changed):
            picker.set_options(options)
            ids = {c.id for c in known}
            picker.value = current if current in ids or current == BY_HAND else BY_HAND

    def fill(self, client: ClientInfo | None, secret: str) -> None:
        """Show ``client``'s id and ``secret`` (revealed this run, or empty), or free the id."""
        secret_input = self.query_one("#pg-secret", Input)
        client_id = self.query_one("#pg-client-id", Input)
        client_id.disabled = client is not None
        if client is None:
            secret_input.placeholder = "none: public"
            return
        client_id.value = str(client.id)
        secret_input.value = secret
        secret_input.placeholder = (
            "none: public client"
            if client.public
            else f"not revealed this run: type it (…{printable(client.secret_hint)})"
        )

    @property
    def client_id(self) -> str:
        return self.query_one("#pg-client-id", Input).value.strip()

    def type_in(self, client_id: str, method: str) -> None:
        """A client typed by hand (a saved target's): its id and auth method."""
        picker = self.query_one("#pg-client", Select)
        with self.prevent(Select.Changed):
            picker.value = BY_HAND
        self.post_message(self.Chosen(BY_HAND))
        self.query_one("#pg-client-id", Input).value = client_id
        if method in METHOD_LABELS:
            self.query_one("#pg-auth-method", Select).value = method

    def set_secret(self, secret: str) -> None:
        self.query_one("#pg-secret", Input).value = secret

    @property
    def secret(self) -> str:
        return self.query_one("#pg-secret", Input).value.strip()

    @property
    def method(self) -> str:
        value = self.query_one("#pg-auth-method", Select).value
        return value if isinstance(value, str) else BASIC

    def offer_methods(self, supported: tuple[str, ...]) -> None:
        """Offer the methods the server lists (all when it says nothing); keep the choice
        when it is still offered, else take the first the server lists."""
        offered = [m for m in AUTH_METHODS if not supported or m in supported] or [BASIC]
        picker = self.query_one("#pg-auth-method", Select)
        current = self.method
        with self.prevent(Select.Changed):
            picker.set_options([(METHOD_LABELS[m], m) for m in offered])
            picker.value = current if current in offered else offered[0]
        self._show_key_button()

    def credentials(self, key: object = None) -> ClientCredentials:
        """The client as the inputs say now; ``key`` signs ``private_key_jwt`` assertions."""
        return ClientCredentials(
            client_id=self.client_id,
            secret=self.query_one("#pg-secret", Input).value.strip(),
            method=self.method,
            key=key,  # type: ignore[arg-type]
        )

    def on_mount(self) -> None:
        self._show_key_button()

    @on(Select.Changed, "#pg-auth-method")
    def _method_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._show_key_button()

    def _show_key_button(self) -> None:
        self.query_one("#pg-key-pair", Button).display = self.method == PRIVATE_KEY_JWT

    @on(Select.Changed, "#pg-client")
    def _picked(self, event: Select.Changed) -> None:
        event.stop()
        # The picker's value now, not the event's: a stale Changed from its mount
        # must not undo the client we were opened with.
        value = event.select.value
        self.post_message(self.Chosen(value if isinstance(value, int) else BY_HAND))
