"""The one event loop serving every connection: a thread of its own, or ``serve``'s main one.

``EventLoopServer`` owns a listening socket, one asyncio loop (uvloop when it
is importable), the per-connection protocols and a small bounded thread pool
for work that blocks. ``start()`` / ``stop()`` run the loop in a background
thread (toolong's shape); ``run_forever()`` runs it in the calling thread and
stops on SIGINT or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from authclients.store.endpoint.connection import (
    Application,
    ConnectionRegistry,
    HttpConnection,
    Limits,
)

log = logging.getLogger("authclients.endpoint")

T = TypeVar("T")

BACKLOG = 1024
"""Connections the kernel queues before we accept them (a burst of clients, not a thread each)."""


def new_event_loop(use_uvloop: bool | None = None) -> asyncio.AbstractEventLoop:
    """A fresh loop: uvloop's when ``use_uvloop`` is True, or None and uvloop imports.

    Raises:
        ImportError: ``use_uvloop`` is True and uvloop is not installed.
    """
    if use_uvloop is not False:
        try:
            import uvloop
        except ImportError:
            if use_uvloop:
                raise
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


class EventLoopServer:
    """One listening socket served by one event loop.

    Attributes:
        app: what answers the requests (see ``connection.Application``).
        limits: timeouts and caps.
        pool: the bounded thread pool for blocking work; created by ``start``.

    Args:
        use_uvloop: True to require uvloop, False to refuse it, None to use it if it imports.
        reuse_port: bind with ``SO_REUSEPORT`` (processes sharing one port).
        on_pool_closing: called with the pool just before it is shut down.
    """

    def __init__(
        self,
        app: Application,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: Limits | None = None,
        *,
        use_uvloop: bool | None = None,
        reuse_port: bool = False,
        on_pool_closing: Callable[[ThreadPoolExecutor], None] | None = None,
    ) -> None:
        self.app = app
        self.host = host
        self.limits = limits or Limits()
        self.pool: ThreadPoolExecutor | None = None
        self._port = port
        self._use_uvloop = use_uvloop
        self._reuse_port = reuse_port
        self._on_pool_closing = on_pool_closing
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._registry: ConnectionRegistry | None = None
        self._server: asyncio.AbstractServer | None = None
        self._stopped: asyncio.Event | None = None
        self._lifecycle = threading.Lock()

    # -- where and how it runs ---------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (the real one once started on port 0)."""
        # Kept at bind: the issuer is built from it for every token (a syscall each).
        return self._bound_port if self._sock is not None else self._port

    @property
    def url(self) -> str:
        """``http://HOST:PORT``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._loop is not None

    @property
    def loop_name(self) -> str:
        """The running loop's class name (``Loop`` for uvloop, ``_UnixSelectorEventLoop``...)."""
        return type(self._loop).__name__ if self._loop is not None else ""

    @property
    def connections(self) -> int:
        """Admitted connections open now (read from any thread: a snapshot)."""
        return self._registry.admitted if self._registry is not None else 0

    def run_blocking(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Run ``fn(*args)`` on the pool; call on the loop thread, await on the loop."""
        assert self._loop is not None and self.pool is not None
        return self._loop.run_in_executor(self.pool, fn, *args)

    # -- background thread (the console) ------------------------------------------------

    def start(self, timeout: float = 5.0) -> None:
        """Bind, then serve in a daemon thread.

        Raises:
            OSError: binding failed (``errno.EADDRINUSE`` when the port is taken).
        """
        with self._lifecycle:
            if self._loop is not None:
                return
            sock = self._bind()
            loop = new_event_loop(self._use_uvloop)
            ready = threading.Event()
            failure: list[BaseException] = []

            def serve() -> None:
                asyncio.set_event_loop(loop)
                try:
                    loop.run_until_complete(self._open(sock))
                except BaseException as exc:
                    failure.append(exc)
                    ready.set()
                    loop.close()
                    return
                ready.set()
                try:
                    loop.run_until_complete(self._stopped.wait())  # type: ignore[union-attr]
                    loop.run_until_complete(self._close())
                finally:
                    loop.close()

            self._loop = loop
            self._thread = threading.Thread(
                target=serve, name=f"authclients-endpoint-{sock.getsockname()[1]}", daemon=True
            )
            self._thread.start()
            if not ready.wait(timeout) or failure:
                self._loop = None
                self._discard_pool()
                sock.close()
                self._sock = None
                if failure:
                    raise failure[0]
                raise TimeoutError("the endpoint's event loop did not start")

    def stop(self, timeout: float = 1.0) -> None:
        """Stop accepting; close every connection (idle keep-alive ones too) within ``timeout``."""
        with self._lifecycle:
            loop, thread = self._loop, self._thread
            if loop is None:
                return
            if thread is not None and thread is not threading.current_thread():
                with contextlib.suppress(RuntimeError):  # the loop already ended
                    loop.call_soon_threadsafe(self._request_stop)
                thread.join(timeout)
                if thread.is_alive():
                    log.warning("the endpoint's event loop did not stop in %.1f s", timeout)
            self._loop = None
            self._thread = None
            self._discard_pool()

    def __enter__(self) -> EventLoopServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- main thread (``authclients serve``) --------------------------------------------

    def run_forever(self, on_ready: Callable[[str], None] | None = None) -> None:
        """Serve in this thread until SIGINT, SIGTERM or ``stop()`` from another thread.

        Args:
            on_ready: called with the URL once listening (``serve`` prints it).

        Raises:
            OSError: binding failed (``errno.EADDRINUSE`` when the port is taken).
        """
        with self._lifecycle:
            if self._loop is not None:
                raise RuntimeError("the server is already running")
            sock = self._bind()
            loop = new_event_loop(self._use_uvloop)
            self._loop = loop
        in_main = threading.current_thread() is threading.main_thread()
        handled: list[int] = []
        try:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self._open(sock))
            if in_main:
                # Handlers before the ready line: a SIGTERM sent as soon as it is read
                # must stop us cleanly.
                for signum in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(signum, self._request_stop)
                    handled.append(signum)
            if on_ready is not None:
                on_ready(self.url)
            loop.run_until_complete(self._stopped.wait())  # type: ignore[union-attr]
        finally:
            try:
                loop.run_until_complete(self._close())
            finally:
                for signum in handled:
                    loop.remove_signal_handler(signum)
                asyncio.set_event_loop(None)
                loop.close()
                with self._lifecycle:
                    self._loop = None
                    self._discard_pool()

    # -- on the loop ------------------------------------------------------------------------

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # create_server sets SO_REUSEADDR: a restart is not refused for TIME_WAIT sockets.
        # SO_REUSEPORT lets several ``serve --workers`` processes listen on one port.
        sock = socket.create_server(
            (self.host, self._port), family=family, backlog=BACKLOG, reuse_port=self._reuse_port
        )
        sock.setblocking(False)
        self._bound_port: int = sock.getsockname()[1]
        self._sock = sock
        return sock

    async def _open(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(_log_loop_error)
        self.pool = ThreadPoolExecutor(
            max_workers=self.limits.pool_workers, thread_name_prefix="authclients-blocking"
        )
        self._stopped = asyncio.Event()
        registry = ConnectionRegistry(self.app, self.limits, self.run_blocking)
        self._registry = registry
        self._server = await loop.create_server(
            lambda: HttpConnection(registry), sock=sock, backlog=BACKLOG
        )

    def _request_stop(self) -> None:
        if self._stopped is not None:
            self._stopped.set()

    async def _close(self) -> None:
        registry, server = self._registry, self._server
        if registry is not None:
            registry.stopping = True
        if server is not None:
            server.close()
        if registry is not None:
            for connection in list(registry.open):
                connection.shut()
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 0.5)
        # Let the aborted transports run connection_lost (it cancels pool waits).
        await asyncio.sleep(0)
        self._server = None
        if self._sock is not None:
            self._sock.close()

    def _discard_pool(self) -> None:
        if self.pool is not None:
            if self._on_pool_closing is not None:
                # The application's last word with its pool threads (their database
                # connections are per thread).
                try:
                    self._on_pool_closing(self.pool)
                except Exception:
                    log.exception("closing the blocking pool's resources failed")
            # Work already running finishes in its thread; nobody waits for it.
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None


def _log_loop_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A loop-level error goes to our log (one line per error), never raw to stderr."""
    exc = context.get("exception")
    if isinstance(exc, ConnectionError | TimeoutError):
        log.debug("connection error: %s", context.get("message"))
        return
    log.error("event loop error: %s", context.get("message"), exc_info=exc)
