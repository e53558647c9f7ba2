"""A hostile server's answers against the playground's client (issue 17, attacked).

Each test is a finding: deep JSON that blew Python's recursion limit, a body
trickled byte by byte past the deadline, a never-ending chunked body.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from authclients.store import oauth_client as oc
from authclients.store.oauth_client.discovery import elsewhere
from authclients.store.oauth_client.http import (
    Exchange,
    HttpRequest,
    HttpResponse,
    TransportError,
    send,
)

DEEP = "[" * 200_000 + "]" * 200_000


class RawServer:
    """Accepts connections and lets ``answer(conn)`` write whatever bytes it likes."""

    def __init__(self, answer) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.answer = answer
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            with contextlib.suppress(OSError):
                self.answer(conn, self.stop)

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        self.thread.join(2)


@pytest.fixture
def raw() -> Iterator[list[RawServer]]:
    servers: list[RawServer] = []
    yield servers
    for server in servers:
        server.close()


def _json_answer(body: bytes):
    def answer(conn: socket.socket, stop: threading.Event) -> None:
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        conn.sendall(head.encode() + body)

    return answer


def test_deeply_nested_json_is_not_a_crash_anywhere() -> None:
    # json.loads raises RecursionError (not ValueError) on deep nesting.
    assert HttpResponse(200, "OK", (), DEEP).json() is None
    assert "[" in HttpResponse(200, "OK", (), DEEP).display()


def test_discovery_of_deeply_nested_metadata_says_not_json(raw: list[RawServer]) -> None:
    server = RawServer(_json_answer(DEEP.encode()))
    raw.append(server)
    found = oc.discover(server.origin)
    assert not found.ok
    assert "No metadata found" in found.error
    assert found.attempts[0].hint


def _trickle(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    conn.sendall(b"Content-Length: 100000\r\n\r\n")
    while not stop.is_set():
        conn.sendall(b" ")
        time.sleep(0.2)


def _endless_chunks(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    while not stop.is_set():
        conn.sendall(b"1\r\n \r\n")
        time.sleep(0.2)


@pytest.mark.parametrize("answer", [_trickle, _endless_chunks], ids=["slowloris", "chunked"])
def test_a_body_trickled_under_the_socket_timeout_still_meets_the_whole_deadline(
    raw: list[RawServer], answer
) -> None:
    # Each byte comes well within the socket timeout, so only a whole-request
    # deadline stops this: without one the playground waits for hours.
    server = RawServer(answer)
    raw.append(server)
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        send(HttpRequest("t", "GET", server.origin + "/"), timeout=1.0)
    assert time.monotonic() - started < 3.0
    assert caught.value.timed_out
    assert "within 1 s" in caught.value.message


def _answering(document: dict[str, object]):
    body = json.dumps(document)

    def send(request: HttpRequest) -> Exchange:
        return Exchange(
            request, HttpResponse(200, "OK", (("Content-Type", "application/json"),), body)
        )

    return send


@pytest.mark.parametrize(
    "key", ["token_endpoint", "authorization_endpoint", "jwks_uri", "device_authorization_endpoint"]
)
def test_an_https_issuers_document_sending_an_endpoint_over_plain_http_is_refused(key: str) -> None:
    # Found attacking issue 17: the issuer check held, but the document could move the
    # token endpoint to http:// and the client secret crossed the network in clear.
    document = {"issuer": "https://id.example", key: "http://id.example/x"}
    found = oc.discover("https://id.example", send=_answering(document))
    assert not found.ok and found.refused
    assert key in found.error and "plain http" in found.error


def test_plain_http_stays_allowed_for_loopback_and_for_an_http_issuer() -> None:
    loopback = {"issuer": "https://id.example", "token_endpoint": "http://127.0.0.1:8/t"}
    assert oc.discover("https://id.example", send=_answering(loopback)).ok
    plain = {"issuer": "http://lan.example", "token_endpoint": "http://lan.example/t"}
    assert oc.discover("http://lan.example", send=_answering(plain)).ok


def test_endpoints_on_another_origin_are_named_not_hidden() -> None:
    document = {
        "issuer": "https://accounts.example",
        "token_endpoint": "https://oauth2.other.example/token",
        "authorization_endpoint": "https://accounts.example:443/auth",
        "revocation_endpoint": "https://ACCOUNTS.example/revoke",
        "introspection_endpoint": "https://accounts.example:8443/introspect",
        "device_authorization_endpoint": "https://accounts.example/device",
    }
    found = oc.discover("https://accounts.example", send=_answering(document))
    assert found.ok
    assert elsewhere(found.target()) == [
        ("token endpoint", "https://oauth2.other.example/token"),
        ("introspection endpoint", "https://accounts.example:8443/introspect"),
    ]


@pytest.mark.parametrize(
    "value",
    [
        "https://id.example/t\x1b]52;c;aGk=\x07",
        "https://id.example/t\r\nX-Evil: 1",
        "https://id.example/t\x9b2J",
        "https://id.example/a b",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "https:///no-host",
    ],
)
def test_an_endpoint_that_is_no_http_url_is_never_used(value: str) -> None:
    # Found attacking issue 17: the console dropped endpoints with control characters,
    # but ``authclients try`` used the document's values as they were.
    document = {"issuer": "https://id.example", "token_endpoint": value, "jwks_uri": value}
    found = oc.discover("https://id.example", send=_answering(document))
    target = found.target()
    assert target.token_url == "https://id.example/oauth/token"
    assert target.jwks_url == "https://id.example/oauth/jwks"  # Passport's path, not the value
