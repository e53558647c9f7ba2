"""What the persistence modules need of the ``Store``, as protocols: no import of ``service``.

``Store`` builds ``Clients``, ``Users``, ``Tokens`` and ``AuditLog`` and hands
itself to each; typing them against ``Store`` would make every one of them
import ``service`` and ``service`` import them (a circle). They type against
``StoreContext`` instead, which ``Store`` satisfies.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Protocol

import peewee as pw

from authclients.store.clock import Clock
from authclients.store.records import ClientInfo, Lifetimes


class AuditRecorder(Protocol):
    """Writes one audit event (``store.audit.AuditLog``)."""

    def record(
        self, action: str, object_type: str, object_id: object = "", detail: str = ""
    ) -> None: ...


class TokenRevoker(Protocol):
    """Ends the tokens of a client or a user (``store.tokens.Tokens``)."""

    def revoke_all_of_client(self, client_id: int, *, _audit: bool = True) -> int: ...

    def revoke_all_of_user(self, user_id: int, *, _audit: bool = True) -> int: ...


class ScopeDefiner(Protocol):
    """Defines the scopes a client lists, and says which are not (``store.scopes.Scopes``)."""

    def ensure(self, names: Iterable[str]) -> tuple[str, ...]: ...

    def undefined(self, names: Iterable[str]) -> list[str]: ...


class SettingsReader(Protocol):
    """The database's own settings (``store.settings.Settings``)."""

    def attempt_key(self) -> str: ...


class JwtSigner(Protocol):
    """One private key, ready to sign (``store.signing_keys.Signer``)."""

    kid: str

    def sign(self, claims: dict[str, object], *, typ: str = "JWT") -> str: ...


class KeyRing(Protocol):
    """The signing key of this moment (``store.signing_keys.SigningKeys``)."""

    def signer(self) -> JwtSigner: ...


class StoreContext(Protocol):
    """The database, clock, lifetimes and actor of a store, its writer lock, and its siblings.

    Attributes:
        db: the Peewee database.
        clock: the clock every timestamp comes from.
        lifetimes: how long tokens and codes live.
        actor: who is acting, for the audit log.
        audit: the audit log.
        tokens: the tokens, for the revocations a client or user deletion causes.
        scopes: the defined scopes, which a client's scope list extends.
        settings: the database's settings (the failed-attempt key).
        signing_keys: the keys that sign JWT access tokens and ID tokens.
    """

    db: pw.Database
    clock: Clock
    actor: str
    audit: AuditRecorder
    tokens: TokenRevoker
    scopes: ScopeDefiner
    settings: SettingsReader
    signing_keys: KeyRing

    @property
    def lifetimes(self) -> Lifetimes:
        """The default lifetimes (the database's settings, cached)."""
        ...

    def lifetimes_for(self, client: ClientInfo) -> Lifetimes:
        """A client's own lifetimes where set, else the defaults."""
        ...

    def as_actor(self, actor: str) -> StoreContext:
        """The same database and clock, acting as someone else (the endpoint)."""
        ...

    def writing(self) -> AbstractContextManager[None]:
        """Hold this process's turn at the database's writer (SQLite; free on PostgreSQL)."""
        ...

    def atomic(self) -> AbstractContextManager[None]:
        """A write transaction, inside ``writing``."""
        ...
