"""``authclients scopes``: list, add and delete the scopes the server knows."""

from __future__ import annotations

import argparse
from typing import Any

from authclients.store import Store
from authclients.store.records import ScopeInfo
from authclients.tui.cli import prompts
from authclients.tui.cli.output import envelope, iso, plural, print_json, say, short, table
from authclients.tui.cli.parser import Commands, add_page_options


def register(commands: Commands) -> None:
    """Add ``scopes`` and its actions."""
    scopes = commands.noun(
        "scopes",
        "The scopes the server knows: no token or authorization request may name another.",
    )
    s_list = commands.command(
        scopes,
        "list",
        "List the defined scopes with the clients that list each.",
        _list,
        example_lines=("authclients scopes list", "authclients scopes list --json"),
        json_output=True,
        read_only=True,
    )
    add_page_options(s_list, default_limit=500)

    s_add = commands.command(
        scopes,
        "add",
        "Define a scope (printable ASCII without spaces, quotes or backslashes).",
        _add,
        example_lines=(
            "authclients scopes add read",
            "authclients scopes add users:write --description 'Change user accounts'",
        ),
        json_output=True,
    )
    s_add.add_argument("name", metavar="NAME", help="the scope, e.g. read or users:write")
    s_add.add_argument(
        "--description", default="", metavar="TEXT", help="what it lets a token do (one line)"
    )

    s_delete = commands.command(
        scopes,
        "delete",
        "Forget a scope. Refused while a client lists it; tokens already issued keep it "
        "until they expire, but no new grant or refresh carries it.",
        _delete,
        example_lines=(
            "authclients scopes delete legacy",
            "authclients scopes delete legacy --yes",
        ),
        json_output=True,
    )
    s_delete.add_argument("name", metavar="NAME", help="the scope")
    s_delete.add_argument(
        "--yes", action="store_true", help="do not ask; required when not on a terminal"
    )


def _list(store: Store, args: argparse.Namespace) -> int:
    every = store.scopes.list()
    page = every[args.offset : args.offset + args.limit]
    if args.json:
        print_json(envelope(len(every), args.offset, args.limit, [scope_json(s) for s in page]))
        return 0
    if not page:
        say(
            f"No scopes on this page; {len(every)} defined."
            if every
            else "No scopes yet: no token may carry a scope "
            "(add one with `authclients scopes add NAME`)."
        )
        return 0
    rows = [[s.name, _clients(s), short(s.description, 48)] for s in page]
    say(*table(["SCOPE", "CLIENTS", "DESCRIPTION"], rows, right=set()))
    if len(page) == len(every):
        say(plural(len(every), "scope"))
    else:
        say(f"{args.offset + 1}-{args.offset + len(page)} of {len(every)} scopes")
    return 0


def _add(store: Store, args: argparse.Namespace) -> int:
    scope = store.scopes.add(args.name, args.description)
    if args.json:
        print_json(scope_json(scope))
    else:
        say(f"Defined scope {scope.name}.")
    return 0


def _delete(store: Store, args: argparse.Namespace) -> int:
    scope = store.scopes.get(args.name)
    if not args.yes and not scope.clients:
        # A scope a client lists is refused by the store below, without a question.
        prompts.confirm(
            f"Delete scope {scope.name}? No new token or refresh will carry it.",
            refusal="to delete a scope without a terminal, pass --yes",
        )
    store.scopes.delete(scope.name)
    if args.json:
        print_json({"name": scope.name, "deleted": True})
    else:
        say(
            f"Deleted scope {scope.name}; tokens already issued with it keep it until they "
            "expire or are revoked."
        )
    return 0


def _clients(scope: ScopeInfo) -> str:
    if not scope.clients:
        return "-"
    shown = ",".join(str(c) for c in scope.clients[:5])
    return shown if len(scope.clients) <= 5 else f"{shown} +{len(scope.clients) - 5}"


def scope_json(scope: ScopeInfo) -> dict[str, Any]:
    """One scope as ``--json`` shows it."""
    return {
        "name": scope.name,
        "description": scope.description,
        "clients": list(scope.clients),
        "created_at": iso(scope.created_at),
    }
