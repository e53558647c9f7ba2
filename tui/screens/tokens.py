"""Access tokens, of every client or of one: ages, expiry, revoke, purge, personal tokens."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Footer, Label

from authclients.store.grant_types import abbreviation
from authclients.store.records import (
    STATE_ACTIVE,
    STATE_EXPIRED,
    ClientInfo,
    IssuedToken,
    PurgeResult,
    TokenInfo,
)
from authclients.tui.formatting import ago, expires_text, shell_lines
from authclients.tui.safe_display import cell
from authclients.tui.safe_text import printable
from authclients.tui.screens.base import ConsoleScreen
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.secret_reveal import Reveal, SecretRevealScreen
from authclients.tui.screens.token_form import TokenFormScreen
from authclients.tui.widgets.console_header import ConsoleHeader

LIST_LIMIT = 500
"""Newest first; more than this is what purge is for."""
STATE_STYLES = {STATE_ACTIVE: "green", STATE_EXPIRED: "yellow"}


class TokensScreen(ConsoleScreen[None]):
    """Every token's client, user, grant or name, scopes, age, expiry, last use and state."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="tokens.back"),
        Binding("r", "revoke", "Revoke", id="tokens.revoke", tooltip="Revoke this token"),
        Binding("R", "revoke_client", "Revoke all", id="tokens.revoke_client"),
        Binding("x", "purge", "Purge", id="tokens.purge", tooltip="Delete dead tokens"),
        Binding("n", "new_personal", "New PAT", id="tokens.new", tooltip="Personal token"),
        Binding("q", "app.quit", "Quit", id="tokens.quit"),
    ]
    PALETTE = (
        ("token: Revoke", "revoke", "Revoke the highlighted token (r)"),
        ("token: Revoke all of the client", "revoke_client", "Every token of the client (R)"),
        ("token: Purge expired", "purge", "Delete expired and revoked tokens (x)"),
        ("token: New personal access token", "new_personal", "For a user, shown once (n)"),
        ("token: Back", "back", "Close this screen (esc)"),
    )

    def __init__(self, client: ClientInfo | None = None) -> None:
        """Args:
        client: show only this client's tokens; None for all.
        """
        super().__init__()
        self.client = client
        self.tokens: list[TokenInfo] = []

    def compose(self) -> ComposeResult:
        title = f"Tokens of {self.client.name} ({self.client.id})" if self.client else "Tokens"
        yield ConsoleHeader(title)
        yield DataTable(id="tokens", cursor_type="row", zebra_stripes=True, classes="list-table")
        yield Label("", id="tokens-info", classes="list-info")
        with Horizontal(classes="form-buttons", id="tokens-buttons"):
            yield Button("New personal token (n)", id="tokens-new", compact=True)
            yield Button("Purge expired (x)", id="tokens-purge", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#tokens", DataTable)
        # State and expiry first: at 80 columns they are what the admin looks for.
        for label, key in (
            ("ID", "id"),
            ("State", "state"),
            ("Expires", "expires"),
            ("Client", "client"),
            ("User", "user"),
            ("Grant / name", "grant"),
            ("Last used", "used"),
            ("Created", "created"),
            ("Scopes", "scopes"),
            ("Format", "format"),
        ):
            table.add_column(label, key=key)
        table.focus()
        self.load()

    def load(self) -> None:
        tokens = self.store.tokens
        client_id = self.client.id if self.client else None
        self.run_store(
            lambda: tokens.list(client_id=client_id, limit=LIST_LIMIT),
            self._show,
            group="tokens-load",
        )

    def _show(self, tokens: list[TokenInfo]) -> None:
        previous = self.tokens
        self.tokens = tokens
        table = self.query_one("#tokens", DataTable)
        row = table.cursor_row
        if 0 <= row < len(previous):
            # Newer tokens arrive on top: stay on the token, not on the row number.
            kept = previous[row].id
            row = next((i for i, t in enumerate(tokens) if t.id == kept), row)
        table.clear()
        now = self.now()
        for t in tokens:
            grant = abbreviation(t.grant_type)
            if t.name:
                grant = f"{grant}: {t.name}"
            table.add_row(
                Text(str(t.id), justify="right"),
                Text(t.state, style=STATE_STYLES.get(t.state, "dim")),
                expires_text(t.expires_at, now),
                # Names and scopes as stored, maybe by raw SQL: literal, controls visible.
                cell(_cut(f"{t.client_id} {t.client_name}", 18)),
                cell(_cut(t.username or "—", 12)),
                cell(_cut(grant, 20)),
                ago(t.last_used_at, now),
                ago(t.created_at, now),
                cell(_cut(" ".join(t.scopes) or "—", 16)),
                t.token_format,
            )
        if tokens:
            table.move_cursor(row=min(row, len(tokens) - 1))
        live = sum(1 for t in tokens if t.state == STATE_ACTIVE)
        if tokens:
            shown = f"newest {LIST_LIMIT} shown" if len(tokens) >= LIST_LIMIT else ""
            info = f"{len(tokens)} tokens, {live} live" + (f" · {shown}" if shown else "")
        else:
            info = "No tokens yet. Press n to create a personal access token for a user."
        self.query_one("#tokens-info", Label).update(info)

    def refresh_data(self) -> None:
        """Tokens changed, maybe in another process: show the list as it is now."""
        self.load()

    def _current(self) -> TokenInfo | None:
        table = self.query_one("#tokens", DataTable)
        if not self.tokens or not 0 <= table.cursor_row < len(self.tokens):
            self.notify("No token highlighted.", severity="warning")
            return None
        return self.tokens[table.cursor_row]

    # -- actions ----------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss(None)

    def action_revoke(self) -> None:
        token = self._current()
        if token is None:
            return
        if token.state != STATE_ACTIVE:
            self.notify(f"Token {token.id} is already {token.state}.", severity="warning")
            return
        tokens = self.store.tokens

        def revoke(yes: bool | None) -> None:
            if yes:
                self.run_store(
                    lambda: tokens.revoke(token.id),
                    lambda _info: self._after(f"Token {token.id} revoked."),
                    group="tokens-write",
                    exclusive=False,
                )

        who = f" of {token.username}" if token.username else ""
        self.app.push_screen(
            ConfirmScreen(
                f"Revoke token {token.id}?",
                f"The {token.grant_type} token{who} for “{token.client_name}” stops working "
                "at once.",
                confirm="Revoke",
            ),
            revoke,
        )

    def action_revoke_client(self) -> None:
        if self.client is not None:
            client_id, name = self.client.id, self.client.name
        else:
            token = self._current()
            if token is None:
                return
            client_id, name = token.client_id, token.client_name
        live = sum(1 for t in self.tokens if t.client_id == client_id and t.state == STATE_ACTIVE)
        tokens = self.store.tokens

        def revoke(yes: bool | None) -> None:
            if yes:
                self.run_store(
                    lambda: tokens.revoke_all_of_client(client_id),
                    lambda count: self._after(f"Revoked {count} tokens of “{name}”."),
                    group="tokens-write",
                    exclusive=False,
                )

        self.app.push_screen(
            ConfirmScreen(
                f"Revoke every token of client {client_id}?",
                f"All {live} live tokens of “{name}” stop working at once. The client "
                "itself stays; its users can sign in again.",
                confirm="Revoke all",
            ),
            revoke,
        )

    def action_purge(self) -> None:
        tokens = self.store.tokens

        def ask(preview: PurgeResult) -> None:
            count = len(preview.access_tokens)
            if count + preview.refresh_tokens + preview.auth_codes == 0:
                self.notify("Nothing to purge: no token has expired or been revoked.")
                return
            kept = (
                f" {preview.kept_for_refresh} stay because a live refresh token needs them."
                if preview.kept_for_refresh
                else ""
            )
            self.app.push_screen(
                ConfirmScreen(
                    "Purge dead tokens?",
                    f"Delete {count} expired or revoked access tokens, "
                    f"{preview.refresh_tokens} refresh tokens and {preview.auth_codes} "
                    f"authorization codes for good?{kept}",
                    confirm="Purge",
                ),
                lambda yes: purge() if yes else None,
            )

        def purge() -> None:
            self.run_store(
                lambda: tokens.purge(0),
                lambda result: self._after(
                    f"Purged {len(result.access_tokens)} access tokens, "
                    f"{result.refresh_tokens} refresh tokens, {result.auth_codes} codes."
                ),
                group="tokens-write",
                exclusive=False,
            )

        self.run_store(lambda: tokens.purge(0, dry_run=True), ask, group="tokens-preview")

    def action_new_personal(self) -> None:
        users = self.store.users
        client_id = self.client.id if self.client and self.client.personal_access else None

        def ask(usernames: list[str]) -> None:
            if not usernames:
                self.notify(
                    "No active user to hold the token: add one on the users screen (u).",
                    severity="warning",
                )
                return
            self.app.push_screen(TokenFormScreen(usernames, client_id), self._created)

        self.run_store(
            lambda: [u.username for u in users.list() if u.active], ask, group="tokens-users"
        )

    def _created(self, issued: IssuedToken | None) -> None:
        if issued is None:
            return
        info = issued.info
        expiry = (
            "never expires" if info.expires_at is None else f"expires {info.expires_at:%Y-%m-%d}"
        )
        self.app.push_screen(
            SecretRevealScreen(
                Reveal(
                    title=f"Personal access token created for {info.username}",
                    id_label="token id",
                    id_value=str(info.id),
                    secret_label="Access token",
                    secret=issued.access_token,
                    note=f"“{info.name}”, client {info.client_name} ({info.client_id}), {expiry}.",
                    curl_title="Using it:",
                    curl=shell_lines(
                        ["curl", f"{self.console.endpoint_url}/api/1.0/users/me"],
                        [("-H", f"Authorization: Bearer {issued.access_token}")],
                    ),
                )
            )
        )
        self.load()

    def _after(self, message: str) -> None:
        self.notify(message)
        self.load()

    @on(Button.Pressed, "#tokens-new")
    def _new_pressed(self) -> None:
        self.action_new_personal()

    @on(Button.Pressed, "#tokens-purge")
    def _purge_pressed(self) -> None:
        self.action_purge()


def _cut(text: str, width: int) -> str:
    """``text`` made printable first, so an escape counts for its visible width."""
    text = printable(text)
    return text if len(text) <= width else text[: width - 1] + "…"
