"""Benchmark ``store.clients.list()`` at scale: median and p95 per operation, in ms.

Not a test. Run it by hand:

    .venv/bin/python tests/bench/bench_store_list.py [--clients 100000] [--tokens 20000]

The fill goes straight through the models with ``insert_many`` inside one
transaction (no validation, no audit, one digest per row instead of a fresh
secret) because creating 100,000 clients one by one through
``store.clients.create`` would time the fill, not the list. Everything timed
afterwards goes through the public ``Store`` API, exactly as the TUI calls it.
Add ``--plans`` to print SQLite's EXPLAIN QUERY PLAN for each query the list
runs, ``--analyze`` to time with SQLite statistics (the program never runs
ANALYZE itself, so the default is without).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.models import AccessToken, Client

WORDS = (
    "billing",
    "reports",
    "mobile",
    "portal",
    "gateway",
    "sync",
    "crm",
    "analytics",
    "import",
    "export",
    "partner",
    "inventory",
    "payroll",
    "search",
    "ledger",
    "webhook",
    "kiosk",
    "scanner",
)


def fill(store: Store, clients: int, tokens: int, seed: int = 7) -> None:
    """Bulk-insert ``clients`` clients and ``tokens`` access tokens in one transaction."""
    rng = random.Random(seed)
    now = store.clock.now()
    rows = []
    for i in range(1, clients + 1):
        created = now - timedelta(seconds=clients - i)
        rows.append(
            {
                "name": f"{rng.choice(WORDS)} {rng.choice(WORDS)} app {i}",
                "secret_hash": hashlib.sha256(f"secret-{i}".encode()).hexdigest(),
                "secret_hint": f"{i % 10_000:04d}",
                "redirect_uris": f"https://app{i}.example.com/callback",
                "scopes": "",
                "grant_authorization_code": i % 2 == 0,
                "grant_password": i % 3 == 0,
                "grant_personal_access": i % 5 == 0,
                "grant_client_credentials": i % 2 == 1,
                "public": False,
                "revoked": False,
                "created_at": created,
                "updated_at": created,
            }
        )
    token_rows = []
    for t in range(tokens):
        token_rows.append(
            {
                "token_hash": hashlib.sha256(f"token-{t}".encode()).hexdigest(),
                "token_hint": f"{t % 10_000:04d}",
                "client": rng.randint(1, clients),
                "user": None,
                "grant_type": "client_credentials",
                "scopes": "",
                "created_at": now,
                # A quarter already expired, so the active count has to filter.
                "expires_at": now + (timedelta(hours=1) if t % 4 else -timedelta(hours=1)),
            }
        )
    with store.db.atomic():
        for start in range(0, len(rows), 2_000):
            Client.insert_many(rows[start : start + 2_000]).execute()
        for start in range(0, len(token_rows), 2_000):
            AccessToken.insert_many(token_rows[start : start + 2_000]).execute()


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and p95 wall time of ``fn`` in milliseconds, after one warm-up call."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95


def show_plans(store: Store, operations: dict[str, Callable[[], object]]) -> None:
    """Print EXPLAIN QUERY PLAN for every SELECT each operation runs."""
    db = store.db
    original = db.execute_sql

    for label, fn in operations.items():
        seen: list[tuple[str, tuple]] = []

        def capture(sql, params=None, *args, _seen=seen, **kwargs):
            if sql.lstrip().upper().startswith("SELECT"):
                _seen.append((sql, tuple(params or ())))
            return original(sql, params, *args, **kwargs)

        db.execute_sql = capture
        try:
            fn()
        finally:
            db.execute_sql = original
        print(f"\n== {label}")
        for sql, params in seen:
            print(f"   {sql[:160]}{'…' if len(sql) > 160 else ''}")
            for row in original("EXPLAIN QUERY PLAN " + sql, params).fetchall():
                print(f"     {row[-1]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--plans", action="store_true", help="print EXPLAIN QUERY PLAN")
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="run ANALYZE after the fill (the program never does, so the default is without)",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(str(Path(folder) / "bench.db"), clock=ManualClock(), actor="bench")
        start = time.perf_counter()
        fill(store, args.clients, args.tokens)
        if args.analyze:
            store.db.execute_sql("ANALYZE")
        print(
            f"filled {args.clients:,} clients and {args.tokens:,} tokens "
            f"in {time.perf_counter() - start:.1f} s"
        )
        deep = max(0, args.clients - 50)
        some_id = args.clients // 2
        operations: dict[str, Callable[[], object]] = {
            "first page (sort id)": lambda: store.clients.list(limit=50),
            "filter name substring 'payroll'": lambda: store.clients.list("payroll", limit=50),
            "filter matching nothing": lambda: store.clients.list("zzz-no-such-app", limit=50),
            f"id lookup '{some_id}'": lambda: store.clients.list(str(some_id), limit=50),
            "sort name desc": lambda: store.clients.list(sort="name", descending=True, limit=50),
            "sort active_tokens desc": lambda: store.clients.list(
                sort="active_tokens", descending=True, limit=50
            ),
            f"deep offset {deep:,}": lambda: store.clients.list(offset=deep, limit=50),
            "sort created_at desc": lambda: store.clients.list(
                sort="created_at", descending=True, limit=50
            ),
            "sort updated_at desc": lambda: store.clients.list(
                sort="updated_at", descending=True, limit=50
            ),
            f"sort name, offset {deep:,}": lambda: store.clients.list(
                sort="name", offset=deep, limit=50
            ),
            "sort secret_hint (no index)": lambda: store.clients.list(sort="secret_hint", limit=50),
            "sort grants desc (no index)": lambda: store.clients.list(
                sort="grants", descending=True, limit=50
            ),
            "get(id)": lambda: store.clients.get(some_id),
        }
        print(f"{'operation':40} {'median ms':>10} {'p95 ms':>10}")
        for label, fn in operations.items():
            median, p95 = timed(fn, args.repeat)
            flag = "  <-- slow" if median > 50 else ""
            print(f"{label:40} {median:10.2f} {p95:10.2f}{flag}")
        if args.plans:
            show_plans(store, operations)
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
