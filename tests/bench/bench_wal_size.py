"""How large the WAL grows under sustained client_credentials load, and what it costs.

Runs ``authclients serve`` on a fresh SQLite file, loads it with ``wrk``
in consecutive slices and prints, after each, the WAL's and the database's
size, tokens/s and the server's CPU per token (``/proc/PID/stat``). With
``--reader S`` another process holds a read transaction (an old snapshot)
for the first S seconds: the WAL cannot be copied back past it meanwhile,
and must start over (cut back to ``journal_size_limit``) once it ends.

    .venv/bin/python tests/bench/bench_wal_size.py [--slices 3] [--seconds 6] [--reader 0]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from authclients.store import Store  # noqa: E402
from tests.bench.bench_endpoint import run_wrk, seed, start_server, stop_server  # noqa: E402

_READER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN")
db.execute("SELECT COUNT(*) FROM access_token").fetchone()
print("reading", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--reader", type=float, default=0.0, help="seconds of an old snapshot")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        store = Store.open(str(db))
        ids = seed(store)
        store.close()
        proc, url = start_server(str(db))
        reader = None
        try:
            if args.reader > 0:
                reader = subprocess.Popen(
                    [sys.executable, "-c", _READER, str(db), str(args.reader)],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                assert reader.stdout is not None and reader.stdout.readline().strip()
            for n in range(1, args.slices + 1):
                cpu = _cpu_seconds(proc.pid)
                result = run_wrk(url, "client_credentials", args.seconds, args.connections, ids=ids)
                tokens = int(result["requests"]) - int(result["non_2xx"])
                used = _cpu_seconds(proc.pid) - cpu
                print(
                    f"slice {n}: load average {os.getloadavg()[0]:.2f}; "
                    f"wrk -c{args.connections} -d{args.seconds}s: {result['rps']:.0f} tokens/s, "
                    f"p99 {result['p99_ms']} ms, non-2xx {result['non_2xx']}; "
                    f"CPU {used / max(1, tokens) * 1e6:.0f} us/token; "
                    f"WAL {_size(Path(f'{db}-wal')) / 2**20:.1f} MiB, "
                    f"database {_size(db) / 2**20:.1f} MiB"
                )
        finally:
            if reader is not None:
                reader.kill()
                reader.wait()
            stop_server(proc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
