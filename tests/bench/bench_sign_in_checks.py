"""What the brute-force checks before bcrypt cost per sign-in: the fixed window vs escalation.

Usage (from the repository root)::

    .venv/bin/python tests/bench/bench_sign_in_checks.py [--calls 2000]

A temporary SQLite file, one user with three failures on record. A sign-in
runs the check twice (before and inside its bcrypt slot); compare with one
bcrypt check at cost 12, printed last.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("AUTHCLIENTS_BCRYPT_ROUNDS", "4")

from authclients.store import Store, crypto
from authclients.store.ratelimit import KIND_PASSWORD, RateLimiter


def per_call_us(call: Callable[[], object], calls: int) -> float:
    for _ in range(calls // 10):
        call()
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(str(Path(folder) / "bench.db"), actor="endpoint")
        store.users.add("alice", "a long password")
        limiter = RateLimiter(store)
        for _ in range(3):
            limiter.record_password_failure("alice", "192.0.2.1")
        old = per_call_us(lambda: limiter.check(KIND_PASSWORD, "alice"), args.calls)
        new = per_call_us(lambda: limiter.check_password("alice", "192.0.2.1"), args.calls)
        store.close()
    print(f"fixed window check:              {old:7.0f} us")
    print(f"escalating + address check:      {new:7.0f} us")
    stored = crypto.hash_password("a long password", 12)
    started = time.perf_counter()
    crypto.check_password("a wrong password", stored)
    print(f"one bcrypt check at cost 12:     {(time.perf_counter() - started) * 1e6:7.0f} us")


if __name__ == "__main__":
    main()
