"""The endpoint as the transport's ``Application``: where each route runs, and the request log.

The transport (``store.endpoint.transport``) calls ``handle`` on its event
loop. A route that takes microseconds runs right there: the metadata
document, and on SQLite the client_credentials grant (one indexed read, then
its token queued to the group committer) and the hot-path reads of
introspection and ``users/me``. Everything that may block runs on the bounded
pool: bcrypt (password grant, sign-in) and every database call on PostgreSQL,
whose driver blocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import UTC, datetime

import peewee as pw

from authclients.store.endpoint.connection import RequestContext
from authclients.store.endpoint.foreground import ForegroundGate
from authclients.store.endpoint.http import request_form
from authclients.store.endpoint.http11 import ParseError, Request
from authclients.store.endpoint.request_log import LoggedRequest, RequestLog
from authclients.store.endpoint.responses import Response
from authclients.store.endpoint.routes import Router
from authclients.store.hot_path import deferring_commits
from authclients.store.oauth.errors import OAuthError
from authclients.store.service import Store

_READS = frozenset({"/oauth/introspect", "/api/1.0/users/me"})
"""Routes answered by one indexed read on the hot path (``store.hot_path``)."""
_NO_DATABASE = frozenset({"/.well-known/oauth-authorization-server"})


class EndpointApplication:
    """Routes requests to the loop or the pool, and logs every answer before it is written.

    Attributes:
        router: the routes, from request to answer.
        request_log: the latest requests, for the console.
        reads_on_loop: SQLite reads run on the loop (they take microseconds);
            False on PostgreSQL, whose every call blocks.
        foreground: the console's UI marks itself busy here while it answers a
            key; each request waits until it is idle again (``serve`` never marks it).
    """

    def __init__(self, router: Router, request_log: RequestLog, store: Store) -> None:
        self.router = router
        self.request_log = request_log
        self.store = store
        self.reads_on_loop = isinstance(store.db, pw.SqliteDatabase)
        self.foreground = ForegroundGate()

    # -- the transport's Application interface ---------------------------------------------

    def handle(self, request: Request, context: RequestContext) -> Response | Awaitable[Response]:
        """The answer now (fast routes, on the loop), or an awaitable of it (pool work)."""
        started = time.perf_counter()
        # The console's UI shares our GIL: while it answers a key, wait (GIL released).
        self.foreground.wait()
        request.source = context.remote
        if not self._runs_on_loop(request):
            return self._on_pool(request, context, started)
        with deferring_commits() as pending:
            response = self.router.handle(request)
        if len(pending) == 1 and isinstance(pending[0], asyncio.Future):
            return self._after_commit(request, response, pending[0], started)
        if pending:
            return self._after_commits(request, response, pending, started)
        return self._logged(request, response, started)

    def refused(self, error: ParseError, context: RequestContext) -> None:
        """The parser refused a request: logged without method or path (they may hold secrets)."""
        self.request_log.add(
            LoggedRequest(
                time=datetime.now(UTC),
                method="-",
                path="-",
                status=error.status,
                duration_ms=0.0,
                client_id=None,
                address=context.remote or None,
            )
        )

    # -- where a request runs ------------------------------------------------------------

    def _runs_on_loop(self, request: Request) -> bool:
        path = request.path
        if path in _NO_DATABASE:
            return True
        if not self.reads_on_loop:
            return False
        if path in _READS:
            return True
        if path != "/oauth/token" or request.method != "POST":
            return False
        # Only client_credentials: every other grant blocks (bcrypt, or several writes).
        # The form is parsed exactly as the route parses it, so no crafted body can run
        # another grant here; a body that does not parse is refused just as fast.
        try:
            params = request_form(request)
        except OAuthError:
            return True
        return params.get("grant_type") == "client_credentials"

    async def _on_pool(self, request: Request, context: RequestContext, started: float) -> Response:
        response = await context.run_blocking(self.router.handle, request)
        return self._logged(request, response, started)

    def _after_commit(
        self,
        request: Request,
        response: Response,
        commit: asyncio.Future[int],
        started: float,
    ) -> asyncio.Future[Response]:
        """The answer once the group committer has committed its one token.

        A future chained by a callback, not a coroutine awaiting ``gather``: the
        common case (one token) then costs no Task and no gathering future on the
        loop. Cancelling the answer (its client went away) leaves the commit alone,
        as a queued token is committed with its batch anyway.
        """
        answer: asyncio.Future[Response] = commit.get_loop().create_future()

        def committed(done: asyncio.Future[int]) -> None:
            if answer.done():
                return  # cancelled: nobody waits for this answer
            if done.cancelled():
                answer.cancel()  # as an awaited cancelled future would end the Task
                return
            final = response
            if done.exception() is not None:
                final = self.router.failure(request, done.exception())  # type: ignore[arg-type]
            try:
                answer.set_result(self._logged(request, final, started))
            except Exception as exc:  # the transport answers a failed future with a 500
                answer.set_exception(exc)

        commit.add_done_callback(committed)
        return answer

    async def _after_commits(
        self,
        request: Request,
        response: Response,
        pending: list[Awaitable[int]],
        started: float,
    ) -> Response:
        """Hold the answer until the group committer has committed its token."""
        try:
            await asyncio.gather(*pending)
        except Exception as exc:
            response = self.router.failure(request, exc)
        return self._logged(request, response, started)

    def _logged(self, request: Request, response: Response, started: float) -> Response:
        # Logged before the transport writes it, so whoever has the answer finds its entry.
        self.request_log.add(
            LoggedRequest(
                time=datetime.now(UTC),
                method=request.method[:16],
                path=request.path[:200],
                status=response.status,
                duration_ms=(time.perf_counter() - started) * 1000.0,
                client_id=request.client_id,
                address=request.address or request.source or None,
            )
        )
        return response

    # -- the pool threads' database connections --------------------------------------------

    def close_pool_connections(self, pool: ThreadPoolExecutor, workers: int) -> None:
        """Close the database connection of every pool thread (Peewee's are per thread).

        One task per thread, held at a barrier so no thread takes two; a thread
        busy past the timeout closes its connection when its task gets to it.
        """
        barrier = threading.Barrier(workers)

        def close_here() -> None:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=0.3)
            self.store.close()

        try:
            futures = [pool.submit(close_here) for _ in range(workers)]
        except RuntimeError:
            return  # the pool is already shut down
        wait(futures, timeout=0.5)
