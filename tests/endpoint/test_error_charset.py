"""Every ``error_description`` the endpoint sends keeps to RFC 6749 §5.2's character set.

error_description = 1*( %x20-21 / %x23-5B / %x5D-7E ): printable ASCII without
``"`` and ``\\``; the same holds for the quoted values of ``WWW-Authenticate``.
Three walks: every ``OAuthError`` class built as the code builds it, from
hostile text; every sentence the code raises, read from its source; and
requests that make each route fail, over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import ast
import json
import re
import socket
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from authclients.store import Store
from authclients.store.oauth import errors
from authclients.store.oauth.errors import OAuthError
from authclients.store.records import CreatedClient, UserInfo
from tests.endpoint.conftest import REDIRECT, basic

pytestmark = pytest.mark.sqlite_only("the sentences are the same on every database")

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = re.compile(r"^[\x20\x21\x23-\x5b\x5d-\x7e]*$")
"""RFC 6749 §5.2, Appendix A.7: the characters of error and error_description."""
HOSTILE = 'grant "§3.1" \\ é … \x1b[31m \u202e \x00 end'
"""What a request could make us echo: quotes, backslash, non-ASCII, controls, bidi."""


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _build(cls: type[OAuthError]) -> OAuthError:
    """``cls`` constructed with the arguments the code gives it, around hostile text."""
    if cls is errors.SlowDown:
        return cls(HOSTILE, retry_after=3)
    if cls is errors.MethodNotAllowed:
        return cls('P"\\§T', ["GET", "POST"])
    if cls is errors.InvalidToken:
        return cls(HOSTILE)
    if cls is errors.InsufficientScope:
        return cls(HOSTILE, HOSTILE)
    if cls is errors.TemporarilyUnavailable:
        return cls(HOSTILE, headers={"Retry-After": "1"})
    return cls(HOSTILE)


def check_answer(body: dict[str, object], headers: dict[str, str]) -> None:
    """The JSON error and the challenge header of one answer keep to the character set."""
    assert ALLOWED.match(str(body["error"])), body
    if "error_description" in body:
        description = str(body["error_description"])
        assert description and ALLOWED.match(description), description
    for name, value in headers.items():
        if name.lower() == "www-authenticate":
            for quoted in re.findall(r'"([^"]*)"', value):
                assert ALLOWED.match(quoted), value


@pytest.mark.parametrize("cls", _subclasses(OAuthError), ids=lambda c: c.__name__)
def test_every_error_class_keeps_to_the_character_set(cls: type[OAuthError]) -> None:
    error = _build(cls)
    check_answer(error.body(), error.headers)
    assert error.body()["error_description"], "the description was emptied"


def test_an_echoed_value_stays_readable() -> None:
    # Known characters are spelled out; only the unknown ones become "?".
    error = errors.UnsupportedGrantType('Unsupported grant_type "x§1…\\"')
    assert error.description == "Unsupported grant_type 'xsection 1.../'"


def _raised_sentences() -> list[tuple[str, str]]:
    """(where, literal text) of every message given to an OAuth or store error in the code."""
    names = {cls.__name__ for cls in _subclasses(OAuthError)} | {"InvalidGrant", "RateLimited"}
    folders = [ROOT / "store" / "oauth", ROOT / "store" / "endpoint"]
    files = [p for folder in folders for p in folder.rglob("*.py")]
    files += [ROOT / "store" / "token_exchange.py", ROOT / "store" / "ratelimit.py"]
    found = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name not in names:
                continue
            for part in ast.walk(node.args[0]):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    found.append((f"{path.relative_to(ROOT)}:{node.lineno}", part.value))
    return found


def test_every_sentence_the_code_raises_is_written_in_the_character_set() -> None:
    # The filter in OAuthError is for echoed input; our own sentences need none of it.
    sentences = _raised_sentences()
    assert len(sentences) > 60, "the walk found too few messages to mean anything"
    bad = [(where, text) for where, text in sentences if not ALLOWED.match(text)]
    assert bad == []


# -- over HTTP ---------------------------------------------------------------------------


def _raw(url: str, data: bytes) -> tuple[dict[str, object], dict[str, str]]:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(data)
        # End of input: a request cut short is answered at once, not at the idle timeout.
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")[1:]
    headers = dict(line.split(": ", 1) for line in lines)
    return json.loads(body), headers


def test_every_route_fails_within_the_character_set(
    url: str, store: Store, web: CreatedClient, mobile: CreatedClient, alice: UserInfo
) -> None:
    machine = store.clients.create("Batch", client_credentials=True, scopes="read")
    token = f"{url}/oauth/token"
    answers: list[tuple[dict[str, object], dict[str, str]]] = []

    def post(path: str, data: object, **kwargs: object) -> None:
        r = requests.post(f"{url}{path}", data=data, timeout=5, **kwargs)  # type: ignore[arg-type]
        answers.append((r.json(), dict(r.headers)))

    hostile = HOSTILE.replace("\x00", "")
    # The token endpoint, every grant.
    post("/oauth/token", {})
    post("/oauth/token", {"grant_type": hostile}, auth=basic(web))
    post("/oauth/token", {"grant_type": "password"})
    post("/oauth/token", {"grant_type": "password", "client_id": "x§"})
    post("/oauth/token", {"grant_type": "password"}, headers={"Authorization": "Basic %%%"})
    post("/oauth/token", {"grant_type": "password"}, headers={"Authorization": "Digest x"})
    post("/oauth/token", {"grant_type": "password"}, auth=(str(web.client.id), "wrong"))
    post("/oauth/token", {"grant_type": "password"}, auth=basic(web))
    post("/oauth/token", {"grant_type": "password", "username": "alice"}, auth=basic(web))
    post(
        "/oauth/token",
        {"grant_type": "password", "username": "alice", "password": "no"},
        auth=basic(web),
    )
    post("/oauth/token", {"grant_type": "client_credentials", "scope": hostile}, auth=basic(web))
    post(
        "/oauth/token", {"grant_type": "client_credentials", "scope": "admin"}, auth=basic(machine)
    )
    post("/oauth/token", {"grant_type": "client_credentials", "client_id": str(mobile.client.id)})
    post("/oauth/token", {"grant_type": "password", "client_id": str(mobile.client.id)})
    post(
        "/oauth/token",
        {"grant_type": "authorization_code", "code": "nope", "redirect_uri": REDIRECT},
        auth=basic(web),
    )
    post(
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": "nope",
            "redirect_uri": REDIRECT,
            "code_verifier": "short",
        },
        auth=basic(web),
    )
    post("/oauth/token", {"grant_type": "refresh_token", "refresh_token": "x"}, auth=basic(web))
    post("/oauth/token", "grant_type=a&grant_type=b", headers={"Content-Type": _FORM})
    post("/oauth/token", b"grant_type=\xff", headers={"Content-Type": _FORM})
    post("/oauth/token", "grant_type=%zz", headers={"Content-Type": _FORM})
    post("/oauth/token", "x", headers={"Content-Type": "text/plain"})
    answers.append(_json(requests.post(f"{token}?client_secret=x", data={}, timeout=5)))
    # Locked out: slow_down with Retry-After.
    for _ in range(6):
        post(
            "/oauth/token", {"grant_type": "client_credentials"}, auth=(str(machine.client.id), "x")
        )
    # Revocation, introspection, metadata, the resource API, unknown routes.
    post("/oauth/revoke", {}, auth=basic(web))
    # Past the longest token we issue (an RS256 JWT is ~800 characters): too long.
    post("/oauth/revoke", {"token": "t" * 5000}, auth=basic(web))
    post("/oauth/introspect", {"token": "x", "client_id": str(mobile.client.id)})
    post("/.well-known/oauth-authorization-server", {})
    post("/nowhere", {})
    for headers in (
        {},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer !!"},
        {"Authorization": "Bearer unknown-token"},
    ):
        answers.append(_json(requests.get(f"{url}/api/1.0/users/me", headers=headers, timeout=5)))
    answers.append(_json(requests.get(f"{url}/api/1.0/users/me?access_token=x", timeout=5)))
    # Malformed HTTP, on a raw socket.
    for data in (
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/2.0\r\n\r\n",
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n",
        b"POST /oauth/token HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /oauth/token HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        b"POST /oauth/token HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
        b"POST /oauth/token HTTP/1.1\r\nContent-Length: 10\r\nConnection: close\r\n\r\nab",
    ):
        answers.append(_raw(url, data))

    for body, headers in answers:
        check_answer(body, headers)
    seen = {str(body["error"]) for body, _ in answers}
    assert seen >= {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "invalid_token",
        "slow_down",
        "not_found",
    }, seen
    assert any("WWW-Authenticate" in headers for _, headers in answers)


def test_authorize_redirect_errors_keep_to_the_character_set(
    url: str, web: CreatedClient, mobile: CreatedClient
) -> None:
    # Errors after the redirect URI is validated go back in its query (RFC 6749 §4.1.2.1).
    cases = [
        {"client_id": str(web.client.id), "response_type": "token"},
        {
            "client_id": str(web.client.id),
            "response_type": "code",
            "scope": HOSTILE.replace("\x00", ""),
        },
        {
            "client_id": str(web.client.id),
            "response_type": "code",
            "code_challenge": "x",
            "code_challenge_method": "plain",
        },
        {"client_id": str(mobile.client.id), "response_type": "code"},
        {"client_id": str(web.client.id), "state": "s" * 2000, "response_type": "code"},
    ]
    for case in cases:
        redirect = REDIRECT if case["client_id"] == str(web.client.id) else None
        params = {**case, "redirect_uri": redirect or "com.example.app:/callback"}
        r = requests.get(f"{url}/oauth/authorize", params=params, allow_redirects=False, timeout=5)
        assert r.status_code == 302, r.text
        query = {k: v[0] for k, v in parse_qs(urlsplit(r.headers["Location"]).query).items()}
        assert query["error"] and ALLOWED.match(query["error"]), query
        assert ALLOWED.match(query["error_description"]), query


_FORM = "application/x-www-form-urlencoded"


def _json(r: requests.Response) -> tuple[dict[str, object], dict[str, str]]:
    return r.json(), dict(r.headers)
