"""The embedded OAuth 2.0 endpoint over HTTP/1.1: it parses, dispatches and serialises.

Every decision is made by ``store.authorization_server``; this module turns
bytes into parameters and answers into bytes, hardened against hostile input
(RFC 6749 §3.2, §5.2; RFC 6750 §3; RFC 7009; RFC 7662; RFC 8414).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import json
import logging
import re
import signal
import socket
import socketserver
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, TYPE_CHECKING, ClassVar
from urllib.parse import parse_qsl, unquote_plus, urlsplit

import peewee as pw

from authclients.store import authorize_pages
from authclients.store.authorization_server import (
    AuthorizationServer,
    AuthorizeError,
    AuthorizeRedirectError,
    ClientCredentials,
)
from authclients.store.browser_sessions import COOKIE_NAME, BrowserSession, BrowserSessions
from authclients.store.oauth_errors import (
    HeaderTooLarge,
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    InvalidToken,
    MethodNotAllowed,
    NotFoundError,
    OAuthError,
    PayloadTooLarge,
    ServerError,
    SlowDown,
    TemporarilyUnavailable,
)

if TYPE_CHECKING:
    from authclients.store.service import Store

log = logging.getLogger("authclients.endpoint")

MAX_BODY = 64 * 1024
"""Bodies above this are refused with 413 (a token request is a few hundred bytes)."""
DRAIN_MAX = 1024 * 1024
"""An oversized body up to this size is read and dropped, so the client sees its 413."""
MAX_LINE = 8192
"""Longest request line; longer is 414."""
PARAM_MAX = 4096
"""Longest parameter value of any kind; each field has its own tighter limit too."""
MAX_FIELDS = 64
CONNECTION_TIMEOUT = 10.0
"""Seconds a connection may stay silent (idle keep-alive or a slow client) before we drop it."""
REQUEST_DEADLINE = 20.0
"""Seconds a request's line, headers and body may take once the connection's idle time is
over: each read has the idle timeout, and this bounds a client that dribbles a byte at a time."""
LOG_SIZE = 1000
MAX_CONNECTIONS = 256
"""Open connections served at once (a thread each); more are answered 503 and closed."""
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Retry-After: 1\r\nConnection: close\r\nContent-Length: 91\r\n\r\n"
    b'{"error":"temporarily_unavailable","error_description":"Too many connections; retry soon."}'
)

FORM = "application/x-www-form-urlencoded"
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PARAM_NAME = re.compile(r"^[A-Za-z0-9_.\-\[\]]{1,40}$")
_B64TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
"""RFC 6750 §2.1: b64token."""

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


# -- the request log -------------------------------------------------------------


@dataclass(frozen=True)
class LoggedRequest:
    """One answered request, as the console shows it; never a query string or a secret."""

    time: datetime
    method: str
    path: str
    status: int
    duration_ms: float
    client_id: str | None


class RequestLog:
    """A bounded, thread-safe buffer of the latest requests, optionally also written to a file."""

    def __init__(self, maxlen: int = LOG_SIZE, log_file: str | None = None) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self._path = log_file
        self._file: IO[str] | None = None
        self._total = 0

    def add(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)
            self._total += 1
            if self._file is not None:
                self._file.write(_format_entry(entry))
                self._file.flush()

    def entries(self) -> list[LoggedRequest]:
        """The buffered requests, oldest first (a copy)."""
        with self._lock:
            return list(self._entries)

    @property
    def total(self) -> int:
        """Requests logged since start, including those the buffer has dropped."""
        return self._total

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def open_file(self) -> None:
        if self._path and self._file is None:
            self._file = open(self._path, "a", encoding="utf-8")  # noqa: SIM115

    def close_file(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def _format_entry(entry: LoggedRequest) -> str:
    return (
        f"{entry.time.isoformat(timespec='milliseconds')} {entry.method} {entry.path} "
        f"{entry.status} {entry.duration_ms:.1f}ms client={entry.client_id or '-'}\n"
    )


# -- parsing helpers ---------------------------------------------------------------


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
            raise InvalidRequest(f"The {label} parameter is given more than once (RFC 6749 §3.1).")
        params[name] = value
    return params


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
                "(RFC 6749 §2.3.1)."
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


_date_cache: tuple[int, str] = (0, "")


def _transient(exc: Exception) -> bool:
    """Worth a retry: SQLite busy or locked; PostgreSQL connections refused or dropped.

    SQLite also reports lasting faults (no such table, read-only file, disk I/O)
    as OperationalError; those stay 500s rather than invite endless retries.
    """
    if isinstance(exc, pw.InterfaceError):
        return True  # a connection that died under us (peewee's rollback says so)
    text = str(exc).lower()
    lasting = ("no such", "readonly", "read-only", "disk i/o", "malformed", "syntax error")
    return not any(word in text for word in lasting)


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def _http_date() -> str:
    """The Date header, formatted once a second (it shows up in profiles otherwise)."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


def _safe_client_id(value: object) -> str | None:
    text = str(value) if value is not None else ""
    return text if text.isascii() and text.isdigit() and len(text) <= 18 else None


# -- the HTTP layer ----------------------------------------------------------------


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


MAX_HEADERS = 100
_HTTP_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""RFC 9110 §5.6.2: a token, such as a method or a field name."""


class _Handler(BaseHTTPRequestHandler):
    """One keep-alive connection: requests are read, routed and answered in this thread."""

    protocol_version = "HTTP/1.1"
    server_version = "authclients"
    sys_version = ""
    timeout = CONNECTION_TIMEOUT
    # Answers go out in one write, and Nagle is off: no 40 ms delayed-ACK stalls.
    disable_nagle_algorithm = True
    server: _Server

    ROUTES: ClassVar[dict[str, dict[str, str]]] = {
        "/oauth/token": {"POST": "_token"},
        "/oauth/authorize": {"GET": "_authorize_get", "POST": "_authorize_post"},
        "/oauth/revoke": {"POST": "_revoke"},
        "/oauth/introspect": {"POST": "_introspect"},
        "/.well-known/oauth-authorization-server": {"GET": "_metadata"},
        "/api/1.0/users/me": {"GET": "_users_me"},
    }

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
                self._send_error(HeaderTooLarge("The request line is too long."), status=414)
                return
            if not self.parse_request():
                return
            self._log_method = (self.command or "-")[:16]
            self._dispatch()
        except TimeoutError:
            self.close_connection = True

    def parse_request(self) -> bool:
        """The request line and header fields (RFC 9112 §3, §5), strictly.

        Replaces ``http.server``'s parser (see ``Headers``); anything it cannot
        read for sure is a 400 and the connection is closed, so a request can
        never be smuggled past a proxy that reads it differently.
        """
        self.command = None
        self.request_version = "HTTP/0.9"
        self.close_connection = True
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = self.requestline.split(" ")
        if len(words) != 3 or not words[0] or not words[1]:
            self.send_error(400)
            return False
        command, path, version = words
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            self.send_error(505 if version.startswith("HTTP/") else 400)
            return False
        if not _HTTP_TOKEN.fullmatch(command):
            self.send_error(400)
            return False
        self.command, self.request_version = command, version
        # As http.server does (gh-87389): "//host" is not a path we serve.
        self.path = "/" + path.lstrip("/") if path.startswith("//") else path
        headers = Headers()
        for _ in range(MAX_HEADERS + 1):
            line = self.rfile.readline(MAX_LINE + 1)
            if len(line) > MAX_LINE:
                self.send_error(431)
                return False
            if line in (b"\r\n", b"\n"):
                break
            if not line:
                return False  # the client hung up half-way
            text = line.decode("iso-8859-1").rstrip("\r\n")
            name, colon, value = text.partition(":")
            if not colon or not _HTTP_TOKEN.fullmatch(name):
                # Also refuses obs-fold (a line starting with a space), RFC 9112 §5.2.
                self.send_error(400)
                return False
            headers.add(name, value.strip(" \t"))
        else:
            self.send_error(431)
            return False
        self.headers = headers  # type: ignore[assignment]
        connection = {t.strip().lower() for t in (headers.get("Connection") or "").split(",")}
        if "close" in connection:
            self.close_connection = True
        elif version == "HTTP/1.1" or "keep-alive" in connection:
            self.close_connection = False
        expect = (headers.get("Expect") or "").lower()
        if expect == "100-continue" and version == "HTTP/1.1":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What ``parse_request`` calls on a malformed request: a JSON error, never HTML.

        Its own messages can echo the request line (a query with secrets), so
        only a fixed sentence per status is sent.
        """
        self.close_connection = True
        if code == HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE:
            error: OAuthError = HeaderTooLarge("A header is too long, or there are too many.")
        elif code == HTTPStatus.HTTP_VERSION_NOT_SUPPORTED:
            error = InvalidRequest("Only HTTP/1.0 and HTTP/1.1 are spoken here.")
            code = 400
        else:
            error = InvalidRequest("Malformed HTTP request.")
            code = 400 if code >= 500 else code
        self._send_error(error, status=code)

    def log_message(self, format: str, *args: object) -> None:
        """Silence ``http.server``'s stderr lines: the request log records every request."""

    # -- routing -----------------------------------------------------------------------

    def _dispatch(self) -> None:
        target = self.path
        if target.startswith("/"):
            path, _, query = target.partition("?")
        else:
            # absolute-form (RFC 9112 §3.2.2), as a proxy would send it.
            parts = urlsplit(target)
            path, query = parts.path or "/", parts.query
        path = path.partition("#")[0]
        self._log_path = path[:200]
        try:
            body = self._read_body()
            self.server.watch(self.connection, None)
            route = self.ROUTES.get(path)
            if route is None:
                raise NotFoundError(
                    "No such endpoint here; see /.well-known/oauth-authorization-server."
                )
            name = route.get(self.command)
            if name is None:
                raise MethodNotAllowed(self.command, list(route))
            getattr(self, name)(query, body)
        except OAuthError as exc:
            self._send_error(exc)
        except OSError:
            self.close_connection = True
        except (pw.OperationalError, pw.InterfaceError) as exc:
            if not _transient(exc):
                log.exception("Database error answering %s %s", self._log_method, self._log_path)
                self.close_connection = True
                self._send_error(ServerError("The server failed unexpectedly; it has been logged."))
                return
            # The database said no for now (PostgreSQL out of connections or restarting,
            # SQLite locked past its busy timeout); the transaction was rolled back, so
            # the client may simply retry. Driver messages about connections carry no
            # request parameters.
            log.warning(
                "Database unavailable answering %s %s: %s",
                self._log_method,
                self._log_path,
                _first_line(exc),
            )
            self.close_connection = True
            self._send_error(
                TemporarilyUnavailable(
                    "The database is busy or unreachable; retry soon.",
                    headers={"Retry-After": "1"},
                )
            )
        except Exception:
            # Method and path only: parameters and headers may hold secrets.
            log.exception("Unexpected error answering %s %s", self._log_method, self._log_path)
            self.close_connection = True
            self._send_error(ServerError("The server failed unexpectedly; it has been logged."))

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding") is not None:
            self.close_connection = True
            raise InvalidRequest("Chunked request bodies are not accepted; send Content-Length.")
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            return b""
        raw = lengths[0].strip()
        if len(lengths) > 1 or not raw.isascii() or not raw.isdigit() or len(raw) > 19:
            self.close_connection = True
            raise InvalidRequest("Invalid Content-Length.")
        size = int(raw)
        if size > MAX_BODY:
            self.close_connection = True
            if size <= DRAIN_MAX:
                self._read_exactly(size)
            raise PayloadTooLarge(f"The body is {size} bytes; at most {MAX_BODY} are accepted.")
        return self._read_exactly(size)

    def _read_exactly(self, size: int) -> bytes:
        chunks: list[bytes] = []
        remaining = size
        while remaining > 0:
            chunk = self.rfile.read1(min(remaining, 65536))
            if not chunk:
                self.close_connection = True
                raise InvalidRequest("The body is shorter than its Content-Length.")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    # -- shared request checks ---------------------------------------------------------

    def _form(self, query: str, body: bytes) -> dict[str, str]:
        """The parameters of a POST to an OAuth endpoint: form body only."""
        if query:
            raise InvalidRequest(
                "Parameters (and above all credentials) go in the request body, never in "
                "the URL query (RFC 6749 §3.2); the query string is refused."
            )
        types = self.headers.get_all("Content-Type") or []
        media, _, extra = (types[0] if len(types) == 1 else "").partition(";")
        if media.strip().lower() != FORM:
            raise InvalidRequest(f"Send the parameters as {FORM} (RFC 6749 §3.2).")
        charset = extra.strip().lower()
        if charset and charset.replace(" ", "") not in ("charset=utf-8", "charset=us-ascii"):
            raise InvalidRequest("Only the UTF-8 charset is accepted.")
        return parse_form(body)

    def _credentials(self, params: Mapping[str, str]) -> ClientCredentials:
        credentials = client_credentials(self.headers.get_all("Authorization") or [], params)
        self._log_client = _safe_client_id(credentials.client_id)
        return credentials

    # -- the OAuth routes ---------------------------------------------------------------

    def _token(self, query: str, body: bytes) -> None:
        params = self._form(query, body)
        credentials = self._credentials(params)
        issued = self.server.endpoint.authorization.token(params, credentials)
        self._send_json(200, issued.response())

    def _revoke(self, query: str, body: bytes) -> None:
        params = self._form(query, body)
        self.server.endpoint.authorization.revoke(params, self._credentials(params))
        self._respond(200, b"", None, NO_STORE)

    def _introspect(self, query: str, body: bytes) -> None:
        params = self._form(query, body)
        _client, claims = self.server.endpoint.authorization.introspect(
            params, self._credentials(params)
        )
        self._send_json(200, claims)

    def _metadata(self, query: str, body: bytes) -> None:
        endpoint = self.server.endpoint
        self._send_json(200, endpoint.authorization.metadata(endpoint.url))

    def _users_me(self, query: str, body: bytes) -> None:
        if query and "access_token" in parse_form(query, where="query"):
            raise InvalidRequest(
                "Send the access token in the Authorization header (RFC 6750 §2.1); "
                "tokens in the URL are refused."
            )
        headers = self.headers.get_all("Authorization") or []
        if len(headers) > 1:
            raise InvalidRequest("The Authorization header is given more than once.")
        if not headers:
            raise InvalidToken("No access token: send Authorization: Bearer <token>.", code=False)
        scheme, _, token = headers[0].strip().partition(" ")
        if scheme.lower() != "bearer":
            raise InvalidToken("Use the Bearer scheme: Authorization: Bearer <token>.", code=False)
        token = token.strip()
        if not token or not _B64TOKEN.match(token):
            raise InvalidToken("The access token is malformed.")
        owner = self.server.endpoint.authorization.resource_owner(token)
        self._log_client = str(owner["client"]["id"])  # type: ignore[index]
        self._send_json(200, owner)

    # -- the authorization pages ---------------------------------------------------------

    def _authorize_get(self, query: str, body: bytes) -> None:
        endpoint = self.server.endpoint
        try:
            params = parse_form(query, where="query")
        except InvalidRequest as exc:
            self._send_page(400, authorize_pages.error_page(exc.description, exc.error))
            return
        if "client_secret" in params or "password" in params:
            self._send_page(
                400, authorize_pages.error_page("Credentials never go in a URL; start again.")
            )
            return
        self._log_client = _safe_client_id(params.get("client_id"))
        try:
            request = endpoint.authorization.validate_authorization_request(params)
        except AuthorizeError as exc:
            self._send_page(400, authorize_pages.error_page(exc.message, exc.error))
            return
        except AuthorizeRedirectError as exc:
            self._redirect(exc.location)
            return
        session, fresh = self._session(create=True)
        assert session is not None
        request_id = session.add_request(request)
        cookie = [self._cookie(session)] if fresh else []
        if session.user_id is not None and self._user_active(session.user_id):
            page = authorize_pages.consent_page(
                request, request_id, session.csrf, username=session.username or ""
            )
        else:
            session.user_id = None
            page = authorize_pages.sign_in_page(request, request_id, session.csrf)
        self._send_page(200, page, cookie)

    def _authorize_post(self, query: str, body: bytes) -> None:
        endpoint = self.server.endpoint
        try:
            params = self._form(query, body)
        except InvalidRequest as exc:
            self._send_page(400, authorize_pages.error_page(exc.description, exc.error))
            return
        session, _fresh = self._session(create=False)
        if session is None:
            self._send_page(
                400,
                authorize_pages.error_page(
                    "Your sign-in session expired (or cookies are off); start again from the "
                    "application."
                ),
            )
            return
        if not session.check_csrf(params.get("csrf_token", "")):
            self._send_page(
                403,
                authorize_pages.error_page(
                    "This form did not come from this sign-in page (CSRF check failed).",
                    "invalid_request",
                ),
            )
            return
        request_id = params.get("request", "")
        request = session.request(request_id)
        if request is None:
            self._send_page(
                400,
                authorize_pages.error_page(
                    "This authorization request expired or was already answered; start again."
                ),
            )
            return
        self._log_client = str(request.client_id)
        action = params.get("action", "")
        if action == "sign_in":
            self._sign_in(session, request_id, request, params)
            return
        if action not in ("approve", "deny"):
            self._send_page(400, authorize_pages.error_page("Unknown action."))
            return
        if session.user_id is None or not self._user_active(session.user_id):
            session.user_id = None
            page = authorize_pages.sign_in_page(
                request, request_id, session.csrf, error="Sign in first."
            )
            self._send_page(401, page)
            return
        session.finish(request_id)
        try:
            if action == "approve":
                location = endpoint.authorization.approve(request, session.user_id)
            else:
                location = endpoint.authorization.deny(request)
        except AuthorizeError as exc:
            self._send_page(400, authorize_pages.error_page(exc.message, exc.error))
            return
        self._redirect(location)

    def _sign_in(
        self, session: BrowserSession, request_id: str, request: object, params: Mapping[str, str]
    ) -> None:
        endpoint = self.server.endpoint
        username = params.get("username", "")
        password = params.get("password", "")

        def again(status: int, error: str, headers: Iterable[tuple[str, str]] = ()) -> None:
            page = authorize_pages.sign_in_page(
                request,  # type: ignore[arg-type]
                request_id,
                session.csrf,
                error=error,
                username=username if len(username) <= 150 else "",
            )
            self._send_page(status, page, list(headers))

        if not username or not password:
            again(400, "Enter your username and password.")
            return
        if len(username) > 150 or len(password) > 1024:
            again(400, "The username or password is too long.")
            return
        try:
            user = endpoint.authorization.sign_in(username, password)
        except SlowDown as exc:
            again(429, exc.description, exc.headers.items())
            return
        except InvalidGrant:
            again(401, "The username or password is incorrect.")
            return
        session.user_id = user.id
        session.username = user.username
        # A new session id after sign-in: a cookie planted before it is worthless.
        endpoint.sessions.renew(session)
        page = authorize_pages.consent_page(
            request,  # type: ignore[arg-type]
            request_id,
            session.csrf,
            username=user.username,
        )
        self._send_page(200, page, [self._cookie(session)])

    def _session(self, *, create: bool) -> tuple[BrowserSession | None, bool]:
        sessions = self.server.endpoint.sessions
        session = sessions.get(self._cookie_value())
        if session is None and create:
            return sessions.create(), True
        return session, False

    def _cookie_value(self) -> str | None:
        for header in self.headers.get_all("Cookie") or []:
            for part in header.split(";"):
                name, _, value = part.strip().partition("=")
                if name == COOKIE_NAME:
                    return value.strip()
        return None

    @staticmethod
    def _cookie(session: BrowserSession) -> tuple[str, str]:
        return (
            "Set-Cookie",
            f"{COOKIE_NAME}={session.id}; Path=/oauth/authorize; HttpOnly; SameSite=Lax",
        )

    def _user_active(self, user_id: int) -> bool:
        return self.server.endpoint.authorization.user_active(user_id)

    # -- writing answers ------------------------------------------------------------------

    def _send_json(
        self, status: int, body: object, headers: Iterable[tuple[str, str]] = ()
    ) -> None:
        data = json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode("ascii")
        self._respond(status, data, JSON_TYPE, (*NO_STORE, *headers))

    def _send_error(self, error: OAuthError, *, status: int | None = None) -> None:
        self._send_json(status or error.status, error.body(), error.headers.items())

    def _send_page(self, status: int, html: str, headers: Iterable[tuple[str, str]] = ()) -> None:
        self._respond(status, html.encode("utf-8"), HTML_TYPE, (*PAGE_HEADERS, *headers))

    def _redirect(self, location: str) -> None:
        self._respond(302, b"", None, (("Location", location), *PAGE_HEADERS))

    def _respond(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: Iterable[tuple[str, str]],
    ) -> None:
        """Status line, headers and body in ONE write, so Nagle never holds the body back."""
        lines = [
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
            f"Date: {_http_date()}",
            "Server: authclients",
            "X-Content-Type-Options: nosniff",
        ]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body)}")
        lines.extend(f"{name}: {value}" for name, value in headers)
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        # Logged before the write, so whoever has the answer finds its entry.
        self.server.endpoint.request_log.add(
            LoggedRequest(
                time=datetime.now(UTC),
                method=self._log_method,
                path=self._log_path,
                status=status,
                duration_ms=(time.perf_counter() - self._started) * 1000.0,
                client_id=self._log_client,
            )
        )
        self.wfile.write(head if self.command == "HEAD" else head + body)


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
        authorization: the OAuth decisions (``store.authorization_server``).
        sessions: sign-in sessions of the authorization pages (in memory).
        request_log: the latest requests, for the console.
    """

    def __init__(
        self,
        store: Store,
        host: str = "127.0.0.1",
        port: int = 8765,
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


def run_headless(
    store: Store, host: str = "127.0.0.1", port: int = 8765, log_file: str | None = None
) -> int:
    """``authclients serve``: serve until Ctrl-C or SIGTERM; returns the exit code.

    The first line on stdout is ``Listening on http://HOST:PORT`` (flushed), so
    scripts can wait for it. A taken port is a one-line message and exit code 1.
    """
    if not logging.getLogger("authclients").handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logging.getLogger("authclients").addHandler(handler)
        logging.getLogger("authclients").setLevel(logging.WARNING)
    endpoint = TokenEndpoint(store, host=host, port=port, log_file=log_file)
    stopping = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stopping.set()

    # Handlers first: a SIGTERM sent as soon as "Listening on" is read must stop us
    # cleanly, not kill us (the main thread may wait for the GIL behind the server's).
    previous: dict[int, object] = {}
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    try:
        try:
            endpoint.start()
        except PortInUse as exc:
            print(f"authclients serve: {exc}", file=sys.stderr, flush=True)
            return 1
        except OSError as exc:
            print(
                f"authclients serve: cannot listen on {host}:{port}: {exc.strerror or exc}",
                file=sys.stderr,
                flush=True,
            )
            return 1
        print(f"Listening on {endpoint.url}", flush=True)
        while not stopping.is_set():
            stopping.wait(0.25)
    except KeyboardInterrupt:
        pass
    finally:
        endpoint.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
    print("Stopped.", file=sys.stderr, flush=True)
    return 0
