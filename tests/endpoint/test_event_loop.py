"""The event-loop transport on real sockets: today's HTTP-layer answers, order, timers, caps."""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from authclients.store.endpoint.connection import HttpConnection
from authclients.store.endpoint.transport import EventLoopServer
from tests.endpoint.echo_app import EchoApp
from tests.endpoint.event_loop_helpers import (
    closed_within,
    connect,
    exchange,
    loops,
    read_response,
    serving,
    thread_count,
)

TOKEN = b"POST /oauth/token HTTP/1.1\r\nHost: x\r\n"
FORM = b"Content-Type: application/x-www-form-urlencoded\r\n"

# The table of tests/endpoint/test_http_layer.py, copied as data: the same bytes, the same status.
HTTP_LAYER_CASES = {
    "garbage": (b"GARBAGE\r\n\r\n", 400),
    "four-words": (b"GET / HTTP/1.1 extra\r\n\r\n", 400),
    "bad-method": (b"G(T / HTTP/1.1\r\n\r\n", 400),
    "http2": (b"GET / HTTP/2.0\r\n\r\n", 400),
    "not-http": (b"GET / FTP/1.0\r\n\r\n", 400),
    "long-request-line": (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414),
    "long-header": (b"GET / HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n", 431),
    "too-many-headers": (b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 101 + b"\r\n", 431),
    "header-without-colon": (b"GET / HTTP/1.1\r\nbad header\r\n\r\n", 400),
    "obs-fold": (b"GET / HTTP/1.1\r\n folded: x\r\n\r\n", 400),
    "chunked": (TOKEN + FORM + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    "length-not-a-number": (TOKEN + FORM + b"Content-Length: abc\r\n\r\n", 400),
    "negative-length": (TOKEN + FORM + b"Content-Length: -1\r\n\r\n", 400),
    "two-lengths": (TOKEN + FORM + b"Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400),
    "huge-length": (TOKEN + FORM + b"Content-Length: 99999999999999\r\n\r\n", 413),
    "two-content-types": (
        TOKEN + FORM + b"Content-Type: text/plain\r\nContent-Length: 0\r\n\r\n",
        400,
    ),
    "two-authorizations": (
        TOKEN + FORM + b"Authorization: Basic a\r\nAuthorization: Basic b\r\n"
        b"Content-Length: 29\r\n\r\ngrant_type=client_credentials",
        400,
    ),
    # Issue 12, item 6.
    "http11-without-host": (b"GET /echo HTTP/1.1\r\n\r\n", 400),
    "two-hosts": (b"GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    "bare-cr": (b"GET /echo HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400),
    "bad-absolute-form": (b"GET http://[evil]/x HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "drained-413": (TOKEN + FORM + b"Content-Length: 100000\r\n\r\n" + b"a" * 100_000, 413),
}


@pytest.fixture(params=loops(), ids=lambda uv: "uvloop" if uv else "asyncio")
def uvloop(request: pytest.FixtureRequest) -> bool:
    return request.param


@pytest.fixture
def server(uvloop: bool) -> EventLoopServer:
    with serving(uvloop) as (srv, _app):
        yield srv  # type: ignore[misc]


@pytest.mark.parametrize(("data", "status"), HTTP_LAYER_CASES.values(), ids=HTTP_LAYER_CASES)
def test_malformed_http_is_answered_as_today(
    server: EventLoopServer,
    data: bytes,
    status: int,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    got, headers, body = exchange(server, data)
    assert got == status, body
    assert headers["content-type"] == "application/json"
    assert headers["cache-control"] == "no-store"
    assert json.loads(body)["error"] == "invalid_request"
    assert b"Traceback" not in body and b"aaaa" not in body and b"evil" not in body
    # Refused requests leave nothing on stderr, and nothing above DEBUG in the log.
    assert capfd.readouterr().err == ""
    assert [r for r in caplog.records if r.levelno > logging.DEBUG] == []


def test_a_refusal_closes_the_connection(server: EventLoopServer) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /echo HTTP/1.1\r\n\r\nGET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, _body = read_response(sock)
        assert status == 400 and headers["connection"] == "close"
        assert closed_within(sock, 2)


def test_refusals_are_reported_to_the_application(uvloop: bool) -> None:
    with serving(uvloop) as (server, app):
        exchange(server, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n")
        exchange(server, b"GET /echo HTTP/1.1\r\n\r\n")
        assert app.refusals == [(414, "127.0.0.1"), (400, "127.0.0.1")]


def test_error_never_echoes_the_request_line(server: EventLoopServer) -> None:
    _status, _headers, body = exchange(server, b"GET /?client_secret=hunter2 HTTP/9.9\r\n\r\n")
    assert b"hunter2" not in body


def test_wrong_methods_are_405_json(server: EventLoopServer) -> None:
    for method in ("OPTIONS", "PATCH", "HEAD"):
        with connect(server) as sock:
            sock.sendall(f"{method} /oauth/token HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            status, headers, body = read_response(sock, method=method)
        assert status == 405 and headers["allow"] == "POST"
        if method != "HEAD":
            assert json.loads(body)["error"] == "invalid_request"


def test_expect_100_continue_is_honoured(server: EventLoopServer) -> None:
    with connect(server) as sock:
        sock.sendall(TOKEN + b"Expect: 100-continue\r\n" + FORM + b"Content-Length: 22\r\n\r\n")
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"grant_type=unknown_one")
        status, _headers, body = read_response(sock)
    assert status == 400 and json.loads(body)["error"] == "unsupported_grant_type"


def test_keep_alive_serves_many_requests_on_one_connection(server: EventLoopServer) -> None:
    body = b"grant_type=client_credentials"
    with connect(server) as sock:
        for i in range(20):
            sock.sendall(f"GET /echo?i={i} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            status, headers, answer = read_response(sock)
            assert status == 200 and json.loads(answer)["query"] == f"i={i}"
            assert "connection" not in headers
            sock.sendall(TOKEN + FORM + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            status, _headers, answer = read_response(sock)
            assert status == 200 and json.loads(answer)["access_token"] == "t"


def test_http10_closes_unless_asked_to_keep_alive(server: EventLoopServer) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /echo HTTP/1.0\r\n\r\n")
        status, headers, _body = read_response(sock)
        assert status == 200 and headers["connection"] == "close"
        assert closed_within(sock, 2)
    with connect(server) as sock:
        for _ in range(2):
            sock.sendall(b"GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            assert read_response(sock)[0] == 200


def test_pipelined_answers_keep_order_while_one_waits_on_the_pool(
    uvloop: bool,
) -> None:
    with serving(uvloop) as (server, app), connect(server) as sock:
        sock.sendall(
            b"GET /echo?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /slow?s=0.3 HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /echo?n=3 HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        answers = [json.loads(read_response(sock)[2]) for _ in range(3)]
    assert answers[0]["query"] == "n=1"
    assert answers[1]["slept"] == 0.3 and answers[1]["thread"].startswith("authclients-blocking")
    assert answers[2]["query"] == "n=3"
    assert app.pool_threads and all(t.startswith("authclients-blocking") for t in app.pool_threads)


def test_the_blocking_pool_is_bounded(uvloop: bool) -> None:
    with serving(uvloop, pool_workers=2) as (server, app):
        socks = [connect(server, source=f"127.0.0.{2 + i}") for i in range(6)]
        started = time.monotonic()
        for sock in socks:
            sock.sendall(b"GET /slow?s=0.2 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert all(read_response(sock)[0] == 200 for sock in socks)
        elapsed = time.monotonic() - started
        for sock in socks:
            sock.close()
    assert len(app.pool_threads) == 2
    assert elapsed >= 0.55  # six 0.2 s jobs on two threads: three rounds


def test_each_answer_is_one_write(server: EventLoopServer) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /echo?x=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.3)
        sock.setblocking(False)
        data = sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(ln for ln in head.split(b"\r\n") if ln.startswith(b"Content-Length:"))[15:])
    # The whole answer arrived together: headers, Date included, and the full body.
    assert b"\r\nDate: " in head and len(body) == length > 0


def test_head_is_get_without_the_body(server: EventLoopServer) -> None:
    with connect(server) as sock:
        # HEAD then GET on one connection: a body after the HEAD answer would garble the GET's.
        sock.sendall(b"HEAD /big HTTP/1.1\r\nHost: x\r\n\r\nGET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, body = read_response(sock, method="HEAD")
        assert status == 200 and body == b""
        assert headers["content-length"] == "1000000"  # the GET body's length (RFC 9110 9.3.2)
        assert headers["content-type"] == "text/plain"
        status, _headers, body = read_response(sock)
        assert status == 200 and json.loads(body)["method"] == "GET"


def test_an_application_error_is_a_500_json_and_logged(
    server: EventLoopServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="authclients.endpoint"):
        status, headers, body = exchange(server, b"GET /boom?secret=x HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 500 and json.loads(body)["error"] == "server_error"
    assert headers["connection"] == "close"
    assert "GET /boom" in caplog.text and "secret=x" not in caplog.text


def test_an_idle_connection_is_closed_after_the_idle_timeout(uvloop: bool) -> None:
    with serving(uvloop, idle_timeout=0.4, request_deadline=0.4) as (server, _app):
        with connect(server) as sock:
            started = time.monotonic()
            assert closed_within(sock, 3)
            assert 0.3 < time.monotonic() - started < 1.5
        with connect(server) as sock:
            sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(sock)[0] == 200
            started = time.monotonic()
            assert closed_within(sock, 3)  # idle keep-alive after an answer too
            assert 0.3 < time.monotonic() - started < 1.5


def test_a_dribbling_client_is_closed_at_the_request_deadline(uvloop: bool) -> None:
    with (
        serving(uvloop, idle_timeout=0.4, request_deadline=0.6) as (server, _app),
        connect(server) as sock,
    ):
        started = time.monotonic()
        closed = False
        for byte in b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                closed = True
                break
            time.sleep(0.1)  # each byte well inside the idle timeout
            if time.monotonic() - started > 3:
                break
        assert closed or closed_within(sock, 2)
        # Closed at idle + deadline (1.0 s), not after the 100-odd bytes (10 s).
        assert time.monotonic() - started < 2.5


def test_a_thousand_idle_connections_cost_no_thread_and_block_nobody(uvloop: bool) -> None:
    with serving(uvloop) as (server, _app):
        before = thread_count()
        # 16 source addresses: under the per-address cap, as many clients would be.
        idle = [connect(server, source=f"127.0.0.{2 + i % 16}") for i in range(1000)]
        try:
            deadline = time.monotonic() + 5
            while server.connections < 1000 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert server.connections == 1000
            assert thread_count() == before
            with connect(server) as sock:
                slowest = 0.0
                for _ in range(50):
                    started = time.monotonic()
                    sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
                    assert read_response(sock)[0] == 200
                    slowest = max(slowest, time.monotonic() - started)
            assert slowest < 0.25
        finally:
            for sock in idle:
                sock.close()


def test_the_thread_count_stays_constant_under_200_connections(uvloop: bool) -> None:
    with serving(uvloop) as (server, _app):
        with connect(server) as sock:  # the pool's threads start with its first work
            for _ in range(4):
                sock.sendall(b"GET /slow?s=0 HTTP/1.1\r\nHost: x\r\n\r\n")
                read_response(sock)
        before = thread_count()
        socks = [connect(server, source=f"127.0.0.{2 + i % 8}") for i in range(200)]
        try:
            for sock in socks:
                sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            peak = thread_count()
            for sock in socks:
                assert read_response(sock)[0] == 200
            peak = max(peak, thread_count())
        finally:
            for sock in socks:
                sock.close()
    assert peak <= before


def test_one_address_is_capped_others_are_not(uvloop: bool) -> None:
    with serving(uvloop, per_address_connections=3) as (server, _app):
        held = [connect(server) for _ in range(3)]
        try:
            with connect(server) as sock:
                status, headers, body = read_response(sock)
                assert status == 503 and headers["retry-after"] == "1"
                assert headers["connection"] == "close"
                assert json.loads(body)["error"] == "temporarily_unavailable"
            with connect(server, source="127.0.0.2") as sock:
                sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
                assert read_response(sock)[0] == 200
        finally:
            for sock in held:
                sock.close()
        time.sleep(0.2)
        assert exchange(server, b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 200


def test_the_global_cap_refuses_past_max_connections(uvloop: bool) -> None:
    with serving(uvloop, max_connections=4) as (server, _app):
        held = [connect(server, source=f"127.0.0.{2 + i}") for i in range(4)]
        try:
            with connect(server, source="127.0.0.9") as sock:
                status, _headers, body = read_response(sock)
            assert status == 503
            assert json.loads(body) == {
                "error": "temporarily_unavailable",
                "error_description": "Too many connections; retry soon.",
            }
        finally:
            for sock in held:
                sock.close()
        time.sleep(0.2)  # the closes reach the server: room again
        assert exchange(server, b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 200


def test_pool_work_in_flight_is_capped_per_address(uvloop: bool) -> None:
    with serving(uvloop, per_address_in_flight=1) as (server, _app):
        a, b, c = connect(server), connect(server), connect(server, source="127.0.0.2")
        with a, b, c:
            started = time.monotonic()
            for sock in (a, b, c):
                sock.sendall(b"GET /slow?s=0.4 HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(c)[0] == 200
            other_address = time.monotonic() - started
            assert read_response(a)[0] == 200 and read_response(b)[0] == 200
            same_address = time.monotonic() - started
    assert other_address < 0.7  # not queued behind the first address
    assert same_address >= 0.75  # one at a time: 0.4 + 0.4


def test_stop_closes_idle_keep_alive_connections_within_a_second(uvloop: bool) -> None:
    with serving(uvloop) as (server, _app):
        socks = [connect(server) for _ in range(20)]
        for sock in socks:
            sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(sock)[0] == 200
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 1.0
        assert all(closed_within(sock, 1) for sock in socks)
        for sock in socks:
            sock.close()
        with pytest.raises(OSError):
            connect(server, timeout=1)


def test_a_slow_reader_gets_the_whole_large_answer(server: EventLoopServer) -> None:
    with connect(server) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\nGET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.3)  # the server's buffer fills: it pauses, then resumes
        status, _headers, body = read_response(sock)
        assert status == 200 and len(body) == 1_000_000
        assert read_response(sock)[0] == 200


def test_a_pipelined_flood_is_answered_in_order_as_the_client_reads(
    server: EventLoopServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pauses: list[object] = []
    original = HttpConnection.pause_writing

    def pause_writing(self: HttpConnection) -> None:
        pauses.append(self)
        original(self)

    monkeypatch.setattr(HttpConnection, "pause_writing", pause_writing)
    count = 3000
    with connect(server) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        # 12 MB of answers first: more than the kernel buffers hold, so the server must pause.
        data = b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n" * 12 + b"".join(
            f"GET /echo?i={i} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for i in range(count)
        )
        sock.sendall(data)
        time.sleep(0.3)  # not reading: the server stops writing, and reading
        assert all(len(read_response(sock)[2]) == 1_000_000 for _ in range(12))
        queries = [json.loads(read_response(sock)[2])["query"] for _ in range(count)]
    assert queries == [f"i={i}" for i in range(count)]
    assert pauses


def test_uvloop_is_used_when_importable(uvloop: bool) -> None:
    with serving(uvloop) as (server, _app):
        assert (server.loop_name == "Loop") is uvloop


def test_a_taken_port_raises_address_in_use() -> None:
    with serving(False) as (server, _app):
        other = EventLoopServer(EchoApp(), port=server.port)
        with pytest.raises(OSError) as info:
            other.start()
        assert info.value.errno == errno.EADDRINUSE
        assert not other.running


def test_run_forever_in_the_main_thread_stops_on_sigterm_and_sigint(tmp_path: object) -> None:
    script = textwrap.dedent(
        """
        from authclients.store.endpoint.transport import EventLoopServer
        from tests.endpoint.echo_app import EchoApp
        EventLoopServer(EchoApp()).run_forever(lambda url: print("Listening on", url, flush=True))
        print("Stopped.", flush=True)
        """
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for signum in (signal.SIGTERM, signal.SIGINT):
        proc = subprocess.Popen(
            [sys.executable, "-c", script],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=root,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.startswith("Listening on http://127.0.0.1:"), (line, proc.stderr.read())
            port = int(line.rsplit(":", 1)[1])
            with socket.create_connection(("127.0.0.1", port), 5) as sock:
                sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
                assert read_response(sock)[0] == 200
                proc.send_signal(signum)
                out, err = proc.communicate(timeout=5)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0 and out.strip() == "Stopped.", err
        assert err == ""
