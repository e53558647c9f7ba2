"""Benchmark of the embedded endpoint: 16 keep-alive connections from a separate process.

Usage (from the repository root)::

    .venv/bin/python tests/bench/bench_endpoint.py [--duration 10] [--connections 16]
        [--bcrypt-rounds 12] [--driver auto|wrk|python] [--scenario NAME ...]

It creates a temporary SQLite database (WAL, as ``authclients`` always opens
it), starts ``run_headless`` (what ``authclients serve`` runs) in a subprocess,
and drives each scenario with ``wrk`` when it is installed, else with a
Python multi-process keep-alive driver (and says so). It prints requests/s,
p50 and p99 per scenario, and checks that every token answered with 200 is a
row in the database.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SCENARIOS = ("client_credentials", "password", "introspect", "users_me")


@dataclass
class Scenario:
    name: str
    method: str
    path: str
    body: str
    headers: dict[str, str]


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    driver: str

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def prepare(db_path: str, rounds: int) -> dict[str, str]:
    """A client, a user (bcrypt at ``rounds``) and a live access token."""
    os.environ["AUTHCLIENTS_BCRYPT_ROUNDS"] = str(rounds)
    from store import Store

    store = Store.open(db_path, actor="bench")
    created = store.clients.create(
        "bench", client_credentials=True, password=True, scopes="read write"
    )
    store.users.add("bench-user", "bench-password-1")
    issued = store.tokens.issue(created.client, grant_type="client_credentials", scopes=("read",))
    store.close()
    return {
        "client_id": str(created.client.id),
        "secret": created.secret or "",
        "token": issued.access_token,
    }


def scenarios(ids: dict[str, str]) -> dict[str, Scenario]:
    basic = base64.b64encode(f"{ids['client_id']}:{ids['secret']}".encode()).decode()
    form = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": f"Basic {basic}",
    }
    return {
        "client_credentials": Scenario(
            "client_credentials",
            "POST",
            "/oauth/token",
            "grant_type=client_credentials&scope=read",
            form,
        ),
        "password": Scenario(
            "password",
            "POST",
            "/oauth/token",
            urlencode(
                {"grant_type": "password", "username": "bench-user", "password": "bench-password-1"}
            ),
            form,
        ),
        "introspect": Scenario(
            "introspect", "POST", "/oauth/introspect", urlencode({"token": ids["token"]}), form
        ),
        "users_me": Scenario(
            "users_me",
            "GET",
            "/api/1.0/users/me",
            "",
            {"Authorization": f"Bearer {ids['token']}"},
        ),
    }


def start_server(db_path: str) -> tuple[subprocess.Popen[str], str]:
    code = (
        "import sys; from store import Store; from store.server import run_headless; "
        f"sys.exit(run_headless(Store.open({db_path!r}), port=0))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("Listening on "):
        proc.kill()
        raise SystemExit(f"the server did not start: {line!r}")
    return proc, line.removeprefix("Listening on ")


# -- wrk -------------------------------------------------------------------------


def run_wrk(url: str, sc: Scenario, duration: int, connections: int) -> Result:
    lua = [f'wrk.method = "{sc.method}"', f'wrk.body = "{sc.body}"']
    lua += [f'wrk.headers["{k}"] = "{v}"' for k, v in sc.headers.items()]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write("\n".join(lua) + "\n")
        script = f.name
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{duration}s",
                "--latency",
                "--timeout",
                "30s",
                "-s",
                script,
                url + sc.path,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script)
    requests = int(re.search(r"(\d+) requests in ([\d.]+)(\w+)", out).group(1))
    span = re.search(r"requests in ([\d.]+)(ms|s|m)", out)
    seconds = float(span.group(1)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[span.group(2)]
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(x) for x in m.groups())
    return Result(
        sc.name,
        requests,
        errors,
        seconds,
        _wrk_ms(out, "50%"),
        _wrk_ms(out, "99%"),
        "wrk",
    )


def _wrk_ms(out: str, pct: str) -> float:
    m = re.search(rf"^\s*{re.escape(pct)}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


# -- the Python fallback driver -------------------------------------------------------


def _worker(args: tuple[str, Scenario, float, int, multiprocessing.Queue]) -> None:
    url, sc, deadline, threads, queue = args
    parts = urlsplit(url)

    def one(out: list[float], errs: list[int]) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        body = sc.body.encode() if sc.body else None
        while time.time() < deadline:
            t0 = time.perf_counter()
            conn.request(sc.method, sc.path, body=body, headers=sc.headers)
            resp = conn.getresponse()
            resp.read()
            out.append((time.perf_counter() - t0) * 1000)
            if resp.status != 200:
                errs[0] += 1
        conn.close()

    latencies: list[float] = []
    errors = [0]
    pool = [threading.Thread(target=one, args=(latencies, errors)) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put((latencies, errors[0]))


def run_python(url: str, sc: Scenario, duration: int, connections: int) -> Result:
    procs = 4
    per = max(1, connections // procs)
    queue: multiprocessing.Queue = multiprocessing.Queue()
    start = time.time()
    deadline = start + duration
    workers = [
        multiprocessing.Process(target=_worker, args=((url, sc, deadline, per, queue),))
        for _ in range(procs)
    ]
    for w in workers:
        w.start()
    latencies: list[float] = []
    errors = 0
    for _ in workers:
        lat, err = queue.get()
        latencies += lat
        errors += err
    for w in workers:
        w.join()
    seconds = time.time() - start
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] if latencies else 0.0

    return Result(sc.name, len(latencies), errors, seconds, pct(0.50), pct(0.99), "python")


# -- main ----------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--bcrypt-rounds", type=int, default=12)
    parser.add_argument("--driver", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS)
    args = parser.parse_args()

    driver = args.driver
    if driver == "auto":
        driver = "wrk" if shutil.which("wrk") else "python"
        if driver == "python":
            print("wrk is not installed: using the Python multi-process keep-alive driver")
            print("(it costs more CPU than wrk, on the same machine: figures are lower bounds)")
    run = run_wrk if driver == "wrk" else run_python

    folder = tempfile.mkdtemp(prefix="authclients-bench-")
    db_path = os.path.join(folder, "bench.db")
    ids = prepare(db_path, args.bcrypt_rounds)
    proc, url = start_server(db_path)
    print(
        f"endpoint: run_headless in a subprocess at {url}; SQLite WAL at {db_path}; "
        f"bcrypt cost {args.bcrypt_rounds}; load: {driver}, {args.connections} keep-alive "
        f"connections, {args.duration} s per scenario; {os.cpu_count()} CPUs"
    )
    results: list[Result] = []
    try:
        all_scenarios = scenarios(ids)
        for name in args.scenario or SCENARIOS:
            before = _count_tokens(db_path)
            result = run(url, all_scenarios[name], args.duration, args.connections)
            results.append(result)
            line = (
                f"{result.name:<20} {result.rate:9.0f} req/s   p50 {result.p50_ms:7.2f} ms   "
                f"p99 {result.p99_ms:7.2f} ms   ({result.requests} requests, "
                f"{result.errors} errors)"
            )
            if name in ("client_credentials", "password"):
                issued = _count_tokens(db_path) - before
                ok = result.requests - result.errors
                line += f"   tokens in db: {issued} (>= {ok} answered 200: {issued >= ok})"
            print(line, flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if all(r.errors == 0 for r in results) else 1


def _count_tokens(db_path: str) -> int:
    import sqlite3

    with sqlite3.connect(db_path, timeout=30) as conn:
        return conn.execute("SELECT COUNT(*) FROM access_token").fetchone()[0]


if __name__ == "__main__":
    sys.exit(main())
