"""Create or edit a client: name, redirect URLs, grant switches, public flag, scopes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Switch

from authclients.store.errors import NotFound, StaleEdit, ValidationError
from authclients.store.grant_types import CLIENT_GRANTS
from authclients.store.jwt_tokens import FORMAT_JWT, FORMAT_OPAQUE
from authclients.store.records import ClientInfo, CreatedClient, Impact
from authclients.tui.jobs import failure_message
from authclients.tui.safe_display import TYPED_TEXT
from authclients.tui.safe_text import printable
from authclients.tui.screens.base import ConsoleScreen
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.stale_edit import ChangedField, StaleChoice, StaleEditScreen
from authclients.tui.widgets.console_header import ConsoleHeader

FIELDS_WITH_ERRORS = ("name", "redirect_uris", "grants", "public", "scopes")
TAINTED_MESSAGE = (
    "Holds control characters (written outside the console), shown here as visible "
    "escapes such as ␛. Type a new value: this one cannot be saved as it is."
)
"""Beside a text field whose stored value could not be shown as it is."""

FIELD_TITLES = {
    "name": "Name",
    "redirect_uris": "Redirect URLs",
    "scopes": "Scopes",
    **{grant.name: grant.title for grant in CLIENT_GRANTS},
    "public": "Public client",
    "token_format": "Access token format",
    "secret_hint": "Secret (rotated)",
}
"""What the stale-save dialog calls each field the store reports as changed."""


def shown_value(key: str, value: object) -> str:
    """A field's value as the stale-save dialog shows it (a record's or the form's)."""
    if key == "secret_hint":
        return f"…{value}" if value else "(none)"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple | list):
        value = " ".join(str(v) for v in value)
    text = " ".join(str(value).split())
    if not text:
        return "(empty: any defined scope)" if key == "scopes" else "(empty)"
    return text


@dataclass(frozen=True)
class ClientFormResult:
    """What a successful save produced: a new client with its secret, or the edited one."""

    client: ClientInfo
    created: CreatedClient | None = None


class ClientFormScreen(ConsoleScreen[ClientFormResult | None]):
    """One form for create and edit; stays open with every value kept until a save succeeds."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="form.save", tooltip="Save the client"),
        Binding("escape", "cancel", "Cancel", id="form.cancel", tooltip="Close; asks first"),
    ]
    PALETTE = (
        ("form: Save", "save", "Save the client (ctrl+s)"),
        ("form: Cancel", "cancel", "Close the form, asking before discarding changes"),
    )

    def __init__(self, client: ClientInfo | None = None) -> None:
        super().__init__()
        self.client = client
        self._initial: dict[str, object] = {}
        self._saving = False
        self._tainted: dict[str, str] = {}
        """Field → the visible form of a stored value holding control characters.

        Textual's Input draws its value raw, so such a value cannot go into an
        Input as it is: the field shows the visible form instead, and a save is
        refused while the field still holds it (writing it back would corrupt the
        stored value; the store refuses control characters anyway).
        """

    def _shown(self, key: str, stored: str) -> str:
        """What a text field shows for ``stored``; remembers it when it had to differ."""
        shown = printable(stored)
        if shown != stored:
            self._tainted[key] = shown
        return shown

    def compose(self) -> ComposeResult:
        c = self.client
        title = f"Edit client {c.id}" if c else "New client"
        yield ConsoleHeader(title)
        with VerticalScroll(id="form-body"):
            yield Label("", id="form-notice")
            yield Label("Name", classes="field-label")
            yield Input(
                self._shown("name", c.name) if c else "",
                placeholder="e.g. Mobile app",
                id="name",
                compact=True,
                restrict=TYPED_TEXT,
            )
            yield Label("", id="name-error", classes="field-error")
            yield Label(
                "Redirect URL(s)  [dim]several: separate with spaces[/]", classes="field-label"
            )
            yield Input(
                self._shown("redirect_uris", " ".join(c.redirect_uris)) if c else "",
                placeholder="https://app.example.com/callback",
                id="redirect_uris",
                compact=True,
                restrict=TYPED_TEXT,
            )
            yield Label("", id="redirect_uris-error", classes="field-error")
            yield Label("Grant types", classes="field-label")
            for grant in CLIENT_GRANTS:
                with Horizontal(classes="switch-row"):
                    yield Switch(bool(c and getattr(c, grant.name)), id=grant.name, animate=False)
                    yield Label(f"{grant.title}  [dim]{grant.summary}[/]", classes="switch-label")
            yield Label("", id="grants-error", classes="field-error")
            with Horizontal(classes="switch-row"):
                yield Switch(bool(c and c.public), id="public", animate=False)
                yield Label(
                    "Public client  [dim]no secret; authorization code with PKCE only[/]",
                    classes="switch-label",
                )
            yield Label("", id="public-error", classes="field-error")
            with Horizontal(classes="switch-row"):
                yield Switch(bool(c and c.token_format == FORMAT_JWT), id="jwt", animate=False)
                yield Label(
                    "JWT access tokens  [dim]RFC 9068, signed; off: opaque[/]",
                    classes="switch-label",
                )
            yield Label(
                "Scopes  [dim]optional, space separated; empty allows any[/]",
                classes="field-label",
            )
            yield Input(
                self._shown("scopes", " ".join(c.scopes)) if c else "",
                id="scopes",
                compact=True,
                restrict=TYPED_TEXT,
            )
            yield Label("", id="scopes-error", classes="field-error")
            with Horizontal(classes="form-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._initial = self.values()
        for key in FIELDS_WITH_ERRORS:
            self.query_one(f"#{key}-error", Label).display = False
        self.query_one("#form-notice", Label).display = False
        self.query_one("#name", Input).focus()
        if self._tainted:
            self.show_errors(dict.fromkeys(self._tainted, TAINTED_MESSAGE))

    def _still_tainted(self) -> dict[str, str]:
        """Fields that still hold the visible form of a stored control character."""
        return {
            key: TAINTED_MESSAGE
            for key, shown in self._tainted.items()
            if self.query_one(f"#{key}", Input).value == shown
        }

    def values(self) -> dict[str, object]:
        """The form as the store's keyword arguments."""
        values: dict[str, object] = {
            "name": self.query_one("#name", Input).value,
            "redirect_uris": self.query_one("#redirect_uris", Input).value,
            "scopes": self.query_one("#scopes", Input).value,
        }
        for grant in CLIENT_GRANTS:
            values[grant.name] = self.query_one(f"#{grant.name}", Switch).value
        values["public"] = self.query_one("#public", Switch).value
        jwt = self.query_one("#jwt", Switch).value
        values["token_format"] = FORMAT_JWT if jwt else FORMAT_OPAQUE
        return values

    @property
    def dirty(self) -> bool:
        return self.values() != self._initial

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each message beside its field; messages for unknown fields become a notification."""
        focus_order = {
            "name": "#name",
            "redirect_uris": "#redirect_uris",
            "grants": "#authorization_code",
            "public": "#public",
            "scopes": "#scopes",
        }
        self.show_field_errors(errors, FIELDS_WITH_ERRORS, focus_order)

    # -- actions -------------------------------------------------------------

    def action_save(self) -> None:
        if self._saving:
            return
        tainted = self._still_tainted()
        if tainted:
            self.show_errors(tainted)
            self.notify(
                "Not saved: a field still holds control characters from the database; "
                "type a new value in the fields marked in red.",
                severity="error",
            )
            return
        self._saving = True
        if self.client is None:
            self._write(force=False)
        else:
            self._check_ending(force=False)

    def _check_ending(self, *, force: bool) -> None:
        """Before an edit: if it switches a grant off, say what that ends and ask first.

        Compared with the row as saved now (not as loaded): after "Overwrite",
        a grant someone else switched on and this form has off is switched off too.
        """
        assert self.client is not None
        values = self.values()
        clients, base = self.store.clients, self.client

        def job() -> tuple[ClientInfo, list[str], Impact]:
            current = clients.get(base.id)
            if current.version != base.version and not force:
                return current, [], Impact()  # the save is refused as stale first
            off = [g.name for g in CLIENT_GRANTS if getattr(current, g.name) and not values[g.name]]
            # Validates the whole form too: a bad field is reported before any question.
            impact = clients.impact(base.id, **values) if off else Impact()
            return current, off, impact

        def checked(result: tuple[ClientInfo, list[str], Impact]) -> None:
            current, off, impact = result
            if not off:
                self._write(force=force)
                return
            titles = ", ".join(g.title for g in CLIENT_GRANTS if g.name in off)
            self.app.push_screen(
                ConfirmScreen(
                    f"Switch off {titles}?",
                    f"Saving client {current.id} “{current.name}” switches off: {titles}. "
                    "Tokens issued under it stop working at once, with their refresh tokens.",
                    confirm="Save",
                    ends=impact,
                ),
                lambda yes: self._write(force=force) if yes else self._not_saved(),
            )

        # Its own group: ``checked`` starts the save while this worker is still finishing,
        # and a save in the same exclusive group would cancel it.
        self.run_store(job, checked, group="client-form-ending", failed=self._failed)

    def _not_saved(self) -> None:
        self._saving = False

    def _write(self, *, force: bool) -> None:
        values = self.values()
        clients = self.store.clients
        client = self.client

        def job() -> ClientFormResult:
            # The store splits the redirect field on spaces/commas/newlines itself.
            if client is None:
                created = clients.create(**values)  # type: ignore[arg-type]
                return ClientFormResult(created.client, created)
            if force:
                return ClientFormResult(clients.update(client.id, **values, force=True))  # type: ignore[arg-type]
            return ClientFormResult(clients.update(client.id, **values, base=client))  # type: ignore[arg-type]

        self.run_store(job, self._saved, group="client-form-save", failed=self._failed)

    # -- a stale save ----------------------------------------------------------

    def _stale(self, exc: StaleEdit) -> None:
        assert self.client is not None
        mine = self.values()
        changes = [
            ChangedField(
                FIELD_TITLES.get(key, key),
                shown_value(key, now),
                shown_value(key, mine[key]) if key in mine else "(not in this form)",
            )
            for key, (_base, now) in exc.changes.items()
        ]
        current = exc.current if isinstance(exc.current, ClientInfo) else None

        def chosen(choice: StaleChoice | None) -> None:
            if choice == "reload" and current is not None:
                self.reload_from(current)
                self.notify(f"Reloaded client {current.id} as saved; your changes were dropped.")
            elif choice == "overwrite":
                self._saving = True
                self._check_ending(force=True)
            else:
                self.notify("Not saved; your changes are still in the form.", timeout=4)

        self.app.push_screen(
            StaleEditScreen(f"client {self.client.id} “{self.client.name}”", changes), chosen
        )

    def reload_from(self, client: ClientInfo) -> None:
        """Show ``client`` as saved now, dropping what was typed; later saves start from it."""
        self.client = client
        self._tainted = {}
        self.query_one("#name", Input).value = self._shown("name", client.name)
        self.query_one("#redirect_uris", Input).value = self._shown(
            "redirect_uris", " ".join(client.redirect_uris)
        )
        self.query_one("#scopes", Input).value = self._shown("scopes", " ".join(client.scopes))
        for grant in CLIENT_GRANTS:
            self.query_one(f"#{grant.name}", Switch).value = bool(getattr(client, grant.name))
        self.query_one("#public", Switch).value = client.public
        self.query_one("#jwt", Switch).value = client.token_format == FORMAT_JWT
        self._initial = self.values()
        self.query_one("#form-notice", Label).display = False
        self.show_errors(dict.fromkeys(self._tainted, TAINTED_MESSAGE))
        self.query_one("#name", Input).focus()

    def _saved(self, result: ClientFormResult) -> None:
        self._saving = False
        # Earlier "not saved" messages are stale now; they would cover the secret dialog.
        self.app.clear_notifications()
        self.dismiss(result)

    def refresh_data(self) -> None:
        """Clients changed somewhere: say so at once if this one was changed or deleted."""
        if self.client is None:
            return
        clients, client_id = self.store.clients, self.client.id
        self.run_store(
            lambda: clients.get(client_id),
            self._show_if_changed,
            group="client-form-check",
            failed=self._check_failed,
        )

    def _show_if_changed(self, current: ClientInfo) -> None:
        """Warn before the save is refused, so the admin is not surprised by the dialog."""
        if self.client is None or current.version == self.client.version:
            return
        notice = self.query_one("#form-notice", Label)
        notice.update(
            f"Client {current.id} was changed elsewhere since you opened this form. Saving "
            "lists what changed and offers to reload it or to overwrite."
        )
        notice.display = True

    def _check_failed(self, exc: BaseException) -> None:
        if isinstance(exc, NotFound):
            self._show_deleted()

    def _show_deleted(self) -> None:
        assert self.client is not None
        notice = self.query_one("#form-notice", Label)
        notice.update(
            f"Client {self.client.id} was deleted elsewhere while you edited it: it cannot be "
            "saved. Press escape to go back to the list."
        )
        notice.display = True

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        if isinstance(exc, StaleEdit) and self.client is not None:
            self._stale(exc)
        elif isinstance(exc, NotFound) and self.client is not None:
            self._show_deleted()
            self.notify(
                f"Not saved: client {self.client.id} was deleted elsewhere while you edited "
                "it. Press escape to go back to the list.",
                title="Not saved",
                severity="error",
                timeout=8,
            )
        elif isinstance(exc, ValidationError):
            self.show_errors(exc.errors)
            self.notify(
                "Not saved: fix the fields marked in red; nothing you typed was lost.",
                severity="error",
            )
        else:
            self.notify(failure_message(exc), title="Not saved", severity="error", timeout=8)

    def action_cancel(self) -> None:
        if not self.dirty:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(
                "Discard changes?",
                "You changed this form. Close it and lose the changes?",
                confirm="Discard",
            ),
            answered,
        )

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        # Enter in a field moves on rather than saving half a form.
        self.focus_next()
