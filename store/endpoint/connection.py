"""One HTTP/1.1 connection as an asyncio ``Protocol``: read, answer in order, time out, close.

An idle connection is this object, a parser and a transport: no thread, no
stack. Loop timers replace socket timeouts, ``pause_reading`` replaces a
blocked ``recv``, and per-address counters keep one client from starving the
others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast

from authclients.store.endpoint.http11 import DRAIN_MAX, ParseError, Request, RequestParser
from authclients.store.endpoint.responses import (
    Response,
    error_response,
    refusal_response,
    serialise,
)

log = logging.getLogger("authclients.endpoint")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Limits:
    """What one endpoint lets its clients hold.

    Attributes:
        idle_timeout: seconds a connection may stay silent (idle keep-alive, or
            between the bytes of a request) before it is closed.
        request_deadline: seconds past ``idle_timeout`` a whole request may take
            to arrive, counted from when the connection started waiting for it;
            this bounds a client that dribbles a byte at a time.
        max_connections: open connections at once; more are answered 503 and
            closed. An idle connection costs 1-2 KB (measured), not a thread.
        per_address_connections: open connections from one remote address. A
            browser opens at most 6, an HTTP client's pool 10 to 20, and offices
            behind one NAT share an address: 64 leaves room for all of them while
            one address can hold no more than 1/150 of ``max_connections``.
        per_address_in_flight: requests of one address waiting on the blocking
            pool at once; more wait (unread) until one finishes, so one client's
            bcrypt calls cannot queue ahead of everybody else's.
        pool_workers: threads of the blocking pool (bcrypt, PostgreSQL calls).
        linger: seconds a closing connection is read and discarded after its
            last answer, so unread input does not turn the close into a reset
            that destroys the answer (a 413 or 414) before the client reads it.
    """

    idle_timeout: float = 10.0
    request_deadline: float = 20.0
    max_connections: int = 10_000
    per_address_connections: int = 64
    per_address_in_flight: int = 8
    pool_workers: int = 4
    linger: float = 1.0


class RequestContext(Protocol):
    """What an application may ask of the server while it answers a request."""

    @property
    def remote(self) -> str:
        """The client's address (IPv4 or IPv6 text)."""
        ...

    def run_blocking(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Run ``fn(*args)`` on the bounded pool; await the result on the loop."""
        ...


class Application(Protocol):
    """What the transport serves: routes, decisions and pages live behind this.

    ``handle`` runs on the event loop. It returns a ``Response`` at once for
    fast work, or an awaitable of one (typically awaiting
    ``context.run_blocking(...)``) for work that blocks. The transport answers
    strictly in request order either way. ``HEAD`` arrives as is; route it with
    ``request.route_method`` and the transport drops the body.
    """

    def handle(
        self, request: Request, context: RequestContext
    ) -> Response | Awaitable[Response]: ...

    def refused(self, error: ParseError, context: RequestContext) -> None:
        """A request the parser refused is about to be answered ``error.status`` (for the log).

        Called on the loop; it must not block. The request itself is not given:
        what could not be parsed may hold secrets.
        """
        ...


_BUSY_DESCRIPTION = "Too many connections; retry soon."
_BUSY_ADDRESS_DESCRIPTION = "Too many connections from your address; retry soon."
_SERVER_ERROR = error_response(
    500, "server_error", "The server failed unexpectedly; it has been logged.", close=True
)


class ConnectionRegistry:
    """The connections of one server, counted per remote address; lives on the loop thread."""

    def __init__(
        self,
        app: Application,
        limits: Limits,
        run_blocking: Callable[..., asyncio.Future[Any]],
    ) -> None:
        self.app = app
        self.limits = limits
        self.run_blocking = run_blocking
        self.stopping = False
        self.open: set[HttpConnection] = set()
        """Every connection with a live transport, admitted or being refused."""
        self.admitted = 0
        self._per_address: dict[str, int] = {}
        self._in_flight: dict[str, int] = {}
        self._parked: dict[str, deque[HttpConnection]] = {}

    def admit(self, connection: HttpConnection) -> str | None:
        """Count ``connection`` in, or the reason to refuse it."""
        if self.stopping or self.admitted >= self.limits.max_connections:
            return _BUSY_DESCRIPTION
        count = self._per_address.get(connection.remote, 0)
        if count >= self.limits.per_address_connections:
            return _BUSY_ADDRESS_DESCRIPTION
        self._per_address[connection.remote] = count + 1
        self.admitted += 1
        return None

    def release(self, connection: HttpConnection) -> None:
        remote = connection.remote
        left = self._per_address.get(remote, 0) - 1
        if left > 0:
            self._per_address[remote] = left
        else:
            self._per_address.pop(remote, None)
        self.admitted -= 1
        parked = self._parked.get(remote)
        if parked is not None:
            with contextlib.suppress(ValueError):
                parked.remove(connection)

    def acquire_slot(self, connection: HttpConnection) -> bool:
        """A place for one more request of this address on the pool; False: wait (parked)."""
        remote = connection.remote
        count = self._in_flight.get(remote, 0)
        if count >= self.limits.per_address_in_flight:
            self._parked.setdefault(remote, deque()).append(connection)
            return False
        self._in_flight[remote] = count + 1
        return True

    def release_slot(self, remote: str) -> None:
        left = self._in_flight.get(remote, 0) - 1
        if left > 0:
            self._in_flight[remote] = left
        else:
            self._in_flight.pop(remote, None)
        parked = self._parked.get(remote)
        if parked:
            waiting = parked.popleft()
            if not parked:
                del self._parked[remote]
            waiting.unpark()

    def in_flight(self, remote: str) -> int:
        return self._in_flight.get(remote, 0)


class HttpConnection(asyncio.Protocol):
    """One client connection: parse, hand requests to the application, answer in order."""

    # Slots: an idle connection is mostly this object, so no per-instance dict (-600 B).
    __slots__ = (
        "_admitted",
        "_busy",
        "_closing",
        "_drained",
        "_eof",
        "_last_read",
        "_loop",
        "_parked",
        "_parser",
        "_pending",
        "_queue",
        "_read_paused",
        "_registry",
        "_task",
        "_timer",
        "_transport",
        "_wait_start",
        "_write_paused",
        "remote",
    )

    def __init__(self, registry: ConnectionRegistry) -> None:
        self._registry = registry
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._parser = RequestParser()
        self._queue: deque[Request | ParseError | bytes] | None = None
        """Parsed, not yet answered; None when empty (an empty deque is 760 bytes, per idle
        connection)."""
        self.remote = ""
        self._admitted = False
        self._busy = False
        """A request is being answered (its handler or its pool work has not finished)."""
        self._parked: Request | None = None
        self._pending: Awaitable[Response] | None = None
        """The parked request's work, not started yet."""
        self._task: asyncio.Future[Response] | None = None
        self._closing = False
        self._eof = False
        self._write_paused = False
        self._read_paused = False
        """We paused the transport's reading (``_pause_reading``); only then is it resumed."""
        self._drained = 0
        self._timer: asyncio.TimerHandle | None = None
        self._last_read = 0.0
        self._wait_start = 0.0

    # -- what the application may ask (RequestContext) ----------------------------------

    def run_blocking(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Run ``fn(*args)`` on the server's bounded pool; await the result on the loop."""
        return self._registry.run_blocking(fn, *args)

    # -- asyncio callbacks -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCPTransport does not subclass asyncio.Transport; it has its methods.
        transport = cast(asyncio.Transport, transport)
        self._transport = transport
        registry = self._registry
        registry.open.add(self)
        peer = transport.get_extra_info("peername")
        self.remote = str(peer[0]) if peer else ""
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Answers go out in one write; Nagle would hold them for a delayed ACK.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport.set_write_buffer_limits(high=64 * 1024)
        refusal = registry.admit(self)
        if refusal is not None:
            answer = error_response(
                503, "temporarily_unavailable", refusal, (("Retry-After", "1"),), close=True
            )
            transport.write(serialise(answer, close=True))
            self._close_after_write()
            return
        self._admitted = True
        self._wait_start = self._last_read = self._loop.time()
        self._arm_timer(self._registry.limits.idle_timeout)

    def data_received(self, data: bytes) -> None:
        if self._closing:
            self._drained += len(data)
            if self._drained > DRAIN_MAX and self._transport is not None:
                self._transport.abort()
            return
        self._last_read = self._loop.time()
        events = self._parser.feed(data)
        if events:
            self._enqueue(events)
            self._advance()
        if self._busy or self._parked is not None:
            # Input while a request is still being answered: the client pipelines.
            # Read no more until it is answered; what this read brought waits queued
            # (one read's worth). A client that waits for each answer never gets
            # here, so the common request costs no pause and resume of its reading.
            self._pause_reading()

    def eof_received(self) -> bool:
        if self._closing:
            return False  # the transport closes itself
        self._eof = True
        self._enqueue(self._parser.feed_eof())
        self._advance()
        # Keep the transport open for the answers still to be written.
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        registry = self._registry
        registry.open.discard(self)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._admitted:
            self._admitted = False
            registry.release(self)
        if self._task is not None:
            # Its pool work may still run; nobody is left to read the answer.
            self._task.cancel()
        if asyncio.iscoroutine(self._pending):
            self._pending.close()  # parked, never started: no "never awaited" warning
        self._pending = None
        self._parked = None
        self._queue = None
        self._transport = None

    def pause_writing(self) -> None:
        # The client reads slower than we answer: stop reading its next requests too.
        self._write_paused = True
        self._pause_reading()

    def resume_writing(self) -> None:
        self._write_paused = False
        self._last_read = self._loop.time()
        self._advance()  # the answers still queued, then reading again

    # -- answering in order ----------------------------------------------------------------

    def _enqueue(self, events: list[Request | ParseError | bytes]) -> None:
        if self._queue is None:
            self._queue = deque(events)
        else:
            self._queue.extend(events)

    def _advance(self) -> None:
        """Answer what is queued, in order, until a request has to wait."""
        transport = self._transport
        # A client that reads slower than it pipelines gets its answers as it reads them.
        while (
            self._queue
            and not self._busy
            and self._parked is None
            and not self._closing
            and not self._write_paused
        ):
            event = self._queue.popleft()  # type: ignore[union-attr]
            if isinstance(event, bytes):
                transport.write(event)  # type: ignore[union-attr]
            elif isinstance(event, ParseError):
                try:
                    self._registry.app.refused(event, self)
                except Exception:
                    log.exception("Unexpected error logging a refused request")
                self._write(refusal_response(event), head_only=False, close=True)
            else:
                self._dispatch(event)
        if not self._queue:
            self._queue = None
        if (
            transport is None
            or self._closing
            or self._busy
            or self._parked is not None
            or self._queue
            or self._write_paused
        ):
            return
        if self._eof or self._parser.done:
            # Nothing more will be read: everything is answered, so close.
            if self._parser.done and not self._eof:
                self._close_after_write()
            else:
                transport.close()
            return
        self._resume_reading()

    def _pause_reading(self) -> None:
        if not self._read_paused and self._transport is not None:
            self._read_paused = True
            self._transport.pause_reading()

    def _resume_reading(self) -> None:
        if self._read_paused and self._transport is not None:
            self._read_paused = False
            self._transport.resume_reading()

    def _dispatch(self, request: Request) -> None:
        try:
            answer = self._registry.app.handle(request, self)
        except Exception:
            # Method and path only: parameters and headers may hold secrets.
            log.exception(
                "Unexpected error answering %s %s", request.method[:16], request.path[:200]
            )
            answer = _SERVER_ERROR
        if isinstance(answer, Response):
            self._answer(request, answer)
            return
        # Work that waits (the pool, a commit): pipelined requests wait behind it, and
        # reading pauses if more input comes meanwhile (see ``data_received``).
        if not self._registry.acquire_slot(self):
            self._parked = request
            self._pause_reading()
            self._pending = answer
            return
        self._start(request, answer)

    def unpark(self) -> None:
        """This connection's address has a pool slot free again: run the parked request."""
        request, self._parked = self._parked, None
        if request is None or self._transport is None:
            return
        if not self._registry.acquire_slot(self):  # pragma: no cover - slot was just freed
            self._parked = request
            return
        self._start(request, self._pending)

    def _start(self, request: Request, awaitable: Awaitable[Response]) -> None:
        self._busy = True
        self._pending = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        try:
            task = asyncio.ensure_future(awaitable)
        except TypeError:
            log.error("The application returned neither a Response nor an awaitable")
            self._registry.release_slot(self.remote)
            self._busy = False
            self._answer(request, _SERVER_ERROR)
            return
        self._task = task
        task.add_done_callback(lambda done: self._finished(request, done))

    def _finished(self, request: Request, task: asyncio.Future[Response]) -> None:
        self._task = None
        self._busy = False
        self._registry.release_slot(self.remote)
        if self._transport is None or task.cancelled():
            return
        exc = task.exception()
        answer = task.result() if exc is None else None
        if not isinstance(answer, Response):
            if exc is not None:
                log.error(
                    "Unexpected error answering %s %s",
                    request.method[:16],
                    request.path[:200],
                    exc_info=exc,
                )
            answer = _SERVER_ERROR
        self._answer(request, answer)
        self._advance()

    def _answer(self, request: Request, answer: Response) -> None:
        close = answer.close or not request.keep_alive or self._registry.stopping
        self._write(answer, head_only=request.method == "HEAD", close=close)
        if not close:
            # The next request's clocks start now. A timer still armed stays: when it
            # fires it re-arms itself for what is left (no timer churn per request).
            self._wait_start = self._last_read = self._loop.time()
            if self._timer is None:
                self._arm_timer(self._registry.limits.idle_timeout)

    def _write(self, answer: Response, *, head_only: bool, close: bool) -> None:
        transport = self._transport
        if transport is None:
            return
        transport.write(serialise(answer, head_only=head_only, close=close))
        if close:
            self._close_after_write()

    # -- timers and closing --------------------------------------------------------------------

    def _arm_timer(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        """Close a connection silent for ``idle_timeout``, or whose request is overdue.

        Reads only record their time; this timer re-arms itself for whatever is
        left, so a busy connection costs no timer churn per read.
        """
        self._timer = None
        if self._transport is None or self._busy or self._parked is not None:
            return
        limits = self._registry.limits
        now = self._loop.time()
        due = min(
            self._last_read + limits.idle_timeout,
            self._wait_start + limits.idle_timeout + limits.request_deadline,
        )
        if now >= due:
            if self._closing:
                self._transport.abort()
            else:
                self._transport.close()
            return
        self._arm_timer(due - now)

    def _close_after_write(self) -> None:
        """Send what is buffered, then FIN; keep reading (and dropping) briefly, then close."""
        transport = self._transport
        if transport is None or self._closing:
            return
        self._closing = True
        self._queue = None
        if transport.can_write_eof():
            transport.write_eof()
        else:  # pragma: no cover - TCP transports can
            transport.close()
            return
        self._resume_reading()
        self._last_read = self._wait_start = self._loop.time()
        linger = self._registry.limits.linger
        self._arm_timer_absolute(linger)

    def _arm_timer_absolute(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_later(delay, self._abort)

    def _abort(self) -> None:
        self._timer = None
        if self._transport is not None:
            self._transport.abort()

    def shut(self) -> None:
        """The server stops: drop this connection now, whatever it is doing."""
        if self._transport is not None:
            self._transport.abort()
