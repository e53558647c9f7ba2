"""Malformed HTTP on a raw socket: always a 4xx JSON answer, never a 500 or a traceback."""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlsplit

import pytest

from tests.endpoint.conftest import issued_rows

pytestmark = pytest.mark.sqlite_only("HTTP parsing happens before any database work")


def raw(url: str, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``data`` as is; the status, headers and body of the answer."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body


TOKEN = b"POST /oauth/token HTTP/1.1\r\nHost: x\r\n"
FORM = b"Content-Type: application/x-www-form-urlencoded\r\n"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET / HTTP/1.1 extra\r\n\r\n", 400),
        (b"G(T / HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\n\r\n", 400),
        (b"GET / FTP/1.0\r\n\r\n", 400),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 101 + b"\r\n", 431),
        (b"GET / HTTP/1.1\r\nbad header\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n folded: x\r\n\r\n", 400),
        (TOKEN + FORM + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        (TOKEN + FORM + b"Content-Length: abc\r\n\r\n", 400),
        (TOKEN + FORM + b"Content-Length: -1\r\n\r\n", 400),
        (TOKEN + FORM + b"Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400),
        (TOKEN + FORM + b"Content-Length: 99999999999999\r\n\r\n", 413),
        (TOKEN + FORM + b"Content-Type: text/plain\r\nContent-Length: 0\r\n\r\n", 400),
        (
            TOKEN + FORM + b"Authorization: Basic a\r\nAuthorization: Basic b\r\n"
            b"Content-Length: 29\r\n\r\ngrant_type=client_credentials",
            400,
        ),
    ],
    ids=[
        "garbage",
        "four-words",
        "bad-method",
        "http2",
        "not-http",
        "long-request-line",
        "long-header",
        "too-many-headers",
        "header-without-colon",
        "obs-fold",
        "chunked",
        "length-not-a-number",
        "negative-length",
        "two-lengths",
        "huge-length",
        "two-content-types",
        "two-authorizations",
    ],
)
def test_malformed_http_is_a_4xx_json_error(url: str, data: bytes, status: int) -> None:
    before = issued_rows()
    got, headers, body = raw(url, data)
    assert got == status, body
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error"] == "invalid_request"
    assert b"Traceback" not in body and b"aaaa" not in body
    assert issued_rows() == before


def test_error_never_echoes_the_request_line(url: str) -> None:
    # http.server's own error page would repeat the request line, query and all.
    _status, _headers, body = raw(url, b"GET /?client_secret=hunter2 HTTP/9.9\r\n\r\n")
    assert b"hunter2" not in body


def test_head_and_options_are_405_json(url: str) -> None:
    for method in (b"OPTIONS", b"PATCH"):
        status, headers, body = raw(url, method + b" /oauth/token HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status == 405 and headers["allow"] == "POST"
        assert json.loads(body)["error"] == "invalid_request"


def test_expect_100_continue_is_honoured(url: str) -> None:
    status, _headers, body = raw(
        url,
        b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
        + FORM
        + b"Content-Length: 22\r\n\r\ngrant_type=unknown_one",
    )
    # HTTPResponse skips the 100 Continue; the real answer follows.
    assert status == 400 and json.loads(body)["error"] == "unsupported_grant_type"
