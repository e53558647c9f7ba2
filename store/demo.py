"""Demo data: a user and one client per grant, for `authclients --demo`, tests and screenshots."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from authclients.store import crypto
from authclients.store.clock import Clock
from authclients.store.errors import NotFound
from authclients.store.records import CreatedClient
from authclients.store.service import Store

DEMO_USERNAME = "demo"
DEMO_REDIRECT = "http://127.0.0.1:9999/callback"
"""Loopback, so RFC 8252 allows plain http and nothing leaves the machine."""


@dataclass(frozen=True)
class DemoData:
    """What ``seed_demo`` made, with the secrets that exist nowhere else.

    Attributes:
        username: the demo resource owner.
        password: their password, shown on screen (the store keeps only its bcrypt hash).
        clients: the clients in the order made: authorization code, password grant,
            personal access tokens, client credentials.
    """

    username: str
    password: str
    clients: tuple[CreatedClient, ...]

    @property
    def secrets(self) -> dict[int, str]:
        """Client id → secret, what the app keeps in memory for the playground."""
        return {c.client.id: c.secret for c in self.clients if c.secret}


def seed_demo(store: Store) -> DemoData:
    """Add the demo user and four clients to ``store`` and return their secrets.

    Safe on a database that already has data: the user is ``demo``, or
    ``demo-2``, ``demo-3``... when that name is taken.
    """
    username = _free_username(store)
    # Random like any password here: the empty-state key seeds real databases too.
    password = "demo-" + "".join(ch for ch in crypto.new_secret() if ch.isalnum())[:10]
    store.users.add(username, password, email=f"{username}@example.com", name="Demo User")
    clients = (
        # OpenID Connect ready: sign-in with an ID token, RFC 9068 JWT access tokens.
        store.clients.create(
            "Demo web app",
            [DEMO_REDIRECT],
            authorization_code=True,
            scopes="openid profile email read write",
            token_format="jwt",
        ),
        store.clients.create("Demo legacy app", password=True, scopes="read write"),
        store.clients.create("Demo personal tokens", personal_access=True, scopes="read write"),
        store.clients.create("Demo service", client_credentials=True, scopes="read"),
    )
    return DemoData(username=username, password=password, clients=clients)


def _free_username(store: Store) -> str:
    for n in range(1, 1000):
        name = DEMO_USERNAME if n == 1 else f"{DEMO_USERNAME}-{n}"
        try:
            store.users.get(name)
        except NotFound:
            return name
    raise RuntimeError("no free demo username")  # a thousand demo users: not a real case


@contextmanager
def temporary_store(clock: Clock | None = None, actor: str | None = None) -> Iterator[Store]:
    """A store on a fresh SQLite file in a private temporary folder, removed afterwards.

    The folder comes from ``mkdtemp`` (mode 0700) and the file is made 0600 like
    any database here; it and its WAL files go when the block ends, however it ends.
    """
    folder = Path(tempfile.mkdtemp(prefix="authclients-demo-"))
    try:
        store = Store.open(str(folder / "demo.db"), clock=clock, actor=actor)
        try:
            yield store
        finally:
            store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
