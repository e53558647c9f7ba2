"""The console's embedded endpoint, run as a child process so it never takes the UI's GIL."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from typing import IO

STARTUP_SECONDS = 15.0
"""How long the child may take to import and bind before we give up on it."""


class EndpointPortInUse(Exception):
    """The asked port is taken; the caller tries a free one."""


class EndpointProcess:
    """``authclients serve`` on the console's database, started and stopped with the console.

    In a thread of the console, the endpoint's Python work competed with the
    UI for the GIL: under 16 keep-alive connections of client_credentials a
    key press took a median 71 ms and a p95 171 ms to show (1,843 tokens/s);
    with the endpoint in this child, 64 / 128 ms (2,338 tokens/s), measured
    by tests/bench/bench_console.py on 2 cores. Everything the two share is
    in the database, as with several ``serve`` processes.

    Args:
        target: the database (path or URL); handed over in the environment, not
            on the command line where ``ps`` would show a password.
        port: the port to listen on; 0 for a free one.
    """

    def __init__(self, target: str, port: int) -> None:
        self.target = target
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._process: subprocess.Popen[str] | None = None
        self._errors: IO[str] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the child and wait for its "Listening on URL" line.

        Raises:
            EndpointPortInUse: the port is taken.
            RuntimeError: the child did not start; its own message says why.
        """
        # Its messages go to a file, never to the terminal the console draws on.
        # Kept open for the child's whole life, closed in stop().
        self._errors = tempfile.TemporaryFile("w+", prefix="authclients-endpoint-")  # noqa: SIM115
        env = {**os.environ, "AUTHCLIENTS_DB": self.target}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "serve", "--port", str(self.port)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            env=env,
            text=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        line = self._first_line()
        if line.startswith("Listening on "):
            self.url = line.removeprefix("Listening on ").strip()
            return
        self._process.wait(timeout=5)
        message = self._error_text() or "it exited without saying why"
        self._close_errors()
        if "already in use" in message:
            raise EndpointPortInUse(message)
        raise RuntimeError(message)

    def stop(self) -> None:
        """SIGTERM (the child stops serving within half a second), then SIGKILL if need be."""
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=3)
        if process is not None and process.stdout is not None:
            process.stdout.close()
        self._close_errors()

    def _first_line(self) -> str:
        process = self._process
        assert process is not None and process.stdout is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 0.1)
            if ready:
                return process.stdout.readline()
            if process.poll() is not None:
                return ""
        process.kill()
        return ""

    def _error_text(self) -> str:
        if self._errors is None:
            return ""
        self._errors.seek(0)
        lines = [line.strip() for line in self._errors.read().splitlines() if line.strip()]
        # "authclients serve: Port 8765 on 127.0.0.1 is already in use; ..." is the last line.
        return lines[-1].removeprefix("authclients serve: ") if lines else ""

    def _close_errors(self) -> None:
        if self._errors is not None:
            with contextlib.suppress(OSError):
                self._errors.close()
            self._errors = None


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the console dies, even by SIGKILL."""
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
