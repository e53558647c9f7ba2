"""A scope narrowed while a refresh or code exchange is in flight is not granted by it.

``clients update N --scopes read`` commits after the refresh request's client
was loaded (client authentication) and before the new token is written: the
refresh computed its scopes from the client as it was, and issued
``read write`` after the admin had taken ``write`` away (issue 11, item 4).
The interleaving is made certain: client authentication is wrapped so that
the admin's change runs, in another thread with its own connection, and
commits right after it. Real HTTP on 127.0.0.1 over a real SQLite file.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from authclients.store import Store
from authclients.store.endpoint import TokenEndpoint
from authclients.store.oauth.authorization_server import AuthorizationServer

PASSWORD = "correct horse battery"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(str(tmp_path / "refresh-race.db"))
    yield s
    s.close()


@pytest.fixture
def url(store: Store) -> Iterator[str]:
    ep = TokenEndpoint(store, port=0)
    ep.start()
    yield ep.url
    ep.stop()


def test_a_refresh_racing_a_scope_narrowing_does_not_keep_the_scope(
    store: Store, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = store.clients.create("Legacy", password=True, scopes="read write")
    cid, secret = created.client.id, created.secret or ""
    store.users.add("alice", PASSWORD)
    first = requests.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "password",
            "username": "alice",
            "password": PASSWORD,
            "scope": "read write",
        },
        auth=(str(cid), secret),
        timeout=30,
    ).json()
    assert first["scope"] == "read write"

    original = AuthorizationServer.authenticate_client
    fired: list[bool] = []
    errors: list[BaseException] = []

    def narrow() -> None:
        try:  # this thread has its own connection: another writer, as a second process is
            store.clients.update(cid, scopes="read")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            store.close()

    def wrapped(self: AuthorizationServer, credentials: object) -> object:
        client = original(self, credentials)  # type: ignore[arg-type]
        if not fired:
            fired.append(True)
            thread = threading.Thread(target=narrow)
            thread.start()
            thread.join(30)
        return client

    monkeypatch.setattr(AuthorizationServer, "authenticate_client", wrapped)
    r = requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=(str(cid), secret),
        timeout=30,
    )
    assert fired and not errors, errors
    assert store.clients.get(cid).scopes == ("read",)
    assert r.status_code == 200, r.text
    assert r.json().get("scope", "") == "read", (
        f"the refresh granted {r.json().get('scope')!r} after the admin narrowed the client "
        "to 'read'"
    )


def test_a_code_exchange_racing_a_scope_narrowing_does_not_keep_the_scope(
    store: Store, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same window at the code exchange: approved ``read write``, narrowed meanwhile."""
    redirect = "https://app.example/cb"
    created = store.clients.create("Web", [redirect], authorization_code=True, scopes="read write")
    cid, secret = created.client.id, created.secret or ""
    user = store.users.add("bob", PASSWORD)
    code = store.tokens.create_auth_code(
        created.client,
        user_id=user.id,
        redirect_uri=redirect,
        scopes=("read", "write"),
        code_challenge=None,
        code_challenge_method=None,
    )
    original = AuthorizationServer.authenticate_client
    fired: list[bool] = []

    def narrow() -> None:
        try:
            store.clients.update(cid, scopes="read")
        finally:
            store.close()

    def wrapped(self: AuthorizationServer, credentials: object) -> object:
        client = original(self, credentials)  # type: ignore[arg-type]
        if not fired:
            fired.append(True)
            thread = threading.Thread(target=narrow)
            thread.start()
            thread.join(30)
        return client

    monkeypatch.setattr(AuthorizationServer, "authenticate_client", wrapped)
    r = requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect},
        auth=(str(cid), secret),
        timeout=30,
    )
    assert fired
    assert store.clients.get(cid).scopes == ("read",)
    assert r.status_code == 200, r.text
    assert r.json().get("scope", "") == "read", r.text


def test_a_password_grant_racing_a_scope_narrowing_does_not_get_the_scope(
    store: Store, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bcrypt is the widest window: the narrowing commits while the password is checked."""
    from authclients.store import crypto

    created = store.clients.create("Legacy", password=True, scopes="read write")
    cid, secret = created.client.id, created.secret or ""
    store.users.add("carol", PASSWORD)
    original = crypto.check_password
    fired: list[bool] = []

    def narrow() -> None:
        try:
            store.clients.update(cid, scopes="read")
        finally:
            store.close()

    def wrapped(password: str, password_hash: str) -> bool:
        ok = original(password, password_hash)
        if ok and not fired:
            fired.append(True)
            thread = threading.Thread(target=narrow)
            thread.start()
            thread.join(30)
        return ok

    monkeypatch.setattr(crypto, "check_password", wrapped)
    r = requests.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "password",
            "username": "carol",
            "password": PASSWORD,
            "scope": "read write",
        },
        auth=(str(cid), secret),
        timeout=30,
    )
    assert fired
    assert store.clients.get(cid).scopes == ("read",)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_scope", r.text
