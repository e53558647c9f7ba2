"""Small per-database values kept in the ``setting`` table."""

from __future__ import annotations

import secrets
import threading
from typing import TYPE_CHECKING

import peewee as pw

from authclients.store.migrations import ATTEMPT_KEY_SETTING
from authclients.store.models import Setting

if TYPE_CHECKING:
    from authclients.store.context import StoreContext


class Settings:
    """Read and create settings; the failed-attempt key is read once per ``Store``."""

    def __init__(self, store: StoreContext) -> None:
        self._store = store
        self._attempt_key: str | None = None
        self._lock = threading.Lock()

    def get(self, name: str) -> str | None:
        row = Setting.get_or_none(Setting.name == name)
        return row.value if row else None

    def get_or_create(self, name: str, make: str) -> str:
        """The value of ``name``; ``make`` is stored first when there is none.

        Two processes creating it at once agree: the loser of the unique
        index reads the winner's value.
        """
        value = self.get(name)
        if value is not None:
            return value
        try:
            with self._store.atomic():
                Setting.create(name=name, value=make)
            return make
        except pw.IntegrityError:
            value = self.get(name)
            if value is None:  # pragma: no cover - a unique violation means it exists
                raise
            return value

    def attempt_key(self) -> str:
        """The HMAC key of the usernames kept in ``failed_attempt`` (made by migration 4)."""
        with self._lock:
            if self._attempt_key is None:
                self._attempt_key = self.get_or_create(ATTEMPT_KEY_SETTING, secrets.token_hex(32))
            return self._attempt_key
