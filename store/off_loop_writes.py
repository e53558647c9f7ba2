"""A write of the event loop's that may wait for SQLite's lock, run on the writer thread.

The loop's own writes besides tokens (a failed client secret, its clearing)
ran on the loop's Peewee connection, whose busy timeout is 10 s: while another
process held the write lock, one wrong secret stopped every connection of the
loop for as long. ``GroupCommitter.submit_write`` queues them to its thread
instead, in order with the token batches; the answer waits for the write.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable


class OffLoopWrite:
    """``write`` to run on the writer thread; ``future`` settles on its loop afterwards."""

    __slots__ = ("future", "stopping", "write")

    def __init__(
        self, write: Callable[[], object], future: asyncio.Future[int], stopping: str
    ) -> None:
        self.write = write
        self.future = future
        self.stopping = stopping
        """The error's text when the writer stops before running it."""

    def run(self) -> None:
        """On the writer thread: run it, then settle the future on the loop (never raises)."""
        error: BaseException | None = None
        try:
            self.write()
        except Exception as exc:  # the request answers it (503 when the database is busy)
            error = exc
        self._settle_soon(error)

    def stopped(self) -> None:
        """The writer stopped first: the request fails instead of waiting forever."""
        self._settle_soon(RuntimeError(self.stopping))

    def _settle_soon(self, error: BaseException | None) -> None:
        # A closed loop: nobody waits for this answer any more.
        with contextlib.suppress(RuntimeError):
            self.future.get_loop().call_soon_threadsafe(_settle, self.future, error)


def _settle(future: asyncio.Future[int], error: BaseException | None) -> None:
    """On the loop (a cancelled request's future is left alone)."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(0)
