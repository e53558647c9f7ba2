"""Slow-client benchmark: wrk with and without 1,000 connections dribbling a byte every 3 s.

Usage (from the repository root)::

    .venv/bin/python tests/bench/bench_slow_clients.py [--url URL] [--slow 1000]
        [--slow-addresses 1] [--interval 3] [--seconds 8] [--connections 16]
        [--per-address-cap 64] [--loop auto|asyncio|uvloop]
        [--header 'Name: value' ...] [--body FORM]

Without ``--url`` it starts the event-loop transport with the tests' echo
application in a subprocess and loads ``GET /echo``. With ``--url`` it loads
that endpoint as it is (``POST`` when ``--body`` is given), e.g. a running
``authclients serve`` with ``--url http://127.0.0.1:PORT/oauth/token --body
grant_type=client_credentials --header 'Authorization: Basic ...' --header
'Content-Type: application/x-www-form-urlencoded' --slow-addresses 20``.

The slow clients come from ``--slow-addresses`` loopback addresses
(127.0.0.2, 127.0.0.3, ...; wrk uses 127.0.0.1). Each sends a request line and
then one header byte every ``--interval`` seconds; when the server closes it
(503, a deadline) it waits one interval and reconnects, as an attacker would.
Loopback only; bounded in time and count.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench.bench_endpoint import WRK, Request, wrk_script  # noqa: E402

SERVER = textwrap.dedent(
    """
    import sys
    from authclients.store.endpoint.connection import Limits
    from authclients.store.endpoint.transport import EventLoopServer
    from tests.endpoint.echo_app import EchoApp
    cap = int(sys.argv[1]) or 1_000_000
    use_uvloop = {"auto": None, "asyncio": False, "uvloop": True}[sys.argv[2]]
    server = EventLoopServer(
        EchoApp(), limits=Limits(per_address_connections=cap), use_uvloop=use_uvloop
    )
    server.run_forever(lambda url: print("Listening on", url, flush=True))
    """
)


@dataclass
class SlowStats:
    """What the dribbling clients saw."""

    connects: int = 0
    refused: int = 0
    """Connections the server answered or closed (a 503, a deadline) before we stopped."""
    connect_errors: int = 0
    open_now: int = 0
    peak_open: int = 0


class _Dribbler(asyncio.Protocol):
    """One slow client: a request line, then one header byte per interval, on a loop timer.

    Timers, not a task per connection: the benchmark's own CPU must not be what
    slows wrk down.
    """

    def __init__(self, interval: float, stats: SlowStats, closed: asyncio.Future[None]) -> None:
        self.interval = interval
        self.stats = stats
        self.closed = closed
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.stats.connects += 1
        self.stats.open_now += 1
        self.stats.peak_open = max(self.stats.peak_open, self.stats.open_now)
        transport.write(b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # type: ignore[attr-defined]
        self.timer = asyncio.get_running_loop().call_later(self.interval, self.tick)

    def tick(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"a")
            self.timer = asyncio.get_running_loop().call_later(self.interval, self.tick)

    def data_received(self, data: bytes) -> None:
        if self.transport is not None:
            self.transport.close()  # an answer (a 503): the server is done with us

    def connection_lost(self, exc: Exception | None) -> None:
        self.stats.open_now -= 1
        if self.timer is not None:
            self.timer.cancel()
        if not self.closed.done():
            self.closed.set_result(None)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()


async def _dribble(
    host: str,
    port: int,
    source: str,
    interval: float,
    stats: SlowStats,
    stop: asyncio.Event,
    delay: float,
) -> None:
    loop = asyncio.get_running_loop()
    await _sleep(stop, delay)  # spread over one interval: a steady trickle, not bursts
    while not stop.is_set():
        closed: asyncio.Future[None] = loop.create_future()
        try:
            _transport, dribbler = await loop.create_connection(
                lambda: _Dribbler(interval, stats, closed),  # noqa: B023 - awaited in this turn
                host,
                port,
                local_addr=(source, 0),
            )
        except OSError:
            stats.connect_errors += 1
            await _sleep(stop, interval)
            continue
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait([closed, stopped], return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not closed.done():
            dribbler.close()
            return
        stats.refused += 1
        await _sleep(stop, interval)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


class SlowClients:
    """``count`` dribbling connections on an asyncio loop of their own, in a thread."""

    def __init__(self, url: str, count: int, addresses: int, interval: float) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.count = count
        self.addresses = addresses
        self.interval = interval
        self.stats = SlowStats()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        jobs = [
            _dribble(
                self.host,
                self.port,
                f"127.0.0.{2 + i % self.addresses}",
                self.interval,
                self.stats,
                self._stop,
                self.interval * i / self.count,
            )
            for i in range(self.count)
        ]
        await asyncio.gather(*jobs)

    def start(self, settle: float) -> None:
        self._thread.start()
        time.sleep(settle)

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def run_wrk(url: str, request: Request, seconds: int, connections: int) -> dict[str, float]:
    """wrk -t2 against ``url``; requests/s, p99 and non-2xx."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(wrk_script(request))
        script = f.name
    try:
        done = subprocess.run(
            [
                WRK,
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                script,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 30,
        )
    finally:
        os.unlink(script)
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRK_JSON "))
    raw = json.loads(line.removeprefix("WRK_JSON "))
    duration = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "rps": raw["requests"] / duration if duration else 0.0,
        "p99_ms": raw["p99_us"] / 1000,
        "non_2xx": raw["non_2xx"],
        "socket_errors": raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
    }


def start_echo_server(per_address_cap: int, loop: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(per_address_cap), loop],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("Listening on "):
        proc.kill()
        raise SystemExit(f"the echo server did not start: {line!r}")
    return proc, line.split()[-1] + "/echo"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="load this endpoint instead of starting the echo server")
    parser.add_argument("--slow", type=int, default=1000, help="dribbling connections")
    parser.add_argument("--slow-addresses", type=int, default=1, choices=range(1, 200))
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between bytes")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--settle", type=float, default=4.0, help="seconds to connect first")
    parser.add_argument(
        "--per-address-cap", type=int, default=64, help="echo server only; 0: no cap"
    )
    parser.add_argument(
        "--loop", choices=("auto", "asyncio", "uvloop"), default="auto", help="echo server only"
    )
    parser.add_argument("--header", action="append", default=[], help="'Name: value'")
    parser.add_argument("--body", default="", help="a form body (makes the request a POST)")
    args = parser.parse_args(argv)
    if not 0 < args.slow <= 5000:
        parser.error("--slow must be between 1 and 5000")
    if not 1 <= args.seconds <= 60:
        parser.error("--seconds must be between 1 and 60")

    proc = None
    url = args.url
    if url is None:
        proc, url = start_echo_server(args.per_address_cap, args.loop)
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
        parser.error("loopback only: the URL must be on 127.0.0.1")
    headers = dict(h.split(":", 1) for h in args.header)
    headers = {k.strip(): v.strip() for k, v in headers.items()}
    if args.body:
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    request = Request("POST" if args.body else "GET", urlsplit(url).path, args.body, headers)
    try:
        print(f"target {url}  wrk -t2 -c{args.connections} -d{args.seconds}s")
        quiet = run_wrk(url, request, args.seconds, args.connections)
        print(_describe("without slow clients", quiet))
        slow = SlowClients(url, args.slow, args.slow_addresses, args.interval)
        slow.start(args.settle)
        try:
            loaded = run_wrk(url, request, args.seconds, args.connections)
            stats = slow.stats
            open_now = stats.open_now
        finally:
            slow.stop()
        print(_describe(f"with {args.slow} slow clients", loaded))
        print(
            f"  slow clients from {args.slow_addresses} address(es): {open_now} open at the "
            f"end, peak {stats.peak_open}, {stats.connects} connects, {stats.refused} closed by "
            f"the server, {stats.connect_errors} connect errors"
        )
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
    return 0


def _describe(label: str, r: dict[str, float]) -> str:
    return (
        f"{label:28} {r['rps']:8.0f} req/s  p99 {r['p99_ms']:7.2f} ms  "
        f"non-2xx {int(r['non_2xx'])}  socket errors {int(r['socket_errors'])}  "
        f"({int(r['requests'])} requests)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
