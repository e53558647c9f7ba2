"""The four token-lifetime fields (access, refresh, personal, code), for a client or the defaults.

One block, so the client form shows it as one collapsible section and the
Settings screen as its whole form. Widgets never read the database: the
screen hands in the values and the defaults, and reads the typed text back.
"""

from __future__ import annotations

from datetime import timedelta

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label

from authclients.store.errors import ValidationError
from authclients.store.lifetime_settings import RULES, format_duration, parse_duration
from authclients.store.records import Lifetimes
from authclients.tui.safe_display import literal

LIFETIME_KEYS = tuple(rule.key for rule in RULES)
"""Field keys (``access-token-ttl`` …): the Inputs' ids and the store's error keys."""


class LifetimeFields(Vertical):
    """A labelled Input per lifetime with its range, and an error line under each.

    Args:
        values: the lifetime to start with, per kind; None or missing starts empty.
        defaults: what an empty field means, shown as its placeholder.
    """

    def __init__(
        self,
        values: dict[str, timedelta | None],
        defaults: Lifetimes,
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._values = values
        self._defaults = defaults

    def compose(self) -> ComposeResult:
        for rule in RULES:
            value = self._values.get(rule.kind)
            default = format_duration(getattr(self._defaults, rule.kind))
            with Horizontal(classes="lifetime-row"):
                yield Label(rule.label, classes="lifetime-label")
                yield Input(
                    format_duration(value) if value is not None else "",
                    placeholder=f"default {default}",
                    id=rule.key,
                    compact=True,
                    max_length=12,
                    restrict=r"[0-9a-zA-Z]*",
                )
                yield Label(literal(rule.range_text), classes="lifetime-range")
            yield Label("", id=f"{rule.key}-error", classes="field-error")

    def on_mount(self) -> None:
        for rule in RULES:
            self.query_one(f"#{rule.key}-error", Label).display = False

    def texts(self) -> dict[str, str]:
        """What is typed, per field key (for "did anything change")."""
        return {rule.key: self.query_one(f"#{rule.key}", Input).value for rule in RULES}

    def parsed(self) -> dict[str, timedelta | None]:
        """Kind → the typed duration, None where empty; bad fields in one ``ValidationError``."""
        values: dict[str, timedelta | None] = {}
        errors: dict[str, str] = {}
        for rule in RULES:
            text = self.query_one(f"#{rule.key}", Input).value.strip()
            if not text:
                values[rule.kind] = None
                continue
            try:
                values[rule.kind] = parse_duration(text, rule)
            except ValidationError as exc:
                errors.update(exc.errors)
        if errors:
            raise ValidationError(errors)
        return values

    def set_values(self, values: dict[str, timedelta | None], defaults: Lifetimes) -> None:
        """Show other values (a reload), dropping what was typed."""
        self._values, self._defaults = values, defaults
        for rule in RULES:
            field = self.query_one(f"#{rule.key}", Input)
            value = values.get(rule.kind)
            field.value = format_duration(value) if value is not None else ""
            field.placeholder = f"default {format_duration(getattr(defaults, rule.kind))}"
