"""Issue 12's targets in one run: every figure, the command's own, met or missed.

Usage (from the repository root)::

    .venv/bin/python tests/bench/bench_issue12.py [--runs 3] [--seconds 8]
        [--connections 16] [--threads 2] [--slow 1000] [--slow-addresses 20]
        [--skip-console] [--console-db PATH] [--console-clients 100000]

In one period, on this machine:

a. ``client_credentials``, ``introspect`` and ``users_me`` against node
   oidc-provider (``bench_compare``: interleaved, ``--runs`` each, medians and
   ratios), with ``authclients serve`` on a temporary SQLite file;
b. the same ``serve`` under the password grant (bcrypt on the blocking pool);
c. ``--runs`` pairs of wrk without and with ``--slow`` connections dribbling a
   byte every 3 s from ``--slow-addresses`` loopback addresses
   (``bench_slow_clients``), while wrk drives client_credentials;
d. all along, the most threads ``serve`` had (``/proc/PID/status``, sampled
   every 0.1 s);
e. unless ``--skip-console``: the real console in tmux, key to screen while wrk
   drives its embedded endpoint with 16 connections (``bench_console``'s part 2).
   It needs a database of ``--console-clients`` clients: ``--console-db PATH``
   fills PATH once and reuses it afterwards (a temporary one otherwise).

Then one table: each target of the issue, its figure, met or missed. Every run
is printed as it ends; the figures in the table are medians. With the defaults
it takes about 4 minutes (245 s measured, console part included, its database
already filled; filling 100,000 clients took 15 s here), 3.5 without the
console. Needs wrk and node (npm installs oidc-provider under
``tests/bench/oidc_provider`` on first use); tmux for the console part. Exit
code 0 when every target measured is met and no guarantee broke, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench.bench_compare import (  # noqa: E402
    SCENARIOS,
    medians,
    print_medians,
    reference_request,
    run_scenario,
    start_reference,
)
from tests.bench.bench_cpu_per_token import max_threads  # noqa: E402
from tests.bench.bench_endpoint import (  # noqa: E402
    BenchIds,
    count_tokens,
    request_for,
    run_wrk,
    seed,
    start_server,
    stop_server,
)

V = TypeVar("V")

RATIO_TO_REFERENCE = 1.2
"""client_credentials tokens/s over oidc-provider's, in the same run."""
P99_MS = 10.0
SLOW_2XX_SHARE = 0.99
SLOW_THROUGHPUT_SHARE = 0.5
"""With the slow connections held open, of the throughput without them."""
CONSOLE_P95_MS = 100.0
MAX_THREADS = 8


@dataclass
class Figures:
    """What one run measured; None where a part did not run (or did not get that far)."""

    cc_ratio: float | None = None
    """authclients' median client_credentials tokens/s over oidc-provider's."""
    cc_p99_ms: float | None = None
    """Median over authclients' client_credentials runs of wrk's p99."""
    cc_committed: bool | None = None
    """Every client_credentials 200 had its token row in the database, in every run."""
    non_2xx: int | None = None
    """Non-2xx answers and socket errors of authclients: every scenario, the password run,
    and the slow-client part's runs without slow connections."""
    introspect_rps: float | None = None
    cc_rps: float | None = None
    slow_2xx_share: float | None = None
    """Median over the loaded runs: 2xx answers over requests (socket errors count as failed)."""
    slow_throughput_share: float | None = None
    """Median loaded tokens/s over median unloaded tokens/s."""
    console_p95_ms: float | None = None
    max_threads: int | None = None
    threads_by_phase: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """One row of the table."""

    target: str
    figure: str
    met: bool | None
    """None: not measured in this run."""


def judge(f: Figures) -> list[Verdict]:
    """Each of the issue's targets against what was measured."""
    rows = [
        _row(
            f"client_credentials >= {RATIO_TO_REFERENCE}x oidc-provider (tokens/s)",
            f.cc_ratio,
            lambda v: f"{v:.2f}x",
            lambda v: v >= RATIO_TO_REFERENCE,
        ),
        _row(
            f"client_credentials p99 < {P99_MS:g} ms",
            f.cc_p99_ms,
            lambda v: f"{v:.2f} ms",
            lambda v: v < P99_MS,
        ),
        _row(
            "every token committed before its answer",
            f.cc_committed,
            lambda v: "yes" if v else "NO: a 200 without its row",
            bool,
        ),
        _row(
            "zero non-2xx (and no socket errors)",
            f.non_2xx,
            lambda v: f"{v}",
            lambda v: v == 0,
        ),
    ]
    ratio = None
    if f.introspect_rps is not None and f.cc_rps:
        ratio = f.introspect_rps / f.cc_rps
    rows.append(
        _row(
            "introspection >= client_credentials' rate",
            ratio,
            lambda v: f"{v:.2f}x ({f.introspect_rps:,.0f} vs {f.cc_rps:,.0f}/s)",
            lambda v: v >= 1.0,
        )
    )
    rows += [
        _row(
            f"slow connections: >= {SLOW_2XX_SHARE:.0%} of wrk's requests 2xx",
            f.slow_2xx_share,
            lambda v: f"{v:.2%}",
            lambda v: v >= SLOW_2XX_SHARE,
        ),
        _row(
            f"slow connections: throughput >= {SLOW_THROUGHPUT_SHARE:.0%} of unloaded",
            f.slow_throughput_share,
            lambda v: f"{v:.0%}",
            lambda v: v >= SLOW_THROUGHPUT_SHARE,
        ),
        _row(
            f"console key-to-screen p95 < {CONSOLE_P95_MS:g} ms under load",
            f.console_p95_ms,
            lambda v: f"{v:.1f} ms",
            lambda v: v < CONSOLE_P95_MS,
        ),
        _row(
            f"serve threads <= {MAX_THREADS} under any load",
            f.max_threads,
            lambda v: (
                f"{v}"
                + (
                    " (" + ", ".join(f"{k} {n}" for k, n in f.threads_by_phase.items()) + ")"
                    if f.threads_by_phase
                    else ""
                )
            ),
            lambda v: v <= MAX_THREADS,
        ),
    ]
    return rows


def _row(
    target: str, value: V | None, show: Callable[[V], str], test: Callable[[V], bool]
) -> Verdict:
    if value is None:
        return Verdict(target, "not measured", None)
    return Verdict(target, show(value), bool(test(value)))


def table(verdicts: list[Verdict]) -> str:
    """The verdicts as aligned text, one target a line."""
    width = max(len(v.target) for v in verdicts)
    lines = [f"{'target':<{width}}  {'met':<7}  figure (medians)"]
    for v in verdicts:
        met = "-" if v.met is None else ("met" if v.met else "MISSED")
        lines.append(f"{v.target:<{width}}  {met:<7}  {v.figure}")
    return "\n".join(lines)


def all_met(verdicts: list[Verdict]) -> bool:
    """True when no target measured was missed."""
    return all(v.met is not False for v in verdicts)


def p95(samples: list[float]) -> float:
    """The 95th percentile, nearest rank, as ``bench_console.summary`` reports it."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# -- the parts ---------------------------------------------------------------------------------


@contextlib.contextmanager
def watching_threads(pid: int, phase: str, figures: Figures) -> Iterator[None]:
    """Sample ``serve``'s thread count while the block runs; the most goes in ``figures``."""
    stop, seen = threading.Event(), []
    sampler = threading.Thread(target=max_threads, args=(pid, stop, seen), daemon=True)
    sampler.start()
    try:
        yield
    finally:
        stop.set()
        sampler.join()
        most = seen[0] if seen else 0
        figures.threads_by_phase[phase] = most
        figures.max_threads = max(figures.max_threads or 0, most)


def compare(
    args: argparse.Namespace, target: str, pid: int, url: str, ids: BenchIds, figures: Figures
) -> bool:
    """Part a: the three scenarios against oidc-provider; returns whether a guarantee broke."""
    reference, info = start_reference()
    print(f"oidc-provider at {info['url']} (in memory)", flush=True)
    failed = False
    bad = 0
    try:
        for scenario in SCENARIOS:
            servers = {
                "authclients": (url, request_for(scenario, ids)),
                "oidc-provider": (info["url"], reference_request(scenario, info)),
            }
            with watching_threads(pid, scenario, figures):
                results, broke = run_scenario(
                    scenario,
                    servers,
                    runs=args.runs,
                    seconds=args.seconds,
                    connections=args.connections,
                    threads=args.threads,
                    target=target,
                    pid=pid,
                )
            failed |= broke
            ratio = print_medians(scenario, results)
            ours = results["authclients"]
            bad += sum(int(r["non_2xx"]) + int(r["socket_errors"]) for r in ours)  # type: ignore[call-overload]
            cpu = statistics.median(float(r["cpu_us"]) for r in ours)  # type: ignore[arg-type]
            print(f"{scenario}: authclients CPU {cpu:.0f} µs/answer (median)", flush=True)
            median = medians(results)["authclients"]
            if scenario == "client_credentials":
                figures.cc_ratio = ratio
                figures.cc_rps = median["rps"]
                figures.cc_p99_ms = median["p99_ms"]
                figures.cc_committed = all(bool(r.get("committed")) for r in ours)
            elif scenario == "introspect":
                figures.introspect_rps = median["rps"]
    finally:
        reference.terminate()
        reference.wait(timeout=10)
    figures.non_2xx = bad
    return failed


def password_load(
    args: argparse.Namespace, target: str, pid: int, url: str, ids: BenchIds, figures: Figures
) -> None:
    """Part b: the password grant, whose bcrypt runs on the blocking pool (threads)."""
    with watching_threads(pid, "password", figures):
        before = count_tokens(target)
        r = run_wrk(url, "password", args.seconds, args.connections, ids=ids, threads=args.threads)
    answered = int(r["requests"]) - int(r["non_2xx"])  # type: ignore[call-overload]
    stored = count_tokens(target) - before
    print(
        f"password: {float(r['rps']):,.0f} tokens/s  p99 {float(r['p99_ms']):.1f} ms  "  # type: ignore[arg-type]
        f"non-2xx {r['non_2xx']}  socket errors {r['socket_errors']}  in db {stored} >= "
        f"answered {answered}: {stored >= answered}  load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    figures.non_2xx = (figures.non_2xx or 0) + int(r["non_2xx"]) + int(r["socket_errors"])  # type: ignore[call-overload]
    if figures.cc_committed is not None:
        figures.cc_committed &= stored >= answered


def slow_clients(
    args: argparse.Namespace, pid: int, url: str, ids: BenchIds, figures: Figures
) -> None:
    """Part c: wrk on client_credentials without, then with, the dribbling connections."""
    from tests.bench.bench_slow_clients import SlowClients, _describe
    from tests.bench.bench_slow_clients import run_wrk as wrk_t2

    request = request_for("client_credentials", ids)
    target = url + request.path
    quiet_rps, loaded_rps, shares = [], [], []
    with watching_threads(pid, "slow clients", figures):
        for run in range(1, args.runs + 1):
            quiet = wrk_t2(target, request, args.seconds, args.connections)
            print(_describe(f"unloaded #{run}", quiet), f" load {os.getloadavg()[0]:.1f}")
            slow = SlowClients(url, args.slow, args.slow_addresses, args.interval)
            slow.start(args.settle)
            try:
                loaded = wrk_t2(target, request, args.seconds, args.connections)
                stats = slow.stats
                open_now = stats.open_now
            finally:
                slow.stop()
            share = (loaded["requests"] - loaded["non_2xx"]) / max(
                loaded["requests"] + loaded["socket_errors"], 1
            )
            print(
                _describe(f"{args.slow} slow #{run}", loaded),
                f" 2xx {share:.2%}  load {os.getloadavg()[0]:.1f}\n"
                f"    slow clients from {args.slow_addresses} addresses: {open_now} open at "
                f"the end, peak {stats.peak_open}, {stats.connects} connects, {stats.refused} "
                f"closed by the server, {stats.connect_errors} connect errors",
                flush=True,
            )
            # Without the slow connections this is normal traffic: it must be all 2xx too.
            bad = int(quiet["non_2xx"] + quiet["socket_errors"])
            figures.non_2xx = (figures.non_2xx or 0) + bad
            quiet_rps.append(quiet["rps"])
            loaded_rps.append(loaded["rps"])
            shares.append(share)
    figures.slow_2xx_share = statistics.median(shares)
    figures.slow_throughput_share = statistics.median(loaded_rps) / max(
        statistics.median(quiet_rps), 1.0
    )
    print(
        f"slow clients MEDIAN: unloaded {statistics.median(quiet_rps):,.0f}/s, loaded "
        f"{statistics.median(loaded_rps):,.0f}/s ({figures.slow_throughput_share:.0%}), "
        f"2xx {figures.slow_2xx_share:.2%}",
        flush=True,
    )


def console(args: argparse.Namespace, folder: str, figures: Figures) -> None:
    """Part e: the real console in tmux, key to screen while wrk loads its endpoint."""
    if not (shutil.which("tmux") and shutil.which("wrk")):
        print("console: tmux or wrk is missing, not measured", flush=True)
        return
    from authclients.store import Store
    from tests.bench.bench_console import Pane, _free_port, floor, key_latencies, summary
    from tests.bench.bench_store_list import fill

    # What tmux, send-keys and capture-pane cost on their own: the console's figure includes it.
    print(f"console key → screen, the floor:  {floor(args.presses // 2)}", flush=True)
    # The floor's tmux server has the console's name (one per process) and exits after
    # kill-server returns: a new session started on it meanwhile fails.
    time.sleep(1.0)
    db = args.console_db or os.path.join(folder, "console.db")
    store = Store.open(db)
    try:
        if store.clients.count() < args.console_clients:
            started = time.perf_counter()
            fill(store, args.console_clients, tokens=args.console_clients // 5)
            print(
                f"console: filled {args.console_clients:,} clients in "
                f"{time.perf_counter() - started:.0f} s ({db})",
                flush=True,
            )
        ids = seed(store)
        print(f"console: {store.clients.count():,} clients in {db}", flush=True)
    finally:
        store.close()
    pane = Pane(db, _free_port())
    try:
        pane.wait_for(r"row 1 ·")
        url = pane.wait_for(r"● (http://[\d.]+:\d+)").group(1)
        quiet = key_latencies(pane, args.presses // 2)
        print(f"console key → screen, no load:    {summary(quiet)}", flush=True)
        results: list[dict[str, object]] = []
        load = threading.Thread(
            target=lambda: results.append(
                run_wrk(url, "client_credentials", args.console_load_seconds, 16, ids=ids)
            )
        )
        load.start()
        time.sleep(1.0)  # let wrk open its 16 connections
        samples = key_latencies(pane, args.presses)
        still_loaded = load.is_alive()
        load.join()
    finally:
        pane.close()
    print(
        f"console key → screen, under load: {summary(samples)}  load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if results:
        r = results[0]
        print(
            f"  its endpoint meanwhile: {float(r['rps']):,.0f} tokens/s, {r['non_2xx']} non-2xx, "  # type: ignore[arg-type]
            f"p99 {float(r['p99_ms']):.1f} ms (wrk -t1 -c16)",  # type: ignore[arg-type]
            flush=True,
        )
    if not still_loaded:
        print(
            "  the load ended before the last press: not every sample was under load "
            "(raise --console-load-seconds); not counted",
            flush=True,
        )
        return
    figures.console_p95_ms = p95(samples)


# -- main ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]),
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario and server")
    parser.add_argument("--seconds", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--slow", type=int, default=1000, help="dribbling connections")
    parser.add_argument(
        "--slow-addresses", type=int, default=20, choices=range(1, 200), metavar="1..199"
    )
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between bytes")
    parser.add_argument("--settle", type=float, default=4.0, help="seconds to connect them")
    parser.add_argument("--skip-console", action="store_true", help="leave part e out")
    parser.add_argument("--console-db", help="fill this file once and reuse it afterwards")
    parser.add_argument("--console-clients", type=int, default=100_000)
    parser.add_argument("--presses", type=int, default=60, help="down keys under load")
    parser.add_argument("--console-load-seconds", type=int, default=20)
    parser.add_argument("--bcrypt-rounds", type=int, default=4, help="the bench user's cost")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 20 or not 1 <= args.seconds <= 60:
        parser.error("--runs must be 1 to 20 and --seconds 1 to 60")
    if not 0 < args.slow <= 5000:
        parser.error("--slow must be between 1 and 5000")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["AUTHCLIENTS_BCRYPT_ROUNDS"] = str(args.bcrypt_rounds)
    from authclients.store import Store

    started = time.monotonic()
    figures = Figures()
    folder = tempfile.mkdtemp(prefix="authclients-issue12-")
    failed = False
    try:
        target = os.path.join(folder, "bench.db")
        store = Store.open(target, actor="bench")
        ids = seed(store)
        store.close()
        proc, url = start_server(target)
        print(
            f"authclients serve (pid {proc.pid}) at {url} on SQLite WAL {target}; wrk "
            f"-t{args.threads} -c{args.connections}, {args.runs} x {args.seconds} s per run; "
            f"{os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        try:
            with watching_threads(proc.pid, "idle", figures):
                time.sleep(0.3)
            failed |= compare(args, target, proc.pid, url, ids, figures)
            password_load(args, target, proc.pid, url, ids, figures)
            slow_clients(args, proc.pid, url, ids, figures)
        finally:
            stop_server(proc)
        if not args.skip_console:
            console(args, folder, figures)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    verdicts = judge(figures)
    print(
        f"\nissue 12's targets ({time.monotonic() - started:.0f} s, load {os.getloadavg()[0]:.1f}):"
    )
    print(table(verdicts), flush=True)
    return 0 if all_met(verdicts) and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
