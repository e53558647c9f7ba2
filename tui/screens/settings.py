"""Settings: the default token lifetimes, which every process of this database uses."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label

from authclients.store.errors import ValidationError
from authclients.store.lifetime_settings import REFRESH_SECONDS, RULES, format_duration
from authclients.store.records import LIFETIME_KINDS, Lifetimes
from authclients.tui.screens.base import ConsoleScreen
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.widgets.console_header import ConsoleHeader
from authclients.tui.widgets.lifetime_fields import LIFETIME_KEYS, LifetimeFields

INTRO = (
    "Default token lifetimes, for every client without its own (a client's form has a "
    "Token lifetimes section). Stored in the database: the CLI and every endpoint process "
    f"use them, a running one within {int(REFRESH_SECONDS)} seconds. Tokens already issued "
    "keep their expiry. Leave a field empty for the built-in value."
)


class SettingsScreen(ConsoleScreen[None]):
    """A form over the four default lifetimes; a save checks every field first."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="settings.save", tooltip="Save the defaults"),
        Binding("escape", "back", "Back", id="settings.back", tooltip="Close; asks first"),
    ]
    PALETTE = (
        ("settings: Save", "save", "Save the default lifetimes (ctrl+s)"),
        ("settings: Back", "back", "Close, asking before discarding changes (esc)"),
    )

    def __init__(self) -> None:
        super().__init__()
        self._initial: dict[str, str] = {}
        self._saving = False

    def compose(self) -> ComposeResult:
        yield ConsoleHeader("Settings")
        with VerticalScroll(id="form-body"):
            yield Label(INTRO, id="settings-intro")
            yield Label("Token lifetimes", classes="field-label")
            yield LifetimeFields({}, Lifetimes(), id="lifetime-fields")
            with Horizontal(classes="form-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save", compact=True)
                yield Button("Back (esc)", id="back", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(f"#{LIFETIME_KEYS[0]}", Input).focus()
        self._initial = self._fields.texts()
        self.load()

    @property
    def _fields(self) -> LifetimeFields:
        return self.query_one("#lifetime-fields", LifetimeFields)

    @property
    def dirty(self) -> bool:
        return self._fields.texts() != self._initial

    def load(self) -> None:
        """Read what is stored (a worker); the fields show it once it arrives."""
        settings = self.store.lifetime_settings
        self.run_store(settings.stored, self._show, group="settings-load")

    def _show(self, stored: dict[str, timedelta | None]) -> None:
        if self.dirty:
            return  # typed before the values arrived: what was typed wins
        self._fields.set_values(stored, Lifetimes())
        self._initial = self._fields.texts()

    def refresh_data(self) -> None:
        """Something changed elsewhere: reload, unless the admin is typing."""
        if not self.dirty and not self._saving:
            self.load()

    def action_save(self) -> None:
        if self._saving:
            return
        try:
            values = self._fields.parsed()
        except ValidationError as exc:
            # Nothing is sent; every field keeps what was typed.
            self.show_field_errors(exc.errors, LIFETIME_KEYS, {k: f"#{k}" for k in LIFETIME_KEYS})
            self.notify(
                "Not saved: fix the lifetimes marked in red; nothing you typed was lost.",
                severity="error",
            )
            return
        self.show_field_errors({}, LIFETIME_KEYS, {})
        self._saving = True
        settings = self.store.lifetime_settings
        changes = {kind: values[kind] for kind in LIFETIME_KINDS}
        self.run_store(
            lambda: settings.set(changes), self._saved, group="settings-save", failed=self._failed
        )

    def _saved(self, now: Lifetimes) -> None:
        self._saving = False
        self._initial = self._fields.texts()
        shown = ", ".join(
            f"{rule.label.lower()} {format_duration(getattr(now, rule.kind))}" for rule in RULES
        )
        self.notify(f"Saved. New tokens get: {shown}.", timeout=6)

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        if isinstance(exc, ValidationError):
            self.show_field_errors(exc.errors, LIFETIME_KEYS, {k: f"#{k}" for k in LIFETIME_KEYS})
            return
        self.store_failed(exc)

    def action_back(self) -> None:
        if not self.dirty:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(
                "Discard changes?",
                "You changed the lifetimes. Close and lose the changes?",
                confirm="Discard",
            ),
            answered,
        )

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.focus_next()
