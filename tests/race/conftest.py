"""Fixtures for the multi-process tests: two ``authclients serve`` over one database."""

from __future__ import annotations

import base64
import http.client
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import pytest

from authclients.store import Store
from authclients.store.records import CreatedClient, UserInfo
from tests.backends import BACKENDS, POSTGRESQL
from tests.endpoint.conftest import PASSWORD, REDIRECT, serving


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def live(db_target: str) -> Iterator[Store]:
    """The test's own store on the shared database, on the wall clock like the servers."""
    s = Store.open(db_target, actor="tester")
    yield s
    s.close()


@pytest.fixture(params=["processes", "workers"])
def two_servers(
    request: pytest.FixtureRequest, backend: str, db_target: str, live: Store
) -> Iterator[tuple[str, str]]:
    """Two endpoint processes on the same database: only it is shared.

    ``processes``: two ``authclients serve``, two ports. ``workers``: one
    ``authclients serve --workers 2`` (PostgreSQL only), one port shared with
    SO_REUSEPORT; the kernel spreads each test's connections over both workers.
    """
    if request.param == "workers":
        if backend != POSTGRESQL:
            pytest.skip("serve --workers is refused on SQLite")
        with serving(db_target, "--workers", "2") as (_proc, url):
            yield url, url
        return
    with ExitStack() as stack:
        urls = tuple(stack.enter_context(serving(db_target))[1] for _ in range(2))
        yield urls  # type: ignore[misc]


@pytest.fixture
def web(live: Store) -> CreatedClient:
    return live.clients.create(
        "Web app",
        [REDIRECT],
        authorization_code=True,
        password=True,
        client_credentials=True,
    )


@pytest.fixture
def alice(live: Store) -> UserInfo:
    return live.users.add("alice", PASSWORD)


@dataclass
class Answer:
    status: int
    body: dict


class Conn:
    """One keep-alive HTTP connection, opened before the race so sending is all that is left."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.http = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.http.connect()

    def post(self, path: str, fields: dict[str, str], client: CreatedClient | None) -> Answer:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if client is not None:
            pair = f"{client.client.id}:{client.secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        self.http.request("POST", path, body=urlencode(fields), headers=headers)
        return self._answer()

    def get(self, path: str, bearer: str) -> Answer:
        self.http.request("GET", path, headers={"Authorization": f"Bearer {bearer}"})
        return self._answer()

    def _answer(self) -> Answer:
        response = self.http.getresponse()
        raw = response.read()
        assert b"Traceback" not in raw
        return Answer(response.status, json.loads(raw) if raw else {})

    def close(self) -> None:
        self.http.close()


def at_once(calls: list[Callable[[], Answer]]) -> list[Answer]:
    """Run the calls in threads released by one barrier; their answers, in order."""
    barrier = threading.Barrier(len(calls))
    answers: list[Answer | BaseException | None] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            answers[i] = calls[i]()
        except BaseException as exc:  # reported below, in the test's thread
            answers[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for a in answers:
        if isinstance(a, BaseException):
            raise a
    return answers  # type: ignore[return-value]
