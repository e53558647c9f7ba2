"""Answers as values, and their serialisation into the one write that sends each of them."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus

from authclients.store.endpoint.http11 import ParseError

JSON_TYPE = "application/json"
NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
"""RFC 6749 §5.1: token responses (and, here, every response) are never cached."""


_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode
"""``json.dumps`` with these options builds a new encoder per call."""


@dataclass(frozen=True, slots=True)
class Response:
    """One answer, before it is serialised.

    Attributes:
        status: the HTTP status code.
        body: the body bytes (also measured for ``Content-Length`` when the request was HEAD).
        content_type: the ``Content-Type``, or None for an empty body.
        headers: further header fields, in order.
        close: close the connection after this answer.
    """

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    close: bool = False


def json_response(
    status: int, value: object, headers: Iterable[tuple[str, str]] = (), *, close: bool = False
) -> Response:
    """``value`` as compact ASCII JSON, never cached."""
    body = _JSON(value).encode("ascii")
    # The same tuple when nothing is added: ``serialise`` has its lines ready.
    extra = tuple(headers)
    return Response(status, body, JSON_TYPE, (*NO_STORE, *extra) if extra else NO_STORE, close)


def error_response(
    status: int,
    error: str,
    description: str,
    headers: Iterable[tuple[str, str]] = (),
    *,
    close: bool = False,
) -> Response:
    """An RFC 6749 §5.2 JSON error."""
    return json_response(
        status, {"error": error, "error_description": description}, headers, close=close
    )


def refusal_response(error: ParseError) -> Response:
    """The answer to a request the parser refused; the connection closes after it."""
    return Response(error.status, error.body, JSON_TYPE, NO_STORE, close=True)


_PHRASES = {status.value: status.phrase for status in HTTPStatus}
_NO_STORE_LINES = "\r\n".join(f"{name}: {value}" for name, value in NO_STORE)
_date_cache: tuple[int, str] = (0, "")


def http_date() -> str:
    """The Date header, formatted once a second (it shows up in profiles otherwise)."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


def serialise(response: Response, *, head_only: bool = False, close: bool = False) -> bytes:
    """Status line, headers and body as one bytes object: one ``transport.write`` each.

    Args:
        response: the answer.
        head_only: the request was HEAD: the same headers, ``Content-Length``
            included, and no body (RFC 9110 §9.3.2).
        close: add ``Connection: close`` (the connection ends after this answer).
    """
    status = response.status
    lines = [
        f"HTTP/1.1 {status} {_PHRASES.get(status, 'Unknown')}\r\n"
        f"Date: {http_date()}\r\nServer: authclients\r\nX-Content-Type-Options: nosniff"
    ]
    if response.content_type:
        lines.append(f"Content-Type: {response.content_type}")
    lines.append(f"Content-Length: {len(response.body)}")
    headers = response.headers
    if headers is NO_STORE:
        lines.append(_NO_STORE_LINES)
    elif headers:
        lines.extend([f"{name}: {value}" for name, value in headers])
    if close:
        lines.append("Connection: close")
    lines.append("\r\n")
    head = "\r\n".join(lines).encode("latin-1", "replace")
    return head if head_only else head + response.body
