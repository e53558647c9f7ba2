"""Start, stop, ports, keep-alive, timeouts, and ``authclients serve`` as a process."""

from __future__ import annotations

import base64
import http.client
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from authclients.store import Store
from authclients.store.endpoint import PortInUse, TokenEndpoint
from authclients.store.endpoint.connection import Limits
from authclients.store.records import CreatedClient, UserInfo
from tests.endpoint.conftest import AUTHCLIENTS, PASSWORD, basic, serving

SOCKETS_ONLY = pytest.mark.sqlite_only("sockets and processes, the same on every database")


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def get_request(path: str = "/.well-known/oauth-authorization-server") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()


def read_response(sock: socket.socket) -> http.client.HTTPResponse:
    response = http.client.HTTPResponse(sock)
    response.begin()
    response.read()
    return response


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """True if the server closes ``sock`` within ``seconds`` (EOF or reset)."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


@pytest.fixture
def short_timeouts(store: Store) -> Iterator[TokenEndpoint]:
    ep = TokenEndpoint(store, port=0, idle_timeout=0.5, request_deadline=1.0)
    ep.start()
    yield ep
    ep.stop()


@SOCKETS_ONLY
def test_port_zero_picks_a_free_port_and_the_url_says_which(store: Store) -> None:
    ep = TokenEndpoint(store, port=0)
    assert not ep.running
    ep.start()
    try:
        host, port = address(ep.url)
        assert ep.running and host == "127.0.0.1" and port > 0
        assert requests.get(f"{ep.url}/.well-known/oauth-authorization-server").status_code == 200
    finally:
        ep.stop()
    assert not ep.running
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/", timeout=2)


@SOCKETS_ONLY
def test_a_taken_port_is_port_in_use(store: Store) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ep = TokenEndpoint(store, port=port)
        with pytest.raises(PortInUse) as caught:
            ep.start()
        assert caught.value.port == port and str(port) in str(caught.value)
        assert not ep.running
    # Two endpoints cannot share a port either.
    with TokenEndpoint(store, port=0) as first, pytest.raises(PortInUse):
        TokenEndpoint(store, port=address(first.url)[1]).start()


@SOCKETS_ONLY
def test_stop_is_quick_with_an_idle_keep_alive_connection_open(store: Store) -> None:
    ep = TokenEndpoint(store, port=0)
    ep.start()
    with socket.create_connection(address(ep.url)) as sock:
        sock.sendall(get_request())
        assert read_response(sock).status == 200
        started = time.monotonic()
        ep.stop()
        assert time.monotonic() - started < 1.0
        assert closed_within(sock, 1.0)


def test_stop_within_a_second_with_many_idle_connections_after_pool_work(
    store: Store, web: CreatedClient, alice: UserInfo
) -> None:
    """The console's case: its own loop in its own thread, pool threads holding database
    connections, 60 idle keep-alive connections (under the per-address cap); stop() ends all
    of it in time."""
    ep = TokenEndpoint(store, port=0)
    ep.start()
    loop_threads = [t for t in threading.enumerate() if t.name.startswith("authclients-endpoint")]
    assert len(loop_threads) == 1 and loop_threads[0] is not threading.current_thread()
    # The password grant runs bcrypt on the pool: its threads now hold database connections.
    r = requests.post(
        f"{ep.url}/oauth/token",
        data={"grant_type": "password", "username": "alice", "password": PASSWORD},
        auth=basic(web),
    )
    assert r.status_code == 200
    held = [socket.create_connection(address(ep.url)) for _ in range(60)]
    try:
        for sock in held:
            sock.sendall(get_request())
            assert read_response(sock).status == 200
        started = time.monotonic()
        ep.stop()
        assert time.monotonic() - started < 1.0
        assert all(closed_within(sock, 1.0) for sock in held)
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and _endpoint_threads():
        time.sleep(0.02)
    assert _endpoint_threads() == []


def _endpoint_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("authclients-")]


@SOCKETS_ONLY
def test_keep_alive_serves_many_requests_on_one_connection(
    url: str, machine: CreatedClient
) -> None:
    conn = http.client.HTTPConnection(*address(url), timeout=5)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    user, secret = basic(machine)
    headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()
    conn.connect()
    first_socket = conn.sock
    for _ in range(3):
        conn.request("POST", "/oauth/token", body="grant_type=client_credentials", headers=headers)
        response = conn.getresponse()
        assert response.status == 200 and response.getheader("Connection") is None
        response.read()
        assert conn.sock is first_socket
    conn.close()


@SOCKETS_ONLY
def test_idle_connection_is_closed_after_the_idle_timeout(short_timeouts: TokenEndpoint) -> None:
    with socket.create_connection(address(short_timeouts.url)) as sock:
        started = time.monotonic()
        assert closed_within(sock, 3.0)
        assert 0.4 < time.monotonic() - started < 3.0


@SOCKETS_ONLY
def test_client_dribbling_its_request_is_dropped_at_the_deadline(
    short_timeouts: TokenEndpoint,
) -> None:
    with socket.create_connection(address(short_timeouts.url)) as sock:
        started = time.monotonic()
        request = get_request()
        closed = False
        # A byte every 0.2 s never trips the 0.5 s idle timeout; the deadline catches it.
        for byte in request * 10:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                closed = True
                break
            if closed_within(sock, 0.2):
                closed = True
                break
        assert closed
        assert time.monotonic() - started < 3.5
    # The endpoint itself is fine.
    assert requests.get(f"{short_timeouts.url}/.well-known/oauth-authorization-server").ok


def test_serve_prints_its_url_first_and_stops_cleanly_on_sigterm(
    store: Store, db_target: str
) -> None:
    with serving(db_target) as (proc, url):
        assert requests.get(f"{url}/.well-known/oauth-authorization-server").status_code == 200
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert "Traceback" not in err and "Traceback" not in out


@SOCKETS_ONLY
def test_serve_stops_cleanly_on_ctrl_c_with_a_connection_open(store: Store, db_target: str) -> None:
    with serving(db_target) as (proc, url), socket.create_connection(address(url)) as sock:
        sock.sendall(get_request())
        assert read_response(sock).status == 200
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


@SOCKETS_ONLY
def test_serve_on_a_taken_port_is_one_line_and_exit_1(store: Store, db_target: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [AUTHCLIENTS, "serve", "--db", db_target, "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=20,
        )
    assert done.returncode == 1
    assert done.stdout == ""
    assert "already in use" in done.stderr and "Traceback" not in done.stderr


@SOCKETS_ONLY
def test_connections_past_the_per_address_cap_get_503(endpoint: TokenEndpoint) -> None:
    """One address may hold ``Limits.per_address_connections``; the next is 503, not queued.

    Replaces "256 connections then 503", which asserted the thread-per-connection
    server's global cap: connections no longer cost a thread, so the cap that
    matters is the per-address one.
    """
    cap = Limits().per_address_connections
    held = [socket.create_connection(address(endpoint.url)) for _ in range(cap)]
    try:
        for sock in held[:2]:
            sock.sendall(get_request())
            assert read_response(sock).status == 200
        deadline = time.monotonic() + 5
        while endpoint.connections < cap and time.monotonic() < deadline:
            time.sleep(0.01)
        with socket.create_connection(address(endpoint.url)) as extra:
            response = read_response(extra)
            assert response.status == 503 and response.getheader("Retry-After") == "1"
        held[-1].sendall(get_request())
        assert read_response(held[-1]).status == 200
    finally:
        for sock in held:
            sock.close()


@SOCKETS_ONLY
def test_no_nagle_stall_between_requests_on_one_connection(
    url: str, machine: CreatedClient
) -> None:
    """Headers and body in one write, TCP_NODELAY: no 40 ms delayed-ACK wait per request."""
    user, secret = basic(machine)
    auth = base64.b64encode(f"{user}:{secret}".encode()).decode()
    body = b"grant_type=client_credentials"
    request = (
        f"POST /oauth/token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    timings = []
    with socket.create_connection(address(url)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(25):
            started = time.perf_counter()
            sock.sendall(request)
            assert read_response(sock).status == 200
            timings.append(time.perf_counter() - started)
    timings.sort()
    assert timings[len(timings) // 2] < 0.030, timings
