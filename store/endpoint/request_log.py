"""The endpoint's request log: the latest answered requests, for the console and a file."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import IO

LOG_SIZE = 1000


@dataclass(frozen=True)
class LoggedRequest:
    """One answered request, as the console shows it; never a query string or a secret."""

    time: datetime
    method: str
    path: str
    status: int
    duration_ms: float
    client_id: str | None
    address: str | None = None
    """The client's address: the peer, or what a trusted proxy says it forwarded."""


class RequestLog:
    """A bounded, thread-safe buffer of the latest requests, optionally also written to a file."""

    def __init__(self, maxlen: int = LOG_SIZE, log_file: str | None = None) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self._path = log_file
        self._file: IO[str] | None = None
        self._total = 0

    def add(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)
            self._total += 1
            if self._file is not None:
                self._file.write(_format_entry(entry))
                self._file.flush()

    def entries(self) -> list[LoggedRequest]:
        """The buffered requests, oldest first (a copy)."""
        with self._lock:
            return list(self._entries)

    @property
    def total(self) -> int:
        """Requests logged since start, including those the buffer has dropped."""
        return self._total

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def open_file(self) -> None:
        if self._path and self._file is None:
            self._file = open(self._path, "a", encoding="utf-8")  # noqa: SIM115

    def close_file(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def _format_entry(entry: LoggedRequest) -> str:
    return (
        f"{entry.time.isoformat(timespec='milliseconds')} {entry.method} {entry.path} "
        f"{entry.status} {entry.duration_ms:.1f}ms client={entry.client_id or '-'} "
        f"from={entry.address or '-'}\n"
    )
