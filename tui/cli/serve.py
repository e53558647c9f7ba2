"""``authclients serve``: the OAuth endpoint without the console."""

from __future__ import annotations

import argparse

import peewee as pw

from authclients.store import Store
from authclients.store.listen_address import DEFAULT_HOST, DEFAULT_PORT
from authclients.tui.cli.parser import Commands, UsageError, port, positive_int


def register(commands: Commands) -> None:
    """Add ``serve`` and its options."""
    serve = commands.command(
        commands.top,
        "serve",
        "Run the OAuth endpoint without the console (for servers and scripts).",
        _serve,
        example_lines=(
            "authclients serve",
            "authclients serve --host 0.0.0.0 --port 9000 --db postgresql://auth@db/auth",
            "authclients serve --workers 4 --db postgresql://auth@db/auth",
        ),
    )
    serve.add_argument(
        "--host",
        type=_host,
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST})",
    )
    # SUPPRESS: without --port here, the top-level --port (default 8765) holds.
    serve.add_argument(
        "--port",
        type=port,
        default=argparse.SUPPRESS,
        help=f"port to listen on (default {DEFAULT_PORT}; 0 for a free one)",
    )

    serve.add_argument(
        "--workers",
        type=positive_int("a number of worker processes"),
        default=1,
        help="processes sharing the port, for a machine with more cores (PostgreSQL only; "
        "default 1)",
    )


SQLITE_WORKERS = (
    "--workers needs PostgreSQL (--db postgresql://...): SQLite has one writer per file, so "
    "several worker processes would only queue behind each other's file lock (each with its "
    "own group committer) instead of sharing one; run one worker on SQLite"
)


def _host(text: str) -> str:
    """A host name or address: printable ASCII, because an error line quotes it."""
    if not text or not text.isascii() or not text.isprintable() or " " in text:
        raise argparse.ArgumentTypeError("give a host name or an IP address, such as 127.0.0.1")
    return text


def _serve(store: Store, args: argparse.Namespace) -> int:
    # The endpoint loads only when asked for, so admin commands stay quick.
    from authclients.store.endpoint import run_headless, run_workers

    if args.workers > 1:
        if isinstance(store.db, pw.SqliteDatabase):
            raise UsageError(SQLITE_WORKERS)
        return run_workers(store, args.host, args.port, args.workers)
    status = run_headless(store, host=args.host, port=args.port)
    return status if isinstance(status, int) else 0
