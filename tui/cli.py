"""The ``authclients`` command: the console, the headless endpoint, scriptable admin commands."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from importlib import metadata
from typing import Any, Literal, NoReturn

from authclients.store import NotFound, Store, StoreError, ValidationError
from authclients.store.clients import MAX_PAGE, SORT_KEYS
from authclients.store.db import ENV_VAR, default_target, describe, is_url, resolve_target
from authclients.store.records import (
    GRANT_LABELS,
    STATE_ACTIVE,
    STATE_REVOKED,
    TOKEN_STATES,
    ClientInfo,
    CreatedClient,
    IssuedToken,
    PurgeResult,
    TokenInfo,
    UserInfo,
)
from authclients.store.tokens import NEVER

PROG = "authclients"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
SECRET_WARNING = "Store this secret now: it will not be shown again."
TOKEN_WARNING = "Store this token now: it will not be shown again."

_LIST_HINTS = {
    "client": "authclients clients list",
    "user": "authclients users list",
    "token": "authclients tokens list",
}
"""Where to look up what exists, for the one-line "not found" errors."""

Handler = Callable[[Store, argparse.Namespace], int]


class UsageError(Exception):
    """A bad combination or value found after parsing: exit 2, like argparse's own errors."""


class Failure(Exception):
    """The command could not do its work: exit 1 with this one-line message."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: scripts read one line on stderr, humans see what to fix.

    Abbreviated options are off: ``--password`` must not silently mean
    ``--password-stdin``, and scripts should not break when an option is added.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {_one_line(message)} (see `{self.prog} --help`)\n")


# -- argument types: their errors never echo the value, which might be a pasted secret ----------


def _positive_int(what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value <= 0 or value > 2**62:
            raise argparse.ArgumentTypeError(f"give {what}, a whole number of 1 or more")
        return value

    return parse


_client_id = _positive_int("a client id as shown by `authclients clients list`")
_token_id = _positive_int("a token id as shown by `authclients tokens list` (not the token)")


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError("give a whole number of days, 0 or more")
    return value


def _lifetime(text: str) -> timedelta | Literal["never"]:
    if text.strip().lower() == NEVER:
        return NEVER
    try:
        days = int(text)
    except ValueError:
        days = 0
    if days <= 0:
        raise argparse.ArgumentTypeError(
            "give a number of days of 1 or more, or 'never' for a token that never expires"
        )
    return timedelta(days=days)


def _offset(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError("give a whole number, 0 or more")
    return value


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_PAGE:
        raise argparse.ArgumentTypeError(f"give a page size from 1 to {MAX_PAGE}")
    return value


def _port(text: str) -> int:
    """A port to listen on; 0 asks for any free one (the console's header and
    ``serve``'s first line say which)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("give a TCP port from 1 to 65535, or 0 for a free one")
    return value


# -- the parser ----------------------------------------------------------------------------------


def _version() -> str:
    try:
        return metadata.version(PROG)
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """Every command, option and help text of ``authclients``."""
    # --db is accepted before and after the subcommand; SUPPRESS keeps a deeper
    # parser's absent --db from overwriting one given earlier.
    db_help = (
        f"database file path or URL (sqlite:///…, postgresql://…); default: ${ENV_VAR}, "
        f"else {default_target()}"
    )
    late_db = _Parser(add_help=False)
    late_db.add_argument("--db", metavar="PATH_OR_URL", default=argparse.SUPPRESS, help=db_help)
    as_json = _Parser(add_help=False)
    as_json.add_argument(
        "--json", action="store_true", help="print machine-readable JSON (times in UTC, ISO 8601)"
    )

    parser = _Parser(
        prog=PROG,
        description="A terminal console for OAuth 2.0 client applications. "
        "With no command, opens the full-screen console.",
        epilog=_examples(
            "authclients                                  # the full-screen console",
            "authclients --demo                           # the console on throw-away demo data",
            "authclients clients create --name Web --redirect https://app.example/cb",
            "authclients clients list --json",
            "authclients --db /srv/authclients.db serve --port 8765",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", metavar="PATH_OR_URL", default=None, help=db_help)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument(
        "--port",
        type=_port,
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
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(
        group: Any,
        name: str,
        summary: str,
        handler: Handler | None = None,
        *,
        examples: Sequence[str] = (),
        json_output: bool = False,
    ) -> _Parser:
        parents = [late_db, as_json] if json_output else [late_db]
        sub = group.add_parser(
            name,
            help=summary,
            description=summary,
            epilog=_examples(*examples),
            parents=parents,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if handler is not None:
            sub.set_defaults(handler=handler)
        return sub

    def actions(group_parser: _Parser) -> Any:
        return group_parser.add_subparsers(
            dest="action", metavar="ACTION", required=True, parser_class=_Parser
        )

    # serve
    serve = command(
        commands,
        "serve",
        "Run the OAuth endpoint without the console (for servers and scripts).",
        _serve,
        examples=(
            "authclients serve",
            "authclients serve --host 0.0.0.0 --port 9000 --db postgresql://auth@db/auth",
        ),
    )
    serve.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})"
    )
    serve.add_argument(
        "--port",
        type=_port,
        default=argparse.SUPPRESS,
        help=f"port to listen on (default {DEFAULT_PORT}; 0 for a free one)",
    )

    # clients
    clients = actions(
        command(commands, "clients", "Create, list, change and delete client applications.")
    )
    c_list = command(
        clients,
        "list",
        "List client applications, a page at a time, with the total that matched.",
        _clients_list,
        examples=(
            "authclients clients list --filter web --sort name",
            "authclients clients list --sort created_at --desc --limit 20 --offset 40 --json",
        ),
        json_output=True,
    )
    c_list.add_argument(
        "--filter",
        default="",
        metavar="TEXT",
        help="only clients whose name contains TEXT or id is",
    )
    c_list.add_argument(
        "--sort",
        choices=SORT_KEYS,
        default="id",
        metavar="COLUMN",
        help=f"sort by one of: {', '.join(SORT_KEYS)} (default id)",
    )
    c_list.add_argument("--desc", action="store_true", help="sort in descending order")
    c_list.add_argument("--limit", type=_limit, default=50, help="page size (default 50)")
    c_list.add_argument("--offset", type=_offset, default=0, help="skip this many (default 0)")

    c_show = command(
        clients,
        "show",
        "Show one client: grants, redirect URLs, scopes, secret hint, live tokens.",
        _clients_show,
        examples=("authclients clients show 3",),
        json_output=True,
    )
    c_show.add_argument("id", type=_client_id, metavar="ID", help="the client id")

    c_create = command(
        clients,
        "create",
        "Create a client application; prints its secret once.",
        _clients_create,
        examples=(
            "authclients clients create --name 'Web app' --redirect https://app.example/callback",
            "authclients clients create --name 'Legacy' --password-grant",
            "authclients clients create --name 'Mobile' --public --redirect com.example.app:/cb",
            "authclients clients create --name 'Cron' --client-credentials --scopes 'read' --json",
        ),
        json_output=True,
    )
    c_create.add_argument("--name", required=True, help="what admins and users see")
    _add_grant_flags(c_create, update=False)

    c_update = command(
        clients,
        "update",
        "Change a client; options not given stay as they are.",
        _clients_update,
        examples=(
            "authclients clients update 3 --name 'Web app v2'",
            "authclients clients update 3 --redirect https://new.example/cb   # replaces all",
            "authclients clients update 3 --add-redirect http://127.0.0.1:8080/cb",
            "authclients clients update 3 --clear-redirects --password-grant",
            "authclients clients update 3 --no-password-grant --personal-access",
        ),
        json_output=True,
    )
    c_update.add_argument("id", type=_client_id, metavar="ID", help="the client id")
    c_update.add_argument("--name", help="a new name")
    _add_grant_flags(c_update, update=True)

    c_delete = command(
        clients,
        "delete",
        "Delete a client: every token it holds stops working at once.",
        _clients_delete,
        examples=("authclients clients delete 3", "authclients clients delete 3 --yes"),
        json_output=True,
    )
    c_delete.add_argument("id", type=_client_id, metavar="ID", help="the client id")
    c_delete.add_argument(
        "--yes", action="store_true", help="do not ask; required when not on a terminal"
    )

    c_rotate = command(
        clients,
        "rotate-secret",
        "Give a client a new secret; the old one stops working at once (tokens live on).",
        _clients_rotate,
        examples=(
            "authclients clients rotate-secret 3",
            "authclients clients rotate-secret 3 --json",
        ),
        json_output=True,
    )
    c_rotate.add_argument("id", type=_client_id, metavar="ID", help="the client id")

    # users
    users = actions(
        command(commands, "users", "Manage resource owners (the users who sign in and own tokens).")
    )
    password_help = (
        "read the password from the first line of standard input instead of prompting "
        "(a password is never taken from the command line)"
    )
    u_add = command(
        users,
        "add",
        "Add a user; the password is asked twice (or read with --password-stdin).",
        _users_add,
        examples=(
            "authclients users add alice",
            "printf '%s\\n' \"$PASSWORD\" | authclients users add alice --password-stdin",
        ),
        json_output=True,
    )
    u_add.add_argument("username", metavar="NAME", help="the username (no spaces)")
    u_add.add_argument("--password-stdin", action="store_true", help=password_help)

    u_list = command(
        users,
        "list",
        "List users with their live token counts.",
        _users_list,
        examples=("authclients users list", "authclients users list --filter ali --json"),
        json_output=True,
    )
    u_list.add_argument("--filter", default="", metavar="TEXT", help="usernames containing TEXT")

    u_passwd = command(
        users,
        "passwd",
        "Set a user's password (asked twice, or read with --password-stdin).",
        _users_passwd,
        examples=("authclients users passwd alice",),
        json_output=True,
    )
    u_passwd.add_argument("username", metavar="NAME", help="the username")
    u_passwd.add_argument("--password-stdin", action="store_true", help=password_help)

    u_deactivate = command(
        users,
        "deactivate",
        "Stop a user from signing in and revoke their tokens.",
        _users_set_active(False),
        examples=("authclients users deactivate alice",),
        json_output=True,
    )
    u_deactivate.add_argument("username", metavar="NAME", help="the username")
    u_activate = command(
        users,
        "activate",
        "Let a deactivated user sign in again.",
        _users_set_active(True),
        examples=("authclients users activate alice",),
        json_output=True,
    )
    u_activate.add_argument("username", metavar="NAME", help="the username")

    u_delete = command(
        users,
        "delete",
        "Delete a user and every token and code of theirs.",
        _users_delete,
        examples=("authclients users delete alice --yes",),
        json_output=True,
    )
    u_delete.add_argument("username", metavar="NAME", help="the username")
    u_delete.add_argument(
        "--yes", action="store_true", help="do not ask; required when not on a terminal"
    )

    # tokens
    tokens = actions(
        command(commands, "tokens", "List, revoke and purge access tokens; create personal ones.")
    )
    t_list = command(
        tokens,
        "list",
        "List access tokens, newest first, with their state and age.",
        _tokens_list,
        examples=(
            "authclients tokens list --client 3 --state active",
            "authclients tokens list --user alice --json",
        ),
        json_output=True,
    )
    t_list.add_argument("--client", type=_client_id, metavar="ID", help="only this client's")
    t_list.add_argument("--user", metavar="NAME", help="only this user's")
    t_list.add_argument("--state", choices=TOKEN_STATES, help="active, expired or revoked")
    t_list.add_argument(
        "--limit", type=_positive_int("a number of tokens"), default=500, help="(default 500)"
    )
    t_list.add_argument("--offset", type=_offset, default=0, help="skip this many")

    t_revoke = command(
        tokens,
        "revoke",
        "Revoke one token, or every token of a client or of a user.",
        _tokens_revoke,
        examples=(
            "authclients tokens revoke 42",
            "authclients tokens revoke --client 3",
            "authclients tokens revoke --user alice",
        ),
        json_output=True,
    )
    which = t_revoke.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "token_id", type=_token_id, nargs="?", metavar="TOKEN_ID", help="the token's id"
    )
    which.add_argument("--client", type=_client_id, metavar="ID", help="every token of client ID")
    which.add_argument("--user", metavar="NAME", help="every token of user NAME")

    t_purge = command(
        tokens,
        "purge",
        "Delete tokens and codes that expired or were revoked more than DAYS ago.",
        _tokens_purge,
        examples=(
            "authclients tokens purge --dry-run",
            "authclients tokens purge --older-than 30",
        ),
        json_output=True,
    )
    t_purge.add_argument(
        "--older-than",
        type=_days,
        default=7,
        metavar="DAYS",
        help="dead for longer than (default 7)",
    )
    t_purge.add_argument(
        "--dry-run", action="store_true", help="list what would be deleted; delete nothing"
    )

    t_pat = command(
        tokens,
        "create-pat",
        "Create a personal access token for a user; prints the token once.",
        _tokens_create_pat,
        examples=(
            "authclients tokens create-pat --user alice --name laptop --scopes 'read write'",
            "authclients tokens create-pat --user alice --name ci --expires-in 30 --json",
            "authclients tokens create-pat --user alice --name kiosk --expires-in never",
        ),
        json_output=True,
    )
    t_pat.add_argument("--user", required=True, metavar="NAME", help="whose token it is")
    t_pat.add_argument("--name", required=True, help="what the token is for")
    t_pat.add_argument("--scopes", default="", metavar="'A B'", help="space-separated scopes")
    t_pat.add_argument(
        "--expires-in",
        type=_lifetime,
        default=None,
        metavar="DAYS|never",
        help="lifetime in days (default 365), or 'never' for a token that never expires",
    )
    t_pat.add_argument(
        "--client",
        type=_client_id,
        metavar="ID",
        help="the client to issue it under (default: the first that allows personal tokens)",
    )

    # screenshots: no --db, it makes its own throw-away databases
    shots = commands.add_parser(
        "screenshots",
        help="Render every screen as SVG from fixed demo data (the README's pictures).",
        description="Render every screen as SVG from fixed demo data (the README's pictures). "
        "Same code, same pictures: re-running it changes no file unless a screen changed.",
        epilog=_examples("authclients screenshots", "authclients screenshots /tmp/shots"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    shots.add_argument(
        "dir",
        nargs="?",
        default="screenshots",
        metavar="DIR",
        help="folder to write the SVG files to (default screenshots/)",
    )
    return parser


def _add_grant_flags(parser: _Parser, *, update: bool) -> None:
    """The grant options; ``update`` adds the --no-... forms and the redirect edits."""
    flag: dict[str, Any] = (
        {"action": argparse.BooleanOptionalAction, "default": None}
        if update
        else {"action": "store_true"}
    )
    # --redirect and --clear-redirects contradict each other.
    redirects = parser.add_mutually_exclusive_group() if update else parser
    redirects.add_argument(
        "--redirect",
        action="append",
        metavar="URL",
        help=(
            "redirect URL, repeatable; turns the authorization code grant on"
            + ("; replaces every current URL" if update else "")
        ),
    )
    if update:
        redirects.add_argument(
            "--clear-redirects",
            action="store_true",
            help="remove every redirect URL (turns the authorization code grant off)",
        )
        parser.add_argument(
            "--add-redirect",
            action="append",
            metavar="URL",
            help="add a redirect URL, repeatable; turns the authorization code grant on",
        )
        parser.add_argument(
            "--remove-redirect",
            action="append",
            metavar="URL",
            help="remove this redirect URL (exactly as listed), repeatable",
        )
        parser.add_argument(
            "--authorization-code",
            **flag,
            help="the authorization code grant (web and mobile apps); needs a redirect URL",
        )
    parser.add_argument(
        "--password-grant", **flag, help="the password grant (legacy apps; least secure)"
    )
    parser.add_argument("--personal-access", **flag, help="personal access tokens")
    parser.add_argument(
        "--client-credentials", **flag, help="the client credentials grant (machine to machine)"
    )
    parser.add_argument(
        "--public",
        **flag,
        help="no secret (native and browser apps): authorization code with PKCE only",
    )
    parser.add_argument(
        "--scopes",
        default=None,
        metavar="'A B'",
        help="space-separated scopes the client may ask for (empty: any scope)",
    )


def _examples(*lines: str) -> str | None:
    if not lines:
        return None
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


# -- entry point ---------------------------------------------------------------------------------


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
        return _error(f"{_unrecognized(extras, args.command)} (see `{where} --help`)", 2)
    if args.command is None:
        return _run_demo(args) if args.demo else _run_console(args)
    if args.command == "screenshots":
        # Its own throw-away databases: it must never open --db or the default one.
        return _screenshots(args)
    try:
        store = _open_store(args.db)
        try:
            return args.handler(store, args)
        finally:
            store.close()
    except UsageError as exc:
        return _error(str(exc), 2)
    except Failure as exc:
        return _error(str(exc), 1)
    except NotFound as exc:
        hint = _LIST_HINTS.get(exc.kind)
        return _error(f"{exc} (see `{hint}`)" if hint else str(exc), 1)
    except ValidationError as exc:
        return _error(_field_errors(exc), 1)
    except StoreError as exc:
        return _error(str(exc), 1)
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`); say nothing more on a closed pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _run_console(args: argparse.Namespace) -> int:
    """Open the full-screen console with ``--db``, ``--port``, ``--no-server`` and ``--demo``."""
    # Imported here: the subcommands must not pay for loading Textual.
    from authclients.tui.app import run_console

    return run_console(args.db, args.port, args.no_server)


def _run_demo(args: argparse.Namespace) -> int:
    """``--demo``: the console on a fresh temporary database with demo data."""
    if args.db is not None:
        return _error("--demo uses its own throw-away database; leave out --db", 2)
    from authclients.tui.demo import run_demo

    return run_demo(args.port, args.no_server)


def _screenshots(args: argparse.Namespace) -> int:
    """``screenshots [DIR]``: every screen as SVG, one line per file written."""
    from authclients.tui.screenshots import SceneFailed, render_all

    try:
        written = render_all(args.dir)
    except OSError as exc:
        return _error(f"cannot write screenshots to {args.dir}: {exc.strerror or exc}", 1)
    except SceneFailed as exc:
        return _error(str(exc), 1)
    for path in written:
        print(path)
    return 0


def _open_store(target: str | None) -> Store:
    try:
        return Store.open(target)
    except Exception as exc:  # the driver's own errors: any of them means "cannot open"
        where = describe(target) if target else f"${ENV_VAR} or the default location"
        resolved = resolve_target(target)
        server = is_url(resolved) and not resolved.startswith("sqlite")
        check = "the server is up and lets this user in" if server else "the folder is writable"
        raise Failure(
            f"cannot open the database {where}: {_one_line(str(exc))} (check --db and that {check})"
        ) from None


def _error(message: str, status: int) -> int:
    print(f"{PROG}: error: {_one_line(message)}", file=sys.stderr)
    return status


def _field_errors(exc: ValidationError) -> str:
    """Every field's message on one line: ``name: ...; redirect_uris: ...``."""
    return "; ".join(f"{field}: {message.rstrip('.')}" for field, message in exc.errors.items())


def _one_line(text: str) -> str:
    return " ".join(text.split())


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


# -- serve ---------------------------------------------------------------------------------------


def _serve(store: Store, args: argparse.Namespace) -> int:
    # The endpoint loads only when asked for, so admin commands stay quick.
    try:
        from authclients.store.endpoint import run_headless
    except ModuleNotFoundError as exc:
        if exc.name != "authclients.store.endpoint":
            raise
        raise Failure("the headless endpoint is not built yet in this version") from None
    status = run_headless(store, host=args.host, port=args.port)
    return status if isinstance(status, int) else 0


# -- clients -------------------------------------------------------------------------------------


def _clients_list(store: Store, args: argparse.Namespace) -> int:
    page = store.clients.list(
        args.filter, sort=args.sort, descending=args.desc, offset=args.offset, limit=args.limit
    )
    if args.json:
        _print_json(
            {
                "total": page.total,
                "offset": page.offset,
                "limit": page.limit,
                "items": [_client_json(c) for c in page.items],
            }
        )
        return 0
    if page.items:
        rows = [
            [
                str(c.id),
                _short(c.name, 32),
                ",".join(GRANT_LABELS[g] for g in c.grant_types),
                "public" if c.public else (f"…{c.secret_hint}" if c.secret_hint else "none"),
                str(c.active_tokens),
                _redirect_summary(c.redirect_uris),
            ]
            for c in page.items
        ]
        print(_table(["ID", "NAME", "GRANTS", "SECRET", "TOKENS", "REDIRECT"], rows, right={0, 4}))
        first = page.offset + 1
        print(f"{first}-{page.offset + len(page.items)} of {page.total} clients")
    else:
        print(f"No clients on this page; {page.total} matched.")
    return 0


def _clients_show(store: Store, args: argparse.Namespace) -> int:
    client = store.clients.get(args.id)
    if args.json:
        _print_json(_client_json(client))
        return 0
    _print_client(client)
    return 0


def _clients_create(store: Store, args: argparse.Namespace) -> int:
    created = store.clients.create(
        args.name,
        args.redirect or (),
        authorization_code=bool(args.redirect),
        password=args.password_grant,
        personal_access=args.personal_access,
        client_credentials=args.client_credentials,
        public=args.public,
        scopes=args.scopes or "",
    )
    _print_created(created, args, "Created")
    return 0


def _clients_update(store: Store, args: argparse.Namespace) -> int:
    changes: dict[str, Any] = {}
    if args.name is not None:
        changes["name"] = args.name
    if args.scopes is not None:
        changes["scopes"] = args.scopes
    for option, key in (
        ("authorization_code", "authorization_code"),
        ("password_grant", "password"),
        ("personal_access", "personal_access"),
        ("client_credentials", "client_credentials"),
        ("public", "public"),
    ):
        if getattr(args, option) is not None:
            changes[key] = getattr(args, option)
    edits_redirects = bool(
        args.redirect or args.clear_redirects or args.add_redirect or args.remove_redirect
    )
    if not changes and not edits_redirects:
        raise UsageError(
            "nothing to change; give at least one option (see `authclients clients update --help`)"
        )
    before = store.clients.get(args.id)
    if edits_redirects:
        uris = list(before.redirect_uris)
        if args.redirect:
            uris = list(args.redirect)
        if args.clear_redirects:
            uris = []
            changes.setdefault("authorization_code", False)
        for uri in args.add_redirect or ():
            if uri.strip() not in uris:
                uris.append(uri.strip())
        for uri in args.remove_redirect or ():
            if uri.strip() not in uris:
                raise Failure(
                    f"{uri.strip()} is not a redirect URL of client {args.id} "
                    f"(see `authclients clients show {args.id}`)"
                )
            uris.remove(uri.strip())
        changes["redirect_uris"] = uris
        if args.redirect or args.add_redirect:
            changes.setdefault("authorization_code", True)
    client = store.clients.update(args.id, **changes)
    if args.json:
        _print_json(_client_json(client))
        return 0
    print(f"Updated client {client.id} ({client.name}).")
    _print_client(client)
    if before.public and not client.public and not client.secret_hint:
        print(
            f"It has no secret yet: run `authclients clients rotate-secret {client.id}` "
            "to give it one."
        )
    return 0


def _clients_delete(store: Store, args: argparse.Namespace) -> int:
    client = store.clients.get(args.id)
    live = store.clients.live_token_count(args.id)
    if not args.yes:
        _confirm(
            f"Delete client {client.id} ({client.name})? It revokes {_plural(live, 'live token')}.",
            refusal="to delete a client without a terminal, pass --yes",
        )
    revoked = store.clients.delete(args.id)
    if args.json:
        _print_json({"id": client.id, "name": client.name, "deleted": True, "revoked": revoked})
        return 0
    print(f"Deleted client {client.id} ({client.name}); revoked {_plural(revoked, 'live token')}.")
    return 0


def _clients_rotate(store: Store, args: argparse.Namespace) -> int:
    _print_created(store.clients.rotate_secret(args.id), args, "Rotated the secret of")
    return 0


def _print_created(created: CreatedClient, args: argparse.Namespace, verb: str) -> None:
    client = created.client
    if args.json:
        body = _client_json(client)
        # The secret sits right after the name, where a reader looks first.
        _print_json(
            {"id": body.pop("id"), "name": body.pop("name"), "secret": created.secret, **body}
        )
        return
    kind = "public" if client.public else "confidential"
    print(f"{verb} {kind} client {client.id} ({client.name}); grants: {_grants(client)}.")
    print(f"client_id:     {client.id}")
    if created.secret is None:
        print("client_secret: none (a public client proves itself with PKCE)")
        return
    print(f"client_secret: {created.secret}")
    print(SECRET_WARNING)


def _print_client(client: ClientInfo) -> None:
    secret = (
        "none (public client)"
        if client.public
        else (f"…{client.secret_hint}" if client.secret_hint else "none: rotate to set one")
    )
    uris = list(client.redirect_uris) or ["(none)"]
    fields = [
        ("grants", _grants(client)),
        ("type", "public" if client.public else "confidential"),
        ("secret", secret),
        ("redirect URLs", uris[0]),
        *(("", uri) for uri in uris[1:]),
        ("scopes", " ".join(client.scopes) or "(any)"),
        ("live tokens", str(client.active_tokens)),
        ("created", _human_time(client.created_at)),
        ("updated", _human_time(client.updated_at)),
    ]
    print(f"Client {client.id}: {client.name}")
    width = max(len(label) for label, _ in fields)
    for label, value in fields:
        print(f"  {label.ljust(width)}  {value}")


def _client_json(client: ClientInfo) -> dict[str, Any]:
    return {
        "id": client.id,
        "name": client.name,
        "grant_types": list(client.grant_types),
        "authorization_code": client.authorization_code,
        "password": client.password,
        "personal_access": client.personal_access,
        "client_credentials": client.client_credentials,
        "public": client.public,
        "redirect_uris": list(client.redirect_uris),
        "scopes": list(client.scopes),
        "secret_hint": client.secret_hint,
        "active_tokens": client.active_tokens,
        "created_at": _iso(client.created_at),
        "updated_at": _iso(client.updated_at),
    }


# -- users ---------------------------------------------------------------------------------------


def _users_add(store: Store, args: argparse.Namespace) -> int:
    # Refuse a taken name before asking for a password that would be thrown away.
    try:
        store.users.get(args.username)
    except NotFound:
        pass
    else:
        raise ValidationError.single(
            "username", f"{args.username.strip()!r} is taken; choose another username."
        )
    password = _read_new_password(args.username, args.password_stdin)
    user = store.users.add(args.username, password)
    if args.json:
        _print_json(_user_json(user))
    else:
        print(f"Added user {user.username}.")
    return 0


def _users_list(store: Store, args: argparse.Namespace) -> int:
    users = store.users.list(args.filter)
    if args.json:
        _print_json({"total": len(users), "items": [_user_json(u) for u in users]})
        return 0
    if not users:
        print("No users." if not args.filter else "No users match.")
        return 0
    rows = [
        [
            u.username,
            "active" if u.active else "deactivated",
            str(u.active_tokens),
            _human_time(u.created_at),
        ]
        for u in users
    ]
    print(_table(["USERNAME", "STATUS", "TOKENS", "CREATED"], rows, right={2}))
    print(_plural(len(users), "user"))
    return 0


def _users_passwd(store: Store, args: argparse.Namespace) -> int:
    store.users.get(args.username)  # an unknown user fails before the prompt
    password = _read_new_password(args.username, args.password_stdin)
    user = store.users.set_password(args.username, password)
    if args.json:
        _print_json(_user_json(user))
    else:
        print(f"Set the password of {user.username}.")
    return 0


def _users_set_active(active: bool) -> Handler:
    def handler(store: Store, args: argparse.Namespace) -> int:
        live = _user_live_tokens(store, args.username)
        user = store.users.set_active(args.username, active)
        if args.json:
            _print_json(_user_json(user))
        elif active:
            print(f"Activated {user.username}.")
        else:
            print(f"Deactivated {user.username}; revoked {_plural(live, 'live token')}.")
        return 0

    return handler


def _users_delete(store: Store, args: argparse.Namespace) -> int:
    live = _user_live_tokens(store, args.username)
    username = store.users.get(args.username).username
    if not args.yes:
        _confirm(
            f"Delete user {username}? It revokes {_plural(live, 'live token')}.",
            refusal="to delete a user without a terminal, pass --yes",
        )
    revoked = store.users.delete(username)
    if args.json:
        _print_json({"username": username, "deleted": True, "revoked": revoked})
    else:
        print(f"Deleted user {username}; revoked {_plural(revoked, 'live token')}.")
    return 0


def _user_live_tokens(store: Store, username: str) -> int:
    name = store.users.get(username).username
    return next((u.active_tokens for u in store.users.list(name) if u.username == name), 0)


def _user_json(user: UserInfo) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "active": user.active,
        "active_tokens": user.active_tokens,
        "created_at": _iso(user.created_at),
        "updated_at": _iso(user.updated_at),
    }


def _read_new_password(username: str, from_stdin: bool) -> str:
    """The new password: the first line of stdin, or typed twice at a prompt; never argv."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not _stdin_is_tty():
        raise UsageError(
            "no terminal to ask for the password on; pipe it in and pass --password-stdin"
        )
    first = _prompt_password(f"New password for {username.strip()}: ")
    second = _prompt_password("Type it again: ")
    if first != second:
        raise Failure("the two passwords differ; nothing was changed, try again")
    return first


def _prompt_password(prompt: str) -> str:
    return getpass.getpass(prompt)


# -- tokens --------------------------------------------------------------------------------------


def _tokens_list(store: Store, args: argparse.Namespace) -> int:
    tokens = store.tokens.list(
        client_id=args.client,
        username=args.user,
        state=args.state,
        offset=args.offset,
        limit=args.limit,
    )
    if args.json:
        _print_json(
            {
                "offset": args.offset,
                "limit": args.limit,
                "items": [_token_json(t) for t in tokens],
            }
        )
        return 0
    if not tokens:
        print("No tokens match.")
        return 0
    now = store.clock.now()
    rows = [
        [
            str(t.id),
            f"{t.client_id} {_short(t.client_name, 16)}",
            t.username or "-",
            GRANT_LABELS.get(t.grant_type, t.grant_type),
            _short(t.name, 16) or "-",
            _short(" ".join(t.scopes), 20) or "-",
            t.state,
            _age(now - t.created_at),
            "never" if t.expires_at is None else _human_time(t.expires_at),
        ]
        for t in tokens
    ]
    headers = ["ID", "CLIENT", "USER", "GRANT", "NAME", "SCOPES", "STATE", "AGE", "EXPIRES"]
    print(_table(headers, rows, right={0, 7}))
    print(_plural(len(tokens), "token"))
    return 0


def _tokens_revoke(store: Store, args: argparse.Namespace) -> int:
    if args.token_id is not None:
        before = store.tokens.get(args.token_id)
        token = store.tokens.revoke(args.token_id)
        if args.json:
            _print_json(_token_json(token))
        elif before.state == STATE_REVOKED:
            print(f"Token {token.id} was already revoked.")
        else:
            print(f"Revoked token {token.id} (client {token.client_id}, {token.client_name}).")
        return 0
    if args.client is not None:
        client = store.clients.get(args.client)
        count = store.tokens.revoke_all_of_client(client.id)
        if args.json:
            _print_json({"client_id": client.id, "revoked": count})
        else:
            print(f"Revoked {_plural(count, 'live token')} of client {client.id} ({client.name}).")
        return 0
    user = store.users.get(args.user)
    count = store.tokens.revoke_all_of_user(user.id)
    if args.json:
        _print_json({"username": user.username, "revoked": count})
    else:
        print(f"Revoked {_plural(count, 'live token')} of {user.username}.")
    return 0


def _tokens_purge(store: Store, args: argparse.Namespace) -> int:
    result = store.tokens.purge(args.older_than, dry_run=args.dry_run)
    if args.json:
        _print_json(_purge_json(result, args.older_than))
        return 0
    verb = "Would delete" if result.dry_run else "Deleted"
    print(
        f"{verb} {_plural(len(result.access_tokens), 'access token')}, "
        f"{_plural(result.refresh_tokens, 'refresh token')} and "
        f"{_plural(result.auth_codes, 'authorization code')} "
        f"dead for more than {_plural(args.older_than, 'day')}."
    )
    if result.kept_for_refresh:
        print(
            f"Kept {_plural(result.kept_for_refresh, 'access token')} "
            "that live refresh tokens still need."
        )
    if result.dry_run and result.access_tokens:
        rows = [
            [
                str(t.id),
                f"{t.client_id} {_short(t.client_name, 16)}",
                t.username or "-",
                t.state,
                _human_time(t.revoked_at if t.state == STATE_REVOKED else t.expires_at),
            ]
            for t in result.access_tokens
        ]
        print(_table(["ID", "CLIENT", "USER", "STATE", "SINCE"], rows, right={0}))
    return 0


def _tokens_create_pat(store: Store, args: argparse.Namespace) -> int:
    issued = store.tokens.create_personal_access_token(
        args.user,
        args.name,
        scopes=args.scopes,
        lifetime=args.expires_in,
        client_id=args.client,
    )
    if args.json:
        body = _token_json(issued.info)
        _print_json({"id": body.pop("id"), "token": issued.access_token, **body})
        return 0
    _print_pat(issued)
    return 0


def _print_pat(issued: IssuedToken) -> None:
    info = issued.info
    expiry = (
        "never expires" if info.expires_at is None else f"expires {_human_time(info.expires_at)}"
    )
    print(
        f"Created personal access token {info.id} ({info.name}) for {info.username} "
        f"under client {info.client_id} ({info.client_name}); {expiry}."
    )
    print(f"token: {issued.access_token}")
    print(TOKEN_WARNING)


def _token_json(token: TokenInfo) -> dict[str, Any]:
    return {
        "id": token.id,
        "client_id": token.client_id,
        "client_name": token.client_name,
        "user_id": token.user_id,
        "username": token.username,
        "name": token.name,
        "scopes": list(token.scopes),
        "grant_type": token.grant_type,
        "state": token.state,
        "active": token.state == STATE_ACTIVE,
        "token_hint": token.token_hint,
        "created_at": _iso(token.created_at),
        "expires_at": _iso(token.expires_at),
        "revoked_at": _iso(token.revoked_at),
        "last_used_at": _iso(token.last_used_at),
    }


def _purge_json(result: PurgeResult, days: int) -> dict[str, Any]:
    return {
        "dry_run": result.dry_run,
        "older_than_days": days,
        "access_tokens": [_token_json(t) for t in result.access_tokens],
        "refresh_tokens": result.refresh_tokens,
        "auth_codes": result.auth_codes,
        "failed_attempts": result.failed_attempts,
        "kept_for_refresh": result.kept_for_refresh,
    }


# -- shared output and prompts -------------------------------------------------------------------


def _confirm(question: str, *, refusal: str) -> None:
    """Ask on the terminal; without one, refuse (exit 2) so a script never deletes by accident."""
    if not _stdin_is_tty():
        raise UsageError(refusal)
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise Failure("cancelled; nothing was deleted")


def _stdin_is_tty() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _print_json(value: object) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _human_time(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _age(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _grants(client: ClientInfo) -> str:
    return ", ".join(client.grant_types) or "none"


def _redirect_summary(uris: tuple[str, ...]) -> str:
    if not uris:
        return "-"
    first = _short(uris[0], 40)
    return first if len(uris) == 1 else f"{first} +{len(uris) - 1}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    """Columns as wide as their widest cell, two spaces apart; numbers right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), *(line(r) for r in rows)])


if __name__ == "__main__":
    sys.exit(main())
