"""Leaving promptly when the terminal goes away (SIGHUP) or the process is told to (SIGTERM).

A dropped SSH session or ``tmux kill-session`` can leave Textual's shutdown
waiting for ever on its writer thread, which writes to a terminal that is no
longer there. Cleaning up on the UI thread would then never happen: the demo
database stays on disk and the port stays bound. So the signal handler only
starts a thread that does the cleanup at once, asks the app to leave, and ends
the process itself when the UI has not finished by the deadline.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any, Protocol

log = logging.getLogger("authclients.console")

EXIT_DEADLINE_S = 1.5
"""Seconds from the signal to the end of the process, cleanup included, at the latest."""

SIGNALS = (signal.SIGHUP, signal.SIGTERM)


class ExitingApp(Protocol):
    """What the guard needs of the Textual app."""

    def exit(self, result: Any = None, return_code: int = 0) -> None: ...


class HangupGuard:
    """Cleans up and ends the process within ``deadline`` seconds of SIGHUP or SIGTERM.

    Use it around ``app.run()``: ``install()`` before, ``done()`` after the
    normal cleanup. The cleanups run on the guard's own thread, first thing,
    so they happen even when the UI thread never returns; they must therefore
    be safe to run again (the normal path after ``run()`` repeats them).

    Args:
        app: the running app, asked to exit on the signal.
        cleanups: called in order on the signal (delete demo data, stop the endpoint).
        deadline: seconds after the signal at which the process ends regardless.
    """

    def __init__(
        self,
        app: ExitingApp,
        cleanups: Sequence[Callable[[], None]],
        *,
        deadline: float = EXIT_DEADLINE_S,
    ) -> None:
        self._app = app
        self._cleanups = list(cleanups)
        self._deadline = deadline
        self._previous: dict[int, Any] = {}
        self._signum = 0
        self._cleaned = threading.Event()
        self._finished = threading.Event()

    @property
    def signalled(self) -> int:
        """The signal received, or 0."""
        return self._signum

    @property
    def exit_code(self) -> int:
        """What the shell reports for a process ended by the signal (128 + its number)."""
        return 128 + self._signum if self._signum else 0

    def install(self) -> None:
        for signum in SIGNALS:
            self._previous[signum] = signal.signal(signum, self._on_signal)

    def done(self) -> None:
        """The UI has left and the normal cleanup ran: restore the handlers, stop the watch."""
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()
        self._finished.set()
        if self._signum:
            # Let a cleanup still under way on the guard's thread finish before exit.
            self._cleaned.wait(self._deadline)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self._signum:
            return  # a second signal changes nothing: the first one's deadline holds
        self._signum = signum
        started = time.monotonic()
        threading.Thread(
            target=self._clean_and_watch, args=(started,), name="authclients-hangup", daemon=True
        ).start()
        try:
            # The handler runs on the UI thread, between two of its steps.
            self._app.exit(return_code=self.exit_code)
        except Exception:  # the app may be half torn down already
            log.debug("app.exit after a signal failed", exc_info=True)

    def _clean_and_watch(self, started: float) -> None:
        for cleanup in self._cleanups:
            try:
                cleanup()
            except Exception:
                log.debug("cleanup after a signal failed", exc_info=True)
        self._cleaned.set()
        left = self._deadline - (time.monotonic() - started)
        if not self._finished.wait(max(0.0, left)):
            # The UI thread is stuck (a vanished terminal): what had to be done is done.
            os._exit(self.exit_code)
