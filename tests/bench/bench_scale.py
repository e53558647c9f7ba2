"""Scale-out figure: client_credentials tokens/s of two ``authclients serve`` processes over one
PostgreSQL database, beside one process over SQLite (and one over PostgreSQL).

Usage (from the repository root)::

    .venv/bin/python tests/bench/bench_scale.py [--seconds 10] [--connections 16] [--runs 3]
        [--db postgresql://user@host:port/db]

Without ``--db`` it starts a throwaway PostgreSQL server (``tests/pgserver.py``:
initdb/pg_ctl on a free port, fsync off). Each process is loaded by its own
``wrk`` with ``--connections`` keep-alive connections, at the same time; the
aggregate is the sum of their requests over the run. Every 200 must be a token
row in the database, checked after each run. Medians of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench.bench_endpoint import (  # noqa: E402
    count_tokens,
    run_wrk,
    seed,
    start_server,
    stop_server,
)

SCENARIO = "client_credentials"


def measure(
    target: str, processes: int, *, seconds: int, connections: int, runs: int
) -> tuple[float, list[float], bool]:
    """Median aggregate tokens/s of ``processes`` serve processes on ``target``, each run's
    figure, and whether every 200 was a row in the database."""
    from authclients.store import Store

    store = Store.open(target, actor="bench")
    ids = seed(store)
    store.close()
    consistent = True
    figures: list[float] = []
    with ExitStack() as stack:
        urls = []
        for _ in range(processes):
            proc, url = start_server(target)
            stack.callback(stop_server, proc)
            urls.append(url)

        def load_all(duration: int) -> list[dict[str, object]]:
            results: list[dict[str, object]] = [{} for _ in urls]

            def one(i: int) -> None:
                results[i] = run_wrk(urls[i], SCENARIO, duration, connections, ids=ids)

            threads = [threading.Thread(target=one, args=(i,)) for i in range(len(urls))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return results

        load_all(1)  # warm-up: connections, caches, the committer threads
        for run in range(1, runs + 1):
            before = count_tokens(target)
            results = load_all(seconds)
            ok = sum(int(r["requests"]) - int(r["non_2xx"]) for r in results)  # type: ignore[call-overload]
            errors = sum(int(r["non_2xx"]) + int(r["socket_errors"]) for r in results)  # type: ignore[call-overload]
            issued = count_tokens(target) - before
            rate = sum(float(r["rps"]) for r in results)  # type: ignore[arg-type]
            p99 = max(float(r["p99_ms"]) for r in results)  # type: ignore[arg-type]
            consistent &= issued >= ok and errors == 0
            figures.append(rate)
            print(
                f"  run {run}: {rate:8.0f} tokens/s  (per process: "
                + ", ".join(f"{float(r['rps']):.0f}" for r in results)  # type: ignore[arg-type]
                + f")  worst p99 {p99:.1f} ms  errors {errors}  tokens in db {issued} >= {ok}",
                flush=True,
            )
    return statistics.median(figures), figures, consistent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="per run (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="per process (default 16)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", help="a PostgreSQL URL instead of a throwaway server")
    args = parser.parse_args(argv)
    os.environ.setdefault("AUTHCLIENTS_BCRYPT_ROUNDS", "4")

    from tests.pgserver import PostgresServer

    kw = {"seconds": args.seconds, "connections": args.connections, "runs": args.runs}
    print(
        f"{SCENARIO}: wrk -t1 -c{args.connections} per process, {args.runs} x {args.seconds} s, "
        f"{os.cpu_count()} CPUs (wrk, the servers and PostgreSQL share them)",
        flush=True,
    )
    folder = tempfile.mkdtemp(prefix="authclients-scale-")
    figures: dict[str, float] = {}
    ok = True
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, folder, True)
        print("1 process, SQLite (WAL):", flush=True)
        figures["sqlite x1"], _, good = measure(os.path.join(folder, "scale.db"), 1, **kw)
        ok &= good
        if args.db:
            pg_one = pg_two = args.db
        else:
            server = stack.enter_context(PostgresServer())
            pg_one = server.create_database()[1]
            pg_two = server.create_database()[1]
        print("1 process, PostgreSQL:", flush=True)
        figures["postgresql x1"], _, good = measure(pg_one, 1, **kw)
        ok &= good
        print("2 processes, one PostgreSQL database:", flush=True)
        figures["postgresql x2"], _, good = measure(pg_two, 2, **kw)
        ok &= good
    print("\nmedian client_credentials tokens/s")
    for name, value in figures.items():
        print(f"  {name:<16} {value:8.0f}")
    print(f"every 200 was a token in the database: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
