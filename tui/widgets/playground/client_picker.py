"""The playground's client: one from the store, or an id typed by hand; its secret."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Checkbox, Input, Label, Select

from authclients.store.oauth_client import ClientCredentials
from authclients.store.oauth_client.client_auth import BASIC, POST
from authclients.store.records import ClientInfo
from authclients.tui.safe_text import printable

BY_HAND = -1
"""The client picker's value for a client typed by hand."""


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
            yield Checkbox(
                "Basic",
                True,
                id="pg-basic",
                compact=True,
                tooltip="Send the secret with HTTP Basic; off: in the form body",
            )

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

    def credentials(self) -> ClientCredentials:
        return ClientCredentials(
            client_id=self.client_id,
            secret=self.query_one("#pg-secret", Input).value.strip(),
            method=BASIC if self.query_one("#pg-basic", Checkbox).value else POST,
        )

    @on(Select.Changed, "#pg-client")
    def _picked(self, event: Select.Changed) -> None:
        event.stop()
        # The picker's value now, not the event's: a stale Changed from its mount
        # must not undo the client we were opened with.
        value = event.select.value
        self.post_message(self.Chosen(value if isinstance(value, int) else BY_HAND))
