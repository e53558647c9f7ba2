"""A credential change that commits while a token request is between "credentials
checked" and "token written" must still end that token.

Real HTTP against the endpoint on 127.0.0.1 over a real SQLite file. The
interleaving is made certain, not hoped for: the check of the presented
secret (or password) is wrapped so that the admin's change runs, in another
thread, and commits right after the check and before the token is written.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from authclients.store import Store, crypto
from authclients.store.endpoint import TokenEndpoint
from authclients.store.records import STATE_ACTIVE

PASSWORD = "correct horse battery"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(str(tmp_path / "race.db"))
    yield s
    s.close()


@pytest.fixture
def url(store: Store) -> Iterator[str]:
    ep = TokenEndpoint(store, port=0)
    ep.start()
    yield ep.url
    ep.stop()


def _after_check(
    monkeypatch: pytest.MonkeyPatch, name: str, change: Callable[[], object]
) -> list[BaseException]:
    """Run ``change`` in another thread, once, right after ``crypto.<name>`` says yes."""
    original = getattr(crypto, name)
    fired: list[bool] = []
    errors: list[BaseException] = []

    def run_change() -> None:
        try:
            change()
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    def wrapped(*args: object) -> bool:
        ok = original(*args)
        if ok and not fired:
            fired.append(True)
            thread = threading.Thread(target=run_change)
            thread.start()
            thread.join(30)
        return ok

    monkeypatch.setattr(crypto, name, wrapped)
    return errors


def _token_survives(store: Store, response: requests.Response) -> bool:
    if response.status_code != 200:
        return False
    token = response.json()["access_token"]
    info = store.tokens.find(token)
    return info is not None and info.state == STATE_ACTIVE


@pytest.mark.parametrize("change", ["rotate secret", "switch client_credentials off"])
def test_a_client_credentials_token_won_with_the_old_credentials_dies(
    store: Store, url: str, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    created = store.clients.create("Batch", client_credentials=True, password=True)
    cid = created.client.id
    if change == "rotate secret":
        errors = _after_check(
            monkeypatch, "matches_digest", lambda: store.clients.rotate_secret(cid)
        )
    else:
        errors = _after_check(
            monkeypatch,
            "matches_digest",
            lambda: store.clients.update(cid, client_credentials=False),
        )
    r = requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(str(cid), created.secret or ""),
        timeout=30,
    )
    assert not errors, errors
    assert "Traceback" not in r.text
    assert r.status_code < 500, r.text
    assert not _token_survives(store, r), "a token won with the old credentials is still live"


@pytest.mark.parametrize("change", ["new password", "deactivate"])
def test_a_password_grant_token_won_with_the_old_password_dies(
    store: Store, url: str, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    created = store.clients.create("Legacy", password=True)
    store.users.add("alice", PASSWORD)
    if change == "new password":
        errors = _after_check(
            monkeypatch,
            "check_password",
            lambda: store.users.set_password("alice", "another long password"),
        )
    else:
        errors = _after_check(
            monkeypatch, "check_password", lambda: store.users.set_active("alice", False)
        )
    r = requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "password", "username": "alice", "password": PASSWORD},
        auth=(str(created.client.id), created.secret or ""),
        timeout=30,
    )
    assert not errors, errors
    assert r.status_code < 500, r.text
    assert not _token_survives(store, r), "a token won with the old password is still live"
