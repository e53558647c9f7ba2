"""No command: the full-screen console, on ``--db`` or on throw-away demo data."""

from __future__ import annotations

import argparse
import sys

from authclients.tui.cli.output import error

NO_TERMINAL = "needs a terminal; see authclients --help"
"""Said when stdin or stdout is not a terminal: the console would write escape
codes into a file and wait for keys that never come, holding the port."""


def has_terminal() -> bool:
    """Are stdin, stdout and stderr terminals? The console reads keys from stdin and
    draws on stderr (Textual's choice); output meant for stdout must not go to a file."""
    try:
        return sys.stdin.isatty() and sys.stdout.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def run(args: argparse.Namespace) -> int:
    """Open the console with ``--db``, ``--port`` and ``--no-server``, or ``--demo``."""
    if args.demo and args.db is not None:
        return error("--demo uses its own throw-away database; leave out --db", 2)
    # Before anything is opened, bound or written: nothing to undo.
    if not has_terminal():
        return error(NO_TERMINAL, 2)
    return _run_demo(args) if args.demo else _run_console(args)


def _run_console(args: argparse.Namespace) -> int:
    # Imported here: the subcommands must not pay for loading Textual.
    from authclients.tui.app import run_console

    return run_console(args.db, args.port, args.no_server)


def _run_demo(args: argparse.Namespace) -> int:
    """``--demo``: the console on a fresh temporary database with demo data."""
    from authclients.tui.demo import run_demo

    return run_demo(args.port, args.no_server)
