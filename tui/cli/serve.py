"""``authclients serve``: the OAuth endpoint without the console."""

from __future__ import annotations

import argparse

import peewee as pw

from authclients.store import Store
from authclients.store.listen_address import DEFAULT_HOST, DEFAULT_PORT
from authclients.store.registration import MODES
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
            "authclients serve --host 10.0.0.7 --public-url https://auth.example.com "
            "--trust-proxy 10.0.0.2",
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
        "--public-url",
        type=_public_url,
        default=None,
        metavar="URL",
        help="the https:// (or http://) URL clients and browsers reach this server at, "
        "behind a load balancer: the issuer, metadata URLs and page links use it "
        "(default: the bound address)",
    )
    serve.add_argument(
        "--trust-proxy",
        type=_network,
        action="append",
        default=[],
        metavar="ADDR",
        help="an IP address or CIDR network of a proxy in front of this server; only "
        "requests from it have their X-Forwarded-For / Forwarded headers believed "
        "(repeatable; default: none, the headers are ignored)",
    )
    serve.add_argument(
        "--registration",
        choices=MODES,
        default=None,
        help="who may register a client at POST /oauth/register (RFC 7591): off, open or "
        "token; stored in the database, so the console and other servers follow it "
        "(default: what is stored, off in a new database)",
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


def _public_url(text: str) -> str:
    from authclients.store.endpoint.public_url import parse_public_url

    try:
        return parse_public_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _network(text: str) -> str:
    from authclients.store.endpoint.proxies import parse_network

    try:
        return str(parse_network(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _host(text: str) -> str:
    """A host name or address: printable ASCII, because an error line quotes it."""
    if not text or not text.isascii() or not text.isprintable() or " " in text:
        raise argparse.ArgumentTypeError("give a host name or an IP address, such as 127.0.0.1")
    return text


def _serve(store: Store, args: argparse.Namespace) -> int:
    # The endpoint loads only when asked for, so admin commands stay quick.
    from authclients.store.endpoint import run_headless, run_workers

    if args.workers > 1 and isinstance(store.db, pw.SqliteDatabase):
        raise UsageError(SQLITE_WORKERS)
    if args.registration is not None:
        store.registrations.set_mode(args.registration)
    if args.workers > 1:
        return run_workers(
            store,
            args.host,
            args.port,
            args.workers,
            public_url=args.public_url,
            trusted_proxies=args.trust_proxy,
        )
    status = run_headless(
        store,
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        trusted_proxies=args.trust_proxy,
    )
    return status if isinstance(status, int) else 0
