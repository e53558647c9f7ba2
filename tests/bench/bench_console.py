"""Benchmark of the console at 100,000 clients, and its responsiveness under endpoint load.

Not a test. Run it by hand from the repository root::

    .venv/bin/python tests/bench/bench_console.py [--clients 100000] [--repeat 7]
        [--load-seconds 12] [--presses 60] [--skip-load]

Part 1, in process (the app headless under ``App.run_test``, 120x40):

- first page: from starting the app to the first page of the client table
  drawn (the store query runs in a worker, as always);
- filter keystroke: from one key typed in the ``/`` filter to the table
  showing the matching window.

Part 2, the real program in a real terminal (tmux, 120x40): ``authclients``
with its embedded endpoint (a thread of the console), while ``wrk`` (a
separate process, ``-t2 -c16``) drives 16
keep-alive connections of ``client_credentials`` at the endpoint, as the
endpoint benchmark does. Each ``down`` key is sent with ``tmux send-keys``
and timed until the pane shows the new row number: key to screen, end to
end. Measured first without load, then under load; the endpoint's tokens/s is
measured alone (nobody typing) and while the keys are typed, with the console
process's CPU per token and the UI thread's CPU per key (figures that depend
less on what else the machine runs than latencies do).

The database is filled with ``insert_many`` (see ``bench_store_list.fill``);
everything timed goes through the app.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from authclients.store import Store  # noqa: E402
from authclients.tui.app import create_app  # noqa: E402
from authclients.tui.screens.clients import ClientsScreen  # noqa: E402
from authclients.tui.widgets.client_table import ClientTable  # noqa: E402
from tests.bench.bench_store_list import fill  # noqa: E402

SIZE = (120, 40)


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   "
        f"max {ordered[-1]:7.1f} ms   (n={len(ordered)})"
    )


# -- part 1: in process ------------------------------------------------------------------------


async def _until(app, condition, timeout: float = 30.0) -> None:
    """Spin the event loop until ``condition`` holds, then let the screen repaint once."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise SystemExit("the console did not get there in time")
        await asyncio.sleep(0.0005)
    # The table repaints on the next refresh after the page arrives: wait for it.
    app.screen.refresh()
    await asyncio.sleep(0)


def _send_key(app, key: str) -> None:
    """What the terminal driver does for one key press (without the Pilot's idle waits,
    which wait for the whole process to go quiet and would time themselves)."""
    from textual import events

    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    app._driver.send_message(event)


async def first_page(store: Store) -> float:
    """Milliseconds from starting the app to the first page of clients on screen."""
    app = create_app(store, poll_interval=None)
    start = time.perf_counter()
    async with app.run_test(size=SIZE):

        def shown() -> bool:
            screen = app.screen
            return isinstance(screen, ClientsScreen) and screen.loaded

        await _until(app, shown)
        took = (time.perf_counter() - start) * 1000
        table = app.screen.query_one(ClientTable)
        assert table.row_count == ClientTable.WINDOW, "no full page shown"
    return took


async def filter_keystrokes(store: Store, keys: str) -> list[float]:
    """Milliseconds from each filter key to the table showing its result."""
    app = create_app(store, poll_interval=None)
    samples: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        await _until(app, lambda: isinstance(app.screen, ClientsScreen) and app.screen.loaded)
        screen = app.screen
        table = screen.query_one(ClientTable)
        shown: list[int] = []
        original = table.show_page

        def counting_show_page(page, cursor):  # type: ignore[no-untyped-def]
            original(page, cursor)
            shown.append(1)

        table.show_page = counting_show_page  # type: ignore[method-assign]
        await pilot.press("slash")
        typed = ""
        for key in keys:
            typed += key
            if typed != typed.strip():
                # A trailing space filters the same: the console does not query again.
                _send_key(app, "space")
                await asyncio.sleep(0.05)
                continue
            before = len(shown)
            start = time.perf_counter()
            _send_key(app, key)
            await _until(app, lambda before=before: len(shown) > before)
            samples.append((time.perf_counter() - start) * 1000)
            await asyncio.sleep(0.05)  # typing speed; lets any stale worker finish
    return samples


# -- part 2: a real terminal under endpoint load ---------------------------------------------


FLOOR_PROGRAM = r"""
import os, sys, tty
tty.setraw(0)
row = 1
os.write(1, b"\x1b[2J\x1b[Hrow 1 \xc2\xb7 ")
while True:
    data = os.read(0, 64)
    if b"q" in data:
        break
    row += data.count(b"\x1b[B")
    os.write(1, f"\x1b[Hrow {row:,} \u00b7 ".encode())
"""
"""The least a program can do for a key: the measuring chain's own cost (tmux, send-keys,
capture-pane), so the console's figures can be read against it."""


class Pane:
    """The real ``authclients`` in a detached tmux session of 120x40."""

    def __init__(self, db: str, port: int, command: str | None = None) -> None:
        self.name = f"bench-console-{os.getpid()}"
        # A tmux server of its own (-L): nobody else's sessions are touched or slowed.
        self.tmux = ["tmux", "-L", self.name]
        # Textual draws on stderr: leave it on the terminal.
        command = command or (
            f"cd {ROOT} && exec {sys.executable} -m authclients.tui.cli --db {db} --port {port}"
        )
        subprocess.run(
            [*self.tmux, "new-session", "-d", "-s", self.name, "-x", "120", "-y", "40", command],
            check=True,
        )

    def text(self) -> str:
        return subprocess.run(
            [*self.tmux, "capture-pane", "-p", "-t", self.name], capture_output=True, text=True
        ).stdout

    def send(self, key: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, key], check=True)

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        deadline = time.perf_counter() + timeout
        while True:
            found = re.search(pattern, self.text())
            if found:
                return found
            if time.perf_counter() > deadline:
                raise SystemExit(f"not on screen within {timeout} s: {pattern!r}\n{self.text()}")
            time.sleep(0.002)

    def pid(self) -> int:
        """The program's process id (the pane's command is exec'd: the pane's own pid)."""
        shown = subprocess.run(
            [*self.tmux, "display", "-p", "-t", self.name, "#{pane_pid}"],
            capture_output=True,
            text=True,
        )
        return int(shown.stdout.strip())

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """User + system CPU of a process (or of one of its threads) so far, from /proc."""
    path = f"/proc/{pid}/task/{thread}/stat" if thread else f"/proc/{pid}/stat"
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def key_latencies(pane: Pane, presses: int) -> list[float]:
    """Send ``down`` and time until the pane shows the cursor's new row number."""
    samples = []
    for _ in range(presses):
        row = int(pane.wait_for(r"row ([\d,]+) ·").group(1).replace(",", ""))
        start = time.perf_counter()
        pane.send("Down")
        pane.wait_for(rf"row {row + 1:,} ·")
        samples.append((time.perf_counter() - start) * 1000)
        time.sleep(0.03)  # a person does not press faster than this
    return samples


def filter_on_screen(pane: Pane, words: tuple[str, ...]) -> list[float]:
    """Type filters key by key; time each key until the pane shows that filter's result."""
    samples = []
    for word in words:
        pane.send("/")
        typed = ""
        for char in word:
            typed += char
            start = time.perf_counter()
            pane.send(char if char != " " else "Space")
            if typed.strip() != typed:  # a trailing space changes nothing on screen
                time.sleep(0.1)
                continue
            pane.wait_for(re.escape(f"filter “{typed}”") + "|" + re.escape(f"matches “{typed}”"))
            samples.append((time.perf_counter() - start) * 1000)
            time.sleep(0.08)
        pane.send("Escape")  # clears the filter
        pane.wait_for(r"of [\d,]+ +Next")  # no "filter …" left in the page bar
        time.sleep(0.2)  # two escapes in one read would be one alt+escape to the terminal
        pane.send("Escape")  # back to the table
        time.sleep(0.2)
    return samples


def floor(presses: int) -> str:
    """Key to screen for ``FLOOR_PROGRAM`` in the same kind of pane."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(FLOOR_PROGRAM)
    pane = Pane("", 0, command=f"exec {sys.executable} {f.name}")
    try:
        pane.wait_for(r"row 1 ·")
        return summary(key_latencies(pane, presses))
    finally:
        pane.close()
        os.unlink(f.name)


def _keys(pane: Pane, presses: int, pid: int) -> tuple[list[float], float]:
    """Key-to-screen samples, and the UI thread's CPU per key (ms): the part of a key's
    cost that does not depend on what else the machine runs."""
    before = cpu_seconds(pid, pid)  # the main thread's id is the process id: the UI's
    samples = key_latencies(pane, presses)
    return samples, (cpu_seconds(pid, pid) - before) * 1000 / presses


def _tokens_issued(db: str) -> int:
    """The highest access token id: ids are never reused, so its growth counts the tokens
    committed meanwhile (every token is committed before its answer)."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as connection:
        return connection.execute("SELECT coalesce(max(id), 0) FROM access_token").fetchone()[0]


def _wrk(url: str, seconds: int, ids: object, pid: int) -> tuple[dict[str, object], float]:
    """wrk -t2 -c16 client_credentials for ``seconds``; its figures and the console
    process's CPU per token (µs)."""
    from tests.bench.bench_endpoint import run_wrk

    before = cpu_seconds(pid)
    result = run_wrk(url, "client_credentials", seconds, 16, ids=ids, threads=2)
    tokens = int(result["requests"]) or 1  # type: ignore[call-overload]
    return result, (cpu_seconds(pid) - before) * 1e6 / tokens


def _load_line(label: str, r: dict[str, object], per_token: float) -> str:
    return (
        f"  {label}: {r['rps']:,.0f} tokens/s, {r['non_2xx']} non-2xx, "
        f"{r['socket_errors']} socket errors, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
        f"console CPU {per_token:.0f} µs/token"
    )


def under_load(db: str, presses: int, seconds: int) -> None:
    from tests.bench.bench_endpoint import seed

    print(
        f"  key → screen, the floor:   {floor(presses // 2)}   (a raw-mode echo program: "
        "what tmux and the polling cost)"
    )

    store = Store.open(db)
    ids = seed(store)
    store.close()
    port = _free_port()
    pane = Pane(db, port)
    try:
        pane.wait_for(r"row 1 ·")
        url = pane.wait_for(r"● (http://[\d.]+:\d+)").group(1)
        pid = pane.pid()
        print(f"  console up; endpoint {url}")
        typed = filter_on_screen(pane, ("web", "app 4", "9", "kiosk 7"))
        print(f"  filter key → screen:       {summary(typed)}   target < 100 ms")
        quiet, quiet_cpu = _keys(pane, presses // 2, pid)
        print(
            f"  key → screen, no load:     {summary(quiet)}   UI CPU {quiet_cpu:.1f} ms/key   "
            f"load avg {os.getloadavg()[0]:.1f}"
        )
        # The endpoint alone first: what the gate must not cut when nobody types.
        alone, alone_cpu = _wrk(url, seconds, ids, pid)
        results: list[tuple[dict[str, object], float]] = []
        load = threading.Thread(target=lambda: results.append(_wrk(url, seconds, ids, pid)))
        load.start()
        time.sleep(1.0)  # let wrk open its 16 connections and warm up
        issued, started = _tokens_issued(db), time.perf_counter()
        samples, loaded_cpu = _keys(pane, presses, pid)
        typing = time.perf_counter() - started
        while_typing = (_tokens_issued(db) - issued) / typing
        load.join()
        print(
            f"  key → screen, under load:  {summary(samples)}   UI CPU {loaded_cpu:.1f} ms/key   "
            f"load avg {os.getloadavg()[0]:.1f}   target p95 < 100 ms"
        )
        print(_load_line("the endpoint, nobody typing ", alone, alone_cpu))
        if results:
            print(_load_line("the endpoint, the run with keys", *results[0]))
        print(
            f"  the endpoint while the {presses} keys were typed ({typing:.1f} s): "
            f"{while_typing:,.0f} tokens/s committed"
        )
        print(f"  (wrk -t2 -c16 client_credentials, {seconds} s each, keep-alive)")
    finally:
        pane.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--presses", type=int, default=60)
    parser.add_argument("--load-seconds", type=int, default=12)
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--only-load", action="store_true", help="skip part 1")
    parser.add_argument("--db", help="reuse this filled database (made by an earlier --keep-db)")
    parser.add_argument("--keep-db", help="fill this file and keep it, to rerun faster")
    args = parser.parse_args()
    os.environ.setdefault("AUTHCLIENTS_BCRYPT_ROUNDS", "4")

    with tempfile.TemporaryDirectory() as folder:
        db = args.db or args.keep_db or str(Path(folder) / "bench.db")
        store = Store.open(db)
        if not args.db:
            start = time.perf_counter()
            fill(store, args.clients, tokens=args.clients // 5)
            print(f"filled {args.clients:,} clients in {time.perf_counter() - start:.1f} s")
        print(f"{store.clients.count():,} clients")

        if args.only_load:
            store.close()
            print("responsiveness of the real console (tmux 120x40) while wrk loads its endpoint:")
            under_load(db, args.presses, args.load_seconds)
            return 0
        pages = [asyncio.run(first_page(store)) for _ in range(args.repeat)]
        print(f"first page (app start → table drawn): {summary(pages)}   target < 1000 ms")
        keystrokes: list[float] = []
        for keys in ("web", "app 4", "9", "kiosk 7"):  # many matches, fewer, by id, few
            took = asyncio.run(filter_keystrokes(store, keys))
            keystrokes += took
            detail = "  ".join(
                f"{k!r} {ms:.0f}" for k, ms in zip(keys.replace(" ", ""), took, strict=True)
            )
            print(f"  filter {keys!r}: {detail} ms")
        print(f"filter keystroke → table updated:     {summary(keystrokes)}   target < 100 ms")
        store.close()

        if args.skip_load:
            return 0
        if not (shutil.which("tmux") and shutil.which("wrk")):
            print("tmux or wrk is missing: skipping the responsiveness-under-load part")
            return 0
        print("responsiveness of the real console (tmux 120x40) while wrk loads its endpoint:")
        under_load(db, args.presses, args.load_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
