"""HTTP/1.1 without sockets: limits, the request head, bodies, form and Basic decoding, answers.

Everything here works on bytes and strings, so the connection handling (the
socket and its threads, ``store.endpoint.server``) can be replaced without
touching how a request is read (RFC 9112; RFC 6749 §2.3.1, §3.2, Appendix B).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from authclients.store.oauth.errors import (
    HeaderTooLarge,
    InvalidClient,
    InvalidRequest,
    OAuthError,
    PayloadTooLarge,
)
from authclients.store.oauth.requests import ClientCredentials

MAX_BODY = 64 * 1024
"""Bodies above this are refused with 413 (a token request is a few hundred bytes)."""
DRAIN_MAX = 1024 * 1024
"""An oversized body up to this size is read and dropped, so the client sees its 413."""
MAX_LINE = 8192
"""Longest request line; longer is 414."""
PARAM_MAX = 4096
"""Longest parameter value of any kind; each field has its own tighter limit too."""
MAX_FIELDS = 64
MAX_HEADERS = 100

FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
"""RFC 6749 §5.1: token responses (and, here, every response) are never cached."""
PAGE_HEADERS = (
    *NO_STORE,
    ("X-Frame-Options", "DENY"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("Referrer-Policy", "no-referrer"),
)
"""RFC 6749 §10.13: the consent page refuses to be framed (clickjacking)."""

_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PARAM_NAME = re.compile(r"^[A-Za-z0-9_.\-\[\]]{1,40}$")
_HTTP_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""RFC 9110 §5.6.2: a token, such as a method or a field name."""


# -- the request head -----------------------------------------------------------------


class Headers:
    """Request header fields by case-insensitive name, in arrival order.

    ``http.client.parse_headers`` builds an ``email.message.Message``: 140 µs a
    request in the profile, a third of a whole token request. This is all the
    endpoint needs of it.
    """

    __slots__ = ("_fields",)

    def __init__(self) -> None:
        self._fields: dict[str, list[str]] = {}

    def add(self, name: str, value: str) -> None:
        self._fields.setdefault(name.lower(), []).append(value)

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self._fields.get(name.lower())
        return values[0] if values else default

    def get_all(self, name: str, failobj: list[str] | None = None) -> list[str] | None:
        values = self._fields.get(name.lower())
        return list(values) if values else failobj

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._fields


class MalformedRequest(Exception):
    """The request head cannot be read for sure: answered with a fixed sentence, then closed.

    Attributes:
        status: the HTTP status that describes the fault (400, 431, 505).
    """

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status

    def answer(self) -> tuple[OAuthError, int]:
        """The JSON error and the status sent for it.

        Only a fixed sentence per status: a message echoing the request line
        could carry a query with secrets.
        """
        if self.status == HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE:
            return HeaderTooLarge("A header is too long, or there are too many."), self.status
        if self.status == HTTPStatus.HTTP_VERSION_NOT_SUPPORTED:
            return InvalidRequest("Only HTTP/1.0 and HTTP/1.1 are spoken here."), 400
        return InvalidRequest("Malformed HTTP request."), 400 if self.status >= 500 else self.status


@dataclass(frozen=True)
class RequestLine:
    """The method, the target as sent (with its query) and the HTTP version."""

    method: str
    target: str
    version: str


def parse_request_line(raw: bytes) -> RequestLine:
    """The request line (RFC 9112 §3), strictly; ``MalformedRequest`` otherwise."""
    line = str(raw, "iso-8859-1").rstrip("\r\n")
    words = line.split(" ")
    if len(words) != 3 or not words[0] or not words[1]:
        raise MalformedRequest(400)
    method, target, version = words
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise MalformedRequest(505 if version.startswith("HTTP/") else 400)
    if not _HTTP_TOKEN.fullmatch(method):
        raise MalformedRequest(400)
    # As http.server does (gh-87389): "//host" is not a path we serve.
    target = "/" + target.lstrip("/") if target.startswith("//") else target
    return RequestLine(method, target, version)


def read_headers(readline: Callable[[int], bytes]) -> Headers | None:
    """The header fields (RFC 9112 §5) up to the empty line; None if the client hung up.

    Anything that cannot be read for sure is ``MalformedRequest``, so a request
    can never be smuggled past a proxy that reads it differently.
    """
    headers = Headers()
    for _ in range(MAX_HEADERS + 1):
        line = readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise MalformedRequest(431)
        if line in (b"\r\n", b"\n"):
            return headers
        if not line:
            return None  # the client hung up half-way
        text = line.decode("iso-8859-1").rstrip("\r\n")
        name, colon, value = text.partition(":")
        if not colon or not _HTTP_TOKEN.fullmatch(name):
            # Also refuses obs-fold (a line starting with a space), RFC 9112 §5.2.
            raise MalformedRequest(400)
        headers.add(name, value.strip(" \t"))
    raise MalformedRequest(431)


def keeps_alive(headers: Headers, version: str) -> bool:
    """Does the connection stay open after this request (RFC 9112 §9.3)?"""
    connection = {t.strip().lower() for t in (headers.get("Connection") or "").split(",")}
    if "close" in connection:
        return False
    return version == "HTTP/1.1" or "keep-alive" in connection


def wants_continue(headers: Headers, version: str) -> bool:
    """Is the client waiting for ``100 Continue`` before it sends the body?"""
    return (headers.get("Expect") or "").lower() == "100-continue" and version == "HTTP/1.1"


def split_target(target: str) -> tuple[str, str]:
    """The path and the query of a request target (origin- or absolute-form)."""
    if target.startswith("/"):
        path, _, query = target.partition("?")
    else:
        # absolute-form (RFC 9112 §3.2.2), as a proxy would send it.
        parts = urlsplit(target)
        path, query = parts.path or "/", parts.query
    return path.partition("#")[0], query


# -- the body -------------------------------------------------------------------------


def body_length(headers: Headers) -> int:
    """The body's declared length from ``Content-Length``; 0 without one.

    Chunked bodies and broken lengths are ``InvalidRequest`` (the connection
    is closed after them). The size is not checked here: see ``too_large``.
    """
    if headers.get("Transfer-Encoding") is not None:
        raise InvalidRequest("Chunked request bodies are not accepted; send Content-Length.")
    lengths = headers.get_all("Content-Length") or []
    if not lengths:
        return 0
    raw = lengths[0].strip()
    if len(lengths) > 1 or not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        raise InvalidRequest("Invalid Content-Length.")
    return int(raw)


def too_large(size: int) -> PayloadTooLarge | None:
    """The 413 for a body of ``size`` bytes, or None if it is accepted.

    Up to ``DRAIN_MAX`` the caller reads and drops the body first, so the
    client sees the answer instead of a reset.
    """
    if size <= MAX_BODY:
        return None
    return PayloadTooLarge(f"The body is {size} bytes; at most {MAX_BODY} are accepted.")


def form_params(query: str, headers: Headers, body: bytes) -> dict[str, str]:
    """The parameters of a POST to an OAuth endpoint: form body only (RFC 6749 §3.2)."""
    if query:
        raise InvalidRequest(
            "Parameters (and above all credentials) go in the request body, never in "
            "the URL query (RFC 6749 section 3.2); the query string is refused."
        )
    types = headers.get_all("Content-Type") or []
    media, _, extra = (types[0] if len(types) == 1 else "").partition(";")
    if media.strip().lower() != FORM:
        raise InvalidRequest(f"Send the parameters as {FORM} (RFC 6749 section 3.2).")
    charset = extra.strip().lower()
    if charset and charset.replace(" ", "") not in ("charset=utf-8", "charset=us-ascii"):
        raise InvalidRequest("Only the UTF-8 charset is accepted.")
    return parse_form(body)


def parse_form(data: bytes | str, *, where: str = "body") -> dict[str, str]:
    """application/x-www-form-urlencoded into a dict (RFC 6749 Appendix B).

    Refuses broken encodings, repeated parameters (RFC 6749 §3.1), NUL
    characters and absurd lengths; a parameter without a value counts as
    omitted (RFC 6749 §3.1).
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            raise InvalidRequest(
                f"The {where} has raw non-ASCII bytes; percent-encode them as UTF-8."
            ) from None
    else:
        text = data
    if _BAD_PERCENT.search(text):
        raise InvalidRequest(f"The {where} has a broken percent-encoding (% not followed by hex).")
    try:
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=bool(text),
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except UnicodeDecodeError:
        raise InvalidRequest(f"A parameter of the {where} is not valid UTF-8.") from None
    except ValueError:
        raise InvalidRequest(
            f"The {where} is not valid form encoding (name=value pairs joined by &, "
            f"at most {MAX_FIELDS})."
        ) from None
    params: dict[str, str] = {}
    for name, value in pairs:
        label = name if _PARAM_NAME.match(name) else "a parameter"
        if len(value) > PARAM_MAX or len(name) > 100:
            raise InvalidRequest(f"The {label} parameter is too long.")
        if "\x00" in value or "\x00" in name:
            raise InvalidRequest(f"The {label} parameter contains a NUL character.")
        if not value:
            continue
        if name in params:
            raise InvalidRequest(
                f"The {label} parameter is given more than once (RFC 6749 section 3.1)."
            )
        params[name] = value
    return params


def safe_client_id(value: object) -> str | None:
    """A client id fit for the request log: digits only, else nothing."""
    text = str(value) if value is not None else ""
    return text if text.isascii() and text.isdigit() and len(text) <= 18 else None


# -- client credentials -----------------------------------------------------------------


def client_credentials(authorization: list[str], params: Mapping[str, str]) -> ClientCredentials:
    """HTTP Basic or body credentials, not both (RFC 6749 §2.3.1).

    Basic's id and secret are form-urlencoded before base64, as §2.3.1 says.
    A ``client_id`` in the body beside Basic is allowed when it is the same.
    """
    body_id = params.get("client_id")
    body_secret = params.get("client_secret")
    if len(authorization) > 1:
        raise InvalidRequest("The Authorization header is given more than once.")
    if authorization:
        scheme, _, value = authorization[0].strip().partition(" ")
        if scheme.lower() != "basic":
            raise InvalidClient("Authenticate the client with HTTP Basic (or in the body).")
        client_id, secret = _decode_basic(value.strip())
        if body_secret is not None:
            raise InvalidRequest(
                "Client credentials given twice (Authorization header and body); use one "
                "(RFC 6749 section 2.3.1)."
            )
        if body_id is not None and body_id != client_id:
            raise InvalidRequest("client_id in the body differs from the Authorization header.")
        return ClientCredentials(client_id, secret or None, "client_secret_basic")
    if body_secret is not None:
        return ClientCredentials(body_id, body_secret, "client_secret_post")
    return ClientCredentials(body_id, None, "none")


def _decode_basic(value: str) -> tuple[str, str]:
    if not value or len(value) > 2048:
        raise InvalidClient("Malformed HTTP Basic credentials.")
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
        raw_id, sep, raw_secret = decoded.partition(":")
        if not sep:
            raise ValueError("no colon")
        client_id = unquote_plus(raw_id, errors="strict")
        secret = unquote_plus(raw_secret, errors="strict")
    except (binascii.Error, ValueError):
        raise InvalidClient("Malformed HTTP Basic credentials.") from None
    if "\x00" in client_id or "\x00" in secret:
        raise InvalidClient("Malformed HTTP Basic credentials.")
    return client_id, secret


# -- answers ------------------------------------------------------------------------------

_date_cache: tuple[int, str] = (0, "")


def http_date() -> str:
    """The Date header, formatted once a second (it shows up in profiles otherwise)."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


def render_head(
    status: int,
    content_type: str | None,
    length: int,
    headers: Iterable[tuple[str, str]],
    *,
    close: bool,
) -> bytes:
    """The status line and header fields of an answer, ready to go out with its body."""
    lines = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        f"Date: {http_date()}",
        "Server: authclients",
        "X-Content-Type-Options: nosniff",
    ]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    lines.append(f"Content-Length: {length}")
    lines.extend(f"{name}: {value}" for name, value in headers)
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")


# -- one exchange, without the connection ------------------------------------------------


@dataclass
class Request:
    """A request whose head and body were read: what the routes see.

    Attributes:
        client_id: the client named by the request, for the request log; the
            routes fill it in once they know it (never from a failed parse).
        source: the TCP peer's address (the transport fills it in).
        address: the client's address: ``source``, or what a trusted proxy says it
            forwarded (``store.endpoint.proxies``); the router fills it in.
    """

    method: str
    path: str
    query: str
    headers: Headers
    body: bytes
    client_id: str | None = None
    source: str = ""
    """The peer's address; empty when unknown."""
    address: str | None = None
    """The client's address, for the per-address limits and caps and the request log."""


@dataclass(frozen=True)
class Response:
    """An answer: status, body, its media type and extra header fields.

    Attributes:
        close: the connection must be closed after it (the request left it unusable).
    """

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    close: bool = False


def json_response(
    status: int, body: object, headers: Iterable[tuple[str, str]] = (), *, close: bool = False
) -> Response:
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return Response(status, data, JSON_TYPE, (*NO_STORE, *headers), close)


def error_response(
    error: OAuthError, *, status: int | None = None, close: bool = False
) -> Response:
    """The RFC 6749 §5.2 JSON answer of ``error``."""
    return json_response(status or error.status, error.body(), error.headers.items(), close=close)


def page_response(status: int, html: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
    return Response(status, html.encode("utf-8"), HTML_TYPE, (*PAGE_HEADERS, *headers))


def redirect_response(location: str) -> Response:
    return Response(302, b"", None, (("Location", location), *PAGE_HEADERS))
