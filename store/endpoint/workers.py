"""``authclients serve --workers N``: N processes share one port (``SO_REUSEPORT``).

Each worker is a whole endpoint (its own event loop, pool and group committer)
over the same PostgreSQL database; the kernel spreads new connections over
them. Everything the race tests rely on (single-use codes, refresh rotation,
brute-force counters) is decided in the database, so it holds across workers
as it holds across separate ``serve`` processes. The parent only starts the
workers, reports once they all listen, forwards SIGINT/SIGTERM and reaps them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Iterable
from typing import Any

from authclients.store.endpoint.server import PortInUse, TokenEndpoint
from authclients.store.service import Store

READY_TIMEOUT = 30.0
"""Seconds the workers have to start listening."""
STOP_TIMEOUT = 5.0
"""Seconds the workers have to stop after SIGTERM before they are killed."""


def run_workers(
    store: Store,
    host: str,
    port: int,
    workers: int,
    *,
    public_url: str | None = None,
    trusted_proxies: Iterable[str] = (),
) -> int:
    """Serve with ``workers`` processes until SIGINT or SIGTERM; returns the exit code.

    The first line on stdout is ``Listening on http://HOST:PORT`` once every
    worker listens, as with one process (then ``Issuer URL`` with ``public_url``).
    """
    settings = {"public_url": public_url, "trusted_proxies": tuple(trusted_proxies)}
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Hold the port (bound, not listening: it receives nothing) until the workers
    # listen on it, so port 0 becomes one port for all and a taken port fails here.
    reservation = socket.socket(family, socket.SOCK_STREAM)
    try:
        reservation.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        reservation.bind((host, port))
    except OSError as exc:
        reservation.close()
        if exc.errno == errno.EADDRINUSE:
            print(f"authclients serve: {PortInUse(host, port)}", file=sys.stderr, flush=True)
        else:
            print(
                f"authclients serve: cannot listen on {host}:{port}: {exc.strerror or exc}",
                file=sys.stderr,
                flush=True,
            )
        return 1
    port = reservation.getsockname()[1]
    # No database connection crosses a fork: each worker opens its own.
    store.close()
    stopping: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        stopping.append(signum)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    ready_r, ready_w = os.pipe()
    children: list[int] = []
    try:
        for _ in range(workers):
            pid = os.fork()
            if pid == 0:
                os.close(ready_r)
                reservation.close()
                _worker(store, host, port, ready_w, settings)  # never returns
            children.append(pid)
        os.close(ready_w)
        if not _wait_ready(ready_r, workers, children, stopping):
            _stop(children)
            print("authclients serve: a worker failed to start.", file=sys.stderr, flush=True)
            return 1
        reservation.close()
        url_host = f"[{host}]" if ":" in host else host
        print(f"Listening on http://{url_host}:{port}", flush=True)
        if public_url is not None:
            print(f"Issuer {public_url}", flush=True)
        status = _supervise(children, stopping)
    finally:
        os.close(ready_r)
        reservation.close()
        _stop(children)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print("Stopped.", file=sys.stderr, flush=True)
    return status


def _worker(store: Store, host: str, port: int, ready_w: int, settings: dict[str, Any]) -> None:
    """One worker process: serve until SIGTERM, then exit without returning to the CLI."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    code = 0
    try:
        endpoint = TokenEndpoint(store, host=host, port=port, reuse_port=True, **settings)
        endpoint.serve_forever(lambda url: os.write(ready_w, b"1"))
    except BaseException as exc:
        code = 1
        if not isinstance(exc, KeyboardInterrupt):
            print(f"authclients serve: a worker failed: {exc}", file=sys.stderr, flush=True)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _wait_ready(ready_r: int, workers: int, children: list[int], stopping: list[int]) -> bool:
    """True once every worker wrote its ready byte; False if one exited or time ran out."""
    deadline = time.monotonic() + READY_TIMEOUT
    count = 0
    while count < workers:
        if stopping or time.monotonic() > deadline or _any_exited(children):
            return False
        readable, _, _ = select.select([ready_r], [], [], 0.1)
        if readable:
            data = os.read(ready_r, workers)
            if not data:
                return False
            count += len(data)
    return True


def _supervise(children: list[int], stopping: list[int]) -> int:
    """Wait for a signal (exit 0) or a worker's unexpected end (exit 1)."""
    while not stopping:
        if _any_exited(children):
            print(
                "authclients serve: a worker stopped unexpectedly; stopping the others.",
                file=sys.stderr,
                flush=True,
            )
            return 1
        time.sleep(0.1)
    return 0


def _any_exited(children: list[int]) -> bool:
    for pid in list(children):
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done:
            children.remove(pid)
            return True
    return False


def _stop(children: list[int]) -> None:
    """SIGTERM every worker still running; SIGKILL those that outlive ``STOP_TIMEOUT``."""
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while children and time.monotonic() < deadline:
        for pid in list(children):
            done, _status = os.waitpid(pid, os.WNOHANG)
            if done:
                children.remove(pid)
        time.sleep(0.02)
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    children.clear()
