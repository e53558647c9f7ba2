"""A loopback redirect catcher (RFC 8252 §7.3): the browser's redirect comes to us.

For the code grant against any server, the playground (or ``authclients try``)
listens on ``127.0.0.1`` at a port the system picks, sends the user to the
authorization URL in whatever browser they have, and takes the one redirect that
arrives at the registered path. The page it answers with reflects nothing of the
request (no XSS through a crafted redirect), is never cached, and tells the person
to go back to the terminal. Requests for other paths (a browser's favicon) get a
404 and the catcher keeps waiting.
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, urlunsplit

PAGE = (
    b"<!doctype html><meta charset=utf-8><title>authclients</title>"
    b"<p>The answer reached the terminal. You can close this tab.</p>"
)
MAX_TARGET = 8192
"""Bytes of request line accepted: an authorization response is far smaller."""


class CatcherClosed(Exception):
    """Closed (cancelled) before a redirect arrived."""


class _Server(ThreadingHTTPServer):
    allow_reuse_address = False
    daemon_threads = True
    path = "/"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.caught: list[str] = []
        self.arrived = threading.Condition()

    def handle_error(self, request: object, client_address: object) -> None:
        """A broken or hostile request is dropped without a traceback on the terminal."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 5  # a browser sends its request at once; a slow one is not ours

    def do_GET(self) -> None:
        if not self._host_is_ours():
            # DNS rebinding: a web page whose name now resolves to 127.0.0.1 sends its
            # own Host. Nothing it could read is secret, but it is not the browser's
            # redirect to us, so it is neither caught nor answered with the page.
            self._answer(421, b"<!doctype html><title>Misdirected</title><p>Wrong host.</p>")
            return
        if len(self.path) > MAX_TARGET or urlsplit(self.path).path != self.server.path:
            self._answer(404, b"<!doctype html><title>Not found</title><p>Not found.</p>")
            return
        host, port = self.server.server_address[:2]
        with self.server.arrived:
            if len(self.server.caught) < 16:  # more is a flood, not a browser
                self.server.caught.append(f"http://{host}:{port}{self.path}")
            self.server.arrived.notify_all()
        self._answer(200, PAGE)

    def _host_is_ours(self) -> bool:
        host, port = self.server.server_address[:2]
        names = {f"{host}:{port}", f"localhost:{port}", f"[{host}]:{port}"}
        return (self.headers.get("Host") or "").strip().lower() in names

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", "default-src 'none'")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Nothing on stderr: the terminal belongs to the console."""


class RedirectCatcher:
    """Listens for one redirect; ``redirect_uri`` is what to register and send.

    Args:
        redirect_uri: a loopback ``http://127.0.0.1[:port]/path`` (port 0 or none: the
            system picks one, which RFC 8252 §7.3 says the server must accept).
    """

    def __init__(self, redirect_uri: str = "http://127.0.0.1/callback") -> None:
        parts = urlsplit(redirect_uri)
        host = parts.hostname or ""
        if parts.scheme != "http" or host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError(
                "The catcher listens on this machine only: give an http://127.0.0.1 "
                "redirect URI (RFC 8252 §7.3)."
            )
        address = "127.0.0.1" if host == "localhost" else host
        try:
            self._server = _Server((address, parts.port or 0), _Handler, bind_and_activate=False)
            if address == "::1":
                self._server.address_family = socket.AF_INET6
                self._server.socket = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            self._server.server_bind()
            self._server.server_activate()
        except OSError as exc:
            where = f"{address}:{parts.port or 0}"
            raise ValueError(f"Cannot listen on {where}: {exc.strerror}.") from None
        self._server.path = parts.path or "/"
        port = self._server.server_address[1]
        netloc = f"[{address}]:{port}" if ":" in address else f"{host}:{port}"
        self.redirect_uri = urlunsplit(("http", netloc, parts.path or "/", "", ""))
        self._closed = False
        # Served from the start, so a browser quicker than our ``wait`` still gets its page.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()

    def wait(self, timeout: float) -> str:
        """Block until the next redirect arrives (its full URL) or ``timeout`` seconds pass.

        Every redirect to the path is kept in arrival order, so a caller that finds a
        forged one (wrong ``state``: any local process can connect) waits for the next.

        Raises:
            TimeoutError: nothing arrived in time.
            CatcherClosed: ``close`` was called meanwhile.
        """
        deadline = time.monotonic() + timeout
        server = self._server
        with server.arrived:
            while not server.caught:
                if self._closed:
                    raise CatcherClosed("The redirect catcher was closed.")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"No redirect reached {self.redirect_uri} in {timeout:g} s.")
                server.arrived.wait(left)
            return server.caught.pop(0)

    def close(self) -> None:
        """Stop listening; a ``wait`` in another thread raises ``CatcherClosed``."""
        with self._server.arrived:
            if self._closed:
                return
            self._closed = True
            self._server.arrived.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> RedirectCatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
