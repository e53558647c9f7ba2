"""The incremental HTTP/1.1 parser on its own: same events whatever the split of the bytes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authclients.store.endpoint.http11 import (
    CONTINUE,
    MAX_LINE,
    ParseError,
    Request,
    RequestParser,
)

TOKEN = b"POST /oauth/token HTTP/1.1\r\nHost: x\r\n"
FORM = b"Content-Type: application/x-www-form-urlencoded\r\n"
BODY = b"grant_type=client_credentials"
TOKEN_REQUEST = TOKEN + FORM + b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY


def whole(data: bytes) -> list[object]:
    return RequestParser().feed(data)


def bytewise(data: bytes) -> list[object]:
    parser = RequestParser()
    events: list[object] = []
    for i in range(len(data)):
        events.extend(parser.feed(data[i : i + 1]))
    return events


def summary(events: list[object]) -> list[object]:
    """Comparable values: requests as tuples, refusals as (status, description)."""
    out: list[object] = []
    for event in events:
        if isinstance(event, Request):
            out.append((event.method, event.path, event.query, event.body, event.keep_alive))
        elif isinstance(event, ParseError):
            out.append((event.status, event.description))
        else:
            out.append(event)
    return out


def refusal(data: bytes) -> ParseError:
    events = whole(data)
    assert summary(events) == summary(bytewise(data))
    assert len(events) >= 1 and isinstance(events[-1], ParseError), events
    return events[-1]


def test_a_token_request_in_one_piece_and_byte_by_byte() -> None:
    events = whole(TOKEN_REQUEST)
    assert summary(events) == summary(bytewise(TOKEN_REQUEST))
    [request] = events
    assert isinstance(request, Request)
    assert (request.method, request.path, request.version) == ("POST", "/oauth/token", "HTTP/1.1")
    assert request.body == BODY and request.keep_alive
    assert request.headers.get("content-type") == "application/x-www-form-urlencoded"
    assert request.headers.get_all("HOST") == ["x"]


def test_pipelined_requests_come_out_in_order() -> None:
    data = (
        b"GET /a?x=1 HTTP/1.1\r\nHost: x\r\n\r\n"
        + TOKEN_REQUEST
        + b"GET /c HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    assert [e.path for e in whole(data)] == ["/a", "/oauth/token", "/c"]  # type: ignore[union-attr]
    assert summary(whole(data)) == summary(bytewise(data))


def test_bare_lf_line_endings_are_read_as_today() -> None:
    [request] = whole(b"GET /x HTTP/1.1\nHost: y\n\n")
    assert isinstance(request, Request) and request.headers.get("Host") == "y"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET / HTTP/1.1 extra\r\n\r\n", 400),
        (b"G(T / HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\n\r\n", 400),
        (b"GET / FTP/1.0\r\n\r\n", 400),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET /" + b"a" * 9000, 414),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * 9000, 431),
        (b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 101 + b"\r\n", 431),
        (b"GET / HTTP/1.1\r\nbad header\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n folded: x\r\n\r\n", 400),
        (TOKEN + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        (TOKEN + b"Content-Length: abc\r\n\r\n", 400),
        (TOKEN + b"Content-Length: -1\r\n\r\n", 400),
        (TOKEN + b"Content-Length: +3\r\n\r\nabc", 400),
        (TOKEN + b"Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400),
        (TOKEN + b"Content-Length: 99999999999999\r\n\r\n", 413),
        (b"GET / HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a\r\nHOST: a\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: ab\r\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400),
        (b"GET /a\rb HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET http://[evil]/x HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET http://host:port/x HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ],
    ids=[
        "garbage",
        "empty-request-line",
        "four-words",
        "bad-method",
        "http2",
        "not-http",
        "long-request-line",
        "long-request-line-unfinished",
        "long-header",
        "long-header-unfinished",
        "too-many-headers",
        "header-without-colon",
        "obs-fold",
        "chunked",
        "length-not-a-number",
        "negative-length",
        "plus-length",
        "two-lengths",
        "huge-length",
        "http11-without-host",
        "two-hosts-http10",
        "two-hosts-http11",
        "bare-cr-in-value",
        "cr-cr-lf",
        "nul-in-value",
        "bare-cr-in-target",
        "bad-absolute-form",
        "absolute-form-bad-port",
    ],
)
def test_refusals(data: bytes, status: int) -> None:
    error = refusal(data)
    assert error.status == status
    body = json.loads(error.body)
    assert body["error"] == "invalid_request" and body["error_description"].isascii()
    assert b"aaaa" not in error.body and b"evil" not in error.body


def test_the_limits_are_exact() -> None:
    # A request line of exactly MAX_LINE bytes, its CRLF included, passes; one more is 414.
    line = b"GET /" + b"a" * (MAX_LINE - len(b"GET / HTTP/1.1\r\n")) + b" HTTP/1.1\r\n"
    assert len(line) == MAX_LINE
    assert isinstance(whole(line + b"Host: x\r\n\r\n")[0], Request)
    longer = line.replace(b"/a", b"/aa", 1)
    assert refusal(longer + b"Host: x\r\n\r\n").status == 414
    hundred = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 99 + b"\r\n"
    assert isinstance(whole(hundred)[0], Request)
    assert refusal(hundred.replace(b"\r\n\r\n", b"\r\nX-A: b\r\n\r\n")).status == 431
    body = b"a" * (64 * 1024)
    [request] = whole(TOKEN + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    assert isinstance(request, Request) and request.body == body


def test_an_oversized_body_is_drained_before_its_413() -> None:
    parser = RequestParser()
    assert parser.feed(TOKEN + b"Content-Length: 100000\r\n\r\n" + b"a" * 99_999) == []
    [error] = parser.feed(b"a")
    assert isinstance(error, ParseError) and error.status == 413
    assert parser.feed(b"GET / HTTP/1.1\r\n\r\n") == []


def test_expect_100_continue_comes_before_the_body() -> None:
    parser = RequestParser()
    head = TOKEN + b"Expect: 100-continue\r\nContent-Length: 3\r\n\r\n"
    assert parser.feed(head) == [CONTINUE]
    [request] = parser.feed(b"abc")
    assert isinstance(request, Request) and request.body == b"abc"
    http10 = TOKEN.replace(b"1.1", b"1.0") + b"Expect: 100-continue\r\n\r\n"
    assert CONTINUE not in whole(http10)


def test_keep_alive_rules() -> None:
    def alive(data: bytes) -> bool:
        [request] = whole(data)
        assert isinstance(request, Request)
        return request.keep_alive

    assert alive(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert not alive(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n")
    assert not alive(b"GET / HTTP/1.0\r\n\r\n")
    assert alive(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")


def test_nothing_is_read_after_a_last_request() -> None:
    parser = RequestParser()
    events = parser.feed(
        b"GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    assert [e.path for e in events] == ["/a"]  # type: ignore[union-attr]
    assert parser.done and parser.feed(b"GET /c HTTP/1.1\r\n\r\n") == []


def test_end_of_input() -> None:
    parser = RequestParser()
    parser.feed(TOKEN + b"Content-Length: 10\r\n\r\nabc")
    [error] = parser.feed_eof()
    assert isinstance(error, ParseError) and error.status == 400
    half_head = RequestParser()
    half_head.feed(b"GET / HTTP/1.1\r\nHo")
    assert half_head.mid_request and half_head.feed_eof() == []


def test_targets() -> None:
    def located(target: bytes) -> tuple[str, str, str]:
        [request] = whole(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert isinstance(request, Request)
        return request.target, request.path, request.query

    assert located(b"/a?b=c") == ("/a?b=c", "/a", "b=c")
    assert located(b"//evil.example/x") == ("/evil.example/x", "/evil.example/x", "")
    assert located(b"http://h:8/p?q=1") == ("http://h:8/p?q=1", "/p", "q=1")
    assert located(b"http://h") == ("http://h", "/", "")


def test_head_routes_like_get() -> None:
    [request] = whole(b"HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n")
    assert isinstance(request, Request)
    assert request.method == "HEAD" and request.route_method == "GET"


_PIECES = [
    TOKEN_REQUEST,
    b"GET /a?b=c HTTP/1.1\r\nHost: x\r\n\r\n",
    b"HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"GET / HTTP/1.1\nHost: y\n\n",
    b"POST /p HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab",
    b"\r\n",
    b"\r",
    b"\x00",
    b":",
    b" ",
    b"Host: z\r\n",
    b"GET http://[::1]:80/x HTTP/1.1\r\n",
]


@given(
    pieces=st.lists(st.sampled_from(_PIECES) | st.binary(max_size=12), max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=6),
)
@settings(max_examples=300, deadline=None)
def test_any_split_of_any_stream_gives_the_same_events(
    pieces: list[bytes], cuts: list[int]
) -> None:
    data = b"".join(pieces)
    expected = summary(RequestParser().feed(data))
    parser = RequestParser()
    events: list[object] = []
    last = 0
    for cut in [*sorted({min(c, len(data)) for c in cuts}), len(data)]:
        events.extend(parser.feed(data[last:cut]))
        last = cut
    assert summary(events) == expected
    # At most one refusal, and it is the last event.
    refusals = [i for i, e in enumerate(events) if isinstance(e, ParseError)]
    assert refusals in ([], [len(events) - 1])
