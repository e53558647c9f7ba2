"""The endpoint's connections: a socket server with a thread per connection, and its lifecycle.

Reading a request and writing its answer are ``store.endpoint.http``; what the
answer is, ``store.endpoint.routes``. This module only moves bytes between a
socket and those two, bounded in time and in number of connections.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
import socketserver
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from authclients.store.endpoint.http import (
    DRAIN_MAX,
    MAX_LINE,
    Headers,
    MalformedRequest,
    Request,
    Response,
    body_length,
    error_response,
    keeps_alive,
    parse_request_line,
    read_headers,
    render_head,
    split_target,
    too_large,
    wants_continue,
)
from authclients.store.endpoint.request_log import LoggedRequest, RequestLog
from authclients.store.endpoint.routes import Router
from authclients.store.endpoint.sessions import BrowserSessions
from authclients.store.listen_address import DEFAULT_HOST, DEFAULT_PORT
from authclients.store.oauth.authorization_server import AuthorizationServer
from authclients.store.oauth.errors import HeaderTooLarge, InvalidRequest, OAuthError
from authclients.store.service import Store

log = logging.getLogger("authclients.endpoint")

CONNECTION_TIMEOUT = 10.0
"""Seconds a connection may stay silent (idle keep-alive or a slow client) before we drop it."""
REQUEST_DEADLINE = 20.0
"""Seconds a request's line, headers and body may take once the connection's idle time is
over: each read has the idle timeout, and this bounds a client that dribbles a byte at a time."""
MAX_CONNECTIONS = 256
"""Open connections served at once (a thread each); more are answered 503 and closed."""
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Retry-After: 1\r\nConnection: close\r\nContent-Length: 91\r\n\r\n"
    b'{"error":"temporarily_unavailable","error_description":"Too many connections; retry soon."}'
)


class _Handler(BaseHTTPRequestHandler):
    """One keep-alive connection: requests are read, routed and answered in this thread."""

    protocol_version = "HTTP/1.1"
    server_version = "authclients"
    sys_version = ""
    timeout = CONNECTION_TIMEOUT
    # Answers go out in one write, and Nagle is off: no 40 ms delayed-ACK stalls.
    disable_nagle_algorithm = True
    server: _Server

    # -- the connection loop ---------------------------------------------------------

    def setup(self) -> None:
        # The socket timeout is what ends a silent connection (idle or slow).
        self.timeout = self.server.endpoint.idle_timeout
        super().setup()

    def handle(self) -> None:
        # The client went away or the endpoint is stopping: nothing to answer.
        with contextlib.suppress(OSError):
            super().handle()

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.endpoint._close_thread_connection()

    def handle_one_request(self) -> None:
        self._started = time.perf_counter()
        self._log_method = "-"
        self._log_path = "-"
        self._log_client: str | None = None
        self.command = None  # type: ignore[assignment]
        endpoint = self.server.endpoint
        # The server's loop shuts the socket down if the request is not in by then.
        self.server.watch(
            self.connection, time.monotonic() + self.timeout + endpoint.request_deadline
        )
        try:
            self.raw_requestline = self.rfile.readline(MAX_LINE + 1)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if len(self.raw_requestline) > MAX_LINE:
                self.close_connection = True
                self._send(
                    error_response(HeaderTooLarge("The request line is too long."), status=414)
                )
                return
            self._serve_one()
        except TimeoutError:
            self.close_connection = True

    def _serve_one(self) -> None:
        """Read the head (strictly, see ``http``), then the body; route; answer."""
        self.close_connection = True
        try:
            line = parse_request_line(self.raw_requestline)
            self.command, self.request_version = line.method, line.version
            headers = read_headers(self.rfile.readline)
        except MalformedRequest as exc:
            error, status = exc.answer()
            self._send(error_response(error, status=status, close=True))
            return
        if headers is None:
            return  # the client hung up half-way
        self.close_connection = not keeps_alive(headers, line.version)
        if wants_continue(headers, line.version):
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self._log_method = line.method[:16]
        path, query = split_target(line.target)
        self._log_path = path[:200]
        request = Request(line.method, path, query, headers, b"")
        try:
            request.body = self._read_body(headers)
            self.server.watch(self.connection, None)
            response = self.server.endpoint.router.handle(request)
        except OAuthError as exc:
            # Only the body's errors get here; they leave the connection unreadable.
            response = error_response(exc, close=True)
        except OSError:
            self.close_connection = True
            return
        self._log_client = request.client_id
        self._send(response)

    def _read_body(self, headers: Headers) -> bytes:
        size = body_length(headers)
        refused = too_large(size)
        if refused is not None:
            if size <= DRAIN_MAX:
                self._read_exactly(size)
            raise refused
        return self._read_exactly(size)

    def _read_exactly(self, size: int) -> bytes:
        chunks: list[bytes] = []
        remaining = size
        while remaining > 0:
            chunk = self.rfile.read1(min(remaining, 65536))
            if not chunk:
                raise InvalidRequest("The body is shorter than its Content-Length.")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def log_message(self, format: str, *args: object) -> None:
        """Silence ``http.server``'s stderr lines: the request log records every request."""

    def _send(self, response: Response) -> None:
        """Status line, headers and body in ONE write, so Nagle never holds the body back."""
        if response.close:
            self.close_connection = True
        head = render_head(
            response.status,
            response.content_type,
            len(response.body),
            response.headers,
            close=self.close_connection,
        )
        # Logged before the write, so whoever has the answer finds its entry.
        self.server.endpoint.request_log.add(
            LoggedRequest(
                time=datetime.now(UTC),
                method=self._log_method,
                path=self._log_path,
                status=response.status,
                duration_ms=(time.perf_counter() - self._started) * 1000.0,
                client_id=self._log_client,
            )
        )
        self.wfile.write(head if self.command == "HEAD" else head + response.body)


class _Server(ThreadingHTTPServer):
    """One daemon thread per connection; tracks open connections so ``stop`` can close them."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], endpoint: TokenEndpoint, family: int) -> None:
        self.address_family = family
        self.endpoint = endpoint
        self._connections: set[socket.socket] = set()
        self._deadlines: dict[socket.socket, float] = {}
        self._idle = threading.Condition()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would resolve our own name (getfqdn): a DNS
        # round-trip that can hang start-up for seconds. We know who we are.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        with self._idle:
            busy = len(self._connections) >= MAX_CONNECTIONS
            if not busy:
                self._connections.add(request)
        if busy:
            # A thread per connection: past the cap, refuse at once rather than spawn more.
            with contextlib.suppress(OSError):
                request.settimeout(1.0)
                request.sendall(_BUSY)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with contextlib.suppress(OSError):
            request.shutdown(socket.SHUT_WR)
            _drain(request)
        super().shutdown_request(request)
        with self._idle:
            self._connections.discard(request)
            self._deadlines.pop(request, None)
            self._idle.notify_all()

    def watch(self, request: socket.socket, deadline: float | None) -> None:
        """Close ``request`` if it is still being read at ``deadline`` (None: it was read)."""
        with self._idle:
            if deadline is None:
                self._deadlines.pop(request, None)
            else:
                self._deadlines[request] = deadline

    def service_actions(self) -> None:
        # serve_forever calls this every poll interval: drop the connections whose
        # request is overdue; their threads wake up on the closed socket and end.
        now = time.monotonic()
        with self._idle:
            overdue = [sock for sock, deadline in self._deadlines.items() if deadline < now]
            for sock in overdue:
                del self._deadlines[sock]
        for sock in overdue:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: object, client_address: object) -> None:
        # socketserver would print a traceback to stderr; the client got nothing of it.
        log.error("unexpected error on a connection", exc_info=True)

    def close_connections(self, timeout: float) -> None:
        """Wake every connection thread (its socket is shut down) and wait for them briefly."""
        with self._idle:
            open_now = list(self._connections)
        for sock in open_now:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._connections and (left := deadline - time.monotonic()) > 0:
                self._idle.wait(left)


def _drain(sock: socket.socket) -> None:
    """Read what the client already sent before closing.

    Closing a socket with unread input sends a reset, which can destroy our
    answer (a 413 or 414) before the client reads it.
    """
    sock.setblocking(False)
    for _ in range(DRAIN_MAX // 65536):
        try:
            if not sock.recv(65536):
                return
        except BlockingIOError:
            return


# -- the lifecycle the TUI and ``authclients serve`` use ----------------------------


class PortInUse(Exception):
    """The port is taken (by another program or another endpoint); choose another one."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            f"Port {port} on {host} is already in use; choose another port (or 0 for a free one)."
        )
        self.host = host
        self.port = port


class TokenEndpoint:
    """The embedded OAuth 2.0 endpoint: start, stop, where it listens, what it answered.

    Attributes:
        store: the store, acting as ``endpoint``.
        idle_timeout: seconds a connection may stay silent before it is closed.
        request_deadline: seconds, past the idle timeout, a request may take to arrive.
        authorization: the OAuth decisions (``store.oauth.authorization_server``).
        sessions: sign-in sessions of the authorization pages (in memory).
        request_log: the latest requests, for the console.
        router: the routes, from request to answer.
    """

    def __init__(
        self,
        store: Store,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        log_file: str | None = None,
        idle_timeout: float = CONNECTION_TIMEOUT,
        request_deadline: float = REQUEST_DEADLINE,
    ) -> None:
        self.store = store.as_actor("endpoint")
        self.host = host
        self.port = port
        self.idle_timeout = idle_timeout
        self.request_deadline = request_deadline
        self.authorization = AuthorizationServer(self.store)
        self.sessions = BrowserSessions()
        self.request_log = RequestLog(log_file=log_file)
        self.router = Router(self.authorization, self.sessions, lambda: self.url)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    @property
    def url(self) -> str:
        """``http://HOST:PORT``, with the real port once started on port 0."""
        port = self._httpd.server_address[1] if self._httpd is not None else self.port
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port}"

    @property
    def running(self) -> bool:
        return self._httpd is not None

    def start(self) -> None:
        """Bind and serve in a daemon thread; ``PortInUse`` if the port is taken."""
        with self._lifecycle:
            if self._httpd is not None:
                return
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            try:
                httpd = _Server((self.host, self.port), self, family)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise PortInUse(self.host, self.port) from None
                raise
            self.request_log.open_file()
            self.authorization.hot_path.committer.start()
            self._httpd = httpd
            self._thread = threading.Thread(
                target=httpd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"authclients-endpoint-{httpd.server_address[1]}",
                daemon=True,
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop accepting, close every connection, within about half a second."""
        with self._lifecycle:
            httpd, thread = self._httpd, self._thread
            if httpd is None:
                return
            httpd.shutdown()
            httpd.server_close()
            httpd.close_connections(timeout=0.5)
            if thread is not None:
                thread.join(timeout=0.2)
            self.authorization.hot_path.committer.stop()
            self._httpd = None
            self._thread = None
            self.request_log.close_file()

    def __enter__(self) -> TokenEndpoint:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _close_thread_connection(self) -> None:
        """A connection thread ends: close its database connection (Peewee's are per thread)."""
        try:
            self.store.close()
        except Exception:
            log.debug("closing a connection thread's database failed", exc_info=True)
