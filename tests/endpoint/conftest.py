"""Fixtures for the endpoint tests: a real server on 127.0.0.1, an ephemeral port."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import select
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import bcrypt
import pytest
import requests

from authclients.store import Store, crypto
from authclients.store.clock import ManualClock
from authclients.store.endpoint import TokenEndpoint
from authclients.store.models import AccessToken, AuthCode, RefreshToken
from authclients.store.records import CreatedClient, UserInfo
from tests.backends import BACKENDS

PASSWORD = "correct horse battery"
REDIRECT = "https://app.example.com/callback"
AUTHCLIENTS = str(Path(sys.executable).parent / "authclients")
"""The console script of this virtual environment."""


_HOLD_SQLITE_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
print("released", flush=True)
"""


@contextmanager
def other_process_writing(db_file: Path) -> Iterator[Callable[[], None]]:
    """Another process holds SQLite's write lock (BEGIN IMMEDIATE) until ``release()``."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD_SQLITE_LOCK, str(db_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    assert proc.stdout.readline().strip() == "locked"

    released: list[bool] = []

    def release() -> None:
        if not released and proc.poll() is None:
            released.append(True)
            proc.stdin.write("\n")  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]
            assert proc.stdout.readline().strip() == "released"  # type: ignore[union-attr]

    try:
        yield release
    finally:
        release()
        proc.wait(timeout=10)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Every endpoint test that opens a store runs on SQLite and on PostgreSQL."""
    return request.param


@contextmanager
def serving(db_path: Path | str, *extra: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``authclients serve --port 0 [extra...]`` in its own process; yields it and its URL."""
    proc = subprocess.Popen(
        [AUTHCLIENTS, "serve", "--db", str(db_path), "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        # A server that hangs before its first line fails the test instead of hanging it.
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "authclients serve printed nothing in 30 s"
        first = proc.stdout.readline()
        assert first.startswith("Listening on http://127.0.0.1:"), first
        yield proc, first.split()[-1]
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture
def endpoint(store: Store) -> Iterator[TokenEndpoint]:
    ep = TokenEndpoint(store, port=0)
    ep.start()
    yield ep
    ep.stop()


@pytest.fixture
def sqlite_endpoint(store: Store, backend: str) -> Iterator[TokenEndpoint]:
    """The endpoint over a SQLite file: for what only SQLite has (the event loop's own
    connection and the reads it keeps, the WAL, file locks held by another process)."""
    if backend != "sqlite":
        pytest.skip("SQLite only: on PostgreSQL every database call runs on the pool")
    ep = TokenEndpoint(store, port=0)
    ep.start()
    yield ep
    ep.stop()


@pytest.fixture
def url(endpoint: TokenEndpoint) -> str:
    return endpoint.url


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def web(store: Store) -> CreatedClient:
    """A confidential client with every grant."""
    return store.clients.create(
        "Web app",
        [REDIRECT, "http://127.0.0.1:9999/cb"],
        authorization_code=True,
        password=True,
        personal_access=True,
        client_credentials=True,
        scopes="read write admin",
    )


@pytest.fixture
def mobile(store: Store) -> CreatedClient:
    """A public client: authorization code with PKCE only."""
    return store.clients.create(
        "Mobile app", ["com.example.app:/callback"], authorization_code=True, public=True
    )


@pytest.fixture
def machine(store: Store) -> CreatedClient:
    """A confidential client with client_credentials only."""
    return store.clients.create("Batch job", client_credentials=True)


@pytest.fixture
def alice(store: Store) -> UserInfo:
    return store.users.add("alice", PASSWORD)


def basic(client: CreatedClient) -> tuple[str, str]:
    return (str(client.client.id), client.secret or "")


def token_count() -> int:
    """Access tokens in the database: what 'nothing was issued' is measured with."""
    return AccessToken.select().count()


def issued_rows() -> tuple[int, int, int]:
    """Access tokens, refresh tokens and codes in the database, to prove nothing was issued."""
    return (AccessToken.select().count(), RefreshToken.select().count(), AuthCode.select().count())


def assert_refused(
    r: requests.Response, status: int, error: str, before: tuple[int, int, int]
) -> dict:
    """An RFC 6749 §5.2 JSON error, no traceback, and no new token, refresh token or code."""
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"] == "application/json", r.headers
    assert "Traceback" not in r.text
    body = r.json()
    assert body["error"] == error, body
    assert body.get("error_description"), body
    assert issued_rows() == before
    return body


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    return verifier, challenge


def form_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page (request id, CSRF token, action)."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@dataclass
class Authorized:
    """The end of a browser flow: where the user was sent and the code's query."""

    location: str
    params: dict[str, str]


def authorize(
    http: requests.Session,
    url: str,
    *,
    client_id: int,
    redirect_uri: str = REDIRECT,
    challenge: str | None = None,
    scope: str | None = None,
    state: str = "xyz-state",
    username: str = "alice",
    password: str = PASSWORD,
    decision: str = "approve",
    extra: dict[str, str] | None = None,
) -> Authorized:
    """Drive the sign-in and consent pages like a browser; return the final redirect.

    ``extra``: more request parameters (OpenID Connect's ``nonce``, ``max_age``...).
    """
    params = {
        "response_type": "code",
        "client_id": str(client_id),
        "redirect_uri": redirect_uri,
        "state": state,
        **(extra or {}),
    }
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    if scope:
        params["scope"] = scope
    page = http.get(f"{url}/oauth/authorize", params=params, allow_redirects=False)
    assert page.status_code == 200, page.text
    assert "Sign in" in page.text
    fields = form_fields(page.text)
    consent = http.post(
        f"{url}/oauth/authorize",
        data={**fields, "username": username, "password": password},
        allow_redirects=False,
    )
    assert consent.status_code == 200, consent.text
    assert "Approve" in consent.text
    fields = form_fields(consent.text)
    done = http.post(
        f"{url}/oauth/authorize", data={**fields, "action": decision}, allow_redirects=False
    )
    assert done.status_code == 302, done.text
    return Authorized(done.headers["Location"], query_of(done.headers["Location"]))


# -- counting the expensive checks, and a second process -------------------------------


class Counter:
    """Wraps a function and counts its calls, from any thread."""

    def __init__(self, real: Callable) -> None:
        self.real = real
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self._lock:
            self.calls += 1
        return self.real(*args, **kwargs)


@pytest.fixture
def bcrypt_checks(monkeypatch: pytest.MonkeyPatch) -> Counter:
    counter = Counter(bcrypt.checkpw)
    monkeypatch.setattr(bcrypt, "checkpw", counter)
    return counter


@pytest.fixture
def secret_compares(monkeypatch: pytest.MonkeyPatch) -> Counter:
    counter = Counter(crypto.matches_digest)
    monkeypatch.setattr(crypto, "matches_digest", counter)
    return counter


@pytest.fixture
def other_process(db_target: str, clock: ManualClock) -> Iterator[str]:
    """``authclients serve`` on the same file in another process: only the database is shared.

    That process reads the wall clock, so this test's clock starts at the real time.
    """
    clock.set(datetime.now(UTC))
    with serving(db_target) as (_proc, url):
        yield url
