"""A database that refuses for now (out of connections, locked) is a 503 the client
may retry, never a 500, and the endpoint keeps serving once it is back."""

from __future__ import annotations

import peewee as pw
import pytest
import requests

from store import Store
from store.server import TokenEndpoint
from store.users import Users
from tests.endpoint.conftest import PASSWORD, basic, issued_rows


def test_an_unavailable_database_is_503_temporarily_unavailable(
    store: Store,
    endpoint: TokenEndpoint,
    url: str,
    http: requests.Session,
    web,
    alice,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise pw.OperationalError("FATAL: sorry, too many clients already")

    before = issued_rows()
    with monkeypatch.context() as patch:
        patch.setattr(Users, "verify", refuse)
        r = http.post(
            f"{url}/oauth/token",
            data={"grant_type": "password", "username": "alice", "password": PASSWORD},
            auth=basic(web),
        )
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "1"
    assert r.json()["error"] == "temporarily_unavailable"
    assert "too many clients" not in r.text  # the driver's words go to the log only
    assert issued_rows() == before

    # Back: the same request succeeds on a new connection.
    r = http.post(
        f"{url}/oauth/token",
        data={"grant_type": "password", "username": "alice", "password": PASSWORD},
        auth=basic(web),
    )
    assert r.status_code == 200, r.text


def test_a_lasting_database_fault_is_a_plain_500_not_an_invitation_to_retry(
    store: Store,
    endpoint: TokenEndpoint,
    url: str,
    http: requests.Session,
    web,
    alice,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise pw.OperationalError("attempt to write a readonly database")

    with monkeypatch.context() as patch:
        patch.setattr(Users, "verify", broken)
        r = http.post(
            f"{url}/oauth/token",
            data={"grant_type": "password", "username": "alice", "password": PASSWORD},
            auth=basic(web),
        )
    assert r.status_code == 500
    assert r.json()["error"] == "server_error"
    assert "Retry-After" not in r.headers and "readonly" not in r.text


def test_a_connection_that_died_mid_transaction_is_503(
    store: Store,
    endpoint: TokenEndpoint,
    url: str,
    http: requests.Session,
    web,
    alice,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Peewee's rollback on a dead PostgreSQL connection raises InterfaceError.
    def dropped(*_args: object, **_kwargs: object) -> None:
        raise pw.InterfaceError("connection already closed")

    with monkeypatch.context() as patch:
        patch.setattr(Users, "verify", dropped)
        r = http.post(
            f"{url}/oauth/token",
            data={"grant_type": "password", "username": "alice", "password": PASSWORD},
            auth=basic(web),
        )
    assert r.status_code == 503 and r.json()["error"] == "temporarily_unavailable"
