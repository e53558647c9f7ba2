"""No command: the full-screen console, on ``--db`` or on throw-away demo data."""

from __future__ import annotations

import argparse

from authclients.tui.cli.output import error


def run(args: argparse.Namespace) -> int:
    """Open the console with ``--db``, ``--port`` and ``--no-server``, or ``--demo``."""
    return _run_demo(args) if args.demo else _run_console(args)


def _run_console(args: argparse.Namespace) -> int:
    # Imported here: the subcommands must not pay for loading Textual.
    from authclients.tui.app import run_console

    return run_console(args.db, args.port, args.no_server)


def _run_demo(args: argparse.Namespace) -> int:
    """``--demo``: the console on a fresh temporary database with demo data."""
    if args.db is not None:
        return error("--demo uses its own throw-away database; leave out --db", 2)
    from authclients.tui.demo import run_demo

    return run_demo(args.port, args.no_server)
