"""The ``authclients`` command: the console, the headless endpoint, scriptable admin commands.

One module per noun registers its own subcommands; this one builds the
parser, opens the store and turns every failure into one terminal-safe line.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import peewee as pw

from authclients.store import NotFound, Store, StoreError, ValidationError
from authclients.store.db import ENV_VAR, check_hint, describe, is_server, resolve_target
from authclients.store.errors import MissingDatabase
from authclients.store.listen_address import DEFAULT_PORT
from authclients.tui.cli import (
    clients,
    console,
    keys,
    lifetimes,
    playground,
    registration,
    resources,
    scopes,
    screenshots,
    serve,
    tokens,
    users,
)
from authclients.tui.cli.output import PROG, SECRET_WARNING, TOKEN_WARNING, error, one_line
from authclients.tui.cli.parser import (
    CommandParser,
    Commands,
    Failure,
    UsageError,
    db_help,
    examples,
    port,
    version,
)

__all__ = ["SECRET_WARNING", "TOKEN_WARNING", "build_parser", "main"]

_LIST_HINTS = {
    "client": "authclients clients list",
    "user": "authclients users list",
    "token": "authclients tokens list",
    "scope": "authclients scopes list",
    "resource": "authclients resources list",
    "initial access token": "authclients registration token list",
    "signing key": "authclients keys list",
}
"""Where to look up what exists, for the one-line "not found" errors."""


def build_parser() -> argparse.ArgumentParser:
    """Every command, option and help text of ``authclients``."""
    parser = CommandParser(
        prog=PROG,
        description="A terminal console for OAuth 2.0 client applications. "
        "With no command, opens the full-screen console.",
        epilog=examples(
            "authclients                                  # the full-screen console",
            "authclients --demo                           # the console on throw-away demo data",
            "authclients clients create --name Web --redirect https://app.example/cb",
            "authclients clients list --json",
            f"authclients --db /srv/authclients.db serve --port {DEFAULT_PORT}",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", metavar="PATH_OR_URL", default=None, help=db_help())
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    parser.add_argument(
        "--port",
        type=port,
        default=DEFAULT_PORT,
        help=f"port of the embedded endpoint (default {DEFAULT_PORT}; 0 for a free one)",
    )
    parser.add_argument(
        "--no-server", action="store_true", help="open the console without the embedded endpoint"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the console on a throw-away database with a demo user and one client per "
        "grant (deleted on exit)",
    )
    commands = Commands(
        parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    )
    for noun in (
        serve,
        clients,
        users,
        tokens,
        scopes,
        resources,
        registration,
        keys,
        lifetimes,
        playground,
        screenshots,
    ):
        noun.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``authclients`` with ``argv`` (default: the command line); returns the exit status."""
    parser = build_parser()
    try:
        args, extras = parser.parse_known_args(argv)
    except SystemExit as exit_:
        # --help and argparse's usage errors end here, so main() always returns.
        return exit_.code if isinstance(exit_.code, int) else 2
    if extras:
        where = " ".join(filter(None, [PROG, args.command, getattr(args, "action", None)]))
        return error(f"{_unrecognized(extras, args.command)} (see `{where} --help`)", 2)
    if args.command is None:
        return console.run(args)
    if args.command == "screenshots":
        # Its own throw-away databases: it must never open --db or the default one.
        return screenshots.run(args)
    if args.command == "try":
        # A client of some server, perhaps another one: no database of ours is opened.
        return playground.run(args)
    try:
        store = _open_store(args.db, existing=getattr(args, "read_only", False))
        try:
            return args.handler(store, args)
        finally:
            store.close()
    except UsageError as exc:
        return error(str(exc), 2)
    except MissingDatabase as exc:
        # A mistyped --db: a command that only reads creates nothing (no folder, no file).
        return error(
            f"{exc}; check --db or ${ENV_VAR} (a command that changes something creates it)", 2
        )
    except Failure as exc:
        return error(str(exc), 1)
    except NotFound as exc:
        hint = _LIST_HINTS.get(exc.kind)
        return error(f"{exc} (see `{hint}`)" if hint else str(exc), 1)
    except ValidationError as exc:
        # A value the rules refuse is a usage error, like argparse's own (README: exit 2).
        return error(_field_errors(exc), 2)
    except StoreError as exc:
        return error(str(exc), 1)
    except UnicodeError:
        # An argument in another encoding arrives with surrogates, which SQLite refuses.
        # Not echoed: it may be a pasted secret.
        return error("a value given is not valid UTF-8 text; check the terminal's encoding", 2)
    except pw.DatabaseError as exc:
        # A file damaged past its schema opens, then fails mid-command; a lost server too.
        resolved = resolve_target(args.db)
        hint = check_hint(is_server(resolved))
        return error(f"the database {describe(resolved)} failed: {exc} ({hint})", 1)
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`); say nothing more on a closed pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _open_store(target: str | None, *, existing: bool = False) -> Store:
    try:
        return Store.open(target, existing=existing)
    except MissingDatabase:
        raise
    except Exception as exc:  # the driver's own errors: any of them means "cannot open"
        where = describe(target) if target else f"${ENV_VAR} or the default location"
        hint = check_hint(is_server(resolve_target(target)))
        raise Failure(f"cannot open the database {where}: {one_line(str(exc))} ({hint})") from None


def _field_errors(exc: ValidationError) -> str:
    """Every field's message on one line: ``name: ...; redirect_uris: ...``."""
    return "; ".join(f"{field}: {message.rstrip('.')}" for field, message in exc.errors.items())


def _unrecognized(extras: list[str], command: str | None) -> str:
    # Options are named so typos can be fixed; other words are only counted,
    # because a password or token pasted in the wrong place must not be echoed.
    options = [e for e in extras if e.startswith("-") and "=" not in e]
    others = len(extras) - len(options)
    parts = []
    if options:
        parts.append(f"unrecognized option{'s' if len(options) > 1 else ''} {' '.join(options)}")
    if others:
        why = "in case it is a secret"
        if command == "users":
            why += "; a password comes from the prompt or --password-stdin, never the command line"
        parts.append(f"{others} unexpected argument{'s' if others > 1 else ''} (not shown, {why})")
    return " and ".join(parts)
