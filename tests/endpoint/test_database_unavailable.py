"""A database that refuses for now (out of connections, locked, a connection dropped)
is a 503 the client may retry; a lasting fault stays a plain 500; never a traceback,
and the endpoint keeps serving once the database is back."""

from __future__ import annotations

import peewee as pw
import pytest
import requests

from authclients.store.endpoint import TokenEndpoint
from authclients.store.records import CreatedClient, UserInfo
from authclients.store.users import Users
from tests.endpoint.conftest import PASSWORD, basic, issued_rows


def password_grant(
    http: requests.Session,
    url: str,
    web: CreatedClient,
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception | None = None,
) -> requests.Response:
    """alice's password grant; with ``failure``, the database raises it at the password check."""

    def fail(*_args: object, **_kwargs: object) -> None:
        assert failure is not None
        raise failure

    with monkeypatch.context() as patch:
        if failure is not None:
            patch.setattr(Users, "verify", fail)
        return http.post(
            f"{url}/oauth/token",
            data={"grant_type": "password", "username": "alice", "password": PASSWORD},
            auth=basic(web),
        )


@pytest.mark.parametrize(
    "failure",
    [
        pw.OperationalError("FATAL: sorry, too many clients already"),
        pw.OperationalError("database is locked"),
        # Peewee's rollback on a dead PostgreSQL connection raises InterfaceError.
        pw.InterfaceError("connection already closed"),
    ],
    ids=["out-of-connections", "locked", "dropped-mid-transaction"],
)
def test_a_database_that_refuses_for_now_is_503_temporarily_unavailable(
    endpoint: TokenEndpoint,
    url: str,
    http: requests.Session,
    web: CreatedClient,
    alice: UserInfo,
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
) -> None:
    before = issued_rows()
    r = password_grant(http, url, web, monkeypatch, failure)
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "1"
    assert r.json()["error"] == "temporarily_unavailable"
    assert str(failure) not in r.text  # the driver's words go to the log only
    assert issued_rows() == before

    # Back: the same request succeeds on a new connection.
    r = password_grant(http, url, web, monkeypatch)
    assert r.status_code == 200, r.text


def test_a_lasting_database_fault_is_a_plain_500_not_an_invitation_to_retry(
    endpoint: TokenEndpoint,
    url: str,
    http: requests.Session,
    web: CreatedClient,
    alice: UserInfo,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failure = pw.OperationalError("attempt to write a readonly database")
    r = password_grant(http, url, web, monkeypatch, failure)
    assert r.status_code == 500
    assert r.json()["error"] == "server_error"
    assert "Retry-After" not in r.headers and "readonly" not in r.text
