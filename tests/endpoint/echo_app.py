"""A tiny application for the event-loop transport's tests: echo, a token imitation, pool work.

It answers the HTTP-layer cases the way the real endpoint does (one Content-Type,
one Authorization, 404 and 405 as JSON) without any OAuth or database behind it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable
from typing import ClassVar
from urllib.parse import parse_qsl

from authclients.store.endpoint.connection import RequestContext
from authclients.store.endpoint.http11 import ParseError, Request
from authclients.store.endpoint.responses import Response, error_response, json_response

FORM = "application/x-www-form-urlencoded"


class EchoApp:
    """Routes: GET /echo, POST /oauth/token, GET /slow?s=SECONDS (on the pool), GET /boom."""

    ROUTES: ClassVar[dict[str, tuple[str, ...]]] = {
        "/echo": ("GET",),
        "/oauth/token": ("POST",),
        "/slow": ("GET",),
        "/boom": ("GET",),
        "/big": ("GET",),
    }

    def __init__(self) -> None:
        self.pool_threads: set[str] = set()
        """Names of the threads the blocking work ran on."""
        self.started = 0
        self.refusals: list[tuple[int, str]] = []
        """(status, remote address) of every request the parser refused."""

    def handle(self, request: Request, context: RequestContext) -> Response | Awaitable[Response]:
        self.started += 1
        methods = self.ROUTES.get(request.path)
        if methods is None:
            return error_response(404, "invalid_request", "No such endpoint here.")
        if request.route_method not in methods:
            return error_response(
                405, "invalid_request", "Method not allowed.", (("Allow", ", ".join(methods)),)
            )
        if request.path == "/echo":
            return json_response(
                200,
                {
                    "method": request.method,
                    "query": request.query,
                    "host": request.headers.get("Host"),
                },
            )
        if request.path == "/big":
            return Response(200, b"x" * 1_000_000, "text/plain")
        if request.path == "/boom":
            raise RuntimeError("a bug in the application")
        if request.path == "/slow":
            seconds = float(dict(parse_qsl(request.query)).get("s", "0.2"))
            return self._slow(context, seconds, request.query)
        return self._token(request)

    def refused(self, error: ParseError, context: RequestContext) -> None:
        self.refusals.append((error.status, context.remote))

    async def _slow(self, context: RequestContext, seconds: float, query: str) -> Response:
        def work() -> str:
            time.sleep(seconds)
            name = threading.current_thread().name
            self.pool_threads.add(name)
            return name

        thread = await context.run_blocking(work)
        return json_response(200, {"slept": seconds, "query": query, "thread": thread})

    def _token(self, request: Request) -> Response:
        if request.query:
            return error_response(400, "invalid_request", "The query string is refused.")
        types = request.headers.get_all("Content-Type") or []
        if len(types) != 1 or types[0].partition(";")[0].strip().lower() != FORM:
            return error_response(400, "invalid_request", f"Send the parameters as {FORM}.")
        if len(request.headers.get_all("Authorization") or []) > 1:
            return error_response(400, "invalid_request", "Authorization given more than once.")
        params = dict(parse_qsl(request.body.decode("ascii", "replace")))
        if params.get("grant_type") != "client_credentials":
            return error_response(400, "unsupported_grant_type", "Unknown grant type.")
        return json_response(200, {"token_type": "Bearer", "access_token": "t", "expires_in": 60})
