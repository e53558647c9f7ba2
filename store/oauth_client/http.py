"""Requests and responses as data, sent with the standard library; masking and curl."""

from __future__ import annotations

import http.client
import ipaddress
import json
import shlex
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar
from urllib.parse import quote, quote_plus, urlsplit

DEFAULT_TIMEOUT = 10.0
"""Seconds before a request is given up; the UI never waits longer than this."""
MAX_BODY = 1024 * 1024
"""Bytes of an answer read at most: a server that sends more is broken or hostile."""
MASK = "••••••"
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request, complete, so it can be shown, copied as curl, sent and sent again.

    Attributes:
        title: what it is for ("password grant", "introspect"), for the history.
        method: ``GET`` or ``POST``.
        url: the full URL, query included.
        headers: (name, value) pairs in order.
        body: the form-encoded body, or empty.
        secrets: values that are masked on screen unless asked for (client secret,
            password, tokens, the Basic header).
    """

    title: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    secrets: tuple[str, ...] = ()

    def mask(self, text: str) -> str:
        """``text`` with every secret value replaced by a mask (longest first)."""
        for value in sorted({s for s in self.secrets if s}, key=len, reverse=True):
            text = text.replace(value, MASK)
            # In the body a secret appears form-encoded.
            for encoded in {quote(value, safe=""), quote_plus(value, safe="")} - {value}:
                text = text.replace(encoded, MASK)
        return text

    def display(self, *, show_secrets: bool = False) -> str:
        """Request line, headers and body as an HTTP message."""
        parts = urlsplit(self.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = [f"{self.method} {target or '/'} HTTP/1.1", f"Host: {parts.netloc}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.body:
            lines += ["", self.body.replace("&", "\n&")]
        text = "\n".join(lines)
        return text if show_secrets else self.mask(text)

    def curl(self, *, show_secrets: bool = True) -> str:
        """The same request as a curl command, one option per line."""
        head = ["curl", "-sS", "-i"]
        if self.method != "GET" or self.body:
            head += ["-X", self.method]
        head.append(self.url)
        options = [("-H", f"{name}: {value}") for name, value in self.headers]
        if self.body:
            options += [("--data-raw", self.body)]
        lines = [shlex.join(head)]
        lines += [f"{flag} {shlex.quote(value)}" for flag, value in options]
        text = " \\\n  ".join(lines)
        return text if show_secrets else self.mask(text)


@dataclass(frozen=True)
class HttpResponse:
    """What came back: status, headers, body, how long it took."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: str
    elapsed_ms: float = 0.0

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def json(self) -> dict[str, object] | None:
        """The body as a JSON object, or None when it is not one."""
        try:
            value = json.loads(self.body)
        except (ValueError, RecursionError):  # RecursionError: a hostile ``[[[[…``
            return None
        return value if isinstance(value, dict) else None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def display(self) -> str:
        """Status line, headers and the body, JSON pretty-printed."""
        lines = [f"HTTP/1.1 {self.status} {self.reason}".rstrip()]
        lines += [f"{name}: {value}" for name, value in self.headers]
        body = self.json()
        text = json.dumps(body, indent=2, ensure_ascii=False) if body is not None else self.body
        if text:
            lines += ["", text]
        return "\n".join(lines)


class TransportError(Exception):
    """No HTTP answer at all: refused, timed out, name unknown. ``message`` says which."""

    def __init__(self, message: str, *, refused: bool = False, timed_out: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.refused = refused
        self.timed_out = timed_out


@dataclass
class Exchange:
    """A request, its answer (or why there was none), and what to do about a failure.

    Attributes:
        request: what was sent.
        response: what came back; None on a transport error.
        error: the transport error's message, or a local failure ("state mismatch").
        hint: what to do about a failure, in words; empty on success.
    """

    request: HttpRequest
    response: HttpResponse | None = None
    error: str = ""
    hint: str = ""

    @property
    def status_text(self) -> str:
        if self.response is not None:
            return str(self.response.status)
        return "refused" if "refused" in self.error else "error"

    @property
    def ok(self) -> bool:
        return self.response is not None and self.response.ok and not self.error


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are answers to show (the authorize 302 carries the code), never followed."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def is_loopback(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ::1: this machine, never behind a proxy."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _proxy_handler(url: str) -> urllib.request.ProxyHandler:
    """No proxy for a loopback target; otherwise ``*_proxy`` and ``no_proxy`` as urllib reads them.

    A proxy cannot reach the embedded endpoint on the admin's own 127.0.0.1
    (and should not see its secrets), whatever ``http_proxy`` says.
    """
    if is_loopback(urlsplit(url).hostname or ""):
        return urllib.request.ProxyHandler({})
    return urllib.request.ProxyHandler()


class BodyTooLarge(TransportError):
    """The answer's body is longer than the caller accepts: it was not read to its end."""


def _read_capped(stream: object, limit: int | None, deadline: float) -> bytes:
    """The body, at most ``limit`` bytes, read before ``deadline`` (monotonic seconds).

    A per-read timeout alone lets a server that drips one byte at a time hold
    the worker for ever; the deadline bounds the whole body.
    """
    if limit is None:
        return stream.read()  # type: ignore[attr-defined]
    # read1: what one receive brings; read(n) would wait for all n bytes, deadline or not.
    read = getattr(stream, "read1", None) or stream.read  # type: ignore[attr-defined]
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = read(min(65536, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"The answer is larger than {limit} bytes: not read.")
        if time.monotonic() > deadline:
            raise TimeoutError


def send(
    request: HttpRequest,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    cookies: CookieJar | None = None,
    max_bytes: int | None = MAX_BODY,
) -> HttpResponse:
    """Send ``request``; any HTTP status is a response, only transport failures raise.

    Args:
        max_bytes: refuse a body longer than this (and then ``timeout`` bounds the whole
            body, not each read); None reads all of it, however long it takes.

    Raises:
        TransportError: refused, timed out, unknown host, bad URL, body over ``max_bytes``.
    """
    parts = urlsplit(request.url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TransportError(f"Not an http(s) URL: {request.url!r}.")
    handlers: list[urllib.request.BaseHandler] = [_proxy_handler(request.url), _NoRedirect()]
    if cookies is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(cookies))
    opener = urllib.request.build_opener(*handlers)
    data = request.body.encode("utf-8") if request.body or request.method == "POST" else None
    raw = urllib.request.Request(
        request.url, data=data, headers=dict(request.headers), method=request.method
    )
    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    try:
        try:
            with opener.open(raw, timeout=timeout) as answer:
                status, reason = answer.status, answer.reason
                headers = tuple(answer.headers.items())
                body = _read_capped(answer, max_bytes, deadline)
        except urllib.error.HTTPError as exc:
            # 3xx (not followed), 4xx and 5xx are answers like any other.
            status, reason = exc.code, exc.reason
            headers = tuple(exc.headers.items()) if exc.headers else ()
            try:
                body = _read_capped(exc, max_bytes, deadline)
            finally:
                exc.close()
    except urllib.error.URLError as exc:
        raise _transport_error(request.url, exc.reason, timeout) from None
    except TimeoutError as exc:
        raise _transport_error(request.url, exc, timeout) from None
    except (OSError, ValueError, http.client.HTTPException) as exc:
        # HTTPException: something answered that does not speak HTTP (ssh, TLS on http://).
        raise _transport_error(request.url, exc, timeout) from None
    elapsed = (time.perf_counter() - started) * 1000.0
    return HttpResponse(
        status=status,
        reason=str(reason or ""),
        headers=headers,
        body=body.decode("utf-8", "replace"),
        elapsed_ms=elapsed,
    )


def _transport_error(url: str, reason: object, timeout: float) -> TransportError:
    netloc = urlsplit(url).netloc
    if isinstance(reason, ConnectionRefusedError):
        return TransportError(f"Connection refused by {netloc}.", refused=True)
    if isinstance(reason, TimeoutError | socket.timeout):
        return TransportError(f"No answer from {netloc} within {timeout:g} s.", timed_out=True)
    if isinstance(reason, socket.gaierror):
        return TransportError(f"Unknown host in {url}: {reason.strerror or reason}.")
    return TransportError(f"Could not reach {netloc}: {reason}.")


def exchange(
    request: HttpRequest, *, timeout: float = DEFAULT_TIMEOUT, cookies: CookieJar | None = None
) -> Exchange:
    """``send`` that never raises: a transport failure becomes an ``Exchange`` with ``error``."""
    try:
        return Exchange(request, send(request, timeout=timeout, cookies=cookies))
    except TransportError as exc:
        return Exchange(request, None, exc.message)
