"""Noticing changes made by other processes (the CLI, another console, the endpoint)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from authclients.store import Store

log = logging.getLogger("authclients.console")

Stamp = tuple[tuple[int, int], tuple[int, int]]
"""(clients stamp, tokens stamp): see ``Clients.change_stamp`` and ``Tokens.change_stamp``."""


class ChangeWatcher:
    """A background thread that reads the store's change stamps and reports when they move.

    It keeps its own database connection (Peewee's are per thread) and asks
    two or three index seeks per round, so it costs nothing next to the UI.
    ``changed`` is called from this thread: the app passes a function that
    hands over to the UI thread with ``call_from_thread``.

    Args:
        store: the store to watch.
        changed: called with the new stamp whenever it differs from the last one.
        interval: seconds between two looks.
    """

    def __init__(self, store: Store, changed: Callable[[Stamp], None], interval: float) -> None:
        self._store = store
        self._changed = changed
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last: Stamp | None = None
        """The stamp seen last; None until the first look."""

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="authclients-change-watcher", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        """Stop the thread (within one interval at most) and close its connection."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self._interval + 1)
        self._thread = None

    def look(self) -> Stamp | None:
        """One look; the new stamp if it moved since the last one, else None."""
        stamp = (self._store.clients.change_stamp(), self._store.tokens.change_stamp())
        if stamp == self.last:
            return None
        first = self.last is None
        self.last = stamp
        return None if first else stamp

    def _run(self) -> None:
        try:
            # The first look sets the baseline at once, so nothing done meanwhile is missed.
            self._look_safely()
            while not self._stop.wait(self._interval):
                stamp = self._look_safely()
                if stamp is not None:
                    self._changed(stamp)
        finally:
            self._store.close()

    def _look_safely(self) -> Stamp | None:
        try:
            return self.look()
        except Exception:
            # A locked or vanished database: the screens report real failures
            # when the admin acts; the watcher just tries again next round.
            log.debug("change check failed", exc_info=True)
            self._store.close()
            return None
