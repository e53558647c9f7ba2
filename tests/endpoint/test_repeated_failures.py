"""A lasting fault fails every request alike: the log gets it once a minute, not per request.

The attacker's pass counted 1,865 tracebacks in 5 s from a database file gone
bad; the admin's terminal (``serve``'s stderr) drowned in them.
"""

from __future__ import annotations

import logging

import peewee as pw
import pytest
import requests

from authclients.store.endpoint import TokenEndpoint, routes
from authclients.store.endpoint.routes import RepeatedFailures


def _records(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if text in r.getMessage()]


def test_the_same_failure_is_logged_once_a_window(caplog: pytest.LogCaptureFixture) -> None:
    now = [1000.0]
    repeats = RepeatedFailures(clock=lambda: now[0])
    fault = pw.OperationalError("disk I/O error")
    with caplog.at_level(logging.WARNING, logger="authclients.endpoint"):
        for _ in range(5):
            repeats.log(logging.ERROR, fault, "Database error answering %s", "POST", traceback=True)
        repeats.log(
            logging.ERROR,
            pw.OperationalError("no such table: client"),
            "Database error answering %s",
            "GET",
        )
        now[0] += RepeatedFailures.WINDOW_S + 1
        repeats.log(logging.ERROR, fault, "Database error answering %s", "POST", traceback=True)
    lines = [r.getMessage() for r in _records(caplog, "Database error answering")]
    assert lines == [
        "Database error answering POST",
        "Database error answering GET",
        "Database error answering POST (and 4 more like it since the last one logged)",
    ]
    assert caplog.records[0].exc_info is not None


def test_a_lasting_fault_answers_every_request_and_logs_it_once(
    endpoint: TokenEndpoint, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "_repeats", RepeatedFailures())

    def broken(_request: object) -> None:
        raise pw.OperationalError("disk I/O error")

    monkeypatch.setitem(endpoint.router.routes, "/oauth/revoke", {"POST": broken})
    with caplog.at_level(logging.ERROR, logger="authclients.endpoint"):
        for _ in range(30):
            r = requests.post(f"{endpoint.url}/oauth/revoke", data={"token": "x"}, timeout=10)
            assert r.status_code == 500
            assert r.json()["error"] == "server_error"
    logged = _records(caplog, "Database error answering POST /oauth/revoke")
    assert len(logged) == 1
    assert logged[0].exc_info is not None
