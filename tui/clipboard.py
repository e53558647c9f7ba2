"""Copying to the admin's clipboard: the local one if it works, else the terminal's (OSC 52)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class ClipboardHost(Protocol):
    """What we need of the App: Textual's OSC 52 copy, which also keeps ``App.clipboard``."""

    def copy_to_clipboard(self, text: str) -> None: ...


@dataclass(frozen=True)
class CopyOutcome:
    """How a copy went, so the notification can say where the text went."""

    via: str
    """``"system"`` (pyperclip) or ``"terminal"`` (OSC 52)."""
    message: str


def _pyperclip_copy(text: str) -> None:
    # Imported late: pyperclip probes for xclip/wl-copy only when first used.
    import pyperclip

    pyperclip.copy(text)


class Clipboard:
    """Copy text with pyperclip where a local clipboard works, else with OSC 52.

    Over SSH the server's clipboard (if any) is not the admin's, so OSC 52,
    which the admin's own terminal receives, goes first there.

    Args:
        local_copy: the local clipboard's copy function; tests pass a fake that
            works or raises.
        over_ssh: whether we run in an SSH session; detected from the environment.
    """

    def __init__(
        self,
        local_copy: Callable[[str], None] | None = _pyperclip_copy,
        *,
        over_ssh: bool | None = None,
    ) -> None:
        self._local_copy = local_copy
        if over_ssh is None:
            over_ssh = bool(os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"))
        self._over_ssh = over_ssh

    def copy(self, host: ClipboardHost, text: str, what: str) -> CopyOutcome:
        """Copy ``text``; ``what`` names it in the message ("Client secret")."""
        if self._local_copy is not None and not self._over_ssh:
            try:
                self._local_copy(text)
            except Exception:
                # pyperclip raises its own exception type when no clipboard tool
                # exists; any failure means: fall back to the terminal.
                pass
            else:
                return CopyOutcome("system", f"{what} copied to the clipboard.")
        host.copy_to_clipboard(text)
        return CopyOutcome(
            "terminal",
            f"{what} sent to your terminal's clipboard (OSC 52). If pasting gives "
            "nothing, your terminal does not accept OSC 52: select the text on screen.",
        )
