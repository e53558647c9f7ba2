"""Running ``authclients`` in a real pseudo-terminal, for the tests of how the process behaves."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import signal
import socket
import struct
import sys
import termios
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

PROGRAM = str(Path(sys.executable).parent / "authclients")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class Terminal:
    """A child process on a pseudo-terminal: its pid and the master end."""

    pid: int
    fd: int
    seen: bytes = b""

    def read_until(self, needle: bytes, timeout: float) -> bytes:
        """Read the screen's bytes until ``needle`` shows or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while needle not in self.seen and time.monotonic() < deadline:
            if select.select([self.fd], [], [], 0.05)[0]:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:  # the terminal closed: the program ended
                    break
                if not chunk:
                    break
                self.seen += chunk
        return self.seen

    def drain(self, seconds: float) -> None:
        """Keep reading for ``seconds`` so the program never blocks on a full terminal."""
        self.read_until(b"\x00never", seconds)

    def exited_within(self, seconds: float) -> int | None:
        """The exit status if the process ended within ``seconds``, else None."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.02)
        return None


@contextlib.contextmanager
def spawn(
    argv: Sequence[str], env: dict[str, str], size: tuple[int, int] = (24, 80)
) -> Iterator[Terminal]:
    """``authclients ARGV`` on a new pseudo-terminal of ``size`` (rows, columns)."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execve(PROGRAM, [PROGRAM, *argv], env)
    terminal = Terminal(pid, fd)
    try:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
        yield terminal
    finally:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        with contextlib.suppress(OSError):
            os.close(fd)
