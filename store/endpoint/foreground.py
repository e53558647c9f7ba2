"""The console's UI goes first: while it answers a key, the endpoint's loop waits.

The embedded endpoint's loop is a thread of the console's process, so it
shares the GIL with the UI. Under load it always wants the GIL, and the UI
gets it only in turns: a screen update that needs 10 ms of Python took several
times that. A ``ForegroundGate`` lets the UI say "busy" when an input event
arrives and "idle" once the screen shows its effect; meanwhile the loop, before
each request, waits (GIL released) instead of competing. A busy mark expires
on its own, so a UI that never says "idle" delays requests by at most
``max_hold`` each time, never stops the endpoint.

The GIL is half of it; the CPU is the other. On a busy machine the loop thread
is one more runnable thread beside the UI's, so ``lower_priority`` asks the
kernel to run the loop's thread at a lower priority (a nice value applies per
thread on Linux) than the UI's.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time

MAX_HOLD = 0.1
"""Seconds a busy mark lasts at most: longer than a screen update, short for a token."""


class ForegroundGate:
    """A foreground thread's "busy" flag that a background loop waits out.

    ``busy`` and ``idle`` are called by the foreground (any thread);
    ``wait`` by the background loop between units of work. Cheap when idle:
    one attribute read.
    """

    __slots__ = ("_clear", "_nice", "_until", "max_hold")

    def __init__(self, max_hold: float = MAX_HOLD) -> None:
        self.max_hold = max_hold
        self._until = 0.0
        """``time.monotonic()`` past which a busy mark no longer holds anyone."""
        self._clear = threading.Event()
        self._clear.set()
        self._nice = 0
        """A nice value the waiting thread still has to take (0: nothing to do)."""

    def lower_priority(self, nice: int) -> None:
        """Have the thread that waits here (the loop's) run at ``nice`` from its next wait."""
        self._nice = nice

    @property
    def held(self) -> bool:
        """The foreground is busy now (its mark has not expired)."""
        return self._until > 0.0 and time.monotonic() < self._until

    def busy(self) -> None:
        """The foreground has work: hold the background for up to ``max_hold``."""
        self._until = time.monotonic() + self.max_hold
        self._clear.clear()

    def idle(self) -> None:
        """The foreground is done: release the background now."""
        self._until = 0.0
        self._clear.set()

    def wait(self) -> float:
        """Block while the foreground is busy (at most until its mark expires).

        Returns the seconds waited (0.0 almost always).
        """
        if self._nice:
            self._renice()
        until = self._until
        if until == 0.0:
            return 0.0
        left = until - time.monotonic()
        if left <= 0.0:
            return 0.0
        started = time.monotonic()
        self._clear.wait(left)
        return time.monotonic() - started

    def _renice(self) -> None:
        nice, self._nice = self._nice, 0
        # PRIO_PROCESS with the thread's own id: on Linux a nice value is per thread.
        # Raising it needs no privilege; where it is refused, priority stays as it was.
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
