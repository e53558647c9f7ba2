"""Micro-benchmark of the HTTP/1.1 request parser: µs per typical token request.

Usage (from the repository root)::

    .venv/bin/python tests/bench/bench_http_parse.py [--requests 100000] [--runs 5]

It feeds the bytes a client sends for one ``client_credentials`` token request
(HTTP Basic, a form body, as ``requests`` sends it) to a fresh parser each
time, as one segment and as 8 pipelined requests in one segment, and prints
the best of ``--runs`` in µs per request.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from authclients.store.endpoint.http11 import Request, RequestParser  # noqa: E402

BODY = b"grant_type=client_credentials&scope=read"
TOKEN_REQUEST = (
    b"POST /oauth/token HTTP/1.1\r\n"
    b"Host: 127.0.0.1:8765\r\n"
    b"User-Agent: python-requests/2.32.3\r\n"
    b"Accept-Encoding: gzip, deflate\r\n"
    b"Accept: */*\r\n"
    b"Connection: keep-alive\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n"
    b"Authorization: Basic MTI6ZEdocGN5QnBjeUJoSUhObFkzSmxkQ0JtYjNJZ1ltVnVZMmc=\r\n"
    b"Content-Length: %d\r\n\r\n" % len(BODY)
) + BODY


def per_request_us(data: bytes, per_feed: int, count: int) -> float:
    """µs per request when ``data`` (holding ``per_feed`` requests) is fed ``count`` times."""
    feeds = max(1, count // per_feed)
    started = time.perf_counter()
    for _ in range(feeds):
        events = RequestParser().feed(data)
    elapsed = time.perf_counter() - started
    assert len(events) == per_feed and all(isinstance(e, Request) for e in events)
    return elapsed / (feeds * per_feed) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, {len(TOKEN_REQUEST)} bytes per request")
    for label, data, per_feed in (
        ("one request per segment", TOKEN_REQUEST, 1),
        ("8 pipelined per segment", TOKEN_REQUEST * 8, 8),
    ):
        best = min(per_request_us(data, per_feed, args.requests) for _ in range(args.runs))
        print(f"{label:26} {best:6.2f} µs per request (best of {args.runs})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
