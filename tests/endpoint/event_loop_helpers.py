"""Raw-socket helpers for the event-loop transport's tests (real sockets on 127.0.0.1)."""

from __future__ import annotations

import socket
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from authclients.store.endpoint.connection import Limits
from authclients.store.endpoint.transport import EventLoopServer
from tests.endpoint.echo_app import EchoApp


def loops() -> list[bool]:
    """The loops to run on: the standard one, and uvloop when it is installed."""
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return [False]
    return [False, True]


@contextmanager
def serving(uvloop: bool, **limits: float) -> Iterator[tuple[EventLoopServer, EchoApp]]:
    app = EchoApp()
    server = EventLoopServer(app, port=0, limits=Limits(**limits), use_uvloop=uvloop)  # type: ignore[arg-type]
    server.start()
    try:
        yield server, app
    finally:
        server.stop()


def connect(
    server: EventLoopServer, source: str = "127.0.0.1", timeout: float = 5
) -> socket.socket:
    """A connection to ``server`` from ``source`` (any 127.0.0.0/8 address works on Linux)."""
    return socket.create_connection(("127.0.0.1", server.port), timeout, (source, 0))


_unread: weakref.WeakKeyDictionary[socket.socket, bytearray] = weakref.WeakKeyDictionary()
"""Bytes read past an answer, kept for the next one (pipelined answers arrive together)."""


def read_response(sock: socket.socket, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """One answer off ``sock``, which stays usable for the next one.

    ``http.client.HTTPResponse`` reads ahead into a buffer of its own and would
    lose the answers pipelined behind the first, so this reads by hand.
    """
    buffer = _unread.setdefault(sock, bytearray())

    def fill() -> None:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection before answering")
        buffer.extend(chunk)

    while (end := buffer.find(b"\r\n\r\n")) < 0:
        fill()
    head = buffer[:end].decode("latin-1").split("\r\n")
    del buffer[: end + 4]
    status = int(head[0].split(" ")[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if status == 100:
        return read_response(sock, method)
    length = 0 if method == "HEAD" else int(headers.get("content-length", "0"))
    while len(buffer) < length:
        fill()
    body = bytes(buffer[:length])
    del buffer[:length]
    return status, headers, body


def exchange(server: EventLoopServer, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``data`` as is on a fresh connection; the first answer."""
    with connect(server) as sock:
        sock.sendall(data)
        return read_response(sock)


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes ``sock`` (EOF or reset) within ``seconds``."""
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


def thread_count() -> int:
    return threading.active_count()
