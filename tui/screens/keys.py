"""The keys that sign JWTs: list them with their state, rotate, retire (never a private key)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Footer, Label

from authclients.store.errors import NotFound, ValidationError
from authclients.store.signing_keys import DEFAULT_ALG, GRACE, RS256, SigningKeyInfo
from authclients.tui.formatting import date_text
from authclients.tui.jobs import failure_message
from authclients.tui.safe_display import cell
from authclients.tui.screens.base import ConsoleScreen
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.widgets.console_header import ConsoleHeader

_GRACE_TEXT = f"{int(GRACE.total_seconds() // 60)} min"


def short_kid(kid: str) -> str:
    """The first characters of a key id: enough to tell keys apart in a narrow table."""
    return kid if len(kid) <= 16 else kid[:15] + "…"


class KeysScreen(ConsoleScreen[None]):
    """Signing keys: next (published, waiting), active (signs), retiring, retired."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="keys.back", tooltip="Back to the clients"),
        Binding("r", "rotate", "Rotate", id="keys.rotate", tooltip="Make a new signing key"),
        Binding("t", "retire", "Retire", id="keys.retire", tooltip="Stop signing with a key"),
        Binding("q", "app.quit", "Quit", id="keys.quit"),
    ]
    PALETTE = (
        ("key: Rotate (ES256)", "rotate", f"A new ES256 key that signs in {_GRACE_TEXT} (r)"),
        ("key: Rotate to RS256", "rotate_rs256", f"A new RS256 key that signs in {_GRACE_TEXT}"),
        ("key: Retire", "retire", "Stop signing with the highlighted key now (t)"),
        ("key: Back to clients", "back", "Close this screen (esc)"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[SigningKeyInfo] = []

    def compose(self) -> ComposeResult:
        yield ConsoleHeader("Signing keys")
        yield DataTable(id="keys", cursor_type="row", zebra_stripes=True, classes="list-table")
        yield Label("", id="keys-info", classes="list-info")
        with Horizontal(classes="list-buttons"):
            yield Button("Rotate (r)", id="keys-rotate", compact=True)
            yield Button("Retire (t)", id="keys-retire", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#keys", DataTable)
        table.add_column("Key id", key="kid")
        table.add_column("Alg", key="alg")
        table.add_column("State", key="state")
        table.add_column("Created", key="created")
        table.add_column("Signs from", key="from")
        table.focus()
        self.load()

    def load(self, select: str | None = None) -> None:
        keys = self.store.signing_keys
        self.run_store(keys.list, lambda found: self._show(found, select), group="keys-load")

    def _show(self, keys: list[SigningKeyInfo], select: str | None) -> None:
        previous = self.keys
        self.keys = keys
        table = self.query_one("#keys", DataTable)
        row = table.cursor_row
        if select is None and 0 <= row < len(previous):
            select = previous[row].kid
        table.clear()
        for key in keys:
            table.add_row(
                cell(short_kid(key.kid)),
                key.alg,
                key.state,
                date_text(key.created_at),
                date_text(key.active_from),
            )
        if select is not None:
            row = next((i for i, k in enumerate(keys) if k.kid == select), row)
        if keys:
            table.move_cursor(row=min(max(row, 0), len(keys) - 1))
        info = (
            f"{len(keys)} key{'s' if len(keys) != 1 else ''} · at /oauth/jwks · "
            f"a new key signs after {_GRACE_TEXT}"
            if keys
            else "No key yet: made when the first JWT is signed (r: now)."
        )
        self.query_one("#keys-info", Label).update(info)

    def _current(self) -> SigningKeyInfo | None:
        table = self.query_one("#keys", DataTable)
        if not self.keys or not 0 <= table.cursor_row < len(self.keys):
            self.notify("No key highlighted. Make one with r.", severity="warning")
            return None
        return self.keys[table.cursor_row]

    def action_back(self) -> None:
        self.dismiss(None)

    def action_rotate(self) -> None:
        self._ask_rotate(DEFAULT_ALG)

    def action_rotate_rs256(self) -> None:
        self._ask_rotate(RS256)

    def _ask_rotate(self, alg: str) -> None:
        self.app.push_screen(
            ConfirmScreen(
                f"Rotate to a new {alg} key?",
                f"It is published at once and signs in {_GRACE_TEXT}, when the keys before "
                "it stop signing. They stay published until what they signed has expired.",
                confirm="Rotate",
                danger=False,
            ),
            lambda yes: self._rotate(alg) if yes else None,
        )

    def _rotate(self, alg: str) -> None:
        keys = self.store.signing_keys

        def done(key: SigningKeyInfo) -> None:
            when = "signs from now" if key.state == "active" else f"signs in {_GRACE_TEXT}"
            self.notify(f"New {key.alg} key {short_kid(key.kid)}: {when}.")
            self.load(select=key.kid)

        self.run_store(
            lambda: keys.rotate(alg), done, group="keys-write", exclusive=False, failed=self._failed
        )

    def action_retire(self) -> None:
        key = self._current()
        if key is None:
            return
        if key.state == "retired" or (key.state == "retiring" and key.retired_at is not None):
            self.notify(f"Key {short_kid(key.kid)} no longer signs.", severity="warning")
            return
        if key.state == "next":
            message = "It never signed, so it leaves the JWKS at once."
        else:
            message = (
                "It stops signing now and stays published until every token it signed has expired."
            )
            if key.state == "active":
                message += " The next key, or a new one, signs from now."
        self.app.push_screen(
            ConfirmScreen(
                f"Retire key {short_kid(key.kid)}?",
                message,
                confirm="Retire",
            ),
            lambda yes: self._retire(key) if yes else None,
        )

    def _retire(self, key: SigningKeyInfo) -> None:
        keys = self.store.signing_keys

        def done(retired: SigningKeyInfo) -> None:
            self.notify(f"Key {short_kid(retired.kid)} retired.")
            self.load(select=retired.kid)

        self.run_store(
            lambda: keys.retire(key.kid),
            done,
            group="keys-write",
            exclusive=False,
            failed=self._failed,
        )

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            message = " ".join(exc.errors.values())
        elif isinstance(exc, NotFound):
            message = "That key is gone."
        else:
            message = failure_message(exc)
        self.notify(message, title="Not changed", severity="error", timeout=8)
        self.load()

    @on(Button.Pressed, "#keys-rotate")
    def _rotate_pressed(self) -> None:
        self.action_rotate()

    @on(Button.Pressed, "#keys-retire")
    def _retire_pressed(self) -> None:
        self.action_retire()
