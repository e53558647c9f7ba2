"""``TokenEndpoint``: the embedded OAuth 2.0 endpoint's lifecycle over the event-loop transport.

The bytes are moved by ``store.endpoint.transport`` (one asyncio loop, its
own thread in the console, the main thread in ``serve``); what each request
gets is ``store.endpoint.application`` and ``store.endpoint.routes``. This
module starts and stops them together with the group committer and the
request log.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable, Iterable

from authclients.store.endpoint.application import EndpointApplication
from authclients.store.endpoint.connection import Limits
from authclients.store.endpoint.proxies import TrustedProxies
from authclients.store.endpoint.public_url import parse_public_url
from authclients.store.endpoint.request_log import RequestLog
from authclients.store.endpoint.routes import Router
from authclients.store.endpoint.sessions import BrowserSessions
from authclients.store.endpoint.transport import EventLoopServer
from authclients.store.listen_address import DEFAULT_HOST, DEFAULT_PORT
from authclients.store.oauth.authorization_server import AuthorizationServer
from authclients.store.service import Store

CONNECTION_TIMEOUT = 10.0
"""Seconds a connection may stay silent (idle keep-alive or a slow client) before we drop it."""
REQUEST_DEADLINE = 20.0
"""Seconds past the idle timeout a request's line, headers and body may take to arrive:
this bounds a client that dribbles a byte at a time."""

SHARED_SWITCH_INTERVAL = 0.0005
"""Seconds of the interpreter's switch interval while the endpoint runs in a thread beside
other work (the console's UI): a waiting thread gets the GIL ten times sooner."""


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
        public_url: the URL the endpoint is reached at behind a proxy (``--public-url``);
            None: the bound address.
        proxies: the proxies whose forwarding headers are believed (``--trust-proxy``).
        sessions: sign-in sessions of the authorization pages (in the database).
        request_log: the latest requests, for the console.
        router: the routes, from request to answer.
        application: what the transport calls: routes on the loop or the pool.
        reuse_port: bind with ``SO_REUSEPORT``, so several ``serve`` processes share the port.
    """

    def __init__(
        self,
        store: Store,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        log_file: str | None = None,
        idle_timeout: float = CONNECTION_TIMEOUT,
        request_deadline: float = REQUEST_DEADLINE,
        public_url: str | None = None,
        trusted_proxies: Iterable[str] = (),
        *,
        reuse_port: bool = False,
    ) -> None:
        self.store = store.as_actor("endpoint")
        self.host = host
        self.port = port
        self.idle_timeout = idle_timeout
        self.request_deadline = request_deadline
        self.reuse_port = reuse_port
        self.authorization = AuthorizationServer(self.store)
        self.public_url = parse_public_url(public_url) if public_url is not None else None
        self.proxies = TrustedProxies(trusted_proxies)
        self.sessions = BrowserSessions(self.store)
        self.request_log = RequestLog(log_file=log_file)
        self.router = Router(
            self.authorization,
            self.sessions,
            lambda: self.issuer,
            proxies=self.proxies,
            check_origin=self.public_url is not None,
        )
        self.application = EndpointApplication(self.router, self.request_log, self.store)
        self._server: EventLoopServer | None = None
        self._switch_interval = sys.getswitchinterval()

    @property
    def url(self) -> str:
        """``http://HOST:PORT``, with the real port once started on port 0."""
        if self._server is not None:
            return self._server.url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def issuer(self) -> str:
        """The public URL when given, else the bound address (RFC 8414 §2, RFC 9207)."""
        return self.public_url or self.url

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.running

    @property
    def connections(self) -> int:
        """Connections open now (a snapshot)."""
        return self._server.connections if self._server is not None else 0

    def start(self) -> None:
        """Bind and serve on the endpoint's own loop in a daemon thread.

        Raises:
            PortInUse: the port is taken.
            OSError: the address cannot be bound for another reason.
        """
        if self._server is not None:
            return
        server = self._new_server()
        self._begin()
        # The console's UI thread shares the GIL with this loop. A thread waiting for
        # the GIL gets it only at the switch interval (5 ms by default), and a screen
        # update waits for it many times: under load that made key-to-screen p95 244 ms.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, SHARED_SWITCH_INTERVAL))
        try:
            server.start()
        except OSError as exc:
            self._end()
            sys.setswitchinterval(self._switch_interval)
            raise self._port_in_use(exc) from None
        except BaseException:
            self._end()
            sys.setswitchinterval(self._switch_interval)
            raise
        self._server = server

    def stop(self) -> None:
        """Stop accepting and close every connection (idle keep-alive ones too) within 1 s."""
        server, self._server = self._server, None
        if server is None:
            return
        server.stop(timeout=0.5)
        self._end()
        sys.setswitchinterval(self._switch_interval)

    def serve_forever(self, on_ready: Callable[[str], None] | None = None) -> None:
        """Serve in this thread until SIGINT or SIGTERM (``authclients serve``).

        Args:
            on_ready: called with the URL once listening.

        Raises:
            PortInUse: the port is taken.
            OSError: the address cannot be bound for another reason.
        """
        server = self._new_server()
        self._begin()
        self._server = server
        try:
            server.run_forever(on_ready)
        except OSError as exc:
            raise self._port_in_use(exc) from None
        finally:
            self._server = None
            self._end()

    def __enter__(self) -> TokenEndpoint:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what starts and ends with the server ---------------------------------------------

    def _new_server(self) -> EventLoopServer:
        limits = Limits(idle_timeout=self.idle_timeout, request_deadline=self.request_deadline)
        return EventLoopServer(
            self.application,
            self.host,
            self.port,
            limits,
            reuse_port=self.reuse_port,
            on_pool_closing=lambda pool: self.application.close_pool_connections(
                pool, limits.pool_workers
            ),
        )

    def _begin(self) -> None:
        self.request_log.open_file()
        self.authorization.hot_path.committer.start()

    def _end(self) -> None:
        self.authorization.hot_path.committer.stop()
        self.request_log.close_file()

    def _port_in_use(self, exc: OSError) -> OSError | PortInUse:
        if exc.errno == errno.EADDRINUSE:
            return PortInUse(self.host, self.port)
        return exc
