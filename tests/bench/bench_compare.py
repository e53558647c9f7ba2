"""authclients against node oidc-provider, same machine, same period, interleaved runs.

Usage (from the repository root)::

    .venv/bin/python tests/bench/bench_compare.py [--seconds 8] [--runs 5]
        [--connections 16] [--threads 2] [--scenario NAME ...]

Both servers run at once, each in its own process: ``authclients serve`` on a
temporary SQLite file (every token committed before its answer) and
oidc-provider with its in-memory adapter (``tests/bench/oidc_provider``,
installed there with ``npm ci`` on first use). For each scenario the runs
alternate between the two, so a noisy neighbour hits both alike; the script
prints every run, the medians, and authclients' ratio to oidc-provider.

Scenarios: ``client_credentials`` (a token per request), ``introspect``
(RFC 7662 on a live token) and ``users_me`` (the protected resource; for
oidc-provider its userinfo endpoint ``/me``).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench.bench_cpu_per_token import cpu_seconds  # noqa: E402
from tests.bench.bench_endpoint import (  # noqa: E402
    Request,
    count_tokens,
    request_for,
    run_wrk_request,
    seed,
    start_server,
    stop_server,
)

REFERENCE = Path(__file__).resolve().parent / "oidc_provider"
SCENARIOS = ("client_credentials", "introspect", "users_me")


def start_reference() -> tuple[subprocess.Popen[str], dict[str, str]]:
    """oidc-provider on a free port; the process and what its JSON line says."""
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is needed for the reference server (apt-get install nodejs)")
    if not (REFERENCE / "node_modules" / "oidc-provider").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=REFERENCE, check=True, timeout=300
        )
    proc = subprocess.Popen(
        [node, "server.mjs", "0"],
        cwd=REFERENCE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "NODE_ENV": "production"},
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("{"):
            return proc, json.loads(line)
    proc.kill()
    raise SystemExit("oidc-provider did not start")


def reference_request(scenario: str, info: dict[str, str]) -> Request:
    basic = base64.b64encode(f"{info['client_id']}:{info['secret']}".encode()).decode()
    form = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": f"Basic {basic}",
    }
    if scenario == "client_credentials":
        body = "grant_type=client_credentials&scope=read"
        return Request("POST", info["token_path"], body, form)
    if scenario == "introspect":
        body = urlencode({"token": info["token"]})
        return Request("POST", info["introspection_path"], body, form)
    if scenario == "users_me":
        headers = {"Authorization": f"Bearer {info['token']}"}
        return Request("GET", info["userinfo_path"], "", headers)
    raise ValueError(scenario)


def describe(label: str, result: dict[str, object]) -> str:
    return (
        f"{label:<34} {float(result['rps']):9.0f} req/s  p50 {float(result['p50_ms']):6.2f} ms  "  # type: ignore[arg-type]
        f"p99 {float(result['p99_ms']):6.2f} ms  non-2xx {int(result['non_2xx'])}  "  # type: ignore[call-overload]
        f"socket errors {int(result['socket_errors'])}"  # type: ignore[call-overload]
    )


def run_scenario(
    scenario: str,
    servers: dict[str, tuple[str, Request]],
    *,
    runs: int,
    seconds: int,
    connections: int,
    threads: int,
    target: str,
    pid: int | None = None,
) -> tuple[dict[str, list[dict[str, object]]], bool]:
    """Warm every server up, then ``runs`` interleaved runs each; every run printed.

    ``servers`` maps a name to its base URL and request; ``"authclients"`` is ours,
    on the SQLite file ``target``. With ``pid`` (ours) each of our runs also gets
    ``cpu_us``: the process's CPU time per answer. Returns the runs per server,
    and True when one of ours broke a guarantee (a non-2xx, a socket error, a
    client_credentials answer whose token is not in the database).
    """
    failed = False
    for base, request in servers.values():  # warm both up (JIT, caches, WAL)
        run_wrk_request(base, request, 1, connections, threads=threads)
    results: dict[str, list[dict[str, object]]] = {name: [] for name in servers}
    for run in range(1, runs + 1):
        for name, (base, request) in servers.items():
            ours = name == "authclients"
            before = count_tokens(target) if ours else 0
            cpu_before = sum(cpu_seconds(pid)) if ours and pid else 0.0
            result = run_wrk_request(base, request, seconds, connections, threads=threads)
            line = describe(f"{scenario} {name} #{run}", result)
            answered = int(result["requests"]) - int(result["non_2xx"])  # type: ignore[call-overload]
            if ours and pid:
                result["cpu_us"] = (sum(cpu_seconds(pid)) - cpu_before) / max(answered, 1) * 1e6
                line += f"  CPU {result['cpu_us']:.0f} µs/answer"
            if ours and scenario == "client_credentials":
                stored = count_tokens(target) - before
                line += f"  in db {stored} >= answered {answered}: {stored >= answered}"
                result["committed"] = stored >= answered
                failed |= stored < answered
            if ours:
                failed |= bool(result["non_2xx"] or result["socket_errors"])
            print(f"{line}  load {os.getloadavg()[0]:.1f}", flush=True)
            results[name].append(result)
    return results, failed


def medians(results: dict[str, list[dict[str, object]]]) -> dict[str, dict[str, float]]:
    """Per server, the median of each of wrk's figures over its runs."""
    return {
        name: {
            key: statistics.median(float(r[key]) for r in runs)  # type: ignore[arg-type]
            for key in ("rps", "p50_ms", "p99_ms", "non_2xx", "socket_errors")
        }
        for name, runs in results.items()
    }


def print_medians(scenario: str, results: dict[str, list[dict[str, object]]]) -> float:
    """Print each server's medians and return authclients' rate over oidc-provider's."""
    median = medians(results)
    for name, figures in median.items():
        print(describe(f"{scenario} {name} MEDIAN", figures))  # type: ignore[arg-type]
    ratio = median["authclients"]["rps"] / max(median["oidc-provider"]["rps"], 1.0)
    print(f"{scenario}: authclients / oidc-provider = {ratio:.2f}x", flush=True)
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5, help="runs per server and scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS)
    args = parser.parse_args(argv)

    os.environ.setdefault("AUTHCLIENTS_BCRYPT_ROUNDS", "4")
    from authclients.store import Store

    folder = tempfile.mkdtemp(prefix="authclients-compare-")
    target = os.path.join(folder, "bench.db")
    store = Store.open(target, actor="bench")
    ids = seed(store)
    store.close()
    ours, url = start_server(target)
    reference, info = start_reference()
    print(
        f"authclients serve at {url} (SQLite WAL {target}) vs oidc-provider at {info['url']} "
        f"(in memory); wrk -t{args.threads} -c{args.connections}, {args.runs} x "
        f"{args.seconds} s each, interleaved; {os.cpu_count()} CPUs",
        flush=True,
    )
    failed = False
    try:
        for scenario in args.scenario or SCENARIOS:
            servers = {
                "authclients": (url, request_for(scenario, ids)),
                "oidc-provider": (info["url"], reference_request(scenario, info)),
            }
            results, broke = run_scenario(
                scenario,
                servers,
                runs=args.runs,
                seconds=args.seconds,
                connections=args.connections,
                threads=args.threads,
                target=target,
                pid=ours.pid,
            )
            failed |= broke
            print_medians(scenario, results)
    finally:
        stop_server(ours)
        reference.terminate()
        reference.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
