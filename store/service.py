"""``Store``: the one object the TUI, the CLI and the endpoint hold."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager

import peewee as pw

from authclients.store.audit import AuditLog
from authclients.store.clients import Clients
from authclients.store.clock import Clock, SystemClock
from authclients.store.db import describe, open_database, resolve_target
from authclients.store.devices import Devices
from authclients.store.records import Lifetimes
from authclients.store.scopes import Scopes
from authclients.store.settings import Settings
from authclients.store.tokens import Tokens
from authclients.store.users import Users
from authclients.store.writer_lock import holding, writer_lock


class Store:
    """The database, the clock, the lifetimes and who is acting, with the operations over them.

    Attributes:
        clients: create, list, update, delete, rotate secret.
        users: add, list, set password, deactivate, delete.
        scopes: the scopes the server knows: list, add, delete.
        settings: small per-database values (the failed-attempt key).
        tokens: issue, find, introspect, revoke, list, purge, personal access tokens.
        devices: device authorization requests (RFC 8628): request, approve, deny, poll.
        audit: the record of admin actions.
    """

    def __init__(
        self,
        db: pw.Database,
        *,
        target: str = "",
        clock: Clock | None = None,
        lifetimes: Lifetimes | None = None,
        actor: str | None = None,
    ) -> None:
        self.db = db
        self.target = target
        self.clock: Clock = clock or SystemClock()
        self.lifetimes = lifetimes or Lifetimes()
        self.actor = actor or _os_user()
        self._writer = writer_lock(db)
        self.audit = AuditLog(self)
        self.clients = Clients(self)
        self.users = Users(self)
        self.tokens = Tokens(self)
        self.scopes = Scopes(self)
        self.settings = Settings(self)
        self.devices = Devices(self)

    @classmethod
    def open(
        cls,
        target: str | None = None,
        *,
        clock: Clock | None = None,
        lifetimes: Lifetimes | None = None,
        actor: str | None = None,
    ) -> Store:
        """Open ``--db`` / ``AUTHCLIENTS_DB`` / the default file, migrating it."""
        resolved = resolve_target(target)
        db = open_database(resolved)
        return cls(db, target=resolved, clock=clock, lifetimes=lifetimes, actor=actor)

    @property
    def location(self) -> str:
        """Where the data is, safe to show (no password)."""
        return describe(self.target)

    def as_actor(self, actor: str) -> Store:
        """The same database and clock, acting as someone else (the endpoint)."""
        return Store(
            self.db, target=self.target, clock=self.clock, lifetimes=self.lifetimes, actor=actor
        )

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold this process's writer lock (SQLite only) around a write.

        Every write in the process takes it: the console's, the endpoint's and
        the group committer's, so they queue here instead of in SQLite's busy
        handler. Re-entrant; on PostgreSQL it is not taken.
        """
        with holding(self._writer):
            yield

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A write transaction inside ``writing`` (nested calls become savepoints)."""
        with holding(self._writer), self.db.atomic():
            yield

    def close(self) -> None:
        """Close this thread's connection."""
        if not self.db.is_closed():
            self.db.close()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
