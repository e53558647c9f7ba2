"""Questions on the terminal: confirmations and new passwords, never read from argv."""

from __future__ import annotations

import getpass
import sys

from authclients.tui.cli.output import ask
from authclients.tui.cli.parser import Failure, UsageError
from authclients.tui.safe_text import printable


def stdin_is_tty() -> bool:
    """Whether a person can answer; tests replace it to play one."""
    return sys.stdin is not None and sys.stdin.isatty()


def prompt_password(prompt: str) -> str:
    """One hidden answer; tests replace it to type."""
    return getpass.getpass(prompt)


def confirm(
    question: str, *, refusal: str, cancelled: str = "cancelled; nothing was deleted"
) -> None:
    """Ask on the terminal; without one, refuse (exit 2) so a script never deletes by accident."""
    if not stdin_is_tty():
        raise UsageError(refusal)
    ask(f"{question} [y/N] ")
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise Failure(cancelled)


def read_new_password(username: str, from_stdin: bool) -> str:
    """The new password: the first line of stdin, or typed twice at a prompt; never argv."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not stdin_is_tty():
        raise UsageError(
            "no terminal to ask for the password on; pipe it in and pass --password-stdin"
        )
    # getpass writes the prompt itself, so the name is made printable here.
    first = prompt_password(f"New password for {printable(username.strip())}: ")
    second = prompt_password("Type it again: ")
    if first != second:
        raise UsageError("the two passwords differ; nothing was changed, try again")
    return first
