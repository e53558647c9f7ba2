"""Benchmark of the OAuth endpoint: wrk, 16 keep-alive connections, from a separate process.

Usage (from the repository root)::

    .venv/bin/python tests/bench/bench_endpoint.py [--seconds 10] [--connections 16]
        [--runs 3] [--bcrypt-rounds 12] [--scenario NAME ...] [--db PATH_OR_URL]

It seeds a temporary SQLite database (or ``--db``), starts ``authclients serve
--port 0`` on it in a subprocess, and drives each scenario with ``wrk`` (a Lua
script builds the requests and counts every non-2xx answer). It prints
requests/s, p50 and p99 per run and the median of the runs, and checks that
every token answered with a 200 is a row in the database.

Other tools import it to load an endpoint that is already running::

    from tests.bench.bench_endpoint import run_wrk, seed
    ids = seed(store)                    # a client, a user and a live token in that store
    result = run_wrk(url, "client_credentials", seconds=10, connections=16, ids=ids)
    result["rps"], result["p50_ms"], result["p99_ms"], result["non_2xx"]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from authclients.store import Store

SCENARIOS = ("client_credentials", "client_credentials_jwt", "password", "introspect", "users_me")
"""What can be loaded: two grants (client credentials also as RFC 9068 JWTs, signed ES256),
token introspection and the protected resource."""
BENCH_USER = "bench-user"
BENCH_PASSWORD = "bench-password-1"
WRK = shutil.which("wrk") or "/usr/bin/wrk"


@dataclass(frozen=True)
class BenchIds:
    """What the scenarios authenticate with: a confidential client, its secret, a live token."""

    client_id: str
    secret: str
    token: str
    jwt_client_id: str = ""
    jwt_secret: str = ""
    """The same client with ``token_format="jwt"`` (scenario ``client_credentials_jwt``)."""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: str
    headers: Mapping[str, str]


def seed(store: Store) -> BenchIds:
    """A client with client_credentials and password, a user, and an access token (1 day)."""
    created = store.clients.create(
        "bench", client_credentials=True, password=True, scopes="read write"
    )
    if not any(u.username == BENCH_USER for u in store.users.list(BENCH_USER)):
        store.users.add(BENCH_USER, BENCH_PASSWORD)
    issued = store.tokens.issue(
        created.client, grant_type="client_credentials", scopes=("read",), with_refresh=False
    )
    jwt = store.clients.create(
        "bench-jwt", client_credentials=True, scopes="read write", token_format="jwt"
    )
    return BenchIds(
        str(created.client.id),
        created.secret or "",
        issued.access_token,
        str(jwt.client.id),
        jwt.secret or "",
    )


def request_for(scenario: str, ids: BenchIds | Mapping[str, str]) -> Request:
    """The one request a scenario repeats."""
    if isinstance(ids, Mapping):
        ids = BenchIds(
            ids["client_id"],
            ids["secret"],
            ids["token"],
            ids.get("jwt_client_id", ""),
            ids.get("jwt_secret", ""),
        )
    if scenario == "client_credentials_jwt":
        ids = BenchIds(ids.jwt_client_id, ids.jwt_secret, ids.token)
        scenario = "client_credentials"
    basic = base64.b64encode(f"{ids.client_id}:{ids.secret}".encode()).decode()
    form = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": f"Basic {basic}",
    }
    if scenario == "client_credentials":
        return Request("POST", "/oauth/token", "grant_type=client_credentials&scope=read", form)
    if scenario == "password":
        body = urlencode(
            {"grant_type": "password", "username": BENCH_USER, "password": BENCH_PASSWORD}
        )
        return Request("POST", "/oauth/token", body, form)
    if scenario == "introspect":
        return Request("POST", "/oauth/introspect", urlencode({"token": ids.token}), form)
    if scenario == "users_me":
        return Request("GET", "/api/1.0/users/me", "", {"Authorization": f"Bearer {ids.token}"})
    raise ValueError(f"unknown scenario {scenario!r}; one of {', '.join(SCENARIOS)}")


# -- wrk ----------------------------------------------------------------------------------

_LUA_DONE = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non2xx") end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"non_2xx":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, bad, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def _lua_string(text: str) -> str:
    # JSON string escapes are valid Lua string escapes for ASCII text.
    return json.dumps(text, ensure_ascii=True)


def wrk_script(request: Request) -> str:
    """The Lua script: the fixed request, plus counting non-2xx answers and a JSON summary."""
    lines = [f"wrk.method = {_lua_string(request.method)}"]
    if request.body:
        lines.append(f"wrk.body = {_lua_string(request.body)}")
    for name, value in request.headers.items():
        lines.append(f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}")
    return "\n".join(lines) + "\n" + _LUA_DONE


def run_wrk(
    url: str,
    scenario: str,
    seconds: int = 10,
    connections: int = 16,
    *,
    ids: BenchIds | Mapping[str, str],
    threads: int = 1,
) -> dict[str, object]:
    """Load ``url`` (an endpoint already running) with one scenario; wrk's figures as a dict.

    Keys: scenario, connections, seconds, requests, rps, p50_ms, p99_ms, max_ms,
    non_2xx, socket_errors. ``ids`` comes from ``seed`` on the endpoint's store.
    """
    result = run_wrk_request(url, request_for(scenario, ids), seconds, connections, threads=threads)
    return {"scenario": scenario, **result}


def run_wrk_request(
    url: str, request: Request, seconds: int = 10, connections: int = 16, *, threads: int = 1
) -> dict[str, object]:
    """Load ``url`` with one fixed request (any server); wrk's figures as a dict."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(wrk_script(request))
        script = f.name
    try:
        done = subprocess.run(
            [
                WRK,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{int(seconds)}s",
                "--timeout",
                "30s",
                "-s",
                script,
                url.rstrip("/") + request.path,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(script)
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRK_JSON "))
    raw = json.loads(line.removeprefix("WRK_JSON "))
    duration = raw["duration_us"] / 1e6
    return {
        "connections": connections,
        "seconds": duration,
        "requests": raw["requests"],
        "rps": raw["requests"] / duration if duration else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "non_2xx": raw["non_2xx"],
        "socket_errors": raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
    }


# -- the endpoint in its own process --------------------------------------------------------


def start_server(target: str) -> tuple[subprocess.Popen[str], str]:
    """``authclients serve --db TARGET --port 0``; the process and its URL."""
    script = Path(sys.executable).parent / "authclients"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "authclients.tui.cli"]
    proc = subprocess.Popen(
        [*command, "serve", "--db", target, "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("Listening on "):
        proc.kill()
        raise SystemExit(f"the endpoint did not start: {line!r}")
    return proc, line.removeprefix("Listening on ")


def stop_server(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=10)


def count_tokens(target: str) -> int:
    from authclients.store import Store
    from authclients.store.models import AccessToken

    store = Store.open(target, actor="bench")
    try:
        return AccessToken.select().count()
    finally:
        store.close()


# -- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="per run (default 10)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario; medians shown")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of load before the runs")
    parser.add_argument("--bcrypt-rounds", type=int, default=12, help="the user's bcrypt cost")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS)
    parser.add_argument("--db", help="a database to use instead of a temporary SQLite file")
    args = parser.parse_args(argv)

    os.environ["AUTHCLIENTS_BCRYPT_ROUNDS"] = str(args.bcrypt_rounds)
    from authclients.store import Store

    folder = tempfile.mkdtemp(prefix="authclients-bench-")
    target = args.db or os.path.join(folder, "bench.db")
    store = Store.open(target, actor="bench")
    ids = seed(store)
    store.close()
    proc, url = start_server(target)
    print(f"one bcrypt check at cost {args.bcrypt_rounds}: {_bcrypt_ms(args.bcrypt_rounds):.0f} ms")
    print(
        f"endpoint: authclients serve at {url} on {'--db' if args.db else 'SQLite (WAL)'} "
        f"{target}; bcrypt cost {args.bcrypt_rounds}; load: wrk -t1 -c{args.connections}, "
        f"{args.runs} x {args.seconds} s per scenario; {os.cpu_count()} CPUs",
        flush=True,
    )
    failed = False
    try:
        for name in args.scenario or SCENARIOS:
            if args.warmup:
                run_wrk(url, name, args.warmup, args.connections, ids=ids)
            results = []
            for run in range(1, args.runs + 1):
                before = count_tokens(target)
                result = run_wrk(url, name, args.seconds, args.connections, ids=ids)
                line = _describe(f"{name} #{run}", result)
                if name in ("client_credentials", "client_credentials_jwt", "password"):
                    issued = count_tokens(target) - before
                    ok = result["requests"] - result["non_2xx"]
                    line += f"  tokens in db {issued} >= 200s {ok}: {issued >= ok}"
                    failed |= issued < ok
                failed |= bool(result["non_2xx"] or result["socket_errors"])
                results.append(result)
                # The machine is shared: say how busy it was, so figures can be read fairly.
                line += f"  load avg {os.getloadavg()[0]:.1f}"
                print(line, flush=True)
            median = {
                key: statistics.median(float(r[key]) for r in results)  # type: ignore[arg-type]
                for key in ("rps", "p50_ms", "p99_ms", "requests", "non_2xx", "socket_errors")
            }
            print(_describe(f"{name} MEDIAN", median), flush=True)
    finally:
        stop_server(proc)
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if failed else 0


def _bcrypt_ms(rounds: int) -> float:
    """What one password check costs here: the password grant cannot beat cores / this."""
    import time

    from authclients.store import crypto

    stored = crypto.hash_password(BENCH_PASSWORD, rounds)
    started = time.perf_counter()
    crypto.check_password(BENCH_PASSWORD, stored)
    return (time.perf_counter() - started) * 1000


def _describe(label: str, r: Mapping[str, object]) -> str:
    return (
        f"{label:<26} {float(r['rps']):8.0f} req/s  p50 {float(r['p50_ms']):7.2f} ms  "  # type: ignore[arg-type]
        f"p99 {float(r['p99_ms']):7.2f} ms  non-2xx {int(r['non_2xx'])}  "  # type: ignore[call-overload]
        f"socket errors {int(r['socket_errors'])}"  # type: ignore[call-overload]
    )


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "SCENARIOS",
    "BenchIds",
    "count_tokens",
    "request_for",
    "run_wrk",
    "run_wrk_request",
    "seed",
    "start_server",
    "stop_server",
]
"""What other benchmarks import (bench_scale.py, bench_console.py): keep these stable."""
