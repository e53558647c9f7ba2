"""CPU per client_credentials token: the endpoint process's CPU time under wrk, over its tokens.

Usage (from the repository root)::

    .venv/bin/python tests/bench/bench_cpu_per_token.py [--seconds 8] [--runs 3]
        [--connections 16] [--threads 2] [--scenario client_credentials]

It seeds a temporary SQLite file, starts ``authclients serve`` on it, and for
each run reads the server's user+system CPU time (``/proc/PID/stat``) before
and after ``wrk -tTHREADS -cCONNECTIONS -dSECONDS``. It prints requests/s, p99,
CPU µs per answer and how much of a core the endpoint used, then the medians;
it checks that every 200 of a token request is a row in the database. Linux only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench.bench_endpoint import (  # noqa: E402
    SCENARIOS,
    count_tokens,
    run_wrk,
    seed,
    start_server,
    stop_server,
)

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> tuple[float, float]:
    """User and system CPU time of process ``pid`` (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        # The command name may hold spaces: fields are counted after its closing parenthesis.
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / _TICKS, int(fields[12]) / _TICKS


def thread_cpu(pid: int) -> dict[str, float]:
    """User+system CPU seconds of ``serve``'s loop (its main thread) and of its other threads.

    Python 3.11 leaves the OS thread names alone, so the main thread (the loop)
    is told apart by its id; the others are the writer and the blocking pool.
    """
    out = {"loop": 0.0, "others": 0.0}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue  # the thread ended meanwhile
        name = "loop" if int(tid) == pid else "others"
        out[name] += (int(fields[11]) + int(fields[12])) / _TICKS
    return out


def max_threads(pid: int, stop: threading.Event, seen: list[int]) -> None:
    """Sample ``Threads:`` of ``/proc/PID/status`` until ``stop``; the highest goes in ``seen``."""
    most = 0
    while not stop.wait(0.1):
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Threads:"):
                    most = max(most, int(line.split()[1]))
    seen.append(most)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--scenario", default="client_credentials", choices=SCENARIOS)
    args = parser.parse_args(argv)

    os.environ.setdefault("AUTHCLIENTS_BCRYPT_ROUNDS", "4")
    from authclients.store import Store

    folder = tempfile.mkdtemp(prefix="authclients-cpu-")
    target = os.path.join(folder, "bench.db")
    store = Store.open(target, actor="bench")
    ids = seed(store)
    store.close()
    proc, url = start_server(target)
    print(
        f"authclients serve at {url} on SQLite {target}; wrk -t{args.threads} "
        f"-c{args.connections} -d{args.seconds}s; {args.runs} runs; {os.cpu_count()} CPUs",
        flush=True,
    )
    failed = False
    rows = []
    try:
        run_wrk(url, args.scenario, 1, args.connections, ids=ids, threads=args.threads)
        for run in range(1, args.runs + 1):
            tokens_before = count_tokens(target)
            cpu_before = cpu_seconds(proc.pid)
            threads_before = thread_cpu(proc.pid)
            sampling, seen = threading.Event(), []
            sampler = threading.Thread(target=max_threads, args=(proc.pid, sampling, seen))
            sampler.start()
            r = run_wrk(
                url, args.scenario, args.seconds, args.connections, ids=ids, threads=args.threads
            )
            cpu_after = cpu_seconds(proc.pid)
            sampling.set()
            sampler.join()
            threads_after = thread_cpu(proc.pid)
            user = cpu_after[0] - cpu_before[0]
            system = cpu_after[1] - cpu_before[1]
            cpu = user + system
            answers = int(r["requests"]) - int(r["non_2xx"])
            n = max(answers, 1)
            us = cpu / answers * 1e6 if answers else float("nan")
            line = (
                f"{args.scenario} #{run}: {float(r['rps']):7.0f} req/s  "
                f"p99 {float(r['p99_ms']):6.2f} ms  CPU {us:6.1f} µs/answer "
                f"(user {user / n * 1e6:.0f} + sys {system / n * 1e6:.0f})  "
                f"cores used {cpu / float(r['seconds']):4.2f}  non-2xx {r['non_2xx']}"
            )
            if args.scenario in ("client_credentials", "password"):
                issued = count_tokens(target) - tokens_before
                line += f"  tokens in db {issued} >= 200s {answers}: {issued >= answers}"
                failed |= issued < answers
            failed |= bool(r["non_2xx"] or r["socket_errors"])
            line += f"  load avg {os.getloadavg()[0]:.1f}"
            # Which thread spends it: the loop (``authclients``, the main thread of
            # ``serve``) is the one that bounds the rate; the writer runs beside it.
            per_thread = "  ".join(
                f"{name} {(spent - threads_before.get(name, 0.0)) / n * 1e6:.0f}"
                for name, spent in sorted(threads_after.items())
            )
            line += f"\n    µs/answer by thread: {per_thread}   threads at most {seen[0]}"
            print(line, flush=True)
            rows.append((float(r["rps"]), float(r["p99_ms"]), us))
        print(
            f"{args.scenario} MEDIAN: {statistics.median(x[0] for x in rows):7.0f} req/s  "
            f"p99 {statistics.median(x[1] for x in rows):6.2f} ms  "
            f"CPU {statistics.median(x[2] for x in rows):6.1f} µs/answer",
            flush=True,
        )
    finally:
        stop_server(proc)
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
