"""An incremental HTTP/1.1 request parser: bytes in, requests or one refusal out (RFC 9112).

Pure: no sockets, no clock, no logging. The transport feeds whatever bytes
arrived; the parser hands back complete ``Request`` objects in arrival order,
the interim ``100 Continue`` to write, or one ``ParseError`` after which the
connection must be answered and closed. Anything it cannot read for sure is
refused, so a request can never be smuggled past a proxy that reads it
differently. Lines are found with ``bytearray.find``: the Python work is per
line, never per byte.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_LINE = 8192
"""Longest request line or header line, its line ending included; longer is 414 / 431."""
MAX_HEADERS = 100
"""More header lines than this is 431."""
MAX_BODY = 64 * 1024
"""Bodies above this are refused with 413 (a token request is a few hundred bytes)."""
DRAIN_MAX = 1024 * 1024
"""An oversized body up to this size is read and dropped first, so the client sees its 413."""

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
"""The interim answer to ``Expect: 100-continue`` (RFC 9110 §10.1.1), written as it is."""

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""RFC 9110 §5.6.2: a token, such as a method or a field name."""
_VERSIONS = ("HTTP/1.1", "HTTP/1.0")
_HEADER_BLOCK = re.compile(r"(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\r\n\x00]*\r\n)*")
"""Header lines that need no closer look: a token name, a colon, no CR, LF or NUL inside."""

# Parser states.
_HEAD, _BODY, _DRAIN, _DONE = range(4)


class Headers:
    """Request header fields by case-insensitive name, in arrival order.

    ``email.message.Message`` (what ``http.client`` builds) costs 140 µs a
    request; this is all the endpoint needs of it.
    """

    __slots__ = ("_fields",)

    def __init__(self) -> None:
        self._fields: dict[str, list[str]] = {}

    def add(self, name: str, value: str) -> None:
        self._fields.setdefault(name.lower(), []).append(value)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of ``name``, or ``default``."""
        values = self._fields.get(name.lower())
        return values[0] if values else default

    def get_all(self, name: str, failobj: list[str] | None = None) -> list[str] | None:
        """Every value of ``name`` in arrival order (a copy), or ``failobj``."""
        values = self._fields.get(name.lower())
        return list(values) if values else failobj

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._fields

    def __len__(self) -> int:
        return sum(len(values) for values in self._fields.values())


@dataclass(slots=True)
class Request:
    """One complete request, as read from the wire.

    Attributes:
        method: the method token, as sent (``HEAD`` included: see ``route_method``).
        target: the request target after ``//`` collapsing (as ``http.server`` does).
        path: the path of the target, without query or fragment.
        query: the query string, undecoded ("" when there is none).
        version: ``HTTP/1.1`` or ``HTTP/1.0``.
        headers: the header fields.
        body: the body (``Content-Length`` bytes; chunked bodies are refused).
        keep_alive: whether the connection stays open after the answer.
        client_id: the client the request names, for the request log; the
            routes fill it in once they know it (never from a failed parse).
        source: the peer's address (the application fills it in from the
            connection; empty when unknown).
        address: the client's address: ``source``, or what a trusted proxy says it
            forwarded (``store.endpoint.proxies``); the router fills it in. The
            per-address limits, the session caps and the request log use it.
        form: the form body once ``http.request_form`` has parsed it (the
            application and the route both need it; parsed once).
    """

    method: str
    target: str
    path: str
    query: str
    version: str
    headers: Headers
    body: bytes
    keep_alive: bool
    client_id: str | None = None
    source: str = ""
    address: str | None = None
    form: dict[str, str] | None = None

    @property
    def route_method(self) -> str:
        """The method to route on: ``HEAD`` is answered like ``GET`` (RFC 9110 §9.3.2)."""
        return "GET" if self.method == "HEAD" else self.method


@dataclass(frozen=True, slots=True)
class ParseError:
    """A request that cannot be served: answer ``status`` with ``body`` and close.

    Attributes:
        status: the HTTP status (400, 413, 414 or 431).
        error: the RFC 6749 §5.2 error code.
        description: a fixed sentence; never an echo of the request (it may hold secrets).
    """

    status: int
    description: str
    error: str = "invalid_request"

    @property
    def body(self) -> bytes:
        """The RFC 6749 §5.2 JSON body."""
        return json.dumps(
            {"error": self.error, "error_description": self.description},
            separators=(",", ":"),
            ensure_ascii=True,
        ).encode("ascii")


# The sentences today's server sends, kept word for word.
MALFORMED = ParseError(400, "Malformed HTTP request.")
BAD_VERSION = ParseError(400, "Only HTTP/1.0 and HTTP/1.1 are spoken here.")
LONG_LINE = ParseError(414, "The request line is too long.")
LONG_HEADERS = ParseError(431, "A header is too long, or there are too many.")
CHUNKED = ParseError(400, "Chunked request bodies are not accepted; send Content-Length.")
BAD_LENGTH = ParseError(400, "Invalid Content-Length.")
SHORT_BODY = ParseError(400, "The body is shorter than its Content-Length.")
# The edge cases of issue 12, item 6.
BARE_CR = ParseError(400, "A header line contains a bare CR or a NUL character.")
BAD_HOST = ParseError(
    400, "Send exactly one Host header (HTTP/1.1 requires it; RFC 9112 section 3.2)."
)
BAD_TARGET = ParseError(400, "Malformed request target.")

Event = Request | ParseError | bytes
"""What ``feed`` yields: a request, the one refusal, or interim bytes (``CONTINUE``) to write."""


class RequestParser:
    """Turns the bytes of one connection into requests, incrementally.

    ``feed`` may be called with any split of the stream (one byte at a time
    included) and returns the same events. After a ``ParseError``, or a request
    that does not keep the connection alive, it ignores everything else.
    """

    __slots__ = (
        "_buffer",
        "_drain",
        "_headers",
        "_lines",
        "_request",
        "_scan",
        "_size",
        "_start",
        "_state",
    )

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._state = _HEAD
        self._scan = 0
        """Where the next unread line starts in the buffer."""
        self._lines = 0
        """Lines of the current head read so far (the request line included)."""
        self._start: tuple[str, str, str] | None = None
        self._headers = Headers()
        self._request: Request | None = None
        self._size = 0
        self._drain = 0

    @property
    def mid_request(self) -> bool:
        """Whether part of a request has arrived and the rest is awaited."""
        return self._state != _DONE and (self._state != _HEAD or bool(self._buffer))

    @property
    def done(self) -> bool:
        """Whether the parser ignores further input (a refusal, or a last request, was read)."""
        return self._state == _DONE

    def feed(self, data: bytes) -> list[Event]:
        """Add ``data``; the events it completes, in order (often none, usually one)."""
        if self._state == _DONE:
            return []
        self._buffer += data
        events: list[Event] = []
        while True:
            if self._state == _HEAD:
                if not self._buffer or not self._read_head(events):
                    break
            elif self._state == _BODY:
                if len(self._buffer) < self._size:
                    break
                request = self._request
                assert request is not None
                request.body = bytes(self._buffer[: self._size])
                del self._buffer[: self._size]
                self._finish(request, events)
            elif self._state == _DRAIN:
                taken = min(self._drain, len(self._buffer))
                del self._buffer[:taken]
                self._drain -= taken
                if self._drain:
                    break
                self._fail(_too_large(self._size), events)
            else:
                break
        return events

    def feed_eof(self) -> list[Event]:
        """The client stopped sending: a body cut short is a 400; a cut head gets no answer."""
        if self._state in (_BODY, _DRAIN):
            events: list[Event] = []
            self._fail(SHORT_BODY, events)
            return events
        self._state = _DONE
        return []

    # -- the head -------------------------------------------------------------------------

    def _read_head(self, events: list[Event]) -> bool:
        """Read complete lines; True when a head was finished (or refused) and parsing goes on."""
        buffer = self._buffer
        if self._start is None and self._scan == 0 and self._whole_head(events):
            return True
        pos = self._scan
        while True:
            end = buffer.find(b"\n", pos)
            if end < 0:
                if len(buffer) - pos > MAX_LINE:
                    self._fail(LONG_LINE if self._start is None else LONG_HEADERS, events)
                    return True
                self._scan = pos
                return False
            if end + 1 - pos > MAX_LINE:
                self._fail(LONG_LINE if self._start is None else LONG_HEADERS, events)
                return True
            line = buffer[pos : end - 1 if end > pos and buffer[end - 1] == 13 else end]
            pos = end + 1
            if self._start is None:
                refusal = self._request_line(line)
            elif not line:
                del buffer[:pos]
                self._scan = 0
                self._head_done(events)
                return True
            else:
                refusal = self._header_line(line)
            if refusal is not None:
                self._fail(refusal, events)
                return True

    def _whole_head(self, events: list[Event]) -> bool:
        """The fast path: a whole, well-formed head under 8 KiB in the buffer, read at once.

        Anything unusual (a refusal, bare LF endings, a long head) returns False
        and is read line by line, which finds the exact answer.
        """
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n")
        if end <= 0 or end > MAX_LINE - 4:
            return False
        first, _, rest = buffer[: end + 2].decode("iso-8859-1").partition("\r\n")
        if (
            rest.count("\r\n") > MAX_HEADERS
            or not _HEADER_BLOCK.fullmatch(rest)
            or self._request_line(first) is not None
        ):
            self._start = None
            self._lines = 0
            return False
        fields = self._headers._fields
        for line in rest.split("\r\n")[:-1]:
            # Headers.add, inlined: this loop is most of a request's parsing time.
            name, _, value = line.partition(":")
            key = name.lower()
            values = fields.get(key)
            if values is None:
                fields[key] = [value.strip(" \t")]
            else:
                values.append(value.strip(" \t"))
        del buffer[: end + 4]
        self._head_done(events)
        return True

    def _request_line(self, line: bytearray | str) -> ParseError | None:
        text = line if isinstance(line, str) else line.decode("iso-8859-1")
        words = text.split(" ")
        if len(words) != 3 or not words[0] or not words[1] or "\r" in text or "\n" in text:
            return MALFORMED
        method, target, version = words
        if version not in _VERSIONS:
            # 505 would be the status, but the answer is a JSON 400 as today.
            return BAD_VERSION if version.startswith("HTTP/") else MALFORMED
        if not _TOKEN.fullmatch(method):
            return MALFORMED
        self._start = (method, target, version)
        self._lines = 1
        return None

    def _header_line(self, line: bytearray) -> ParseError | None:
        self._lines += 1
        if self._lines > MAX_HEADERS + 1:
            return LONG_HEADERS
        if 13 in line or 0 in line:
            # RFC 9110 §5.5: CR, LF and NUL are never part of a field value.
            return BARE_CR
        text = line.decode("iso-8859-1")
        name, colon, value = text.partition(":")
        if not colon or not _TOKEN.fullmatch(name):
            # Also refuses obs-fold (a line starting with a space), RFC 9112 §5.2.
            return MALFORMED
        self._headers.add(name, value.strip(" \t"))
        return None

    def _head_done(self, events: list[Event]) -> None:
        assert self._start is not None
        method, target, version = self._start
        headers = self._headers
        self._start = None
        self._headers = Headers()
        self._lines = 0
        # The field lists themselves, not get_all's copies: this runs once per request.
        fields = headers._fields
        hosts = fields.get("host", ())
        if len(hosts) > 1 or (not hosts and version == "HTTP/1.1"):
            self._fail(BAD_HOST, events)
            return
        located = _locate(target)
        if located is None:
            self._fail(BAD_TARGET, events)
            return
        target, path, query = located
        connection = fields.get("connection")
        if connection is None:
            keep_alive = version == "HTTP/1.1"
        else:
            tokens = {t.strip().lower() for t in connection[0].split(",")}
            keep_alive = "close" not in tokens and (version == "HTTP/1.1" or "keep-alive" in tokens)
        if "transfer-encoding" in fields:
            self._fail(CHUNKED, events)
            return
        lengths = fields.get("content-length", ())
        size = 0
        if lengths:
            raw = lengths[0].strip()
            if len(lengths) > 1 or not raw.isascii() or not raw.isdigit() or len(raw) > 19:
                self._fail(BAD_LENGTH, events)
                return
            size = int(raw)
        expect = fields.get("expect")
        if expect is not None and expect[0].lower() == "100-continue" and version == "HTTP/1.1":
            events.append(CONTINUE)
        self._size = size
        if size > MAX_BODY:
            if size > DRAIN_MAX:
                self._fail(_too_large(size), events)
            else:
                self._state = _DRAIN
                self._drain = size
            return
        request = Request(method, target, path, query, version, headers, b"", keep_alive)
        if size == 0:
            self._finish(request, events)
        else:
            self._request = request
            self._state = _BODY

    def _finish(self, request: Request, events: list[Event]) -> None:
        events.append(request)
        self._request = None
        if request.keep_alive:
            self._state = _HEAD
        else:
            self._state = _DONE
            self._buffer.clear()

    def _fail(self, error: ParseError, events: list[Event]) -> None:
        events.append(error)
        self._state = _DONE
        self._request = None
        self._buffer.clear()


def _too_large(size: int) -> ParseError:
    return ParseError(413, f"The body is {size} bytes; at most {MAX_BODY} are accepted.")


def _locate(target: str) -> tuple[str, str, str] | None:
    """``(target, path, query)`` of a request target, or None when it cannot be read.

    origin-form is split by hand; absolute-form (RFC 9112 §3.2.2, as a proxy
    sends it) goes through ``urlsplit``, which raises on a bad authority such
    as ``http://[evil]/x``.
    """
    if target.startswith("//"):
        # As http.server does (gh-87389): "//host" is not a path we serve.
        target = "/" + target.lstrip("/")
    if target.startswith("/"):
        path, _, query = target.partition("?")
    else:
        try:
            parts = urlsplit(target)
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            return None
        path, query = parts.path or "/", parts.query
    return target, path.partition("#")[0], query
