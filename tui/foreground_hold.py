"""How long the console holds its embedded endpoint for one key: until the screen is drawn.

The endpoint's loop shares the console's GIL (``store.endpoint.foreground``).
Releasing it once the key's handlers have run is too soon: Textual paints on
its screen timer afterwards, and some keys are drawn in more than one frame (a
part of the screen that a message updates lands in the next one). A release
before those frames left every paint to compete for the GIL with a loop that
always wants it. So the hold lasts until the frames stop: each frame
written re-arms a short quiet period, and the endpoint is released when it
passes without another frame.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from textual import events
from textual.driver import Driver
from textual.message import Message

FRAME_QUIET = 0.01
"""Seconds without a frame after which a key counts as drawn: time for Textual's writer
thread to send the frame out, and for a frame that follows at once. Every millisecond
of it is a millisecond the endpoint waits per key: 21 ms (a whole frame period, for a
key drawn in two frames) halved the tokens/s committed while keys were typed."""

HOLDING_INPUT = (events.Key, events.Paste, events.MouseDown, events.MouseUp)
"""Input whose answer the admin waits to see; mouse moves and scrolls are not held for."""


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


def early_hold_driver(base: type[Driver]) -> type[Driver]:
    """``base`` (the platform's driver) marking the app's gate busy as soon as input is read.

    The driver reads and parses input on a thread of its own, then hands each event
    to the UI's loop; the app marks the gate busy only when its loop gets to the
    event, which waits behind whatever the UI is doing (and behind the endpoint for
    the GIL). Marked here, the endpoint steps aside from the moment the key is read.
    The app still holds and releases the gate (``KeyHold``); this only starts it
    earlier, and a mark nobody follows up expires on its own (``max_hold``).
    """

    def process_message(self: Any, message: Message) -> None:
        if isinstance(message, HOLDING_INPUT):
            gate = getattr(self._app, "foreground_gate", None)
            if gate is not None:
                gate.busy()
        base.process_message(self, message)

    return type(f"EarlyHold{base.__name__}", (base,), {"process_message": process_message})
