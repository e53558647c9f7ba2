"""How long the event loop is blocked committing its own token batches (SQLite).

Runs the endpoint in this process (its loop in a background thread, as in the
console), loads it with ``wrk -cCONNECTIONS`` on client_credentials, and
prints where the batches were committed (on the loop, or handed to the
writer thread), tokens per batch, and the loop's time per commit (mean,
p50, p99, max): the time no other request on the loop is served.

    .venv/bin/python tests/bench/bench_loop_commit.py [--seconds 8] [--connections 16]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from authclients.store import Store  # noqa: E402
from authclients.store.endpoint import TokenEndpoint  # noqa: E402
from tests.bench.bench_endpoint import run_wrk, seed  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(str(Path(folder) / "bench.db"))
        ids = seed(store)
        endpoint = TokenEndpoint(store, port=0)
        endpoint.start()
        stats = endpoint.authorization.hot_path.committer.stats
        try:
            run_wrk(endpoint.url, "client_credentials", 1, args.connections, ids=ids)  # warm-up
            stats.__init__()  # type: ignore[misc]
            stats.durations = []
            result = run_wrk(
                endpoint.url, "client_credentials", args.seconds, args.connections, ids=ids
            )
        finally:
            endpoint.stop()
            store.close()
    durations = sorted(stats.durations or [0.0])
    p99 = durations[min(len(durations) - 1, int(len(durations) * 0.99))]
    print(
        f"load average {os.getloadavg()[0]:.2f}; wrk -c{args.connections} -d{args.seconds}s: "
        f"{result['rps']:.0f} tokens/s, p99 {result['p99_ms']} ms, non-2xx {result['non_2xx']}"
    )
    print(
        f"batches on the loop {stats.loop_batches} ({stats.loop_tokens} tokens, "
        f"{stats.loop_tokens / max(1, stats.loop_batches):.1f} per batch); handed to the "
        f"writer {stats.handed_to_writer} (busy {stats.loop_busy}); WAL checkpoints by the "
        f"writer thread {stats.checkpoints}"
    )
    print(
        "loop blocked per commit: "
        f"mean {statistics.fmean(durations) * 1e3:.3f} ms, "
        f"p50 {durations[len(durations) // 2] * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms, "
        f"max {durations[-1] * 1e3:.3f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
