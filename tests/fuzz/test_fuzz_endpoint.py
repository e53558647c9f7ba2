"""Property-based fuzzing of ``authclients serve`` over raw sockets, on both backends.

Whatever arrives (methods, paths, headers, bodies, encodings, outright garbage),
the answer is never a 5xx and never a traceback; it is a well-formed JSON error
(or the HTML error page of /oauth/authorize); and the server keeps serving.
"""

from __future__ import annotations

import base64
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authclients.store import Store
from tests.backends import BACKENDS, POSTGRESQL
from tests.endpoint.conftest import PASSWORD, REDIRECT, serving
from tests.pgserver import PostgresServer

EXAMPLES = int(os.environ.get("AUTHCLIENTS_FUZZ_EXAMPLES", "120"))
"""Per test and backend: about 3 s each, so the module stays well under a minute.
Raise it for a long hunt: ``AUTHCLIENTS_FUZZ_EXAMPLES=5000 pytest tests/fuzz``."""

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ROUTES = [
    "/oauth/token",
    "/oauth/authorize",
    "/oauth/revoke",
    "/oauth/introspect",
    "/.well-known/oauth-authorization-server",
    "/api/1.0/users/me",
]
PARAMS = [
    "grant_type",
    "client_id",
    "client_secret",
    "code",
    "redirect_uri",
    "code_verifier",
    "code_challenge",
    "code_challenge_method",
    "refresh_token",
    "username",
    "password",
    "scope",
    "state",
    "response_type",
    "token",
    "token_type_hint",
    "request_id",
    "csrf",
    "action",
]
GRANTS = ["password", "client_credentials", "authorization_code", "refresh_token", "implicit"]


@dataclass
class Target:
    url: str
    host: str
    port: int
    client_id: int
    secret: str


@pytest.fixture(scope="module", params=BACKENDS)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """One ``serve`` process per backend for the whole module, seeded with a client and a user."""
    if request.param == POSTGRESQL:
        server: PostgresServer = request.getfixturevalue("pg_server")
        name, db = server.create_database()
    else:
        name, db = "", str(tmp_path_factory.mktemp("fuzz") / "fuzz.db")
    seed = Store.open(db, actor="fuzz")
    created = seed.clients.create(
        "Fuzzed",
        [REDIRECT],
        authorization_code=True,
        password=True,
        client_credentials=True,
    )
    seed.users.add("alice", PASSWORD)
    seed.close()
    with serving(db) as (proc, url):
        parts = urlsplit(url)
        yield Target(url, parts.hostname or "", parts.port or 0, created.client.id, created.secret)
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    assert "Traceback" not in err, err
    if name:
        request.getfixturevalue("pg_server").drop_database(name)


# -- strategies ----------------------------------------------------------------------

nasty_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(
        [
            "",
            "\x00",
            "%00",
            "%",
            "%zz",
            "\ud800",
            "é",
            "../../etc/passwd",
            "a" * 5000,
            "' OR 1=1 --",
        ]
    ),
    st.from_regex(r"[0-9]{1,25}", fullmatch=True),
)


@st.composite
def form_fields(draw: st.DrawFn, target_client: int) -> list[tuple[str, str]]:
    names = st.one_of(st.sampled_from(PARAMS), st.text(max_size=12))
    values = st.one_of(
        nasty_text,
        st.sampled_from([*GRANTS, str(target_client), REDIRECT, "alice", PASSWORD, "S256"]),
    )
    return draw(st.lists(st.tuples(names, values), max_size=8))


def encode_body(fields: list[tuple[str, str]], how: str) -> bytes:
    if how == "form":
        return urlencode(fields, quote_via=quote, errors="surrogatepass").encode("ascii")
    if how == "form-latin1":
        return urlencode(fields, encoding="latin-1", errors="replace").encode("ascii")
    if how == "raw-utf16":
        return "&".join(f"{k}={v}" for k, v in fields).encode("utf-16", "surrogatepass")
    if how == "json":
        return json.dumps(dict(fields)).encode("utf-8", "surrogatepass")
    return "&".join(f"{k}={v}" for k, v in fields).encode("utf-8", "surrogatepass")


@st.composite
def requests_(draw: st.DrawFn, target: Target) -> bytes:
    """A syntactically plausible HTTP/1.1 request with hostile parts."""
    method = draw(
        st.one_of(
            st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"]),
            st.from_regex(r"[A-Za-z]{1,10}", fullmatch=True),
        )
    )
    path = draw(st.sampled_from(ROUTES))
    suffix = draw(
        st.one_of(
            st.just(""),
            st.builds(
                lambda f: "?" + urlencode(f, quote_via=quote, errors="surrogatepass"),
                form_fields(target.client_id),
            ),
            st.from_regex(r"[/?#%a-zA-Z0-9._~;=&+-]{0,60}", fullmatch=True),
        )
    )
    body = encode_body(
        draw(form_fields(target.client_id)),
        draw(st.sampled_from(["form", "form-latin1", "raw-utf8", "raw-utf16", "json"])),
    )
    if draw(st.booleans()):
        body = draw(st.binary(max_size=600))
    good_basic = base64.b64encode(f"{target.client_id}:{target.secret}".encode()).decode()
    auth = draw(
        st.one_of(
            st.none(),
            st.just(f"Basic {good_basic}"),
            st.builds(lambda b: "Basic " + base64.b64encode(b).decode(), st.binary(max_size=80)),
            st.builds(lambda t: "Bearer " + t, st.text(max_size=80)),
            st.text(max_size=60),
        )
    )
    content_type = draw(
        st.sampled_from(
            [
                None,
                "application/x-www-form-urlencoded",
                "application/x-www-form-urlencoded; charset=utf-8",
                "application/x-www-form-urlencoded; charset=latin-1",
                "application/x-www-form-urlencoded; charset=utf-16",
                "application/json",
                "multipart/form-data; boundary=x",
                "text/plain",
                ";;;",
            ]
        )
    )
    headers = [f"Host: {target.host}:{target.port}", "Connection: close"]
    if auth is not None:
        headers.append(f"Authorization: {auth}")
    if content_type is not None:
        headers.append(f"Content-Type: {content_type}")
    extra = draw(
        st.lists(
            st.tuples(
                st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,20}", fullmatch=True),
                st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=60),
            ),
            max_size=4,
        )
    )
    headers += [f"{k}: {v}" for k, v in extra if k.lower() not in ("content-length", "host")]
    if method not in ("GET", "HEAD") or body:
        headers.append(f"Content-Length: {len(body)}")
    else:
        body = b""
    head = f"{method} {path}{suffix} HTTP/1.1\r\n" + "\r\n".join(headers) + "\r\n\r\n"
    return head.encode("latin-1", "replace") + body


# -- the exchange and its checks ------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def exchange(target: Target, raw: bytes) -> Reply | None:
    """Send ``raw`` on a fresh connection; the reply, or None if the server just closed."""
    with socket.create_connection((target.host, target.port), timeout=10) as sock:
        try:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-request: what it answered, if anything, is read below
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    data = b"".join(chunks)
    if not data:
        return None
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Reply(status, headers, body)


def check(reply: Reply | None, raw: bytes) -> None:
    if reply is None:
        return  # a connection closed without an answer is a refusal, not a failure
    assert reply.status < 500, (raw[:300], reply)
    assert b"Traceback" not in reply.body, (raw[:300], reply.body[:500])
    assert b'File "' not in reply.body, (raw[:300], reply.body[:500])
    if raw.startswith(b"HEAD "):
        return
    kind = reply.headers.get("content-type", "")
    if kind.startswith("text/html"):
        # Only the authorize pages speak HTML (RFC 6749 §4.1.2.1: never redirect errors blindly).
        assert b"/oauth/authorize" in raw.split(b"\r\n", 1)[0], (raw[:300], reply)
        assert reply.body.lstrip().lower().startswith(b"<!doctype html"), reply.body[:200]
        return
    if 300 <= reply.status < 400:
        assert reply.headers.get("location"), reply
        return
    assert kind == "application/json", (raw[:300], reply)
    body = json.loads(reply.body)
    if reply.status >= 400:
        assert isinstance(body.get("error"), str) and body["error"], body
        assert isinstance(body.get("error_description", ""), str), body


def still_serving(target: Target) -> None:
    ok = exchange(
        target,
        b"GET /.well-known/oauth-authorization-server HTTP/1.1\r\n"
        + f"Host: {target.host}\r\nConnection: close\r\n\r\n".encode(),
    )
    assert ok is not None and ok.status == 200


# -- the properties ----------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_plausible_requests_get_a_well_formed_answer(target: Target, data: st.DataObject) -> None:
    raw = data.draw(requests_(target))
    check(exchange(target, raw), raw)
    still_serving(target)


@FUZZ
@given(
    garbage=st.one_of(
        st.binary(min_size=1, max_size=2000),
        st.builds(
            lambda line, rest: line + b"\r\n" + rest + b"\r\n\r\n",
            st.binary(max_size=300),
            st.binary(max_size=300),
        ),
        st.builds(
            lambda m, p, v: f"{m} {p} {v}\r\nHost: x\r\n\r\n".encode("utf-8", "surrogatepass"),
            st.text(max_size=10),
            st.text(max_size=200),
            st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/9", "", "http/1.1"]),
        ),
    )
)
def test_garbage_on_the_socket_never_breaks_the_server(target: Target, garbage: bytes) -> None:
    check(exchange(target, garbage), garbage)
    still_serving(target)


def test_after_the_storm_real_clients_still_get_tokens(target: Target) -> None:
    basic = base64.b64encode(f"{target.client_id}:{target.secret}".encode()).decode()
    body = b"grant_type=client_credentials"
    raw = (
        f"POST /oauth/token HTTP/1.1\r\nHost: {target.host}\r\nConnection: close\r\n"
        f"Authorization: Basic {basic}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    reply = exchange(target, raw)
    assert reply is not None and reply.status == 200, reply
    assert json.loads(reply.body)["token_type"] == "Bearer"
