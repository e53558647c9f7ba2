"""The parser pieces every noun shares: one-line errors, argument types, the --db/--json parents."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from datetime import timedelta
from importlib import metadata
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from authclients.store.clients import MAX_PAGE
from authclients.store.db import ENV_VAR, default_target
from authclients.store.tokens import NEVER
from authclients.tui.cli.output import PROG, one_line
from authclients.tui.safe_text import printable

if TYPE_CHECKING:
    from authclients.store import Store


MAX_ID = 2**63 - 1
"""The largest integer key SQLite and PostgreSQL (BIGINT) can hold."""

Handler = Callable[["Store", argparse.Namespace], int]
"""What a subcommand runs: the opened store and the parsed arguments in, the exit status out."""


class UsageError(Exception):
    """A bad combination or value found after parsing: exit 2, like argparse's own errors."""


class Failure(Exception):
    """The command could not do its work: exit 1 with this one-line message."""


class CommandParser(argparse.ArgumentParser):
    """argparse with one-line errors: scripts read one line on stderr, humans see what to fix.

    Abbreviated options are off: ``--password`` must not silently mean
    ``--password-stdin``, and scripts should not break when an option is added.
    argparse quotes the offending value (``invalid choice: '…'``), so the line
    goes through :func:`printable` before it reaches the terminal.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        line = printable(f"{one_line(message)} (see `{self.prog} --help`)")
        self.exit(2, f"{PROG}: error: {line}\n")


# -- argument types: their errors never echo the value, which might be a pasted secret ----------


def positive_int(what: str) -> Callable[[str], int]:
    """A type for ids: a whole number of 1 or more, the error naming ``what`` to give."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            value = 0
        if value > MAX_ID:
            # Said apart from "not a number": a long pasted number is no typo of the format.
            raise argparse.ArgumentTypeError(
                f"the id is too large (ids go up to {MAX_ID}); give {what}"
            )
        if value <= 0:
            raise argparse.ArgumentTypeError(f"give {what}, a whole number of 1 or more")
        return value

    return parse


client_id = positive_int("a client id as shown by `authclients clients list`")
token_id = positive_int("a token id as shown by `authclients tokens list` (not the token)")


def days(text: str) -> int:
    """A number of days, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError("give a whole number of days, 0 or more")
    return value


def lifetime(text: str) -> timedelta | Literal["never"]:
    """A token lifetime: days of 1 or more, or ``never``."""
    if text.strip().lower() == NEVER:
        return NEVER
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(
            "give a number of days of 1 or more, or 'never' for a token that never expires"
        )
    return timedelta(days=value)


def offset(text: str) -> int:
    """How many rows a page skips."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError("give a whole number, 0 or more")
    return value


def limit(text: str) -> int:
    """A page size, bounded like the store's own pages."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_PAGE:
        raise argparse.ArgumentTypeError(f"give a page size from 1 to {MAX_PAGE}")
    return value


def port(text: str) -> int:
    """A port to listen on; 0 asks for any free one (the console's header and
    ``serve``'s first line say which)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("give a TCP port from 1 to 65535, or 0 for a free one")
    return value


def version() -> str:
    """The installed distribution's version, for ``--version``."""
    try:
        return metadata.version(PROG)
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def examples(*lines: str) -> str | None:
    """An ``examples:`` epilog, one indented command a line."""
    if not lines:
        return None
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def db_help() -> str:
    return (
        f"database file path or URL (sqlite:///…, postgresql://…); default: ${ENV_VAR}, "
        f"else {default_target()}"
    )


class Commands:
    """Where noun modules add their subcommands, with the shared --db and --json parents."""

    def __init__(self, subparsers: Any) -> None:
        self.top = subparsers
        # --db is accepted before and after the subcommand; SUPPRESS keeps a deeper
        # parser's absent --db from overwriting one given earlier.
        self._late_db = CommandParser(add_help=False)
        self._late_db.add_argument(
            "--db", metavar="PATH_OR_URL", default=argparse.SUPPRESS, help=db_help()
        )
        self._as_json = CommandParser(add_help=False)
        self._as_json.add_argument(
            "--json",
            action="store_true",
            help="print machine-readable JSON (times in UTC, ISO 8601)",
        )

    def command(
        self,
        group: Any,
        name: str,
        summary: str,
        handler: Handler | None = None,
        *,
        example_lines: Sequence[str] = (),
        json_output: bool = False,
        read_only: bool = False,
        database: bool = True,
    ) -> CommandParser:
        """A subcommand of ``group`` taking --db (unless it opens no database of ours) and
        --json, running ``handler``.

        ``read_only``: the command only reads, so a database that is not there is
        an error (never created) and a read-only file is opened read-only.
        """
        parents = [self._late_db] if database else []
        if json_output:
            parents.append(self._as_json)
        sub = group.add_parser(
            name,
            help=summary,
            description=summary,
            epilog=examples(*example_lines),
            parents=parents,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if handler is not None:
            sub.set_defaults(handler=handler, read_only=read_only)
        return sub

    def noun(self, name: str, summary: str) -> Any:
        """A top-level noun (``clients``) whose actions (``list``…) are added to the result."""
        parser = self.command(self.top, name, summary)
        return parser.add_subparsers(
            dest="action", metavar="ACTION", required=True, parser_class=CommandParser
        )


def add_page_options(parser: CommandParser, *, default_limit: int) -> None:
    """``--limit`` and ``--offset``, the same on every list command."""
    parser.add_argument(
        "--limit",
        type=limit,
        default=default_limit,
        help=f"page size (default {default_limit})",
    )
    parser.add_argument("--offset", type=offset, default=0, help="skip this many (default 0)")
