"""How long the console holds its embedded endpoint for one key: until the screen is drawn.

The endpoint's loop shares the console's GIL (``store.endpoint.foreground``).
Releasing it once the key's handlers have run is too soon: Textual paints on
its screen timer afterwards, and a key is often drawn in two frames (the
table, then the status line that its message updates one frame later). A
release before those frames left every paint to compete for the GIL with a
loop that always wants it. So the hold lasts until the frames stop: each frame
written re-arms a short quiet period, and the endpoint is released when it
passes without another frame.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

FRAME_QUIET = 0.021
"""Seconds without a frame after which a key counts as drawn: one frame period at
Textual's 60 fps (the next frame of the same key starts within it) and a little."""


class Gate(Protocol):
    """The endpoint's side (``ForegroundGate``)."""

    def busy(self) -> None: ...

    def idle(self) -> None: ...


class KeyHold:
    """Holds ``gate`` from an input event until the frames that show it are written.

    Runs on the UI's event loop: ``pressed`` when input arrives, ``dispatched``
    once its handlers ran, ``drawn`` after every frame written.
    """

    __slots__ = ("_gate", "_release", "quiet")

    def __init__(self, gate: Gate, quiet: float = FRAME_QUIET) -> None:
        self._gate = gate
        self.quiet = quiet
        self._release: asyncio.TimerHandle | None = None

    @property
    def holding(self) -> bool:
        """An input event has not been drawn yet (the endpoint waits)."""
        return self._release is not None

    def pressed(self) -> None:
        """Input arrived: hold the endpoint until it is drawn."""
        self._gate.busy()
        self._arm()

    def dispatched(self) -> None:
        """Its handlers ran. A key that changes nothing on screen is released after the
        quiet period; one that does is held on by the frames that follow."""
        if self._release is not None:
            self._arm()

    def drawn(self) -> None:
        """A frame was written: release unless another follows within the quiet period."""
        if self._release is not None:
            self._arm()

    def release(self) -> None:
        """Release the endpoint now (the app is closing, or the quiet period passed)."""
        if self._release is not None:
            self._release.cancel()
            self._release = None
        self._gate.idle()

    def _arm(self) -> None:
        if self._release is not None:
            self._release.cancel()
        # A loop timer, not a Textual one: it is re-armed on every frame, and cancelling
        # a handle costs nothing. It cannot fire while a frame is painted (same thread).
        self._release = asyncio.get_running_loop().call_later(self.quiet, self.release)
